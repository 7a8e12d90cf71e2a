"""Stored deadlines are a cache that never misleads a student (issue 12, item 2).

Each stored row knows which inputs it was computed from (`inputs_key`); when the recompute task never ran
(broker down, worker killed) a read finds the row stale and computes the window from the rules, so the
API, the page and the calendar feed show the new time at once. The reconciliation task repairs the rows.
"""

import logging
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from courses import tasks
from courses.models import Assignment, Course, EffectiveDeadline, Enrolment, Extension
from courses.services import deadlines
from courses.services.deadlines import deadline_recompute
from tests.courses.helpers import at, build_course, deadline_row_html, my_deadlines, row_of
from tests.factories import EnrolmentFactory, UserFactory, eastern

NOW = eastern(2023, 2, 1, 12, 0)  # before HW1 is due (Sun Feb 12 2023 11:59 pm EST)


def hw1_of(world) -> Assignment:
    return world.course.assignments.get(code="HW1")


def page_row(client, user, code: str) -> str:
    client.force_login(user)
    html = client.get(reverse("my-deadlines")).content.decode()
    return deadline_row_html(html, code)


def feed_events(client, user) -> dict:
    user.refresh_from_db()
    response = client.get(reverse("calendar-feed", kwargs={"token": user.calendar_token}))
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]): e.decoded("DTSTART") for e in cal.walk("VEVENT")}


def assert_everywhere(api, client, user, *, due, grace_end, code="HW1", extension=False):
    """The API, the page and the calendar feed all show `due` and `grace_end`."""
    with at(NOW):
        row = my_deadlines(api, user)[code]
        html = page_row(client, user, code)
        events = feed_events(client, user)
    assert row["due_at"] == due.isoformat()
    assert row["grace_ends_at"] == (grace_end.isoformat() if grace_end else None)
    assert row["closes_at"] == (grace_end or due).isoformat()
    assert (row["extension_due_at"] is not None) == extension
    assert f'<time datetime="{due.astimezone(UTC).isoformat()}"' in html
    if grace_end:
        assert f'<time datetime="{grace_end.astimezone(UTC).isoformat()}"' in html
    else:
        assert "No grace period" in html
    due_label = f"{code} due" + (" (extension)" if extension else "")
    assert events[due_label] == due
    assert events.get(f"{code} grace period ends") == grace_end


# ---- reads compute stale rows from the rules ------------------------------------------------------------


def test_a_due_change_written_straight_to_the_database_shows_at_once(world, api, client):
    hw1 = hw1_of(world)
    Assignment.objects.filter(pk=hw1.pk).update(due_at=eastern(2023, 2, 19))
    assert row_of(world.ug1, hw1).due_at == eastern(2023, 2, 12)  # the task never ran: the row is stale
    assert_everywhere(api, client, world.ug1, due=eastern(2023, 2, 19), grace_end=eastern(2023, 2, 21))


def test_a_due_change_through_the_api_whose_task_never_ran_shows_at_once(world, api, client):
    hw1 = hw1_of(world)
    with at(NOW):
        response = api.as_user(world.instructor).patch(
            reverse("api-assignment", args=[hw1.id]), {"due_at": "2023-02-19T23:59:00-05:00"}, format="json"
        )
    assert response.status_code == 200, response.content
    # No django_capture_on_commit_callbacks(execute=True): the recompute task did not run.
    assert row_of(world.gr1, hw1).due_at == eastern(2023, 2, 12)
    assert_everywhere(api, client, world.gr1, due=eastern(2023, 2, 19), grace_end=eastern(2023, 2, 21))


def test_turning_grace_off_without_the_task_shows_at_once(world, api, client):
    Assignment.objects.filter(pk=hw1_of(world).pk).update(grace_allowed=False)
    assert_everywhere(api, client, world.ug2, due=eastern(2023, 2, 12), grace_end=None)


def test_an_extension_whose_task_never_ran_shows_at_once(world, api, client):
    hw1 = hw1_of(world)
    with at(NOW):
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"),
            {
                "student": "ug1",
                "assignment": hw1.id,
                "due_at": "2023-02-22T23:59:00-05:00",
                "dean_reference": "D-1",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    assert row_of(world.ug1, hw1).extension_due_at is None
    assert_everywhere(
        api, client, world.ug1, due=eastern(2023, 2, 22), grace_end=eastern(2023, 2, 24), extension=True
    )
    # Another student keeps the class's window.
    assert_everywhere(api, client, world.ug2, due=eastern(2023, 2, 12), grace_end=eastern(2023, 2, 14))


def test_a_revoked_extension_whose_task_never_ran_shows_the_class_window(world, api, client):
    hw1 = hw1_of(world)
    Extension.objects.create(
        student=world.ug1,
        assignment=hw1,
        due_at=eastern(2023, 2, 22),
        dean_reference="D-2",
        granted_by=world.instructor,
        granted_at=NOW,
    )
    deadline_recompute(assignment_id=hw1.id)
    assert row_of(world.ug1, hw1).extension_due_at == eastern(2023, 2, 22)
    Extension.objects.filter(student=world.ug1).delete()
    assert_everywhere(api, client, world.ug1, due=eastern(2023, 2, 12), grace_end=eastern(2023, 2, 14))


def test_a_course_policy_change_shows_at_once(world, api, client):
    Course.objects.filter(pk=world.course.pk).update(grace_days=3)
    assert_everywhere(api, client, world.ug1, due=eastern(2023, 2, 12), grace_end=eastern(2023, 2, 15))


def test_a_time_zone_change_shows_at_once(world, api):
    hw1 = hw1_of(world)
    Assignment.objects.filter(pk=hw1.pk).update(due_at=eastern(2023, 3, 24))  # Fri Mar 24 03:59 UTC next day
    deadline_recompute(assignment_id=hw1.id)
    Course.objects.filter(pk=world.course.pk).update(time_zone="Europe/London")
    with at(NOW):
        row = my_deadlines(api, world.ug1)["HW1"]
    # "2 days" is now counted on London's wall clock, which springs forward on Mar 26 (New York's did on
    # Mar 12): the grace period ends an hour earlier than New York's count.
    assert datetime.fromisoformat(row["due_at"]) == eastern(2023, 3, 24)
    assert row["grace_ends_at"] == "2023-03-27T03:59:00+01:00"  # New York's count: 2023-03-27T04:59+01:00


def test_a_dropped_then_re_enrolled_student_sees_todays_window(world, api, client):
    hw1 = hw1_of(world)
    enrolment = Enrolment.objects.get(user=world.ug1)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.DROPPED)
    with at(NOW):
        assert "HW1" not in my_deadlines(api, world.ug1)
    # While they were away the due time moved; none of the follow-up tasks ran.
    Assignment.objects.filter(pk=hw1.pk).update(due_at=eastern(2023, 2, 19))
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.ENROLLED)
    assert row_of(world.ug1, hw1).due_at == eastern(2023, 2, 12)
    assert_everywhere(api, client, world.ug1, due=eastern(2023, 2, 19), grace_end=eastern(2023, 2, 21))


def test_a_stale_submitted_row_reads_against_the_new_window(world, api):
    hw1 = hw1_of(world)
    EffectiveDeadline.objects.filter(student=world.ug1, assignment=hw1).update(
        last_submitted_at=eastern(2023, 2, 13, 12, 0), outcome=EffectiveDeadline.Outcome.SUBMITTED_IN_GRACE
    )
    Assignment.objects.filter(pk=hw1.pk).update(due_at=eastern(2023, 2, 19))
    with at(eastern(2023, 2, 14, 12, 0)):
        row = my_deadlines(api, world.ug1)["HW1"]
    assert row["status"] == "submitted"  # on time against the new due time
    assert row["submitted_at"] is not None


def test_the_staff_overview_reads_stale_rows_from_the_rules(world, client):
    hw1 = hw1_of(world)
    Assignment.objects.filter(pk=hw1.pk).update(due_at=eastern(2023, 1, 10))  # moved into the past
    client.force_login(world.instructor)
    with at(NOW):
        response = client.get(reverse("assignment-overview", args=[hw1.id]))
    assert response.status_code == 200
    assert "ug1" in response.content.decode()
    from courses.selectors import submission_overview

    hw1.refresh_from_db()
    with at(NOW):
        overview = submission_overview(hw1, user=world.instructor)
    assert {r.student.username for r in overview.missing} == {"ug1", "ug2", "gr1"}
    assert {r.closes_at for r in overview.missing} == {eastern(2023, 1, 12)}
    assert overview.not_yet == []


def test_fresh_rows_carry_the_key_of_their_inputs(world):
    assert not EffectiveDeadline.objects.filter(inputs_key="").exists()
    keys = set(
        EffectiveDeadline.objects.filter(assignment=hw1_of(world)).values_list("inputs_key", flat=True)
    )
    assert len(keys) == 1  # the class shares one window, so one key


# ---- query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("assignments", "students"), [(2, 3), (30, 50)])
def test_stale_rows_cost_no_extra_queries(db, api, django_assert_num_queries, assignments, students):
    course, people = build_course(assignments=assignments, students=students)
    Assignment.objects.filter(course=course).update(grace_allowed=False)  # every row stale
    EffectiveDeadline.objects.filter(student=people[0], assignment__code__gt="A01").delete()
    with at(eastern(2023, 1, 1)), django_assert_num_queries(2):
        response = api.as_user(people[0]).get(reverse("api-my-deadlines"))
    assert response.status_code == 200
    assert {r["grace_ends_at"] for r in response.json()} == {None}


# ---- reconciliation -------------------------------------------------------------------------------------


def test_reconciliation_repairs_drift_and_a_second_run_fixes_nothing(world, caplog):
    hw1, ps0 = hw1_of(world), world.course.assignments.get(code="PS0")
    Assignment.objects.filter(pk=hw1.pk).update(due_at=eastern(2023, 2, 19))  # 3 stale rows
    Extension.objects.create(
        student=world.gr1,
        assignment=ps0,
        due_at=eastern(2023, 1, 20),
        dean_reference="D-3",
        granted_by=world.instructor,
        granted_at=NOW,
    )  # 1 stale row
    newcomer = EnrolmentFactory(
        user=UserFactory(username="newcomer"), section=world.ug_section
    ).user  # 2 missing
    EffectiveDeadline.objects.filter(student=world.ug1, assignment=ps0).update(inputs_key="")  # 1 never keyed
    dropped = Enrolment.objects.get(user=world.ug2)
    Enrolment.objects.filter(pk=dropped.pk).update(status=Enrolment.Status.DROPPED)  # ug2's 2 rows go

    with caplog.at_level(logging.INFO, logger="courses.services.deadlines"), at(NOW):
        fixed = tasks.reconcile_deadlines()
    # HW1: ug1, gr1 (due moved), ug2 (dropped), newcomer (missing); PS0: gr1 (extension), ug1 (no key),
    # ug2 (dropped), newcomer (missing).
    assert fixed == 8
    assert any("reconcil" in r.getMessage() and str(fixed) in r.getMessage() for r in caplog.records)

    assert row_of(world.ug1, hw1).due_at == eastern(2023, 2, 19)
    assert row_of(world.gr1, hw1).grace_ends_at == eastern(2023, 2, 21)
    assert row_of(world.gr1, ps0).due_at == eastern(2023, 1, 20)
    assert row_of(newcomer, hw1).due_at == eastern(2023, 2, 19)
    assert not EffectiveDeadline.objects.filter(student=world.ug2).exists()
    assert not EffectiveDeadline.objects.filter(inputs_key="").exists()

    with at(NOW):
        assert deadlines.deadline_reconcile() == 0


def test_reconciliation_of_a_policy_change_rewrites_the_whole_course(world):
    Course.objects.filter(pk=world.course.pk).update(grace_days=3)
    with at(NOW):
        assert deadlines.deadline_reconcile() == 6  # 3 students x 2 assignments
        assert deadlines.deadline_reconcile() == 0
    assert row_of(world.ug1, hw1_of(world)).grace_ends_at == eastern(2023, 2, 15)


def test_reconciliation_is_in_the_beat_schedule(settings):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("reconcile_deadlines")]
    assert entries, "the reconciliation task runs periodically"


def test_the_overview_of_an_assignment_without_a_due_time_is_empty(world, api):
    """Participation has no due time: its overview lists nobody (it answered 500 when a stored row was
    left from an earlier due time)."""
    from courses.models import Assignment

    hw1 = Assignment.objects.get(course=world.course, code="HW1")
    Assignment.objects.filter(pk=hw1.pk).update(due_at=None)  # rows stored for the old due time stay

    response = api.as_user(world.instructor).get(reverse("api-assignment-overview", args=[hw1.id]))

    assert response.status_code == 200, response.content
    body = response.json()
    assert all(body[k] == [] for k in ("on_time", "in_grace", "not_yet", "missing"))
