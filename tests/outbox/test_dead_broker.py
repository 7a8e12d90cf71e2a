"""With the broker unreachable, a write still answers 2xx and its follow-up work is recorded in the outbox
(in the write's own transaction), waiting for the relay; nothing is lost and nothing answers 500."""

import time

import pytest

from portal.models import OutboxMessage
from tests.outbox.conftest import do_the_four_writes

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs for real, as in production


def test_four_writes_answer_2xx_with_the_broker_down_and_their_tasks_wait_in_the_outbox(
    dead_broker, api, world
):
    started = time.monotonic()
    responses = do_the_four_writes(api, world)
    elapsed = time.monotonic() - started

    # One try each, and a refused connection fails at once: a write does not wait seconds for a broker
    # that is down (it took 6 s a write while kombu retried the connection before giving up).
    assert elapsed < 8, f"four writes took {elapsed:.1f} s with the broker down"
    assert {name: r.status_code for name, r in responses.items()} == {
        "due date": 200,
        "extension": 201,
        "drop": 200,
        "waitlist leave": 200,
    }, {name: r.content[:200] for name, r in responses.items()}
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    names = set(pending.values_list("task_name", flat=True))
    assert {
        "courses.tasks.recompute_deadlines",
        "courses.tasks.recompute_course_deadlines",
        "courses.tasks.promote_from_waitlist",
    } <= names
    assert not OutboxMessage.objects.filter(sent_at__isnull=False).exists()
    # The error is kept; a broker error does not count toward the attempts that leave a row to an operator.
    assert all(message.attempts == 0 and message.last_error for message in pending)


def test_a_rolled_back_write_leaves_no_outbox_row(dead_broker, world):
    from django.db import transaction

    from courses.services.assignments import assignment_update
    from tests.outbox.conftest import NEW_DUE

    hw1 = world.course.assignments.get(code="HW1")
    with transaction.atomic():
        assignment_update(acting_user=world.instructor, assignment_id=hw1.id, due_at=NEW_DUE)
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1  # in the same transaction
        transaction.set_rollback(True)
    assert not OutboxMessage.objects.exists()
