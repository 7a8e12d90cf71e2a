"""The TA regrade queue (/regrades/) and its API twin: oldest first, filters, counts of open work, and a
fixed number of SQL queries however long the queue is."""

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Enrolment, User
from grading.models import Grade, Question, RegradeRequest
from tests.factories import EnrolmentFactory, UserFactory
from tests.grading.conftest import NY, at
from tests.grading.factories import QuestionFactory, RegradeRequestFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2023, 2, 10, 12, 0, tzinfo=NY)
HOUR = timedelta(hours=1)
State = RegradeRequest.State

# Measured with 10 and with 300 (page) / 5,000 (API) open requests; the same on SQLite and PostgreSQL.
API_LIST_QUERIES = 2  # count + one page of requests (with section codes as a subquery)
# session, user, "is staff?", filter choices (assignments, questions, sections), count, one page of
# requests, open counts per assignment, navigation roles (2).
PAGE_QUERIES = 11


@pytest.fixture
def queue(world, graded):
    """Requests of different ages, assignments, sections and states (created relative to NOW)."""
    hw1 = world.course.assignments.get(code="HW1")
    hw_q1 = QuestionFactory(assignment=hw1, label="Q1", points=Decimal(30))
    hw_grades = {
        u.username: Grade.objects.create(student=u, assignment=hw1, released_at=NOW - 72 * HOUR)
        for u in (world.ug1, world.ug2, world.gr1)
    }
    ps0 = graded.grades

    def req(grade, question, hours, state=State.OPEN, **extra):
        return RegradeRequestFactory(
            grade=grade, question=question, created_at=NOW - hours * HOUR, state=state, **extra
        )

    made = {
        "gr1_ps0_q1": req(ps0["gr1"], graded.q1, 50),
        "ug1_ps0_q2": req(ps0["ug1"], graded.q2, 30),
        "ug2_hw1": req(hw_grades["ug2"], hw_q1, 10),
        "ug1_hw1_claimed": req(
            hw_grades["ug1"], hw_q1, 5, State.CLAIMED, claimed_by=world.ta, claimed_at=NOW - 4 * HOUR
        ),
        "ug2_ps0_q1_rejected": req(
            ps0["ug2"],
            graded.q1,
            40,
            State.REJECTED,
            resolved_by=world.ta,
            resolved_at=NOW - 20 * HOUR,
            response="Marked right.",
        ),
        "gr1_hw1_recent": req(hw_grades["gr1"], hw_q1, 1),
    }
    made["hw1"], made["hw_q1"] = hw1, hw_q1
    return made


def ids_on_page(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article data-request="(\d+)"', html)]


def page(client, user, **params):
    client.force_login(user)
    with at(NOW):
        response = client.get("/regrades/", params)
    assert response.status_code == 200
    return response.content.decode()


def api_ids(api, user, **params):
    with at(NOW):
        response = api.as_user(user).get("/api/v1/regrade-requests/", params)
    assert response.status_code == 200, response.json()
    return [r["id"] for r in response.json()["results"]]


def ids(queue, *names):
    return [queue[n].id for n in names]


def test_the_queue_lists_open_work_oldest_first(client, world, queue):
    html = page(client, world.ta)
    assert ids_on_page(html) == ids(
        queue, "gr1_ps0_q1", "ug1_ps0_q2", "ug2_hw1", "ug1_hw1_claimed", "gr1_hw1_recent"
    )
    assert "5 requests, oldest first." in html
    # The open work per assignment.
    assert re.search(r"<strong>PS0</strong></a> 2 open", html)
    assert re.search(r"<strong>HW1</strong></a> 2 open, 1 claimed", html)
    # Each entry names the student and their section.
    assert "(gr1, CS 7643-A)" in html
    assert "(ug1, CS 4644)" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "open"}, ["gr1_ps0_q1", "ug1_ps0_q2", "ug2_hw1", "gr1_hw1_recent"]),
        ({"state": "claimed"}, ["ug1_hw1_claimed"]),
        ({"state": "rejected"}, ["ug2_ps0_q1_rejected"]),
        (
            {"state": ""},
            [
                "gr1_ps0_q1",
                "ug2_ps0_q1_rejected",
                "ug1_ps0_q2",
                "ug2_hw1",
                "ug1_hw1_claimed",
                "gr1_hw1_recent",
            ],
        ),
        ({"assignment": "HW1"}, ["ug2_hw1", "ug1_hw1_claimed", "gr1_hw1_recent"]),
        ({"assignment": "PS0", "state": "open"}, ["gr1_ps0_q1", "ug1_ps0_q2"]),
        ({"question": "PS0.q2"}, ["ug1_ps0_q2"]),
        ({"section": "gr"}, ["gr1_ps0_q1", "gr1_hw1_recent"]),
        ({"section": "ug"}, ["ug1_ps0_q2", "ug2_hw1", "ug1_hw1_claimed"]),
        ({"older_than_hours": "24"}, ["gr1_ps0_q1", "ug1_ps0_q2"]),
        ({"older_than_hours": "5"}, ["gr1_ps0_q1", "ug1_ps0_q2", "ug2_hw1", "ug1_hw1_claimed"]),
        ({"older_than_hours": "24", "section": "ug"}, ["ug1_ps0_q2"]),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_queue_filters_on_the_page_and_in_the_api(client, api, world, graded, queue, params, expected):
    resolved = {}
    for key, value in params.items():
        if key == "assignment":
            value = graded.ps0.id if value == "PS0" else queue["hw1"].id
        elif key == "question":
            value = graded.q2.id
        elif key == "section":
            value = world.gr_section.id if value == "gr" else world.ug_section.id
        resolved[key] = value
    want = ids(queue, *expected)
    assert ids_on_page(page(client, world.ta, **resolved)) == want
    api_params = {"state": "active", **resolved} if "state" not in resolved else resolved
    assert api_ids(api, world.ta, **api_params) == want


def test_the_api_list_without_filters_is_everything_visible_oldest_first(api, world, queue):
    assert api_ids(api, world.ta) == ids(
        queue,
        "gr1_ps0_q1",
        "ug2_ps0_q1_rejected",
        "ug1_ps0_q2",
        "ug2_hw1",
        "ug1_hw1_claimed",
        "gr1_hw1_recent",
    )


def test_a_bad_filter_is_explained_not_a_crash(client, world, queue):
    html = page(client, world.ta, older_than_hours="-3")
    assert "Check the filters" in html


def test_students_get_404_on_the_queue(client, world, queue):
    for user in (world.ug1, world.other_student):
        client.force_login(user)
        assert client.get("/regrades/").status_code == 404


def test_the_queue_shows_only_the_courses_and_sections_one_staffs(client, world, queue):
    assert ids_on_page(page(client, world.other_ta)) == []
    from courses.models import StaffRole
    from tests.factories import StaffRoleFactory

    ta_gr = UserFactory(username="ta_gr")
    StaffRoleFactory(user=ta_gr, course=world.course, role=StaffRole.Role.TA, section=world.gr_section)
    html = page(client, ta_gr)
    assert ids_on_page(html) == ids(queue, "gr1_ps0_q1", "gr1_hw1_recent")
    assert "ug1" not in html and "ug2" not in html


# ---- a fixed number of queries -----------------------------------------------------------------------


def bulk_open_requests(world, n: int) -> None:
    """`n` open requests on HW1 from many students of both sections (bulk-created)."""
    hw1 = world.course.assignments.get(code="HW1")
    per_student = 50
    questions = Question.objects.bulk_create(
        [
            Question(assignment=hw1, label=f"B{n}.{i}", points=Decimal(5), position=100 + i)
            for i in range(per_student)
        ]
    )
    students_needed = -(-n // per_student)
    students = User.objects.bulk_create(
        [UserFactory.build(username=f"bulk{n}_{i}", password="x") for i in range(students_needed)]
    )
    sections = [world.ug_section, world.gr_section]
    Enrolment.objects.bulk_create(
        [EnrolmentFactory.build(user=s, section=sections[i % 2]) for i, s in enumerate(students)]
    )
    grades = Grade.objects.bulk_create(
        [Grade(student=s, assignment=hw1, released_at=NOW - 48 * HOUR) for s in students]
    )
    base = NOW - 100 * HOUR
    rows = [
        RegradeRequest(
            grade=g,
            question=q,
            student_id=g.student_id,
            justification="Please look again.",
            created_at=base + timedelta(seconds=i),
            old_score=Decimal(2),
        )
        for i, (g, q) in enumerate((g, q) for g in grades for q in questions)
    ][:n]
    RegradeRequest.objects.bulk_create(rows, batch_size=1000)
    assert RegradeRequest.objects.filter(state=State.OPEN).count() == n


def measure(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("n", [10, 5000])
def test_the_api_list_runs_a_fixed_number_of_queries(world, api, django_assert_num_queries, n):
    bulk_open_requests(world, n)
    client = api.as_user(world.ta)

    def fetch():
        with at(NOW):
            response = client.get("/api/v1/regrade-requests/", {"state": "open"})
        assert response.status_code == 200
        assert response.json()["count"] == n
        assert len(response.json()["results"]) == min(n, 100)
        return response

    with django_assert_num_queries(API_LIST_QUERIES):
        fetch()


@pytest.mark.parametrize("n", [10, 300])
def test_the_queue_page_runs_a_fixed_number_of_queries(world, client, django_assert_num_queries, n):
    bulk_open_requests(world, n)
    client.force_login(world.ta)
    with at(NOW):
        client.get("/regrades/")  # warm caches (content types, session) before counting
        with django_assert_num_queries(PAGE_QUERIES):
            response = client.get("/regrades/")
    assert response.status_code == 200
    html = response.content.decode()
    assert len(ids_on_page(html)) == min(n, 50)
    assert f"{n} requests, oldest first." in html
    assert f"<strong>HW1</strong></a> {n} open" in html


def test_query_counts_do_not_grow_with_the_queue(world, api, client):
    """The same measurement side by side: 10 vs 300 open requests, list endpoint and page."""
    counts = {}
    for n in (10, 300):
        RegradeRequest.objects.all().delete()
        bulk_open_requests(world, n)
        client.force_login(world.ta)
        with at(NOW):
            client.get("/regrades/")
            counts[n] = (
                measure(lambda: api.as_user(world.ta).get("/api/v1/regrade-requests/")),
                measure(lambda: client.get("/regrades/")),
            )
    assert counts[10] == counts[300] == (API_LIST_QUERIES, PAGE_QUERIES), counts
