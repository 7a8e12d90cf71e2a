"""Enqueue Celery tasks only once the surrounding transaction commits (nothing on rollback)."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, /, **kwargs) -> None:
    transaction.on_commit(partial(task.delay, **kwargs))
