"""The API's JSON renderer (portal.renderers) writes the bytes DRF's own JSONRenderer writes: the replies
the tests and the OpenAPI schema describe are unchanged, only written faster."""

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from rest_framework import renderers as drf_renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from courses.models import Course
from portal.renderers import JSONRenderer
from tests.grading.conftest import at
from tests.grading.test_regrade_queue import NOW, bulk_open_requests

NY = ZoneInfo("America/New_York")


def both(data, media_type=None, context=None) -> tuple[bytes, bytes]:
    return (
        JSONRenderer().render(data, media_type, context),
        drf_renderers.JSONRenderer().render(data, media_type, context),
    )


PAYLOADS = {
    "empty": {},
    "list of rows": [{"id": 1, "code": "HW1", "points": "10.00", "released": True, "score": None}],
    "unicode": {"name": "Zoë Ångström 张伟 🎓", "quote": 'she said "hi"\\ \n\t'},
    "line separators": {"text": "one\u2028two\u2029three"},
    "control characters": {"text": "\x00\x1f\x7f"},
    "aware datetimes": {
        "utc": datetime.datetime(2026, 3, 8, 6, 59, tzinfo=datetime.UTC),
        "new york": datetime.datetime(2026, 3, 8, 1, 59, tzinfo=NY),
        "microseconds": datetime.datetime(2026, 11, 1, 5, 59, 0, 123456, tzinfo=datetime.UTC),
    },
    "naive datetime, date and time": {
        "at": datetime.datetime(2026, 1, 1, 23, 59),
        "on": datetime.date(2026, 2, 28),
        "time": datetime.time(23, 59, 30),
    },
    "timedelta, decimal, uuid": {
        "grace": datetime.timedelta(hours=48),
        "score": Decimal("9.50"),
        "token": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    },
    "lazy and safe strings, choices": {
        "label": lazy(lambda: "Late days", str)(),
        "html": mark_safe("<b>x</b>"),
        "policy": Course.LatePolicy.LATE_DAYS,
    },
    "errors": {"fields": {"due_at": [ErrorDetail("Give a time.", code="invalid")]}, "code": "invalid"},
    "DRF containers and tuples": ReturnDict(
        {"results": ReturnList([(1, 2), [3]], serializer=None)}, serializer=None
    ),
    "int keys and big numbers": {1: "one", "n": 2**63 - 1, "m": -(2**63), "f": 0.1},
    "integer past 64 bits": {"n": 2**70},
}


@pytest.mark.parametrize("name", PAYLOADS)
def test_the_renderer_writes_drfs_bytes(name):
    ours, drfs = both(PAYLOADS[name])
    assert ours == drfs


def test_nothing_is_an_empty_body():
    assert both(None) == (b"", b"")


@pytest.mark.parametrize("media_type", ["application/json; indent=4", "application/json; indent=2"])
def test_an_indented_reply_is_drfs(media_type):
    ours, drfs = both(PAYLOADS["list of rows"], media_type)
    assert ours == drfs and b"\n" in ours


def test_what_json_cannot_write_fails_as_in_drf():
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})


@pytest.mark.django_db
def test_api_replies_are_the_bytes_drf_would_write(world, api):
    """Real replies: the regrade list (Decimals, times, nulls, names), a student's deadlines, an error."""
    bulk_open_requests(world, 12)
    ta, student = api.as_user(world.ta), None
    with at(NOW):
        replies = [ta.get("/api/v1/regrade-requests/", {"state": "open"}), ta.get("/api/v1/courses/")]
        student = api.as_user(world.ug1)
        replies += [
            student.get("/api/v1/me/deadlines/"),
            student.get("/api/v1/me/"),
            student.post("/api/v1/regrade-requests/", {}, format="json"),
        ]
    assert replies[0].json()["count"] == 12
    assert replies[-1].status_code == 400
    for reply in replies:
        assert reply["Content-Type"] == "application/json"
        assert reply.content == drf_renderers.JSONRenderer().render(reply.data)
