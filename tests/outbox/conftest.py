"""A web process whose broker and cache are a dead Redis, and the four writes that enqueue follow-up work."""

from dataclasses import dataclass

import pytest

from courses.models import Enrolment
from tests.factories import EnrolmentFactory, UserFactory, eastern

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused
NEW_DUE = eastern(2023, 2, 19)
EXTENDED = eastern(2023, 2, 22)


def reset_broker_pools(app) -> None:
    """Celery keeps its connection and producer pools for the broker it first used; drop them so the next
    publish connects to the broker URL configured now."""
    app._pool = None
    app.__dict__.get("amqp") and setattr(app.amqp, "_producer_pool", None)


@pytest.fixture
def dead_broker(settings):
    """The web process as deployed (tasks leave the process), but Redis is unreachable: broker and cache."""
    from portal.celery import app
    from portal.settings.base import redis_caches

    settings.CACHES = redis_caches(DEAD_REDIS)
    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = DEAD_REDIS
    reset_broker_pools(app)
    yield app
    app.conf.task_always_eager, app.conf.broker_url = old
    reset_broker_pools(app)


@dataclass
class Writes:
    responses: dict


def do_the_four_writes(api, world) -> dict:
    """A due-date change, an extension, a waitlist leave and a drop, each through the API."""
    hw1 = world.course.assignments.get(code="HW1")
    waiting = UserFactory(username="wait1")
    EnrolmentFactory(user=waiting, section=world.ug_section, status=Enrolment.Status.WAITLISTED)
    dropped = Enrolment.objects.get(user=world.ug2, section=world.ug_section)
    responses = {}
    api.force_authenticate(world.instructor)
    responses["due date"] = api.patch(
        f"/api/v1/assignments/{hw1.id}/", {"due_at": NEW_DUE.isoformat()}, format="json"
    )
    responses["extension"] = api.post(
        "/api/v1/extensions/",
        {"student": "gr1", "assignment": hw1.id, "due_at": EXTENDED.isoformat(), "dean_reference": "DoS-7"},
        format="json",
    )
    responses["drop"] = api.post(f"/api/v1/enrolments/{dropped.id}/drop/", format="json")
    api.force_authenticate(waiting)
    responses["waitlist leave"] = api.delete(f"/api/v1/sections/{world.ug_section.id}/waitlist/")
    api.force_authenticate(None)
    return responses
