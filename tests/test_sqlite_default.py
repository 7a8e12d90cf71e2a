"""The zero-setup default (`make run`: SQLite, `manage.py runserver`) holds concurrent writes.

`runserver` answers each request in its own thread, each with its own SQLite connection. With SQLite's
default deferred transactions, a transaction that read first and then writes fails at once with
"database is locked" when another connection writes: four simultaneous resolves of one regrade request
answered one 200 and three 500s. The settings make SQLite transactions take the write lock when they
begin and wait for it (busy timeout, WAL journal), so the losers wait, see the winner's result and
answer 409, as on PostgreSQL.

This test starts the real thing in a subprocess: `migrate`, `seed_demo --relative` and `runserver`
with the local settings on a fresh SQLite file (named by DATABASE_URL, so the developer's own
db.sqlite3 stays untouched), whatever database the rest of the suite uses.
"""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import stop_processes

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "portal-demo"  # seed_demo's accounts
AT_ONCE = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`make run` on a fresh SQLite file: yields (base url, database path)."""
    path = tmp_path_factory.mktemp("zero-setup") / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CI"}}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.local", DATABASE_URL=f"sqlite:///{path}")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["seed_demo", "--relative"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    log = (path.parent / "runserver.log").open("w")
    proc = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/api/schema/", timeout=5)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"runserver did not start: {(path.parent / 'runserver.log').read_text()}")
                time.sleep(0.3)
        yield base, path
    finally:
        stop_processes(proc)
        log.close()


def _token(base: str, username: str) -> str:
    response = requests.post(
        f"{base}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _at_once(calls) -> list[requests.Response]:
    """Send each (method, url, token, json) from its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    responses: list[requests.Response] = []
    errors: list[BaseException] = []

    def send(method, url, token, body):
        try:
            with requests.Session() as session:
                barrier.wait(timeout=30)
                responses.append(
                    session.request(
                        method, url, json=body, headers={"Authorization": f"Token {token}"}, timeout=120
                    )
                )
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=send, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    assert len(responses) == len(calls), "a request hung"
    return responses


def _outcome(responses) -> list[tuple[int, str]]:
    """(status, "") per response, sorted; a server error keeps the title of Django's debug page."""

    def error(response) -> str:
        found = re.search(r"<title>(.*?)</title>.*?exception_value\">(.*?)</pre>", response.text, re.S)
        return " ".join((": ".join(found.groups()) if found else response.text[:200]).split())

    return sorted((r.status_code, error(r) if r.status_code >= 500 else "") for r in responses)


def test_simultaneous_resolves_by_two_staff_members_one_200_the_rest_409(server):
    base, _ = server
    staff = {name: _token(base, name) for name in ("instructor", "ta1")}
    student = _token(base, "ug1")
    # The demo's open requests, and a new one for each of ug1's other questions of its released grades.
    grades = requests.get(
        f"{base}/api/v1/grades/", headers={"Authorization": f"Token {student}"}, timeout=30
    ).json()["results"]
    for grade in grades:
        for score in grade["scores"][:2]:
            requests.post(
                f"{base}/api/v1/regrade-requests/",
                json={"grade": grade["id"], "question": score["question"], "justification": "Look again."},
                headers={"Authorization": f"Token {student}"},
                timeout=30,
            )
    queue = requests.get(
        f"{base}/api/v1/regrade-requests/?state=open",
        headers={"Authorization": f"Token {staff['instructor']}"},
        timeout=30,
    ).json()["results"]
    assert len(queue) >= 4, queue

    outcomes = {}
    for request in queue:
        url = f"{base}/api/v1/regrade-requests/{request['id']}/resolve/"
        calls = [
            ("POST", url, staff[("instructor", "ta1")[i % 2]], {"decision": decision, "response": "Checked."})
            for i, decision in enumerate(["rejected"] * AT_ONCE)
        ]
        outcomes[request["id"]] = _outcome(_at_once(calls))

    expected = [(200, "")] + [(409, "")] * (AT_ONCE - 1)
    assert outcomes == dict.fromkeys(outcomes, expected)


def test_drops_a_raise_and_a_waitlist_leave_at_once_answer_no_server_error(server):
    base, path = server
    with sqlite3.connect(path) as db:
        sections = dict(db.execute("SELECT code, id FROM courses_section").fetchall())
        enrolments = dict(
            db.execute(
                "SELECT u.username, e.id FROM courses_enrolment e JOIN courses_user u ON u.id = e.user_id "
                "WHERE u.username IN ('gr1', 'gr2')"
            ).fetchall()
        )
    graduate = sections["CS 7643-A"]
    instructor = _token(base, "instructor")
    responses = _at_once(
        [
            ("POST", f"{base}/api/v1/enrolments/{enrolments['gr1']}/drop/", instructor, {}),
            ("POST", f"{base}/api/v1/enrolments/{enrolments['gr2']}/drop/", instructor, {}),
            ("PATCH", f"{base}/api/v1/sections/{graduate}/", instructor, {"capacity": 21}),
            (
                "DELETE",
                f"{base}/api/v1/sections/{sections['CS 4644']}/waitlist/",
                _token(base, "wait4"),
                None,
            ),
        ]
    )
    assert all(r.status_code < 300 for r in responses), _outcome(responses)
    # CS 7643-A: 20 of 20 seats taken, two dropped, one added: three free for wait1, wait2 and wait3.
    with sqlite3.connect(path) as db:
        statuses = dict(
            db.execute(
                "SELECT u.username, e.status FROM courses_enrolment e JOIN courses_user u ON u.id = e.user_id "
                "WHERE u.username LIKE 'wait%' OR u.username IN ('gr1', 'gr2')"
            ).fetchall()
        )
        (enrolled,) = db.execute(
            "SELECT count(*) FROM courses_enrolment WHERE section_id = ? AND status = 'enrolled'", (graduate,)
        ).fetchone()
    assert statuses == {
        "gr1": "dropped",
        "gr2": "dropped",
        "wait1": "enrolled",
        "wait2": "enrolled",
        "wait3": "enrolled",
        "wait4": "dropped",
        "wait5": "waitlisted",
    }
    assert enrolled == 21


def test_a_student_reads_their_deadlines_on_sqlite(server):
    """My deadlines reads its rows with plain SQL; on SQLite the times come back as text and must be read
    as the ORM reads them: the API writes them in the course's zone, the page shows them."""
    base, _ = server
    token = _token(base, "ug1")
    response = requests.get(
        f"{base}/api/v1/me/deadlines/", headers={"Authorization": f"Token {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text[:500]
    rows = response.json()
    assert rows, "the demo student has deadlines"
    for row in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d", row["due_at"]), row
        assert row["status"] in {
            "open",
            "grace",
            "closed",
            "submitted",
            "submitted_in_grace",
            "submitted_late",
        }
    with requests.Session() as session:
        session.get(f"{base}/accounts/login/", timeout=30)
        signed_in = session.post(
            f"{base}/accounts/login/",
            data={
                "username": "ug1",
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            timeout=30,
        )
        assert signed_in.status_code == 200
        page = session.get(f"{base}/deadlines/", timeout=30)
    assert page.status_code == 200
    assert rows[0]["assignment"]["code"] in page.text
