"""The roster import and the registrar's SIS ids: one SIS id is one person.

The grade import matches a Gradescope row by its SID first and Canvas's gradebook import matches by SIS
User ID, so a second account with a student's SIS id would have its scores written onto that student.
Like the Canvas user id (test_roster_canvas_ids.py), an id given twice in a file, or an id another
account holds, is refused with the line; nothing is imported. The database holds the rule too.
"""

import pytest
from django.db import IntegrityError, transaction

from courses.models import User
from tests.courses.waitlist.test_roster_import import csv_bytes, upload
from tests.factories import UserFactory
from tests.importing import imported, job_error

HEADER = "username,name,email,section,status,grading_basis,sis_id"


def sis_ids() -> dict[str, str]:
    return dict(User.objects.exclude(sis_id="").values_list("username", "sis_id"))


def test_one_sis_id_for_two_students_in_the_file_is_refused(world, api):
    before = sis_ids()
    data = csv_bytes(
        HEADER,
        "newa,Ann Able,newa@example.edu,CS 4644,enrolled,credit,0905555",
        "newb,Bob Baker,newb@example.edu,CS 4644,enrolled,credit,0905555",
    )

    body = job_error(upload(api, world.instructor, world.course, data))

    assert body["fields"] == {
        "line 3": "SIS id 0905555 is also on line 2, for another student; one SIS id is one person "
        "(the grade import and Canvas match students by it)"
    }
    assert sis_ids() == before
    assert not User.objects.filter(username__in=["newa", "newb"]).exists()


def test_a_new_student_with_another_accounts_sis_id_is_refused(world, api):
    taken = world.ug1.sis_id
    data = csv_bytes(
        HEADER,
        "newa,Ann Able,newa@example.edu,CS 4644,enrolled,credit,0905555",
        f"newc,Cat Cole,newc@example.edu,CS 4644,enrolled,credit,{taken}",
    )

    body = job_error(upload(api, world.instructor, world.course, data))

    assert body["code"] == "invalid_rows"
    assert list(body["fields"]) == ["line 3"]
    message = body["fields"]["line 3"]
    assert message.startswith(f"SIS id {taken} already belongs to another account; one SIS id is one person.")
    assert message.endswith("Check newc's id with the registrar, or leave it empty")
    assert "ug1" not in message  # the importer learns nothing about other accounts
    assert not User.objects.filter(username__in=["newa", "newc"]).exists()


def test_filling_a_blank_sis_id_with_another_accounts_id_is_refused(world, api):
    User.objects.filter(pk=world.ug2.pk).update(sis_id="")
    data = csv_bytes(HEADER, f"ug2,Alan Turing,ug2@example.edu,CS 4644,enrolled,credit,{world.ug1.sis_id}")

    body = job_error(upload(api, world.instructor, world.course, data))

    assert "line 2" in body["fields"]
    assert User.objects.get(pk=world.ug2.pk).sis_id == ""


def test_a_students_own_sis_id_again_is_no_news(world, api):
    data = csv_bytes(
        HEADER,
        f"ug1,Ada Lovelace,{world.ug1.email},CS 4644,enrolled,credit,{world.ug1.sis_id}",
        "UG2,Alan Turing,ug2@example.edu,CS 4644,enrolled,credit,",
    )

    imported(upload(api, world.instructor, world.course, data))

    assert User.objects.get(pk=world.ug1.pk).sis_id == world.ug1.sis_id


def test_a_sis_id_and_a_canvas_id_name_one_account_in_the_database(world):
    """The admin and any future path meet the same rule; blank ids (unknown) may repeat."""
    UserFactory(username="blank1", sis_id="", canvas_user_id="")
    UserFactory(username="blank2", sis_id="", canvas_user_id="")
    UserFactory(username="holder", sis_id="0907777", canvas_user_id="104233")
    for field, value in (("sis_id", "0907777"), ("canvas_user_id", "104233")):
        with pytest.raises(IntegrityError), transaction.atomic():
            UserFactory(username=f"second-{field}", **{field: value})
