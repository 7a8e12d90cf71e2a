"""With a real worker on Redis (and PostgreSQL shared with it): writes made while the web process's broker
was down answer 2xx, and once the broker is reachable the relay delivers every recorded task; each ran
once in effect and every stored deadline is right within 60 s."""

import pytest
from django.core.management import call_command

from courses.models import EffectiveDeadline
from portal import outbox
from portal.models import OutboxMessage
from tests.conftest import wait_for
from tests.outbox.conftest import DEAD_REDIS, EXTENDED, NEW_DUE, do_the_four_writes, reset_broker_pools

pytestmark = pytest.mark.worker


def test_writes_during_an_outage_reach_the_worker_when_the_broker_is_back(
    celery_worker_process, api, world, settings
):
    from portal.settings.base import redis_caches

    app = celery_worker_process
    real_broker = app.conf.broker_url
    hw1 = world.course.assignments.get(code="HW1")
    settings.CACHES = redis_caches(DEAD_REDIS)
    app.conf.broker_url = DEAD_REDIS
    reset_broker_pools(app)
    try:
        responses = do_the_four_writes(api, world)
    finally:
        app.conf.broker_url = real_broker
        reset_broker_pools(app)
    assert all(r.status_code < 300 for r in responses.values()), {
        k: r.status_code for k, r in responses.items()
    }
    recorded = OutboxMessage.objects.count()
    assert recorded >= 5
    assert EffectiveDeadline.objects.get(student=world.ug1, assignment=hw1).due_at != NEW_DUE

    call_command("outbox_relay", "--once")

    def all_right():
        ug1 = EffectiveDeadline.objects.filter(student=world.ug1, assignment=hw1, due_at=NEW_DUE).exists()
        gr1 = EffectiveDeadline.objects.filter(student=world.gr1, assignment=hw1, due_at=EXTENDED).exists()
        return ug1 and gr1

    wait_for(all_right, timeout=60)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert OutboxMessage.objects.count() == recorded  # delivered rows are marked, not re-recorded
    assert outbox.outbox_relay_pending() == 0  # a second sweep sends nothing again


def test_a_failed_post_commit_publish_is_delivered_by_the_relay_to_the_worker(
    celery_worker_process, api, world, monkeypatch
):
    hw1 = world.course.assignments.get(code="HW1")

    def crash(message):
        raise ConnectionError("simulated: the broker dropped the connection after commit")

    monkeypatch.setattr(outbox, "_publish", crash)
    api.force_authenticate(world.instructor)
    response = api.patch(f"/api/v1/assignments/{hw1.id}/", {"due_at": NEW_DUE.isoformat()}, format="json")
    assert response.status_code == 200
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1
    monkeypatch.undo()

    call_command("outbox_relay", "--once")

    wait_for(
        lambda: (
            set(EffectiveDeadline.objects.filter(assignment=hw1).values_list("due_at", flat=True))
            == {NEW_DUE}
        ),
        timeout=60,
    )
