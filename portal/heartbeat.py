"""Background processes say they are alive by writing a row (portal.models.ProcessHeartbeat) every few
seconds; /healthz and `manage.py healthz --process <kind>` read it. A worker also sweeps the outbox on the
same thread (PORTAL_OUTBOX_WORKER_SWEEP_SECONDS), a second relay beside `manage.py outbox_relay`."""

import logging
import socket
import threading
import time

from celery import signals

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 15.0
# A process whose heartbeat is older than this is reported as not alive.
STALE_SECONDS = 60.0


def host() -> str:
    return socket.gethostname()


def heartbeat_write(*, kind: str) -> None:
    from django.utils import timezone

    from portal.models import ProcessHeartbeat

    ProcessHeartbeat.objects.update_or_create(kind=kind, host=host(), defaults={"beat_at": timezone.now()})


def _loop(kind: str, sweep_every: float) -> None:
    import django

    django.setup()  # idempotent; beat does not set Django up by itself
    from django.db import connection

    from portal.outbox import outbox_relay_pending

    last_sweep = 0.0
    while True:
        try:
            heartbeat_write(kind=kind)
            if sweep_every and time.monotonic() - last_sweep >= sweep_every:
                last_sweep = time.monotonic()
                outbox_relay_pending()
        except Exception as exc:  # the database may be down for a while; keep beating
            logger.warning("%s heartbeat failed: %s", kind, exc)
        finally:
            connection.close()
        time.sleep(INTERVAL_SECONDS)


def start(kind: str, *, sweep_every: float = 0.0) -> threading.Thread:
    thread = threading.Thread(target=_loop, args=(kind, sweep_every), name=f"{kind}-heartbeat", daemon=True)
    thread.start()
    return thread


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    from django.conf import settings

    start("worker", sweep_every=float(getattr(settings, "PORTAL_OUTBOX_WORKER_SWEEP_SECONDS", 0)))


@signals.beat_init.connect
def _beat_init(sender=None, **kwargs):
    start("beat")
