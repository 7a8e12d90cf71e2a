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
# The user's staff roles (read as the navigation reads them: the scope as values, courses.access.StaffReach),
# the count with the page's ids (one query), the page's rows (portal.paging).
API_LIST_QUERIES = 3
# session, user, the user's roles (the navigation's query: the course filter's choices and the scope), filter
# choices (assignments with their questions, sections), the count with the page's ids, the page's rows, open
# counts per assignment.
PAGE_QUERIES = 8


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


def test_a_section_ta_lists_only_their_sections_requests_on_the_api(
    api, world, queue, django_assert_num_queries
):
    """The API's scope is the page's: a TA of one section sees the requests of its active students only."""
    from courses.models import StaffRole
    from tests.factories import StaffRoleFactory

    ta_gr = UserFactory(username="ta_gr")
    StaffRoleFactory(user=ta_gr, course=world.course, role=StaffRole.Role.TA, section=world.gr_section)
    client = api.as_user(ta_gr)
    with django_assert_num_queries(API_LIST_QUERIES):
        body = client.get("/api/v1/regrade-requests/").json()
    expected = list(
        RegradeRequest.objects.filter(student__enrolments__section=world.gr_section)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    assert expected and [r["id"] for r in body["results"]] == expected and body["count"] == len(expected)
    assert {r["section"] for r in body["results"]} == {world.gr_section.code}
    Enrolment.objects.filter(user=world.gr1).update(status=Enrolment.Status.DROPPED)
    assert client.get("/api/v1/regrade-requests/").json()["count"] == 0


def test_the_scope_from_the_roles_is_the_scope_the_database_works_out(rf, world, queue):
    """courses.access.StaffReach (the staff rule worked out from the roles the navigation reads) lists the
    same requests as the rule's subqueries, for every kind of role and for a student."""
    from courses.access import staff_reach
    from courses.models import StaffRole
    from grading.access import requests_visible_to
    from tests.factories import StaffRoleFactory

    Role = StaffRole.Role
    ta_gr = UserFactory(username="ta_gr")
    StaffRoleFactory(user=ta_gr, course=world.course, role=Role.TA, section=world.gr_section)
    mixed = UserFactory(username="mixed")  # a section TA here, whole-course TA of the other course
    StaffRoleFactory(user=mixed, course=world.course, role=Role.TA, section=world.ug_section)
    StaffRoleFactory(user=mixed, course=world.other_course, role=Role.TA)
    both = UserFactory(username="both")  # a section role in a course they also staff as a whole
    StaffRoleFactory(user=both, course=world.course, role=Role.TA, section=world.gr_section)
    StaffRoleFactory(user=both, course=world.course, role=Role.INSTRUCTOR)
    seen = {}
    for user in (world.instructor, world.ta, world.other_ta, ta_gr, mixed, both, world.gr1, world.ug1):
        request = rf.get("/")
        request.user = user
        by_roles = set(requests_visible_to(user, reach=staff_reach(request)).values_list("id", flat=True))
        assert by_roles == set(requests_visible_to(user).values_list("id", flat=True)), user.username
        seen[user.username] = by_roles
    assert seen["ta_gr"] and seen["mixed"] and seen["ta_gr"] | seen["mixed"] == seen[world.ta.username]
    assert not seen["ta_gr"] & seen["mixed"] and seen["both"] == seen[world.ta.username]
    assert seen["other_ta"] == set()


def test_the_open_work_counts_only_the_queue_not_the_tas_own_requests_as_a_student(client, world, queue):
    """A TA who takes another course as a student has their own request there: it is not work of their
    queue, so the counts above the queue (whose links filter the queue) leave it out."""
    from tests.factories import AssignmentFactory
    from tests.grading.factories import GradeFactory

    EnrolmentFactory(user=world.ta, section=world.other_course.sections.get())
    other = AssignmentFactory(course=world.other_course, code="OTHER1")
    RegradeRequestFactory(grade=GradeFactory(student=world.ta, assignment=other, released_at=NOW - 9 * HOUR))
    html = page(client, world.ta)
    assert "OTHER1" not in html
    assert len(ids_on_page(html)) == 5 and "5 requests, oldest first." in html
    assert re.search(r"<strong>PS0</strong></a> 2 open", html)
    assert re.search(r"<strong>HW1</strong></a> 2 open, 1 claimed", html)


def test_the_section_filter_is_the_sections_students_now_in_its_own_course(client, api, world, queue):
    """A section's requests are its course's, by the students in it now: gr1 also takes CS 9999, and ug1
    moved from CS 4644 to CS 7643-A. Filtering by CS 9999-A lists none of gr1's requests here (and tells a
    TA who does not staff CS 9999 nothing about who takes it); CS 4644 no longer lists ug1's."""
    from courses.models import StaffRole
    from tests.factories import StaffRoleFactory

    other_section = world.other_course.sections.get()
    EnrolmentFactory(user=world.gr1, section=other_section)
    with at(NOW):
        body = api.as_user(world.ta).get("/api/v1/regrade-requests/", {"section": other_section.id}).json()
    assert (body["count"], body["results"]) == (0, [])
    StaffRoleFactory(user=world.ta, course=world.other_course, role=StaffRole.Role.TA)
    assert ids_on_page(page(client, world.ta, section=other_section.id)) == []

    Enrolment.objects.filter(user=world.ug1, section=world.ug_section).update(status=Enrolment.Status.DROPPED)
    EnrolmentFactory(user=world.ug1, section=world.gr_section)
    assert ids_on_page(page(client, world.ta, section=world.ug_section.id)) == ids(queue, "ug2_hw1")
    assert ids_on_page(page(client, world.ta, section=world.gr_section.id)) == ids(
        queue, "gr1_ps0_q1", "ug1_ps0_q2", "ug1_hw1_claimed", "gr1_hw1_recent"
    )


def test_a_former_student_made_ta_does_not_get_their_own_requests_as_work(client, api, world, queue):
    """gr1 drops CS 7643-A with two requests open and becomes a TA of CS 4644: the queue and its counts
    are CS 4644's requests, not gr1's own (which they could not claim); they still see their own requests
    in the API's list, as any student does."""
    from courses.models import StaffRole
    from courses.services.staff import staff_add

    Enrolment.objects.filter(user=world.gr1).update(status=Enrolment.Status.DROPPED)
    staff_add(
        acting_user=world.instructor,
        course_id=world.course.id,
        username="gr1",
        role=StaffRole.Role.TA,
        section_ids=[world.ug_section.id],
    )
    html = page(client, world.gr1)
    assert ids_on_page(html) == ids(queue, "ug1_ps0_q2", "ug2_hw1", "ug1_hw1_claimed")
    assert re.search(r"<strong>PS0</strong></a> 1 open", html)
    assert re.search(r"<strong>HW1</strong></a> 1 open, 1 claimed", html)
    with at(NOW):
        mine = api.as_user(world.gr1).get("/api/v1/regrade-requests/").json()
    assert set(ids(queue, "gr1_ps0_q1", "gr1_hw1_recent")) <= {r["id"] for r in mine["results"]}


@pytest.mark.parametrize(
    "params", [{"state": "bogus"}, {"older_than_hours": "-3"}, {"course": "0"}, {"section": "x"}]
)
def test_the_api_refuses_a_bad_filter_value(api, world, queue, params):
    response = api.as_user(world.ta).get("/api/v1/regrade-requests/", params)
    assert response.status_code == 400, response.json()
    assert set(response.json()["fields"]) == set(params)


def test_the_api_lists_the_same_without_filters_and_with_empty_ones(api, world, queue):
    client = api.as_user(world.ta)
    bare = client.get("/api/v1/regrade-requests/", {"page_size": 3}).json()
    empty = client.get("/api/v1/regrade-requests/", {"page_size": 3, "state": "", "course": ""}).json()
    assert bare["count"] == RegradeRequest.objects.filter(course=world.course).count() > 3
    assert {k: v for k, v in bare.items() if k not in ("next",)} == {
        k: v for k, v in empty.items() if k not in ("next",)
    }


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
            assignment=hw1,
            course=world.course,
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


# ---- the compact queue: one line per request, opened in place ----------------------------------------


def item_of(html: str, request_id: int) -> str:
    match = re.search(rf'<article data-request="{request_id}".*?</article>', html, re.S)
    assert match, f"request {request_id} is not on the page"
    return match.group(0)


def summary_of(item: str) -> str:
    match = re.search(r"<summary[^>]*>(.*?)</summary>", item, re.S)
    assert match, "each request is one line (a <summary>) that opens in place"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_each_request_is_one_line_that_opens_in_place(client, world, queue):
    html = page(client, world.ta)
    line = summary_of(item_of(html, queue["ug2_hw1"].id))
    # Student, assignment and question, status and age on the line itself.
    assert "HW1 Q1" in line
    assert "ug2" in line and "CS 4644" in line
    assert "Open" in line
    assert "asked 10 hours ago" in line  # "asked" for screen readers; the column head says it on screen
    # Opened: the justification, the question's score and points, and the actions.
    item = item_of(html, queue["ug2_hw1"].id)
    assert "Please look at this again." in item
    assert "Claim</button>" in item
    assert 'value="accepted"' in item and 'value="rejected"' in item
    assert 'max="30.00"' in item


def test_a_claimed_request_names_who_claimed_it_once(client, world, queue):
    html = page(client, world.ta)
    line = summary_of(item_of(html, queue["ug1_hw1_claimed"].id))
    assert "Claimed by ta1" in line
    assert "Claimed by a TA" not in html
    assert "Claim</button>" not in item_of(html, queue["ug1_hw1_claimed"].id)
    # The one claimed by the reader is the one they work on: it is open.
    assert re.search(r"<details[^>]*\sopen", item_of(html, queue["ug1_hw1_claimed"].id))
    assert not re.search(r"<details[^>]*\sopen", item_of(html, queue["ug2_hw1"].id))


def test_an_accepted_request_shows_the_new_score_not_the_old_one(client, world, graded):
    from grading.services.regrades import regrade_request_create, regrade_request_resolve

    request = regrade_request_create(
        acting_user=world.ug1,
        grade_id=graded.grades["ug1"].id,
        question_id=graded.q2.id,
        justification="Part (b) is right.",
        now=NOW - 30 * HOUR,
    )
    assert request.old_score == Decimal(5)
    regrade_request_resolve(
        acting_user=world.ta,
        request_id=request.id,
        decision="accepted",
        new_score=Decimal(8),
        response="Restored part (b).",
        now=NOW - 2 * HOUR,
    )
    item = item_of(page(client, world.ta, state="accepted"), request.id)
    assert "Accepted by ta1" in summary_of(item)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))
    assert "Score now 8.00 / 10.00 (was 5.00 when asked)" in text
    assert "Current score: 5.00" not in text
    assert "Restored part (b)." in text


def test_the_score_shown_is_the_questions_score_now(client, world, graded):
    """A score changed after the request was made (by another route) is what the TA sees."""
    from grading.services.grades import grade_enter
    from grading.services.regrades import regrade_request_create

    request = regrade_request_create(
        acting_user=world.ug1,
        grade_id=graded.grades["ug1"].id,
        question_id=graded.q2.id,
        justification="Part (b) is right.",
        now=NOW - 30 * HOUR,
    )
    grade_enter(
        acting_user=world.instructor,
        assignment_id=graded.ps0.id,
        student_username="ug1",
        scores={graded.q2.id: Decimal(6)},
        reason="Rubric fix for everyone",
        now=NOW - 20 * HOUR,
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item_of(page(client, world.ta), request.id)))
    assert "Score now 6.00 / 10.00 (was 5.00 when asked)" in text


def test_the_filters_are_folded_and_name_every_choice(client, world, queue):
    html = page(client, world.ta)
    assert "---------" not in html
    form = re.search(r'<form method="get".*?</form>', html, re.S).group(0)
    # Folded into a "Filter" disclosure, so that on a phone the first request is on the first screen.
    assert re.search(r"<details[^>]*class=\"filters\"[^>]*>\s*<summary[^>]*>Filter", html)
    assert '<option value="active" selected>Open or claimed</option>' in form
    assert '<option value="">Any state</option>' in form
    # The folded filters say what the queue is filtered by.
    assert re.search(r"<summary[^>]*>Filter\b.*?Open or claimed.*?</summary>", html, re.S)
    narrowed = page(client, world.ta, section=world.gr_section.id, older_than_hours="24")
    summary = re.search(r'<details[^>]*class="filters".*?<summary[^>]*>(.*?)</summary>', narrowed, re.S)
    assert "CS 7643-A" in summary.group(1) and "older than 24 hours" in summary.group(1)


def test_the_filters_open_when_they_need_correcting(client, world, queue):
    html = page(client, world.ta, older_than_hours="-3")
    assert re.search(r"<details[^>]*class=\"filters\"[^>]*\sopen", html)


def test_the_keyboard_shortcuts_are_listed_on_the_page(client, world, queue):
    html = page(client, world.ta)
    help_box = re.search(r"<details[^>]*data-shortcuts.*?</details>", html, re.S)
    assert help_box, "a visible 'Keyboard shortcuts' help"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", help_box.group(0)))
    assert "Keyboard shortcuts" in text
    for key, what in (("j", "next"), ("k", "previous"), ("c", "Claim"), ("a", "Accept"), ("r", "Reject")):
        assert re.search(rf"\b{key}\b.*{what}", text, re.I), key
    assert "data-queue" in html  # the script's hook
