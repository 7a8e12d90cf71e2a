"""The set-based recompute (one SQL UPDATE for the class's shared window, its outcome a CASE) and the pure
Python rules (`window_for`, `outcome_for`) agree on generated cases (issue 11: where a rule also exists as
SQL, a property test checks that the SQL and the Python agree), and so does the read that computes a stale
row on the spot."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from courses.models import Assignment, Course, EffectiveDeadline, Extension
from courses.selectors import deadlines_for_student
from courses.services.deadlines import deadline_recompute
from courses.windows import Policy, deadline_inputs_key, outcome_for, window_for
from portal.zones import wall_time_to_instant
from tests.factories import CourseFactory, EnrolmentFactory, SectionFactory, UserFactory

# Days around daylight-saving changes: New York (Mar 12, Nov 5 2023), London (Mar 26, Oct 29), Sydney
# (Apr 2, Oct 1), and a plain week.
DAYS = [
    (2023, 3, 10),
    (2023, 3, 11),
    (2023, 3, 12),
    (2023, 11, 3),
    (2023, 11, 4),
    (2023, 11, 5),
    (2023, 3, 24),
    (2023, 3, 25),
    (2023, 10, 27),
    (2023, 3, 31),
    (2023, 9, 29),
    (2023, 2, 12),
]
ZONES = ["America/New_York", "Europe/London", "Australia/Sydney"]
EDGES = [-60, -1, 0, 1, 60, 2 * 1440 - 1, 2 * 1440, 2 * 1440 + 1, 3 * 1440 + 60, 6 * 1440]
# Minutes after the due time: mostly the edges of the window (on the due time, on the grace end, either side).
MINUTES = st.one_of(st.sampled_from(EDGES), st.sampled_from([0, 2 * 1440]), st.integers(-3 * 1440, 7 * 1440))

case = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "day": st.sampled_from(DAYS),
        "hour": st.sampled_from([0, 1, 2, 3, 12, 23]),
        "minute": st.sampled_from([0, 30, 59]),
        "grace_allowed": st.booleans(),
        "kind": st.sampled_from(["grace", "grace", "late_days", "penalty"]),
        "grace_days": st.integers(min_value=0, max_value=4),
        "extension_days": st.one_of(st.none(), st.integers(min_value=-1, max_value=3)),
        "submitted": st.lists(st.one_of(st.none(), MINUTES), min_size=3, max_size=3),
        "closed": st.lists(st.booleans(), min_size=3, max_size=3),
        "now_minutes": MINUTES,
        "moved_minutes": st.sampled_from([-1440, -60, 60, 1440, 7 * 1440]),
    }
)


def _case(**overrides) -> dict:
    base = {
        "zone": "America/New_York",
        "day": (2023, 11, 3),
        "hour": 23,
        "minute": 59,
        "grace_allowed": True,
        "kind": "grace",
        "grace_days": 2,
        "extension_days": 2,
        "submitted": [None, None, None],
        "closed": [False, False, False],
        "now_minutes": -60,
        "moved_minutes": 1440,
    }
    return base | overrides


@pytest.fixture
def cohort(db):
    course = CourseFactory(code="PROP")
    section = SectionFactory(course=course)
    students = [EnrolmentFactory(user=UserFactory(username=f"p{i}"), section=section).user for i in range(4)]
    return course, students


@settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(c=case)
@example(c=_case(day=(2023, 2, 10), submitted=[0, 2 * 1440, 2 * 1440 + 1], now_minutes=60))
@example(c=_case(submitted=[0, 2 * 1440, 2 * 1440 + 60], closed=[False, False, False], now_minutes=60))
@example(c=_case(submitted=[None, -1, 1], closed=[True, False, True], now_minutes=3 * 1440))
@example(
    c=_case(zone="America/New_York", day=(2023, 3, 10), hour=23, minute=59, submitted=[2 * 1440, None, 0])
)
def test_set_based_recompute_and_read_agree_with_the_rules(cohort, c):
    course, students = cohort
    with transaction.atomic():
        Course.objects.filter(pk=course.pk).update(
            time_zone=c["zone"], late_policy=c["kind"], grace_days=c["grace_days"], late_day_bank=3
        )
        course.refresh_from_db()
        zone = ZoneInfo(c["zone"])
        due = wall_time_to_instant(datetime(*c["day"], c["hour"], c["minute"]), zone)
        assignment = Assignment.objects.create(
            course=course, code="P1", title="P1", due_at=due, grace_allowed=c["grace_allowed"]
        )
        moved = due + timedelta(minutes=c["moved_minutes"])  # where the due time moves to, below
        extension = None
        if c["extension_days"] is not None:
            extension = due + timedelta(days=c["extension_days"], minutes=c["moved_minutes"])
            Extension.objects.create(
                student=students[3],
                assignment=assignment,
                due_at=extension,
                dean_reference="D",
                granted_by=students[0],
                granted_at=due,
            )
        deadline_recompute(assignment_id=assignment.id, now=due - timedelta(days=30))  # every row created
        for student, minutes, closed in zip(students, c["submitted"], c["closed"], strict=False):
            EffectiveDeadline.objects.filter(student=student, assignment=assignment).update(
                last_submitted_at=None if minutes is None else moved + timedelta(minutes=minutes),
                closed_at=due if closed else None,
            )
        # The due time moves; the recompute runs its set-based UPDATE for the class.
        Assignment.objects.filter(pk=assignment.pk).update(due_at=moved)
        assignment.refresh_from_db()
        now = assignment.due_at + timedelta(minutes=c["now_minutes"])
        before = {r.student_id: r for r in EffectiveDeadline.objects.filter(assignment=assignment)}
        deadline_recompute(assignment_id=assignment.id, now=now)

        policy = Policy.of(course)
        for student in students:
            row = EffectiveDeadline.objects.get(student=student, assignment=assignment)
            ext = extension if student == students[3] else None
            window = window_for(
                policy=policy,
                due_at=assignment.due_at,
                grace_allowed=assignment.grace_allowed,
                extension_due_at=ext,
                late_days_available=course.late_day_bank,
            )
            assert (row.due_at, row.grace_ends_at, row.closes_at, row.extension_due_at) == (
                window.due_at,
                window.grace_ends_at,
                window.closes_at,
                window.extension_due_at,
            ), (student.username, c)
            is_closed = window.closes_at < now
            was_closed = before[student.id].closed_at is not None
            assert row.outcome == outcome_for(
                window=window,
                submitted_at=row.last_submitted_at,
                closed=is_closed and was_closed,
                policy_kind=policy.kind,
            ), (student.username, c)
            assert row.inputs_key == deadline_inputs_key(
                policy=policy,
                due_at=assignment.due_at,
                grace_allowed=assignment.grace_allowed,
                extension_due_at=ext,
                active=True,
            )

            # The read shows the stored row; with the row marked stale it computes the same on the spot.
            stored = _read(student, course, assignment, now)
            EffectiveDeadline.objects.filter(pk=row.pk).update(inputs_key="")
            computed = _read(student, course, assignment, now)
            assert computed == stored, (student.username, c)
        transaction.set_rollback(True)


def _read(student, course, assignment, now):
    row = next(
        r
        for r in deadlines_for_student(student, now=now, course_id=course.id)
        if r.assignment.id == assignment.id
    )
    return (
        row.due_at,
        row.grace_ends_at,
        row.closes_at,
        row.extension_due_at,
        row.submitted_at,
        row.status,
        row.outcome,
        row.late_days_used,
    )
