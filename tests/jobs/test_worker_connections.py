"""A Celery worker keeps its database connection from one task to the next, as the web keeps one from one
request to the next (DATABASE_CONN_MAX_AGE), instead of opening a PostgreSQL backend for every task: at a
deadline each upload's receipt is two tasks, and a new backend per task cost the database more than the
upload itself. A connection the database dropped while the worker was idle is replaced before the next
task runs, so the task does not fail. Real components: PostgreSQL, Redis, a `celery worker` process."""

import pytest
from django.db import connection, transaction

from portal.mail import mail_queue
from portal.models import SentMail
from tests.conftest import wait_for
from tests.workers import named_workers

pytestmark = pytest.mark.worker


def queue_mail(key: str) -> SentMail:
    with transaction.atomic():  # committed: the outbox hands the delivery to the worker
        return mail_queue(key=key, to="ug1@example.edu", subject="Connections", body="Hello.\n")


def delivered(row: SentMail) -> bool:
    return SentMail.objects.values_list("state", flat=True).get(pk=row.pk) == "sent"


def mail_backends() -> list[int]:
    """The worker's backends whose last statement read a mail's state (the delivery's last; idle between
    tasks when the connection is kept)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            'AND query LIKE \'SELECT "portal_sentmail"."state" AS "state" FROM "portal_sentmail"%%\''
        )
        return [pid for (pid,) in cursor.fetchall()]


@pytest.fixture
def worker(transactional_db):
    with named_workers(
        {
            "DATABASE_CONN_MAX_AGE": "60",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    ) as start:
        yield start("connections")


def test_a_worker_runs_task_after_task_on_one_database_connection(worker):
    backends = []
    for n in range(5):
        row = queue_mail(f"test:connections-{n}")
        assert wait_for(lambda row=row: delivered(row), timeout=60)
        assert wait_for(mail_backends, timeout=10), "the worker closed its connection after the task"
        backends.append(tuple(mail_backends()))
    assert len(set(backends)) == 1 and len(backends[0]) == 1, backends


def test_a_connection_the_database_dropped_between_tasks_is_replaced_before_the_next_task(worker):
    first = queue_mail("test:connections-before")
    assert wait_for(lambda: delivered(first), timeout=60)
    assert wait_for(mail_backends, timeout=10)
    (dropped,) = mail_backends()
    with connection.cursor() as cursor:  # as a database restart or an idle timeout would
        cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])

    second = queue_mail("test:connections-after")
    assert wait_for(lambda: delivered(second), timeout=60), "the task failed on the dropped connection"
    assert wait_for(mail_backends, timeout=10)
    assert dropped not in mail_backends()
