"""The window rule as pure functions: "2 days" of grace keeps the local wall-clock time in
America/New_York across daylight-saving changes, and never gives a student less time than the rule says."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from courses.windows import (
    Policy,
    add_local_days,
    local_days_late,
    penalty_for,
    status_for,
    window_for,
)
from tests.courses.helpers import MINUTE, NY

GRACE = Policy(kind="grace", zone=NY)


def local(year, month, day, hour=23, minute=59, fold=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY, fold=fold)


def wall(moment: datetime) -> tuple:
    """The local wall-clock reading of an instant in New York, with the zone's abbreviation."""
    t = moment.astimezone(NY)
    return (t.year, t.month, t.day, t.hour, t.minute, t.tzname())


# ---- the course's own examples ------------------------------------------------------------------------


def test_ps0_week_due_sunday_jan_15_grace_ends_tuesday_same_time_est():
    due = local(2023, 1, 15)  # Sun Jan 15 2023 11:59 pm EST
    grace = add_local_days(due, 2, NY)
    assert wall(grace) == (2023, 1, 17, 23, 59, "EST")
    assert grace - due == timedelta(hours=48)
    assert grace == datetime(2023, 1, 18, 4, 59, tzinfo=UTC)


def test_due_sunday_after_spring_forward_grace_ends_tuesday_11_59_pm_edt():
    due = local(2023, 3, 12)  # Sun Mar 12 2023 11:59 pm EDT (clocks went forward at 2 am that day)
    assert wall(due)[-1] == "EDT"
    grace = add_local_days(due, 2, NY)
    assert wall(grace) == (2023, 3, 14, 23, 59, "EDT")
    assert grace == datetime(2023, 3, 15, 3, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "grace_wall", "hours"),
    [
        # Grace spans the spring-forward night: 47 real hours, still Sun→Tue at 11:59 pm.
        (local(2023, 3, 10), (2023, 3, 12, 23, 59, "EDT"), 47),
        (local(2023, 3, 11), (2023, 3, 13, 23, 59, "EDT"), 47),
        # Grace spans the fall-back night: 49 real hours.
        (local(2023, 11, 4), (2023, 11, 6, 23, 59, "EST"), 49),
        (local(2023, 11, 3), (2023, 11, 5, 23, 59, "EST"), 49),
        # Due after the change: an ordinary 48 hours.
        (local(2023, 11, 5), (2023, 11, 7, 23, 59, "EST"), 48),
    ],
    ids=["fri-mar-10", "sat-mar-11", "sat-nov-4", "fri-nov-3", "sun-nov-5"],
)
def test_grace_keeps_the_wall_clock_across_dst(due, grace_wall, hours):
    grace = add_local_days(due, 2, NY)
    assert wall(grace) == grace_wall
    assert grace - due == timedelta(hours=hours)


def test_fall_back_due_sunday_nov_5_2023_is_est_and_grace_is_tuesday():
    due = local(2023, 11, 5)
    assert wall(due) == (2023, 11, 5, 23, 59, "EST")
    assert add_local_days(due, 2, NY) == datetime(2023, 11, 8, 4, 59, tzinfo=UTC)


def test_fall_back_due_saturday_nov_4_grace_ends_monday_nov_6():
    due = local(2023, 11, 4)  # Sat 11:59 pm EDT
    assert wall(due)[-1] == "EDT"
    grace = add_local_days(due, 2, NY)
    assert wall(grace) == (2023, 11, 6, 23, 59, "EST")


def test_nonexistent_wall_time_resolves_to_the_later_instant():
    # Fri Mar 10 2023 2:30 am EST + 2 days = Sun Mar 12 2:30 am, which never happened (2 am → 3 am).
    due = local(2023, 3, 10, 2, 30)
    grace = add_local_days(due, 2, NY)
    early, late = datetime(2023, 3, 12, 6, 30, tzinfo=UTC), datetime(2023, 3, 12, 7, 30, tzinfo=UTC)
    assert grace == late
    assert grace > early
    assert wall(grace) == (2023, 3, 12, 3, 30, "EDT")
    assert grace - due == timedelta(hours=48)  # never less time than 2 days


def test_ambiguous_wall_time_resolves_to_the_later_instant():
    # Fri Nov 3 2023 1:30 am EDT + 2 days = Sun Nov 5 1:30 am, which happened twice (EDT, then EST).
    due = local(2023, 11, 3, 1, 30)
    grace = add_local_days(due, 2, NY)
    assert grace == datetime(2023, 11, 5, 6, 30, tzinfo=UTC)  # 1:30 am EST, not 1:30 am EDT (05:30 UTC)
    assert wall(grace) == (2023, 11, 5, 1, 30, "EST")
    assert grace - due == timedelta(hours=49)


@pytest.mark.parametrize("fold", [0, 1])
def test_due_inside_the_repeated_hour_keeps_its_wall_time(fold):
    due = local(2023, 11, 5, 1, 30, fold=fold)
    grace = add_local_days(due, 2, NY)
    assert wall(grace) == (2023, 11, 7, 1, 30, "EST")
    assert grace - due == timedelta(hours=49 if fold == 0 else 48)


# ---- properties over 2020-2030 -------------------------------------------------------------------------


def _dst_transitions(first_year: int, last_year: int) -> list[datetime]:
    """Every UTC instant in the range at which New York's UTC offset changes."""
    found = []
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    previous = t.astimezone(NY).utcoffset()
    while t < end:
        t += timedelta(hours=1)
        offset = t.astimezone(NY).utcoffset()
        if offset != previous:
            found.append(t)
            previous = offset
    return found


TRANSITIONS = _dst_transitions(2020, 2030)

any_instant = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31, 23, 59), timezones=st.just(UTC)
)
near_a_transition = st.builds(
    lambda t, seconds: t + timedelta(seconds=seconds),
    st.sampled_from(TRANSITIONS),
    st.integers(min_value=-4 * 86400, max_value=4 * 86400),
)
due_times = st.one_of(any_instant, near_a_transition)


def _exists(naive: datetime) -> bool:
    """Does this wall time occur in New York (not skipped by spring forward)?"""
    return naive.replace(tzinfo=NY).astimezone(UTC).astimezone(NY).replace(tzinfo=None) == naive


def test_transition_table_has_two_changes_a_year():
    assert len(TRANSITIONS) == 22
    assert datetime(2023, 3, 12, 7, tzinfo=UTC) in TRANSITIONS
    assert datetime(2023, 11, 5, 6, tzinfo=UTC) in TRANSITIONS


@settings(max_examples=600, deadline=None)
@given(due=due_times)
@example(due=local(2023, 1, 15).astimezone(UTC))
@example(due=local(2023, 3, 10, 2, 30).astimezone(UTC))
@example(due=local(2023, 11, 3, 1, 30).astimezone(UTC))
def test_grace_end_is_same_wall_time_two_local_days_later(due):
    grace = add_local_days(due, 2, NY)
    due_local, grace_local = due.astimezone(NY), grace.astimezone(NY)
    target = due_local.replace(tzinfo=None) + timedelta(days=2)

    assert grace.tzinfo is not None and grace.utcoffset() == timedelta(0)  # stored in UTC
    assert grace_local.date() - due_local.date() == timedelta(days=2)
    if _exists(target):
        # Same wall-clock time, exactly 2 calendar days later; a repeated time is its later instant.
        assert grace_local.replace(tzinfo=None) == target
        assert grace == max(
            target.replace(tzinfo=NY, fold=0).astimezone(UTC),
            target.replace(tzinfo=NY, fold=1).astimezone(UTC),
        )
    else:
        # The wall time was skipped (2:xx am on spring-forward day): the later instant, read as 3:xx am EDT.
        assert grace_local.replace(tzinfo=None) == target + timedelta(hours=1)
    assert timedelta(hours=47) <= grace - due <= timedelta(hours=49)


@settings(max_examples=400, deadline=None)
@given(due=due_times, late_by=st.integers(min_value=1, max_value=30 * 86400))
def test_local_days_late_is_the_fewest_local_days_that_cover_the_submission(due, late_by):
    submitted = due + timedelta(seconds=late_by)
    days = local_days_late(due, submitted, NY)
    assert days >= 1
    assert add_local_days(due, days, NY) >= submitted
    if days > 1:
        assert add_local_days(due, days - 1, NY) < submitted


@settings(max_examples=200, deadline=None)
@given(due=due_times, early_by=st.integers(min_value=0, max_value=30 * 86400))
def test_on_time_is_zero_days_late(due, early_by):
    assert local_days_late(due, due - timedelta(seconds=early_by), NY) == 0


def test_local_days_late_across_spring_forward():
    due = local(2023, 3, 11).astimezone(UTC)  # Sat 11:59 pm EST; a local day later is Sun 11:59 pm EDT
    assert add_local_days(due, 1, NY) - due == timedelta(hours=23)
    assert local_days_late(due, due + timedelta(hours=23), NY) == 1
    assert local_days_late(due, due + timedelta(hours=23, minutes=1), NY) == 2
    assert local_days_late(due, add_local_days(due, 2, NY), NY) == 2


# ---- windows, penalties and status ---------------------------------------------------------------------


def test_grace_window_and_status_boundaries():
    due = local(2023, 2, 12)
    window = window_for(policy=GRACE, due_at=due, grace_allowed=True)
    assert window.grace_ends_at == local(2023, 2, 14) == window.closes_at

    def status(now, submitted=None):
        return status_for(window=window, submitted_at=submitted, now=now, policy_kind="grace")

    assert status(due - MINUTE) == "open"
    assert status(due) == "open"  # due "at 11:59 pm" includes 11:59 pm
    assert status(due + MINUTE) == "grace"
    assert status(window.closes_at) == "grace"
    assert status(window.closes_at + MINUTE) == "closed"
    assert status(due + MINUTE, submitted=due) == "submitted"
    assert status(window.closes_at + MINUTE, submitted=due + MINUTE) == "submitted_in_grace"


def test_no_grace_assignment_closes_at_its_due_time():
    due = local(2023, 1, 15)
    window = window_for(policy=GRACE, due_at=due, grace_allowed=False)
    assert window.grace_ends_at is None
    assert window.closes_at == due
    assert status_for(window=window, submitted_at=None, now=due + MINUTE, policy_kind="grace") == "closed"


def test_an_extension_moves_the_due_time_and_grace_follows_it():
    due, extended = local(2023, 2, 12), local(2023, 3, 10)
    window = window_for(policy=GRACE, due_at=due, grace_allowed=True, extension_due_at=extended)
    assert window.due_at == extended
    assert window.extension_due_at == extended
    assert wall(window.grace_ends_at) == (2023, 3, 12, 23, 59, "EDT")


def test_an_extension_never_shortens_the_window_when_the_due_time_later_moves_past_it():
    """The extension was granted for Feb 19; the class then got until Feb 26. Only an extension grants
    more time, so the extended student keeps at least the class's window."""
    window = window_for(
        policy=GRACE, due_at=local(2023, 2, 26), grace_allowed=True, extension_due_at=local(2023, 2, 19)
    )
    assert window.due_at == local(2023, 2, 26)
    assert window.closes_at == local(2023, 2, 28)
    assert window.extension_due_at is None  # superseded: nothing shows as "extended"


@pytest.mark.parametrize(("available", "days"), [(0, 0), (1, 1), (2, 2), (5, 2), (-1, 0)])
def test_late_day_window_is_limited_by_the_bank_and_per_assignment_cap(available, days):
    policy = Policy(kind="late_days", zone=NY, late_days_per_assignment=2)
    due = local(2023, 3, 11)
    window = window_for(policy=policy, due_at=due, grace_allowed=True, late_days_available=available)
    assert window.closes_at == (add_local_days(due, days, NY) if days else due)
    assert (window.grace_ends_at is None) == (days == 0)


def test_penalty_is_per_day_with_a_floor():
    policy = Policy(
        kind="penalty",
        zone=NY,
        penalty_percent_per_day=Decimal("20"),
        penalty_floor_percent=Decimal("50"),
        penalty_max_days=5,
    )
    assert [penalty_for(policy=policy, days_late=d) for d in range(5)] == [0, 20, 40, 50, 50]
    assert penalty_for(policy=GRACE, days_late=2) == 0


@pytest.mark.parametrize(
    ("policy_kind", "late_status"),
    [("grace", "submitted_in_grace"), ("late_days", "submitted_late"), ("penalty", "submitted_late")],
)
def test_status_and_outcome_classify_late_work_alike(policy_kind, late_status):
    """One classification: the status a student sees, the stored outcome and the submission's timing."""
    from courses.windows import outcome_for, submission_timing

    due = local(2023, 2, 12)
    window = window_for(policy=GRACE, due_at=due, grace_allowed=True)
    late = due + MINUTE
    assert status_for(window=window, submitted_at=late, now=late, policy_kind=policy_kind) == late_status
    assert outcome_for(window=window, submitted_at=late, closed=False, policy_kind=policy_kind) == late_status
    assert submission_timing(window=window, submitted_at=late, policy_kind=policy_kind) == (
        "in_grace" if policy_kind == "grace" else "late"
    )
    on_time = status_for(window=window, submitted_at=due, now=late, policy_kind=policy_kind)
    assert on_time == "submitted"
    # A submission after the window (the due time moved earlier since) counts 0 and reads closed.
    after = window.closes_at + MINUTE
    assert status_for(window=window, submitted_at=after, now=after, policy_kind=policy_kind) == "closed"
    assert outcome_for(window=window, submitted_at=after, closed=True, policy_kind=policy_kind) == "missing"
