"""Every write endpoint refuses bad input with a field-level JSON error and changes nothing.

Each case snapshots every row a write could touch, sends the bad request, and compares: a 400 (or
403/404 for someone without the right) must leave the database exactly as it was and enqueue no task.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from courses.models import (
    ApiToken,
    Assignment,
    AuditEvent,
    EffectiveDeadline,
    Enrolment,
    Extension,
    Submission,
    User,
)
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    SectionFactory,
    StaffRoleFactory,
    UserFactory,
    eastern,
)

NY = ZoneInfo("America/New_York")
SNAPSHOT_MODELS = [Assignment, Extension, Submission, EffectiveDeadline, AuditEvent, Enrolment, ApiToken]


def snapshot() -> dict:
    """Every row a write endpoint could touch, as plain values."""
    data = {
        model.__name__: [model_to_dict(row) for row in model.objects.order_by("pk")]
        for model in SNAPSHOT_MODELS
    }
    data["User"] = [
        {k: v for k, v in model_to_dict(u).items() if k != "last_login"} for u in User.objects.order_by("pk")
    ]
    data["Submission.collaborators"] = list(
        Submission.collaborators.through.objects.order_by("pk").values_list("submission_id", "user_id")
    )
    return data


@pytest.fixture
def unchanged(django_capture_on_commit_callbacks):
    """`with unchanged(): ...` asserts that the block leaves the database as it was and enqueues nothing."""

    class Guard:
        def __enter__(self):
            self.before = snapshot()
            self.capture = django_capture_on_commit_callbacks(execute=False)
            self.callbacks = self.capture.__enter__()
            return self

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            if exc[0] is None:
                assert snapshot() == self.before, "a refused request changed the database"
                assert self.callbacks == [], "a refused request enqueued a task"
            return False

    return Guard


def assert_bad_input(response, field: str, *, code: str | None = None, status: int = 400) -> dict:
    """400 in the one error shape, with a message for `field` and a `detail` a person can act on."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert field in body["fields"], body
    message = body["fields"][field]
    assert isinstance(message, str) and len(message) > 5, body
    assert isinstance(body["code"], str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    detail = body["detail"]
    assert isinstance(detail, str) and len(detail) > 10, body
    # The detail either quotes a field's message with the field's name, or is a sentence of its own.
    named = any(detail == f"{name}: {msg}" for name, msg in body["fields"].items())
    assert named or detail in body["fields"].values() or detail.endswith((".", "?")), body
    return body


def assert_refused(response, statuses=(403, 404)) -> dict:
    assert response.status_code in statuses, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert body["code"] in ("permission_denied", "not_found"), body
    return body


# ---- POST /api/v1/courses/{id}/assignments/ ---------------------------------------------------------

VALID_ASSIGNMENT = {
    "code": "HW2",
    "title": "Homework 2: CNNs in PyTorch",
    "category": "homework",
    "points": "100",
    "weight": "9",
    "release_at": "2023-02-26T09:00:00-05:00",
    "due_at": "2023-03-12T23:59:00-04:00",
}


def create_url(world):
    return reverse("api-course-assignments", args=[world.course.id])


def test_a_valid_assignment_is_created(world, api):
    """The baseline the bad cases below differ from by one field."""
    response = api.as_user(world.instructor).post(create_url(world), VALID_ASSIGNMENT, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "HW2"
    assert world.course.assignments.filter(code="HW2").exists()


@pytest.mark.parametrize("missing", ["code", "title", "category"])
def test_create_missing_required_field(world, api, unchanged, missing):
    body = {k: v for k, v in VALID_ASSIGNMENT.items() if k != missing}
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), body, format="json")
    result = assert_bad_input(response, missing, code="required")
    assert "required" in result["fields"][missing].lower()


def test_create_with_empty_body_names_every_missing_field(world, api, unchanged):
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), {}, format="json")
    body = assert_bad_input(response, "code", code="required")
    assert {"code", "title", "category"} <= set(body["fields"])


@pytest.mark.parametrize(
    "field,value,hint",
    [
        ("points", "lots", "number"),
        ("weight", "heavy", "number"),
        ("team_size_min", "two", "integer"),
        ("team_size_max", 2.5, "integer"),
        ("grace_allowed", "maybe", "boolean"),
        ("collaboration_allowed", [True], "boolean"),
        ("code", ["HW2"], "string"),
        ("title", {"text": "x"}, "string"),
    ],
)
def test_create_with_wrong_types(world, api, unchanged, field, value, hint):
    with unchanged():
        response = api.as_user(world.instructor).post(
            create_url(world), {**VALID_ASSIGNMENT, field: value}, format="json"
        )
    body = assert_bad_input(response, field, code="invalid")
    assert hint in body["fields"][field].lower()


def test_create_due_before_release(world, api, unchanged):
    body = {**VALID_ASSIGNMENT, "release_at": "2023-03-13T09:00:00-04:00"}
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), body, format="json")
    result = assert_bad_input(response, "due_at")
    assert "before the release" in result["fields"]["due_at"]
    assert "move" in result["detail"]


def test_create_team_size_min_above_max(world, api, unchanged):
    body = {**VALID_ASSIGNMENT, "team_size_min": 4, "team_size_max": 3}
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), body, format="json")
    result = assert_bad_input(response, "team_size_max")
    assert "smaller than the smallest" in result["fields"]["team_size_max"]


def test_create_team_size_min_above_default_max(world, api, unchanged):
    body = {**VALID_ASSIGNMENT, "team_size_min": 3}
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), body, format="json")
    assert_bad_input(response, "team_size_max")


def test_create_duplicate_code(world, api, unchanged):
    body = {**VALID_ASSIGNMENT, "code": "PS0"}
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), body, format="json")
    result = assert_bad_input(response, "code")
    assert "already" in result["fields"]["code"]
    assert "choose another code" in result["detail"]


def test_the_same_code_in_another_course_is_fine(world, api):
    StaffRoleFactory(user=world.instructor, course=world.other_course, role="instructor")
    response = api.as_user(world.instructor).post(
        reverse("api-course-assignments", args=[world.other_course.id]),
        {**VALID_ASSIGNMENT, "code": "PS0"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_create_unknown_category(world, api, unchanged):
    body = {**VALID_ASSIGNMENT, "category": "quiz"}
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), body, format="json")
    result = assert_bad_input(response, "category", code="invalid_choice")
    # The message lists what would have been accepted.
    for choice in Assignment.Category.values:
        assert choice in result["fields"]["category"]


@pytest.mark.parametrize(
    "field,value,code",
    [
        ("points", "-5", "min_value"),
        ("points", "0", None),
        ("weight", "-1", "min_value"),
        ("weight", "101", "max_value"),
        ("team_size_min", 0, "min_value"),
        ("team_size_max", -2, "min_value"),
    ],
)
def test_create_out_of_range_numbers(world, api, unchanged, field, value, code):
    with unchanged():
        response = api.as_user(world.instructor).post(
            create_url(world), {**VALID_ASSIGNMENT, field: value}, format="json"
        )
    assert_bad_input(response, field, code=code)


@pytest.mark.parametrize(
    "field,value",
    [
        ("due_at", "next Sunday"),
        ("due_at", "2023-02-31T23:59:00"),
        ("due_at", "2023-03-12 25:00"),
        ("release_at", "12/03/2023"),
        ("due_at", 1678679940),
    ],
)
def test_create_malformed_datetime(world, api, unchanged, field, value):
    with unchanged():
        response = api.as_user(world.instructor).post(
            create_url(world), {**VALID_ASSIGNMENT, field: value}, format="json"
        )
    body = assert_bad_input(response, field, code="invalid")
    assert "YYYY-MM-DD" in body["fields"][field], "the message shows the format to use"


def test_create_no_collaboration_with_teams(world, api, unchanged):
    body = {**VALID_ASSIGNMENT, "collaboration_allowed": False, "team_size_max": 3}
    with unchanged():
        response = api.as_user(world.instructor).post(create_url(world), body, format="json")
    assert_bad_input(response, "collaboration_allowed")


def test_create_in_a_form_post_reports_the_same_errors(world, api, unchanged):
    with unchanged():
        response = api.as_user(world.instructor).post(
            create_url(world), {**VALID_ASSIGNMENT, "category": "quiz"}, format="multipart"
        )
    assert_bad_input(response, "category")


def test_create_with_malformed_json(world, api, unchanged):
    with unchanged():
        response = api.as_user(world.instructor).post(
            create_url(world), data='{"code": "HW2",', content_type="application/json"
        )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert body["code"] == "parse_error"


# ---- naive datetimes are read in the course's zone ---------------------------------------------------


@pytest.mark.parametrize(
    "naive,local,offset",
    [
        ("2023-03-05T23:59", datetime(2023, 3, 5, 23, 59, tzinfo=NY), "-05:00"),  # EST
        ("2023-03-19T23:59:00", datetime(2023, 3, 19, 23, 59, tzinfo=NY), "-04:00"),  # EDT
    ],
)
def test_naive_datetimes_are_in_the_course_zone(world, api, settings, naive, local, offset):
    settings.TIME_ZONE = "UTC"  # the server's zone must not matter
    response = api.as_user(world.instructor).post(
        create_url(world), {**VALID_ASSIGNMENT, "release_at": None, "due_at": naive}, format="json"
    )
    assert response.status_code == 201, response.content
    assignment = Assignment.objects.get(pk=response.json()["id"])
    assert assignment.due_at == local
    # The answer shows the time with the course zone's offset, whatever the server's zone.
    assert response.json()["due_at"] == local.isoformat()
    assert response.json()["due_at"].endswith(offset)


def test_naive_datetime_patch_is_in_the_course_zone(world, api, settings):
    settings.TIME_ZONE = "UTC"
    hw1 = world.course.assignments.get(code="HW1")
    response = api.as_user(world.instructor).patch(
        reverse("api-assignment", args=[hw1.id]), {"due_at": "2023-03-14T23:59"}, format="json"
    )
    assert response.status_code == 200, response.content
    hw1.refresh_from_db()
    assert hw1.due_at == datetime(2023, 3, 14, 23, 59, tzinfo=NY)
    assert response.json()["due_at"] == "2023-03-14T23:59:00-04:00"


def test_naive_datetimes_follow_a_course_in_another_zone(db, api):
    pacific = ZoneInfo("America/Los_Angeles")
    course = CourseFactory(code="CS 1000", time_zone="America/Los_Angeles")
    SectionFactory(course=course, code="CS 1000-A")
    teacher = StaffRoleFactory(user=UserFactory(username="west"), course=course, role="instructor").user
    response = api.as_user(teacher).post(
        reverse("api-course-assignments", args=[course.id]),
        {"code": "HW1", "title": "Homework 1", "category": "homework", "due_at": "2023-02-12T23:59"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assignment = Assignment.objects.get(pk=response.json()["id"])
    assert assignment.due_at == datetime(2023, 2, 12, 23, 59, tzinfo=pacific)
    assert response.json()["due_at"] == "2023-02-12T23:59:00-08:00"
    listed = api.get(reverse("api-course-assignments", args=[course.id])).json()
    assert [a["due_at"] for a in listed] == ["2023-02-12T23:59:00-08:00"]
    detail = api.get(reverse("api-assignment", args=[assignment.id])).json()
    assert detail["due_at"] == "2023-02-12T23:59:00-08:00"
    patched = api.patch(
        reverse("api-assignment", args=[assignment.id]), {"due_at": "2023-02-13T23:59"}, format="json"
    ).json()
    assert patched["due_at"] == "2023-02-13T23:59:00-08:00"


def test_an_explicit_offset_is_kept(world, api):
    response = api.as_user(world.instructor).post(
        create_url(world),
        {**VALID_ASSIGNMENT, "release_at": None, "due_at": "2023-03-13T03:59:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Assignment.objects.get(pk=response.json()["id"]).due_at == datetime(2023, 3, 12, 23, 59, tzinfo=NY)


# ---- PATCH /api/v1/assignments/{id}/ -----------------------------------------------------------------


@pytest.fixture
def hw1(world):
    hw1 = world.course.assignments.get(code="HW1")
    hw1.release_at = eastern(2023, 1, 29, 9, 0)
    hw1.save()
    return hw1


def patch_url(assignment):
    return reverse("api-assignment", args=[assignment.id])


@pytest.mark.parametrize(
    "changes,field,code",
    [
        ({"due_at": "2023-01-20T23:59:00-05:00"}, "due_at", None),  # before the stored release
        ({"release_at": "2023-02-20T09:00:00-05:00"}, "due_at", None),  # release after the stored due
        ({"team_size_min": 2}, "team_size_max", None),  # above the stored max of 1
        ({"team_size_min": 4, "team_size_max": 3}, "team_size_max", None),
        ({"code": "PS0"}, "code", None),  # another assignment's code
        ({"category": "exam"}, "category", "invalid_choice"),
        ({"points": "-10"}, "points", "min_value"),
        ({"points": 0}, "points", None),
        ({"weight": "150"}, "weight", "max_value"),
        ({"due_at": "Sunday at midnight"}, "due_at", "invalid"),
        ({"release_at": "2023-13-01T00:00"}, "release_at", "invalid"),
        ({"points": "a hundred"}, "points", "invalid"),
        ({"grace_allowed": "sometimes"}, "grace_allowed", "invalid"),
        ({"title": None}, "title", "null"),
        ({"title": ""}, "title", "blank"),
        ({"code": "X" * 40}, "code", "max_length"),
        ({"collaboration_allowed": False, "team_size_max": 4}, "collaboration_allowed", None),
    ],
)
def test_patch_bad_input(world, api, unchanged, hw1, changes, field, code):
    with unchanged():
        response = api.as_user(world.instructor).patch(patch_url(hw1), changes, format="json")
    assert_bad_input(response, field, code=code)


def test_patch_keeps_its_own_code(world, api, hw1):
    """Not a duplicate: the assignment's own code is allowed back."""
    response = api.as_user(world.instructor).patch(patch_url(hw1), {"code": "HW1"}, format="json")
    assert response.status_code == 200, response.content


def test_patch_a_good_change_is_applied(world, api, hw1):
    response = api.as_user(world.instructor).patch(
        patch_url(hw1), {"title": "Homework 1: neural networks", "team_size_max": 2}, format="json"
    )
    assert response.status_code == 200, response.content
    hw1.refresh_from_db()
    assert (hw1.title, hw1.team_size_max) == ("Homework 1: neural networks", 2)


# ---- POST /api/v1/extensions/ ------------------------------------------------------------------------


def extension_body(world, **changes):
    hw1 = world.course.assignments.get(code="HW1")
    return {
        "student": "ug1",
        "assignment": hw1.id,
        "due_at": "2023-02-16T23:59:00-05:00",
        "dean_reference": "DOS-2023-0142",
        **changes,
    }


def test_a_valid_extension_is_granted(world, api):
    response = api.as_user(world.instructor).post(
        reverse("api-extensions"), extension_body(world), format="json"
    )
    assert response.status_code == 201, response.content
    assert Extension.objects.filter(student=world.ug1).count() == 1


@pytest.mark.parametrize("missing", ["student", "assignment", "due_at", "dean_reference"])
def test_extension_missing_field(world, api, unchanged, missing):
    body = extension_body(world)
    del body[missing]
    with unchanged():
        response = api.as_user(world.instructor).post(reverse("api-extensions"), body, format="json")
    assert_bad_input(response, missing, code="required")


@pytest.mark.parametrize(
    "changes,field,code",
    [
        ({"assignment": "HW1"}, "assignment", "invalid"),
        ({"assignment": None}, "assignment", "null"),
        ({"student": ["ug1"]}, "student", "invalid"),
        ({"due_at": "in two weeks"}, "due_at", "invalid"),
        ({"due_at": "2023-02-30T23:59"}, "due_at", "invalid"),
        ({"dean_reference": "   "}, "dean_reference", "blank"),
        ({"dean_reference": "D" * 121}, "dean_reference", "max_length"),
        ({"due_at": "2023-02-10T23:59:00-05:00"}, "due_at", None),  # before the assignment's own due time
        ({"due_at": "2023-02-12T23:59:00-05:00"}, "due_at", None),  # the same as the due time
        ({"student": "nobody"}, "student", None),
        ({"student": "other_student"}, "student", None),  # a student of another course
        ({"student": "ta1"}, "student", None),  # staff, not a student
    ],
)
def test_extension_bad_input(world, api, unchanged, changes, field, code):
    with unchanged():
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"), extension_body(world, **changes), format="json"
        )
    body = assert_bad_input(response, field, code=code)
    if field == "student" and code is None:
        assert "check the username" in body["detail"]


def test_extension_for_a_dropped_student_is_refused(world, api, unchanged):
    Enrolment.objects.filter(user=world.ug2).update(status=Enrolment.Status.DROPPED)
    with unchanged():
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"), extension_body(world, student="ug2"), format="json"
        )
    assert_bad_input(response, "student")


def test_extension_on_another_courses_assignment_is_not_found(world, api, unchanged):
    other = AssignmentFactory(course=world.other_course, code="HW1")
    with unchanged():
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"), extension_body(world, assignment=other.id), format="json"
        )
    assert_refused(response, statuses=(404,))


def test_extension_on_an_unknown_assignment_is_not_found(world, api, unchanged):
    with unchanged():
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"), extension_body(world, assignment=999999), format="json"
        )
    assert_refused(response, statuses=(404,))


def test_a_refused_extension_change_keeps_the_old_one(world, api, unchanged):
    api.as_user(world.instructor).post(reverse("api-extensions"), extension_body(world), format="json")
    with unchanged():
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"),
            extension_body(world, due_at="2023-02-01T23:59:00-05:00", dean_reference="DOS-2"),
            format="json",
        )
    assert_bad_input(response, "due_at")
    extension = Extension.objects.get(student=world.ug1)
    assert extension.dean_reference == "DOS-2023-0142"


# ---- POST /api/v1/assignments/{id}/submissions/ ------------------------------------------------------


@pytest.fixture
def open_hw(world):
    """An assignment whose window is open now (released yesterday, due next week)."""
    now = timezone.now()
    return AssignmentFactory(
        course=world.course,
        code="HW2",
        release_at=now - timedelta(days=1),
        due_at=now + timedelta(days=7),
    )


def pdf(name="hw2.pdf", content=b"%PDF-1.4 my answers"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def submit(api, user, assignment, data, fmt="multipart"):
    return api.as_user(user).post(
        reverse("api-assignment-submissions", args=[assignment.id]), data, format=fmt
    )


def test_a_valid_submission_is_stored(world, api, open_hw):
    response = submit(
        api, world.ug1, open_hw, {"file": pdf(), "collaborators": ["ug2"], "honor_statement_accepted": "true"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["collaborators"] == ["ug2"]
    assert Submission.objects.filter(student=world.ug1, assignment=open_hw).count() == 1


@pytest.mark.parametrize(
    "data,field,code",
    [
        ({"collaborators_none": "true", "honor_statement_accepted": "true"}, "file", "required"),
        ({"file": "not a file", "collaborators_none": "true", "honor_statement_accepted": "true"}, "file", "invalid"),
        ({"file": "EMPTY", "collaborators_none": "true", "honor_statement_accepted": "true"}, "file", "empty"),
        ({"file": "PDF", "collaborators_none": "true", "honor_statement_accepted": "maybe"}, "honor_statement_accepted", "invalid"),
        ({"file": "PDF", "collaborators_none": "true"}, "honor_statement_accepted", None),
        ({"file": "PDF", "collaborators_none": "true", "honor_statement_accepted": "false"}, "honor_statement_accepted", None),
        ({"file": "PDF", "honor_statement_accepted": "true"}, "collaborators", None),
        ({"file": "PDF", "collaborators": ["nobody"], "honor_statement_accepted": "true"}, "collaborators", None),
        ({"file": "PDF", "collaborators": ["other_student"], "honor_statement_accepted": "true"}, "collaborators", None),
        ({"file": "PDF", "collaborators": ["ug1"], "honor_statement_accepted": "true"}, "collaborators", None),
        ({"file": "PDF", "collaborators": ["ug2"], "collaborators_none": "perhaps", "honor_statement_accepted": "true"}, "collaborators_none", "invalid"),
    ],
)  # fmt: skip
def test_submission_bad_input(world, api, unchanged, open_hw, data, field, code):
    data = dict(data)
    if data.get("file") == "PDF":
        data["file"] = pdf()
    elif data.get("file") == "EMPTY":
        data["file"] = pdf(content=b"")
    with unchanged():
        response = submit(api, world.ug1, open_hw, data)
    assert_bad_input(response, field, code=code)


def test_submission_as_json_without_a_file(world, api, unchanged, open_hw):
    with unchanged():
        response = submit(
            api, world.ug1, open_hw, {"collaborators": [], "honor_statement_accepted": True}, fmt="json"
        )
    assert_bad_input(response, "file", code="required")


def test_submission_json_collaborators_of_the_wrong_type(world, api, unchanged, open_hw):
    with unchanged():
        response = submit(
            api, world.ug1, open_hw, {"collaborators": 42, "honor_statement_accepted": True}, fmt="json"
        )
    body = assert_bad_input(response, "collaborators")
    assert "list of usernames" in body["fields"]["collaborators"]


def test_collaborators_on_ps0_are_refused(world, api, unchanged):
    ps0 = world.course.assignments.get(code="PS0")
    now = timezone.now()
    Assignment.objects.filter(pk=ps0.pk).update(
        release_at=now - timedelta(days=1), due_at=now + timedelta(days=3)
    )
    with unchanged():
        response = submit(
            api, world.ug1, ps0, {"file": pdf(), "collaborators": ["ug2"], "honor_statement_accepted": "true"}
        )
    body = assert_bad_input(response, "collaborators")
    assert "empty collaborator list" in body["detail"]


def test_submission_after_the_window_closed(world, api, unchanged):
    hw1 = world.course.assignments.get(code="HW1")  # due Feb 12 2023: long closed
    with unchanged():
        response = submit(
            api,
            world.ug1,
            hw1,
            {"file": pdf(), "collaborators_none": "true", "honor_statement_accepted": "true"},
        )
    body = assert_bad_input(response, "closes_at", code="window_closed")
    assert "extension" in body["detail"]


def test_submission_before_release(world, api, unchanged, open_hw):
    Assignment.objects.filter(pk=open_hw.pk).update(release_at=timezone.now() + timedelta(days=1))
    with unchanged():
        response = submit(
            api,
            world.ug1,
            open_hw,
            {"file": pdf(), "collaborators_none": "true", "honor_statement_accepted": "true"},
        )
    assert response.status_code == 400
    assert response.json()["code"] == "not_released"


@pytest.mark.parametrize("who", ["ta", "instructor"])
def test_staff_cannot_submit(world, api, unchanged, open_hw, who):
    with unchanged():
        response = submit(
            api,
            getattr(world, who),
            open_hw,
            {"file": pdf(), "collaborators_none": "true", "honor_statement_accepted": "true"},
        )
    assert_refused(response)


def test_another_courses_student_cannot_submit(world, api, unchanged, open_hw):
    with unchanged():
        response = submit(
            api,
            world.other_student,
            open_hw,
            {"file": pdf(), "collaborators_none": "true", "honor_statement_accepted": "true"},
        )
    assert_refused(response, statuses=(404,))


# ---- POST /api/v1/me/calendar-token/ -----------------------------------------------------------------


def test_calendar_token_reset_takes_no_input_and_revokes_the_old_address(world, api, client):
    old_token = world.ug1.calendar_token
    assert client.get(reverse("calendar-feed", args=[old_token])).status_code == 200
    response = api.as_user(world.ug1).post(reverse("api-calendar-token"))
    assert response.status_code == 200, response.content
    world.ug1.refresh_from_db()
    assert world.ug1.calendar_token != old_token
    assert response.json()["calendar_url"].endswith(f"/calendar/{world.ug1.calendar_token}.ics")
    assert client.get(reverse("calendar-feed", args=[old_token])).status_code == 404
    assert client.get(reverse("calendar-feed", args=[world.ug1.calendar_token])).status_code == 200


def test_calendar_token_reset_ignores_a_body(world, api):
    response = api.as_user(world.ug1).post(
        reverse("api-calendar-token"), {"calendar_token": "chosen-by-me"}, format="json"
    )
    assert response.status_code == 200
    world.ug1.refresh_from_db()
    assert world.ug1.calendar_token != "chosen-by-me"


def test_calendar_token_reset_anonymous(world, api, unchanged):
    with unchanged():
        response = api.post(reverse("api-calendar-token"))
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail", "code", "fields"}


# ---- POST /api/v1/auth/token/ ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,field,code",
    [
        ({}, "username", "required"),
        ({"username": "ug1"}, "password", "required"),
        ({"password": "pw-portal-test"}, "username", "required"),
        ({"username": "", "password": "pw-portal-test"}, "username", "blank"),
        ({"username": ["ug1"], "password": "pw-portal-test"}, "username", "invalid"),
        ({"username": "ug1", "password": 12345}, "non_field_errors", "authorization"),
        ({"username": "ug1", "password": "wrong"}, "non_field_errors", "authorization"),
        ({"username": "ghost", "password": "pw-portal-test"}, "non_field_errors", "authorization"),
    ],
)
def test_token_bad_input(world, api, unchanged, body, field, code):
    with unchanged():
        response = api.post(reverse("api-token"), body, format="json")
    result = assert_bad_input(response, field, code=code)
    if code == "authorization":
        assert "try again" in result["detail"].lower()


# ---- instructor writes by people who are not the instructor ------------------------------------------


@pytest.mark.parametrize(
    "who,statuses",
    [("ug1", (403, 404)), ("ta", (403, 404)), ("other_ta", (404,)), ("other_student", (404,))],
)
def test_only_instructors_create_assignments(world, api, unchanged, who, statuses):
    with unchanged():
        response = api.as_user(getattr(world, who)).post(create_url(world), VALID_ASSIGNMENT, format="json")
    assert_refused(response, statuses)


@pytest.mark.parametrize(
    "who,statuses",
    [("ug1", (403, 404)), ("ta", (403, 404)), ("other_ta", (404,)), ("other_student", (404,))],
)
def test_only_instructors_change_assignments(world, api, unchanged, hw1, who, statuses):
    with unchanged():
        response = api.as_user(getattr(world, who)).patch(
            patch_url(hw1), {"due_at": "2023-03-01T23:59:00-05:00", "weight": "50"}, format="json"
        )
    assert_refused(response, statuses)


@pytest.mark.parametrize(
    "who,statuses",
    [("ug1", (403, 404)), ("ta", (403, 404)), ("other_ta", (404,)), ("other_student", (404,))],
)
def test_only_instructors_grant_extensions(world, api, unchanged, who, statuses):
    with unchanged():
        response = api.as_user(getattr(world, who)).post(
            reverse("api-extensions"), extension_body(world), format="json"
        )
    assert_refused(response, statuses)


def test_bad_input_from_a_non_instructor_is_still_refused_not_validated(world, api, unchanged):
    """A student learns nothing about validation rules of a write they may not make."""
    with unchanged():
        response = api.as_user(world.ug1).post(create_url(world), {"category": "quiz"}, format="json")
    assert_refused(response)


def test_an_instructor_of_another_course_cannot_write_here(world, api, unchanged, hw1):
    outsider = StaffRoleFactory(
        user=UserFactory(username="other_instructor"), course=world.other_course, role="instructor"
    ).user
    with unchanged():
        assert_refused(api.as_user(outsider).post(create_url(world), VALID_ASSIGNMENT, format="json"), (404,))
        assert_refused(api.as_user(outsider).patch(patch_url(hw1), {"points": "50"}, format="json"), (404,))
        assert_refused(
            api.as_user(outsider).post(reverse("api-extensions"), extension_body(world), format="json"),
            (404,),
        )
    assert Assignment.objects.get(pk=hw1.pk).points == Decimal(100)
