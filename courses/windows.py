"""The submission-window rules, as pure functions of a course's policy and an assignment's due time.

No database access here: services store what these return, selectors and pages show it.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from portal.zones import wall_time_to_instant


def add_local_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`moment` plus `days` calendar days at the same wall-clock time in `zone`, in UTC.

    "Two days" keeps the local time across a daylight-saving change (Sun 11:59 pm EST → Tue 11:59 pm EDT).
    A wall time that does not exist (spring forward) or exists twice (fall back) resolves to the later
    instant, so a student is never given less time than the rule says.
    """
    return wall_time_to_instant(moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=days), zone)


def local_days_late(due_at: datetime, submitted_at: datetime, zone: ZoneInfo) -> int:
    """Whole local days after `due_at` needed to cover `submitted_at` (0 when on time)."""
    if submitted_at <= due_at:
        return 0
    days = max(1, math.floor((submitted_at - due_at) / timedelta(days=1)))
    while add_local_days(due_at, days, zone) < submitted_at:
        days += 1
    while days > 1 and add_local_days(due_at, days - 1, zone) >= submitted_at:
        days -= 1
    return days


def late_days_spent(
    *,
    stored_late_days: int,
    stored_due_at: datetime | None,
    due_at: datetime | None,
    extension_due_at: datetime | None,
    submitted_at: datetime | None,
    zone: ZoneInfo,
) -> int:
    """What a student's stored row of one assignment spends of the late-day bank today: its stored late
    days, unless the effective due time it was stored with has moved since (an extension granted, the due
    time changed, and the row's recompute has not run yet). Then no more than the days its last submission
    is late by today's effective due time: a move that covers late work gives the days back at once, so
    the student's other windows are never short while the recompute waits (a move that would charge more
    waits for it)."""
    if not stored_late_days:
        return 0
    if due_at is None:
        return 0  # no due time any more: the recompute deletes the row
    effective = extension_due_at if extension_due_at is not None and extension_due_at > due_at else due_at
    if effective == stored_due_at or submitted_at is None:
        return stored_late_days
    return min(stored_late_days, local_days_late(effective, submitted_at, zone))


@dataclass(frozen=True)
class Policy:
    """A course's late-work policy, detached from the ORM so it can be computed anywhere."""

    kind: str  # "grace", "late_days" or "penalty" (Course.LatePolicy)
    zone: ZoneInfo
    grace_days: int = 2
    late_days_per_assignment: int = 0
    penalty_percent_per_day: Decimal = Decimal("0")
    penalty_floor_percent: Decimal = Decimal("0")
    penalty_max_days: int = 0
    late_day_bank: int = 0

    @classmethod
    def of(cls, course) -> "Policy":
        return cls(
            kind=course.late_policy,
            zone=course.zone,
            grace_days=course.grace_days,
            late_days_per_assignment=course.late_days_per_assignment,
            penalty_percent_per_day=course.penalty_percent_per_day,
            penalty_floor_percent=course.penalty_floor_percent,
            penalty_max_days=course.penalty_max_days,
            late_day_bank=course.late_day_bank,
        )


def late_days_offered(policy: Policy, late_days_available: int) -> int:
    """The late days a window under the late-day bank offers: what is left of the bank, at most the
    per-assignment cap."""
    return max(0, min(policy.late_days_per_assignment, late_days_available))


@dataclass(frozen=True)
class Window:
    due_at: datetime
    grace_ends_at: datetime | None
    closes_at: datetime
    extension_due_at: datetime | None


def window_for(
    *,
    policy: Policy,
    due_at: datetime,
    grace_allowed: bool,
    extension_due_at: datetime | None = None,
    late_days_available: int = 0,
) -> Window:
    """The window of one student for one assignment. An extension moves the due time; the grace
    window (where the assignment allows one) follows the new due time. An extension only ever adds time:
    if the assignment's own due time later moves past it, the student keeps the class's window."""
    if extension_due_at is not None and extension_due_at <= due_at:
        extension_due_at = None
    effective_due = extension_due_at or due_at
    extra_days = 0
    if grace_allowed:
        if policy.kind == "grace":
            extra_days = policy.grace_days
        elif policy.kind == "late_days":
            extra_days = late_days_offered(policy, late_days_available)
        elif policy.kind == "penalty":
            extra_days = policy.penalty_max_days
    grace_ends_at = add_local_days(effective_due, extra_days, policy.zone) if extra_days else None
    return Window(
        due_at=effective_due,
        grace_ends_at=grace_ends_at,
        closes_at=grace_ends_at or effective_due,
        extension_due_at=extension_due_at,
    )


def class_window(assignment, policy: Policy | None = None) -> Window | None:
    """The class's window for an assignment: the longest anyone has without an extension (under a late-day
    policy, as if every student had the per-assignment days left). None when it has no due time."""
    if assignment.due_at is None:
        return None
    policy = policy or Policy.of(assignment.course)
    return window_for(
        policy=policy,
        due_at=assignment.due_at,
        grace_allowed=assignment.grace_allowed,
        late_days_available=policy.late_days_per_assignment,
    )


@lru_cache(maxsize=1024)
def _policy_key_part(policy: Policy) -> str:
    """The policy's share of deadline_inputs_key, worked out once per policy (a list of a hundred
    deadlines has one or two)."""
    return "|".join(
        map(
            str,
            (
                policy.kind,
                policy.zone.key,
                policy.grace_days,
                policy.late_days_per_assignment,
                policy.late_day_bank,
                str(Decimal(policy.penalty_percent_per_day).normalize()),
                str(Decimal(policy.penalty_floor_percent).normalize()),
                policy.penalty_max_days,
            ),
        )
    )


def deadline_inputs_key(
    *,
    policy: Policy,
    due_at: datetime,
    grace_allowed: bool,
    extension_due_at: datetime | None,
    active: bool = True,
    late_days_available: int = 0,
) -> str:
    """Which version of its inputs a stored effective deadline was computed from: the assignment's due
    time and grace flag, the course's policy (kind, its numbers, time zone), the student's extension,
    whether their enrolment is active, and under the late-day bank the late days the window offers (what
    the student has left of the bank after the course's other assignments, at most the cap: a late
    submission elsewhere shortens this window before the recompute has rewritten it). A stored row whose
    key differs from this (or is empty) is stale: reads compute the window from the rules instead, and the
    reconciliation task rewrites it.
    """
    parts = (
        "v1",
        due_at.timestamp(),
        int(grace_allowed),
        _policy_key_part(policy),
        extension_due_at.timestamp() if extension_due_at is not None else "",
        int(active),
    )
    if policy.kind == "late_days" and grace_allowed:  # the other policies' keys are as they were
        parts += (f"offers {late_days_offered(policy, late_days_available)}",)
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def late_days_left(bank: int, spent: int) -> int:
    """What remains of a student's late-day bank after what they spent elsewhere (never negative)."""
    return max(0, bank - spent)


def penalty_for(*, policy: Policy, days_late: int) -> Decimal:
    """Percent taken off a submission `days_late` local days late (0 outside the penalty policy)."""
    if policy.kind != "penalty" or days_late <= 0:
        return Decimal("0")
    return min(Decimal("100") - policy.penalty_floor_percent, policy.penalty_percent_per_day * days_late)


def submission_timing(*, window: Window, submitted_at: datetime, policy_kind: str) -> str:
    """The one classification of a submission's time: "on_time", "in_grace" (after the due time, inside
    the window, under the grace policy), "late" (the same under the late-day bank or the penalty policy)
    or "after_window" (past the close: counts 0). Status, outcome, totals, pages and exports derive from it.
    """
    if submitted_at <= window.due_at:
        return "on_time"
    if submitted_at > window.closes_at:
        return "after_window"
    return "in_grace" if policy_kind == "grace" else "late"


def outcome_for(*, window: Window, submitted_at: datetime | None, closed: bool, policy_kind: str) -> str:
    """The stored outcome (EffectiveDeadline.Outcome): pending, submitted, submitted_in_grace,
    submitted_late or missing."""
    if submitted_at is None:
        return "missing" if closed else "pending"
    return {
        "on_time": "submitted",
        "in_grace": "submitted_in_grace",
        "late": "submitted_late",
        "after_window": "missing",
    }[submission_timing(window=window, submitted_at=submitted_at, policy_kind=policy_kind)]


@dataclass(frozen=True)
class Evaluation:
    """What a stored effective deadline holds beyond its window, for one student's latest submission."""

    window: Window
    late_days_used: int
    penalty_percent: Decimal
    outcome: str
    closed_at: datetime | None


def deadline_evaluate(
    *,
    policy: Policy,
    due_at: datetime,
    grace_allowed: bool,
    extension_due_at: datetime | None,
    late_days_available: int,
    submitted_at: datetime | None,
    closed_at: datetime | None,
    now: datetime,
) -> Evaluation:
    """One student's stored deadline from the rules: what the recompute writes and what a read shows when
    the stored row is stale or missing. `closed_at` is when the closing task recorded the window (kept
    while the window is still in the past; a window that moved into the future reopens)."""
    window = window_for(
        policy=policy,
        due_at=due_at,
        grace_allowed=grace_allowed,
        extension_due_at=extension_due_at,
        late_days_available=late_days_available,
    )
    days_late = local_days_late(window.due_at, submitted_at, policy.zone) if submitted_at else 0
    in_window = submitted_at is not None and submitted_at <= window.closes_at
    is_closed = window.closes_at < now
    return Evaluation(
        window=window,
        late_days_used=days_late if in_window and policy.kind == "late_days" else 0,
        penalty_percent=penalty_for(policy=policy, days_late=days_late) if in_window else Decimal("0"),
        outcome=outcome_for(
            window=window,
            submitted_at=submitted_at,
            closed=is_closed and closed_at is not None,
            policy_kind=policy.kind,
        ),
        closed_at=closed_at if is_closed else None,
    )


def status_for(*, window: Window, submitted_at: datetime | None, now: datetime, policy_kind: str) -> str:
    """The student-facing status: open, grace, closed, submitted, submitted_in_grace or submitted_late.

    A submission reads like its outcome; one made after the window (the due time moved earlier since)
    reads "closed", as it counts 0.
    """
    if submitted_at is not None:
        outcome = outcome_for(window=window, submitted_at=submitted_at, closed=True, policy_kind=policy_kind)
        return "closed" if outcome == "missing" else outcome
    if now <= window.due_at:
        return "open"
    if now <= window.closes_at:
        return "grace"
    return "closed"
