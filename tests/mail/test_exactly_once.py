"""Each message arrives once at the real SMTP server when delivery runs twice, when the sending process dies
before or after the server accepted it, and when the server asks to try later (portal.mail's states).
A real worker killed at those moments: tests/mail/test_worker_killed.py."""

import smtplib
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from portal import mail as portal_mail
from portal.mail import mail_deliver, mail_deliver_pending, mail_queue
from portal.models import SentMail
from portal.tasks import deliver_mail

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for SIGKILL in-process: nothing in the portal catches it, so no later step runs."""


def queued(django_capture_on_commit_callbacks, *, deliver: bool = True, key: str = "test:once") -> SentMail:
    with django_capture_on_commit_callbacks(execute=deliver), transaction.atomic():
        row = mail_queue(key=key, to="ug1@example.edu", subject="Once only", body="Hello.\n")
    return SentMail.objects.get(pk=row.pk)


def later(seconds: int):
    return timezone.now() + timedelta(seconds=seconds)


def test_the_delivery_task_run_twice_sends_once(smtp_server, django_capture_on_commit_callbacks):
    row = queued(django_capture_on_commit_callbacks)
    assert deliver_mail(mail_id=row.id) == "sent"  # the task again (a redelivery from the broker)
    assert mail_deliver_pending(now=later(3600)) == 0  # the sweep finds nothing to do
    [message] = smtp_server.messages
    assert (message["To"], str(message["Subject"])) == ("ug1@example.edu", "Once only")
    assert message["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)
    assert row.sent_at is not None


def test_queueing_the_same_key_again_sends_nothing_more(smtp_server, django_capture_on_commit_callbacks):
    first = queued(django_capture_on_commit_callbacks)
    again = queued(django_capture_on_commit_callbacks)
    assert again.pk == first.pk
    assert len(smtp_server.messages) == 1


def test_a_fresh_claim_is_left_to_the_worker_holding_it(smtp_server, django_capture_on_commit_callbacks):
    row = queued(django_capture_on_commit_callbacks, deliver=False)
    SentMail.objects.filter(pk=row.pk).update(state="sending", claimed_at=timezone.now())
    assert mail_deliver(mail_id=row.id) == "sending"
    assert smtp_server.messages == []


def test_killed_after_the_server_accepted_it_is_never_sent_again(
    smtp_server, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.PORTAL_MAIL_CLAIM_LEASE_SECONDS = 300
    row = queued(django_capture_on_commit_callbacks, deliver=False)

    def killed(mail_id):
        raise WorkerKilled  # between the server's 250 and recording it as sent

    monkeypatch.setattr(portal_mail, "_mark_sent", killed)
    with pytest.raises(WorkerKilled):
        mail_deliver(mail_id=row.id)
    monkeypatch.undo()
    assert len(smtp_server.messages) == 1
    row.refresh_from_db()
    assert row.state == "committing"

    assert mail_deliver(mail_id=row.id) == "committing"  # the retry right away: the claim is fresh
    assert mail_deliver(mail_id=row.id, now=later(301)) == "uncertain"  # after the lease: never again
    assert mail_deliver_pending(now=later(3600)) == 0
    assert deliver_mail(mail_id=row.id) == "uncertain"
    assert len(smtp_server.messages) == 1
    row.refresh_from_db()
    assert "not sent again" in row.last_error


def test_killed_before_the_end_mark_is_never_sent_again(
    smtp_server, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.PORTAL_MAIL_CLAIM_LEASE_SECONDS = 300
    settings.EMAIL_TIMEOUT = 3  # the abandoned connection waits this long for the server's answer
    row = queued(django_capture_on_commit_callbacks, deliver=False)
    real_send = smtplib.SMTP.send

    def dies_at_the_end_mark(self, data):
        if data == b".\r\n":
            raise WorkerKilled  # the text went out, the end-of-data mark never did
        return real_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", dies_at_the_end_mark)
    with pytest.raises(WorkerKilled):
        mail_deliver(mail_id=row.id)
    monkeypatch.undo()
    assert smtp_server.messages == []  # a server never keeps an unfinished message
    row.refresh_from_db()
    # The row says the end mark was about to go: without the mark the server has nothing, but the portal
    # cannot tell the mark was not sent, so this one too is never sent again.
    assert row.state == "committing"


def test_a_claim_left_while_talking_to_the_server_is_sent_after_the_lease(
    smtp_server, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.PORTAL_MAIL_CLAIM_LEASE_SECONDS = 300
    row = queued(django_capture_on_commit_callbacks, deliver=False)

    def killed(*args, **kwargs):
        raise WorkerKilled  # after MAIL FROM, before the message text

    monkeypatch.setattr(smtplib.SMTP, "rcpt", killed)
    with pytest.raises(WorkerKilled):
        mail_deliver(mail_id=row.id)
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.state == "sending"

    assert mail_deliver(mail_id=row.id) == "sending"  # fresh: maybe still at work
    assert mail_deliver_pending(now=later(301)) == 1  # the sweep after the lease
    assert len(smtp_server.messages) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)


def test_try_again_later_is_retried_by_the_sweep_and_arrives_once(
    smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_MAIL_RETRY_SECONDS = 60
    replies = ["451 4.3.0 Try again later"]
    smtp_server.on_data = lambda: replies.pop() if replies else None
    row = queued(django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert (row.state, smtp_server.messages) == ("queued", [])
    assert "451" in row.last_error
    assert mail_deliver_pending(now=later(10)) == 0  # not before the retry delay
    assert mail_deliver_pending(now=later(61)) == 1
    assert mail_deliver_pending(now=later(3600)) == 0
    assert len(smtp_server.messages) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)


def test_a_refusal_is_final(smtp_server, django_capture_on_commit_callbacks):
    smtp_server.on_data = lambda: "550 5.1.1 No such mailbox"
    row = queued(django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.state == "failed"
    assert "550" in row.last_error
    assert mail_deliver_pending(now=later(3600)) == 0
    assert smtp_server.messages == []


def test_a_mail_server_that_is_down_delays_the_message(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nobody listens
    row = queued(django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.state == "queued"
    assert row.last_error


def test_an_operator_finds_an_uncertain_message_in_the_admin_and_cannot_change_it(
    admin_client, django_capture_on_commit_callbacks
):
    row = queued(django_capture_on_commit_callbacks, deliver=False)
    SentMail.objects.filter(pk=row.pk).update(state="uncertain", last_error="The worker stopped.")
    page = admin_client.get("/admin/portal/sentmail/?state=uncertain")
    assert page.status_code == 200
    assert "test:once" in page.content.decode() and "ug1@example.edu" in page.content.decode()
    assert admin_client.get("/admin/portal/sentmail/add/").status_code == 403
    assert admin_client.post(f"/admin/portal/sentmail/{row.pk}/delete/", {"post": "yes"}).status_code == 403
