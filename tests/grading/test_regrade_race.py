"""Two staff members resolve the same open request at the same moment: exactly one wins, the other gets a
Conflict (409 through the API) and changes nothing. The threads race for real on PostgreSQL (row locks)
and on SQLite (a file database whose transactions take the write lock when they begin)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from grading.models import GradeChange, QuestionScore, RegradeRequest
from grading.services.regrades import regrade_request_create, regrade_request_resolve
from portal.errors import Conflict
from tests.grading.conftest import RELEASED_AT, at, error_of

ROUNDS = 5


def make_request(graded, username="ug1", question=None):
    grade = graded.grade(username)
    return regrade_request_create(
        acting_user=grade.student,
        grade_id=grade.id,
        question_id=(question or graded.q2).id,
        justification="Please look again.",
        now=RELEASED_AT + timedelta(days=1),
    )


def race(resolvers):
    """Run each callable in its own thread, released together by a barrier; return (results, errors)."""
    barrier = threading.Barrier(len(resolvers))
    results, errors = [], []

    def run(fn):
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except BaseException as exc:  # collected and checked by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in resolvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a resolver hung"
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_resolvers_at_once_exactly_one_wins(graded, mailoutbox):
    world = graded.world
    students = ["ug1", "ug2", "gr1"]
    questions = [graded.q1, graded.q2]
    targets = [(s, q) for s in students for q in questions][:ROUNDS]
    for round_no, (username, question) in enumerate(targets):
        request = make_request(graded, username, question)
        old = QuestionScore.objects.get(grade=request.grade, question=question).score
        history_before = GradeChange.objects.filter(grade=request.grade).count()
        scores = {"ta": Decimal("9.5"), "instructor": Decimal("10")}  # differ from every entered score

        def resolver(user, score, request_id=request.id):
            return lambda: regrade_request_resolve(
                acting_user=user,
                request_id=request_id,
                decision="accepted",
                new_score=score,
                response=f"Fixed by {user.username}.",
            )

        results, errors = race(
            [resolver(world.ta, scores["ta"]), resolver(world.instructor, scores["instructor"])]
        )
        assert len(results) == 1, f"round {round_no}: {results} {errors}"
        assert len(errors) == 1 and isinstance(errors[0], Conflict), f"round {round_no}: {errors!r}"
        assert errors[0].status_code == 409

        winner = results[0]
        request.refresh_from_db()
        assert request.state == RegradeRequest.State.ACCEPTED
        assert request.resolved_by_id == winner.resolved_by_id
        assert request.new_score == winner.new_score
        assert QuestionScore.objects.get(grade=request.grade, question=question).score == winner.new_score
        regrade_rows = GradeChange.objects.filter(grade=request.grade, source=GradeChange.Source.REGRADE)
        assert regrade_rows.filter(question=question).count() == 1
        row = regrade_rows.get(question=question)
        assert (row.old_score, row.new_score, row.changed_by_id) == (
            old,
            winner.new_score,
            winner.resolved_by_id,
        )
        assert GradeChange.objects.filter(grade=request.grade).count() == history_before + 1
    # One e-mail per request: the loser sends nothing.
    assert len(mailoutbox) == len(targets)


@pytest.mark.django_db
def test_the_api_answers_409_in_the_error_shape_for_the_loser(graded, api):
    world = graded.world
    request = make_request(graded)
    url = f"/api/v1/regrade-requests/{request.id}/resolve/"
    with at(RELEASED_AT + timedelta(days=2)):
        first = api.as_user(world.ta).post(
            url, {"decision": "accepted", "new_score": "9", "response": "Fixed."}, format="json"
        )
        assert first.status_code == 200
        before = (
            list(RegradeRequest.objects.values()),
            list(QuestionScore.objects.values()),
            GradeChange.objects.count(),
        )
        second = api.as_user(world.instructor).post(
            url, {"decision": "rejected", "response": "No."}, format="json"
        )
    assert second.status_code == 409
    body = error_of(second)
    assert body["code"] == "conflict"
    assert body["fields"] == {}
    assert "accepted" in body["detail"]
    assert before == (
        list(RegradeRequest.objects.values()),
        list(QuestionScore.objects.values()),
        GradeChange.objects.count(),
    )
    assert QuestionScore.objects.get(grade=request.grade, question=graded.q2).score == Decimal(9)


@pytest.mark.django_db(transaction=True)
def test_two_first_grade_entries_at_once_share_one_total_question(graded):
    """An assignment graded without questions gets one "Total" question on its first grade entry. Two at
    once: the second waits on the first's insert (the label is unique per assignment) and then uses the
    question the first made, instead of failing with an integrity error (a 500)."""
    import time

    from django.db import transaction

    from grading.models import Question
    from grading.services.grades import questions_ensure
    from tests.factories import AssignmentFactory

    assignment = AssignmentFactory(course=graded.world.course, code="HW9")
    inserted = threading.Event()

    def first():
        with transaction.atomic():
            made = questions_ensure(assignment=assignment)
            inserted.set()
            time.sleep(0.5)  # the second reaches its insert and waits on this one's
        return made

    def second():
        assert inserted.wait(timeout=10)
        return questions_ensure(assignment=assignment)

    results, errors = race([first, second])
    assert errors == []
    assert Question.objects.filter(assignment=assignment).count() == 1
    total = Question.objects.get(assignment=assignment)
    assert (total.label, total.points) == ("Total", assignment.points)
    assert [[q.pk for q in made] for made in results] == [[total.pk], [total.pk]]
