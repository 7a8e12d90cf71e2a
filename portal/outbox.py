"""The transactional outbox: follow-up tasks are rows written in the transaction of the write that causes
them, so a committed write always has its follow-up recorded (and a rolled-back one never has).

After the commit the web process tries once to hand the task to Celery (`outbox_deliver`) and marks the row
sent. When the broker is unreachable, or the process dies between the commit and the hand-over, the row
stays pending and the relay (`manage.py outbox_relay`, and optionally each worker) sends it when the broker
is back (`outbox_relay_pending`). A row is taken under `SELECT ... FOR UPDATE SKIP LOCKED`, so two relays
never send the same row at once; a crash after publishing and before marking may send a row twice, which
the tasks allow (they are idempotent).

In eager mode (no REDIS_URL: the zero-setup default and the tests) "sending" runs the task in-process, as
`task.delay` did before, and a task's own error propagates as it did then.
"""

import logging
import threading
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError

    errors: list[type[BaseException]] = [OSError, OperationalError]
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover - redis is installed wherever a Redis broker is used
        pass
    return tuple(errors)


BROKER_ERRORS = _broker_errors()
# A row whose hand-over failed this many times for a reason other than the broker (an unknown task name,
# say) is left for an operator; healthz counts it as failing. Broker errors are not counted (_note_failure).
MAX_ATTEMPTS = 50


def _app():
    from portal.celery import app

    return app


def is_eager() -> bool:
    return bool(_app().conf.task_always_eager)


def outbox_record(*, task_name: str, kwargs: dict):
    """Record a task in the current transaction (the caller's write commits it or rolls it back)."""
    from portal.models import OutboxMessage

    return OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)


def registered_tasks():
    """Celery's registry of tasks, with every installed app's tasks module imported (once per process;
    a threaded worker's other threads wait for that one discovery rather than see the registry half
    filled)."""
    app = _app()
    if not _discovered.is_set():
        with _discovering:
            if not _discovered.is_set():
                app.loader.import_default_modules()
                _discovered.set()
    return app.tasks


_discovering = threading.Lock()
_discovered = threading.Event()


def _publish(message) -> None:
    """Hand one task to Celery: the broker, or in eager mode run it here."""
    app = _app()
    if app.conf.task_always_eager:
        # `delay`, as before the outbox: it runs the task here (and tests that stub it still see the call).
        registered_tasks()[message.task_name].delay(**message.kwargs)
    else:
        # One try, no retry loop: if the broker is down the row waits for the relay instead of the request.
        app.send_task(message.task_name, kwargs=message.kwargs, retry=False)


def _mark_sent(message) -> None:
    from portal.models import OutboxMessage

    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())


def _note_failure(message_id: int, exc: BaseException) -> None:
    """Keep the error on the row. A broker error is not the row's fault: it never counts toward
    MAX_ATTEMPTS, so an outage of any length leaves every row waiting for the broker, not for an operator."""
    from django.db.models import F

    from portal.models import OutboxMessage

    changes = {"last_error": f"{type(exc).__name__}: {exc}"[:2000]}
    if not isinstance(exc, BROKER_ERRORS):
        changes["attempts"] = F("attempts") + 1
    OutboxMessage.objects.filter(pk=message_id).update(**changes)


def outbox_deliver(*, message_id: int) -> bool:
    """Run after the write's commit: try to hand this row's task over now. Never raises for a broker
    problem (the write has committed; the row waits for the relay); in eager mode a task's own error
    propagates as before. Returns whether it was sent."""
    from portal.models import OutboxMessage

    if is_eager():
        message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
        if message is None:
            return False
        try:
            _publish(message)
        except BROKER_ERRORS as exc:
            logger.warning("Task %s not run, left in the outbox for the relay: %s", message.task_name, exc)
            _note_failure(message_id, exc)
            return False
        _mark_sent(message)
        return True
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:  # sent already, or a relay is sending it right now
                return False
            _publish(message)
            _mark_sent(message)
        return True
    except Exception as exc:  # the write has committed: never answer 500 for its follow-up
        logger.warning(
            "Broker unreachable; task left in the outbox for the relay (row %s): %s", message_id, exc
        )
        try:
            _note_failure(message_id, exc)
        except Exception:  # the database too: the row is there all the same
            logger.exception("Could not note the failed hand-over of outbox row %s", message_id)
        return False


def outbox_relay_pending(*, batch_size: int = 100) -> int:
    """Send every pending row the broker takes; returns how many were sent. Stops at the first broker
    failure (the rest wait for the next sweep). Rows another relay holds are skipped."""
    from portal.models import OutboxMessage

    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
                .order_by("id")[:batch_size]
            )
            broker_down = False
            for message in batch:
                try:
                    _publish(message)
                except BROKER_ERRORS as exc:
                    logger.warning(
                        "Outbox relay: broker unreachable, %s left pending: %s", message.task_name, exc
                    )
                    _note_failure(message.pk, exc)
                    broker_down = True
                    break
                except Exception as exc:
                    logger.exception(
                        "Outbox relay: could not send %s (row %s)", message.task_name, message.pk
                    )
                    _note_failure(message.pk, exc)
                    continue
                _mark_sent(message)
                sent += 1
        if broker_down or len(batch) < batch_size:
            return sent


def outbox_prune(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Delete rows sent longer ago than `older_than`: the outbox is a queue, not a log."""
    from portal.models import OutboxMessage

    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted


def outbox_backlog() -> dict:
    """What healthz shows: how many rows wait, how old the oldest is, how many keep failing."""
    from django.db.models import Min

    from portal.models import OutboxMessage

    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "pending": pending.count(),
        "oldest_pending_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else None,
        "failing": pending.filter(attempts__gte=MAX_ATTEMPTS).count(),
    }
