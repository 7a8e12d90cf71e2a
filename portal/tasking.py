"""Enqueue Celery tasks through the transactional outbox (portal.outbox): the intent is a row written in the
caller's transaction (nothing on rollback, nothing lost after commit); after the commit it is handed to
Celery, or left for the relay when the broker is unreachable."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, /, **kwargs) -> None:
    from portal.outbox import outbox_deliver, outbox_record

    message = outbox_record(task_name=task.name, kwargs=kwargs)
    transaction.on_commit(partial(outbox_deliver, message_id=message.pk))
