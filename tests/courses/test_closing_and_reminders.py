"""The beat tasks: closing passed windows (unsubmitted work becomes "missing", exactly once) and reminder
e-mails 48 h and 24 h before the due time (exactly once each, never to students who submitted)."""

from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from courses import tasks
from courses.models import EffectiveDeadline, ReminderSent
from courses.services.deadlines import deadline_close_passed
from courses.services.reminders import reminders_send_due
from tests.courses.helpers import HOUR, MINUTE, at, grant_extension, my_deadlines, row_of, submit, utc
from tests.factories import AssignmentFactory, eastern

Outcome = EffectiveDeadline.Outcome
HW1_DUE, HW1_GRACE_END = eastern(2023, 2, 12), eastern(2023, 2, 14)


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


# ---- closing -------------------------------------------------------------------------------------------


def test_closing_marks_unsubmitted_rows_missing_exactly_once(world, api, hw1):
    with at(eastern(2023, 2, 13, 12, 0)):
        submit(api, world.ug1, hw1)  # in grace
    with at(HW1_GRACE_END - MINUTE):
        closed_early = deadline_close_passed()  # only PS0's windows (no grace) have passed
    assert closed_early == 3
    assert {r.outcome for r in EffectiveDeadline.objects.filter(assignment=hw1)} == {
        Outcome.PENDING,
        Outcome.SUBMITTED_IN_GRACE,
    }
    with at(HW1_GRACE_END + MINUTE):
        first = deadline_close_passed()
        second = deadline_close_passed()
        rows = my_deadlines(api, world.ug2)
    assert (first, second) == (3, 0)
    assert row_of(world.ug2, hw1).outcome == row_of(world.gr1, hw1).outcome == Outcome.MISSING
    assert row_of(world.ug1, hw1).outcome == Outcome.SUBMITTED_IN_GRACE  # a submission stays what it was
    assert {r.closed_at for r in EffectiveDeadline.objects.filter(assignment=hw1)} == {HW1_GRACE_END + MINUTE}
    assert rows["HW1"]["status"] == "closed"


def test_the_closing_task_is_idempotent(world, hw1):
    with at(HW1_GRACE_END + HOUR):
        assert tasks.close_passed_windows() == 6  # PS0 and HW1 for three students
        stored = list(EffectiveDeadline.objects.order_by("id").values())
    with at(HW1_GRACE_END + 2 * HOUR):
        assert tasks.close_passed_windows() == 0
    assert list(EffectiveDeadline.objects.order_by("id").values()) == stored


def test_an_extended_window_is_not_closed_with_the_classs(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(world.instructor).post(
            reverse("api-extensions"),
            {
                "student": "ug2",
                "assignment": hw1.id,
                "due_at": "2023-02-19T23:59:00-05:00",
                "dean_reference": "D-1",
            },
            format="json",
        )
    with at(HW1_GRACE_END + MINUTE):
        deadline_close_passed()
    assert row_of(world.ug2, hw1).outcome == Outcome.PENDING
    assert row_of(world.ug2, hw1).closed_at is None
    assert row_of(world.gr1, hw1).outcome == Outcome.MISSING


def test_moving_the_due_date_later_after_closing_reopens_the_window(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with at(HW1_GRACE_END + MINUTE):
        deadline_close_passed()
    assert row_of(world.ug2, hw1).outcome == Outcome.MISSING
    moment = eastern(2023, 2, 15, 9, 0)
    with at(moment):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.as_user(world.instructor).patch(
                reverse("api-assignment", args=[hw1.id]),
                {"due_at": "2023-02-19T23:59:00-05:00"},
                format="json",
            )
        assert response.status_code == 200, response.content
        assert my_deadlines(api, world.ug2)["HW1"]["status"] == "open"
        assert deadline_close_passed() == 0  # nothing to close again yet
        accepted = submit(api, world.ug2, hw1)
    row = row_of(world.gr1, hw1)
    assert (row.outcome, row.closed_at) == (Outcome.PENDING, None)
    assert accepted.status_code == 201, accepted.content
    assert row_of(world.ug2, hw1).outcome == Outcome.SUBMITTED
    # When the new window passes, it is closed (once) again.
    with at(eastern(2023, 2, 21) + MINUTE):
        assert deadline_close_passed() == 3
    assert row_of(world.gr1, hw1).outcome == Outcome.MISSING
    assert row_of(world.ug2, hw1).outcome == Outcome.SUBMITTED


def test_moving_the_due_date_of_a_closed_window_to_another_past_time_keeps_it_missing(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with at(HW1_GRACE_END + MINUTE):
        deadline_close_passed()
    with at(eastern(2023, 2, 20)), django_capture_on_commit_callbacks(execute=True):
        api.as_user(world.instructor).patch(
            reverse("api-assignment", args=[hw1.id]), {"due_at": "2023-02-13T23:59:00-05:00"}, format="json"
        )
    assert row_of(world.gr1, hw1).outcome == Outcome.MISSING
    assert row_of(world.gr1, hw1).closed_at is not None


def test_closing_leaves_a_window_an_extension_has_moved_until_its_recompute(world, api, hw1, monkeypatch):
    """ug1's extension on HW1 is granted but its recompute has not run (the hand-over to the broker failed:
    the task waits in the outbox). When the class's window closes, the classmates' unsubmitted work becomes
    missing; ug1's stored row still says the class's close, but their window is open: it is not closed
    (nor counted 0). Once the recompute has run, ug1's own close closes it."""
    import portal.outbox

    extended = eastern(2023, 2, 16)
    monkeypatch.setattr(portal.outbox, "outbox_deliver", lambda **_: False)
    with at(eastern(2023, 2, 10, 12, 0)):
        grant_extension(api, world.instructor, world.ug1, hw1, extended)
    monkeypatch.undo()
    assert row_of(world.ug1, hw1).closes_at == HW1_GRACE_END  # stored: the class's window
    with at(HW1_GRACE_END + MINUTE):
        deadline_close_passed()
        assert my_deadlines(api, world.ug1)["HW1"]["status"] == "open"
    assert (row_of(world.ug1, hw1).outcome, row_of(world.ug1, hw1).closed_at) == (Outcome.PENDING, None)
    assert row_of(world.ug2, hw1).outcome == Outcome.MISSING
    with at(eastern(2023, 2, 15, 12, 0)):
        world.recompute()
    extended_grace_end = eastern(2023, 2, 18)
    with at(extended_grace_end - MINUTE):
        deadline_close_passed()
    assert row_of(world.ug1, hw1).outcome == Outcome.PENDING
    with at(extended_grace_end + MINUTE):
        deadline_close_passed()
    assert row_of(world.ug1, hw1).outcome == Outcome.MISSING


# ---- reminders -----------------------------------------------------------------------------------------

# Reminders are queued in their own transactions and e-mailed after each commit (portal.mail), as the beat
# task does outside any transaction: these tests commit for real.
REMINDERS_COMMIT = pytest.mark.django_db(transaction=True)

# Sun Mar 12 2023 11:59 pm EDT = Mar 13 03:59 UTC. Kept in UTC so that `- timedelta(hours=48)` is 48 real
# hours (arithmetic on a zone-aware datetime moves the wall clock instead).
SPRING_DUE = eastern(2023, 3, 12).astimezone(UTC)


@pytest.fixture
def hw2(world):
    assignment = AssignmentFactory(course=world.course, code="HW2", title="Homework 2", due_at=SPRING_DUE)
    world.recompute()
    return assignment


def sent() -> list[tuple[str, int]]:
    """(recipient, hours) of every reminder e-mail sent so far."""
    out = []
    for message in mail.outbox:
        if " due in " not in message.subject:
            continue  # a submission receipt
        hours = int(message.subject.split(" due in ")[1].split(" ")[0])
        out.extend((to, hours) for to in message.to)
    return sorted(out)


@REMINDERS_COMMIT
def test_reminders_go_out_48_and_24_hours_before_once_each_across_spring_forward(world, api, hw2):
    # Lead times are real hours: 48 h before Sun 11:59 pm EDT is Fri 10:59 pm EST (the night is 23 h).
    assert SPRING_DUE - timedelta(hours=48) == utc(2023, 3, 11, 3, 59) == eastern(2023, 3, 10, 22, 59)
    assert SPRING_DUE - timedelta(hours=24) == utc(2023, 3, 12, 3, 59) == eastern(2023, 3, 11, 22, 59)
    everyone = ["gr1@example.edu", "ug1@example.edu", "ug2@example.edu"]

    with at(SPRING_DUE - timedelta(hours=48) - MINUTE):
        assert tasks.send_deadline_reminders() == 0
    with at(SPRING_DUE - timedelta(hours=48)):
        assert tasks.send_deadline_reminders() == 3
        assert tasks.send_deadline_reminders() == 0
    assert sent() == [(to, 48) for to in everyone]
    message = next(m for m in mail.outbox if " due in " in m.subject)
    assert message.subject == "[CS 4644 / CS 7643-A] HW2 is due in 48 hours"
    assert "Sun Mar 12 2023, 11:59 pm EDT (UTC-04:00)" in message.body
    assert "Tue Mar 14 2023, 11:59 pm EDT" in message.body  # the grace end, for checking

    with at(eastern(2023, 3, 11, 12, 0)):
        assert submit(api, world.ug1, hw2).status_code == 201
        assert tasks.send_deadline_reminders() == 0
    with at(SPRING_DUE - timedelta(hours=24)):
        assert tasks.send_deadline_reminders() == 2
        assert tasks.send_deadline_reminders() == 0
    with at(SPRING_DUE - HOUR):
        assert tasks.send_deadline_reminders() == 0
    with at(SPRING_DUE + MINUTE):
        assert tasks.send_deadline_reminders() == 0

    assert sent() == sorted(
        [(to, 48) for to in everyone] + [("gr1@example.edu", 24), ("ug2@example.edu", 24)]
    )
    assert ReminderSent.objects.count() == 5


@REMINDERS_COMMIT
def test_a_beat_over_the_dst_weekend_sends_each_reminder_once_on_time(world, hw2):
    """The beat runs hourly from Fri noon to Mon noon, and every 5 minutes around each lead time: each
    student gets the 48 h and the 24 h reminder once, within 5 minutes after the real lead time (a lead
    counted in wall-clock hours would fire an hour early, at the hourly beat before)."""
    start = eastern(2023, 3, 10, 12, 0).astimezone(UTC)
    beats = {start + timedelta(hours=h) for h in range(73)}
    for lead in (48, 24):
        moment = SPRING_DUE - timedelta(hours=lead)
        beats |= {moment + timedelta(minutes=m) for m in range(-60, 61, 5)}
    first_sent: dict[tuple[str, int], object] = {}
    with at(start) as clock:
        for moment in sorted(beats):
            clock.move_to(moment)
            before = len(mail.outbox)
            reminders_send_due()
            for message in mail.outbox[before:]:
                hours = int(message.subject.split(" due in ")[1].split(" ")[0])
                first_sent.setdefault((message.to[0], hours), moment)
    assert len(mail.outbox) == 6  # 3 students x (48 h, 24 h), no repeats
    assert len(first_sent) == 6
    for (_, hours), when in first_sent.items():
        lead = SPRING_DUE - when
        assert timedelta(hours=hours) - timedelta(minutes=5) < lead <= timedelta(hours=hours)


@REMINDERS_COMMIT
def test_no_reminders_to_a_student_who_submitted_early(world, api, hw2):
    with at(eastern(2023, 3, 9, 12, 0)):
        submit(api, world.ug1, hw2)
    for lead in (48, 24):
        with at(SPRING_DUE - timedelta(hours=lead)):
            reminders_send_due()
    assert "ug1@example.edu" not in {to for to, _ in sent()}
    assert len(sent()) == 4


@REMINDERS_COMMIT
def test_a_moved_due_date_gets_its_own_reminders(world, api, hw2, django_capture_on_commit_callbacks):
    with at(SPRING_DUE - timedelta(hours=24)):
        reminders_send_due()
    assert len(sent()) == 6  # both lead times had passed: 48 h and 24 h go out together
    new_due = eastern(2023, 3, 19).astimezone(UTC)
    with at(eastern(2023, 3, 12, 8, 0)), django_capture_on_commit_callbacks(execute=True):
        api.as_user(world.instructor).patch(
            reverse("api-assignment", args=[hw2.id]), {"due_at": "2023-03-19T23:59:00-04:00"}, format="json"
        )
    with at(new_due - timedelta(hours=48)):
        assert reminders_send_due() == 3
    with at(new_due - timedelta(hours=24)):
        assert reminders_send_due() == 3
        assert reminders_send_due() == 0
    assert len(sent()) == 12


@REMINDERS_COMMIT
def test_a_reminder_never_quotes_a_due_time_an_extension_has_moved(world, api, hw2, monkeypatch):
    """ug1's extension is granted, but its recompute has not run (the broker is down: the task waits in
    the outbox). The 48 h reminder goes to the classmates only: ug1 is not told the class's due time, which
    no longer holds for them. Once the recompute has run, ug1 is reminded of their own due time."""
    import portal.outbox

    extended = eastern(2023, 3, 16).astimezone(UTC)
    monkeypatch.setattr(portal.outbox, "outbox_deliver", lambda **_: False)  # the hand-over fails
    with at(eastern(2023, 3, 8, 12, 0)):
        grant_extension(api, world.instructor, world.ug1, hw2, extended)
    monkeypatch.undo()
    assert row_of(world.ug1, hw2).due_at == SPRING_DUE  # the stored row still has the class's due time
    with at(SPRING_DUE - timedelta(hours=48)):
        assert reminders_send_due() == 2
    assert sent() == [("gr1@example.edu", 48), ("ug2@example.edu", 48)]
    with at(eastern(2023, 3, 12, 12, 0)):
        world.recompute()  # the relay has sent the task, and it ran
    with at(extended - timedelta(hours=48)):
        assert reminders_send_due() == 1
    reminder = mail.outbox[-1]
    assert reminder.to == ["ug1@example.edu"]
    assert "Thu Mar 16 2023, 11:59 pm EDT (UTC-04:00)" in reminder.body
