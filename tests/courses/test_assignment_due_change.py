"""PATCH /api/v1/assignments/{id}/: a new due time reaches every student's stored deadline (after commit,
through the recompute task), recomputing is idempotent, and a rolled-back change enqueues nothing."""

from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse

from courses import tasks
from courses.models import Assignment, EffectiveDeadline
from courses.services.assignments import assignment_update
from portal.errors import PortalError
from tests.courses.helpers import MINUTE, at, my_deadlines, row_of, snapshot, submit
from tests.factories import eastern

NEW_DUE = eastern(2023, 2, 19)


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


def patch(api, user, assignment, data):
    return api.as_user(user).patch(reverse("api-assignment", args=[assignment.id]), data, format="json")


def test_a_new_due_time_reaches_every_students_deadline(world, api, hw1, django_capture_on_commit_callbacks):
    other_rows = list(EffectiveDeadline.objects.exclude(assignment=hw1).order_by("id").values())
    with at(eastern(2023, 2, 10)), django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = patch(api, world.instructor, hw1, {"due_at": "2023-02-19T23:59:00-05:00"})
    assert response.status_code == 200, response.content
    assert response.json()["due_at"] == "2023-02-19T23:59:00-05:00"
    assert len(callbacks) == 1
    rows = EffectiveDeadline.objects.filter(assignment=hw1)
    assert {r.student.username for r in rows} == {"ug1", "ug2", "gr1"}
    for row in rows:
        assert (row.due_at, row.grace_ends_at, row.closes_at) == (
            NEW_DUE,
            eastern(2023, 2, 21),
            eastern(2023, 2, 21),
        )
    assert list(EffectiveDeadline.objects.exclude(assignment=hw1).order_by("id").values()) == other_rows
    with at(eastern(2023, 2, 13)):
        assert my_deadlines(api, world.gr1)["HW1"]["status"] == "open"


def test_a_naive_due_time_is_read_in_the_courses_zone(world, api, hw1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = patch(api, world.instructor, hw1, {"due_at": "2023-03-12T23:59"})
    assert response.json()["due_at"] == "2023-03-12T23:59:00-04:00"
    assert row_of(world.ug1, hw1).due_at == eastern(2023, 3, 12)
    assert row_of(world.ug1, hw1).grace_ends_at == eastern(2023, 3, 14)


def test_turning_grace_off_reaches_every_student(world, api, hw1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        patch(api, world.instructor, hw1, {"grace_allowed": False})
    assert {(r.grace_ends_at, r.closes_at) for r in EffectiveDeadline.objects.filter(assignment=hw1)} == {
        (None, eastern(2023, 2, 12))
    }


def test_a_students_extension_survives_a_change_of_the_class_due_time(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(world.instructor).post(
            reverse("api-extensions"),
            {
                "student": "gr1",
                "assignment": hw1.id,
                "due_at": "2023-02-22T23:59:00-05:00",
                "dean_reference": "D-9",
            },
            format="json",
        )
        patch(api, world.instructor, hw1, {"due_at": "2023-02-19T23:59:00-05:00"})
    assert row_of(world.gr1, hw1).due_at == eastern(2023, 2, 22)
    assert row_of(world.ug1, hw1).due_at == NEW_DUE

    # The class then gets more time than the extension gave: the extended student is never worse off.
    with django_capture_on_commit_callbacks(execute=True):
        patch(api, world.instructor, hw1, {"due_at": "2023-02-26T23:59:00-05:00"})
    with at(eastern(2023, 2, 24)):
        row = my_deadlines(api, world.gr1)["HW1"]
        accepted = submit(api, world.gr1, hw1)
    assert row["due_at"] == "2023-02-26T23:59:00-05:00"
    assert row["status"] == "open"
    assert row["extension_due_at"] is None
    assert accepted.json()["status"] == "submitted"
    assert row_of(world.gr1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED


def test_a_submission_is_re_evaluated_when_the_due_time_moves(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with at(eastern(2023, 2, 13, 9, 0)):
        submit(api, world.ug1, hw1)
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED_IN_GRACE
    with at(eastern(2023, 2, 13, 10, 0)):
        with django_capture_on_commit_callbacks(execute=True):
            patch(api, world.instructor, hw1, {"due_at": "2023-02-19T23:59:00-05:00"})
        assert my_deadlines(api, world.ug1)["HW1"]["status"] == "submitted"
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED


def test_running_the_recompute_task_twice_leaves_identical_rows(
    world, api, hw1, django_capture_on_commit_callbacks
):
    # Mixed rows: a shared window, an extension, an in-grace submission.
    with at(eastern(2023, 2, 13, 9, 0)):
        submit(api, world.ug1, hw1)
        with django_capture_on_commit_callbacks(execute=True):
            api.as_user(world.instructor).post(
                reverse("api-extensions"),
                {
                    "student": "gr1",
                    "assignment": hw1.id,
                    "due_at": "2023-02-22T23:59:00-05:00",
                    "dean_reference": "D",
                },
                format="json",
            )
    with at(eastern(2023, 2, 13, 10, 0)):
        with django_capture_on_commit_callbacks(execute=True):
            patch(api, world.instructor, hw1, {"due_at": "2023-02-12T20:00:00-05:00"})
        after_patch = snapshot(hw1)
        tasks.recompute_deadlines(assignment_id=hw1.id)
        once = snapshot(hw1)
        tasks.recompute_deadlines.delay(assignment_id=hw1.id)
        twice = snapshot(hw1)
    assert after_patch == once == twice
    assert len(twice) == 3
    assert {r["student_id"]: r["due_at"] for r in twice}[world.gr1.id] == eastern(2023, 2, 22)


def test_changing_nothing_that_moves_a_window_enqueues_nothing(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = patch(
            api, world.instructor, hw1, {"title": "Homework 1: MLPs", "due_at": "2023-02-12T23:59:00-05:00"}
        )
    assert response.status_code == 200
    assert callbacks == []


def test_a_rolled_back_change_enqueues_nothing(world, hw1, django_capture_on_commit_callbacks):
    before = snapshot(hw1)
    with (
        mock.patch.object(tasks.recompute_deadlines, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assignment_update(acting_user=world.instructor, assignment_id=hw1.id, due_at=NEW_DUE)
        raise RuntimeError("something after the change failed")
    assert callbacks == []
    delay.assert_not_called()
    assert Assignment.objects.get(pk=hw1.pk).due_at == eastern(2023, 2, 12)
    assert snapshot(hw1) == before


def test_a_committed_change_enqueues_the_recompute_once(world, hw1, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.recompute_deadlines, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        assignment_update(acting_user=world.instructor, assignment_id=hw1.id, due_at=NEW_DUE)
        delay.assert_not_called()  # not before commit
    delay.assert_called_once_with(assignment_id=hw1.id)


def test_an_invalid_change_stores_and_enqueues_nothing(world, api, hw1, django_capture_on_commit_callbacks):
    before = snapshot(hw1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = patch(
            api,
            world.instructor,
            hw1,
            {"release_at": "2023-02-20T09:00:00-05:00", "due_at": "2023-02-19T23:59:00-05:00"},
        )
    assert response.status_code == 400
    assert "due_at" in response.json()["fields"]
    assert callbacks == []
    assert Assignment.objects.get(pk=hw1.pk).due_at == eastern(2023, 2, 12)
    assert snapshot(hw1) == before
    with pytest.raises(PortalError):
        assignment_update(
            acting_user=world.instructor, assignment_id=hw1.id, team_size_max=0, team_size_min=2
        )


@pytest.mark.parametrize(("who", "status_code"), [("ta", 403), ("ug1", 403), ("other_ta", 404)])
def test_only_the_instructor_moves_a_due_time(
    world, api, hw1, who, status_code, django_capture_on_commit_callbacks
):
    before = snapshot(hw1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = patch(api, getattr(world, who), hw1, {"due_at": "2023-02-19T23:59:00-05:00"})
    assert response.status_code == status_code
    assert callbacks == []
    assert snapshot(hw1) == before
    with at(eastern(2023, 2, 12) + MINUTE):
        assert my_deadlines(api, world.ug1)["HW1"]["status"] == "grace"
