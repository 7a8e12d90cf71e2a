"""Sign-in throttling: repeated failures lock the username (from every address) and the address (for every
username) for a while, on the sign-in page and the token endpoint alike; other usernames from other
addresses are not affected. Forged and changing addresses: tests/test_login_client_address.py."""

import time_machine
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "pw-portal-test"


def _fail(client, username, times, address="10.0.0.1"):
    for _ in range(times):
        response = client.post(
            reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=address
        )
        assert response.status_code == 200  # the form again, not a redirect


def test_five_failures_lock_the_username_even_with_the_right_password(db, client, settings):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 5
    UserFactory(username="ug1")
    _fail(client, "ug1", 4)
    response = client.post(
        reverse("login"), {"username": "ug1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302  # the fifth try is still allowed, and it succeeds
    client.logout()

    _fail(client, "ug1", 5)
    response = client.post(
        reverse("login"), {"username": "ug1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_the_username_everywhere_and_the_address_for_everyone(db, client):
    UserFactory(username="ug1")
    UserFactory(username="ug2")
    _fail(client, "ug1", 5)
    for username, address in (("ug1", "10.0.0.2"), ("ug2", "10.0.0.1"), ("UG1", "10.0.0.3")):
        refused = client.post(
            reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=address
        )
        assert "Too many failed sign-ins" in refused.content.decode(), (username, address)
        assert "_auth_user_id" not in client.session
    elsewhere = client.post(
        reverse("login"), {"username": "ug2", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert elsewhere.status_code == 302


def test_the_token_endpoint_shares_the_lock(db, client):
    UserFactory(username="ug1")
    _fail(client, "ug1", 5)
    response = client.post(
        reverse("api-token"), {"username": "ug1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked"
    assert "Wait" in body["detail"]


def test_the_lock_ends_after_the_lock_time(db, client, settings):
    settings.PORTAL_LOGIN_LOCK_MINUTES = 15
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    UserFactory(username="ug1")
    with time_machine.travel("2026-01-01 12:00Z", tick=False):
        _fail(client, "ug1", 5)
        locked = client.post(
            reverse("login"), {"username": "ug1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
        )
        assert "Too many failed sign-ins" in locked.content.decode()
    with time_machine.travel("2026-01-01 12:16Z", tick=False):
        response = client.post(
            reverse("login"), {"username": "ug1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
        )
        assert response.status_code == 302
