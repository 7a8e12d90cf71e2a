"""The one way the portal sends e-mail: each message once, known by an idempotency key.

A service calls `mail_queue` inside its own transaction: the message (recipient, subject, body, headers) is
a `SentMail` row with a unique key ("reminder:<assignment>:<student>:<hours>:<due>", "regrade-resolved:<id>"),
written with the write that causes it; the same key again adds nothing. After the commit the delivery task
is enqueued through the outbox (portal.tasking), or a task that queued the message sends it itself
(`send_here`), and `mail_deliver` sends the row through Django's configured backend (DJANGO_EMAIL_BACKEND:
the console by default, SMTP towards a relay in production).

Delivery claims the row in its own committed transaction before it talks to the server, and records each
step, so that a task that runs twice or whose worker was killed knows what is safe to do:

- `sending`: claimed; the server has not been given the end of the message. With SMTP, connecting,
  signing in, MAIL, RCPT and the message text all happen in this state: a mail server never delivers a
  message whose end-of-data mark it did not receive (RFC 5321 4.1.1.4), so a claim left here by a killed
  worker is safe to send again once its lease (PORTAL_MAIL_CLAIM_LEASE_SECONDS) has passed. A fresh claim
  is another worker at work: a second run leaves it alone.
- `committing`: recorded (committed) just before the end-of-data mark goes to the server. From here the
  server may have accepted the message. A worker killed now leaves a claim that is never sent again: once
  the lease has passed it becomes `uncertain`, for an operator to look at. That is at most once for this
  one round trip (the mark and the server's reply), at least once everywhere else, so the message arrives
  exactly once except when the worker dies within that round trip and the server had not accepted it.
  The portal prefers a rare lost message (the student still sees everything on the portal) to a repeated
  one (two regrade answers, two reminders), as issue 16 asks; README "E-mail" says so.
- `sent`, `failed` (the server refused it for good: a 5xx reply), `uncertain`: final, never sent again.

Backends other than SMTP (console, file, an API backend) cannot be split: the row moves to `committing`
just before `send_messages`, so their crash window is the whole call.
"""

import hashlib
import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.db.models import Q
from django.template import loader
from django.utils import timezone

from portal.models import SentMail

logger = logging.getLogger(__name__)
State = SentMail.State
FINAL = (State.SENT, State.FAILED, State.UNCERTAIN)


def _message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def mail_queue(
    *, key: str, to: str, subject: str, body: str, headers: dict | None = None, send_here: bool = False
) -> SentMail | None:
    """Record one e-mail to `to` in the caller's transaction; it is sent after the commit. The same key a
    second time records and sends nothing (returns the first row). No address: nothing to send (None).

    By default a delivery task is queued (through the outbox). A caller that is itself a task on a worker
    passes `send_here`: the message is sent from this process right after the commit, one task fewer per
    message (at a deadline, one per upload's receipt). If that sending is lost (the worker dies after the
    commit), the row waits `queued` and the sweep (`mail_deliver_pending`) sends it."""
    from portal.tasking import enqueue_on_commit

    if not to:
        return None
    mail, created = SentMail.objects.get_or_create(
        key=key[:255],
        defaults={
            "recipient": to,
            "subject": subject[:255],
            "body": body,
            "headers": headers or {},
            "message_id": _message_id(key),
        },
    )
    if created and send_here:
        # robust: the caller's write has committed; a failure here leaves the row to the sweep.
        transaction.on_commit(partial(mail_deliver, mail_id=mail.pk), robust=True)
    elif created:
        enqueue_on_commit("portal.tasks.deliver_mail", mail_id=mail.pk)
    return mail


def _set_state(mail_id: int, state: str, **fields) -> None:
    # Outside any transaction of the caller's (a task): each step commits at once.
    SentMail.objects.filter(pk=mail_id).update(state=state, **fields)


def _data_in_two_steps(smtp: smtplib.SMTP, msg: bytes | str, before_end_of_data: Callable[[], None]):
    """smtplib.SMTP.data, with `before_end_of_data` called after the message text and before the
    end-of-data mark (the moment the server may accept the message)."""
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    if isinstance(msg, str):
        msg = smtplib._fix_eols(msg).encode("ascii")
    text = smtplib._quote_periods(msg)
    if text[-2:] != smtplib.bCRLF:
        text += smtplib.bCRLF
    smtp.send(text)
    before_end_of_data()
    smtp.send(b"." + smtplib.bCRLF)
    return smtp.getreply()


def _send(mail: SentMail, before_end_of_data: Callable[[], None]) -> None:
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        to=[mail.recipient],
        headers={**mail.headers, "Message-ID": mail.message_id},
    )
    connection = get_connection(fail_silently=False)
    if not isinstance(connection, SMTPBackend):
        before_end_of_data()
        connection.send_messages([message])
        return
    connection.open()
    try:
        smtp = connection.connection
        smtp.data = lambda msg: _data_in_two_steps(smtp, msg, before_end_of_data)
        connection.send_messages([message])
    finally:
        connection.close()


def _lease() -> timedelta:
    return timedelta(seconds=settings.PORTAL_MAIL_CLAIM_LEASE_SECONDS)


def mail_deliver(*, mail_id: int, now: datetime | None = None) -> str:
    """Send one queued message unless it was sent, refused, or is being sent; returns the row's state
    afterwards. Call it outside a transaction (a task does): the claim must commit before the server is
    contacted."""
    now = now or timezone.now()
    with transaction.atomic():
        mail = SentMail.objects.select_for_update().filter(pk=mail_id).first()
        if mail is None:
            return "gone"
        if mail.state in FINAL:
            return mail.state
        claimed = mail.state in (State.SENDING, State.COMMITTING)
        if claimed and mail.claimed_at and mail.claimed_at > now - _lease():
            return mail.state  # another worker holds a fresh claim: it sends, not us
        if mail.state == State.COMMITTING:
            # The server may have accepted it before the worker stopped: never risk a second copy.
            logger.error(
                "E-mail %s (%s) may or may not have been delivered; not sent again", mail.pk, mail.key
            )
            mail.state = State.UNCERTAIN
            mail.last_error = (
                "The worker stopped while the mail server was accepting the message; it is not sent again. "
                "Ask the recipient, or the relay's log for the Message-ID, whether it arrived."
            )
            mail.save(update_fields=["state", "last_error"])
            return mail.state
        mail.state, mail.claimed_at, mail.attempts = State.SENDING, now, mail.attempts + 1
        mail.save(update_fields=["state", "claimed_at", "attempts"])
    handed_over = False

    def before_end_of_data() -> None:
        nonlocal handed_over
        _set_state(mail.pk, State.COMMITTING, claimed_at=timezone.now())
        handed_over = True

    try:
        _send(mail, before_end_of_data)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        final = all(code >= 500 for code in codes) or mail.attempts >= settings.PORTAL_MAIL_MAX_ATTEMPTS
        logger.warning("E-mail %s: recipient refused: %s", mail.key, exc.recipients)
        _set_state(mail.pk, State.FAILED if final else State.QUEUED, last_error=str(exc.recipients)[:2000])
    except smtplib.SMTPResponseException as exc:
        # A reply from the server: it did not take the message. 5xx is final, 4xx is worth another try.
        final = exc.smtp_code >= 500 or mail.attempts >= settings.PORTAL_MAIL_MAX_ATTEMPTS
        error = f"{exc.smtp_code} {exc.smtp_error!r}"[:2000]
        logger.warning("E-mail %s refused by the server: %s", mail.key, error)
        _set_state(mail.pk, State.FAILED if final else State.QUEUED, last_error=error)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if handed_over:
            # The connection broke after the end of the message: the server may well have it.
            logger.error(
                "E-mail %s: no answer to the end of the message, not sent again: %s", mail.key, error
            )
            _set_state(mail.pk, State.UNCERTAIN, last_error=error)
        else:
            logger.warning("E-mail %s not sent, will be retried: %s", mail.key, error)
            final = mail.attempts >= settings.PORTAL_MAIL_MAX_ATTEMPTS
            _set_state(mail.pk, State.FAILED if final else State.QUEUED, last_error=error)
    else:
        _mark_sent(mail.pk)
    return SentMail.objects.values_list("state", flat=True).get(pk=mail.pk)


def _mark_sent(mail_id: int) -> None:
    _set_state(mail_id, State.SENT, sent_at=timezone.now(), last_error="")


def mail_deliver_pending(*, now: datetime | None = None) -> int:
    """The sweep (a beat task): send again what waits (a failed attempt, a lost task) and settle claims
    whose lease has passed. Returns how many rows it tried."""
    now = now or timezone.now()
    stale = now - _lease()
    retry = now - timedelta(seconds=settings.PORTAL_MAIL_RETRY_SECONDS)
    ids = list(
        SentMail.objects.filter(
            Q(state=State.QUEUED, created_at__lt=retry)
            & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=retry))
            | Q(state__in=(State.SENDING, State.COMMITTING), claimed_at__lt=stale)
        )
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    for mail_id in ids:
        mail_deliver(mail_id=mail_id, now=now)
    return len(ids)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's password reset, its message sent through `mail_queue` like every other (once per link:
    the key is the account and the link's token)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        context = {**context, "timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        mail_queue(
            key=f"password-reset:{context['uid']}:{context['token']}",
            to=to_email,
            subject=subject,
            body=loader.render_to_string(email_template_name, context),
        )
