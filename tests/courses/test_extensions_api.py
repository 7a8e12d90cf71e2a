"""POST /api/v1/extensions/: the instructor grants more time on the Dean of Students' confirmation; the
portal keeps no medical information; the student's window (and any earlier submission) follows."""

import pytest
from django.urls import reverse

from courses.models import AuditEvent, EffectiveDeadline, Extension
from tests.courses.helpers import MINUTE, at, my_deadlines, row_of, snapshot, submit
from tests.factories import eastern

HW1_DUE = eastern(2023, 2, 12)
HW1_GRACE_END = eastern(2023, 2, 14)
EXTENDED = "2023-02-19T23:59:00-05:00"
SECRET = "diagnosed with something private"


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


def grant(
    api, user, assignment_id, *, student="ug1", due_at=EXTENDED, dean_reference="DoS-2023-0142", **extra
):
    data = {
        "student": student,
        "assignment": assignment_id,
        "due_at": due_at,
        "dean_reference": dean_reference,
    }
    return api.as_user(user).post(reverse("api-extensions"), {**data, **extra}, format="json")


def test_the_instructor_grants_an_extension(world, api, hw1, django_capture_on_commit_callbacks):
    with at(eastern(2023, 2, 10, 12, 0)), django_capture_on_commit_callbacks(execute=True):
        response = grant(api, world.instructor, hw1.id)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["student"] == "ug1"
    assert body["assignment"] == hw1.id
    assert body["due_at"] == EXTENDED
    assert body["dean_reference"] == "DoS-2023-0142"
    assert body["granted_by"] == "instructor"
    assert body["granted_at"] == "2023-02-10T12:00:00-05:00"
    extension = Extension.objects.get()
    assert (extension.student, extension.granted_by) == (world.ug1, world.instructor)
    # The student's stored deadline follows; classmates keep the class's.
    assert row_of(world.ug1, hw1).due_at == eastern(2023, 2, 19)
    assert row_of(world.ug1, hw1).extension_due_at == eastern(2023, 2, 19)
    assert row_of(world.ug2, hw1).due_at == HW1_DUE


def test_no_medical_details_are_asked_for_or_stored(world, api, hw1, django_capture_on_commit_callbacks):
    model_fields = {f.name for f in Extension._meta.get_fields()}
    assert model_fields == {
        "id",
        "student",
        "assignment",
        "due_at",
        "dean_reference",
        "granted_by",
        "granted_at",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = grant(api, world.instructor, hw1.id, medical_details=SECRET, reason=SECRET, notes=SECRET)
    assert response.status_code == 201, response.content
    assert SECRET not in response.content.decode()
    assert set(response.json()) == {
        "id",
        "student",
        "assignment",
        "due_at",
        "dean_reference",
        "granted_by",
        "granted_at",
    }
    assert not any(SECRET in str(value) for value in Extension.objects.values().get().values())
    assert not any(SECRET in str(event.data) + event.target for event in AuditEvent.objects.all())
    listed = api.as_user(world.instructor).get(reverse("api-extensions"))
    assert SECRET not in listed.content.decode()


@pytest.mark.parametrize(
    ("who", "status_code"), [("ta", 403), ("ug1", 403), ("other_ta", 404), ("other_student", 404)]
)
def test_only_the_courses_instructor_grants(
    world, api, hw1, who, status_code, django_capture_on_commit_callbacks
):
    before = snapshot(hw1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = grant(api, getattr(world, who), hw1.id)
    assert response.status_code == status_code, response.content
    assert set(response.json()) == {"detail", "code", "fields"}
    assert not Extension.objects.exists()
    assert snapshot(hw1) == before
    assert callbacks == []


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"student": "nobody"}, {"student"}),
        ({"student": "other_student"}, {"student"}),  # not a student of this course
        ({"student": "ta1"}, {"student"}),
        ({"due_at": "2023-02-11T23:59:00-05:00"}, {"due_at"}),  # before the original due time
        ({"due_at": "2023-02-12T23:59:00-05:00"}, {"due_at"}),  # the original due time itself
        ({"dean_reference": ""}, {"dean_reference"}),
        ({"dean_reference": "   "}, {"dean_reference"}),
        ({"due_at": "next friday"}, {"due_at"}),
        ({"student": "nobody", "due_at": "2023-02-01T12:00:00-05:00"}, {"student", "due_at"}),
    ],
    ids=[
        "unknown-student",
        "other-course-student",
        "staff-not-student",
        "before-original",
        "equal-to-original",
        "blank-reference",
        "whitespace-reference",
        "unparseable-due",
        "two-errors-at-once",
    ],
)
def test_bad_input_names_each_field_and_stores_nothing(
    world, api, hw1, changes, bad_fields, django_capture_on_commit_callbacks
):
    before = snapshot(hw1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = grant(api, world.instructor, hw1.id, **changes)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert set(body["fields"]) == bad_fields
    assert all(body["fields"][name] for name in bad_fields)
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="extension").exists()
    assert snapshot(hw1) == before
    assert callbacks == []


def test_missing_fields_are_named(world, api):
    response = api.as_user(world.instructor).post(reverse("api-extensions"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"student", "assignment", "due_at", "dean_reference"}
    assert not Extension.objects.exists()


def test_an_extension_granted_after_a_closed_window_lets_the_student_submit(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with at(HW1_GRACE_END + MINUTE):
        refused = submit(api, world.ug1, hw1)
        assert refused.status_code == 400 and refused.json()["code"] == "window_closed"
        assert my_deadlines(api, world.ug1)["HW1"]["status"] == "closed"
        with django_capture_on_commit_callbacks(execute=True):
            assert grant(api, world.instructor, hw1.id).status_code == 201
        row = my_deadlines(api, world.ug1)["HW1"]
        assert row["status"] == "open"
        assert row["due_at"] == row["extension_due_at"] == EXTENDED
        accepted = submit(api, world.ug1, hw1)
        # The classmate without an extension is still refused.
        assert submit(api, world.ug2, hw1).json()["code"] == "window_closed"
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["status"] == "submitted"
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED


def test_an_extension_after_a_grace_submission_re_evaluates_it(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with at(eastern(2023, 2, 13, 10, 0)):
        assert submit(api, world.ug1, hw1).json()["status"] == "submitted_in_grace"
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED_IN_GRACE
    with at(eastern(2023, 2, 14, 9, 0)):
        with django_capture_on_commit_callbacks(execute=True):
            assert grant(api, world.instructor, hw1.id, due_at="2023-02-13T23:59:00-05:00").status_code == 201
        row = my_deadlines(api, world.ug1)["HW1"]
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED
    assert row["status"] == "submitted"
    assert row["submitted_at"] == "2023-02-13T10:00:00-05:00"


def test_an_extension_that_does_not_cover_the_submission_leaves_it_in_grace(
    world, api, hw1, django_capture_on_commit_callbacks
):
    with at(eastern(2023, 2, 14, 10, 0)):
        submit(api, world.ug1, hw1)
        with django_capture_on_commit_callbacks(execute=True):
            grant(api, world.instructor, hw1.id, due_at="2023-02-13T23:59:00-05:00")
        assert my_deadlines(api, world.ug1)["HW1"]["status"] == "submitted_in_grace"
    assert row_of(world.ug1, hw1).outcome == EffectiveDeadline.Outcome.SUBMITTED_IN_GRACE


def test_grace_follows_the_extended_due_time_across_dst(world, api, hw1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        grant(api, world.instructor, hw1.id, due_at="2023-03-10T23:59:00-05:00")  # Fri, EST
    with at(eastern(2023, 3, 12, 23, 0)):
        row = my_deadlines(api, world.ug1)["HW1"]
        in_grace = submit(api, world.ug1, hw1)
    assert row["due_at"] == "2023-03-10T23:59:00-05:00"
    assert row["grace_ends_at"] == row["closes_at"] == "2023-03-12T23:59:00-04:00"  # Sun, EDT
    assert row["status"] == "grace"
    assert in_grace.json()["status"] == "submitted_in_grace"
    with at(eastern(2023, 3, 13, 0, 0)):
        assert submit(api, world.ug1, hw1).json()["code"] == "window_closed"


def test_granting_again_changes_the_same_extension(world, api, hw1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        grant(api, world.instructor, hw1.id)
        grant(api, world.instructor, hw1.id, due_at="2023-02-21T23:59:00-05:00", dean_reference="DoS-2")
    extension = Extension.objects.get()
    assert (extension.due_at, extension.dean_reference) == (eastern(2023, 2, 21), "DoS-2")
    assert row_of(world.ug1, hw1).due_at == eastern(2023, 2, 21)
    assert [e.action for e in AuditEvent.objects.order_by("id") if e.action.startswith("extension")] == [
        "extension.grant",
        "extension.change",
    ]
    # Every grant stays on record whole: the change keeps the Dean's reference and due time it replaced.
    granted, changed = AuditEvent.objects.filter(action__startswith="extension").order_by("id")
    assert granted.data["dean_reference"] == "DoS-2023-0142"
    assert changed.data["dean_reference"] == "DoS-2"
    assert changed.data["previous"]["dean_reference"] == "DoS-2023-0142"
    assert changed.data["previous"]["granted_by"] == "instructor"
    assert changed.data["previous"]["due_at"] == granted.data["due_at"]


def test_a_student_sees_only_their_own_extensions(world, api, hw1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        grant(api, world.instructor, hw1.id, student="ug1")
        grant(api, world.instructor, hw1.id, student="gr1")
    as_ug1 = api.as_user(world.ug1).get(reverse("api-extensions")).json()["results"]
    as_ug2 = api.as_user(world.ug2).get(reverse("api-extensions")).json()["results"]
    as_instructor = api.as_user(world.instructor).get(reverse("api-extensions")).json()["results"]
    assert [e["student"] for e in as_ug1] == ["ug1"]
    assert as_ug2 == []
    assert sorted(e["student"] for e in as_instructor) == ["gr1", "ug1"]


# ---- revoking ----------------------------------------------------------------------------------------


def test_revoking_an_extension_returns_the_class_window_and_is_audited(
    world, api, django_capture_on_commit_callbacks
):

    hw1 = world.course.assignments.get(code="HW1")
    with django_capture_on_commit_callbacks(execute=True):
        granted = api.as_user(world.instructor).post(
            reverse("api-extensions"),
            {
                "student": "ug1",
                "assignment": hw1.id,
                "due_at": "2023-02-20T23:59:00-05:00",
                "dean_reference": "DOS-1",
            },
            format="json",
        )
    assert granted.status_code == 201, granted.content
    extension_id = granted.json()["id"]
    for someone in (world.ug1, world.ta, world.other_ta):
        assert api.as_user(someone).delete(reverse("api-extension", args=[extension_id])).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(world.instructor).delete(reverse("api-extension", args=[extension_id]))

    assert response.status_code == 204
    assert not Extension.objects.filter(pk=extension_id).exists()
    event = AuditEvent.objects.get(action="extension.revoke")
    assert (event.actor, event.course, event.data["dean_reference"]) == (
        world.instructor,
        world.course,
        "DOS-1",
    )
    with at(eastern(2023, 2, 1)):
        row = my_deadlines(api, world.ug1)["HW1"]
    assert row["extension_due_at"] is None
    assert row["due_at"] == "2023-02-12T23:59:00-05:00"
    assert (
        api.as_user(world.instructor).delete(reverse("api-extension", args=[extension_id])).status_code == 404
    )
