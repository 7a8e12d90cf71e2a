"""Property-based API testing with schemathesis against the live OpenAPI schema (/api/schema/).

A live server holds the demo course (`seed_demo --relative`, plus a grade export and a project team).
Signed in with an API token (`Authorization: Token …`) as a student (ug1), a TA (ta1) and the instructor
in turn, every operation of the schema gets requests generated from the schema (positive data), and
every response must:
- not be a server error (`not_a_server_error`);
- have a status code the operation documents (`status_code_conformance`), a documented content type
  (`content_type_conformance`), and a body and headers that match the documented schemas
  (`response_schema_conformance`, `response_headers_conformance`).

Path ids are drawn half from the ids that exist in the seeded database, so that successful responses
are checked against their schemas too, and half as the generator makes them (mostly "not found").
Hypothesis runs derandomized: the same examples every run.

Examples per operation: 100 for the student and the instructor, 20 for the TA. One example costs
~25-35 ms of CPU here (half generating and checking, half the server's work, both in this process), so
100 for all three roles would take ~8 minutes on the 2-core machine; the TA's permissions sit between the
other two roles' (course staff like the instructor, refused like the student where only instructors
may act), so its run is the one shortened.
"""

import http.client
import io
import json
import logging
import statistics
import time
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from django.core.management import call_command
from django.core.servers.basehttp import WSGIRequestHandler
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from courses.models import Course, Enrolment, Section, Submission, Team, User
from courses.services.teams import team_create
from grading.models import Grade, GradeExport, RegradeRequest

PASSWORD = "portal-demo"  # seed_demo's accounts
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ROLES = {"ug1": 60, "ta1": 20, "instructor": 60}  # examples per operation (about 2 minutes in all)
# Not fuzzed: the token endpoint is how each role signs in. Fuzzing it would only count failed sign-ins
# against random usernames (and, with a lucky username, lock a demo account for the rest of the run).
# Nor revoking tokens: it would revoke the token the run signs its requests with (tests/test_api_tokens.py).
EXCLUDED = {
    "POST /api/v1/auth/token/",
    "DELETE /api/v1/auth/token/",
    "DELETE /api/v1/auth/tokens/{token_id}/",
}


@dataclass
class Run:
    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@pytest.fixture
def quiet_request_log():
    """4xx answers are the point of the exercise: keep their log lines out of the output (5xx stay)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def no_nagle(monkeypatch):
    """The dev server writes headers and body in separate packets; with Nagle's algorithm on and the
    client's delayed ACK, each request would wait ~40 ms for nothing (ten times its own cost)."""
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)


class _DecodedBody:
    """A chunked request's decoded body, then the connection's own stream (the next request on it)."""

    def __init__(self, body: bytes, stream):
        self._body, self.stream = io.BytesIO(body), stream

    def read(self, size: int = -1) -> bytes:
        return self._body.read(size)  # Content-Length is the body's length: nobody reads past it

    def readline(self, limit: int = -1) -> bytes:
        return self._body.readline(limit) or self.stream.readline(limit)


def _read_chunked(stream) -> bytes:
    body = b""
    while size := int(stream.readline(65537).split(b";")[0], 16):
        body += stream.read(size)
        stream.readline(65537)  # the CRLF after the chunk
    while stream.readline(65537) not in (b"\r\n", b"\n", b""):  # trailers, up to the empty line
        pass
    return body


@pytest.fixture
def chunked_request_bodies(monkeypatch):
    """Read request bodies sent with `Transfer-Encoding: chunked`, as gunicorn does in production.

    schemathesis sends some bodies chunked (an empty form body arrives as the single chunk "0"). Django's
    development server, which runs the live server, reads only a Content-Length body: it left the chunks on
    the keep-alive connection and parsed them as the next request, answering it with a bare HTML 400
    page (no status line). When the client had already sent its next request on that connection, it read
    that page as the answer ("BadStatusLine('<!DOCTYPE HTML>')"); the replay, on a new connection, passed:
    Hypothesis's FlakyFailure, about one run in five depending on timing.
    """
    parse_request = WSGIRequestHandler.parse_request

    def parse_chunked(self) -> bool:
        self.rfile = getattr(self.rfile, "stream", self.rfile)
        if not parse_request(self):
            return False
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = _read_chunked(self.rfile)
            del self.headers["Transfer-Encoding"], self.headers["Content-Length"]
            self.headers["Content-Length"] = str(len(body))
            self.rfile = _DecodedBody(body, self.rfile)
        return True

    monkeypatch.setattr(WSGIRequestHandler, "parse_request", parse_chunked)


def _token(base_url: str, username: str) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def seeded(transactional_db, live_server, quiet_request_log, no_nagle, chunked_request_bodies) -> str:
    """The demo course on a live server, with a finished grade export and a project team."""
    call_command("seed_demo", "--relative", verbosity=0)
    course = Course.objects.get(code="CS 4644 / CS 7643-A")
    response = requests.post(
        f"{live_server.url}/api/v1/courses/{course.id}/grade-exports/",
        json={"format": "breakdown"},
        headers={"Authorization": f"Token {_token(live_server.url, 'instructor')}"},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    team_create(acting_user=User.objects.get(username="ug2"), course_id=course.id, name="Backprop")
    return live_server.url


def test_a_chunked_body_keeps_the_connection_in_step(transactional_db, live_server, chunked_request_bodies):
    """The FlakyFailure's cause, made deterministic: a chunked request, then another on the same connection."""
    connection = http.client.HTTPConnection(live_server.thread.host, live_server.thread.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/auth/token/",
            body=iter([]),  # an empty form, sent as the single chunk "0"
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            encode_chunked=True,
        )
        first = connection.getresponse()
        assert first.status == 400, first.read()
        assert json.loads(first.read())["fields"].keys() >= {"username", "password"}
        connection.request("GET", "/api/v1/me/")
        second = connection.getresponse()  # without the fixture: BadStatusLine('<!DOCTYPE HTML>')
        assert second.status in (401, 403)
        assert json.loads(second.read())["code"] == "not_authenticated"
    finally:
        connection.close()


def _existing_ids() -> dict[str, list[int]]:
    """Ids of seeded objects, by the path parameter that names them."""

    def ids(queryset, limit: int = 60) -> list[int]:
        return sorted(queryset.values_list("id", flat=True))[:limit]

    return {
        "course_id": ids(Course.objects.all()),
        "section_id": ids(Section.objects.all()),
        "assignment_id": ids(Course.objects.get(code="CS 4644 / CS 7643-A").assignments.all()),
        "grade_id": ids(Grade.objects.all()),
        "request_id": ids(RegradeRequest.objects.all()),
        "export_id": ids(GradeExport.objects.all()),
        "enrolment_id": ids(Enrolment.objects.all()),
        "team_id": ids(Team.objects.all()),
        "submission_id": ids(Submission.objects.all()),
    }


def _fuzz(base_url: str, username: str, max_examples: int) -> Run:
    headers = {"Authorization": f"Token {_token(base_url, username)}"}
    existing = _existing_ids()
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/", timeout=60)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: st.one_of(st.sampled_from(existing[name]), st.just(value))
                if existing.get(name)
                else st.just(value)
                for name, value in path_parameters.items()
            }
        )

    run = Run()
    with requests.Session() as session:  # closed at the end, so the server thread lets go of its database
        _run_operations(schema, session, headers, max_examples, run)
    return run


def _run_operations(schema, session, headers: dict, max_examples: int, run: Run) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in EXCLUDED:
            continue
        count = 0

        @settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            report_multiple_bugs=False,
        )
        @given(case=operation.as_strategy(headers=headers))
        def check(case):
            nonlocal count
            count += 1
            case.call_and_validate(session=session, headers=headers, checks=CHECKS)

        started = time.monotonic()
        try:
            check()
        except (Exception, FailureGroup) as exc:  # one operation's failure must not hide the others'
            run.failures[operation.label] = _describe(exc)
        run.seconds[operation.label] = time.monotonic() - started
        run.cases[operation.label] = count


def _describe(exc: BaseException) -> str:
    """The failure and what it groups: a FlakyFailure says only that the first call failed; the
    sub-exceptions say how (status, body, the check that failed)."""
    text = f"{type(exc).__name__}: {exc}"
    for sub in getattr(exc, "exceptions", ()):
        text += "\n  " + _describe(sub).replace("\n", "\n  ")
    return text


@pytest.mark.parametrize("username", list(ROLES))
def test_the_api_keeps_its_schema(seeded, username):
    started = time.monotonic()
    run = _fuzz(seeded, username, ROLES[username])
    elapsed = time.monotonic() - started
    counts = list(run.cases.values())
    slowest = sorted(run.seconds.items(), key=lambda kv: -kv[1])[:3]
    print(
        f"\n{username}: {len(counts)} operations, {sum(counts)} cases in {elapsed:.0f} s; cases per operation "
        f"min {min(counts)}, median {statistics.median(counts):.0f}, max {max(counts)}; "
        f"slowest {[(label, round(seconds, 1)) for label, seconds in slowest]}"
    )
    assert len(run.cases) >= 50, "the schema lost operations"
    assert not run.failures, "\n\n".join(f"{label}\n{text}" for label, text in run.failures.items())
    short = {label: n for label, n in run.cases.items() if n < ROLES[username]}
    assert not short, f"operations that ran fewer than {ROLES[username]} examples: {short}"
