"""Reading courses, sections and assignments: members see their course, nobody else learns it exists."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Enrolment
from tests.factories import (
    AssignmentFactory,
    EnrolmentFactory,
    SectionFactory,
    StaffRoleFactory,
    UserFactory,
    eastern,
)

MEMBERS = ["instructor", "ta", "ug1", "gr1"]
OUTSIDERS = ["other_student", "other_ta"]


def assert_not_found(response) -> None:
    assert response.status_code == 404, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert body["code"] == "not_found"
    assert body["fields"] == {}


def read_urls(world) -> dict[str, str]:
    hw1 = world.course.assignments.get(code="HW1")
    return {
        "course": reverse("api-course", args=[world.course.id]),
        "sections": reverse("api-course-sections", args=[world.course.id]),
        "section": reverse("api-section", args=[world.ug_section.id]),
        "assignments": reverse("api-course-assignments", args=[world.course.id]),
        "assignment": reverse("api-assignment", args=[hw1.id]),
    }


# ---- members ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", MEMBERS)
def test_a_member_sees_their_course_in_the_list(world, api, who):
    response = api.as_user(getattr(world, who)).get(reverse("api-courses"))
    assert response.status_code == 200
    assert [c["code"] for c in response.json()] == ["CS 4644 / CS 7643-A"]


@pytest.mark.parametrize("who", MEMBERS)
def test_a_member_reads_course_sections_and_assignments(world, api, who):
    api.as_user(getattr(world, who))
    urls = read_urls(world)

    course = api.get(urls["course"]).json()
    assert course["id"] == world.course.id
    assert course["term"] == "Spring 2023"
    assert course["time_zone"] == "America/New_York"
    assert course["late_policy"] == "grace" and course["grace_days"] == 2

    sections = api.get(urls["sections"]).json()
    assert [s["code"] for s in sections] == ["CS 4644", "CS 7643-A"]
    by_code = {s["code"]: s for s in sections}
    assert by_code["CS 4644"]["enrolled_count"] == 2
    assert by_code["CS 7643-A"]["enrolled_count"] == 1
    assert by_code["CS 4644"]["level"] == "undergraduate"

    section = api.get(urls["section"]).json()
    assert section["code"] == "CS 4644" and section["course"] == world.course.id

    assignments = api.get(urls["assignments"]).json()
    assert [a["code"] for a in assignments] == ["PS0", "HW1"]  # by due time
    ps0 = assignments[0]
    assert ps0["due_at"] == "2023-01-15T23:59:00-05:00"
    assert (ps0["grace_allowed"], ps0["collaboration_allowed"], ps0["counts_toward_grade"]) == (
        False,
        False,
        False,
    )
    assert {"team_size_min", "team_size_max", "points", "weight", "category"} <= set(ps0)

    assignment = api.get(urls["assignment"]).json()
    assert assignment["code"] == "HW1"
    assert assignment["due_at"] == "2023-02-12T23:59:00-05:00"


def test_a_waitlisted_student_is_a_member(world, api, enrol):
    waiting = UserFactory(username="wait1")
    enrol(waiting, world.gr_section, status=Enrolment.Status.WAITLISTED)
    api.as_user(waiting)
    for url in read_urls(world).values():
        assert api.get(url).status_code == 200, url


# ---- non-members ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("what", ["course", "sections", "section", "assignments", "assignment"])
def test_a_non_member_gets_404_in_the_error_shape(world, api, who, what):
    response = api.as_user(getattr(world, who)).get(read_urls(world)[what])
    assert_not_found(response)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_course_never_appears_in_a_non_members_list(world, api, who):
    api.as_user(getattr(world, who))
    codes = [c["code"] for c in api.get(reverse("api-courses")).json()]
    assert codes == ["CS 9999"]
    assert world.course.code not in str(api.get(reverse("api-courses")).content)
    # Their own course's lists show nothing of the other course either.
    other = world.other_course.id
    sections = api.get(reverse("api-course-sections", args=[other])).json()
    assert {s["course"] for s in sections} <= {other}
    assert "CS 4644" not in [s["code"] for s in sections]
    assignments = api.get(reverse("api-course-assignments", args=[other])).json()
    assert all(a["course"] == other for a in assignments)


def test_not_found_looks_the_same_for_missing_and_forbidden(world, api):
    """An outsider cannot tell a course that exists from one that does not."""
    api.as_user(world.other_student)
    forbidden = api.get(reverse("api-course", args=[world.course.id]))
    missing = api.get(reverse("api-course", args=[999999]))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    hw1 = world.course.assignments.get(code="HW1")
    forbidden = api.get(reverse("api-assignment", args=[hw1.id]))
    missing = api.get(reverse("api-assignment", args=[999999]))
    assert forbidden.json() == missing.json()


def test_a_dropped_student_loses_access(world, api):
    Enrolment.objects.filter(user=world.ug2).update(status=Enrolment.Status.DROPPED)
    api.as_user(world.ug2)
    assert api.get(reverse("api-courses")).json() == []
    for url in read_urls(world).values():
        assert_not_found(api.get(url))


def test_another_courses_assignment_is_404_for_a_member_here(world, api):
    other_hw = AssignmentFactory(course=world.other_course, code="HW1")
    api.as_user(world.ug1)
    assert_not_found(api.get(reverse("api-assignment", args=[other_hw.id])))
    other_section = world.other_course.sections.get()
    assert_not_found(api.get(reverse("api-section", args=[other_section.id])))


@pytest.mark.parametrize("what", ["course", "sections", "section", "assignments", "assignment"])
def test_anonymous_reads_are_refused(world, api, what):
    response = api.get(read_urls(world)[what])
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail", "code", "fields"}


# ---- query counts do not grow with the data ---------------------------------------------------------


def add_assignments(world, n: int, prefix: str = "EX") -> None:
    start = eastern(2023, 2, 20)
    for i in range(n):
        AssignmentFactory(course=world.course, code=f"{prefix}{i:03d}", due_at=start + timedelta(days=i))


def count_queries(api, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["ug1", "ta", "instructor"])
def test_assignment_list_queries_are_the_same_for_3_and_40(world, api, who, django_assert_num_queries):
    url = reverse("api-course-assignments", args=[world.course.id])
    api.as_user(getattr(world, who))
    add_assignments(world, 1)  # with PS0 and HW1: 3
    assert len(api.get(url).json()) == 3
    with CaptureQueriesContext(connection) as three:
        api.get(url)

    add_assignments(world, 37, prefix="MORE")
    with django_assert_num_queries(len(three.captured_queries)):
        response = api.get(url)
    assert len(response.json()) == 40


def test_assignment_list_query_budget(world, api, django_assert_max_num_queries):
    add_assignments(world, 38)
    api.as_user(world.ug1)
    with django_assert_max_num_queries(3):
        response = api.get(reverse("api-course-assignments", args=[world.course.id]))
    assert len(response.json()) == 40


@pytest.mark.parametrize("name", ["api-courses", "api-course-sections"])
def test_course_and_section_lists_do_not_grow(world, api, name, django_assert_max_num_queries):
    url = reverse(name) if name == "api-courses" else reverse(name, args=[world.course.id])
    api.as_user(world.instructor)
    baseline = count_queries(api, url)
    for i in range(10):  # more sections, students and courses to list
        section = SectionFactory(course=world.course, code=f"CS 4644-X{i}")
        EnrolmentFactory(section=section)
        StaffRoleFactory(user=world.instructor, role="instructor")
    with django_assert_max_num_queries(baseline):
        response = api.get(url)
    assert len(response.json()) == (11 if name == "api-courses" else 12)
