"""GET /healthz: the database, the broker and the workers, each reported; 503 only when the database is
down (the web cannot serve), 200 otherwise with what is degraded."""

import json

import pytest
from django.db import OperationalError

from tests.conftest import wait_for


def test_healthz_reports_each_component(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] in ("ok", "degraded")
    assert body["database"]["ok"] is True
    assert set(body) >= {"status", "database", "broker", "workers", "outbox"}
    assert "pending" in body["outbox"]
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_is_down(db, client, monkeypatch):
    from django.db import connection

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:  # undone before the test database is rolled back
        patched.setattr(connection, "ensure_connection", down)
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False


def test_healthz_says_the_broker_is_down(db, client, settings):
    from portal.celery import app
    from tests.outbox.conftest import DEAD_REDIS, reset_broker_pools

    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, DEAD_REDIS
    reset_broker_pools(app)
    try:
        response = client.get("/healthz")
    finally:
        app.conf.task_always_eager, app.conf.broker_url = old
        reset_broker_pools(app)
    assert response.status_code == 200  # the web still serves; follow-up work waits in the outbox
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["ok"] is False


@pytest.mark.worker
def test_healthz_sees_a_live_worker(celery_worker_process, client):
    def alive():
        body = client.get("/healthz").json()
        return body["broker"]["ok"] and body["workers"]["alive"]

    wait_for(alive, timeout=30)
    body = client.get("/healthz").json()
    assert body["workers"]["alive"][0]["age_seconds"] < 60


def test_compose_health_checks_read_healthz_and_the_relay_runs():
    from tests.test_deploy import COMPOSE_FILE, clean_env, compose

    result = compose(
        "-f",
        str(COMPOSE_FILE),
        "config",
        "--format",
        "json",
        env=clean_env(DJANGO_SECRET_KEY="s3cret-for-the-test"),
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("worker", "beat", "relay"):
        assert "healthz --process " + name in " ".join(services[name]["healthcheck"]["test"]), name
    assert "outbox_relay" in " ".join(services["relay"]["command"])
    assert services["relay"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert "redis" not in services["relay"]["depends_on"]  # it must start while Redis is down


def test_the_healthz_command_needs_this_hosts_heartbeat(db):
    from django.core.management import CommandError, call_command

    from portal import heartbeat

    with pytest.raises(CommandError, match="no worker heartbeat"):
        call_command("healthz", "--process", "worker")
    heartbeat.heartbeat_write(kind="worker")
    call_command("healthz", "--process", "worker")


def test_only_superusers_read_the_errors_and_host_names(db, client, settings):
    """The broker's error text names addresses and the heartbeats name hosts: not for anyone who asks."""
    from django.utils import timezone

    from portal.celery import app
    from portal.models import ProcessHeartbeat
    from tests.factories import UserFactory
    from tests.outbox.conftest import DEAD_REDIS, reset_broker_pools

    ProcessHeartbeat.objects.create(kind="worker", host="worker-7.internal", beat_at=timezone.now())
    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, DEAD_REDIS
    reset_broker_pools(app)
    try:
        public = client.get("/healthz").json()
        client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
        full = client.get("/healthz").json()
    finally:
        app.conf.task_always_eager, app.conf.broker_url = old
        reset_broker_pools(app)
    assert public["broker"] == {"ok": False, "mode": "broker"}
    assert public["workers"]["alive"] and "host" not in public["workers"]["alive"][0]
    assert "worker-7.internal" not in json.dumps(public)
    assert full["broker"]["error"] and full["workers"]["alive"][0]["host"] == "worker-7.internal"
