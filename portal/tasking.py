"""Enqueue Celery tasks through the transactional outbox (portal.outbox): the intent is a row written in the
caller's transaction (nothing on rollback, nothing lost after commit); after the commit it is handed to
Celery, or left for the relay when the broker is unreachable.

Services name a task by its dotted path ("courses.tasks.recompute_deadlines") instead of importing it: a
tasks module is a thin layer over the services it runs, so the services must not import it back. The name
is checked against the registered tasks when it is enqueued, so a misspelt name fails in the service's
tests, not silently in a worker."""

from functools import partial

from django.db import transaction


def task_name(task) -> str:
    """The registered name of `task` (a Celery task or its dotted name); LookupError if none is registered."""
    from portal.outbox import registered_tasks

    name = task if isinstance(task, str) else task.name
    if name not in registered_tasks():
        raise LookupError(f"No Celery task is named {name!r}; name it by its module path and function.")
    return name


def enqueue_on_commit(task, /, **kwargs) -> None:
    from portal.outbox import outbox_deliver, outbox_record

    message = outbox_record(task_name=task_name(task), kwargs=kwargs)
    transaction.on_commit(partial(outbox_deliver, message_id=message.pk))
