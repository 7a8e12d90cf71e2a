"""The web tier is stateless: two gunicorn instances on different ports, sharing only the database, the
broker and the submissions' storage, serve one student as a load balancer would send them, now to one,
now to the other. A session begun on one works on the other; a file uploaded to one downloads from the
other (README "Running on several machines")."""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from courses.services.deadlines import deadline_recompute
from tests.factories import AssignmentFactory, CourseFactory, EnrolmentFactory, SectionFactory, UserFactory
from tests.helpers import stop_processes

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pw-two-instances"
WORKER_CLASS = "portal.gunicorn_workers.ReceivedAtThreadWorker"  # docker-compose.yml's


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_instances(django_db_setup, tmp_path_factory):
    """Start two gunicorn instances against the test database and Redis; yield their base URLs."""
    from django.db import connection

    tmp_path = tmp_path_factory.mktemp("two-instances")

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("CI must set REDIS_URL: this test needs a shared broker.")
        pytest.skip("REDIS_URL is not set: no shared broker to run two instances against.")
    if connection.vendor != "postgresql":
        pytest.skip("Two instances need a shared database server (PostgreSQL).")
    db = connection.settings_dict
    media = tmp_path / "media"  # the shared storage (a network file system or an S3 bucket in production)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))},
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",  # static files from the app folders
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "one-secret-shared-by-every-web-instance",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_MEDIA_ROOT": str(media),
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
    }
    procs, bases = [], []
    for name in ("a", "b"):
        port = _free_port()
        log = (tmp_path / f"gunicorn-{name}.log").open("w")
        procs.append(
            subprocess.Popen(
                [
                    *[
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "portal.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                    ],
                    *[
                        "--workers",
                        "1",
                        "--threads",
                        "2",
                        "--worker-class",
                        WORKER_CLASS,
                        "--graceful-timeout",
                        "2",
                    ],
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 25
        for proc, base in zip(procs, bases, strict=True):
            while True:
                try:
                    requests.get(f"{base}/healthz", timeout=5)
                    break
                except requests.ConnectionError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        logs = "".join(p.read_text() for p in tmp_path.glob("gunicorn-*.log"))
                        pytest.fail(f"gunicorn did not start:\n{logs[-3000:]}")
                    time.sleep(0.2)
        yield bases
    finally:
        stop_processes(*procs)


@pytest.fixture
def student_with_open_assignment(transactional_db, _pbkdf2_available):
    course = CourseFactory()
    section = SectionFactory(course=course)
    # Hashed with PBKDF2 (see _pbkdf2_available): the instances run the default hashers, not the tests' MD5.
    student = UserFactory(username="ug-two", password=PASSWORD)
    EnrolmentFactory(user=student, section=section)
    now = timezone.now()
    assignment = AssignmentFactory(
        course=course,
        title="Homework across instances",
        release_at=now - timedelta(days=1),
        due_at=now + timedelta(days=2),
    )
    deadline_recompute(assignment_id=assignment.id)
    return student, assignment


@pytest.fixture(autouse=True)
def _pbkdf2_available(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]


def _sign_in(base: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=30)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = browser.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    assert "sessionid" in browser.cookies
    return browser


def _same_cookies(browser: requests.Session) -> requests.Session:
    """A new client holding only the cookies the browser has: what the other instance receives."""
    other = requests.Session()
    for name in ("sessionid", "csrftoken"):
        other.cookies.set(name, browser.cookies[name])
    return other


def test_a_session_begun_on_one_instance_works_on_the_other(two_instances, student_with_open_assignment):
    a, b = two_instances
    student, _assignment = student_with_open_assignment
    browser = _sign_in(a, student.username)
    on_b = _same_cookies(browser)
    me = on_b.get(f"{b}/api/v1/me/", timeout=30)
    assert me.status_code == 200, me.text[:500]
    assert me.json()["username"] == "ug-two"
    page = on_b.get(f"{b}/deadlines/", timeout=30)
    assert page.status_code == 200
    assert "Homework across instances" in page.text
    # Signing out on B ends the session on A too: it lives in the shared database, not in a process.
    assert on_b.post(f"{b}/accounts/logout/", headers={"X-CSRFToken": browser.cookies["csrftoken"]}).ok
    assert browser.get(f"{a}/api/v1/me/", timeout=30).status_code in (401, 403)


def test_a_file_uploaded_to_one_instance_downloads_from_the_other(
    two_instances, student_with_open_assignment
):
    a, b = two_instances
    student, assignment = student_with_open_assignment
    browser = _sign_in(a, student.username)
    content = b"%PDF-1.4\n% answers uploaded to instance A\n" + os.urandom(4096)
    upload = browser.post(
        f"{a}/api/v1/assignments/{assignment.id}/submissions/",
        data={"collaborators_none": "true", "honor_statement_accepted": "true"},
        files={"file": ("answers.pdf", content, "application/pdf")},
        headers={"X-CSRFToken": browser.cookies["csrftoken"], "Referer": f"{a}/deadlines/"},
        timeout=30,
    )
    assert upload.status_code == 201, upload.text[:500]
    submission = upload.json()
    assert submission["timing"] == "on_time"
    download = _same_cookies(browser).get(f"{b}/api/v1/submissions/{submission['id']}/file/", timeout=30)
    assert download.status_code == 200, download.text[:500]
    assert download.content == content
    assert download.headers["Content-Disposition"].startswith("attachment")
