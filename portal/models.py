"""The outbox of follow-up tasks and the heartbeats of the portal's background processes."""

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
