"""The Celery app. Tasks live in each app's tasks.py and are discovered from INSTALLED_APPS."""

import os
import sys

from celery import Celery, signals

# Only the `celery` program gets the local settings by default. This module is imported with the `portal`
# package, before wsgi.py can choose production, so an unconditional default here made gunicorn run
# `portal.wsgi` with the local settings (DEBUG on, a public secret key) unless the variable was set.
if "celery.bin.celery" in sys.modules:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Database connections in a worker follow the web's rule (DATABASE_CONN_MAX_AGE): kept from one task to the
# next, closed when too old or broken. Celery's Django fixup would close them around every task (unless
# CELERY_DB_REUSE_MAX is set, as the settings do): a new PostgreSQL backend per task, which at a deadline
# (two tasks per upload's receipt) cost the database more than the uploads themselves.
@signals.task_prerun.connect
def _connections_before_task(task=None, **kwargs):
    if _in_worker(task):
        from django.db import close_old_connections, connections

        close_old_connections()
        # A connection the database dropped while the worker was idle (a restart, an idle timeout) is
        # replaced now rather than failing the task's first query; one round trip per task.
        for conn in connections.all(initialized_only=True):
            if conn.connection is not None and not conn.in_atomic_block and not conn.is_usable():
                conn.close()


@signals.task_postrun.connect
def _connections_after_task(task=None, **kwargs):
    if _in_worker(task):
        from django.db import close_old_connections

        close_old_connections()


def _in_worker(task) -> bool:
    """Not for a task run eagerly (in the web or the tests): its caller owns the connection."""
    return task is not None and not getattr(task.request, "is_eager", False)
