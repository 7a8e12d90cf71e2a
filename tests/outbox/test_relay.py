"""The relay: a crash between commit and enqueue loses nothing (the row stays, the relay sends it), and a
row is delivered once even when several relays sweep at the same time."""

import pytest
from django.core.management import call_command

from courses.models import EffectiveDeadline
from portal import outbox
from portal.models import OutboxMessage
from tests.outbox.conftest import NEW_DUE

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_crash_between_commit_and_enqueue_is_made_good_by_the_relay(monkeypatch, api, world):
    hw1 = world.course.assignments.get(code="HW1")
    real_publish = outbox._publish
    calls = []

    def fail_once(message):
        calls.append(message.id)
        if len(calls) == 1:
            raise ConnectionError("simulated: the process died between commit and enqueue")
        return real_publish(message)

    monkeypatch.setattr(outbox, "_publish", fail_once)
    response = api.force_authenticate(world.instructor) or api.patch(
        f"/api/v1/assignments/{hw1.id}/", {"due_at": NEW_DUE.isoformat()}, format="json"
    )
    assert response.status_code == 200
    (message,) = OutboxMessage.objects.all()
    assert message.sent_at is None
    assert not EffectiveDeadline.objects.filter(assignment=hw1, due_at=NEW_DUE).exists()

    call_command("outbox_relay", "--once")

    message.refresh_from_db()
    assert message.sent_at is not None
    assert EffectiveDeadline.objects.filter(assignment=hw1).count() == 3
    assert set(EffectiveDeadline.objects.filter(assignment=hw1).values_list("due_at", flat=True)) == {NEW_DUE}
    assert outbox.outbox_relay_pending() == 0  # nothing left, nothing sent twice
    assert calls == [message.id, message.id]


def test_eager_mode_still_runs_the_task_on_commit(api, world):
    """The zero-setup default and the test settings: the follow-up runs in-process right after commit."""
    hw1 = world.course.assignments.get(code="HW1")
    api.force_authenticate(world.instructor)
    assert (
        api.patch(
            f"/api/v1/assignments/{hw1.id}/", {"due_at": NEW_DUE.isoformat()}, format="json"
        ).status_code
        == 200
    )
    assert set(EffectiveDeadline.objects.filter(assignment=hw1).values_list("due_at", flat=True)) == {NEW_DUE}
    assert OutboxMessage.objects.get().sent_at is not None


def test_a_row_another_relay_holds_is_skipped(world):
    """select_for_update(skip_locked): a second relay does not send what the first is sending."""
    import threading

    from django.db import connection, transaction

    from courses.tasks import recompute_deadlines
    from portal.tasking import enqueue_on_commit

    hw1 = world.course.assignments.get(code="HW1")
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    with transaction.atomic():
        OutboxMessage.objects.all().delete()
        enqueue_on_commit(recompute_deadlines, assignment_id=hw1.id)
        message = OutboxMessage.objects.get()
        # Hold the row as a relay in the middle of sending it would.
        OutboxMessage.objects.select_for_update().get(pk=message.pk)
        result = []
        thread = threading.Thread(
            target=lambda: result.append(outbox.outbox_relay_pending()) or connection.close()
        )
        thread.start()
        thread.join()
        assert result == [0]
        transaction.set_rollback(True)
