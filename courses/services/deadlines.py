"""Stored effective deadlines: recomputed by tasks, closed by the beat task, read by selectors."""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Case, Exists, OuterRef, Q, Value, When, sql
from django.utils import timezone

from courses.models import Assignment, Course, EffectiveDeadline, Enrolment, Extension, Submission
from courses.selectors.deadlines import (
    deadline_inputs_today,
    deadline_rows_refresh_any,
    deadline_rows_stale,
    late_days_used_elsewhere,
)
from courses.windows import (
    Policy,
    Window,
    deadline_evaluate,
    deadline_inputs_key,
    late_days_left,
    window_for,
)

logger = logging.getLogger(__name__)

Outcome = EffectiveDeadline.Outcome
ACTIVE_STATUSES = Enrolment.ACTIVE
# Above this many drifted rows of one assignment, the reconciliation recomputes the whole class at once.
RECONCILE_WHOLE_CLASS = 500


def deadline_recompute(
    *,
    assignment_id: int,
    student_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    resync_submissions: bool = False,
    settle: bool = True,
) -> int:
    """Store the effective deadline of every active student (or of `student_ids`) for one assignment.

    Idempotent. When every student shares the course's window (no extension, no late-day bank), the whole
    class is one UPDATE; the few rows that differ are upserted in one batch. `resync_submissions` re-reads
    every student's latest submission (for writers that add submissions in bulk). Under the late-day bank,
    students whose days spent here changed have their other windows of the course settled too (unless
    `settle` is False: _settle_bank's own passes). Returns rows written.
    """
    now = now or timezone.now()
    assignment = Assignment.objects.select_related("course").filter(pk=assignment_id).first()
    if assignment is None:  # deleted before the task ran
        return 0
    course = assignment.course
    policy = Policy.of(course)
    student_ids = set(student_ids) if student_ids is not None else None
    if not (settle and policy.kind == Course.LatePolicy.LATE_DAYS):
        return _recompute_rows(assignment, course, policy, student_ids, now, resync_submissions)
    before = _days_spent(course.id, student_ids, assignment_id=assignment.id)
    written = _recompute_rows(assignment, course, policy, student_ids, now, resync_submissions)
    after = _days_spent(course.id, student_ids, assignment_id=assignment.id)
    if moved := {key[0] for key in before.symmetric_difference(after)}:
        written += _settle_bank(course_id=course.id, student_ids=moved, now=now)
    return written


def _days_spent(course_id: int, student_ids, *, assignment_id: int | None = None) -> set[tuple]:
    """The late days spent, as (student, assignment, days) for each stored row that spent some: of one
    assignment, or of the whole course; of `student_ids`, or of everyone."""
    rows = EffectiveDeadline.objects.filter(assignment__course_id=course_id, late_days_used__gt=0)
    if assignment_id is not None:
        rows = rows.filter(assignment_id=assignment_id)
    if student_ids is not None:
        rows = rows.filter(student_id__in=list(student_ids))
    return set(rows.values_list("student_id", "assignment_id", "late_days_used"))


SETTLE_PASSES = 4


def _settle_bank(*, course_id: int, student_ids, now: datetime) -> int:
    """Under the late-day bank a window offers what the student's other assignments left of the bank, so a
    change in the days one row spent changes the student's other rows (and can change what those spend).
    Recompute the students' rows of the course, pass after pass, until a pass changes no row's days: each
    row was then computed from the others' final days, and its inputs key says so. A bank that has not
    settled after SETTLE_PASSES is logged and left to the reconciliation (readers compute stale rows)."""
    ids = list(
        Assignment.objects.filter(course_id=course_id).order_by("due_at", "id").values_list("id", flat=True)
    )
    written = 0
    for _ in range(SETTLE_PASSES):
        before = _days_spent(course_id, student_ids)
        for assignment_id in ids:
            written += deadline_recompute(
                assignment_id=assignment_id, student_ids=student_ids, now=now, settle=False
            )
        if _days_spent(course_id, student_ids) == before:
            return written
    logger.warning(
        "Late days of course %s did not settle in %d passes; left to the reconciliation.",
        course_id,
        SETTLE_PASSES,
    )
    return written


def _recompute_rows(assignment, course, policy, student_ids, now, resync_submissions) -> int:
    """deadline_recompute's writes for one assignment."""
    if assignment.due_at is None:
        deleted, _ = EffectiveDeadline.objects.filter(assignment=assignment).delete()
        return deleted

    # Unordered: the model's ordering would join the term, course, section and user to sort ids nobody reads.
    active = Enrolment.objects.filter(section__course=course, status__in=ACTIVE_STATUSES).order_by()
    if student_ids is not None:
        student_ids = set(student_ids)
        active = active.filter(user_id__in=student_ids)
    active_ids = active.values("user_id")  # a subquery: the class's ids are not sent back to the database
    students = set(active.values_list("user_id", flat=True))
    rows = EffectiveDeadline.objects.filter(assignment=assignment)
    if student_ids is not None:
        rows = rows.filter(student_id__in=student_ids)
    # Rows of students who left the course go (their submissions stay); an anti-join, not NOT IN (subquery).
    stale = rows.exclude(Exists(active.filter(user_id=OuterRef("student_id"))))

    extensions = dict(
        Extension.objects.filter(assignment=assignment, student_id__in=active_ids).values_list(
            "student_id", "due_at"
        )
    )
    late_policy = assignment.grace_allowed and policy.kind in (
        Course.LatePolicy.LATE_DAYS,
        Course.LatePolicy.PENALTY,
    )
    written = 0
    if resync_submissions or late_policy:
        stale.delete()
        individual = students  # each student's submission, bank or penalty is read individually
    else:
        # Everyone without an extension shares the class's window: one UPDATE of their rows, which also says
        # whose rows it wrote, so the stored rows are scanned once. Rows of students who left were written
        # too and go now; students without a row yet are written one by one, like those with an extension.
        window = window_for(policy=policy, due_at=assignment.due_at, grace_allowed=assignment.grace_allowed)
        key = deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=None,
        )
        updated = _update_shared(rows.exclude(student_id__in=list(extensions)), window, key, now)
        written += len(updated)
        if left := updated - students:
            written -= stale.filter(student_id__in=left).delete()[0]
        individual = set(extensions) | (students - updated)
    if individual:
        written += _upsert_individual(assignment, course, policy, individual, extensions, now)
    return written


def _update_shared(rows, window: Window, inputs_key: str, now: datetime) -> set[int]:
    """One set-based UPDATE for all students who share the course's window (and so one inputs key).
    Returns the students whose rows it wrote."""
    closed = window.closes_at < now
    submitted = Q(last_submitted_at__isnull=False)
    late_outcome = Outcome.SUBMITTED_IN_GRACE  # only grace-policy courses share one window
    whens = [
        When(submitted & Q(last_submitted_at__lte=window.due_at), then=Value(Outcome.SUBMITTED)),
        When(submitted & Q(last_submitted_at__lte=window.closes_at), then=Value(late_outcome)),
        When(submitted, then=Value(Outcome.MISSING)),
    ]
    extra = {}
    if closed:
        # A window the closing task already recorded stays recorded while it is still in the past.
        whens.append(When(closed_at__isnull=False, then=Value(Outcome.MISSING)))
    else:
        extra["closed_at"] = None  # a due date moved later reopens the window
    return _update_returning_students(
        rows,
        due_at=window.due_at,
        grace_ends_at=window.grace_ends_at,
        closes_at=window.closes_at,
        extension_due_at=None,
        # The class's shared window has no per-student late time: nothing is spent or taken off.
        late_days_used=0,
        penalty_percent=0,
        computed_at=now,
        inputs_key=inputs_key,
        outcome=Case(*whens, default=Value(Outcome.PENDING)),
        **extra,
    )


def _update_returning_students(rows, **values) -> set[int]:
    """`rows.update(**values)` that also returns the student ids of the rows it wrote (UPDATE ... RETURNING;
    QuerySet.update() returns only a count). The statement is Django's own UPDATE, compiled the same way."""
    query = rows.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    try:
        statement, params = query.get_compiler(rows.db).as_sql()
    except EmptyResultSet:  # e.g. student_id__in=[]: nothing to write
        return set()
    connection = connections[rows.db]
    column = connection.ops.quote_name(EffectiveDeadline._meta.get_field("student").column)
    with transaction.mark_for_rollback_on_error(using=rows.db), connection.cursor() as cursor:
        cursor.execute(f"{statement} RETURNING {column}", params)
        return {student_id for (student_id,) in cursor.fetchall()}


def _upsert_individual(assignment, course, policy, student_ids, extensions, now) -> int:
    latest = {}
    for student_id, submitted_at in (
        Submission.objects.filter(assignment=assignment, student_id__in=student_ids)
        .order_by("student_id", "-submitted_at")
        .values_list("student_id", "submitted_at")
    ):
        latest.setdefault(student_id, submitted_at)
    closed_at = dict(
        EffectiveDeadline.objects.filter(assignment=assignment, student_id__in=student_ids).values_list(
            "student_id", "closed_at"
        )
    )
    used_elsewhere: dict[int, int] = {}
    if policy.kind == Course.LatePolicy.LATE_DAYS:
        used_elsewhere = late_days_used_elsewhere(assignment=assignment, student_ids=student_ids)
    rows = []
    for student_id in student_ids:
        extension_due_at = extensions.get(student_id)
        available = late_days_left(course.late_day_bank, used_elsewhere.get(student_id, 0))
        evaluation = deadline_evaluate(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension_due_at,
            late_days_available=available,
            submitted_at=latest.get(student_id),
            closed_at=closed_at.get(student_id),
            now=now,
        )
        window = evaluation.window
        rows.append(
            EffectiveDeadline(
                student_id=student_id,
                assignment=assignment,
                due_at=window.due_at,
                grace_ends_at=window.grace_ends_at,
                closes_at=window.closes_at,
                extension_due_at=window.extension_due_at,
                last_submitted_at=latest.get(student_id),
                late_days_used=evaluation.late_days_used,
                penalty_percent=evaluation.penalty_percent,
                outcome=evaluation.outcome,
                closed_at=evaluation.closed_at,
                computed_at=now,
                inputs_key=deadline_inputs_key(
                    policy=policy,
                    due_at=assignment.due_at,
                    grace_allowed=assignment.grace_allowed,
                    extension_due_at=extension_due_at,
                    late_days_available=available,
                ),
            )
        )
    EffectiveDeadline.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["student", "assignment"],
        update_fields=[
            "due_at",
            "grace_ends_at",
            "closes_at",
            "extension_due_at",
            "last_submitted_at",
            "late_days_used",
            "penalty_percent",
            "outcome",
            "closed_at",
            "computed_at",
            "inputs_key",
        ],
    )
    return len(rows)


def deadline_recompute_course(*, course_id: int, student_ids: Iterable[int] | None = None) -> int:
    """Every assignment of a course (after a policy or enrolment change); under the late-day bank, until
    the days spent settle (_settle_bank)."""
    ids = list(student_ids) if student_ids is not None else None
    assignments = list(
        Assignment.objects.filter(course_id=course_id).values_list("id", "course__late_policy")
    )
    if assignments and assignments[0][1] == Course.LatePolicy.LATE_DAYS:
        return _settle_bank(course_id=course_id, student_ids=ids, now=timezone.now())
    total = 0
    for assignment_id, _ in assignments:
        total += deadline_recompute(assignment_id=assignment_id, student_ids=ids)
    return total


def deadline_reconcile(*, now: datetime | None = None) -> int:
    """Find stored deadlines that drifted from their inputs and repair them with the recompute: rows whose
    inputs key differs from today's inputs (or was never set), active students without a row, rows of
    students who left, rows of assignments that no longer have a due time. Idempotent: a second run finds
    nothing. Returns (and logs) how many rows it fixed."""
    now = now or timezone.now()
    fixed = 0
    assignments = Assignment.objects.filter(due_at__isnull=False).select_related("course").order_by("id")
    for assignment in assignments:
        fixed += _reconcile_assignment(assignment, now)
    for assignment_id in (
        Assignment.objects.filter(due_at__isnull=True, deadlines__isnull=False)
        .values_list("id", flat=True)
        .distinct()
    ):
        fixed += deadline_recompute(assignment_id=assignment_id, now=now)
    if fixed:
        logger.warning("Deadline reconciliation fixed %d stale or missing stored deadlines.", fixed)
    else:
        logger.info("Deadline reconciliation fixed 0 stored deadlines: none had drifted.")
    return fixed


def deadline_refresh_stale(*, course_id: int, now: datetime | None = None) -> int:
    """Recompute the course's stored rows of its active students that were stored from inputs that changed
    since (an extension, a due time, the policy, under the late-day bank the days a window offers), so
    that what reads them next (a grade export) reads today's windows and outcomes. For a large class it
    reads less than the reconciliation: unless the course has the late-day bank (whose windows differ per
    student), PostgreSQL leaves out every row holding its assignment's class-wide key, and only the rest
    (extensions, stale rows) are checked against today's inputs (`deadline_rows_stale`). Returns rows
    written."""
    now = now or timezone.now()
    course = Course.objects.get(pk=course_id)
    policy = Policy.of(course)
    assignments = list(Assignment.objects.filter(course=course, due_at__isnull=False))
    if not assignments:
        return 0
    rows = EffectiveDeadline.objects.filter(
        assignment__in=assignments,
        student_id__in=Enrolment.objects.filter(section__course=course, status__in=ACTIVE_STATUSES).values(
            "user_id"
        ),
    )
    if policy.kind != Course.LatePolicy.LATE_DAYS:  # one key per assignment for everyone without an extension
        class_wide = Q()
        for a in assignments:
            key = deadline_inputs_key(
                policy=policy, due_at=a.due_at, grace_allowed=a.grace_allowed, extension_due_at=None
            )
            class_wide |= Q(assignment_id=a.id, inputs_key=key)
        extended = Extension.objects.filter(
            assignment_id=OuterRef("assignment_id"), student_id=OuterRef("student_id")
        )
        rows = rows.annotate(extended=Exists(extended)).exclude(class_wide & Q(extended=False))
    stale = deadline_rows_stale(
        course, assignments, rows.values_list("student_id", "assignment_id", "inputs_key", "late_days_used")
    )
    by_assignment: dict[int, list[int]] = {}
    for student_id, assignment_id in stale:
        by_assignment.setdefault(assignment_id, []).append(student_id)
    written = 0
    for assignment_id, student_ids in sorted(by_assignment.items()):
        written += deadline_recompute(assignment_id=assignment_id, student_ids=student_ids, now=now)
    if written:
        logger.info("Refreshed %d stale stored deadlines of course %s.", written, course_id)
    return written


def _reconcile_assignment(assignment: Assignment, now: datetime) -> int:
    policy = Policy.of(assignment.course)
    rows = EffectiveDeadline.objects.filter(assignment=assignment)
    active_ids = Enrolment.objects.filter(
        section__course_id=assignment.course_id, status__in=ACTIVE_STATUSES
    ).values("user_id")
    extensions = dict(Extension.objects.filter(assignment=assignment).values_list("student_id", "due_at"))

    def key(extension_due_at):
        return deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension_due_at,
        )

    drifted = set(rows.exclude(student_id__in=active_ids).values_list("student_id", flat=True))
    if policy.kind == Course.LatePolicy.LATE_DAYS and assignment.grace_allowed:
        # Each student's key holds the late days their window offers: compared row by row.
        stored = dict(rows.filter(student_id__in=active_ids).values_list("student_id", "inputs_key"))
        expected, _ = deadline_inputs_today(assignment, stored, extensions)
        drifted |= {student_id for student_id, key in stored.items() if key != expected[student_id]}
    else:
        drifted |= set(
            rows.filter(student_id__in=active_ids)
            .exclude(student_id__in=list(extensions))
            .exclude(inputs_key=key(None))
            .values_list("student_id", flat=True)
        )
        drifted |= {
            student_id
            for student_id, stored_key in rows.filter(student_id__in=list(extensions)).values_list(
                "student_id", "inputs_key"
            )
            if stored_key != key(extensions[student_id])
        }
    drifted |= set(
        Enrolment.objects.filter(section__course_id=assignment.course_id, status__in=ACTIVE_STATUSES)
        .exclude(user_id__in=rows.values("student_id"))
        .values_list("user_id", flat=True)
    )
    if not drifted:
        return 0
    if len(drifted) > RECONCILE_WHOLE_CLASS:
        deadline_recompute(assignment_id=assignment.id, now=now)  # the class's one UPDATE, not a long IN list
    else:
        deadline_recompute(assignment_id=assignment.id, student_ids=drifted, now=now)
    return len(drifted)


@transaction.atomic
def deadline_close_passed(*, now: datetime | None = None) -> int:
    """Record the outcome of every window that has passed, exactly once: unsubmitted work becomes
    "missing" (it counts 0). Returns how many windows were closed by this run."""
    now = now or timezone.now()
    passed = EffectiveDeadline.objects.filter(closes_at__lt=now, closed_at__isnull=True)
    if stale := [
        r.pk for r in deadline_rows_refresh_any(list(passed.select_related("assignment__course")), now)
    ]:
        # Stored from inputs that changed since (an extension, a moved due time, late days spent elsewhere):
        # the window may not have passed at all. Left to their recompute; a later run closes them.
        passed = passed.exclude(pk__in=stale)
    missing = passed.filter(last_submitted_at__isnull=True).update(outcome=Outcome.MISSING, closed_at=now)
    submitted = passed.update(closed_at=now)
    return missing + submitted
