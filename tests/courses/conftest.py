"""Fixtures for the courses tests. The project-team tests start from the course's grading scheme (the
teams' project is graded), which the grading tests define."""

import pytest

from courses.models import Course
from tests.factories import AssignmentFactory, eastern
from tests.grading.exports.conftest import scheme  # noqa: F401 (fixture)


@pytest.fixture
def bank(world):
    """The course under the late-day bank: 3 days a term, at most 2 on one assignment; PS0 allows no late
    time; HW1 (due Sun Feb 12), HW2 (Feb 26) and HW3 (Mar 19), every deadline stored."""
    course = world.course
    course.late_policy = Course.LatePolicy.LATE_DAYS
    course.late_day_bank = 3
    course.late_days_per_assignment = 2
    course.save()
    AssignmentFactory(course=course, code="HW2", due_at=eastern(2023, 2, 26))
    AssignmentFactory(course=course, code="HW3", due_at=eastern(2023, 3, 19))
    world.recompute()
    return world
