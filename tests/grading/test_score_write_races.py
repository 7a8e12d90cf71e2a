"""Scores written while something else changes the same grade or question, run for real in two threads
on PostgreSQL (row locks; SQLite, the demo's database, writes one transaction at a time):

- two graders entering a student's first scores at once (TA1 marks Q1, TA2 marks Q2, the usual split of
  grading): both land; before, the second request failed with a 500 (grade_unique) and its score was lost;
- the instructor lowering a question's points while a grader's entry is in flight, in either order: no
  score ends above its question's points (one of the two is refused, saying what to do); before, both
  committed and left 9 points on a 5-point question.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from grading.models import Question, QuestionScore
from grading.services.grades import grade_enter
from grading.services.outline import question_update
from portal.errors import PortalError
from tests.factories import StaffRoleFactory, UserFactory
from tests.grading.factories import QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)
HOLD = 1.0  # how long the first writer keeps its transaction open once the second one has started


def in_thread(fn, outcome: dict, key: str) -> threading.Thread:
    def run():
        try:
            outcome[key] = fn()
        except BaseException as exc:  # checked by the test
            outcome[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def held_open(fn, started: threading.Event):
    """Run fn in a transaction that stays open HOLD seconds after it is done (a slow request)."""

    def run():
        with transaction.atomic():
            result = fn()
            started.set()
            threading.Event().wait(HOLD)
        return result

    return run


@pytest.fixture
def hw1(world):
    assignment = world.course.assignments.get(code="HW1")
    QuestionFactory(assignment=assignment, label="Q1", points=Decimal(10), position=1)
    QuestionFactory(assignment=assignment, label="Q2", points=Decimal(10), position=2)
    return assignment


def q(hw1, label) -> Question:
    return hw1.questions.get(label=label)


def scores_of(world, hw1) -> dict:
    return dict(
        QuestionScore.objects.filter(grade__student=world.ug1, grade__assignment=hw1).values_list(
            "question__label", "score"
        )
    )


def test_two_graders_entering_a_students_first_scores_at_once_both_land(world, hw1):
    ta_b = StaffRoleFactory(user=UserFactory(username="ta_b"), course=world.course).user
    started, outcome = threading.Event(), {}

    def ta1():
        grade_enter(
            acting_user=world.ta, assignment_id=hw1.id, student_username="ug1", scores={q(hw1, "Q1").id: 7}
        )

    def ta2():
        started.wait(timeout=20)
        client = APIClient()
        client.force_authenticate(ta_b)
        return client.post(
            reverse("api-assignment-grades", args=[hw1.id]),
            {"student": "ug1", "scores": {str(q(hw1, "Q2").id): "8"}},
            format="json",
        ).status_code

    threads = [in_thread(held_open(ta1, started), outcome, "ta1"), in_thread(ta2, outcome, "ta2")]
    for t in threads:
        t.join(timeout=40)

    assert outcome == {"ta1": None, "ta2": 200}
    assert scores_of(world, hw1) == {"Q1": Decimal(7), "Q2": Decimal(8)}


def test_lowering_the_points_while_a_score_above_them_is_entered_is_refused(world, hw1):
    started, outcome = threading.Event(), {}

    def grader():
        grade_enter(
            acting_user=world.ta, assignment_id=hw1.id, student_username="ug1", scores={q(hw1, "Q1").id: 9}
        )

    def instructor():
        started.wait(timeout=20)
        return question_update(acting_user=world.instructor, question_id=q(hw1, "Q1").id, points="5")

    threads = [in_thread(held_open(grader, started), outcome, "grader"), in_thread(instructor, outcome, "i")]
    for t in threads:
        t.join(timeout=40)

    assert outcome["grader"] is None
    assert isinstance(outcome["i"], PortalError) and outcome["i"].code == "scores_above_points", outcome
    assert q(hw1, "Q1").points == Decimal(10)
    assert scores_of(world, hw1) == {"Q1": Decimal(9)}


def test_a_score_above_points_lowered_meanwhile_is_refused(world, hw1):
    started, outcome = threading.Event(), {}

    def instructor():
        question_update(acting_user=world.instructor, question_id=q(hw1, "Q1").id, points="5")

    def grader():
        started.wait(timeout=20)
        return grade_enter(
            acting_user=world.ta, assignment_id=hw1.id, student_username="ug1", scores={q(hw1, "Q1").id: 9}
        )

    threads = [in_thread(held_open(instructor, started), outcome, "i"), in_thread(grader, outcome, "grader")]
    for t in threads:
        t.join(timeout=40)

    assert outcome["i"] is None
    refusal = outcome["grader"]
    assert isinstance(refusal, PortalError), outcome
    assert refusal.detail == "Q1 is worth 5.00 points; enter a score from 0 to 5.00."
    assert q(hw1, "Q1").points == Decimal(5)
    assert scores_of(world, hw1) == {}
