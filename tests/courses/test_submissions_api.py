"""POST /api/v1/assignments/{id}/submissions/: the window is checked at the moment of submission, the
collaborator declaration and honor statement are required, and every refusal stores nothing."""

from types import SimpleNamespace

import pytest

from courses.models import AuditEvent, EffectiveDeadline, Submission
from tests.courses.helpers import MINUTE, at, my_deadlines, row_of, snapshot, submit
from tests.factories import eastern

HW1_DUE = eastern(2023, 2, 12)
HW1_GRACE_END = eastern(2023, 2, 14)
PS0_DUE = eastern(2023, 1, 15)


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


@pytest.fixture
def ps0(world):
    return world.course.assignments.get(code="PS0")


def assert_refused_and_nothing_stored(response, status_code, before, assignment):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert body["detail"]
    assert not Submission.objects.exists()
    assert snapshot(assignment) == before
    assert not AuditEvent.objects.filter(action="submission.create").exists()
    return body


# ---- timing --------------------------------------------------------------------------------------------


def test_on_time_submission_is_submitted(world, api, hw1):
    with at(HW1_DUE - MINUTE):
        response = submit(api, world.ug1, hw1)
        rows = my_deadlines(api, world.ug1)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["timing"] == "on_time"
    assert body["submitted_at"] == "2023-02-12T23:58:00-05:00"
    assert body["assignment"] == hw1.id
    assert body["collaborators"] == []
    submission = Submission.objects.get()
    assert (submission.student, submission.honor_statement_accepted) == (world.ug1, True)
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED
    assert rows["HW1"]["status"] == "submitted"
    assert rows["HW1"]["submitted_at"] == "2023-02-12T23:58:00-05:00"


def test_submission_exactly_at_the_due_minute_is_on_time(world, api, hw1):
    with at(HW1_DUE):
        response = submit(api, world.ug1, hw1)
    assert response.json()["status"] == "submitted"


@pytest.mark.parametrize("moment", [HW1_DUE + MINUTE, HW1_GRACE_END - MINUTE, HW1_GRACE_END])
def test_submission_in_the_grace_period_is_submitted_in_grace(world, api, hw1, moment):
    with at(moment):
        response = submit(api, world.ug1, hw1)
        row = my_deadlines(api, world.ug1)["HW1"]
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "submitted_in_grace"
    assert response.json()["timing"] == "in_grace"
    assert row["status"] == "submitted_in_grace"
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED_IN_GRACE
    assert row_of(world.ug1, hw1).penalty_percent == 0  # grace costs nothing


def test_one_minute_after_the_grace_period_the_window_is_closed(world, api, hw1):
    before = snapshot(hw1)
    with at(HW1_GRACE_END + MINUTE):
        response = submit(api, world.ug1, hw1)
    body = assert_refused_and_nothing_stored(response, 400, before, hw1)
    assert body["code"] == "window_closed"
    assert "Tue Feb 14 2023, 11:59 pm EST" in body["detail"]
    assert "Dean of Students" in body["detail"]
    assert body["fields"]["closes_at"] == "2023-02-14T23:59:00-05:00"  # in the course's offset, as every time


def test_ps0_has_no_grace_one_minute_late_is_closed(world, api, ps0):
    before = snapshot(ps0)
    with at(PS0_DUE + MINUTE):
        response = submit(api, world.ug1, ps0)
    body = assert_refused_and_nothing_stored(response, 400, before, ps0)
    assert body["code"] == "window_closed"
    assert "Sun Jan 15 2023, 11:59 pm EST" in body["detail"]
    assert "Dean of Students" in body["detail"]


def test_resubmitting_keeps_the_latest_time(world, api, hw1):
    with at(HW1_DUE - MINUTE):
        submit(api, world.ug1, hw1)
    with at(HW1_DUE + MINUTE):
        response = submit(api, world.ug1, hw1)
        row = my_deadlines(api, world.ug1)["HW1"]
    assert response.json()["status"] == "submitted_in_grace"
    assert Submission.objects.filter(student=world.ug1).count() == 2
    assert row["submitted_at"] == "2023-02-13T00:00:00-05:00"


# ---- collaborators and honor statement -----------------------------------------------------------------


def test_collaborators_are_listed_by_username(world, api, hw1):
    with at(HW1_DUE - MINUTE):
        as_list = submit(api, world.ug1, hw1, collaborators=["ug2", "gr1"])
        as_text = submit(api, world.ug2, hw1, collaborators="ug1, gr1")
    assert as_list.status_code == 201, as_list.content
    assert as_list.json()["collaborators"] == ["gr1", "ug2"]
    assert as_text.json()["collaborators"] == ["gr1", "ug1"]
    assert {u.username for u in Submission.objects.get(student=world.ug1).collaborators.all()} == {
        "ug2",
        "gr1",
    }


def test_ps0_refuses_collaborators(world, api, ps0):
    before = snapshot(ps0)
    with at(PS0_DUE - MINUTE):
        response = submit(api, world.ug1, ps0, collaborators=["ug2"])
    body = assert_refused_and_nothing_stored(response, 400, before, ps0)
    assert "collaborators" in body["fields"]
    assert "PS0" in body["detail"]


def test_ps0_alone_is_accepted(world, api, ps0):
    with at(PS0_DUE - MINUTE):
        response = submit(api, world.ug1, ps0)
    assert response.status_code == 201, response.content


def test_a_missing_collaborator_declaration_is_refused(world, api, hw1):
    before = snapshot(hw1)
    with at(HW1_DUE - MINUTE):
        response = submit(api, world.ug1, hw1, alone=False)
    body = assert_refused_and_nothing_stored(response, 400, before, hw1)
    assert "collaborators" in body["fields"]


@pytest.mark.parametrize("names", [["nobody"], ["ug2", "nobody"], ["other_student"], ["instructor"]], ids=str)
def test_collaborators_must_be_students_of_the_course(world, api, hw1, names):
    before = snapshot(hw1)
    with at(HW1_DUE - MINUTE):
        response = submit(api, world.ug1, hw1, collaborators=names)
    body = assert_refused_and_nothing_stored(response, 400, before, hw1)
    unknown = [n for n in names if n != "ug2"]
    assert all(n in body["fields"]["collaborators"] for n in unknown)


def test_listing_yourself_is_refused(world, api, hw1):
    before = snapshot(hw1)
    with at(HW1_DUE - MINUTE):
        response = submit(api, world.ug1, hw1, collaborators=["ug1"])
    assert "collaborators" in assert_refused_and_nothing_stored(response, 400, before, hw1)["fields"]


@pytest.mark.parametrize("honor", [False, None], ids=["declined", "missing"])
def test_the_honor_statement_must_be_accepted(world, api, hw1, honor):
    before = snapshot(hw1)
    with at(HW1_DUE - MINUTE):
        response = submit(api, world.ug1, hw1, honor=honor)
    body = assert_refused_and_nothing_stored(response, 400, before, hw1)
    assert "honor_statement_accepted" in body["fields"]


def test_a_file_is_required(world, api, hw1):
    before = snapshot(hw1)
    with at(HW1_DUE - MINUTE):
        response = submit(api, world.ug1, hw1, file=False)
    assert "file" in assert_refused_and_nothing_stored(response, 400, before, hw1)["fields"]


# ---- who may submit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status_code"),
    [("ta", 403), ("instructor", 403), ("other_student", 404), ("other_ta", 404)],
)
def test_only_the_courses_students_submit(world, api, hw1, who, status_code):
    before = snapshot(hw1)
    with at(HW1_DUE - MINUTE):
        response = submit(api, getattr(world, who), hw1)
    assert_refused_and_nothing_stored(response, status_code, before, hw1)


def test_an_unknown_assignment_is_not_found(world, api):
    with at(HW1_DUE - MINUTE):
        response = submit(api, world.ug1, SimpleNamespace(id=10_000_000))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
