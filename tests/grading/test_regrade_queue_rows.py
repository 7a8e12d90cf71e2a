"""The queue reads each request's own course and assignment (copied from its grade when it is made, and
backfilled by migration grading 0004), keeps a section TA to their sections, and serves its lines from the
row cache (portal.fragments) without ever showing a stale line."""

import importlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from courses.models import StaffRole
from grading.models import RegradeRequest
from grading.services.grades import grade_enter
from grading.services.regrades import (
    regrade_request_appeal,
    regrade_request_claim,
    regrade_request_create,
    regrade_request_resolve,
)
from portal.fragments import CSRF_PLACEHOLDER
from tests.factories import AssignmentFactory, CourseFactory, StaffRoleFactory, UserFactory
from tests.grading.conftest import RELEASED_AT, at
from tests.grading.test_regrade_queue import PAGE_QUERIES, ids_on_page, item_of, summary_of

pytestmark = pytest.mark.django_db

SOON = RELEASED_AT + timedelta(days=1)
LATER = RELEASED_AT + timedelta(days=2)


def ask(graded, username, question, now=SOON):
    grade = graded.grade(username)
    return regrade_request_create(
        acting_user=grade.student,
        grade_id=grade.id,
        question_id=question.id,
        justification="Look again",
        now=now,
    )


@pytest.fixture
def requests_(graded):
    """Open requests of ug1 (section CS 4644) and gr1 (section CS 7643-A) on PS0."""
    return {"ug1": ask(graded, "ug1", graded.q2), "gr1": ask(graded, "gr1", graded.q1)}


@pytest.fixture
def section_ta(world):
    user = UserFactory(username="ta_ug")
    StaffRoleFactory(user=user, course=world.course, role=StaffRole.Role.TA, section=world.ug_section)
    return user


@pytest.fixture
def ta2(world):
    """A second TA of the whole course."""
    user = UserFactory(username="ta2")
    StaffRoleFactory(user=user, course=world.course)
    return user


def queue_page(client, user, **params) -> str:
    client.force_login(user)
    with at(LATER):
        response = client.get("/regrades/", params)
    assert response.status_code == 200
    return response.content.decode()


# ---- the request's own course and assignment ---------------------------------------------------------


def test_a_request_and_its_appeal_carry_the_grades_assignment_and_course(graded, world):
    request = ask(graded, "ug1", graded.q2)
    assert (request.assignment_id, request.course_id) == (graded.ps0.id, world.course.id)
    regrade_request_resolve(
        acting_user=world.ta,
        request_id=request.id,
        decision="rejected",
        response="Right as marked.",
        now=SOON,
    )
    appeal = regrade_request_appeal(
        acting_user=world.ug1, request_id=request.id, justification="Page 2, please.", now=SOON
    )
    appeal.refresh_from_db()
    assert (appeal.appeal_of_id, appeal.assignment_id, appeal.course_id) == (
        request.id,
        graded.ps0.id,
        world.course.id,
    )


def test_the_migration_backfills_each_request_from_its_grade(graded, world, requests_):
    """The data step of grading 0004 gives every request its grade's assignment and course (here: after
    pointing them elsewhere, since the columns are required)."""
    elsewhere = AssignmentFactory(course=CourseFactory(code="ELSEWHERE"))
    RegradeRequest.objects.update(assignment=elsewhere, course=elsewhere.course)
    migration = importlib.import_module("grading.migrations.0004_regrade_course_assignment")
    with connection.schema_editor() as schema_editor:
        migration.backfill(apps, schema_editor)
    assert set(RegradeRequest.objects.values_list("assignment_id", "course_id")) == {
        (graded.ps0.id, world.course.id)
    }


# ---- a TA of one section -----------------------------------------------------------------------------


def test_a_section_ta_sees_only_their_sections_requests_in_the_api_and_the_page(
    graded, api, client, world, requests_, section_ta
):
    with at(LATER):
        listed = api.as_user(section_ta).get("/api/v1/regrade-requests/").json()
    assert (listed["count"], [r["id"] for r in listed["results"]]) == (1, [requests_["ug1"].id])

    html = queue_page(client, section_ta)
    assert ids_on_page(html) == [requests_["ug1"].id]
    assert "1 request, oldest first." in html
    assert "<strong>PS0</strong></a> 1 open" in html
    # The whole-course TA, viewing the same queue (and filling the row cache), sees both; the section TA
    # still sees only theirs.
    assert sorted(ids_on_page(queue_page(client, world.ta))) == sorted(r.id for r in requests_.values())
    assert ids_on_page(queue_page(client, section_ta)) == [requests_["ug1"].id]
    # The course and assignment filters read the request's own course and assignment.
    for narrowed in ({"course": world.course.id}, {"assignment": graded.ps0.id}):
        assert ids_on_page(queue_page(client, section_ta, **narrowed)) == [requests_["ug1"].id]
    hw1 = world.course.assignments.get(code="HW1")
    assert ids_on_page(queue_page(client, world.ta, assignment=hw1.id)) == []


def test_the_queue_page_runs_the_same_queries_with_a_cold_and_a_warm_row_cache(
    graded, client, world, requests_, section_ta, django_assert_num_queries
):
    for user in (world.ta, section_ta):
        client.force_login(user)
        with at(LATER):
            client.get("/regrades/", {"state": "open"})  # the session and content types, first
            for _ in range(2):  # rendered, then from the cache
                with django_assert_num_queries(PAGE_QUERIES):
                    assert client.get("/regrades/").status_code == 200


# ---- no stale line -----------------------------------------------------------------------------------


def line_of(html: str, request_id: int) -> str:
    """The request's line, its spacing evened out and the (masked, per response) CSRF token left out."""
    line = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", item_of(html, request_id))
    return re.sub(r"\s+", " ", line)


def test_a_cached_line_changes_when_the_request_is_claimed_resolved_or_rescored(
    graded, client, world, requests_, ta2
):
    rid = requests_["ug1"].id
    first = line_of(queue_page(client, world.ta), rid)
    assert "Score now 5.00 / 10.00" in first and "data-claim" in first
    assert line_of(queue_page(client, world.ta), rid) == first  # viewed again: the same line

    # Another score entered for the question: the line shows it.
    grade_enter(
        acting_user=world.instructor,
        assignment_id=graded.ps0.id,
        student_username="ug1",
        scores={graded.q2.id: Decimal("6")},
        reason="Recounted",
        now=SOON,
    )
    rescored = line_of(queue_page(client, world.ta), rid)
    assert "Score now 6.00 / 10.00 (was 5.00 when asked)" in rescored

    # Claimed: "Claimed by ta1", opened for the claimer, closed for another TA, no Claim button.
    regrade_request_claim(acting_user=world.ta, request_id=rid, now=SOON)
    mine = item_of(queue_page(client, world.ta), rid)
    assert "Claimed by ta1" in summary_of(mine)
    assert "<details open>" in mine and "data-claim" not in mine and "data-resolve" in mine
    theirs = item_of(queue_page(client, ta2), rid)
    assert "Claimed by ta1" in summary_of(theirs) and "<details open>" not in theirs

    # Resolved: the state, the response and no form.
    regrade_request_resolve(
        acting_user=world.ta,
        request_id=rid,
        decision="accepted",
        new_score=Decimal("8"),
        response="Fixed.",
        now=SOON,
    )
    resolved = item_of(queue_page(client, world.ta, state="accepted"), rid)
    assert "Accepted by ta1" in summary_of(resolved)
    assert "Score now 8.00 / 10.00 (was 5.00 when asked)" in resolved
    assert "Fixed." in resolved and "data-resolve" not in resolved


def test_cached_lines_carry_the_viewers_own_csrf_token(graded, world, requests_, ta2):
    """Two TAs see the same lines (the second from the cache); each line's forms post with the viewer's
    own token."""
    for user, username in ((world.ta, "gr1"), (ta2, "ug1")):
        browser = Client(enforce_csrf_checks=True)
        html = queue_page(browser, user)
        assert CSRF_PLACEHOLDER not in html
        line = item_of(html, requests_[username].id)
        url, token = re.search(
            r'data-api="([^"]+)" data-claim.*?name="csrfmiddlewaretoken" value="([^"]+)"', line, re.S
        ).groups()
        with at(LATER):
            assert browser.post(url).status_code == 403  # without the token
            assert browser.post(url, HTTP_X_CSRFTOKEN=token).status_code == 200
