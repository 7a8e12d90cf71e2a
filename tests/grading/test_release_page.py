"""Releasing grades from the grade grid: the time is entered in the course's zone (labelled with it and
its offset), and a release while the class's window is still open or with no grades asks first, saying
why."""

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from grading.services.grades import grade_enter
from tests.grading.factories import QuestionFactory
from tests.helpers import at
from tests.test_pages import text_of

MINUTE = timedelta(minutes=1)


def _release_form(response) -> str:
    html = response.content.decode()
    match = re.search(r'<form data-api="[^"]*/release-grades/"[^>]*>', html, re.S)
    assert match, "no release form"
    return match.group(0)


def _grade_hw1(world):
    hw1 = world.course.assignments.get(code="HW1")
    question = QuestionFactory(assignment=hw1, label="Total", points=Decimal(100), position=0)
    grade_enter(
        acting_user=world.ta,
        assignment_id=hw1.id,
        student_username="ug1",
        scores={question.id: Decimal(90)},
        reason="Graded",
    )
    return hw1


def test_release_time_is_labelled_with_the_course_zone(world, client):
    hw1 = _grade_hw1(world)
    client.force_login(world.instructor)
    with at(hw1.due_at + timedelta(days=20)):  # Mar 4 2023: EST, before the clocks change on Mar 12
        response = client.get(reverse("grade-grid", args=[hw1.id]))
    text = text_of(response)
    assert "Release at (America/New_York, UTC-05:00)" in text and "leave empty to release now" in text
    assert 'data-course-zone="America/New_York"' in response.content.decode()
    with at(hw1.due_at + timedelta(days=30)):  # Mar 14 2023: the clocks changed on Mar 12
        response = client.get(reverse("grade-grid", args=[hw1.id]))
    assert "Release at (America/New_York, UTC-04:00)" in text_of(response)


def test_release_inside_the_grace_period_asks_first(world, client):
    """HW1 is due Sun Feb 12 2023 11:59 pm with a 2-day grace period: its window closes Tue Feb 14 11:59 pm."""
    hw1 = _grade_hw1(world)
    closes = hw1.due_at + timedelta(days=2)
    client.force_login(world.instructor)
    with at(closes - MINUTE):
        response = client.get(reverse("grade-grid", args=[hw1.id]))
    form = _release_form(response)
    assert "data-confirm=" in form
    assert "HW1&#x27;s window is still open until Tue Feb 14 2023, 11:59 pm EST (UTC-05:00)" in form
    assert "HW1&#x27;s window is still open" in response.content.decode().split(form)[1]  # also shown as text
    with at(closes + MINUTE):
        response = client.get(reverse("grade-grid", args=[hw1.id]))
    assert "data-confirm=" not in _release_form(response)


def test_release_with_no_grades_asks_first(world, client):
    ps0 = world.course.assignments.get(code="PS0")
    QuestionFactory(assignment=ps0, label="Total", points=Decimal(10), position=0)
    client.force_login(world.instructor)
    with at(ps0.due_at + timedelta(days=10)):
        response = client.get(reverse("grade-grid", args=[ps0.id]))
    form = _release_form(response)
    assert "No grades are entered for PS0 yet: students would see nothing." in form
    assert 'data-confirm-action="Release PS0 grades"' in form


def test_tas_see_no_release_form(world, client):
    hw1 = _grade_hw1(world)
    client.force_login(world.ta)
    response = client.get(reverse("grade-grid", args=[hw1.id]))
    assert "/release-grades/" not in response.content.decode()
