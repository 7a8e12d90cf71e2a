"""A broker outage of any length never abandons follow-up work: broker errors are kept on the row but do
not count toward the attempts (MAX_ATTEMPTS) after which a row is left to an operator. Before, about four
minutes of relay sweeps (every 5 s) during an outage made the relay give up on the oldest rows for good:
here a capacity raise's waitlist promotion, never delivered when the broker came back."""

from portal import outbox
from portal.models import OutboxMessage
from tests.courses.waitlist.conftest import full  # noqa: F401 (fixture)
from tests.factories import EnrolmentFactory, UserFactory
from tests.outbox.conftest import dead_broker  # noqa: F401 (fixture)


def test_relay_sweeps_through_a_long_outage_deliver_when_the_broker_is_back(dead_broker, api, full):  # noqa: F811
    w = full.world
    waiter = EnrolmentFactory(user=UserFactory(username="gr9"), section=full.section, status="waitlisted")
    api.force_authenticate(w.instructor)
    response = api.patch(f"/api/v1/sections/{full.section.id}/", {"capacity": 4}, format="json")
    assert response.status_code == 200, response.content
    promote = OutboxMessage.objects.get(task_name="courses.tasks.promote_from_waitlist")

    for _ in range(outbox.MAX_ATTEMPTS + 1):  # more sweeps than a row may fail for other reasons
        assert outbox.outbox_relay_pending() == 0
    promote.refresh_from_db()
    assert promote.attempts == 0 and "Error" in promote.last_error
    assert outbox.outbox_backlog()["failing"] == 0  # healthz: waiting for the broker, not failing

    dead_broker.conf.task_always_eager = True  # the broker is back (the task runs in-process here)
    assert outbox.outbox_relay_pending() >= 1

    promote.refresh_from_db()
    waiter.refresh_from_db()
    assert promote.sent_at is not None
    assert waiter.status == "enrolled"
