"""POST /api/v1/courses/{id}/roster-imports/: the registrar's CSV, imported by a job (202), all or nothing,
every bad row named on the job by its line; IDs stay text; bad encodings and headers are refused at once;
only instructors import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import AuditEvent, Enrolment, User
from tests.courses.waitlist.helpers import error_of
from tests.importing import imported, job_error, post_import

HEADER = "username,name,email,section,status,grading_basis,sis_id"
GOOD_ROWS = [
    "newgrad,Ada Lovelace,ada@example.edu,CS 7643-A,enrolled,credit,0901234",
    'newug,"Hopper, Grace",grace@example.edu,CS 4644,waitlisted,Letter,0000042',
    "ug2,Second Student,ug2.new@example.edu,CS 7643-A,enrolled,pass/fail,0900002",
]


def csv_bytes(*lines: str, bom: bool = False, encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def upload(api, user, course, data: bytes, name: str = "roster.csv"):
    """POST the file; the answer is 202 with a job (which runs on commit), or an immediate 4xx."""
    url = reverse("api-roster-imports", args=[course.id])
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return post_import(api.as_user(user), url, {"file": file})


def counts() -> tuple[int, int, int]:
    return (
        User.objects.count(),
        Enrolment.objects.count(),
        Enrolment.objects.exclude(status=Enrolment.Status.DROPPED).count(),
    )


def state() -> list[tuple]:
    return sorted(Enrolment.objects.values_list("user__username", "section__code", "status", "grading_basis"))


@pytest.mark.parametrize("bom", [True, False], ids=["with-bom", "without-bom"])
def test_a_good_roster_creates_users_and_enrolments(world, api, bom):
    users_before = User.objects.count()

    response = upload(api, world.instructor, world.course, csv_bytes(HEADER, *GOOD_ROWS, bom=bom))

    body = imported(response)
    assert (body["rows"], body["created"], body["updated"]) == (3, 2, 1)
    assert User.objects.count() == users_before + 2
    ada = User.objects.get(username="newgrad")
    assert (ada.first_name, ada.last_name, ada.email) == ("Ada", "Lovelace", "ada@example.edu")
    assert not ada.has_usable_password()
    grace = User.objects.get(username="newug")
    assert (grace.first_name, grace.last_name) == ("Grace", "Hopper")
    rows = {
        (e.user.username, e.section.code): (e.status, e.grading_basis)
        for e in Enrolment.objects.filter(section__course=world.course).select_related("user", "section")
    }
    assert rows[("newgrad", "CS 7643-A")] == ("enrolled", "credit")
    assert rows[("newug", "CS 4644")] == ("waitlisted", "credit")
    # ug2 moved from CS 4644 to CS 7643-A: the old place is dropped, the new one is pass/fail.
    assert rows[("ug2", "CS 7643-A")] == ("enrolled", "pass_fail")
    assert rows[("ug2", "CS 4644")][0] == "dropped"
    # An existing account keeps its own e-mail and name: the file's differing values are only reported.
    assert User.objects.get(username="ug2").email == "ug2@example.edu"
    assert {(k["username"], k["field"]) for k in body["kept"]} >= {("ug2", "email"), ("ug2", "name")}
    event = AuditEvent.objects.get(action="roster.import")
    assert (event.actor, event.data["created"], event.data["updated"]) == (world.instructor, 2, 1)


def test_the_header_column_name_bom_does_not_hide_the_username_column(world, api):
    """Excel's BOM sits in front of the first column's name; it must not make `username` missing."""
    response = upload(api, world.instructor, world.course, csv_bytes(HEADER, GOOD_ROWS[0], bom=True))
    imported(response)


def test_ids_keep_their_leading_zeros(world, api):
    response = upload(api, world.instructor, world.course, csv_bytes(HEADER, *GOOD_ROWS))

    imported(response)
    assert User.objects.get(username="newgrad").sis_id == "0901234"
    assert User.objects.get(username="newug").sis_id == "0000042"


def test_importing_the_same_roster_twice_changes_nothing_the_second_time(world, api):
    data = csv_bytes(HEADER, *GOOD_ROWS)
    imported(upload(api, world.instructor, world.course, data))
    before = (counts(), state())

    response = upload(api, world.instructor, world.course, data)

    body = imported(response)
    assert (body["rows"], body["created"], body["updated"]) == (3, 0, 3)
    assert (counts(), state()) == before


def test_the_sis_id_column_is_optional(world, api):
    data = csv_bytes(
        "username,name,email,section,status,grading_basis",
        "solo,Solo Person,s@example.edu,CS 4644,enrolled,credit",
    )

    response = upload(api, world.instructor, world.course, data)

    imported(response)
    assert User.objects.get(username="solo").sis_id == ""


# ---- a malformed roster: nothing imported, every bad line named -----------------------------------


MALFORMED = [
    HEADER,
    "fine1,Fine Person,fine1@example.edu,CS 4644,enrolled,credit,0900101",  # line 2
    "bademail,Bad Email,not-an-address,CS 4644,enrolled,credit,0900102",  # line 3
    "nosection,No Section,ns@example.edu,CS 9999-Z,enrolled,credit,0900103",  # line 4
    "online,Online Student,online@example.edu,CS 7643-O01,enrolled,credit,0900104",  # line 5
    "badstatus,Bad Status,bs@example.edu,CS 4644,registered,credit,0900105",  # line 6
    "fine1,Fine Twice,fine1b@example.edu,CS 7643-A,enrolled,credit,0900106",  # line 7: duplicate
    "noname,,nn@example.edu,CS 4644,enrolled,credit,0900107",  # line 8
    "fine2,Fine Again,fine2@example.edu,CS 7643-A,waitlisted,credit,0900108",  # line 9
]


def test_a_malformed_roster_imports_nothing_and_names_every_bad_line(world, api):
    before = (counts(), state())

    body = job_error(upload(api, world.instructor, world.course, csv_bytes(*MALFORMED, bom=True)))

    assert (counts(), state()) == before
    assert not User.objects.filter(username__in=["fine1", "fine2"]).exists()
    assert not AuditEvent.objects.filter(action="roster.import").exists()
    fields = body["fields"]
    assert set(fields) == {"line 3", "line 4", "line 5", "line 6", "line 7", "line 8"}
    assert "e-mail" in fields["line 3"] and "not-an-address" in fields["line 3"]
    assert "CS 9999-Z" in fields["line 4"] and "not a section" in fields["line 4"]
    assert "CS 7643-O01 is a different course" in fields["line 5"]
    assert "CS 4644" in fields["line 5"] and "CS 7643-A" in fields["line 5"]  # where this portal is for
    assert "registered" in fields["line 6"] and "status" in fields["line 6"]
    assert "fine1" in fields["line 7"] and "line 2" in fields["line 7"]
    assert "name is empty" in fields["line 8"]
    assert "6 rows" in body["detail"]
    assert "line 3" in body["detail"]


def test_line_numbers_match_the_file_even_with_blank_lines(world, api):
    """An editor's line numbers: a blank line in the middle still counts as a line."""
    data = csv_bytes(HEADER, GOOD_ROWS[0], "", "bad,Bad Row,nope,CS 4644,enrolled,credit,1")

    body = job_error(upload(api, world.instructor, world.course, data))

    assert set(body["fields"]) == {"line 4"}


def test_a_row_with_several_problems_lists_them_all(world, api):
    data = csv_bytes(HEADER, "two problems,,nope,CS 4644,enrolled,credit,1")

    body = job_error(upload(api, world.instructor, world.course, data))

    reason = body["fields"]["line 2"]
    assert "username" in reason and "e-mail" in reason and "name is empty" in reason


def test_a_bad_grading_basis_is_named(world, api):
    data = csv_bytes(HEADER, "x1,X One,x1@example.edu,CS 4644,enrolled,honours,1")

    body = job_error(upload(api, world.instructor, world.course, data))

    assert "honours" in body["fields"]["line 2"]


def test_non_utf8_bytes_are_refused_with_bad_encoding(world, api):
    before = (counts(), state())
    data = csv_bytes(
        HEADER, "jose,José Núñez,jose@example.edu,CS 4644,enrolled,credit,0900200", encoding="cp1252"
    )

    # Refused at once (no job): it needs no parsing.
    body = error_of(upload(api, world.instructor, world.course, data), 400)

    assert body["code"] == "bad_encoding"
    assert "file" in body["fields"]
    assert "UTF-8" in body["detail"]
    assert (counts(), state()) == before


def test_utf8_names_are_kept(world, api):
    data = csv_bytes(HEADER, "jose,José Núñez,jose@example.edu,CS 4644,enrolled,credit,0900200", bom=True)

    imported(upload(api, world.instructor, world.course, data))
    assert User.objects.get(username="jose").get_full_name() == "José Núñez"


def test_a_missing_column_is_refused_with_bad_header(world, api):
    before = (counts(), state())
    data = csv_bytes("username,name,section,status,grading_basis", "x,X Y,CS 4644,enrolled,credit")

    body = error_of(upload(api, world.instructor, world.course, data), 400)  # at once, no job

    assert body["code"] == "bad_header"
    assert "email" in body["detail"]
    assert "email" in body["fields"]["file"]
    assert (counts(), state()) == before


def test_a_header_without_rows_is_refused(world, api):
    before = (counts(), state())
    body = job_error(upload(api, world.instructor, world.course, csv_bytes(HEADER)))
    assert body["code"] == "empty"
    assert (counts(), state()) == before


def test_no_file_is_a_field_error(world, api):
    url = reverse("api-roster-imports", args=[world.course.id])
    body = error_of(api.as_user(world.instructor).post(url, {}, format="multipart"), 400)
    assert "file" in body["fields"]


# ---- who may import ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ta", "ug1", "other_ta", "other_student"])
def test_only_the_instructor_imports(world, api, who):
    before = (counts(), state())

    response = upload(api, getattr(world, who), world.course, csv_bytes(HEADER, *GOOD_ROWS))

    assert response.status_code in (403, 404), response.content
    error_of(response, response.status_code)
    assert (counts(), state()) == before
    if who == "ta":
        assert response.status_code == 403
    if who.startswith("other"):
        assert response.status_code == 404  # not even told the course exists
