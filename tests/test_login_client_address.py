"""Which address a sign-in comes from, and why forging it gains nothing.

The client address is the socket's (REMOTE_ADDR) unless PORTAL_TRUSTED_PROXIES says how many proxies of
ours stand in front; then it is the address the outermost of them saw (the right-most X-Forwarded-For
entry for one proxy). Failed sign-ins count per username whatever the address, and per address whatever
the username, so neither a forged header nor a fresh address buys more tries. Every test runs with the
cache handler (production, Redis) and the database handler (the zero-setup default) of django-axes.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from courses.api_tokens import TokenThrottle
from tests.factories import UserFactory

PASSWORD = "pw-portal-test"
REAL = "198.51.100.7"  # the socket address the test client connects from


@pytest.fixture(
    autouse=True,
    params=["axes.handlers.cache.AxesCacheHandler", "axes.handlers.database.AxesDatabaseHandler"],
)
def lockout_store(request, settings):
    settings.AXES_HANDLER = request.param
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 5
    return request.param


def _token(client, username, password, *, forwarded=None, remote=REAL):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("api-token"), {"username": username, "password": password}, **extra)


def _page(client, username, password, *, forwarded=None, remote=REAL):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_forty_failed_sign_ins_each_with_a_forged_address_are_locked(db, client):
    """The probe: 40 tries, a new X-Forwarded-For each time, were never stopped."""
    answers = [
        _token(client, f"guess{i}", "wrong", forwarded=f"203.0.113.{i}").status_code for i in range(40)
    ]
    assert answers[:5] == [400] * 5
    assert set(answers[5:]) == {429}
    body = _token(client, "guess41", "wrong", forwarded="192.0.2.99").json()
    assert body["code"] == "locked"
    assert "Wait" in body["detail"]


def test_forty_failed_page_sign_ins_for_one_username_with_forged_addresses_are_locked(db, client):
    UserFactory(username="ug1")
    for i in range(40):
        response = _page(client, "ug1", "wrong", forwarded=f"203.0.113.{i}")
        assert response.status_code == 200
    response = _page(client, "ug1", PASSWORD, forwarded="192.0.2.1")
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_sign_in_with_a_forged_header_is_refused_while_the_real_address_is_locked(db, client):
    UserFactory(username="ug1")
    for i in range(5):  # a password spray from one address: a different username each time
        _token(client, f"guess{i}", "wrong", forwarded=f"203.0.113.{i}")

    api = _token(client, "ug1", PASSWORD, forwarded="192.0.2.1")
    assert api.status_code == 429, api.content
    assert api.json()["code"] == "locked"
    assert "token" not in api.json()

    page = _page(client, "ug1", PASSWORD, forwarded="192.0.2.2")
    assert page.status_code == 200
    assert "Too many failed sign-ins" in page.content.decode()
    assert "_auth_user_id" not in client.session

    # Someone else, really elsewhere, is not affected.
    assert _token(client, "ug1", PASSWORD, remote="192.0.2.50").status_code == 200


def test_a_changing_address_gains_nothing(db, client):
    UserFactory(username="ug1")
    for i in range(5):
        assert _token(client, "ug1", "wrong", remote=f"192.0.2.{10 + i}").status_code == 400
    response = _token(client, "ug1", PASSWORD, remote="192.0.2.99")
    assert response.status_code == 429
    assert response.json()["code"] == "locked"
    page = _page(client, "ug1", PASSWORD, remote="192.0.2.98")
    assert "Too many failed sign-ins" in page.content.decode()


def test_the_request_rate_limit_counts_the_socket_address_not_the_header(db, client, settings, monkeypatch):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 1000  # only the rate limit is under test here
    monkeypatch.setattr(TokenThrottle, "THROTTLE_RATES", {"token": "20/min"})
    UserFactory(username="ug1")
    answers = [_token(client, "ug1", "wrong", forwarded=f"203.0.113.{i}").status_code for i in range(40)]
    assert answers[:20] == [400] * 20
    assert set(answers[20:]) == {429}
    refused = _token(client, "ug1", PASSWORD, forwarded="192.0.2.1")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"


def test_with_one_trusted_proxy_the_right_most_forwarded_address_is_the_client(db, client, settings):
    settings.PORTAL_TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    UserFactory(username="ug1")
    proxy = "10.0.0.1"
    for i in range(5):  # the client forges a left part; our proxy appends what it saw
        _token(client, f"guess{i}", "wrong", forwarded=f"6.6.6.{i}, 203.0.113.9", remote=proxy)

    locked = _token(client, "ug1", PASSWORD, forwarded="1.2.3.4, 203.0.113.9", remote=proxy)
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked"
    # Another client behind the same proxy is a different address.
    assert _token(client, "ug1", PASSWORD, forwarded="203.0.113.10", remote=proxy).status_code == 200

    request = RequestFactory().post("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR=proxy)
    assert TokenThrottle().get_ident(request) == "203.0.113.9"


def test_without_trusted_proxies_the_header_is_ignored(db, settings):
    request = RequestFactory().post("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR=REAL)
    assert TokenThrottle().get_ident(request) == REAL
    from portal.auth import client_address

    assert client_address(request) == REAL
    settings.PORTAL_TRUSTED_PROXIES = 1
    assert client_address(request) == "6.6.6.6"
    # A proxy that sent garbage does not become an address: the socket's is used.
    garbage = RequestFactory().post("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR=REAL)
    assert client_address(garbage) == REAL
