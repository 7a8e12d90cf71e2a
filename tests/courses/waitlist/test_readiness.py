"""PS0/HW0 readiness: a score at or under the course's threshold (75%) flags "may not be prepared";
the student sees the notice on /join/ once the grade is released; the roster filters flagged students."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from courses.models import Assignment, User
from grading.selectors import readiness_by_student
from grading.services.grades import grade_enter, grades_release
from tests.courses.waitlist.helpers import join, open_term_for_joining
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory
from tests.grading.factories import QuestionFactory

NOTICE = "You may not be prepared for this class."


@pytest.fixture
def ps0(world):
    """PS0 with two questions worth 60 and 40 points, so a total is a percentage."""
    assignment = world.course.assignments.get(code="PS0")
    q1 = QuestionFactory(assignment=assignment, label="Q1", points=Decimal(60), position=0)
    q2 = QuestionFactory(assignment=assignment, label="Q2", points=Decimal(40), position=1)
    return assignment, q1, q2


def enter(world, ps0, username: str, total: str) -> None:
    """Enter a PS0 total (the first question takes what the second cannot)."""
    assignment, q1, q2 = ps0
    total = Decimal(total)
    first = min(total, q1.points)
    grade_enter(
        acting_user=world.ta,
        assignment_id=assignment.id,
        student_username=username,
        scores={q1.id: first, q2.id: total - first},
        reason="Graded",
    )


def release(world, ps0) -> None:
    grades_release(acting_user=world.instructor, assignment_id=ps0[0].id)


@pytest.fixture
def students(world):
    """s75, s74, s76 and s7501, enrolled in CS 4644 next to ug1 and ug2."""
    return {
        name: EnrolmentFactory(user=UserFactory(username=name), section=world.ug_section).user
        for name in ("s75", "s74", "s76", "s7501")
    }


@pytest.fixture
def graded(world, ps0, students):
    for name, total in {"s75": "75", "s74": "74", "s76": "76", "s7501": "75.01"}.items():
        enter(world, ps0, name, total)
    return students


def flags(world) -> dict[str, bool]:
    readiness = readiness_by_student(world.course)
    names = dict(User.objects.filter(id__in=readiness).values_list("id", "username"))
    return {names[i]: r.flagged for i, r in readiness.items()}


def test_the_threshold_is_75_percent_by_default(world):
    assert world.course.readiness_threshold_percent == Decimal(75)


def test_at_or_under_75_percent_is_flagged_and_over_is_not(world, graded):
    assert flags(world) == {"s75": True, "s74": True, "s76": False, "s7501": False}


def test_the_threshold_is_the_courses_setting(world, graded):
    world.course.readiness_threshold_percent = Decimal(74)
    world.course.save(update_fields=["readiness_threshold_percent"])
    assert flags(world) == {"s75": False, "s74": True, "s76": False, "s7501": False}


def test_either_preparation_assignment_at_or_under_the_threshold_flags(world, ps0, students):
    hw0 = AssignmentFactory(
        course=world.course, code="HW0", category=Assignment.Category.PREPARATION, weight=0
    )
    hw0_q = QuestionFactory(assignment=hw0, label="Q1", points=Decimal(100))
    enter(world, ps0, "s76", "90")
    grade_enter(
        acting_user=world.ta,
        assignment_id=hw0.id,
        student_username="s76",
        scores={hw0_q.id: Decimal(70)},
        reason="Graded",
    )
    readiness = readiness_by_student(world.course)[students["s76"].id]
    assert readiness.flagged
    assert dict(readiness.results) == {"HW0": Decimal("70.0"), "PS0": Decimal("90.0")}


# ---- the student's notice on /join/ -------------------------------------------------------------------


@pytest.fixture
def waitlisted(world, ps0, api):
    """Three students waitlisted for CS 7643-A (full), graded 75, 74 and 76 on PS0."""
    open_term_for_joining(world.course)
    world.gr_section.capacity = 1
    world.gr_section.save(update_fields=["capacity"])
    people = {}
    for name, total in {"w75": "75", "w74": "74", "w76": "76"}.items():
        people[name] = UserFactory(username=name)
        assert join(api, people[name], world.gr_section).status_code == 201
        enter(world, ps0, name, total)
    return people


def join_page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("join"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_notice_waits_for_the_release(world, ps0, waitlisted, client):
    for user in waitlisted.values():
        assert NOTICE not in join_page(client, user)


def test_after_the_release_only_flagged_students_see_the_notice(world, ps0, waitlisted, client):
    release(world, ps0)

    for name in ("w75", "w74"):
        html = join_page(client, waitlisted[name])
        assert NOTICE in html
        assert "data-readiness" in html
    assert "PS0 75.0%" in join_page(client, waitlisted["w75"])
    assert "PS0 74.0%" in join_page(client, waitlisted["w74"])
    assert NOTICE not in join_page(client, waitlisted["w76"])


def test_a_student_never_sees_another_students_readiness(world, ps0, waitlisted, client):
    release(world, ps0)
    html = join_page(client, waitlisted["w76"])
    assert "74.0%" not in html and "75.0%" not in html


# ---- the instructor's roster filter -----------------------------------------------------------------


def roster_students(client, user, course, query: str = "") -> set[str]:
    client.force_login(user)
    response = client.get(reverse("roster", args=[course.id]) + query)
    assert response.status_code == 200
    html = response.content.decode()
    return set(re.findall(r'<tr data-student="([^"]+)"', html))


def test_the_roster_lists_only_flagged_students_when_asked(world, graded, client):
    everyone = roster_students(client, world.instructor, world.course)
    flagged = roster_students(client, world.instructor, world.course, "?readiness=flagged")

    assert {"ug1", "ug2", "gr1", "s75", "s74", "s76", "s7501"} <= everyone
    assert flagged == {"s75", "s74"}


def test_the_roster_counts_the_flagged_students_before_release(world, graded, client):
    client.force_login(world.instructor)
    html = client.get(reverse("roster", args=[world.course.id])).content.decode()
    assert "2 students may not be prepared" in html
    assert html.count("may not be prepared</span>") == 2
