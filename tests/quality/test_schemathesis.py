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

from courses.models import Course, Enrolment, Section, Team, User
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
ROLES = {"ug1": 100, "ta1": 20, "instructor": 100}  # examples per operation
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


def _token(base_url: str, username: str) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def seeded(transactional_db, live_server, quiet_request_log, no_nagle) -> str:
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
            run.failures[operation.label] = f"{type(exc).__name__}: {exc}"
        run.seconds[operation.label] = time.monotonic() - started
        run.cases[operation.label] = count


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
