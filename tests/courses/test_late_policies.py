"""The other late-work policies a course can choose: a late-day bank spent automatically, and a per-day
percentage penalty with a floor."""

from decimal import Decimal

import pytest
from django.urls import reverse

from courses.models import Course, EffectiveDeadline, Submission
from tests.courses.helpers import HOUR, MINUTE, a, at, my_deadlines, row_of, submit
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern

HW1_DUE, HW2_DUE, HW3_DUE = eastern(2023, 2, 12), eastern(2023, 2, 26), eastern(2023, 3, 19)


def bank_spent(user) -> int:
    return sum(EffectiveDeadline.objects.filter(student=user).values_list("late_days_used", flat=True))


# ---- late-day bank -------------------------------------------------------------------------------------


def test_each_assignment_offers_at_most_the_per_assignment_cap(bank, api):
    with at(HW1_DUE - MINUTE):
        rows = my_deadlines(api, bank.ug1)
    assert rows["HW1"]["grace_ends_at"] == "2023-02-14T23:59:00-05:00"  # 2 days, not the bank's 3
    assert rows["HW3"]["grace_ends_at"] == "2023-03-21T23:59:00-04:00"
    assert rows["PS0"]["grace_ends_at"] is None  # still no late time for PS0
    assert bank_spent(bank.ug1) == 0


def test_late_days_are_spent_automatically_until_the_bank_is_empty(
    bank, api, django_capture_on_commit_callbacks
):
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")

    # HW1, 1 day and 1 hour late: two local days are spent; nobody asked for them.
    with at(HW1_DUE + 24 * HOUR + HOUR), django_capture_on_commit_callbacks(execute=True):
        first = submit(api, bank.ug1, hw1)
    assert first.status_code == 201, first.content
    assert first.json()["timing"] == "late"
    assert row_of(bank.ug1, hw1).late_days_used == 2
    assert bank_spent(bank.ug1) == 2

    # One day is left: ug1's HW2 window is due + 1 day; a classmate keeps 2.
    with at(HW2_DUE - MINUTE):
        assert my_deadlines(api, bank.ug1)["HW2"]["closes_at"] == "2023-02-27T23:59:00-05:00"
        assert my_deadlines(api, bank.ug2)["HW2"]["closes_at"] == "2023-02-28T23:59:00-05:00"
    with at(HW2_DUE + 24 * HOUR + MINUTE):
        refused = submit(api, bank.ug1, hw2)
        assert submit(api, bank.ug2, hw2).status_code == 201
    assert refused.status_code == 400
    assert refused.json()["code"] == "window_closed"
    assert not Submission.objects.filter(student=bank.ug1, assignment=hw2).exists()

    with at(HW2_DUE + 23 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw2).status_code == 201
    assert row_of(bank.ug1, hw2).late_days_used == 1
    assert bank_spent(bank.ug1) == 3

    # The bank is empty: HW3 closes at its due time for ug1, with no late time shown.
    with at(HW3_DUE - MINUTE):
        row = my_deadlines(api, bank.ug1)["HW3"]
    assert row["grace_ends_at"] is None
    assert row["closes_at"] == row["due_at"] == "2023-03-19T23:59:00-04:00"
    with at(HW3_DUE + MINUTE):
        assert my_deadlines(api, bank.ug1)["HW3"]["status"] == "closed"
        assert submit(api, bank.ug1, hw3).json()["code"] == "window_closed"
        assert submit(api, bank.ug2, hw3).status_code == 201  # ug2 spent 2 of 3: one day left
    assert bank_spent(bank.ug1) == 3


def test_the_bank_never_goes_negative(bank, api, django_capture_on_commit_callbacks):
    hw1, hw2, hw3 = a(bank, "HW1"), a(bank, "HW2"), a(bank, "HW3")
    with django_capture_on_commit_callbacks(execute=True):
        with at(HW1_DUE + 30 * HOUR):
            submit(api, bank.ug1, hw1)  # 2 days
        with at(HW2_DUE + 20 * HOUR):
            submit(api, bank.ug1, hw2)  # 1 day: empty
        with at(HW3_DUE - HOUR):
            submit(api, bank.ug1, hw3)  # on time: nothing spent
        with at(HW1_DUE + 47 * HOUR):
            submit(api, bank.ug1, hw1)  # resubmitted, still within the same 2 days
    # However often the deadlines are recomputed, the spent days stay within the bank.
    for _ in range(2):
        bank.recompute()
        used = dict(
            EffectiveDeadline.objects.filter(student=bank.ug1).values_list(
                "assignment__code", "late_days_used"
            )
        )
        assert used == {"PS0": 0, "HW1": 2, "HW2": 1, "HW3": 0}
        assert bank_spent(bank.ug1) == 3
        assert row_of(bank.ug1, hw3).closes_at == HW3_DUE


def test_a_row_not_yet_stored_shows_the_window_the_submission_check_enforces(
    bank, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with at(HW1_DUE + 30 * HOUR):
            submit(api, bank.ug1, a(bank, "HW1"))
        with at(HW2_DUE + 20 * HOUR):
            submit(api, bank.ug1, a(bank, "HW2"))
    hw4 = AssignmentFactory(course=bank.course, code="HW4", due_at=eastern(2023, 4, 2))  # task not run yet
    assert not EffectiveDeadline.objects.filter(assignment=hw4).exists()
    with at(eastern(2023, 4, 2) + MINUTE):
        shown = my_deadlines(api, bank.ug1)["HW4"]
        enforced = submit(api, bank.ug1, hw4)
    assert enforced.json()["code"] == "window_closed"
    assert shown["status"] == "closed"
    assert shown["grace_ends_at"] is None


# ---- percentage penalty --------------------------------------------------------------------------------


@pytest.fixture
def penalty(world):
    course = world.course
    course.late_policy = Course.LatePolicy.PENALTY
    course.penalty_percent_per_day = Decimal("20")
    course.penalty_floor_percent = Decimal("50")
    course.penalty_max_days = 5
    course.save()
    EnrolmentFactory(user=UserFactory(username="ug3"), section=world.ug_section)
    world.recompute()
    return world


@pytest.mark.parametrize(
    ("moment", "percent"),
    [
        (HW1_DUE - MINUTE, Decimal("0")),
        (HW1_DUE + MINUTE, Decimal("20")),
        (eastern(2023, 2, 13, 23, 59), Decimal("20")),
        (eastern(2023, 2, 14, 0, 0), Decimal("40")),
        (eastern(2023, 2, 16, 10, 0), Decimal("50")),  # 4 days: 80% capped so at least 50% remains
        (eastern(2023, 2, 17, 23, 59), Decimal("50")),
    ],
    ids=["on-time", "1min-late", "end-of-day-1", "start-of-day-2", "day-4-floor", "last-minute"],
)
def test_penalty_per_day_with_a_floor_is_stored_on_the_deadline_row(penalty, api, moment, percent):
    hw1 = a(penalty, "HW1")
    with at(moment):
        response = submit(api, penalty.ug1, hw1)
    assert response.status_code == 201, response.content
    assert response.json()["timing"] == ("on_time" if percent == 0 else "late")
    assert row_of(penalty.ug1, hw1).penalty_percent == percent


def test_penalty_window_closes_after_the_maximum_days(penalty, api):
    hw1 = a(penalty, "HW1")
    with at(HW1_DUE - MINUTE):
        assert my_deadlines(api, penalty.ug1)["HW1"]["closes_at"] == "2023-02-17T23:59:00-05:00"
    with at(eastern(2023, 2, 17, 23, 59) + MINUTE):
        response = submit(api, penalty.ug1, hw1)
    assert response.json()["code"] == "window_closed"
    assert not Submission.objects.exists()


def test_moving_the_due_time_re_evaluates_stored_penalties(penalty, api, django_capture_on_commit_callbacks):
    hw1 = a(penalty, "HW1")
    with at(eastern(2023, 2, 12, 20, 0)):
        submit(api, penalty.ug1, hw1)  # on time
    with at(eastern(2023, 2, 14, 10, 0)):
        submit(api, penalty.ug2, hw1)  # 2 days late: 40%
    assert (row_of(penalty.ug1, hw1).penalty_percent, row_of(penalty.ug2, hw1).penalty_percent) == (0, 40)

    url = reverse("api-assignment", args=[hw1.id])
    with at(eastern(2023, 2, 14, 12, 0)), django_capture_on_commit_callbacks(execute=True):
        later = api.as_user(penalty.instructor).patch(
            url, {"due_at": "2023-02-15T23:59:00-05:00"}, format="json"
        )
    assert later.status_code == 200, later.content
    assert row_of(penalty.ug2, hw1).penalty_percent == 0
    assert row_of(penalty.ug2, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED

    with at(eastern(2023, 2, 14, 13, 0)), django_capture_on_commit_callbacks(execute=True):
        api.as_user(penalty.instructor).patch(url, {"due_at": "2023-02-11T23:59:00-05:00"}, format="json")
    assert row_of(penalty.ug1, hw1).penalty_percent == 20  # Feb 12 8 pm is now 1 day late
    assert row_of(penalty.ug2, hw1).penalty_percent == 50  # Feb 14 10 am is now 3 days late: 60%, capped


def test_late_days_of_a_submission_outside_the_window_are_given_back(
    bank, api, django_capture_on_commit_callbacks
):
    """When the instructor turns late time off for HW1, a late HW1 submission falls outside the window
    (it counts 0), so it must not keep the student's late days either."""
    hw1 = a(bank, "HW1")
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        submit(api, bank.ug1, hw1)
    assert bank_spent(bank.ug1) == 2
    url = reverse("api-assignment", args=[hw1.id])
    with at(eastern(2023, 2, 20)), django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(bank.instructor).patch(url, {"grace_allowed": False}, format="json")
    assert response.status_code == 200, response.content
    assert row_of(bank.ug1, hw1).outcome == EffectiveDeadline.Outcome.MISSING
    assert row_of(bank.ug1, hw1).late_days_used == 0
    bank.recompute()
    with at(HW2_DUE - MINUTE):
        assert my_deadlines(api, bank.ug1)["HW2"]["closes_at"] == "2023-02-28T23:59:00-05:00"


# ---- one classification on every surface (issue 11, item 2) -------------------------------------------


@pytest.mark.django_db  # its course comes from request.getfixturevalue: the test database first
@pytest.mark.parametrize("policy_fixture", ["bank", "penalty"])
def test_late_work_reads_submitted_late_in_the_response_the_api_and_the_outcome(request, api, policy_fixture):
    """Under the late-day bank and the penalty policy a late submission is "submitted_late" everywhere; it
    used to show as "submitted_in_grace" in the status while the outcome said late."""
    world = request.getfixturevalue(policy_fixture)
    hw1 = a(world, "HW1")
    with at(HW1_DUE + HOUR):
        response = submit(api, world.ug1, hw1)
        row = my_deadlines(api, world.ug1)["HW1"]
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "submitted_late"
    assert response.json()["timing"] == "late"
    assert row["status"] == "submitted_late"
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED_LATE


def test_days_spent_show_on_the_other_windows_before_the_recompute_runs(bank, api, client):
    """The recompute of the student's other windows runs after the submission commits (a task); until it
    has run (broker or worker down), the stored HW2 row still holds the window of a full bank. The student
    is shown the window the submission check enforces, not the stored one."""
    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    with at(HW1_DUE + 24 * HOUR + HOUR):  # no on-commit callbacks run: the recompute task has not
        assert submit(api, bank.ug1, hw1).status_code == 201
    assert row_of(bank.ug1, hw1).late_days_used == 2
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 28)  # stored: still two days
    with at(HW2_DUE - MINUTE):
        shown = my_deadlines(api, bank.ug1)["HW2"]
        client.force_login(bank.ug1)
        page = client.get(reverse("my-deadlines")).content.decode()
    assert shown["closes_at"] == shown["grace_ends_at"] == "2023-02-27T23:59:00-05:00"  # one day left
    assert '<time datetime="2023-02-28T04:59:00+00:00"' in page  # closes Feb 27, 11:59 pm Eastern
    assert '<time datetime="2023-03-01T04:59:00+00:00"' not in page
    with at(HW2_DUE + 24 * HOUR + MINUTE):
        assert my_deadlines(api, bank.ug1)["HW2"]["status"] == "closed"
        assert submit(api, bank.ug1, hw2).json()["code"] == "window_closed"
    with at(HW2_DUE + 24 * HOUR - MINUTE):
        assert my_deadlines(api, bank.ug1)["HW2"]["status"] == "grace"
        assert submit(api, bank.ug1, hw2).status_code == 201


def test_reconciliation_and_the_staff_overview_see_the_bank_spent_before_the_recompute(bank, api):
    """The same late submission with its follow-up recompute lost: the staff's overview shows ug1's HW2
    window of one day left, and the reconciliation rewrites ug1's HW2 and HW3 rows once (a second run
    finds nothing); classmates' rows are left alone."""
    from courses.selectors import submission_overview
    from courses.services.deadlines import deadline_reconcile

    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    with at(HW1_DUE + 24 * HOUR + HOUR):
        assert submit(api, bank.ug1, hw1).status_code == 201
    one_day_left = eastern(2023, 2, 27)
    with at(HW2_DUE - MINUTE):
        overview = submission_overview(hw2, user=bank.instructor)
    shown = {r.student_id: r.closes_at for r in overview.not_yet}
    assert shown[bank.ug1.id] == one_day_left
    assert shown[bank.ug2.id] == eastern(2023, 2, 28)
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 28)  # the overview wrote nothing
    with at(HW2_DUE - MINUTE):
        assert deadline_reconcile() == 2
        assert row_of(bank.ug1, hw2).closes_at == one_day_left
        assert row_of(bank.ug1, a(bank, "HW3")).closes_at == eastern(2023, 3, 20)
        assert row_of(bank.ug2, hw2).closes_at == eastern(2023, 2, 28)
        assert deadline_reconcile() == 0
