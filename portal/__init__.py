from . import heartbeat  # noqa: F401  workers and beat write heartbeats (healthz); a worker also sweeps the outbox
from .celery import app as celery_app

__all__ = ("celery_app",)
