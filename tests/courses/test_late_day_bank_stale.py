"""The late-day bank while a recompute waits (the broker down, the task in the outbox): an extension or a
moved due time that covers late work gives the late days back at once (courses.windows.late_days_spent),
so the student's other windows are shown and enforced with them; before, the other windows stayed a
day short until the recompute ran."""

from tests.courses.helpers import HOUR, a, at, grant_extension, row_of, submit
from tests.courses.test_late_day_key_probe import HW1_DUE, HW2_DUE, assert_shown_is_enforced
from tests.factories import eastern


def test_extension_recompute_lost_still_gives_the_late_days_back_on_other_windows(
    bank, api, django_capture_on_commit_callbacks
):
    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201  # 2 late days of the 3
    assert row_of(bank.ug1, hw2).closes_at == eastern(2023, 2, 27)  # one day left, stored
    with at(eastern(2023, 2, 20)):
        # covers the HW1 submission: no late day spent. No callbacks run: the broker is down and the
        # recompute task waits in the outbox.
        grant_extension(api, bank.instructor, bank.ug1, hw1, eastern(2023, 2, 14))
    # With the extension, HW1 spent nothing: HW2 offers the cap (2 days) -> closes Feb 28 23:59.
    assert_shown_is_enforced(api, bank, bank.ug1, hw2, now=HW2_DUE - HOUR, expected=eastern(2023, 2, 28))


def test_extension_recompute_lost_submission_inside_the_returned_day_is_accepted(
    bank, api, django_capture_on_commit_callbacks
):
    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201
    with at(eastern(2023, 2, 20)):
        grant_extension(api, bank.instructor, bank.ug1, hw1, eastern(2023, 2, 14))  # task not delivered
    with at(eastern(2023, 2, 28, 12, 0)):  # inside the second late day the bank now offers
        response = submit(api, bank.ug1, hw2)
    assert response.status_code == 201, response.content


def test_due_time_move_recompute_lost_other_window_is_still_short(
    bank, api, django_capture_on_commit_callbacks
):
    """The same with a due-time move instead of an extension: HW1 moves to Feb 14 (covering ug1's late
    submission); its recompute waits in the outbox."""
    from django.urls import reverse

    hw1, hw2 = a(bank, "HW1"), a(bank, "HW2")
    with at(HW1_DUE + 30 * HOUR), django_capture_on_commit_callbacks(execute=True):
        assert submit(api, bank.ug1, hw1).status_code == 201
    with at(eastern(2023, 2, 20)):
        response = api.as_user(bank.instructor).patch(
            reverse("api-assignment", args=[hw1.id]),
            {"due_at": eastern(2023, 2, 14).isoformat()},
            format="json",
        )
        assert response.status_code == 200, response.content
    with at(eastern(2023, 2, 28, 12, 0)):
        response = submit(api, bank.ug1, hw2)
    assert response.status_code == 201, response.content
