"""Shared fixtures: a two-section course like the demo, API clients, and a real Celery worker."""

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from courses.models import Course, Enrolment, Section, StaffRole, User
from courses.services.deadlines import deadline_recompute
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    EnrolmentFactory,
    SectionFactory,
    StaffRoleFactory,
    UserFactory,
    eastern,
)
from tests.smtp import smtp_server  # noqa: F401 (a real SMTP server for the mail tests)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, a test database in a file of this run's own, not Django's default in-memory one.

    In memory, the live server's threads share the test thread's one connection (and its transaction),
    and threads that open their own connection get shared-cache table locks that fail at once. In a file,
    every thread has its own connection with the settings' transaction mode and busy timeout: the live
    server, the race tests and the zero-setup `make run` all behave alike.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Sign-in failure counts live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    """A small Deep Learning course: CS 4644 and CS 7643-A, staff, students, two assignments."""

    course: Course
    ug_section: Section
    gr_section: Section
    instructor: User
    ta: User
    ug1: User
    ug2: User
    gr1: User
    other_course: Course
    other_ta: User
    other_student: User

    def recompute(self):
        for assignment in self.course.assignments.all():
            deadline_recompute(assignment_id=assignment.id)


@pytest.fixture
def world(db) -> World:
    course = CourseFactory(code="CS 4644 / CS 7643-A")
    ug_section = SectionFactory(course=course, code="CS 4644", level=Section.Level.UNDERGRADUATE)
    gr_section = SectionFactory(course=course, code="CS 7643-A", level=Section.Level.GRADUATE)
    instructor = UserFactory(username="instructor")
    ta = UserFactory(username="ta1")
    StaffRoleFactory(user=instructor, course=course, role=StaffRole.Role.INSTRUCTOR)
    StaffRoleFactory(user=ta, course=course, role=StaffRole.Role.TA)
    ug1 = EnrolmentFactory(user=UserFactory(username="ug1"), section=ug_section).user
    ug2 = EnrolmentFactory(user=UserFactory(username="ug2"), section=ug_section).user
    gr1 = EnrolmentFactory(user=UserFactory(username="gr1"), section=gr_section).user
    AssignmentFactory(
        course=course,
        code="PS0",
        title="Problem set 0",
        category="preparation",
        weight=0,
        due_at=eastern(2023, 1, 15),
        grace_allowed=False,
        collaboration_allowed=False,
        counts_toward_grade=False,
    )
    AssignmentFactory(course=course, code="HW1", due_at=eastern(2023, 2, 12))
    other_course = CourseFactory(code="CS 9999")
    other_section = SectionFactory(course=other_course, code="CS 9999-A")
    other_ta = StaffRoleFactory(user=UserFactory(username="other_ta"), course=other_course).user
    other_student = EnrolmentFactory(user=UserFactory(username="other_student"), section=other_section).user
    w = World(
        course, ug_section, gr_section, instructor, ta, ug1, ug2, gr1, other_course, other_ta, other_student
    )
    w.recompute()
    return w


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` signs in with a token like another program would."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_authenticate(user=user)
            return self

    return Client()


# ---- a real Celery worker on Redis ------------------------------------------------------------------


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """Start `celery worker` against Redis and the test database; tasks leave this process for real.

    Skipped when REDIS_URL is not set (the zero-setup SQLite run); CI always sets it. One launcher for
    every real worker of the suite: tests.workers.named_workers.
    """
    from portal.celery import app
    from tests.workers import named_workers

    with named_workers({}) as start:
        start("worker")
        yield app


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll until `predicate()` is truthy (for effects of a real worker)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def enrol():
    def make(user, section, status=Enrolment.Status.ENROLLED, **kwargs):
        return EnrolmentFactory(user=user, section=section, status=status, **kwargs)

    return make
