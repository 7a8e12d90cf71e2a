"""The instructors' extensions page (issue 13, item 3): every extension of the course per assignment or per
student, with the class's and the new due time in the course's zone with their offsets, the Dean of
Students' reference, who granted it and when, and a Revoke button that says what goes back; a grant form
whose student picker finds the course's students (GET /api/v1/courses/{id}/students/?q=, or the page's own
?q= without the script) and whose due time is labelled with the course zone's offset. The extension list
API filters by assignment and student and is paginated."""

import html as htmllib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Enrolment, Extension
from courses.services.extensions import extension_grant
from tests.courses.helpers import at
from tests.factories import AssignmentFactory, EnrolmentFactory, StaffRoleFactory, UserFactory, eastern
from tests.helpers import error_of


def name(user, first, last):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


@pytest.fixture
def granted(world):
    """HW1 extended for ug1 (Sun Feb 19) and gr1 (Mon Feb 20), HW2 for ug1 to Mon Mar 13: after the
    change to daylight saving time on Sun Mar 12."""
    name(world.ug1, "Ulla", "Quarrington")
    name(world.ug2, "Umar", "Baker")
    name(world.gr1, "Grace", "Hopper")
    hw1 = world.course.assignments.get(code="HW1")
    hw2 = AssignmentFactory(course=world.course, code="HW2", title="Homework 2", due_at=eastern(2023, 2, 26))
    with at(eastern(2023, 2, 10, 9, 30)):
        for student, assignment, due, reference in (
            ("ug1", hw1, eastern(2023, 2, 19), "DOS-0101"),
            ("gr1", hw1, eastern(2023, 2, 20), "DOS-0102"),
            ("ug1", hw2, eastern(2023, 3, 13), "DOS-0103"),
        ):
            extension_grant(
                acting_user=world.instructor,
                student_username=student,
                assignment_id=assignment.id,
                due_at=due,
                dean_reference=reference,
            )
    world.hw1, world.hw2 = hw1, hw2
    return world


def page(client, user, **query) -> str:
    client.force_login(user)
    response = client.get(reverse("course-extensions", args=[user_course(user)]), query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def user_course(user) -> int:
    return user.staff_roles.get().course_id


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def groups(html: str) -> list[str]:
    return [
        htmllib.unescape(g)
        for g in re.findall(r'<section aria-labelledby="group-\d+" data-group="([^"]+)"', html)
    ]


def row(html: str, key: str) -> str:
    match = re.search(rf'<tr data-extension="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {key}"
    return match.group(1)


# ---- the list ------------------------------------------------------------------------------------------


def test_each_extension_shows_both_due_times_with_offsets_the_reference_and_who_granted_it(granted, client):
    html = page(client, granted.instructor)
    assert groups(html) == [f"HW1: {granted.hw1.title}", "HW2: Homework 2"]
    ug1_hw1 = row(html, "HW1/ug1")
    assert text(ug1_hw1).startswith("Quarrington, Ulla (ug1, CS 4644) HW1")
    assert "Sun Feb 12 2023, 11:59 pm EST (UTC-05:00)" in text(ug1_hw1)  # the class's
    assert "Sun Feb 19 2023, 11:59 pm EST (UTC-05:00)" in text(ug1_hw1)  # the new one
    assert "DOS-0101" in ug1_hw1
    assert "by instructor, Fri Feb 10 2023, 9:30 am EST (UTC-05:00)" in text(ug1_hw1)
    assert "(gr1, CS 7643-A)" in row(html, "HW1/gr1")
    hw2 = text(row(html, "HW2/ug1"))
    assert "Sun Feb 26 2023, 11:59 pm EST (UTC-05:00)" in hw2
    assert "Mon Mar 13 2023, 11:59 pm EDT (UTC-04:00)" in hw2  # the offset of that date, not of today's
    # Within an assignment, by name: Hopper before Quarrington.
    assert re.findall(r'data-extension="HW1/(\w+)"', html) == ["gr1", "ug1"]


def test_revoke_asks_first_and_says_what_goes_back(granted, client):
    html = page(client, granted.instructor)
    extension = Extension.objects.get(student=granted.ug1, assignment=granted.hw2)
    form = re.search(r"<form[^>]*data-method=\"DELETE\"[^>]*>", row(html, "HW2/ug1")).group(0)
    assert f'data-api="{reverse("api-extension", args=[extension.id])}"' in form
    assert htmllib.unescape(re.search(r'data-confirm="([^"]+)"', form).group(1)) == (
        "Ulla Quarrington (ug1)'s HW2 due time goes back to the class's: Sun Feb 26 2023, 11:59 pm EST "
        "(UTC-05:00). Anything they submitted after the class's window closed then counts 0."
    )
    assert htmllib.unescape(re.search(r'data-confirm-action="([^"]+)"', form).group(1)) == (
        "Revoke ug1's HW2 extension"
    )


def test_grouped_per_student_by_name_each_with_their_assignments_in_due_order(granted, client):
    html = page(client, granted.instructor, by="student")
    assert groups(html) == ["Grace Hopper (gr1)", "Ulla Quarrington (ug1)"]
    assert re.findall(r'data-extension="(\w+/\w+)"', html) == ["HW1/gr1", "HW1/ug1", "HW2/ug1"]
    assert 'href="?by=student" aria-current="page"' in html


def test_a_course_without_extensions_says_so(world, client):
    assert "No extensions yet." in page(client, world.instructor)


@pytest.mark.parametrize("who", ["ta", "section_ta", "ug1", "other_ta", "other_student"])
def test_only_the_courses_instructors_open_the_page(granted, client, who):
    if who == "section_ta":
        user = UserFactory(username="section_ta")
        StaffRoleFactory(user=user, course=granted.course, section=granted.gr_section)
    else:
        user = getattr(granted, who)
    client.force_login(user)
    response = client.get(reverse("course-extensions", args=[granted.course.id]))
    assert response.status_code == 404
    assert b"DOS-01" not in response.content


def test_the_staff_page_links_to_it_for_instructors_only(world, client):
    url = reverse("course-extensions", args=[world.course.id])
    client.force_login(world.instructor)
    assert f'href="{url}"' in client.get(reverse("staff-course", args=[world.course.id])).content.decode()
    client.force_login(world.ta)
    assert f'href="{url}"' not in client.get(reverse("staff-course", args=[world.course.id])).content.decode()


def test_the_page_runs_a_fixed_number_of_queries(granted, client):
    client.force_login(granted.instructor)
    url = reverse("course-extensions", args=[granted.course.id])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(6):
        student = EnrolmentFactory(user=UserFactory(username=f"more{i}"), section=granted.ug_section).user
        Extension.objects.create(
            student=student,
            assignment=granted.hw1,
            due_at=eastern(2023, 2, 18),
            dean_reference=f"DOS-9{i}",
            granted_by=granted.instructor,
            granted_at=eastern(2023, 2, 10, 10, 0),
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, {"by": "student"}).status_code == 200
    assert len(many) == len(few) <= 12, [q["sql"] for q in many.captured_queries]


# ---- the grant form: the due time in the course's zone -------------------------------------------------


def due_label(html: str) -> str:
    return text(re.search(r'<label for="grant-due">(.*?)</label>', html, re.S).group(1))


def test_the_due_time_is_labelled_with_the_zone_and_its_offset(world, client):
    with at(eastern(2023, 1, 20, 10, 0)):
        html = page(client, world.instructor)
    assert due_label(html) == "New due time (America/New_York, UTC-05:00)"
    assert 'data-course-zone="America/New_York"' in html
    # The term has a change to daylight saving time: the form says when, and what the offset becomes.
    assert "Clocks change on Sun Mar 12 2023: UTC-05:00 before, UTC-04:00 from then on." in text(html)
    with at(eastern(2023, 4, 3, 10, 0)):
        assert due_label(page(client, world.instructor)) == "New due time (America/New_York, UTC-04:00)"


def test_a_naive_due_time_is_read_in_the_course_zone_with_that_dates_offset(world, api, client):
    """What the form posts (a datetime-local value, no offset): the API reads it in the course's zone."""
    name(world.ug1, "Ulla", "Quarrington")
    hw1 = world.course.assignments.get(code="HW1")
    for due, expected in (
        ("2023-03-11T23:59", "2023-03-11T23:59:00-05:00"),  # Saturday: still EST
        ("2023-03-13T23:59", "2023-03-13T23:59:00-04:00"),  # Monday: EDT
    ):
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"),
            {"student": "ug1", "assignment": hw1.id, "due_at": due, "dean_reference": "DOS-7"},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["due_at"] == expected
    assert "Mon Mar 13 2023, 11:59 pm EDT (UTC-04:00)" in text(row(page(client, world.instructor), "HW1/ug1"))


def test_the_assignments_to_pick_show_their_class_due_time(world, client):
    html = page(client, world.instructor)
    options = [text(o) for o in re.findall(r"<option value=\"\d+\"[^>]*>(.*?)</option>", html)]
    assert options[0].startswith("PS0: ") and options[0].endswith(
        "(class due Sun Jan 15 2023, 11:59 pm EST (UTC-05:00))"
    )
    assert options[1].startswith("HW1: ")


# ---- the student picker ---------------------------------------------------------------------------------


@pytest.fixture
def roster(world):
    """Named students: ug1 Ulla Quarrington and ug2 Umar Baker (CS 4644), gr1 Grace Hopper (CS 7643-A),
    waiting Wanda Quist (CS 7643-A waitlist), gone Gus Quarles (dropped), a TA also enrolled (staff: never
    offered) and a student of another course."""
    name(world.ug1, "Ulla", "Quarrington")
    name(world.ug2, "Umar", "Baker")
    name(world.gr1, "Grace", "Hopper")
    waiting = EnrolmentFactory(
        user=UserFactory(username="waiting", first_name="Wanda", last_name="Quist"),
        section=world.gr_section,
        status=Enrolment.Status.WAITLISTED,
    ).user
    EnrolmentFactory(
        user=UserFactory(username="gone", first_name="Gus", last_name="Quarles"),
        section=world.ug_section,
        status=Enrolment.Status.DROPPED,
    )
    EnrolmentFactory(user=world.ta, section=world.ug_section)  # a staff member in the roster by mistake
    name(world.other_student, "Quentin", "Quarrington")
    return world, waiting


def search(api, user, course_id, q="", **params):
    return api.as_user(user).get(reverse("api-course-students", args=[course_id]), {"q": q, **params})


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["ug2", "gr1", "ug1", "waiting"]),  # everyone, by last name: Baker, Hopper, Quarrington, Quist
        ("qu", ["ug1", "waiting"]),  # part of a name (never the dropped Quarles, nor another course's)
        ("ULLA", ["ug1"]),
        ("ug", ["ug2", "ug1"]),  # part of a username
        ("7643", ["gr1", "waiting"]),  # the section
        ("ulla 4644", ["ug1"]),  # every word must match
        ("grace 4644", []),
        ("ta1", []),  # staff are never offered
        ("nobody", []),
    ],
)
def test_the_picker_finds_the_courses_students_by_name_username_or_section(roster, api, q, expected):
    world, _ = roster
    response = search(api, world.instructor, world.course.id, q)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [s["username"] for s in body["results"]] == expected
    assert body["count"] == len(expected)


def test_each_student_comes_with_name_section_and_status(roster, api):
    world, _ = roster
    body = search(api, world.ta, world.course.id, "quist").json()
    assert body["results"] == [
        {"username": "waiting", "name": "Wanda Quist", "section": "CS 7643-A", "status": "waitlisted"}
    ]


def test_a_section_ta_finds_their_sections_students_only(roster, api):
    world, _ = roster
    ta = UserFactory(username="section_ta")
    StaffRoleFactory(user=ta, course=world.course, section=world.gr_section)
    assert [s["username"] for s in search(api, ta, world.course.id).json()["results"]] == ["gr1", "waiting"]
    assert search(api, ta, world.course.id, "ulla").json()["results"] == []


@pytest.mark.parametrize("who", ["ug1", "other_ta", "other_student"])
def test_students_and_other_courses_staff_find_nothing(roster, api, who):
    world, _ = roster
    body = error_of(search(api, getattr(world, who), world.course.id, "u"), 404)
    assert "Quarrington" not in str(body)


def test_the_picker_is_paginated_and_its_queries_do_not_grow(roster, api, django_assert_max_num_queries):
    world, _ = roster
    for i in range(12):
        EnrolmentFactory(
            user=UserFactory(username=f"extra{i:02d}", last_name="Zed"), section=world.ug_section
        )
    with django_assert_max_num_queries(8):
        body = search(api, world.instructor, world.course.id, "", page_size=5).json()
    assert body["count"] == 16
    assert len(body["results"]) == 5
    assert body["next"] and body["previous"] is None


def test_without_the_script_the_page_searches_and_fills_the_form(roster, client):
    world, _ = roster
    html = page(client, world.instructor, q="qu")
    matches = re.search(r"<div aria-live=\"polite\" data-matches>(.*?)</div>", html, re.S).group(1)
    assert text(matches) == (
        "Students matching “qu”: pick one to fill the form. Quarrington, Ulla (ug1, CS 4644) "
        "Quist, Wanda (waiting, CS 7643-A, waitlisted)"
    )
    assert 'href="?by=assignment&amp;q=qu&amp;student=ug1#grant"' in matches
    picked = page(client, world.instructor, q="qu", student="ug1")
    assert re.search(r'<input type="text" id="grant-student" name="student" value="ug1"', picked)
    nothing = page(client, world.instructor, q="zzz")
    assert "No student of CS 4644 / CS 7643-A matches “zzz”." in text(nothing)


# ---- GET /api/v1/extensions/: filters and pages -----------------------------------------------------------


def listed(api, user, **params):
    response = api.as_user(user).get(reverse("api-extensions"), params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    return [(e["assignment"], e["student"]) for e in body["results"]]


def test_the_list_filters_by_assignment_and_student(granted, api):
    hw1, hw2 = granted.hw1.id, granted.hw2.id
    assert listed(api, granted.instructor) == [(hw1, "gr1"), (hw1, "ug1"), (hw2, "ug1")]
    assert listed(api, granted.instructor, assignment=hw1) == [(hw1, "gr1"), (hw1, "ug1")]
    assert listed(api, granted.instructor, student="ug1") == [(hw1, "ug1"), (hw2, "ug1")]
    assert listed(api, granted.instructor, assignment=hw2, student="ug1") == [(hw2, "ug1")]
    assert listed(api, granted.ug1, student="gr1") == []  # a student's list is their own, filtered or not
    assert listed(api, granted.instructor, page_size=2) == [(hw1, "gr1"), (hw1, "ug1")]


@pytest.mark.parametrize("bad", ["abc", "0", str(2**64)])
def test_a_bad_assignment_filter_is_a_400(granted, api, bad):
    body = error_of(api.as_user(granted.instructor).get(reverse("api-extensions"), {"assignment": bad}), 400)
    assert "assignment" in body["fields"]


def test_the_list_runs_a_fixed_number_of_queries(granted, api, django_assert_max_num_queries):
    for i in range(5):
        student = EnrolmentFactory(user=UserFactory(username=f"more{i}"), section=granted.ug_section).user
        extension_grant(
            acting_user=granted.instructor,
            student_username=student.username,
            assignment_id=granted.hw1.id,
            due_at=granted.hw1.due_at + timedelta(days=2),
            dean_reference=f"DOS-8{i}",
        )
    with django_assert_max_num_queries(6):
        assert len(listed(api, granted.instructor)) == 8


@pytest.mark.parametrize("q", ["ulla\x00", "u" * 101])
def test_a_search_that_is_not_a_name_is_a_400(roster, api, q):
    world, _ = roster
    body = error_of(search(api, world.instructor, world.course.id, q), 400)
    assert set(body["fields"]) == {"q"}


def test_the_pages_search_ignores_what_cannot_be_in_a_name(roster, client):
    world, _ = roster
    html = page(client, world.instructor, q="ulla\x00")
    assert "Quarrington, Ulla (ug1, CS 4644)" in text(html)
