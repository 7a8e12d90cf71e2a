"""Services name the tasks they enqueue by dotted path (they must not import the tasks modules that run
them); a name that no task has is refused where it is enqueued, before anything is recorded."""

import re
from pathlib import Path

import pytest
from django.db import transaction

from portal.models import OutboxMessage
from portal.tasking import enqueue_on_commit, task_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_misspelt_task_name_is_refused_and_nothing_is_recorded():
    with pytest.raises(LookupError, match=r"courses\.tasks\.recompute_deadline'"), transaction.atomic():
        enqueue_on_commit("courses.tasks.recompute_deadline", assignment_id=1)
    assert not OutboxMessage.objects.exists()


def test_every_task_name_the_code_enqueues_is_a_registered_task():
    names = set()
    for path in [*ROOT.glob("courses/**/*.py"), *ROOT.glob("grading/**/*.py"), *ROOT.glob("portal/**/*.py")]:
        names |= set(re.findall(r"""["']((?:courses|grading|portal)\.tasks\.\w+)["']""", path.read_text()))
    assert len(names) >= 8
    for name in sorted(names):
        assert task_name(name) == name


def test_services_do_not_import_the_tasks_modules():
    for path in [
        *ROOT.glob("courses/services/*.py"),
        *ROOT.glob("grading/services/*.py"),
        ROOT / "portal/mail.py",
    ]:
        text = path.read_text()
        assert not re.search(
            r"from (courses|grading|portal)\.tasks import|import (courses|grading|portal)\.tasks", text
        ), path


RACE = """
import threading
import django

django.setup()
from portal.tasking import task_name

errors = []
start = threading.Barrier(8)


def enqueue_name():
    start.wait()
    try:
        task_name("courses.tasks.send_submission_receipt")
    except Exception as exc:
        errors.append(repr(exc))


threads = [threading.Thread(target=enqueue_name) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(errors), errors[:1])
"""


def test_the_first_requests_of_a_threaded_worker_find_the_tasks_together():
    # gunicorn's threads enqueue at once in a fresh process: each must wait for the one discovery of the
    # tasks modules, not find the registry half-filled (500s at a deadline spike's start).
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "PYTHONPATH": str(ROOT)}
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", RACE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout
