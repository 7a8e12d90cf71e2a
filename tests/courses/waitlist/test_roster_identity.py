"""A roster import manages enrolments in its own course, never identities (issue 10, part 1).

Reproductions of the account takeover: a row naming another course's instructor, a TA or the superuser
changed that account's e-mail, after which a password reset mailed the attacker a link.
"""

import pytest
from django.core import mail
from django.urls import reverse

from courses.models import Enrolment, StaffRole, User
from tests.courses.waitlist.test_roster_import import HEADER, csv_bytes, upload
from tests.factories import CourseFactory, EnrolmentFactory, SectionFactory, StaffRoleFactory, UserFactory
from tests.importing import imported, job_error

EVIL = "attacker@evil.example"


def _identity(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.username,
        user.first_name,
        user.last_name,
        user.email,
        user.password,
        user.is_staff,
        user.is_superuser,
        user.sis_id,
    )


@pytest.fixture
def prof2(db):
    other = CourseFactory(code="CS 1111")
    SectionFactory(course=other, code="CS 1111-A")
    user = UserFactory(username="prof2", email="prof2@gatech.edu", first_name="Pat", last_name="Two")
    user.set_password("prof2-secret")
    user.save()
    StaffRoleFactory(user=user, course=other, role=StaffRole.Role.INSTRUCTOR)
    return user


def test_a_row_naming_another_courses_instructor_is_refused_and_changes_nothing(world, api, prof2):
    before = _identity(prof2)
    data = csv_bytes(HEADER, f"prof2,Prof Two,{EVIL},CS 4644,dropped,credit,")

    body = job_error(upload(api, world.instructor, world.course, data))

    assert body["fields"] == {"line 2": "prof2 is course staff; a roster cannot enrol or change staff"}
    assert _identity(prof2) == before
    assert not Enrolment.objects.filter(user=prof2).exists()


def test_the_password_reset_after_a_hostile_import_reaches_nobody(
    world, client, api, prof2, django_capture_on_commit_callbacks
):
    upload(
        api,
        world.instructor,
        world.course,
        csv_bytes(HEADER, f"prof2,Prof Two,{EVIL},CS 4644,enrolled,credit,"),
    )

    with django_capture_on_commit_callbacks(execute=True):  # e-mailed after the commit (portal.mail)
        response = client.post(reverse("password_reset"), {"email": EVIL})

    assert response.status_code == 302
    assert mail.outbox == []
    # The owner's own address still works.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "prof2@gatech.edu"})
    assert [m.to for m in mail.outbox] == [["prof2@gatech.edu"]]


def test_a_row_naming_a_ta_of_this_course_is_refused(world, api):
    world.ta.email = "ta1@gatech.edu"
    world.ta.save()
    before = _identity(world.ta)
    data = csv_bytes(HEADER, f"ta1,Tee Ay,{EVIL},CS 7643-A,enrolled,credit,")

    body = job_error(upload(api, world.instructor, world.course, data))

    assert body["fields"]["line 2"] == "ta1 is course staff; a roster cannot enrol or change staff"
    assert _identity(world.ta) == before
    assert not Enrolment.objects.filter(user=world.ta).exists()


def test_a_row_naming_the_superuser_is_refused(world, api):
    root = UserFactory(username="root", email="root@gatech.edu", is_superuser=True, is_staff=True)
    before = _identity(root)
    data = csv_bytes(
        HEADER,
        "newbie,New Student,new@gatech.edu,CS 4644,enrolled,credit,0900001",
        f"root,Student Root,{EVIL},CS 4644,enrolled,credit,0900002",
    )

    body = job_error(upload(api, world.instructor, world.course, data))

    assert set(body["fields"]) == {"line 3"}
    assert "root" in body["fields"]["line 3"]
    assert _identity(root) == before
    assert not Enrolment.objects.filter(user=root).exists()
    assert not User.objects.filter(username="newbie").exists()  # all or nothing


def test_a_django_staff_flag_counts_as_staff(world, api):
    admin_only = UserFactory(username="helpdesk", email="hd@gatech.edu", is_staff=True)
    before = _identity(admin_only)

    body = job_error(
        upload(
            api,
            world.instructor,
            world.course,
            csv_bytes(HEADER, f"helpdesk,H D,{EVIL},CS 4644,enrolled,credit,"),
        )
    )

    assert "helpdesk is course staff" in body["fields"]["line 2"]
    assert _identity(admin_only) == before


def test_an_existing_student_keeps_name_email_and_password_and_the_result_says_so(world, api):
    ug2 = world.ug2
    ug2.first_name, ug2.last_name, ug2.email, ug2.sis_id = "Sam", "Second", "ug2@gatech.edu", "0900002"
    ug2.set_password("ug2-own-password")
    ug2.save()
    before = _identity(ug2)
    data = csv_bytes(HEADER, f"ug2,Someone Else,{EVIL},CS 7643-A,enrolled,credit,0999999")

    response = upload(api, world.instructor, world.course, data)

    body = imported(response)
    assert (body["rows"], body["created"], body["updated"]) == (1, 0, 1)
    assert _identity(ug2) == before
    kept = {(k["line"], k["username"], k["field"]): k for k in body["kept"]}
    assert set(kept) == {(2, "ug2", "name"), (2, "ug2", "email"), (2, "ug2", "sis_id")}
    assert kept[(2, "ug2", "email")]["in_file"] == EVIL
    assert kept[(2, "ug2", "email")]["kept"] == "ug2@gatech.edu"
    assert "kept the existing value" in kept[(2, "ug2", "email")]["message"]
    # The enrolment itself is the import's business: ug2 moved sections.
    assert Enrolment.objects.get(user=ug2, section=world.gr_section).status == "enrolled"


def test_a_blank_sis_id_on_an_existing_student_is_filled_from_the_registrar(world, api):
    User.objects.filter(pk=world.ug2.pk).update(sis_id="")
    world.ug2.refresh_from_db()
    data = csv_bytes(
        HEADER, f"ug2,{world.ug2.get_full_name() or 'ug2'},{world.ug2.email},CS 4644,enrolled,credit,0900002"
    )

    response = upload(api, world.instructor, world.course, data)

    imported(response)
    world.ug2.refresh_from_db()
    assert world.ug2.sis_id == "0900002"


def test_a_student_of_another_course_keeps_their_identity(world, api):
    other = world.other_student
    other.email = "other@gatech.edu"
    other.save()
    before = _identity(other)

    response = upload(
        api,
        world.instructor,
        world.course,
        csv_bytes(HEADER, f"other_student,X Y,{EVIL},CS 4644,enrolled,credit,"),
    )

    imported(response)
    assert _identity(other) == before
    # Their enrolment in the other course is untouched.
    assert Enrolment.objects.get(user=other, section__course=world.other_course).status == "enrolled"


def test_an_account_created_by_the_roster_gets_no_password_reset_mail(
    world, client, api, django_capture_on_commit_callbacks
):
    data = csv_bytes(HEADER, "fresh,Fresh Student,fresh@gatech.edu,CS 4644,enrolled,credit,0900003")
    imported(upload(api, world.instructor, world.course, data))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "fresh@gatech.edu"})

    assert mail.outbox == []  # the registrar set that address, not the account holder


@pytest.mark.parametrize(
    ("row", "field_text"),
    [
        ("longname," + "N" * 151 + ",ln@gatech.edu,CS 4644,enrolled,credit,1", "name"),
        ("longlast,First " + "L" * 151 + ",ll@gatech.edu,CS 4644,enrolled,credit,1", "name"),
        ("longsis,Long Sis,ls@gatech.edu,CS 4644,enrolled,credit," + "9" * 33, "SIS id"),
    ],
    ids=["name-over-150", "last-name-over-150", "sis-id-over-32"],
)
def test_over_long_fields_are_row_errors_not_500(world, api, row, field_text):
    before = User.objects.count()

    body = job_error(upload(api, world.instructor, world.course, csv_bytes(HEADER, row)))

    assert field_text in body["fields"]["line 2"]
    assert User.objects.count() == before


def test_staff_of_this_course_already_enrolled_elsewhere_is_still_refused(world, api):
    """Even a TA who was once enrolled as a student is not the roster's to change."""
    EnrolmentFactory(user=world.ta, section=SectionFactory(course=world.other_course, code="CS 9999-B"))

    body = job_error(
        upload(
            api,
            world.instructor,
            world.course,
            csv_bytes(HEADER, "ta1,Tee Ay,t@gatech.edu,CS 4644,enrolled,credit,"),
        )
    )

    assert "ta1 is course staff" in body["fields"]["line 2"]


# ---- one person whatever the letter case (single sign-on matches logins without case) ------------------


def test_a_row_naming_a_student_in_another_letter_case_is_that_student(world, api):
    """The registrar writes UG1 for ug1: the row is ug1's enrolment, not a second, empty account (which
    would also stop ug1 signing in through the university: two accounts would match their login)."""
    from courses.services.sso import sso_account_for_login

    before = User.objects.count()
    imported(
        upload(
            api,
            world.instructor,
            world.course,
            csv_bytes(HEADER, "UG1,First Student,ug1@example.edu,CS 4644,enrolled,credit,"),
        )
    )
    assert User.objects.count() == before
    assert list(User.objects.filter(username__iexact="ug1").values_list("username", flat=True)) == ["ug1"]
    assert Enrolment.objects.get(user=world.ug1).status == Enrolment.Status.ENROLLED
    assert sso_account_for_login(login="Ug1", provider="cas") == world.ug1


def test_one_username_in_two_letter_cases_in_a_file_is_one_person_twice(world, api):
    error = job_error(
        upload(
            api,
            world.instructor,
            world.course,
            csv_bytes(
                HEADER,
                "alice9,Alice Nine,a9@example.edu,CS 4644,enrolled,credit,",
                "Alice9,Alice Nine,a9b@example.edu,CS 7643-A,enrolled,credit,",
            ),
        )
    )
    assert error["fields"] == {"line 3": "username Alice9 also appears on line 2"}
    assert not User.objects.filter(username__iexact="alice9").exists()


def test_a_row_naming_a_ta_in_another_letter_case_is_refused(world, api):
    before = User.objects.count()
    error = job_error(
        upload(
            api,
            world.instructor,
            world.course,
            csv_bytes(HEADER, "TA1,Tee Ay,t@example.edu,CS 4644,enrolled,credit,"),
        )
    )
    assert error["fields"] == {"line 2": "TA1 is course staff; a roster cannot enrol or change staff"}
    assert User.objects.count() == before and not Enrolment.objects.filter(user=world.ta).exists()


def test_accounts_that_differ_only_in_case_are_not_guessed_between(world, api):
    UserFactory(username="UG1")  # made before these rules (e.g. by the admin)
    error = job_error(
        upload(
            api,
            world.instructor,
            world.course,
            csv_bytes(HEADER, "Ug1,First Student,ug1@example.edu,CS 4644,enrolled,credit,"),
        )
    )
    assert "2 accounts that differ only in letter case" in error["fields"]["line 2"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("nulname,Bad\x00Name,nul@example.edu,CS 4644,enrolled,credit,", "NUL character"),
        ('commaonly,",",c@example.edu,CS 4644,enrolled,credit,', "name is empty"),
    ],
    ids=["nul-byte", "only-a-comma"],
)
def test_unusable_cells_are_row_errors(world, api, row, message):
    """A NUL byte (the database refuses it: the job failed without naming the line) and a name that is
    only a comma (an account with no name) are the line's errors."""
    error = job_error(upload(api, world.instructor, world.course, csv_bytes(HEADER, row)))
    assert message in error["fields"]["line 2"], error
    assert error["code"] == "invalid_rows"


@pytest.mark.django_db(transaction=True)
def test_applying_rows_is_one_transaction_of_its_own(world):
    """roster_apply locks the accounts it names and writes all or nothing, also when called outside the
    import job's transaction (a rows' account lock outside a transaction is an error in PostgreSQL)."""
    from courses.services.roster import parse_roster, roster_apply

    text = f"{HEADER}\r\nug1,First Student,ug1@example.edu,CS 7643-A,enrolled,credit,\r\n"
    rows = parse_roster(course=world.course, text=text)
    roster_apply(acting_user=world.instructor, course=world.course, rows=rows)
    assert Enrolment.objects.get(user=world.ug1, status=Enrolment.Status.ENROLLED).section == world.gr_section
