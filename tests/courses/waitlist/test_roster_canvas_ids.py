"""The roster import and Canvas's user ids (issue 13, item 8).

Canvas's gradebook import matches a row to a student by its `ID` column (Canvas's own user id) first, then
by SIS User ID, then by SIS Login ID. The portal learns each student's Canvas id from the roster: an
optional `canvas_user_id` column, or a gradebook exported from Canvas itself (its columns Student, ID,
SIS User ID, SIS Login ID, Section). Like every identity field, an import fills a blank id and never
changes an existing one (issue 10): a different value is reported as kept.
"""

import pytest

from courses.models import Enrolment, User
from tests.courses.waitlist.helpers import error_of
from tests.courses.waitlist.test_roster_import import csv_bytes, state, upload
from tests.factories import UserFactory
from tests.importing import imported, job_error

HEADER = "username,name,email,section,status,grading_basis,sis_id,canvas_user_id"

# What Canvas's "Export entire gradebook" writes (a Canvas course with the same students): the
# "Points Possible" row, a muted-assignment marker row, assignment and score columns, Canvas's Test
# Student (no login), and a student Canvas knows by login only.
CANVAS_EXPORT = [
    "Student,ID,SIS User ID,SIS Login ID,Section,Problem set 1 (5501),Current Score,Final Score",
    "    Points Possible,,,,,100.00,(read only),(read only)",
    ",,,,,Muted,,",
    '"Lovelace, Ada",104233,0901234,newgrad,CS 7643-A,95.00,95.00,95.00',
    '"Student, Test",104999,,,CS 4644,,,',
    '"Turing, Alan",104007,0900002,ug2,CS 4644,70.00,70.00,70.00',
    '"Hopper, Grace",,0907643,newug,CS 4644,,,',
]


def canvas_ids() -> dict[str, str]:
    return dict(User.objects.exclude(canvas_user_id="").values_list("username", "canvas_user_id"))


# ---- the canvas_user_id column ---------------------------------------------------------------------------


def test_a_new_account_gets_its_canvas_id(world, api):
    data = csv_bytes(HEADER, "newgrad,Ada Lovelace,ada@example.edu,CS 7643-A,enrolled,credit,0901234,104233")

    body = imported(upload(api, world.instructor, world.course, data))

    assert (body["created"], body["kept"]) == (1, [])
    assert canvas_ids() == {"newgrad": "104233"}


def test_the_column_is_optional_and_may_be_empty(world, api):
    data = csv_bytes(HEADER, "newgrad,Ada Lovelace,ada@example.edu,CS 7643-A,enrolled,credit,0901234,")

    imported(upload(api, world.instructor, world.course, data))

    assert User.objects.get(username="newgrad").canvas_user_id == ""


def test_an_existing_accounts_blank_canvas_id_is_filled(world, api):
    data = csv_bytes(
        HEADER, f"ug2,{world.ug2.get_full_name()},{world.ug2.email},CS 4644,enrolled,credit,,104007"
    )

    body = imported(upload(api, world.instructor, world.course, data))

    assert body["kept"] == []
    assert canvas_ids() == {"ug2": "104007"}


def test_a_differing_canvas_id_is_kept_and_reported(world, api):
    world.ug2.canvas_user_id = "104007"
    world.ug2.save(update_fields=["canvas_user_id"])
    data = csv_bytes(
        HEADER, f"ug2,{world.ug2.get_full_name()},{world.ug2.email},CS 4644,enrolled,credit,,999"
    )

    body = imported(upload(api, world.instructor, world.course, data))

    assert canvas_ids() == {"ug2": "104007"}
    [kept] = body["kept"]
    assert (kept["line"], kept["username"], kept["field"], kept["in_file"], kept["kept"]) == (
        2,
        "ug2",
        "canvas_user_id",
        "999",
        "104007",
    )
    assert kept["message"] == "line 2: ug2's canvas user id in the file differs; kept the existing value"


def test_the_same_canvas_id_again_is_no_news(world, api):
    world.ug2.canvas_user_id = "104007"
    world.ug2.save(update_fields=["canvas_user_id"])
    data = csv_bytes(
        HEADER, f"ug2,{world.ug2.get_full_name()},{world.ug2.email},CS 4644,enrolled,credit,,104007"
    )

    assert imported(upload(api, world.instructor, world.course, data))["kept"] == []


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",  # a formula
        '=HYPERLINK("http://evil.example")',
        "-5",
        "+5",
        "@SUM(A1)",
        "12 34",
        "１２３",  # full-width digits: Unicode digits, not Canvas's
        "1e5",
        "0x1F",
        "104233.0",
        "12345678901234567890",  # 20 digits: beyond a 64-bit id
        "<script>alert(1)</script>",
    ],
)
def test_a_value_that_is_not_a_canvas_id_is_refused(world, api, value):
    before = (state(), canvas_ids())
    quoted = '"' + value.replace('"', '""') + '"'
    data = csv_bytes(
        HEADER, f"newgrad,Ada Lovelace,ada@example.edu,CS 7643-A,enrolled,credit,0901234,{quoted}"
    )

    body = job_error(upload(api, world.instructor, world.course, data))

    assert body["code"] == "invalid_rows"
    assert body["fields"]["line 2"].startswith("Canvas user id ")
    assert "is not a Canvas user id: digits only (at most 19)" in body["fields"]["line 2"]
    assert (state(), canvas_ids()) == before
    assert not User.objects.filter(username="newgrad").exists()


def test_one_canvas_id_for_two_students_is_refused(world, api):
    data = csv_bytes(
        HEADER,
        "newgrad,Ada Lovelace,ada@example.edu,CS 7643-A,enrolled,credit,,104233",
        "newug,Grace Hopper,grace@example.edu,CS 4644,enrolled,credit,,104233",
    )

    body = job_error(upload(api, world.instructor, world.course, data))

    assert body["fields"] == {
        "line 3": "Canvas user id 104233 is also on line 2, for another student; one Canvas id is one person"
    }
    assert canvas_ids() == {}


def test_a_canvas_id_another_account_holds_is_refused(world, api):
    holder = UserFactory(username="someone_else", canvas_user_id="104233")
    data = csv_bytes(HEADER, "newgrad,Ada Lovelace,ada@example.edu,CS 7643-A,enrolled,credit,,104233")

    body = job_error(upload(api, world.instructor, world.course, data))

    assert body["code"] == "invalid_rows"
    message = body["fields"]["line 2"]
    assert message.startswith("Canvas user id 104233 already belongs to another account")
    assert "someone_else" not in message  # the importer learns nothing about other accounts
    assert canvas_ids() == {holder.username: "104233"}
    assert not User.objects.filter(username="newgrad").exists()


# ---- a gradebook exported from Canvas ------------------------------------------------------------------


def test_a_gradebook_exported_from_canvas_is_a_roster(world, api):
    before_names = (world.ug2.first_name, world.ug2.last_name)

    body = imported(upload(api, world.instructor, world.course, csv_bytes(*CANVAS_EXPORT), "canvas.csv"))

    # Ada, Alan and Grace: the Points Possible row, the muted marker and the Test Student are not students.
    assert (body["rows"], body["created"], body["updated"]) == (3, 2, 1)
    assert canvas_ids() == {"newgrad": "104233", "ug2": "104007"}
    ada = User.objects.get(username="newgrad")
    assert (ada.first_name, ada.last_name, ada.sis_id, ada.email) == ("Ada", "Lovelace", "0901234", "")
    assert not ada.has_usable_password()
    assert User.objects.get(username="newug").sis_id == "0907643"
    # Canvas lists the course's students: enrolled, for credit.
    enrolments = {
        e.user.username: (e.section.code, e.status, e.grading_basis)
        for e in Enrolment.objects.filter(user__username__in=["newgrad", "ug2", "newug"]).select_related(
            "user", "section"
        )
    }
    assert enrolments == {
        "newgrad": ("CS 7643-A", "enrolled", "credit"),
        "ug2": ("CS 4644", "enrolled", "credit"),
        "newug": ("CS 4644", "enrolled", "credit"),
    }
    # ug2's account keeps its own name; the difference is reported.
    world.ug2.refresh_from_db()
    assert (world.ug2.first_name, world.ug2.last_name) == before_names
    assert {(k["username"], k["field"]) for k in body["kept"]} >= {("ug2", "name")}
    assert not User.objects.filter(username="").exists()


def test_a_canvas_export_with_an_unknown_section_names_the_line(world, api):
    rows = [*CANVAS_EXPORT[:3], '"Lovelace, Ada",104233,0901234,newgrad,CS 9999-Z,95.00,95.00,95.00']

    body = job_error(upload(api, world.instructor, world.course, csv_bytes(*rows)))

    assert body["fields"] == {"line 4": "section 'CS 9999-Z' is not a section of this course"}


def test_a_canvas_export_row_without_a_login_is_refused(world, api):
    rows = [*CANVAS_EXPORT[:3], '"Lovelace, Ada",104233,0901234,,CS 7643-A,95.00,95.00,95.00']

    body = job_error(upload(api, world.instructor, world.course, csv_bytes(*rows)))

    assert body["fields"]["line 4"].startswith("SIS Login ID is empty")


def test_a_hostile_canvas_id_in_a_canvas_export_is_refused(world, api):
    rows = [*CANVAS_EXPORT[:3], '"Lovelace, Ada",=cmd|calc,0901234,newgrad,CS 7643-A,95.00,95.00,95.00']

    body = job_error(upload(api, world.instructor, world.course, csv_bytes(*rows)))

    assert "is not a Canvas user id" in body["fields"]["line 4"]
    assert not User.objects.filter(username="newgrad").exists()


def test_the_login_named_twice_is_refused_at_once(world, api):
    data = csv_bytes(
        "username,Student,SIS Login ID,Section,email,status,grading_basis",
        'newgrad,"Lovelace, Ada",newgrad,CS 7643-A,ada@example.edu,enrolled,credit',
    )

    body = error_of(upload(api, world.instructor, world.course, data), 400)

    assert body["code"] == "bad_header"
    assert "username twice" in body["detail"]


def test_canvas_columns_without_the_login_are_refused_at_once(world, api):
    data = csv_bytes("Student,ID,SIS User ID,Section", '"Lovelace, Ada",104233,0901234,CS 7643-A')

    body = error_of(upload(api, world.instructor, world.course, data), 400)

    assert body["code"] == "bad_header"
    assert (
        "or a gradebook exported from Canvas (Student, ID, SIS User ID, SIS Login ID, Section)"
        in body["detail"]
    )
