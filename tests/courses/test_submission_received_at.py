"""A submission counts from when its request reached the portal, not from when a worker finished reading
it: a slow upload or a queue of busy workers never makes on-time work late. A trusted proxy's
X-Request-Start says when the request reached the proxy; from anyone else the header is ignored."""

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from django.urls import reverse

from courses.models import Submission
from tests.courses.helpers import MINUTE, at, upload
from tests.factories import eastern

HW1_DUE = eastern(2023, 2, 12)


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


class SlowBody:
    """The request body, arriving `delay` later than the request line and headers: the clock moves on
    when the portal first reads it, as it does while a large upload streams in or waits for a worker."""

    def __init__(self, data: bytes, clock, delay):
        self.payload = FakePayload(data)
        self.clock, self.delay, self.moved = clock, delay, False

    def read(self, *args):
        if not self.moved:
            self.clock.shift(self.delay)
            self.moved = True
        return self.payload.read(*args)

    def readline(self, *args):
        return self.payload.readline(*args)


def _body() -> bytes:
    return encode_multipart(
        BOUNDARY, {"file": upload(), "collaborators_none": "true", "honor_statement_accepted": "true"}
    )


def _post(api, user, assignment, **extra):
    url = reverse("api-assignment-submissions", args=[assignment.id])
    return api.as_user(user).post(url, _body(), content_type=MULTIPART_CONTENT, **extra)


def _ms(moment) -> str:
    return f"t={int(moment.timestamp() * 1000)}"


def test_an_upload_begun_a_minute_before_the_due_time_and_read_after_it_is_on_time(world, api, hw1):
    with at(HW1_DUE - MINUTE) as clock:
        body = _body()
        stream = SlowBody(body, clock, 2 * MINUTE)
        response = _post(api, world.ug1, hw1, **{"wsgi.input": stream})
    assert stream.moved  # the body really was read after the due time
    assert response.status_code == 201, response.content
    assert response.json()["timing"] == "on_time"
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_at"] == "2023-02-12T23:58:00-05:00"
    assert Submission.objects.get().submitted_at == HW1_DUE - MINUTE


def test_an_upload_begun_after_the_due_time_is_in_grace_however_fast(world, api, hw1):
    with at(HW1_DUE + MINUTE):
        response = _post(api, world.ug1, hw1)
    assert response.json()["timing"] == "in_grace"


@pytest.mark.parametrize(
    "header",
    [
        _ms(HW1_DUE - MINUTE),  # nginx's ${msec} without the dot, Heroku's milliseconds
        f"t={(HW1_DUE - MINUTE).timestamp():.3f}",  # nginx's t=${msec}
        f"t={int((HW1_DUE - MINUTE).timestamp() * 1_000_000)}",  # Apache's microseconds
    ],
)
def test_a_trusted_proxys_request_start_is_the_submission_time(world, api, hw1, settings, header):
    settings.PORTAL_TRUSTED_PROXIES = 1
    with at(HW1_DUE + MINUTE):  # the proxy held the request for two minutes before passing it on
        response = _post(api, world.ug1, hw1, HTTP_X_REQUEST_START=header)
    assert response.status_code == 201, response.content
    assert response.json()["timing"] == "on_time"
    assert Submission.objects.get().submitted_at == HW1_DUE - MINUTE


def test_a_forged_request_start_from_an_untrusted_client_is_ignored(world, api, hw1, settings):
    settings.PORTAL_TRUSTED_PROXIES = 0
    with at(HW1_DUE + MINUTE):
        response = _post(api, world.ug1, hw1, HTTP_X_REQUEST_START=_ms(HW1_DUE - MINUTE))
    assert response.json()["timing"] == "in_grace"
    assert Submission.objects.get().submitted_at == HW1_DUE + MINUTE


@pytest.mark.parametrize(
    "header",
    [
        _ms(HW1_DUE + 2 * MINUTE),  # in the future
        _ms(HW1_DUE + MINUTE - 6 * MINUTE),  # older than the 5 minutes a proxy could have held it
        "t=yesterday",
        "t=nan",
        "t=-5",
        "t=1e400",
    ],
)
def test_a_request_start_in_the_future_too_old_or_unreadable_falls_back_to_the_arrival(
    world, api, hw1, settings, header
):
    settings.PORTAL_TRUSTED_PROXIES = 1
    with at(HW1_DUE + MINUTE):
        response = _post(api, world.ug1, hw1, HTTP_X_REQUEST_START=header)
    assert response.status_code == 201, response.content
    assert response.json()["timing"] == "in_grace"
    assert Submission.objects.get().submitted_at == HW1_DUE + MINUTE


def test_the_servers_accept_time_counts_when_the_request_waited_for_a_thread(world, api, hw1):
    """portal.gunicorn_workers passes when it accepted the connection in the WSGI environ (no header can
    set it): a request that then waited two minutes for a free thread is judged by its arrival."""
    with at(HW1_DUE + MINUTE):
        accepted = (HW1_DUE - MINUTE).timestamp()
        response = _post(api, world.ug1, hw1, **{"portal.received_at": accepted})
    assert response.status_code == 201, response.content
    assert response.json()["timing"] == "on_time"
    assert Submission.objects.get().submitted_at == HW1_DUE - MINUTE


@pytest.mark.parametrize(
    "accepted",
    [
        (HW1_DUE + 2 * MINUTE).timestamp(),  # later than the request itself: not an arrival
        (HW1_DUE + MINUTE - 6 * MINUTE).timestamp(),  # older than any wait for a thread
        str((HW1_DUE - MINUTE).timestamp()),  # not the server's float
    ],
)
def test_an_implausible_accept_time_is_ignored(world, api, hw1, accepted):
    with at(HW1_DUE + MINUTE):
        response = _post(api, world.ug1, hw1, **{"portal.received_at": accepted})
    assert response.json()["timing"] == "in_grace"
    assert Submission.objects.get().submitted_at == HW1_DUE + MINUTE


def test_a_header_named_like_the_servers_key_is_ignored(world, api, hw1):
    with at(HW1_DUE + MINUTE):
        response = _post(api, world.ug1, hw1, HTTP_PORTAL_RECEIVED_AT=str((HW1_DUE - MINUTE).timestamp()))
    assert response.json()["timing"] == "in_grace"


def test_an_upload_counts_at_most_the_allowed_age_before_its_last_byte(world, api, hw1, settings):
    """Headers a minute before the due time and the body trickled in days later (a client holding the
    upload open across the deadline): the upload counts from PORTAL_REQUEST_START_MAX_AGE_SECONDS before
    its last byte arrived, so three days later it is refused."""
    from datetime import timedelta

    with at(HW1_DUE - MINUTE) as clock:
        stream = SlowBody(_body(), clock, timedelta(days=3))  # past the 2-day grace period
        response = _post(api, world.ug1, hw1, **{"wsgi.input": stream})
    assert stream.moved
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "window_closed"
    assert not Submission.objects.exists()
    # Ten minutes of upload with a five-minute allowance: it counts from five minutes before it finished.
    settings.PORTAL_REQUEST_START_MAX_AGE_SECONDS = 300
    with at(HW1_DUE - MINUTE) as clock:
        stream = SlowBody(_body(), clock, 10 * MINUTE)
        response = _post(api, world.ug1, hw1, **{"wsgi.input": stream})
    assert response.status_code == 201, response.content
    assert response.json()["submitted_at"] == "2023-02-13T00:03:00-05:00"
    assert response.json()["timing"] == "in_grace"
