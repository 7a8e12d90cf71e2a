"""The recompute after a due-date change in a class that mixes every kind of student (issue 15): the class's
shared window is one set-based UPDATE, and students with an extension, without a stored row yet, who left the
course or who spent late days elsewhere are still written right. Every stored row is checked field by field
against the rules (`deadline_evaluate`), after the PATCH of the due time and after the reconciliation."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse

from courses.models import Course, EffectiveDeadline, Enrolment, Extension, Submission
from courses.services.deadlines import deadline_reconcile
from courses.windows import Policy, deadline_evaluate, deadline_inputs_key, late_days_left
from tests.courses.helpers import HOUR, at, grant_extension, submit
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern

HW1_DUE = eastern(2023, 2, 12)
HW2_DUE = eastern(2023, 2, 26)


def expected(student, assignment, now, closed_at=None) -> dict:
    """One student's row as the rules say it should be stored, from the inputs in the database."""
    course = assignment.course
    policy = Policy.of(course)
    extension = Extension.objects.filter(student=student, assignment=assignment).first()
    latest = (
        Submission.objects.filter(student=student, assignment=assignment)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    spent = (
        EffectiveDeadline.objects.filter(student=student, assignment__course=course)
        .exclude(assignment=assignment)
        .aggregate(n=Sum("late_days_used"))["n"]
        or 0
    )
    evaluation = deadline_evaluate(
        policy=policy,
        due_at=assignment.due_at,
        grace_allowed=assignment.grace_allowed,
        extension_due_at=extension.due_at if extension else None,
        late_days_available=late_days_left(course.late_day_bank, spent),
        submitted_at=latest,
        closed_at=closed_at,
        now=now,
    )
    window = evaluation.window
    return {
        "due_at": window.due_at,
        "grace_ends_at": window.grace_ends_at,
        "closes_at": window.closes_at,
        "extension_due_at": window.extension_due_at,
        "last_submitted_at": latest,
        "late_days_used": evaluation.late_days_used,
        "penalty_percent": evaluation.penalty_percent,
        "outcome": evaluation.outcome,
        "closed_at": evaluation.closed_at,
        "inputs_key": deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension.due_at if extension else None,
            late_days_available=late_days_left(course.late_day_bank, spent),
        ),
    }


def assert_rows_follow_the_rules(assignment, now, *, all_written=True):
    assignment.refresh_from_db()
    active = set(
        Enrolment.objects.filter(section__course=assignment.course, status__in=Enrolment.ACTIVE).values_list(
            "user_id", flat=True
        )
    )
    rows = {r.student_id: r for r in EffectiveDeadline.objects.filter(assignment=assignment)}
    assert set(rows) == active  # a row for everyone active, none for anyone who left
    for row in rows.values():
        want = expected(row.student, assignment, now)
        got = {field: getattr(row, field) for field in want}
        assert got == want, row.student.username
        if all_written:
            assert row.computed_at == now


def move_due(api, instructor, assignment, due, *, callbacks):
    with callbacks(execute=True):
        response = api.as_user(instructor).patch(
            reverse("api-assignment", args=[assignment.id]), {"due_at": due.isoformat()}, format="json"
        )
    assert response.status_code == 200, response.content


@pytest.fixture
def crowd(world):
    """Six more students in the undergraduate section, every deadline stored."""
    for i in range(6):
        EnrolmentFactory(user=UserFactory(username=f"mix{i}"), section=world.ug_section)
    world.recompute()
    return world


def test_a_moved_due_date_reaches_a_mixed_class_row_by_row(crowd, api, django_capture_on_commit_callbacks):
    world = crowd
    hw1 = world.course.assignments.get(code="HW1")
    users = {e.user.username: e.user for e in Enrolment.objects.filter(section__course=world.course)}
    with at(HW1_DUE - 3 * HOUR), django_capture_on_commit_callbacks(execute=True):
        grant_extension(api, world.instructor, world.ug1, hw1, HW1_DUE + timedelta(days=5))
        # the move overtakes it:
        grant_extension(api, world.instructor, users["mix0"], hw1, HW1_DUE + timedelta(hours=1))
        assert submit(api, world.ug2, hw1).status_code == 201
        assert submit(api, users["mix1"], hw1).status_code == 201
    # Stored rows are a cache: one went missing, and one student left without the recompute hearing of it.
    EffectiveDeadline.objects.filter(assignment=hw1, student=users["mix2"]).delete()
    Enrolment.objects.filter(user=users["mix3"]).update(status=Enrolment.Status.DROPPED)
    other_rows = list(EffectiveDeadline.objects.exclude(assignment=hw1).order_by("id").values())

    # The due time moves two days earlier (the two submissions are now after the due time, one in grace).
    now = HW1_DUE - 2 * HOUR
    with at(now):
        move_due(
            api,
            world.instructor,
            hw1,
            HW1_DUE - timedelta(days=2) - 2 * HOUR,
            callbacks=django_capture_on_commit_callbacks,
        )
    assert_rows_follow_the_rules(hw1, now)
    outcomes = dict(
        EffectiveDeadline.objects.filter(assignment=hw1).values_list("student__username", "outcome")
    )
    assert outcomes["ug2"] == outcomes["mix1"] == "submitted_in_grace"
    assert EffectiveDeadline.objects.get(assignment=hw1, student=world.ug1).extension_due_at is not None
    assert EffectiveDeadline.objects.get(assignment=hw1, student=users["mix0"]).extension_due_at is not None
    # Later than both extensions: the class's window for everyone.
    with at(now + HOUR):
        move_due(
            api,
            world.instructor,
            hw1,
            HW1_DUE + timedelta(days=7),
            callbacks=django_capture_on_commit_callbacks,
        )
    assert_rows_follow_the_rules(hw1, now + HOUR)
    assert set(EffectiveDeadline.objects.filter(assignment=hw1).values_list("outcome", flat=True)) == {
        "pending",
        "submitted",
    }
    # The other assignments' rows are untouched (the dropped student's too: only HW1 was recomputed).
    assert list(EffectiveDeadline.objects.exclude(assignment=hw1).order_by("id").values()) == other_rows

    # The reconciliation repairs a few drifted rows through the same recompute, for those students only.
    EffectiveDeadline.objects.filter(assignment=hw1, student__in=[users["mix4"], world.ug1]).update(
        inputs_key="", due_at=HW1_DUE, extension_due_at=None
    )
    EffectiveDeadline.objects.filter(assignment=hw1, student=users["mix5"]).delete()
    with at(now + 2 * HOUR):
        assert deadline_reconcile() >= 3
    assert_rows_follow_the_rules(hw1, now + 2 * HOUR, all_written=False)
    # The student who left loses the rows of the other assignments too (the per-student path).
    assert not EffectiveDeadline.objects.filter(student=users["mix3"]).exists()
    assert_rows_follow_the_rules(world.course.assignments.get(code="PS0"), now + 2 * HOUR, all_written=False)


def test_a_moved_due_date_under_the_late_day_bank_counts_days_spent_elsewhere(
    crowd, api, django_capture_on_commit_callbacks
):
    world = crowd
    course = world.course
    course.late_policy = Course.LatePolicy.LATE_DAYS
    course.late_day_bank = 3
    course.late_days_per_assignment = 2
    course.save()
    AssignmentFactory(course=course, code="HW2", due_at=HW2_DUE)
    world.recompute()
    hw1, hw2 = course.assignments.get(code="HW1"), course.assignments.get(code="HW2")
    # ug1 spends two late days on HW1 (one left in the bank); gr1 spends one.
    with at(HW1_DUE + 25 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, world.ug1, hw1).status_code == 201
    with at(HW1_DUE + HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, world.gr1, hw1).status_code == 201
    with at(HW2_DUE - HOUR), django_capture_on_commit_callbacks(execute=True):
        grant_extension(api, world.instructor, world.ug2, hw2, HW2_DUE + timedelta(days=3))
        assert submit(api, world.gr1, hw2).status_code == 201
    assert EffectiveDeadline.objects.get(assignment=hw1, student=world.ug1).late_days_used == 2

    now = HW2_DUE - HOUR
    with at(now):
        move_due(
            api,
            world.instructor,
            hw2,
            HW2_DUE - timedelta(days=1),
            callbacks=django_capture_on_commit_callbacks,
        )
    assert_rows_follow_the_rules(hw2, now)
    ug1 = EffectiveDeadline.objects.get(assignment=hw2, student=world.ug1)
    assert ug1.closes_at - ug1.due_at == timedelta(days=1)  # one day left of the bank
    gr1 = EffectiveDeadline.objects.get(assignment=hw2, student=world.gr1)
    assert (gr1.outcome, gr1.late_days_used) == ("submitted_late", 1)
