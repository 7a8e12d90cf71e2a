"""Real `celery worker` processes for the tests that kill one half-way (an export, a mail delivery): each
test gets its own queue on Redis and the test database on PostgreSQL; `start(name)` launches a worker
and waits until it answers a ping, and every worker still running is stopped at the end."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.helpers import stop_processes

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def named_workers(extra_env: dict[str, str]) -> Iterator[Callable[[str], subprocess.Popen]]:
    from portal.celery import app

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("CI must set REDIS_URL: the worker tests are required there.")
        pytest.skip("REDIS_URL is not set: no real worker to test against.")
    if connection.vendor != "postgresql":
        pytest.skip("Separate worker processes need a shared database server (PostgreSQL).")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
        "PORTAL_OUTBOX_WORKER_SWEEP_SECONDS": "0",
        **extra_env,
    }
    celery = shutil.which("celery", path=os.path.dirname(sys.executable)) or "celery"
    started: list[subprocess.Popen] = []

    def start(name: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [
                celery,
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "--loglevel=warning",
                "-Q",
                queue,
                "-n",
                f"{name}-{queue}@%h",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
        )
        started.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=1.0) or []
            if any(f"{name}-{queue}@" in next(iter(r)) for r in replies):
                return proc
            time.sleep(0.3)
        pytest.fail(f"worker {name} did not answer a ping within 60 s")

    old = (app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app.conf.task_default_queue = queue
    try:
        yield start
    finally:
        stop_processes(*started)
        app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue = old
