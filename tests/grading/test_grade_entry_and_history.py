"""Staff enter and change scores through the API; every change is kept, append-only, with who, when,
old, new and why. Bad input is a field-level 400 that changes nothing."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.forms.models import model_to_dict

from grading.models import Grade, GradeChange, QuestionScore
from tests.grading.conftest import NY, at, error_of, score_of

pytestmark = pytest.mark.django_db

ENTERED_AT = datetime(2023, 2, 1, 14, 30, tzinfo=NY)
CHANGED_AT = datetime(2023, 2, 5, 10, 15, tzinfo=NY)  # after the entry (Feb 5, 9:00)


def entry_url(assignment):
    return f"/api/v1/assignments/{assignment.id}/grades/"


def grade_url(grade, suffix=""):
    return f"/api/v1/grades/{grade.id}/{suffix}"


def snapshot():
    """Every grading row a score write could touch."""
    return {
        "grades": [model_to_dict(g, exclude=["updated_at"]) for g in Grade.objects.order_by("pk")],
        "scores": list(QuestionScore.objects.order_by("pk").values()),
        "history": list(GradeChange.objects.order_by("pk").values()),
    }


def scores_by_label(body):
    return {s["label"]: s["score"] for s in body["scores"]}


def test_staff_enter_scores_and_each_score_gets_one_history_row(world, api, ungraded_ps0):
    ps0, q1, q2 = ungraded_ps0
    with at(ENTERED_AT):
        response = api.as_user(world.ta).post(
            entry_url(ps0), {"student": "ug1", "scores": {str(q1.id): 7, str(q2.id): "4.5"}}, format="json"
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["student"] == "ug1"
    assert body["assignment"]["code"] == "PS0"
    assert scores_by_label(body) == {"Q1": "7.00", "Q2": "4.50"}
    assert body["total"] == "11.50"
    assert body["points_possible"] == "20.00"
    assert body["released_at"] is None

    grade = Grade.objects.get(pk=body["id"])
    history = list(grade.history.order_by("question__position"))
    assert [(h.question, h.old_score, h.new_score) for h in history] == [
        (q1, None, Decimal("7.00")),
        (q2, None, Decimal("4.50")),
    ]
    for change in history:
        assert change.changed_by == world.ta
        assert change.changed_at == ENTERED_AT
        assert change.source == GradeChange.Source.ENTRY
        assert change.reason  # a first entry is explained too ("Entered")


def test_instructor_can_enter_scores_too(world, api, ungraded_ps0):
    ps0, q1, _ = ungraded_ps0
    response = api.as_user(world.instructor).post(
        entry_url(ps0), {"student": "gr1", "scores": {str(q1.id): 10}}, format="json"
    )
    assert response.status_code == 200
    assert GradeChange.objects.get().changed_by == world.instructor


def test_patch_changes_a_score_and_appends_exactly_one_history_row(world, api, entered):
    grade = entered.grade("ug1")
    before = list(GradeChange.objects.filter(grade=grade).values_list("pk", flat=True))
    with at(CHANGED_AT):
        response = api.as_user(world.ta).patch(
            grade_url(grade),
            {"scores": {str(entered.q2.id): 6}, "reason": "Partial credit for part (b)."},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert scores_by_label(response.json()) == {"Q1": "7.00", "Q2": "6.00"}
    assert score_of(grade, entered.q2) == Decimal(6)

    new = GradeChange.objects.filter(grade=grade).exclude(pk__in=before)
    assert new.count() == 1
    change = new.get()
    assert change.question == entered.q2
    assert (change.old_score, change.new_score) == (Decimal(5), Decimal(6))
    assert change.changed_by == world.ta
    assert change.changed_at == CHANGED_AT
    assert change.reason == "Partial credit for part (b)."
    assert change.source == GradeChange.Source.ENTRY


def test_each_change_of_the_same_score_is_kept_in_order(world, api, entered):
    grade = entered.grade("ug1")
    for minutes, score in ((0, 6), (5, 8), (10, 5)):
        with at(CHANGED_AT + timedelta(minutes=minutes)):
            response = api.as_user(world.instructor).patch(
                grade_url(grade),
                {"scores": {str(entered.q2.id): score}, "reason": f"to {score}"},
                format="json",
            )
        assert response.status_code == 200
    rows = list(GradeChange.objects.filter(grade=grade, question=entered.q2))
    assert [(r.old_score, r.new_score, r.reason) for r in rows] == [
        (None, Decimal(5), "Graded"),
        (Decimal(5), Decimal(6), "to 6"),
        (Decimal(6), Decimal(8), "to 8"),
        (Decimal(8), Decimal(5), "to 5"),
    ]


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_patch_without_a_reason_is_a_field_error_and_changes_nothing(world, api, entered, reason):
    grade = entered.grade("ug1")
    data = {"scores": {str(entered.q1.id): 10}}
    if reason is not None:
        data["reason"] = reason
    before = snapshot()
    response = api.as_user(world.ta).patch(grade_url(grade), data, format="json")
    assert response.status_code == 400
    body = error_of(response)
    assert "reason" in body["fields"]
    assert snapshot() == before


def test_unchanged_scores_append_nothing(world, api, entered):
    grade = entered.grade("ug1")
    before = snapshot()
    response = api.as_user(world.ta).patch(
        grade_url(grade),
        {"scores": {str(entered.q1.id): "7.00", str(entered.q2.id): 5}, "reason": "Recheck"},
        format="json",
    )
    assert response.status_code == 200
    assert snapshot()["history"] == before["history"]
    assert snapshot()["scores"] == before["scores"]

    # The entry endpoint with the same scores writes nothing either.
    response = api.as_user(world.ta).post(
        entry_url(entered.ps0), {"student": "ug1", "scores": {str(entered.q1.id): 7}}, format="json"
    )
    assert response.status_code == 200
    assert snapshot()["history"] == before["history"]


def test_only_the_changed_question_gets_a_row(world, api, entered):
    grade = entered.grade("ug1")
    count = GradeChange.objects.count()
    response = api.as_user(world.ta).patch(
        grade_url(grade),
        {"scores": {str(entered.q1.id): 7, str(entered.q2.id): 9}, "reason": "Q2 recount"},
        format="json",
    )
    assert response.status_code == 200
    assert GradeChange.objects.count() == count + 1
    assert GradeChange.objects.latest("id").question == entered.q2


@pytest.mark.parametrize("bad", ["10.01", "11", "-1", "-0.5"])
def test_out_of_range_score_is_a_field_error_and_changes_nothing(world, api, entered, bad):
    grade = entered.grade("ug1")
    before = snapshot()
    # Q1 is valid and listed first: it must not be written either (all or nothing).
    response = api.as_user(world.ta).patch(
        grade_url(grade),
        {"scores": {str(entered.q1.id): 9, str(entered.q2.id): bad}, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400, response.json()
    body = error_of(response)
    assert f"scores.{entered.q2.id}" in body["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("bad", ["10.5", "-2"])
def test_out_of_range_first_entry_is_a_field_error_and_creates_no_grade(world, api, ungraded_ps0, bad):
    ps0, q1, q2 = ungraded_ps0
    before = snapshot()
    response = api.as_user(world.ta).post(
        entry_url(ps0), {"student": "ug2", "scores": {str(q1.id): 3, str(q2.id): bad}}, format="json"
    )
    assert response.status_code == 400
    assert f"scores.{q2.id}" in error_of(response)["fields"]
    assert snapshot() == before


def test_the_question_maximum_is_allowed(world, api, entered):
    response = api.as_user(world.ta).patch(
        grade_url(entered.grade("ug1")),
        {"scores": {str(entered.q1.id): 10}, "reason": "Full marks"},
        format="json",
    )
    assert response.status_code == 200
    assert score_of(entered.grade("ug1"), entered.q1) == Decimal(10)


def test_a_question_of_another_assignment_is_a_field_error(world, api, entered):
    from tests.grading.factories import QuestionFactory

    hw1_q = QuestionFactory(assignment=world.course.assignments.get(code="HW1"))
    before = snapshot()
    response = api.as_user(world.ta).patch(
        grade_url(entered.grade("ug1")), {"scores": {str(hw1_q.id): 1}, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert f"scores.{hw1_q.id}" in error_of(response)["fields"]
    assert snapshot() == before


def test_entering_for_someone_not_in_the_course_is_a_field_error(world, api, ungraded_ps0):
    ps0, q1, _ = ungraded_ps0
    before = snapshot()
    response = api.as_user(world.ta).post(
        entry_url(ps0), {"student": "other_student", "scores": {str(q1.id): 3}}, format="json"
    )
    assert response.status_code == 400
    assert "student" in error_of(response)["fields"]
    assert snapshot() == before


def test_changing_an_entered_score_through_the_entry_endpoint_needs_a_reason_too(world, api, entered):
    """The grade grid posts to the entry endpoint; a change to a score already there needs a reason."""
    before = snapshot()
    response = api.as_user(world.ta).post(
        entry_url(entered.ps0), {"student": "ug1", "scores": {str(entered.q1.id): 9}}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]
    assert snapshot() == before

    response = api.as_user(world.ta).post(
        entry_url(entered.ps0),
        {"student": "ug1", "scores": {str(entered.q1.id): 9}, "reason": "Missed a page"},
        format="json",
    )
    assert response.status_code == 200
    change = GradeChange.objects.latest("id")
    assert (change.old_score, change.new_score, change.reason) == (Decimal(7), Decimal(9), "Missed a page")


def test_students_cannot_enter_or_change_scores(world, api, graded):
    before = snapshot()
    own = graded.grade("ug1")
    response = api.as_user(world.ug1).patch(
        grade_url(own), {"scores": {str(graded.q1.id): 10}, "reason": "I deserve it"}, format="json"
    )
    assert response.status_code == 404
    error_of(response)
    response = api.as_user(world.ug1).post(
        entry_url(graded.ps0), {"student": "ug1", "scores": {str(graded.q1.id): 10}}, format="json"
    )
    assert response.status_code == 404
    assert snapshot() == before


# ---- reading the history -----------------------------------------------------------------------------


def test_staff_read_the_history(world, api, entered):
    grade = entered.grade("ug1")
    with at(CHANGED_AT):
        api.as_user(world.ta).patch(
            grade_url(grade), {"scores": {str(entered.q1.id): 8}, "reason": "Misread"}, format="json"
        )
    for user in (world.ta, world.instructor):
        response = api.as_user(user).get(grade_url(grade, "history/"))
        assert response.status_code == 200
        rows = response.json()
        assert [(r["question"], r["old_score"], r["new_score"]) for r in rows] == [
            ("Q1", None, "7.00"),
            ("Q2", None, "5.00"),
            ("Q1", "7.00", "8.00"),
        ]
        last = rows[-1]
        assert last["changed_by"] == "ta1"
        assert last["reason"] == "Misread"
        assert last["source"] == "entry"
        # ISO 8601 with the course zone's UTC offset
        assert last["changed_at"] == "2023-02-05T10:15:00-05:00"


def test_the_student_reads_the_history_of_their_own_released_grade_only(world, api, entered):
    grade = entered.grade("ug1")
    response = api.as_user(world.ug1).get(grade_url(grade, "history/"))
    assert response.status_code == 404, "an unreleased grade does not exist for the student"
    error_of(response)

    from grading.services.grades import grades_release

    grades_release(acting_user=world.instructor, assignment_id=entered.ps0.id)
    response = api.as_user(world.ug1).get(grade_url(grade, "history/"))
    assert response.status_code == 200
    assert len(response.json()) == 2

    response = api.as_user(world.ug2).get(grade_url(grade, "history/"))
    assert response.status_code == 404


# ---- append-only ------------------------------------------------------------------------------------


def test_history_rows_cannot_be_updated(entered):
    change = GradeChange.objects.first()
    change.new_score = Decimal(10)
    with pytest.raises(ValueError, match="append-only"):
        change.save()
    with pytest.raises(ValueError, match="append-only"):
        GradeChange.objects.filter(pk=change.pk).update(new_score=Decimal(10))
    with pytest.raises(ValueError, match="append-only"), transaction.atomic():
        GradeChange.objects.bulk_update([change], ["new_score"])
    assert GradeChange.objects.get(pk=change.pk).new_score == Decimal(7)


def test_history_rows_cannot_be_deleted(entered):
    change = GradeChange.objects.first()
    count = GradeChange.objects.count()
    with pytest.raises(ValueError, match="append-only"):
        change.delete()
    with pytest.raises(ValueError, match="append-only"):
        GradeChange.objects.filter(pk=change.pk).delete()
    with pytest.raises(ValueError, match="append-only"):
        GradeChange.objects.all().delete()
    assert GradeChange.objects.count() == count


def test_a_grade_with_history_cannot_be_deleted(entered):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        entered.grade("ug1").delete()
