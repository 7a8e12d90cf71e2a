"""A course outside New York: its deadlines and extensions carry its own zone's offset, and naive
times are read in its zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from courses.models import Extension, StaffRole
from courses.services.deadlines import deadline_recompute
from tests.courses.helpers import at, utc
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    EnrolmentFactory,
    SectionFactory,
    StaffRoleFactory,
    UserFactory,
)

LA = ZoneInfo("America/Los_Angeles")


def _west_course():
    course = CourseFactory(code="CS 1000", time_zone="America/Los_Angeles")
    section = SectionFactory(course=course, code="CS 1000-A")
    student = EnrolmentFactory(user=UserFactory(username="west"), section=section).user
    teacher = StaffRoleFactory(
        user=UserFactory(username="west_prof"), course=course, role=StaffRole.Role.INSTRUCTOR
    ).user
    hw = AssignmentFactory(course=course, code="HW1", due_at=datetime(2023, 2, 12, 23, 59, tzinfo=LA))
    deadline_recompute(assignment_id=hw.id)
    return course, student, teacher, hw


def test_deadlines_carry_the_course_zone_offset(db, api):
    _, student, _, _ = _west_course()
    with at(utc(2023, 2, 1)):
        rows = api.as_user(student).get(reverse("api-my-deadlines")).json()
    assert rows[0]["due_at"] == "2023-02-12T23:59:00-08:00"
    assert rows[0]["grace_ends_at"] == "2023-02-14T23:59:00-08:00"


def test_naive_extension_time_is_read_in_the_course_zone(db, api):
    _, student, teacher, hw = _west_course()
    response = api.as_user(teacher).post(
        reverse("api-extensions"),
        {
            "student": student.username,
            "assignment": hw.id,
            "due_at": "2023-02-16T23:59",
            "dean_reference": "DOS-1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["due_at"] == "2023-02-16T23:59:00-08:00"
    assert Extension.objects.get().due_at == datetime(2023, 2, 16, 23, 59, tzinfo=LA)
