"""A worker SIGKILLed in the middle of an export: the job's heartbeat goes quiet, the reclaim sweep
re-enqueues it, a second worker takes it over and finishes it (issue 12, item 4): one file, every student
once, within two minutes of the kill. Real components: PostgreSQL, Redis and two `celery worker`s."""

import csv
import io
import signal
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, Section, StaffRole, User
from grading.models import GradeExport
from grading.services.exports import grade_exports_reclaim
from tests.conftest import wait_for
from tests.factories import AssignmentFactory, CourseFactory, StaffRoleFactory, UserFactory, eastern
from tests.workers import named_workers

STUDENTS = 6_000  # 60 chunks of 100, 0.2 s apart: a run takes some 12 s, long enough to kill half-way
pytestmark = pytest.mark.worker


@pytest.fixture
def shared_media(tmp_path, monkeypatch, settings):
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(tmp_path))
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


# A heartbeat older than this is a dead worker's (60 s in production). The workers beat at every chunk,
# a few times a second, so 15 s is still far from a live worker's and the test waits 45 s less.
STALE_SECONDS = 15


@pytest.fixture
def workers(transactional_db, shared_media, settings):
    """Start `celery worker`s on one test queue, on demand; each can be SIGKILLed. Exports go slowly
    (100 students a chunk, 0.2 s after each) so that a kill lands half-way."""
    settings.PORTAL_JOB_STALE_SECONDS = STALE_SECONDS  # the reclaim, run here, and the workers agree
    with named_workers(
        {
            "DJANGO_MEDIA_ROOT": str(shared_media),
            "PORTAL_EXPORT_CHUNK_ROWS": "100",
            "PORTAL_EXPORT_CHUNK_DELAY_SECONDS": "0.2",
            "PORTAL_JOB_STALE_SECONDS": str(STALE_SECONDS),
        }
    ) as start:
        yield start


def big_course():
    course = CourseFactory(code="CS 4644 / CS 7643-A")
    section = Section.objects.create(
        course=course,
        code="CS 4644",
        level=Section.Level.UNDERGRADUATE,
        capacity=STUDENTS,
        room_capacity=STUDENTS,
    )
    instructor = UserFactory(username="instructor")
    StaffRoleFactory(user=instructor, course=course, role=StaffRole.Role.INSTRUCTOR)
    AssignmentFactory(course=course, code="HW1", due_at=eastern(2023, 2, 12))
    users = User.objects.bulk_create(
        [
            User(username=f"s{i:05d}", first_name="S", last_name=f"{i:05d}", password="!")
            for i in range(STUDENTS)
        ],
        batch_size=5000,
    )
    Enrolment.objects.bulk_create(
        [Enrolment(user=u, section=section, joined_at=timezone.now()) for u in users], batch_size=5000
    )
    return course, instructor


# format → (rows above the students, the column holding the username). The Canvas export reads the class
# ahead in a thread of the worker's, which dies with it.
FORMATS = {"breakdown": (1, 1), "canvas": (2, 3)}


@pytest.mark.parametrize("export_format", FORMATS)
def test_a_killed_workers_export_is_finished_by_another_within_two_minutes(
    workers, api, shared_media, export_format
):
    course, instructor = big_course()
    first = workers("first")
    response = api.as_user(instructor).post(
        reverse("api-grade-exports", args=[course.id]), {"format": export_format}, format="json"
    )
    assert response.status_code == 202, response.content
    export_id = response.json()["id"]

    def half_way():
        export = GradeExport.objects.get(pk=export_id)
        return export if 20 <= export.progress <= 60 else None

    before = wait_for(half_way, timeout=90, interval=0.1)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    assert before.status == "running" and before.attempt == 1
    workers("second")

    # The beat's reclaim task, as it runs every 30 s: nothing to take over while the heartbeat is fresh.
    def taken_over():
        grade_exports_reclaim()
        export = GradeExport.objects.get(pk=export_id)
        return export if export.status == "done" else None

    done = wait_for(taken_over, timeout=120, interval=5)
    elapsed = time.monotonic() - killed_at
    assert elapsed < 120, elapsed
    assert (done.attempt, done.progress, done.rows_done, done.rows_total) == (2, 100, STUDENTS, STUDENTS)

    files = [p for p in (shared_media / "exports").rglob("*") if p.is_file()]
    assert [p.relative_to(shared_media).as_posix() for p in files] == [done.file.name]
    rows = list(csv.reader(io.StringIO(files[0].read_text(encoding="utf-8"))))
    header_rows, username = FORMATS[export_format]
    usernames = [r[username] for r in rows[header_rows:]]
    assert len(usernames) == STUDENTS
    assert set(usernames) == {f"s{i:05d}" for i in range(STUDENTS)}  # every student once
    status = api.as_user(instructor).get(reverse("api-grade-export", args=[export_id])).json()
    assert (status["status"], status["attempt"]) == ("done", 2)  # how an operator sees the takeover
    # The download serves that one file.
    download = api.as_user(instructor).get(reverse("api-grade-export-download", args=[export_id]))
    assert download.status_code == 200
