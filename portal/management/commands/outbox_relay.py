"""Deliver the outbox's pending tasks to the broker: a loop (docker-compose's `relay` service), or one sweep.

It does not need the broker to start (unlike Celery beat), so it is the process that makes good what the
web process could not hand over while Redis was down.
"""

import logging
import time
from datetime import timedelta

from django.core.management.base import BaseCommand

from portal import heartbeat, outbox

logger = logging.getLogger("portal.outbox")


class Command(BaseCommand):
    help = "Send pending outbox rows to Celery: every --interval seconds, or --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one sweep, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between sweeps (default 5)")
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--keep-days", type=int, default=7, help="delete rows sent longer ago than this")

    def handle(self, *args, once=False, interval=5.0, batch_size=100, keep_days=7, **options):
        if once:
            sent = outbox.outbox_relay_pending(batch_size=batch_size)
            self.stdout.write(f"sent {sent}")
            return
        from django.db import connection

        last_prune = 0.0
        while True:
            try:
                heartbeat.heartbeat_write(kind="relay")
                sent = outbox.outbox_relay_pending(batch_size=batch_size)
                if sent:
                    logger.info("Outbox relay: sent %d task(s)", sent)
                if time.monotonic() - last_prune > 3600:
                    last_prune = time.monotonic()
                    outbox.outbox_prune(older_than=timedelta(days=keep_days))
            except Exception as exc:  # the database is down: wait and try again
                logger.warning("Outbox relay: sweep failed: %s", exc)
                connection.close()
            time.sleep(interval)
