"""Paging of the regrade queue and its API twin: the count and the page's rows come from two queries
(portal.paging), with Django's and DRF's answers for every page number."""

import pytest

from tests.grading.conftest import NY, at
from tests.grading.test_regrade_queue import NOW, bulk_open_requests, ids_on_page

pytestmark = pytest.mark.django_db


def api_ids(client, **params):
    with at(NOW):
        return client.get("/api/v1/regrade-requests/", {"state": "open", **params})


def test_api_pages_cover_the_list_once_in_order(world, api):
    bulk_open_requests(world, 7)
    client = api.as_user(world.ta)
    whole = api_ids(client).json()
    assert whole["count"] == 7
    seen = []
    for number in (1, 2, 3):
        body = api_ids(client, page_size=3, page=number).json()
        assert body["count"] == 7
        seen += [r["id"] for r in body["results"]]
    assert seen == [r["id"] for r in whole["results"]]
    last = api_ids(client, page_size=3, page="last").json()
    assert [r["id"] for r in last["results"]] == seen[6:]
    assert last["next"] is None


@pytest.mark.parametrize("number", ["4", "0", "x"])
def test_api_page_out_of_range_is_not_found(world, api, number):
    bulk_open_requests(world, 7)
    response = api_ids(api.as_user(world.ta), page_size=3, page=number)
    assert response.status_code == 404


def test_a_page_number_past_what_sql_can_skip_is_past_the_end(world, api, client):
    """A page number so large its offset overflows a bigint is past the end like any other: the API's 404,
    the page's last page (it was a database error, a 500)."""
    bulk_open_requests(world, 7)
    huge = "99999999999999999999999"
    assert api_ids(api.as_user(world.ta), page_size=3, page=huge).status_code == 404
    client.force_login(world.ta)
    ids, html = queue_ids(client, page=huge)
    assert len(ids) == 7 and "7 requests, oldest first." in html


def test_api_empty_list_has_one_empty_page(world, api):
    body = api_ids(api.as_user(world.ta)).json()
    assert (body["count"], body["results"]) == (0, [])


def queue_ids(client, **params):
    with at(NOW):
        html = client.get("/regrades/", params).content.decode()
    return ids_on_page(html), html


def test_queue_page_past_the_end_shows_the_last_page_and_a_non_number_the_first(world, client):
    bulk_open_requests(world, 120)
    client.force_login(world.ta)
    first, _ = queue_ids(client)
    third, html = queue_ids(client, page=3)
    assert len(first) == 50 and len(third) == 20
    assert "120 requests, oldest first." in html and "Page 3 of 3" in html
    assert queue_ids(client, page=99)[0] == third
    assert queue_ids(client, page=-1)[0] == third
    assert queue_ids(client, page="x")[0] == first


def test_claimed_and_resolved_requests_cost_no_extra_query(world, api, client):
    """Who claimed or resolved a request is read with the page's rows, not by one more query each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grading.models import RegradeRequest
    from tests.grading.test_regrade_queue import API_LIST_QUERIES, PAGE_QUERIES

    bulk_open_requests(world, 6)
    client.force_login(world.ta)
    first, second, third = RegradeRequest.objects.order_by("created_at", "id")[:3]
    RegradeRequest.objects.filter(pk=first.pk).update(state="claimed", claimed_by=world.ta, claimed_at=NOW)
    RegradeRequest.objects.filter(pk=second.pk).update(
        state="claimed", claimed_by=world.instructor, claimed_at=NOW
    )
    RegradeRequest.objects.filter(pk=third.pk).update(
        state="rejected", claimed_by=world.ta, resolved_by=world.ta, resolved_at=NOW, response="No."
    )
    with at(NOW):
        client.get("/regrades/", {"state": ""})  # warm caches
        with CaptureQueriesContext(connection) as page_queries:
            html = client.get("/regrades/", {"state": ""}).content.decode()
        with CaptureQueriesContext(connection) as api_queries:
            body = api.as_user(world.ta).get("/api/v1/regrade-requests/").json()
    assert len(page_queries.captured_queries) == PAGE_QUERIES
    assert len(api_queries.captured_queries) == API_LIST_QUERIES
    assert f"Claimed by {world.ta.username}" in html and f"Claimed by {world.instructor.username}" in html
    assert f"Rejected by {world.ta.username}" in html
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[first.pk]["claimed_by"] == world.ta.username
    assert by_id[second.pk]["claimed_by"] == world.instructor.username
    assert (by_id[third.pk]["resolved_by"], by_id[third.pk]["state"]) == (world.ta.username, "rejected")


def test_the_filter_offers_the_staffed_courses_assignments_and_questions_in_order(world, client):
    """Assignments by due time (one without questions too), questions by assignment, position and label;
    nothing of a course the TA does not staff."""
    import re
    from datetime import datetime
    from decimal import Decimal

    from tests.factories import AssignmentFactory
    from tests.grading.factories import QuestionFactory

    ps0 = world.course.assignments.get(code="PS0")
    hw1 = world.course.assignments.get(code="HW1")
    hw2 = AssignmentFactory(course=world.course, code="HW2", due_at=datetime(2023, 3, 1, 5, tzinfo=NY))
    AssignmentFactory(course=world.other_course, code="XX9")
    for assignment, label, position in [(hw1, "Q2", 2), (hw1, "Q1", 1), (ps0, "B", 1), (ps0, "A", 1)]:
        QuestionFactory(assignment=assignment, label=label, position=position, points=Decimal(5))
    client.force_login(world.ta)
    with at(NOW):
        html = client.get("/regrades/").content.decode()

    def options(name):
        select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
        return re.findall(r'<option value="[^"]*"[^>]*>([^<]*)</option>', select)

    assert options("assignment") == ["All assignments", "PS0", "HW1", "HW2"]
    assert hw2.questions.count() == 0
    assert options("question") == ["All questions", "PS0 A", "PS0 B", "HW1 Q1", "HW1 Q2"]


def test_rows_read_by_their_keys_are_the_querysets_rows(world):
    """portal.paging.RowsByKeys compiles a rows query once per number of keys: every page of that size,
    in any order of keys, reads what the queryset narrowed to the keys reads (claimed, resolved and
    scored rows too)."""
    from grading import selectors
    from grading.models import RegradeRequest
    from portal.paging import RowsByKeys

    bulk_open_requests(world, 9)
    ids = list(RegradeRequest.objects.order_by("created_at", "id").values_list("id", flat=True))
    RegradeRequest.objects.filter(pk=ids[0]).update(state="claimed", claimed_by=world.ta, claimed_at=NOW)
    RegradeRequest.objects.filter(pk=ids[4]).update(
        state="rejected", claimed_by=world.ta, resolved_by=world.ta, resolved_at=NOW, response="No."
    )
    for queryset in (
        selectors.regrade_rows(RegradeRequest.objects.all()),
        selectors._queue_rows().queryset,
    ):
        rows = RowsByKeys(queryset)
        for keys in (ids[:4], ids[4:8], ids[8:], ids[3::-1], ids[2:6], ids):
            assert rows(keys) == list(queryset.filter(pk__in=keys)), keys


def test_rows_by_keys_on_postgresql_compile_once_for_any_number_of_keys(world):
    """On PostgreSQL the keys go as one array parameter (`= ANY(%s)`): one compiled statement serves a
    page of 1 key and of 100 (psycopg parses anew, every time, a statement of more than 50 parameters),
    and the rows still come in the queryset's order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grading import selectors
    from grading.models import RegradeRequest
    from portal.paging import RowsByKeys

    if connection.vendor != "postgresql":
        pytest.skip("the array parameter is PostgreSQL's")
    bulk_open_requests(world, 100)
    queryset = selectors.regrade_rows(RegradeRequest.objects.all())
    ids = list(queryset.values_list("id", flat=True))
    assert len(ids) == 100
    rows = RowsByKeys(queryset)
    with CaptureQueriesContext(connection) as queries:
        for keys in (ids[:1], ids[::-1], ids[10:61]):
            assert rows(keys) == list(queryset.filter(pk__in=keys))
    assert len(rows._compiled) == 1
    ours = [q["sql"] for q in queries.captured_queries if "ANY(" in q["sql"]]
    assert len(ours) == 3 and len({s.split("ANY(")[0] for s in ours}) == 1
