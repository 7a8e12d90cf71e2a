"""Sign-in, the token endpoint and pages with Redis unreachable: the cache degrades (a warning, then local
memory), sessions live in the database, and the sign-in lockout keeps counting in the database."""

import logging

import pytest
from django.urls import reverse

from tests.factories import UserFactory

DEAD_REDIS = "redis://127.0.0.1:1/0"
PASSWORD = "pw-portal-test"


@pytest.fixture
def redis_down(settings):
    from portal.settings import base

    settings.CACHES = base.redis_caches(DEAD_REDIS)
    settings.AXES_HANDLER = base.AXES_HANDLER  # what production uses when REDIS_URL is set
    settings.SESSION_ENGINE = base.SESSION_ENGINE
    return settings


def test_the_sign_in_page_signs_in(redis_down, db, client):
    UserFactory(username="ug1")
    response = client.post(reverse("login"), {"username": "ug1", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("my-deadlines")).status_code == 200


def test_the_token_endpoint_answers(redis_down, db, client):
    UserFactory(username="ug1")
    response = client.post(reverse("api-token"), {"username": "ug1", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token"]


def test_the_deadlines_page_renders(redis_down, world, client):
    client.force_login(world.ug1)
    response = client.get(reverse("my-deadlines"))
    assert response.status_code == 200
    assert "HW1" in response.content.decode()


def test_the_lockout_still_counts_failures(redis_down, db, client):
    redis_down.PORTAL_LOGIN_FAILURE_LIMIT = 3
    UserFactory(username="ug1")
    for _ in range(3):
        assert client.post(reverse("login"), {"username": "ug1", "password": "wrong"}).status_code == 200
    response = client.post(reverse("login"), {"username": "ug1", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()


def test_the_outage_is_logged_once_not_per_call(redis_down, caplog):
    from django.core.cache import cache

    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        for i in range(20):
            cache.set(f"k{i}", i)
        assert cache.get("k3") == 3  # local memory stands in meanwhile
    warnings = [r for r in caplog.records if r.name == "portal.cache"]
    assert len(warnings) == 1
    assert "Redis" in warnings[0].getMessage()
