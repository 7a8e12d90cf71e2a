"""Hostile and careless input (issue 10, section 4): every probe answers 4xx in the one error shape with a
field-level message, never 500 or Django's HTML 400, and saves nothing.

Each test here reproduced a 500, an HTML 400 or a silent wrong write on the code before the fix."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from courses.models import Assignment, AuditEvent, Enrolment, Section, Submission
from grading.models import Grade, GradeChange, QuestionScore
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern
from tests.grading.factories import QuestionFactory
from tests.importing import imported, job_error, post_import


def error_shape(response, status: int = 400, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    if field is not None:
        assert field in body["fields"], body
        assert isinstance(body["fields"][field], str) and len(body["fields"][field]) > 5, body
    return body


def nothing_graded() -> bool:
    return (Grade.objects.count(), QuestionScore.objects.count(), GradeChange.objects.count()) == (0, 0, 0)


# ---- grade imports: one score rule for the CSV and the JSON API ----------------------------------------


@pytest.fixture
def ps2(world):
    assignment = AssignmentFactory(
        course=world.course,
        code="PS2",
        title="Problem set 2",
        category="problem_set",
        due_at=eastern(2023, 3, 1),
    )
    QuestionFactory(assignment=assignment, label="Q1", points=25, position=0)
    QuestionFactory(assignment=assignment, label="Q2", points=25, position=1)
    return assignment


def grade_import(api, user, course, assignment, content: bytes):
    return post_import(
        api.as_user(user),
        reverse("api-grade-imports", args=[course.id]),
        {"assignment": assignment.id, "file": SimpleUploadedFile("scores.csv", content, "text/csv")},
    )


def row_errors(response, field: str) -> dict:
    """An import answers 202 with a job; its rows are refused on the job, in the API's error shape."""
    body = job_error(response)
    assert field in body["fields"], body
    return body


@pytest.mark.parametrize(
    "cell", ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999999", "0.001", "1E-3"]
)
def test_a_grade_import_refuses_cells_that_are_not_plain_scores(world, ps2, api, cell):
    content = f"Username,Q1 (25.0 pts),Q2 (25.0 pts)\r\nug1,{cell},20\r\nug2,10,10\r\n".encode()
    response = grade_import(api, world.instructor, world.course, ps2, content)
    body = row_errors(response, "line 2")
    assert body["code"] == "invalid_rows"
    assert "Q1" in body["fields"]["line 2"]
    assert set(body["fields"]) == {"line 2"}
    assert nothing_graded()


def test_the_json_api_and_the_csv_give_the_same_message_for_three_decimals(world, ps2, api):
    """One rule: the JSON API refused 0.001 while the CSV silently stored 0.00."""
    q1 = ps2.questions.get(label="Q1")
    json_response = api.as_user(world.instructor).post(
        reverse("api-assignment-grades", args=[ps2.id]),
        {"student": "ug1", "scores": {str(q1.id): "0.001"}, "reason": ""},
        format="json",
    )
    json_message = error_shape(json_response, 400, f"scores.{q1.id}")["fields"][f"scores.{q1.id}"]
    csv_response = grade_import(
        api, world.instructor, world.course, ps2, b"Username,Q1 (25.0 pts)\r\nug1,0.001\r\n"
    )
    csv_message = row_errors(csv_response, "line 2")["fields"]["line 2"]
    assert "2 decimal places" in json_message
    assert "2 decimal places" in csv_message
    assert nothing_graded()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999999", "0.001"])
def test_the_json_api_refuses_the_same_scores(world, ps2, api, value):
    q1 = ps2.questions.get(label="Q1")
    response = api.as_user(world.instructor).post(
        reverse("api-assignment-grades", args=[ps2.id]),
        {"student": "ug1", "scores": {str(q1.id): value}, "reason": ""},
        format="json",
    )
    error_shape(response, 400, f"scores.{q1.id}")
    assert nothing_graded()


def test_good_scores_still_import(world, ps2, api):
    content = b'Username,Q1 (25.0 pts),Q2 (25.0 pts)\r\nug1,22.5,0\r\nug2,"12,25",25.00\r\n'
    response = grade_import(api, world.instructor, world.course, ps2, content)
    imported(response)
    scores = dict(
        QuestionScore.objects.filter(grade__assignment=ps2).values_list("grade__student__username", "score")
    )
    assert scores["ug1"] in (Decimal("22.5"), Decimal("0"))
    assert QuestionScore.objects.filter(grade__student__username="ug2", score=Decimal("12.25")).exists()


# ---- participation imports ----------------------------------------------------------------------------


@pytest.fixture
def participation(world):
    assignment = AssignmentFactory(
        course=world.course,
        code="PARTICIPATION",
        title="Class participation",
        category="participation",
        points=Decimal(1),
        weight=Decimal(1),
        due_at=None,
    )
    QuestionFactory(assignment=assignment, label="Total", points=1, position=0)
    return assignment


def participation_import(api, user, assignment, content: bytes, rule="top_n", value=1):
    return post_import(
        api.as_user(user),
        reverse("api-participation-imports", args=[assignment.id]),
        {"file": SimpleUploadedFile("piazza.csv", content, "text/csv"), "rule": rule, "value": value},
    )


@pytest.mark.parametrize("count", ["Infinity", "-Infinity", "NaN", "sNaN", "1e999999", "2.5"])
def test_a_participation_count_must_be_a_whole_number(world, participation, api, count):
    content = f"username,count\r\nug1,{count}\r\nug2,3\r\n".encode()
    body = row_errors(participation_import(api, world.instructor, participation, content), "line 2")
    assert body["code"] == "invalid_rows"
    assert "whole number" in body["fields"]["line 2"]
    assert nothing_graded()


def test_a_student_twice_in_a_participation_file_is_a_row_error_naming_both_lines(world, participation, api):
    content = b"username,count\r\nug1,12\r\nug2,3\r\nug1,0\r\n"
    body = row_errors(participation_import(api, world.instructor, participation, content), "line 4")
    assert body["code"] == "invalid_rows"
    message = body["fields"]["line 4"]
    assert "ug1" in message and "line 2" in message
    assert nothing_graded()


def test_the_same_student_by_username_and_by_email_is_a_duplicate(world, participation, api):
    content = b"username,count\r\nug1,12\r\nug1@example.edu,0\r\n"
    world.ug1.email = "ug1@example.edu"
    world.ug1.save(update_fields=["email"])
    body = row_errors(participation_import(api, world.instructor, participation, content), "line 3")
    assert "line 2" in body["fields"]["line 3"]
    assert nothing_graded()


# ---- a JSON body nested 30,000 deep -------------------------------------------------------------------


@pytest.mark.parametrize("depth", [30_000, 200])
def test_a_deeply_nested_json_body_is_a_parse_error(db, client, depth):
    body = "[" * depth + "]" * depth
    response = client.post(reverse("api-token"), body, content_type="application/json")
    result = error_shape(response, 400)
    assert result["code"] == "parse_error"
    assert "nested" in result["detail"]


def test_deep_json_is_refused_on_every_api_view_too(world, api):
    response = api.as_user(world.instructor).post(
        reverse("api-course-assignments", args=[world.course.id]),
        "[" * 30_000,
        content_type="application/json",
    )
    assert error_shape(response, 400)["code"] == "parse_error"
    assert not Assignment.objects.filter(code="").exists()


def test_ordinary_json_still_parses(world, api):
    response = api.as_user(world.instructor).post(
        reverse("api-course-assignments", args=[world.course.id]),
        {"code": "HW9", "title": "Homework 9", "category": "homework", "due_at": "2023-04-01T23:59:00-04:00"},
        format="json",
    )
    assert response.status_code == 201, response.content


# ---- submissions: long extensions, large files ---------------------------------------------------------


def submit(api, user, assignment, upload, **extra):
    with time_machine.travel(assignment.due_at - timedelta(hours=1), tick=False):
        return api.as_user(user).post(
            reverse("api-assignment-submissions", args=[assignment.id]),
            {"file": upload, "collaborators_none": "true", "honor_statement_accepted": "true", **extra},
            format="multipart",
        )


def test_an_extension_of_120_characters_is_a_field_error(world, api):
    hw1 = world.course.assignments.get(code="HW1")
    upload = SimpleUploadedFile("answers." + "x" * 120, b"%PDF-1.4\n", "application/pdf")
    body = error_shape(submit(api, world.ug1, hw1, upload), 400, "file")
    assert "extension" in body["fields"]["file"]
    assert not Submission.objects.exists()


def test_a_very_long_file_name_with_a_usual_extension_is_kept_short_and_accepted(world, api):
    hw1 = world.course.assignments.get(code="HW1")
    upload = SimpleUploadedFile("a" * 200 + ".pdf", b"%PDF-1.4\n", "application/pdf")
    response = submit(api, world.ug1, hw1, upload)
    assert response.status_code == 201, response.content
    assert Submission.objects.get().file.name.endswith(".pdf")


def test_a_body_larger_than_the_limit_is_refused_by_its_content_length_before_reading(world, client):
    """A 300 MB upload: the Content-Length alone answers 413; not a byte of the body is read."""
    client.force_login(world.ug1)
    hw1 = world.course.assignments.get(code="HW1")

    class Unreadable(io.BytesIO):
        def read(self, *args, **kwargs):
            raise AssertionError("the body was read")

        readline = read

    response = client.generic(
        "POST",
        reverse("api-assignment-submissions", args=[hw1.id]),
        b"",
        CONTENT_TYPE="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    body = error_shape(response, 413, "file")
    assert body["code"] == "too_large"
    assert "50 MB" in body["detail"]
    assert not Submission.objects.exists()


@override_settings(PORTAL_MAX_SUBMISSION_BYTES=200_000, DATA_UPLOAD_MAX_MEMORY_SIZE=10_000_000)
def test_an_upload_stops_being_read_as_soon_as_it_passes_the_limit(world, api):
    """A body that the Content-Length lets through (form fields may be large) but whose file passes the
    limit: the upload handler stops at the limit; the temporary file never holds the whole upload."""
    hw1 = world.course.assignments.get(code="HW1")
    received = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        received.append(len(raw_data))
        return original(self, raw_data, start)

    upload = SimpleUploadedFile("big.pdf", b"x" * 5_000_000, "application/pdf")
    with (
        override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=0),
        mock.patch.object(TemporaryFileUploadHandler, "receive_data_chunk", spy),
    ):
        response = submit(api, world.ug1, hw1, upload)
    body = error_shape(response, 413, "file")
    assert body["code"] == "too_large"
    assert sum(received) <= 200_000, sum(received)
    assert not Submission.objects.exists()


@override_settings(PORTAL_MAX_SUBMISSION_BYTES=200_000)
def test_a_file_under_the_limit_is_still_accepted(world, api):
    hw1 = world.course.assignments.get(code="HW1")
    upload = SimpleUploadedFile("answers.pdf", b"x" * 150_000, "application/pdf")
    assert submit(api, world.ug1, hw1, upload).status_code == 201


def test_an_oversized_csv_import_is_refused_too(world, ps2, api):
    with override_settings(PORTAL_MAX_SUBMISSION_BYTES=1000):
        content = b"Username,Q1 (25.0 pts)\r\n" + b"ug1,1\r\n" * 1000
        response = grade_import(api, world.instructor, world.course, ps2, content)
    assert error_shape(response, 413, "file")["code"] == "too_large"
    assert nothing_graded()


# ---- sections: a room holds at least one, capacity fits the room -------------------------------------


def patch_section(api, user, section, **data):
    return api.as_user(user).patch(reverse("api-section", args=[section.id]), data, format="json")


def test_a_room_size_of_zero_is_refused(world, api):
    section = world.ug_section
    before = (section.capacity, section.room_capacity)
    body = error_shape(patch_section(api, world.instructor, section, room_capacity=0), 400, "room_capacity")
    assert "at least 1" in body["fields"]["room_capacity"].lower()
    section.refresh_from_db()
    assert (section.capacity, section.room_capacity) == before
    assert not AuditEvent.objects.filter(action="section.capacity").exists()


def test_a_capacity_beyond_the_room_is_refused(world, api):
    section = world.ug_section
    body = error_shape(patch_section(api, world.instructor, section, capacity=5000), 400, "capacity")
    assert str(section.room_capacity) in body["fields"]["capacity"]
    body = error_shape(
        patch_section(api, world.instructor, section, capacity=5000, room_capacity=0), 400, "room_capacity"
    )
    section.refresh_from_db()
    assert (section.capacity, section.room_capacity) == (20, 30)


@pytest.mark.parametrize(("capacity", "room_capacity"), [(0, 0), (31, 30)])
def test_the_database_refuses_a_room_without_seats_or_a_capacity_over_the_room(
    world, capacity, room_capacity
):
    """Rows saved before the rule (room size 0, "no limit") got a room size in migration 0007; since
    then the database holds the rule too, whoever writes."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.filter(pk=world.ug_section.pk).update(capacity=capacity, room_capacity=room_capacity)


@pytest.mark.parametrize(
    ("capacity", "room_capacity", "field"), [(0, 0, "room_capacity"), (5000, 30, "capacity")]
)
def test_the_admin_form_checks_the_same_rule(world, capacity, room_capacity, field):
    from django.core.exceptions import ValidationError

    section = Section(
        course=world.course, code="NEW", level="graduate", capacity=capacity, room_capacity=room_capacity
    )
    with pytest.raises(ValidationError) as refused:
        section.full_clean()
    assert field in refused.value.message_dict


# ---- CSV the portal writes: formula cells are guarded ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("-0", "-0"),
        ("Ada", "Ada"),
        ("", ""),
        (Decimal("-1.50"), Decimal("-1.50")),
        (7, 7),
        (None, None),
    ],
)
def test_safe_cell(value, written):
    from portal.csvsafe import safe_cell

    assert safe_cell(value) == written


def test_the_gradescope_requests_csv_guards_formula_cells(world, client):
    evil = UserFactory(
        username="evil",
        first_name='=HYPERLINK("http://evil.example","Click")',
        last_name="-Dash",
        email="@x.example",
    )
    EnrolmentFactory(
        user=evil,
        section=world.ug_section,
        status=Enrolment.Status.WAITLISTED,
        gradescope_requested_at=timezone.now(),
    )
    client.force_login(world.instructor)
    response = client.get(reverse("gradescope-requests-csv", args=[world.course.id]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), rows[1]
    assert rows[1][0].startswith("'=HYPERLINK(")
    assert rows[1][1] == "'@x.example"


# ---- Content-Security-Policy ---------------------------------------------------------------------------

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_send_a_policy_without_unsafe_inline(world, client):
    client.force_login(world.ug1)
    for url in (reverse("login"), reverse("home"), reverse("my-deadlines")):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = policy_of(response)
        assert policy["default-src"] == ["'self'"]
        for directive in ("script-src", "style-src"):
            assert "'unsafe-inline'" not in policy[directive]
            assert "'unsafe-eval'" not in policy[directive]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]


def test_the_swagger_ui_nonces_its_inline_style_and_script(db, client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    nonces = [v for v in policy_of(response)["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    html = response.content.decode()
    inline = re.findall(r"<(script|style)\b([^>]*)>", html)
    assert inline, html[:500]
    for tag, attributes in inline:
        assert f'nonce="{nonce}"' in attributes, (tag, attributes)
    assert f"'nonce-{nonce}'" in policy_of(response)["style-src"]


def test_no_template_carries_inline_script_style_or_handlers():
    """Inline code would be refused by the policy: scripts live in static/js, styles in static/css."""
    problems = []
    for path in TEMPLATES_DIR.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and "nonce=" not in match.group(0):
                problems.append(f"{path.name}: inline {match.group(0)}")
        for match in re.finditer(r"<style\b[^>]*>", text):
            if "nonce=" not in match.group(0):
                problems.append(f"{path.name}: inline {match.group(0)}")
        problems += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"\sstyle\s*=", text)]
        problems += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=", text)]
        problems += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"javascript:", text)]
    assert problems == []
