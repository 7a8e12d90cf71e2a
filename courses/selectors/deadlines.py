"""Reads of deadlines: a student's effective deadlines (from the stored cache, or from the rules when a
row is stale or missing) and the staff's submission overview."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import ClassVar

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from courses import access
from courses.models import (
    Assignment,
    Course,
    EffectiveDeadline,
    Enrolment,
    Extension,
    Section,
    StaffRole,
)
from courses.timefmt import countdown_text
from courses.windows import (
    Policy,
    Window,
    deadline_evaluate,
    deadline_inputs_key,
    late_days_left,
    late_days_spent,
    status_for,
)


@dataclass(frozen=True, slots=True)
class DeadlineAssignment:
    """The assignment of a deadline row: the columns a student's lists show, read without a model per row
    (a student's deadline list is the portal's hottest read)."""

    Category: ClassVar = Assignment.Category

    id: int
    course_id: int
    code: str
    title: str
    category: str
    is_bonus: bool
    due_at: datetime | None
    grace_allowed: bool
    collaboration_allowed: bool
    counts_toward_grade: bool
    accepts_submissions: bool


@dataclass(frozen=True)
class DeadlineRow:
    assignment: DeadlineAssignment
    course: Course
    due_at: datetime
    grace_ends_at: datetime | None
    closes_at: datetime
    extension_due_at: datetime | None
    submitted_at: datetime | None
    status: str
    outcome: str
    late_days_used: int
    accepting: bool  # the window is still open for a (re)submission


_ASSIGNMENT_COLUMNS = [f.name for f in fields(DeadlineAssignment)]
_STORED_COLUMNS = [
    "id",
    "due_at",
    "grace_ends_at",
    "closes_at",
    "extension_due_at",
    "last_submitted_at",
    "late_days_used",
    "outcome",
    "closed_at",
    "inputs_key",
]


_TIME_POSITIONS = {
    *(i for i, name in enumerate(_ASSIGNMENT_COLUMNS) if name == "due_at"),
    *(len(_ASSIGNMENT_COLUMNS) + i for i, name in enumerate(_STORED_COLUMNS) if name.endswith("_at")),
    len(_ASSIGNMENT_COLUMNS) + len(_STORED_COLUMNS),  # the extension's due time
}


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int | None
    due_at: datetime | None
    grace_ends_at: datetime | None
    closes_at: datetime | None
    extension_due_at: datetime | None
    last_submitted_at: datetime | None
    late_days_used: int | None
    outcome: str | None
    closed_at: datetime | None
    inputs_key: str | None


def _student_courses(user, course_id: int | None, nav_rows: list | None = None) -> dict[int, Course]:
    active = [str(s) for s in Enrolment.ACTIVE]
    query = (  # plain SQL (PostgreSQL and SQLite): the ORM's query building costs more than the query here
        f"SELECT *, NULL AS nav_role FROM {Course._meta.db_table} WHERE id IN (SELECT s.course_id FROM "
        f"{Section._meta.db_table} s JOIN {Enrolment._meta.db_table} e ON e.section_id = s.id "
        f"WHERE e.user_id = %s AND e.status IN ({', '.join(['%s'] * len(active))}))"
    )
    params = [user.pk, *active]
    if nav_rows is not None:  # the user's staff roles too, in the same round trip
        query += (
            f" UNION ALL SELECT c.*, r.role FROM {StaffRole._meta.db_table} r "
            f"JOIN {Course._meta.db_table} c ON c.id = r.course_id WHERE r.user_id = %s"
        )
        params.append(user.pk)
    courses = {}
    for course in Course.objects.raw(query, params):
        if course.nav_role is None:
            courses[course.id] = course
        else:
            nav_rows.append((course.nav_role, course.id, course.code))
    if nav_rows is not None and courses:
        nav_rows.append(("student", None, ""))
    if course_id is not None:
        courses = {k: v for k, v in courses.items() if k == course_id}
    return courses


def _assignments_with_stored_rows(
    user, course_ids
) -> list[tuple[DeadlineAssignment, _Stored, datetime | None]]:
    """Every assignment of the courses with the student's stored row and extension beside it (each unique
    per student and assignment), in one query returning plain values."""
    a_cols = ", ".join(f"a.{name}" for name in _ASSIGNMENT_COLUMNS)
    d_cols = ", ".join(f"d.{name}" for name in _STORED_COLUMNS)
    query = (
        f"SELECT {a_cols}, {d_cols}, x.due_at FROM {Assignment._meta.db_table} a "
        f"LEFT JOIN {EffectiveDeadline._meta.db_table} d ON d.assignment_id = a.id AND d.student_id = %s "
        f"LEFT JOIN {Extension._meta.db_table} x ON x.assignment_id = a.id AND x.student_id = %s "
        f"WHERE a.course_id IN ({', '.join(['%s'] * len(course_ids))}) ORDER BY a.due_at, a.code"
    )
    n, m = len(_ASSIGNMENT_COLUMNS), len(_STORED_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(query, [user.pk, user.pk, *course_ids])
        found = cursor.fetchall()
    if (
        connection.vendor != "postgresql"
    ):  # SQLite (the demo) returns times as text: read them as the ORM does
        found = [tuple(_as_instant(v) if i in _TIME_POSITIONS else v for i, v in enumerate(r)) for r in found]
    return [(DeadlineAssignment(*r[:n]), _Stored(*r[n : n + m]), r[n + m]) for r in found]


def _as_instant(value):
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # stored in UTC (USE_TZ)


def late_days_used_elsewhere(*, assignment: Assignment, student_ids: Iterable[int]) -> dict[int, int]:
    """Late days each student has spent on the course's other assignments: the bank's one sum, each row
    counted as windows.late_days_spent says (a row whose due time or extension moved since it was stored
    spends what today's due time gives). One query: the rows that spent days, with their inputs today."""
    extension = Extension.objects.filter(
        assignment_id=OuterRef("assignment_id"), student_id=OuterRef("student_id")
    ).values("due_at")[:1]
    zone = Policy.of(assignment.course).zone
    spent: dict[int, int] = defaultdict(int)
    for student_id, used, stored_due_at, submitted_at, due_at, extension_due_at in (
        EffectiveDeadline.objects.filter(
            assignment__course_id=assignment.course_id, student_id__in=student_ids, late_days_used__gt=0
        )
        .exclude(assignment=assignment)
        .values_list(
            "student_id",
            "late_days_used",
            "due_at",
            "last_submitted_at",
            "assignment__due_at",
            Subquery(extension),
        )
    ):
        spent[student_id] += late_days_spent(
            stored_late_days=used,
            stored_due_at=stored_due_at,
            due_at=due_at,
            extension_due_at=extension_due_at,
            submitted_at=submitted_at,
            zone=zone,
        )
    return dict(spent)


def deadlines_for_student(
    user, *, now: datetime | None = None, course_id: int | None = None, nav_rows: list | None = None
) -> list[DeadlineRow]:
    """One row per assignment with a due time in each of the student's courses, in the order of the
    student's effective due times (extensions included), from the stored effective deadlines. The
    stored rows are a cache: a row not yet stored, or stored from inputs that have
    changed since (its `inputs_key` differs: the recompute task has not run yet), is computed from the rules
    on the spot, so the student always sees the window of today's due time, policy and extension.

    Two queries, whatever the number of assignments or students. Given a list as `nav_rows`, the first
    also reads what the page's navigation needs and appends it there (courses.access.roles_read).
    """
    now = now or timezone.now()
    course_ids = _student_courses(user, course_id, nav_rows)
    found = _assignments_with_stored_rows(user, course_ids) if course_ids else []
    policies = {course_id: Policy.of(course) for course_id, course in course_ids.items()}
    spent_on: dict[int, int] = {}  # assignment id → the days its row spends today (windows.late_days_spent)
    days_spent: dict[int, int] = defaultdict(int)  # course id → the bank spent
    for assignment, row, extension_due_at in found:
        if row.id is not None:
            spent_on[assignment.id] = late_days_spent(
                stored_late_days=row.late_days_used,
                stored_due_at=row.due_at,
                due_at=assignment.due_at,
                extension_due_at=extension_due_at,
                submitted_at=row.last_submitted_at,
                zone=policies[assignment.course_id].zone,
            )
            days_spent[assignment.course_id] += spent_on[assignment.id]
    rows = []
    for assignment, row, extension_due_at in found:
        if assignment.due_at is None:
            continue
        course = course_ids[assignment.course_id]
        policy = policies[course.id]
        stored = row.id is not None
        # The bank as stored today: what the student spent on the course's other assignments.
        spent_elsewhere = days_spent[course.id] - spent_on.get(assignment.id, 0)
        available = late_days_left(course.late_day_bank, spent_elsewhere)
        current_key = deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension_due_at,
            late_days_available=available,
        )
        if stored and row.inputs_key == current_key:
            window = Window(row.due_at, row.grace_ends_at, row.closes_at, row.extension_due_at)
            submitted_at, outcome, late_days = row.last_submitted_at, row.outcome, row.late_days_used
        else:
            # Missing or stale: the rules decide, with the late days spent elsewhere as stored today.
            submitted_at = row.last_submitted_at if stored else None
            evaluation = deadline_evaluate(
                policy=policy,
                due_at=assignment.due_at,
                grace_allowed=assignment.grace_allowed,
                extension_due_at=extension_due_at,
                late_days_available=available,
                submitted_at=submitted_at,
                closed_at=row.closed_at if stored else None,
                now=now,
            )
            window, outcome, late_days = evaluation.window, evaluation.outcome, evaluation.late_days_used
        rows.append(
            DeadlineRow(
                assignment=assignment,
                course=course,
                due_at=window.due_at,
                grace_ends_at=window.grace_ends_at,
                closes_at=window.closes_at,
                extension_due_at=window.extension_due_at,
                submitted_at=submitted_at,
                status=status_for(
                    window=window, submitted_at=submitted_at, now=now, policy_kind=course.late_policy
                ),
                outcome=outcome,
                late_days_used=late_days,
                accepting=now <= window.closes_at and assignment.accepts_submissions,
            )
        )
    # The student's own order: by their effective due time (an extension moves the assignment down), so
    # every list built from these rows (home, My deadlines, the API, the calendar) agrees.
    rows.sort(key=lambda r: (r.due_at, r.assignment.code))
    return rows


@dataclass(frozen=True)
class Countdown:
    """The one countdown a deadline row shows, and what it counts to."""

    kind: str  # "due" (to the due time), "grace" (to the end of the grace or late window), "closed"
    target: datetime | None
    label: str  # "due in 2 d 4 h", "grace ends in 7 h 5 min", "late window closes in 3 h 0 min", "closed"
    resubmit: bool  # work is in and the window still takes another submission


def deadline_countdown(row: DeadlineRow, *, now: datetime) -> Countdown:
    """Open rows count to the due time, rows past it to the end of the grace (or late) window; a submission
    made in either does not stop the count, since resubmitting is allowed until the window closes."""
    resubmit = row.submitted_at is not None and row.accepting
    if now <= row.due_at:
        return Countdown("due", row.due_at, f"due in {countdown_text(row.due_at - now)}", resubmit)
    if now <= row.closes_at:
        what = "grace ends" if row.grace_ends_at else "late window closes"
        return Countdown("grace", row.closes_at, f"{what} in {countdown_text(row.closes_at - now)}", resubmit)
    return Countdown("closed", None, "closed", False)


def deadlines_due_next(rows: list[DeadlineRow]) -> tuple[list[DeadlineRow], list[DeadlineRow]]:
    """(to do, done): open and in-grace work with nothing submitted yet, then submitted or closed work;
    each in the rows' own order (the student's effective due times)."""
    to_do = [r for r in rows if r.status in ("open", "grace")]
    return to_do, [r for r in rows if r.status not in ("open", "grace")]


@dataclass(frozen=True)
class SubmissionOverview:
    assignment: Assignment
    on_time: list[EffectiveDeadline]
    in_grace: list[EffectiveDeadline]
    not_yet: list[EffectiveDeadline]
    missing: list[EffectiveDeadline]
    extensions: list[Extension]


def submission_overview(assignment: Assignment, *, user, now: datetime | None = None) -> SubmissionOverview:
    """Who submitted on time, in grace, not yet (or missed it), and who has an extension: of the students
    `user` may act on (courses.access: a TA limited to sections sees those sections' active students)."""
    now = now or timezone.now()
    if assignment.due_at is None:  # no due time, no deadlines (leftover rows are the reconciliation's)
        return SubmissionOverview(assignment, [], [], [], [], [])
    rows = list(
        EffectiveDeadline.objects.filter(assignment=assignment)
        .filter(access.staff_students_q(user))
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__username")
    )
    extensions = list(
        Extension.objects.filter(assignment=assignment, student_id__in=[r.student_id for r in rows])
        .select_related("student", "granted_by")
        .order_by("student__username")
    )
    deadline_rows_refresh(assignment, rows, {e.student_id: e.due_at for e in extensions}, now)
    Outcome = EffectiveDeadline.Outcome
    on_time, in_grace, not_yet, missing = [], [], [], []
    for row in rows:
        if row.last_submitted_at is None:
            (missing if row.closes_at < now else not_yet).append(row)
        elif row.outcome == Outcome.SUBMITTED:
            on_time.append(row)
        elif row.outcome == Outcome.MISSING:
            missing.append(row)
        else:
            in_grace.append(row)
    return SubmissionOverview(assignment, on_time, in_grace, not_yet, missing, extensions)


def deadline_inputs_today(assignment: Assignment, student_ids, extensions: dict) -> tuple[dict, dict]:
    """What a stored row of this assignment must hold to be current, per student (`extensions`: their
    extended due times): the inputs key, and the late days their window may use (what is left of the
    bank after the course's other assignments). One query under the late-day bank with late time, none
    otherwise; students with the same inputs share one digest. The assignment has a due time and its
    course loaded."""
    course = assignment.course
    policy = Policy.of(course)
    student_ids = list(student_ids)
    spent: dict[int, int] = {}
    if policy.kind == Course.LatePolicy.LATE_DAYS and assignment.grace_allowed:  # part of each key
        spent = late_days_used_elsewhere(assignment=assignment, student_ids=student_ids)
    available = {s: late_days_left(course.late_day_bank, spent.get(s, 0)) for s in student_ids}
    digests: dict[tuple, str] = {}
    keys = {s: _inputs_key(policy, assignment, extensions.get(s), available[s], digests) for s in student_ids}
    return keys, available


def _inputs_key(policy: Policy, assignment, extension_due_at, late_days_available: int, digests: dict) -> str:
    """deadline_inputs_key, worked out once per distinct inputs in `digests` (students with the same
    extension and late days share one)."""
    inputs = (assignment.id, extension_due_at, late_days_available)
    key = digests.get(inputs)
    if key is None:
        key = digests[inputs] = deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension_due_at,
            late_days_available=late_days_available,
        )
    return key


def deadline_rows_refresh(
    assignment: Assignment, rows: list[EffectiveDeadline], extensions: dict, now
) -> list[EffectiveDeadline]:
    """Stored rows of one assignment (`extensions`: the students' extended due times): rows stored from
    inputs that changed since (the recompute has not run yet) get, in memory only, the window and outcome
    the rules give today; fresh rows cost nothing more. Returns the stale rows (all of them when the
    assignment no longer has a due time: the recompute deletes those, and they are left as they are)."""
    if assignment.due_at is None:
        return list(rows)
    policy = Policy.of(assignment.course)
    keys, available = deadline_inputs_today(assignment, {r.student_id for r in rows}, extensions)
    stale = [r for r in rows if r.inputs_key != keys[r.student_id]]
    for row in stale:
        evaluation = deadline_evaluate(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extensions.get(row.student_id),
            late_days_available=available[row.student_id],
            submitted_at=row.last_submitted_at,
            closed_at=row.closed_at,
            now=now,
        )
        window = evaluation.window
        row.due_at, row.grace_ends_at, row.closes_at = window.due_at, window.grace_ends_at, window.closes_at
        row.extension_due_at = window.extension_due_at
        row.late_days_used, row.penalty_percent = evaluation.late_days_used, evaluation.penalty_percent
        row.outcome, row.closed_at = evaluation.outcome, evaluation.closed_at
    return stale


def deadline_rows_stale(
    course: Course, assignments: Iterable[Assignment], stored: Iterable[tuple[int, int, str, int]]
) -> set[tuple[int, int]]:
    """Of a course's stored rows, given as (student id, assignment id, inputs key, late days used) with
    every row of each student in the course, the (student id, assignment id) pairs stored from inputs that
    changed since (their recompute has not run yet). The late days a window may use are the bank less what
    the student's other rows spent, as stored today (as `deadlines_for_student` reads them). One query:
    the students' extensions. Rows of assignments without a due time are left out (the recompute deletes
    them)."""
    stored = list(stored)
    if not stored:
        return set()
    policy = Policy.of(course)
    due = {a.id: a for a in assignments if a.due_at is not None}
    spent: dict[int, int] = defaultdict(int)
    for student_id, _, _, used in stored:
        spent[student_id] += used
    extensions = {
        (assignment_id, student_id): due_at
        for assignment_id, student_id, due_at in Extension.objects.filter(
            assignment__course=course, student_id__in=list(spent)
        ).values_list("assignment_id", "student_id", "due_at")
    }
    digests: dict[tuple, str] = {}
    stale = set()
    for student_id, assignment_id, key, used in stored:
        assignment = due.get(assignment_id)
        if assignment is None:
            continue
        available = late_days_left(course.late_day_bank, spent[student_id] - used)
        extension_due_at = extensions.get((assignment_id, student_id))
        if key != _inputs_key(policy, assignment, extension_due_at, available, digests):
            stale.add((student_id, assignment_id))
    return stale


def deadline_rows_refresh_any(rows: list[EffectiveDeadline], now) -> list[EffectiveDeadline]:
    """deadline_rows_refresh for stored rows of any assignments (each with its assignment and course
    loaded), the extensions read in one query. Returns the stale rows."""
    by_assignment: dict[int, list[EffectiveDeadline]] = {}
    for row in rows:
        by_assignment.setdefault(row.assignment_id, []).append(row)
    extensions: dict[int, dict] = {}
    for assignment_id, student_id, due_at in Extension.objects.filter(
        assignment_id__in=list(by_assignment), student_id__in={r.student_id for r in rows}
    ).values_list("assignment_id", "student_id", "due_at"):
        extensions.setdefault(assignment_id, {})[student_id] = due_at
    stale = []
    for assignment_id, group in by_assignment.items():
        stale += deadline_rows_refresh(group[0].assignment, group, extensions.get(assignment_id, {}), now)
    return stale
