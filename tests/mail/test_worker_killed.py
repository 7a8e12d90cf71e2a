"""A real Celery worker SIGKILLed while it sends a message to the real SMTP server: once after the server
has the whole message (before it answers), once before it has the message. Another worker then runs the
delivery again, as the broker redelivers an unacknowledged task, and the sweep runs: the message arrives
exactly once either way. Real components: PostgreSQL, Redis, two `celery worker` processes, aiosmtpd."""

import signal
import subprocess
import time

import pytest
from django.db import transaction

from portal.mail import mail_queue
from portal.models import SentMail
from portal.tasks import deliver_mail, deliver_pending_mail
from tests.conftest import wait_for
from tests.workers import named_workers

pytestmark = pytest.mark.worker
LEASE_SECONDS = 2


@pytest.fixture
def mail_workers(transactional_db, smtp_server):
    """Start `celery worker`s on a test queue, pointed at the test's SMTP server (whose settings
    DJANGO_EMAIL_BACKEND, EMAIL_HOST and EMAIL_PORT are in the environment), on demand."""
    with named_workers({"PORTAL_MAIL_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS)}) as start:
        yield start


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def queue_one(key: str) -> SentMail:
    with transaction.atomic():  # committed for real: the outbox hands the delivery to the first worker
        return mail_queue(key=key, to="ug1@example.edu", subject="Exactly once", body="Hello.\n")


def state_of(row: SentMail) -> str:
    return SentMail.objects.values_list("state", flat=True).get(pk=row.pk)


def test_a_worker_killed_after_the_server_has_the_message_does_not_send_it_again(smtp_server, mail_workers):
    first = mail_workers("first")
    smtp_server.on_data = lambda: kill(first)  # the server has it all; the worker dies before the 250
    row = queue_one("test:killed-after-accept")
    wait_for(lambda: first.poll() is not None, timeout=60)
    smtp_server.on_data = None
    assert len(smtp_server.messages) == 1
    assert state_of(row) == "committing"

    mail_workers("second")
    time.sleep(LEASE_SECONDS + 0.5)
    deliver_mail.delay(mail_id=row.pk)  # the broker's redelivery of the unacknowledged task
    assert wait_for(lambda: state_of(row) == "uncertain", timeout=60)
    deliver_pending_mail.delay()
    deliver_mail.delay(mail_id=row.pk)
    time.sleep(3)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert (message["To"], str(message["Subject"])) == ("ug1@example.edu", "Exactly once")


def test_a_worker_killed_before_the_server_has_the_message_is_replaced_and_it_arrives_once(
    smtp_server, mail_workers
):
    first = mail_workers("first")
    smtp_server.on_rcpt = lambda: kill(first)  # the worker dies while naming the recipient
    row = queue_one("test:killed-before-accept")
    wait_for(lambda: first.poll() is not None, timeout=60)
    smtp_server.on_rcpt = None
    assert smtp_server.messages == []
    assert state_of(row) == "sending"

    mail_workers("second")
    time.sleep(LEASE_SECONDS + 0.5)
    deliver_pending_mail.delay()  # the beat's sweep takes over the dead worker's claim
    assert wait_for(lambda: state_of(row) == "sent", timeout=60)
    deliver_mail.delay(mail_id=row.pk)  # and the broker's redelivery changes nothing
    time.sleep(3)
    assert len(smtp_server.messages) == 1
    assert SentMail.objects.get(pk=row.pk).attempts == 2
