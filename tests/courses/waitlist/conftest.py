"""The waitlist tests' fixture: CS 7643-A of the shared `world`, full, with PS0 and HW0."""

from dataclasses import dataclass

import pytest

from courses.models import Assignment, Section, User
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern


@dataclass
class Full:
    """CS 7643-A of the shared `world`, full at 3 of 3 seats in a room for 5."""

    world: object
    section: Section
    seated: list[User]
    ps0: Assignment
    hw0: Assignment

    def student(self, username: str) -> User:
        return UserFactory(username=username)


@pytest.fixture
def full(world) -> Full:
    section = world.gr_section
    seated = [world.gr1]
    for i in (2, 3):
        seated.append(EnrolmentFactory(user=UserFactory(username=f"gr{i}"), section=section).user)
    Section.objects.filter(pk=section.pk).update(capacity=3, room_capacity=5)
    section.refresh_from_db()
    hw0 = AssignmentFactory(
        course=world.course,
        code="HW0",
        title="Homework 0",
        category=Assignment.Category.PREPARATION,
        weight=0,
        due_at=eastern(2023, 1, 15),
        grace_allowed=False,
        collaboration_allowed=False,
        counts_toward_grade=False,
    )
    return Full(world, section, seated, world.course.assignments.get(code="PS0"), hw0)
