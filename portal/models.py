"""The outbox of follow-up tasks, the heartbeats of the portal's background processes, and e-mail: each message
sent once (SentMail, portal.mail) and who turned reminders off (MailPreference)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to run, recorded in the transaction of the write that causes it (portal.outbox).

    `sent_at` is set once the task was handed to the broker (or, in eager mode, ran in-process); until then
    the relay (`manage.py outbox_relay`) keeps trying. `attempts` and `last_error` count failed hand-overs.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="portal_outbox_pending", condition=Q(sent_at__isnull=True)),
            models.Index(fields=["sent_at"], name="portal_outbox_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}({self.kwargs}) {'sent' if self.sent_at else 'pending'}"


class ProcessHeartbeat(models.Model):
    """The last time a background process (a worker, beat, the outbox relay) said it was alive."""

    class Kind(models.TextChoices):
        WORKER = "worker", "Celery worker"
        BEAT = "beat", "Celery beat"
        RELAY = "relay", "Outbox relay"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    host = models.CharField(max_length=255)
    beat_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "host"], name="portal_heartbeat_one_per_process")
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.host} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class SentMail(models.Model):
    """One e-mail, known by its idempotency key, recorded in the transaction that causes it (portal.mail).

    The states say how far delivery got, so that a retry can tell what is safe to do:
    queued (waiting) -> sending (claimed by a worker; the server has not been given the end of the message)
    -> committing (the end of the message is being handed to the server: it may have accepted it) -> sent.
    A claim older than PORTAL_MAIL_CLAIM_LEASE_SECONDS in `sending` is sent again (the server cannot have
    accepted an unfinished message); one in `committing` becomes `uncertain` and is never sent again
    (README "E-mail": at most once in that one round trip). `failed`: the server refused it for good.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending (not yet accepted)"
        COMMITTING = "committing", "Handing over (the server may have accepted it)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Refused by the mail server"
        UNCERTAIN = "uncertain", "Uncertain: the worker stopped while the server was accepting it"

    key = models.CharField(max_length=255, unique=True)
    recipient = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="portal_sentmail_state")]

    def __str__(self) -> str:
        return f"{self.key} to {self.recipient}: {self.state}"


class MailPreference(models.Model):
    """A user's choice about optional e-mail; no row means the defaults (reminders on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="mail_preference"
    )
    reminders = models.BooleanField(
        default=True, help_text="Deadline reminder e-mails (48 h and 24 h before)."
    )
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"reminders {'on' if self.reminders else 'off'} for {self.user_id}"
