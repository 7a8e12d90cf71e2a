"""Releasing grades: now or scheduled; students see only released grades; the regrade window is a week
at the same local wall-clock time in America/New_York, across daylight-saving changes too."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from grading.models import Grade, GradeRelease
from grading.services.grades import grade_enter, grades_release, grades_release_scheduled
from tests.grading.conftest import NY, at, error_of
from tests.grading.factories import QuestionFactory

pytestmark = pytest.mark.django_db

T = datetime(2023, 2, 6, 9, 0, tzinfo=NY)


def release_url(assignment):
    return f"/api/v1/assignments/{assignment.id}/release-grades/"


def listed(api, user, **params):
    response = api.as_user(user).get("/api/v1/grades/", params)
    assert response.status_code == 200
    return response.json()["results"]


def release_state():
    return list(Grade.objects.order_by("pk").values_list("pk", "released_at", "regrade_deadline")), list(
        GradeRelease.objects.values()
    )


def test_students_see_only_their_own_released_grades(world, api, entered):
    hw1 = world.course.assignments.get(code="HW1")
    q = QuestionFactory(assignment=hw1, label="Q1", points=Decimal(30))
    for username in ("ug1", "ug2"):
        grade_enter(acting_user=world.ta, assignment_id=hw1.id, student_username=username, scores={q.id: 20})
    grades_release(acting_user=world.instructor, assignment_id=hw1.id)

    rows = listed(api, world.ug1)
    assert [(r["assignment"]["code"], r["student"]) for r in rows] == [("HW1", "ug1")]
    assert rows[0]["released_at"] is not None
    assert rows[0]["scores"] == [{"question": q.id, "label": "Q1", "points": "30.00", "score": "20.00"}]

    # The unreleased PS0 grade does not exist for the student, not even by id.
    ps0_grade = entered.grade("ug1")
    response = api.as_user(world.ug1).get(f"/api/v1/grades/{ps0_grade.id}/")
    assert response.status_code == 404
    error_of(response)

    # Staff see every grade, released or not.
    staff_rows = listed(api, world.ta)
    assert sorted((r["assignment"]["code"], r["student"]) for r in staff_rows) == [
        ("HW1", "ug1"),
        ("HW1", "ug2"),
        ("PS0", "gr1"),
        ("PS0", "ug1"),
        ("PS0", "ug2"),
    ]
    assert {r["student"] for r in listed(api, world.ta, released="false")} == {"ug1", "ug2", "gr1"}

    grades_release(acting_user=world.instructor, assignment_id=entered.ps0.id)
    assert sorted(r["assignment"]["code"] for r in listed(api, world.ug1)) == ["HW1", "PS0"]


def test_instructor_releases_now_and_the_window_is_one_local_week(world, api, entered):
    with at(T):
        response = api.as_user(world.instructor).post(release_url(entered.ps0), {}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["assignment"] == entered.ps0.id
    assert body["released_at"] == "2023-02-06T09:00:00-05:00"

    for grade in Grade.objects.filter(assignment=entered.ps0):
        assert grade.released_at == T
        assert grade.regrade_deadline == datetime(2023, 2, 13, 9, 0, tzinfo=NY)

    rows = listed(api, world.ug1)
    assert len(rows) == 1
    assert rows[0]["released_at"] == "2023-02-06T09:00:00-05:00"
    assert rows[0]["regrade_deadline"] == "2023-02-13T09:00:00-05:00"


@pytest.mark.parametrize(
    ("released", "deadline_local", "deadline_iso", "hours"),
    [
        # Spring forward (Sun Mar 12 2023): the same 10:00 am, one hour less in absolute time.
        (datetime(2023, 3, 8, 10, 0, tzinfo=NY), (2023, 3, 15, 10, 0), "2023-03-15T10:00:00-04:00", 167),
        # Fall back (Sun Nov 5 2023): the same 4:30 pm, one hour more.
        (datetime(2023, 11, 1, 16, 30, tzinfo=NY), (2023, 11, 8, 16, 30), "2023-11-08T16:30:00-05:00", 169),
        # Released 2:30 am the Sunday before: a week later 2:30 am does not exist; never less than a week.
        (datetime(2023, 3, 5, 2, 30, tzinfo=NY), (2023, 3, 12, 3, 30), "2023-03-12T03:30:00-04:00", 168),
    ],
    ids=["spring-forward", "fall-back", "nonexistent-wall-time"],
)
def test_the_window_keeps_the_local_wall_clock_across_dst(
    world, api, entered, released, deadline_local, deadline_iso, hours
):
    with at(released):
        response = api.as_user(world.instructor).post(release_url(entered.ps0), {}, format="json")
    assert response.status_code == 200
    grade = entered.grade("ug1")
    assert grade.released_at == released
    local = grade.regrade_deadline.astimezone(NY)
    assert (local.year, local.month, local.day, local.hour, local.minute) == deadline_local
    assert grade.regrade_deadline - grade.released_at == timedelta(hours=hours)
    assert listed(api, world.ug1)[0]["regrade_deadline"] == deadline_iso


def test_scheduled_release_is_carried_out_once(world, api, entered):
    when = T + timedelta(days=2)
    with at(T):
        response = api.as_user(world.instructor).post(
            release_url(entered.ps0), {"at": when.isoformat()}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["released_at"] is None
    assert response.json()["scheduled_for"] == "2023-02-08T09:00:00-05:00"
    assert not Grade.objects.filter(released_at__isnull=False).exists()
    assert listed(api, world.ug1) == []

    # Before its time the scheduled job does nothing.
    assert grades_release_scheduled(now=when - timedelta(minutes=1)) == 0
    assert not Grade.objects.filter(released_at__isnull=False).exists()

    ran_at = when + timedelta(minutes=3)  # the beat runs a little after the scheduled time
    assert grades_release_scheduled(now=ran_at) == 3
    release = GradeRelease.objects.get(assignment=entered.ps0)
    assert release.released_at == ran_at
    for grade in Grade.objects.filter(assignment=entered.ps0):
        assert grade.released_at == ran_at
        assert grade.regrade_deadline == datetime(2023, 2, 15, 9, 3, tzinfo=NY)

    # Idempotent: running again (or late) releases nothing more and moves no window.
    state = release_state()
    assert grades_release_scheduled(now=ran_at + timedelta(hours=1)) == 0
    assert grades_release_scheduled(now=ran_at + timedelta(days=3)) == 0
    assert release_state() == state

    with at(ran_at + timedelta(hours=2)):
        assert len(listed(api, world.ug1)) == 1


def test_rescheduling_before_the_release_moves_it(world, api, entered):
    with at(T):
        api.as_user(world.instructor).post(
            release_url(entered.ps0), {"at": (T + timedelta(days=2)).isoformat()}, format="json"
        )
        response = api.as_user(world.instructor).post(
            release_url(entered.ps0), {"at": (T + timedelta(days=4)).isoformat()}, format="json"
        )
    assert response.status_code == 200
    assert GradeRelease.objects.count() == 1
    assert grades_release_scheduled(now=T + timedelta(days=3)) == 0
    assert grades_release_scheduled(now=T + timedelta(days=4)) == 3


def test_a_release_time_in_the_past_is_a_field_error(world, api, entered):
    before = release_state()
    with at(T):
        response = api.as_user(world.instructor).post(
            release_url(entered.ps0), {"at": (T - timedelta(hours=2)).isoformat()}, format="json"
        )
    assert response.status_code == 400
    assert "at" in error_of(response)["fields"]
    assert release_state() == before


def test_grades_entered_after_the_release_are_released_at_once(world, api, entered):
    with at(T):
        grades_release(acting_user=world.instructor, assignment_id=entered.ps0.id)
    from tests.factories import EnrolmentFactory, UserFactory

    late = EnrolmentFactory(user=UserFactory(username="ug9"), section=world.ug_section).user
    later = T + timedelta(days=1)
    with at(later):
        grade = grade_enter(
            acting_user=world.ta,
            assignment_id=entered.ps0.id,
            student_username="ug9",
            scores={entered.q1.id: 4},
        )
    grade.refresh_from_db()
    assert grade.released_at == later
    assert grade.regrade_deadline == datetime(2023, 2, 14, 9, 0, tzinfo=NY)
    assert [r["student"] for r in listed(api, late)] == ["ug9"]


def test_grades_entered_while_a_release_is_only_scheduled_wait_for_it(world, api, entered):
    from tests.factories import EnrolmentFactory, UserFactory

    EnrolmentFactory(user=UserFactory(username="ug9"), section=world.ug_section)
    with at(T):
        grades_release(acting_user=world.instructor, assignment_id=entered.ps0.id, at=T + timedelta(days=1))
        grade = grade_enter(
            acting_user=world.ta,
            assignment_id=entered.ps0.id,
            student_username="ug9",
            scores={entered.q1.id: 4},
        )
    grade.refresh_from_db()
    assert grade.released_at is None
    assert grades_release_scheduled(now=T + timedelta(days=1)) == 4


@pytest.mark.parametrize(
    ("who", "status"),
    [("ta", 403), ("ug1", 403), ("other_ta", 404), ("other_student", 404)],
)
def test_only_the_instructor_releases(world, api, entered, who, status):
    before = release_state()
    with at(T):
        response = api.as_user(getattr(world, who)).post(release_url(entered.ps0), {}, format="json")
        assert response.status_code == status
        error_of(response)
        response = api.as_user(getattr(world, who)).post(
            release_url(entered.ps0), {"at": (T + timedelta(days=1)).isoformat()}, format="json"
        )
        assert response.status_code == status
    assert release_state() == before
    assert grades_release_scheduled(now=datetime(2024, 1, 1, tzinfo=UTC)) == 0


# ---- times in the course's zone ---------------------------------------------------------------------


def test_a_scheduled_time_without_an_offset_is_in_the_courses_zone(world, api, entered):
    """The grade grid's input reads "In <course zone>": a course in Los Angeles on a server set to New
    York schedules 9:00 am Los Angeles time, and the answer carries the course's offset."""
    from zoneinfo import ZoneInfo

    world.course.time_zone = "America/Los_Angeles"
    world.course.save(update_fields=["time_zone"])
    with at(datetime(2030, 2, 1, 12, 0, tzinfo=UTC)):
        response = api.as_user(world.instructor).post(
            f"/api/v1/assignments/{entered.ps0.id}/release-grades/", {"at": "2030-03-01T09:00"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json()["scheduled_for"] == "2030-03-01T09:00:00-08:00"
    release = GradeRelease.objects.get(assignment=entered.ps0)
    assert release.scheduled_for == datetime(2030, 3, 1, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    # A time with its offset means that instant, answered in the course's offset.
    with at(datetime(2030, 2, 1, 12, 0, tzinfo=UTC)):
        response = api.as_user(world.instructor).post(
            f"/api/v1/assignments/{entered.ps0.id}/release-grades/",
            {"at": "2030-03-01T17:30:00Z"},
            format="json",
        )
    assert response.json()["scheduled_for"] == "2030-03-01T09:30:00-08:00"


def test_scheduling_a_release_after_the_release_is_refused(world, api, entered):
    """Before, it answered 200 with the old times and the audit recorded a scheduled release."""
    from courses.models import AuditEvent

    url = f"/api/v1/assignments/{entered.ps0.id}/release-grades/"
    with at(datetime(2023, 2, 6, 9, 0, tzinfo=NY)):
        assert api.as_user(world.instructor).post(url, {}, format="json").status_code == 200
        audited = AuditEvent.objects.filter(action="grades.release").count()
        response = api.as_user(world.instructor).post(url, {"at": "2023-02-10T09:00:00-05:00"}, format="json")
    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "already_released"
    assert "released Mon Feb 6 2023, 9:00 am EST" in body["detail"]
    assert AuditEvent.objects.filter(action="grades.release").count() == audited
    assert GradeRelease.objects.get(assignment=entered.ps0).released_at == datetime(
        2023, 2, 6, 9, 0, tzinfo=NY
    )
