"""The late days a window offers are part of a stored deadline's inputs key under the late-day bank
and its settling. Whatever wrote the rows (a submission, a recompute, the reconciliation) and whatever
was lost on the way (the follow-up recompute task), the student is shown the window the submission
check enforces, a recompute leaves nothing for the reconciliation to fix, and the reconciliation is
idempotent and leaves fresh rows alone. The grace and penalty policies' keys are unaffected."""

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from courses.models import Assignment, Course, EffectiveDeadline, Enrolment
from courses.selectors import submission_overview
from courses.services.deadlines import deadline_recompute_course, deadline_reconcile
from courses.services.enrolments import enrolment_set
from tests.courses.helpers import HOUR, MINUTE, a, at, grant_extension, my_deadlines, row_of, snapshot, submit
from tests.factories import AssignmentFactory, eastern

HW1_DUE, HW2_DUE, HW3_DUE = eastern(2023, 2, 12), eastern(2023, 2, 26), eastern(2023, 3, 19)


@contextmanager
def undone():
    """Whatever the block writes is rolled back: a probing submission spends no late days."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


def shown_close(api, user, assignment, *, now) -> datetime:
    with at(now):
        return datetime.fromisoformat(my_deadlines(api, user)[assignment.code]["closes_at"])


def assert_shown_is_enforced(api, world, user, assignment, *, now, expected: datetime) -> None:
    """At `now` the student is shown `expected` as the close; the submission check takes work a minute
    before it and refuses it a minute after (both probes rolled back), and the list still shows that
    close at both moments; the staff's overview shows the same close."""
    closes = shown_close(api, user, assignment, now=now)
    assert closes == expected, f"{user.username} {assignment.code}: shown {closes}, expected {expected}"
    with undone(), at(closes - MINUTE):
        assert shown_close(api, user, assignment, now=closes - MINUTE) == closes
        accepted = submit(api, user, assignment)
        assert accepted.status_code == 201, accepted.content
    with undone(), at(closes + MINUTE):
        assert shown_close(api, user, assignment, now=closes + MINUTE) == closes
        refused = submit(api, user, assignment)
        assert refused.status_code == 400, refused.content
        assert refused.json()["code"] == "window_closed"
        assert datetime.fromisoformat(refused.json()["fields"]["closes_at"]) == closes
    with at(now):  # the assignment and course as stored now (an instance's cached course may be older)
        overview = submission_overview(Assignment.objects.get(pk=assignment.pk), user=world.instructor)
    listed = [
        r
        for r in (*overview.on_time, *overview.in_grace, *overview.not_yet, *overview.missing)
        if r.student_id == user.id
    ]
    assert [r.closes_at for r in listed] == [closes], f"overview of {assignment.code} for {user.username}"


def patch_course(api, world, **changes):
    response = api.as_user(world.instructor).patch(
        reverse("api-course", args=[world.course.id]), changes, format="json"
    )
    assert response.status_code == 200, response.content


def used(user) -> dict[str, int]:
    return dict(
        EffectiveDeadline.objects.filter(student=user).values_list("assignment__code", "late_days_used")
    )


# ---- after a recompute, nothing is left to reconcile ---------------------------------------------------


def test_a_full_recompute_leaves_nothing_to_reconcile_with_late_work_and_extensions(
    bank, api, django_capture_on_commit_callbacks
):
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")
    with django_capture_on_commit_callbacks(execute=True):
        with at(HW1_DUE - 5 * HOUR):
            grant_extension(api, bank.instructor, bank.gr1, hw1, eastern(2023, 2, 15))
        with at(HW1_DUE + 30 * HOUR):
            assert submit(api, bank.ug1, hw1).status_code == 201  # 2 days
        with at(HW1_DUE + HOUR):
            assert submit(api, bank.ug2, hw1).status_code == 201  # 1 day
        with at(eastern(2023, 2, 15) + HOUR):
            assert submit(api, bank.gr1, hw1).status_code == 201  # 1 day after the extension
        with at(HW2_DUE - 5 * HOUR):
            grant_extension(api, bank.instructor, bank.ug2, hw2, eastern(2023, 3, 1))
        with at(eastern(2023, 3, 2, 10, 0)):
            assert submit(api, bank.ug2, hw2).status_code == 201  # 1 day after the extension
    assert (used(bank.ug1), used(bank.ug2), used(bank.gr1)) == (
        {"PS0": 0, "HW1": 2, "HW2": 0, "HW3": 0},
        {"PS0": 0, "HW1": 1, "HW2": 1, "HW3": 0},
        {"PS0": 0, "HW1": 1, "HW2": 0, "HW3": 0},
    )
    with at(eastern(2023, 3, 5)):
        bank.recompute()
        assert deadline_reconcile() == 0
        assert deadline_recompute_course(course_id=bank.course.id) > 0
        assert deadline_reconcile() == 0
    now = eastern(2023, 3, 5)
    assert_shown_is_enforced(api, bank, bank.ug1, hw3, now=now, expected=eastern(2023, 3, 20))  # 1 day left
    assert_shown_is_enforced(api, bank, bank.ug2, hw3, now=now, expected=eastern(2023, 3, 20))  # 1 day left
    assert_shown_is_enforced(api, bank, bank.gr1, hw3, now=now, expected=eastern(2023, 3, 21))  # 2 (the cap)
    assert_shown_is_enforced(api, bank, bank.ug1, hw2, now=HW2_DUE - HOUR, expected=eastern(2023, 2, 27))


# ---- an extension for a student who spent bank days ----------------------------------------------------


def test_an_extension_that_covers_late_work_gives_the_days_back_on_the_other_windows(
    bank, api, django_capture_on_commit_callbacks
):
    """The extension's recompute gives ug1's day back: their HW2 and HW3 rows are settled by the same
    recompute (two days each), shown and enforced so, and nothing is left for the reconciliation."""
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 27)  # one day left, stored
    with at(eastern(2023, 2, 20)), django_capture_on_commit_callbacks(execute=True):
        grant_extension(
            api, bank.instructor, bank.ug1, hw1, eastern(2023, 2, 14)
        )  # covers the submission: no late day
    assert row_of(bank.ug1, hw1).late_days_used == 0
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 28)  # settled with HW1's recompute
    assert_shown_is_enforced(api, bank, bank.ug1, hw2, now=HW2_DUE - HOUR, expected=eastern(2023, 2, 28))
    others = snapshot(hw2)
    with at(HW2_DUE - HOUR):
        assert deadline_reconcile() == 0
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 28)
    assert row_of(bank.ug1, hw3).closes_at == eastern(2023, 3, 21)
    assert [r for r in snapshot(hw2) if r["student_id"] != bank.ug1.id] == [
        r for r in others if r["student_id"] != bank.ug1.id
    ]  # classmates' fresh rows are not rewritten


def test_the_reconciliation_is_idempotent_when_its_own_recompute_gives_late_days_back(
    bank, api, django_capture_on_commit_callbacks
):
    """ug1 spends 2 days on HW2 (their HW1 and HW3 rows are rewritten to one day left); the extension
    that covers that HW2 submission is granted, and its recompute task is lost. The reconciliation finds
    the HW1 row drifted (the bank counts the day the extension gives back at once:
    courses.windows.late_days_spent) and the HW2 row, whose recompute settles ug1's HW3 in the same run,
    so a second run finds nothing."""
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")
    with at(HW2_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw2).status_code == 201
    assert row_of(bank.ug1, hw1).closes_at == eastern(2023, 2, 13)  # HW1 offers one day now
    with at(eastern(2023, 3, 2)):
        grant_extension(
            api, bank.instructor, bank.ug1, hw2, eastern(2023, 2, 28)
        )  # no callbacks: the task is lost
    with at(eastern(2023, 3, 2)):
        first = deadline_reconcile()
        second = deadline_reconcile()
    assert row_of(bank.ug1, hw2).late_days_used == 0
    assert row_of(bank.ug1, hw1).closes_at == eastern(2023, 2, 14)
    assert row_of(bank.ug1, hw3).closes_at == eastern(2023, 3, 21)
    assert (first, second) == (2, 0)  # the drifted HW1 and HW2 rows; HW3 settled with them


# ---- a resubmission that changes the days spent ------------------------------------------------------


def test_a_later_resubmission_spends_more_and_shortens_the_next_window_at_once(
    bank, api, django_capture_on_commit_callbacks
):
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")
    with at(HW1_DUE + HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201  # 1 day
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 28)  # 2 days left: the cap
    with at(HW1_DUE + 30 * HOUR):
        assert submit(api, bank.ug1, hw1).status_code == 201  # 2 days; the follow-up task is lost
    assert row_of(bank.ug1, hw1).late_days_used == 2
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 28)  # stale
    assert_shown_is_enforced(api, bank, bank.ug1, hw2, now=HW2_DUE - HOUR, expected=eastern(2023, 2, 27))
    assert_shown_is_enforced(api, bank, bank.ug1, hw3, now=HW2_DUE - HOUR, expected=eastern(2023, 3, 20))
    before = {code: snapshot(a(bank, code)) for code in ("PS0", "HW1")}
    with at(HW2_DUE - HOUR):
        assert deadline_reconcile() == 2  # ug1's HW2 and HW3
        assert deadline_reconcile() == 0
    assert {code: snapshot(a(bank, code)) for code in ("PS0", "HW1")} == before  # fresh rows untouched
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 27)


# ---- an exhausted bank, and a cap larger than the bank -------------------------------------------------


def test_an_exhausted_bank_offers_no_late_time_before_and_after_the_recompute(
    bank, api, django_capture_on_commit_callbacks
):
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201  # 2 days
    with at(HW2_DUE + 20 * HOUR):
        assert submit(api, bank.ug1, hw2).status_code == 201  # 1 day: empty; the follow-up task is lost
    assert row_of(bank.ug1, hw3).grace_ends_at == eastern(2023, 3, 20)  # stored: one day left
    with at(HW3_DUE - HOUR):
        shown = my_deadlines(api, bank.ug1)["HW3"]
    assert shown["grace_ends_at"] is None
    assert_shown_is_enforced(api, bank, bank.ug1, hw3, now=HW3_DUE - HOUR, expected=HW3_DUE)
    assert_shown_is_enforced(api, bank, bank.ug2, hw3, now=HW3_DUE - HOUR, expected=eastern(2023, 3, 21))
    with at(HW3_DUE - HOUR):
        assert deadline_reconcile() == 1  # ug1's HW3
        assert deadline_reconcile() == 0
        bank.recompute()
        assert deadline_reconcile() == 0
    assert row_of(bank.ug1, hw3).closes_at == HW3_DUE
    assert row_of(bank.ug1, hw3).grace_ends_at is None
    assert_shown_is_enforced(api, bank, bank.ug1, hw3, now=HW3_DUE - HOUR, expected=HW3_DUE)


def test_a_cap_larger_than_the_bank_offers_what_is_left_of_the_bank(
    bank, api, django_capture_on_commit_callbacks
):
    with at(eastern(2023, 2, 1)), django_capture_on_commit_callbacks(execute=True):
        patch_course(api, bank, late_day_bank=1, late_days_per_assignment=3)
    with at(eastern(2023, 2, 1)):
        assert deadline_reconcile() == 0
    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    assert_shown_is_enforced(api, bank, bank.ug1, hw1, now=HW1_DUE - HOUR, expected=eastern(2023, 2, 13))
    with at(HW1_DUE + HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201
    assert_shown_is_enforced(api, bank, bank.ug1, hw2, now=HW2_DUE - HOUR, expected=HW2_DUE)
    assert_shown_is_enforced(api, bank, bank.ug2, hw2, now=HW2_DUE - HOUR, expected=eastern(2023, 2, 27))
    with at(HW2_DUE - HOUR):
        assert deadline_reconcile() == 0


# ---- no late time for one assignment under the bank ---------------------------------------------------


def test_an_assignment_without_late_time_is_keyed_and_shown_as_before(
    bank, api, django_capture_on_commit_callbacks
):
    """PS0 allows no late time; HW2's late time is turned off after ug1 spent days on HW1."""
    ps0, hw1, hw2 = a(bank, "PS0"), a(bank, "HW1"), a(bank, "HW2")
    with at(eastern(2023, 1, 1)):
        assert deadline_reconcile() == 0
    assert_shown_is_enforced(
        api, bank, bank.ug1, ps0, now=eastern(2023, 1, 15, 12), expected=eastern(2023, 1, 15)
    )
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201
    with at(eastern(2023, 2, 20)), django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(bank.instructor).patch(
            reverse("api-assignment", args=[hw2.id]), {"grace_allowed": False}, format="json"
        )
    assert response.status_code == 200, response.content
    with at(eastern(2023, 2, 20)):
        assert deadline_reconcile() == 0
        bank.recompute()
        assert deadline_reconcile() == 0
    assert_shown_is_enforced(api, bank, bank.ug1, hw2, now=HW2_DUE - HOUR, expected=HW2_DUE)
    assert_shown_is_enforced(api, bank, bank.ug2, hw2, now=HW2_DUE - HOUR, expected=HW2_DUE)
    assert_shown_is_enforced(api, bank, bank.ug1, a(bank, "HW3"), now=HW2_DUE, expected=eastern(2023, 3, 20))


# ---- the instructor changes the bank -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "ug1_closes", "ug2_closes"),
    [
        (2, HW2_DUE, eastern(2023, 2, 28)),  # ug1 spent 2 of 2: nothing left
        (5, eastern(2023, 2, 28), eastern(2023, 2, 28)),  # 3 left, the cap is 2
    ],
    ids=["smaller", "larger"],
)
@pytest.mark.parametrize("task", ["run", "lost"])
def test_a_new_bank_size_reaches_the_windows_shown_and_enforced(
    bank, api, django_capture_on_commit_callbacks, size, ug1_closes, ug2_closes, task
):
    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201  # 2 days
    with at(eastern(2023, 2, 20)), django_capture_on_commit_callbacks(execute=task == "run"):
        patch_course(api, bank, late_day_bank=size)
    assert_shown_is_enforced(api, bank, bank.ug1, hw2, now=HW2_DUE - HOUR, expected=ug1_closes)
    assert_shown_is_enforced(api, bank, bank.ug2, hw2, now=HW2_DUE - HOUR, expected=ug2_closes)
    assert row_of(bank.ug1, hw1).late_days_used == 2
    with at(eastern(2023, 2, 20)):
        fixed = deadline_reconcile()
        assert deadline_reconcile() == 0
    if task == "run":
        assert fixed == 0
    else:  # every row's key holds the policy: each student's four rows
        assert fixed == 4 * Enrolment.objects.filter(section__course=bank.course).count()
    assert row_of(bank.ug1, hw2).closes_at == ug1_closes


# ---- dropping and enrolling again ----------------------------------------------------------------------


def test_dropping_and_enrolling_again_keeps_the_days_spent(bank, api, django_capture_on_commit_callbacks):
    """The rows go with the drop; on enrolling again, the recompute rebuilds them from the submissions."""
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")
    with django_capture_on_commit_callbacks(execute=True):
        with at(HW1_DUE + 30 * HOUR):
            assert submit(api, bank.ug1, hw1).status_code == 201  # 2 days
        with at(eastern(2023, 3, 1)):
            enrolment_set(
                acting_user=bank.instructor,
                user=bank.ug1,
                section=bank.ug_section,
                status=Enrolment.Status.DROPPED,
            )
    assert not EffectiveDeadline.objects.filter(student=bank.ug1).exists()
    with at(eastern(2023, 3, 2)), django_capture_on_commit_callbacks(execute=True):
        enrolment_set(
            acting_user=bank.instructor,
            user=bank.ug1,
            section=bank.ug_section,
            status=Enrolment.Status.ENROLLED,
        )
    assert used(bank.ug1) == {"PS0": 0, "HW1": 2, "HW2": 0, "HW3": 0}
    with at(eastern(2023, 3, 2)):
        assert deadline_reconcile() == 0
    assert_shown_is_enforced(api, bank, bank.ug1, hw3, now=HW3_DUE - HOUR, expected=eastern(2023, 3, 20))
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 27)


def rebuild_by_enrolling_again(api, world, django_capture_on_commit_callbacks):
    """ug1 drops (their rows go) and enrols again (the recompute rebuilds them from the submissions)."""
    for status in (Enrolment.Status.DROPPED, Enrolment.Status.ENROLLED):  # each task runs at its commit
        with at(eastern(2023, 3, 2)), django_capture_on_commit_callbacks(execute=True):
            enrolment_set(
                acting_user=world.instructor, user=world.ug1, section=world.ug_section, status=status
            )


def rebuild_by_a_policy_round_trip(api, world, django_capture_on_commit_callbacks):
    """The instructor switches to the grace policy (no late days spent anywhere) and back."""
    for policy in (Course.LatePolicy.GRACE, Course.LatePolicy.LATE_DAYS):
        with at(eastern(2023, 3, 2)), django_capture_on_commit_callbacks(execute=True):
            patch_course(api, world, late_policy=policy)


@pytest.mark.parametrize("rebuild", [rebuild_by_enrolling_again, rebuild_by_a_policy_round_trip])
def test_a_rebuild_of_the_rows_leaves_nothing_to_reconcile_when_later_work_spent_the_bank(
    bank, api, django_capture_on_commit_callbacks, rebuild
):
    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    with django_capture_on_commit_callbacks(execute=True):
        with at(HW1_DUE + HOUR):
            assert submit(api, bank.ug1, hw1).status_code == 201  # 1 day
        with at(HW2_DUE + 30 * HOUR):
            assert submit(api, bank.ug1, hw2).status_code == 201  # 2 days: HW1 now offers 1
    assert row_of(bank.ug1, hw1).closes_at == eastern(2023, 2, 13)
    with at(eastern(2023, 3, 2)):
        assert deadline_reconcile() == 0
    rebuild(api, bank, django_capture_on_commit_callbacks)
    assert used(bank.ug1) == {"PS0": 0, "HW1": 1, "HW2": 2, "HW3": 0}
    # The reads see the row as stale and show what the check enforces; the stored row is what is off.
    assert_shown_is_enforced(api, bank, bank.ug1, hw1, now=HW1_DUE - HOUR, expected=eastern(2023, 2, 13))
    assert row_of(bank.ug1, hw1).closes_at == eastern(2023, 2, 13)
    with at(eastern(2023, 3, 2)):
        assert deadline_reconcile() == 0


# ---- the grace and penalty policies: their keys are as they were ---------------------------------------


@pytest.fixture(params=["grace", "penalty"])
def other_policy(request, world):
    course = world.course
    if request.param == "penalty":
        course.late_policy = Course.LatePolicy.PENALTY
        course.penalty_percent_per_day = Decimal("20")
        course.penalty_floor_percent = Decimal("50")
        course.penalty_max_days = 3
    course.late_day_bank = 3  # ignored by both: no "offers" part in their keys
    course.late_days_per_assignment = 2
    course.save()
    AssignmentFactory(course=course, code="HW2", due_at=HW2_DUE)
    world.recompute()
    return world


def test_the_grace_and_penalty_keys_leave_nothing_to_reconcile(
    other_policy, api, django_capture_on_commit_callbacks
):
    world = other_policy
    hw1, hw2 = a(world, "HW1"), a(world, "HW2")
    closes = (
        eastern(2023, 2, 14) if world.course.late_policy == Course.LatePolicy.GRACE else eastern(2023, 2, 15)
    )
    with django_capture_on_commit_callbacks(execute=True):
        with at(HW1_DUE - 5 * HOUR):
            grant_extension(api, world.instructor, world.gr1, hw1, eastern(2023, 2, 13))
        with at(HW1_DUE + 30 * HOUR):
            assert submit(api, world.ug1, hw1).status_code == 201
    with at(eastern(2023, 2, 20)):
        assert deadline_reconcile() == 0
        world.recompute()
        assert deadline_reconcile() == 0
    assert_shown_is_enforced(api, world, world.ug2, hw1, now=HW1_DUE - HOUR, expected=closes)
    days = (closes - HW1_DUE).days
    assert_shown_is_enforced(
        api, world, world.gr1, hw1, now=HW1_DUE - HOUR, expected=eastern(2023, 2, 13) + timedelta(days=days)
    )
    assert_shown_is_enforced(
        api, world, world.ug1, hw2, now=HW2_DUE - HOUR, expected=HW2_DUE + timedelta(days=days)
    )
