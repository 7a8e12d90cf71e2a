"""Fixtures for the grading tests: PS0 of the shared `world` with two questions, graded and released."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from courses.models import Assignment
from grading.models import Grade, Question, QuestionScore
from grading.services.grades import grade_enter, grades_release
from tests.grading.factories import QuestionFactory
from tests.helpers import at, error_of  # noqa: F401 (re-exported for the tests here)

NY = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
# PS0 grades come out Monday Feb 6 2023, 9:00 am EST; the regrade window closes a week later, same time.
RELEASED_AT = datetime(2023, 2, 6, 9, 0, tzinfo=NY)
WINDOW_ENDS = datetime(2023, 2, 13, 9, 0, tzinfo=NY)
SCORES = {"ug1": (7, 5), "ug2": (8, 9), "gr1": (6, 6)}


def score_of(grade: Grade, question: Question) -> Decimal | None:
    return (
        QuestionScore.objects.filter(grade=grade, question=question).values_list("score", flat=True).first()
    )


@dataclass
class Graded:
    world: object
    ps0: Assignment
    q1: Question
    q2: Question
    grades: dict[str, Grade]
    released_at: datetime
    deadline: datetime

    def grade(self, username: str) -> Grade:
        return Grade.objects.get(pk=self.grades[username].pk)


def enter_scores(world, assignment, q1, q2, *, now):
    grades = {}
    for username, (s1, s2) in SCORES.items():
        grades[username] = grade_enter(
            acting_user=world.ta,
            assignment_id=assignment.id,
            student_username=username,
            scores={q1.id: Decimal(s1), q2.id: Decimal(s2)},
            reason="Graded",
            now=now,
        )
    return grades


@pytest.fixture
def ungraded_ps0(world):
    ps0 = world.course.assignments.get(code="PS0")
    q1 = QuestionFactory(assignment=ps0, label="Q1", title="Probability", position=0)
    q2 = QuestionFactory(assignment=ps0, label="Q2", title="Calculus", position=1)
    return ps0, q1, q2


@pytest.fixture
def entered(world, ungraded_ps0) -> Graded:
    """PS0 scores entered by the TA for ug1, ug2 and gr1, not released yet."""
    ps0, q1, q2 = ungraded_ps0
    grades = enter_scores(world, ps0, q1, q2, now=RELEASED_AT - timedelta(days=1))
    return Graded(world, ps0, q1, q2, grades, released_at=None, deadline=None)


@pytest.fixture
def graded(world, entered) -> Graded:
    """PS0 graded and released by the instructor at RELEASED_AT: the regrade window is open until WINDOW_ENDS."""
    grades_release(acting_user=world.instructor, assignment_id=entered.ps0.id, now=RELEASED_AT)
    entered.grades = {u: Grade.objects.get(pk=g.pk) for u, g in entered.grades.items()}
    entered.released_at, entered.deadline = RELEASED_AT, WINDOW_ENDS
    assert entered.grades["ug1"].regrade_deadline == WINDOW_ENDS
    return entered
