"""Under docker-compose.yml's worker class a submission counts from when its request reached the machine,
even if the worker could only take the connection later (it waited in the kernel's listen queue while
every slot was busy), and never from before the request came: an idle connection opened before the due
time earns nothing. Served by real gunicorn, one worker with a single connection slot, so a second
connection waits in the listen queue for as long as the first holds the slot."""

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from courses.models import Submission
from courses.services.accounts import api_token_create
from courses.services.deadlines import deadline_recompute
from tests.factories import AssignmentFactory, CourseFactory, EnrolmentFactory, SectionFactory, UserFactory
from tests.helpers import stop_processes

ROOT = Path(__file__).resolve().parent.parent
WORKER_CLASS = "portal.gunicorn_workers.ReceivedAtThreadWorker"  # docker-compose.yml's
BOUNDARY = "----received-at-boundary"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def one_slot_server(transactional_db, tmp_path):
    """gunicorn against the test database: one worker, one thread, one connection at a time."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("gunicorn needs the test database on a server (PostgreSQL).")
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "REDIS_URL"))},
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # API tokens are digested with it
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
    }
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "1", "--worker-connections", "1"]
    command += ["--worker-class", WORKER_CLASS, "--graceful-timeout", "2"]
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = _answer(_send(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
                if status:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        stop_processes(proc)


def _send(port: int, head: bytes, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head + b"Connection: close\r\n\r\n" + body)
    return sock


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _upload_request(assignment, key: str) -> tuple[bytes, bytes]:
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="collaborators_none"\r\n\r\ntrue\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="honor_statement_accepted"\r\n\r\ntrue\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="answers.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.4 my answers\r\n--{BOUNDARY}--\r\n"
    ).encode()
    head = (
        f"POST /api/v1/assignments/{assignment.id}/submissions/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {key}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\n"
    ).encode()
    return head, body


def _student_and_assignment(due_in: float):
    course = CourseFactory()
    student = UserFactory(username="ug-received")
    EnrolmentFactory(user=student, section=SectionFactory(course=course))
    now = timezone.now()
    assignment = AssignmentFactory(
        course=course, release_at=now - timedelta(days=1), due_at=now + timedelta(seconds=due_in)
    )
    deadline_recompute(assignment_id=assignment.id)
    _token, key = api_token_create(user=student)
    return assignment, key


def _sleep_until(moment: float) -> None:
    time.sleep(max(moment - time.time(), 0))


def test_an_upload_that_arrived_before_the_due_time_but_was_taken_after_it_is_on_time(one_slot_server):
    assignment, key = _student_and_assignment(due_in=4)
    due = assignment.due_at.timestamp()
    # Another client holds the worker's only slot: its headers never end until we say so.
    holder = socket.create_connection(("127.0.0.1", one_slot_server), timeout=30)
    holder.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.5)  # the worker has taken it and stopped accepting
    head, body = _upload_request(assignment, key)
    sent = time.time()
    waiting = _send(one_slot_server, head, body)  # waits in the kernel's listen queue
    assert sent < due - 1
    _sleep_until(due + 1)
    holder.sendall(b"Connection: close\r\n\r\n")
    assert _answer(holder)[0] == 200
    status, answer = _answer(waiting)
    assert time.time() > due + 1  # it was served well after the due time
    assert status == 201, answer[:500]
    submission = Submission.objects.get()
    assert submission.timing == "on_time"
    # Judged by when its bytes came, never before: between the send and a moment later.
    assert sent <= submission.submitted_at.timestamp() < sent + 0.5


def test_a_connection_opened_before_the_due_time_with_its_request_sent_after_it_is_in_grace(
    one_slot_server,
):
    assignment, key = _student_and_assignment(due_in=3)
    due = assignment.due_at.timestamp()
    idle = socket.create_connection(("127.0.0.1", one_slot_server), timeout=30)  # nothing sent yet
    assert time.time() < due - 1
    _sleep_until(due + 1)
    head, body = _upload_request(assignment, key)
    sent = time.time()
    idle.sendall(head + b"Connection: close\r\n\r\n" + body)
    status, answer = _answer(idle)
    assert status == 201, answer[:500]
    submission = Submission.objects.get()
    assert submission.timing == "in_grace"
    assert submission.submitted_at >= datetime.fromtimestamp(sent, tz=UTC)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's arrival times are Linux's")
def test_the_stamp_is_when_an_uploads_first_bytes_came_not_its_last():
    """A connection waiting to be taken keeps receiving its upload; the stamp is its first bytes'."""
    from portal.gunicorn_workers import first_waiting_byte_arrived, timestamp_arrivals

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        timestamp_arrivals(listener)
        time.sleep(0.2)  # the kernel turns its receive timestamps on a moment later
        with socket.create_connection(listener.getsockname()) as client:
            sent = time.time()
            client.sendall(b"POST /upload HTTP/1.1\r\n" + b"x" * 200_000)
            time.sleep(0.4)
            client.sendall(b"y" * 200_000)  # the rest of the upload, 0.4 s later
            time.sleep(0.1)
            accepted, _ = listener.accept()
            with accepted:
                waiting, arrived = first_waiting_byte_arrived(accepted)
    assert waiting
    assert sent <= arrived < sent + 0.2
