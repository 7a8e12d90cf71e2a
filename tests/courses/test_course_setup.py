"""Course setup without Django's admin (issue 13, item 1), from the user's side: a superuser creates a term
and a course with its first instructor; the instructor changes the course's settings (a new zone or late
policy reaches every stored deadline), its sections (a capacity raise promotes from the waitlist) and its
staff (a TA of one section reaches only that section's students); refusals say what to do; nobody else
may. The setup page's forms post to the same endpoints."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse

from courses.models import (
    Assignment,
    AuditEvent,
    Course,
    EffectiveDeadline,
    Enrolment,
    Section,
    StaffRole,
    Term,
    User,
)
from courses.selectors.setup import weights_by_category
from courses.windows import Policy, deadline_inputs_key
from tests.courses.helpers import at, utc
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern
from tests.helpers import error_of
from tests.test_pages import links_of, text_of

Role = StaffRole.Role


@pytest.fixture
def root(db) -> User:
    return UserFactory(username="root", first_name="Rita", last_name="Root", is_staff=True, is_superuser=True)


def post(api, user, name, data, *args):
    return api.as_user(user).post(reverse(name, args=args), data, format="json")


def patch(api, user, name, data, *args):
    return api.as_user(user).patch(reverse(name, args=args), data, format="json")


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# ---- terms --------------------------------------------------------------------------------------------


def test_a_superuser_creates_and_changes_a_term(api, root):
    response = post(
        api, root, "api-terms", {"name": "Fall 2023", "starts_on": "2023-08-21", "ends_on": "2023-12-15"}
    )

    assert response.status_code == 201, response.content
    term = Term.objects.get(name="Fall 2023")
    assert response.json() == {
        "id": term.id,
        "name": "Fall 2023",
        "starts_on": "2023-08-21",
        "ends_on": "2023-12-15",
    }
    response = patch(api, root, "api-term", {"ends_on": "2023-12-20"}, term.id)
    assert response.status_code == 200, response.content
    term.refresh_from_db()
    assert str(term.ends_on) == "2023-12-20"
    assert actions() == ["term.create", "term.update"]
    listed = api.as_user(UserFactory(username="anyone")).get(reverse("api-terms")).json()
    assert [t["name"] for t in listed] == ["Fall 2023"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            {"name": "Fall 2023", "starts_on": "2023-12-15", "ends_on": "2023-08-21"},
            "ends_on",
            "after the start",
        ),
        ({"name": "fall 2023", "starts_on": "2023-08-21", "ends_on": "2023-12-15"}, "name", "exists already"),
        ({"name": " ", "starts_on": "2023-08-21", "ends_on": "2023-12-15"}, "name", ""),
        ({"name": "Fall 2024", "starts_on": "21/08/2024", "ends_on": "2024-12-15"}, "starts_on", "format"),
    ],
)
def test_a_bad_term_is_refused_with_the_field_to_fix(api, root, data, field, words):
    Term.objects.create(name="Fall 2023", starts_on="2023-08-21", ends_on="2023-12-15")

    body = error_of(post(api, root, "api-terms", data), 400)

    assert field in body["fields"]
    assert words in body["fields"][field]
    assert Term.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_only_superusers_create_or_change_terms(api, world):
    term = world.course.term
    for user in (world.instructor, world.ta, world.ug1):
        body = error_of(
            post(api, user, "api-terms", {"name": "X", "starts_on": "2023-01-01", "ends_on": "2023-02-01"}),
            403,
        )
        assert "superusers" in body["detail"]
        error_of(patch(api, user, "api-term", {"name": "Renamed"}, term.id), 403)
    term.refresh_from_db()
    assert term.name == "Spring 2023"
    assert Term.objects.count() == 1


# ---- creating a course ----------------------------------------------------------------------------------


def test_a_superuser_creates_a_course_naming_its_first_instructor(api, root, world):
    prof = UserFactory(username="prof", first_name="Pat", last_name="Professor", email="pat@example.edu")

    response = post(
        api,
        root,
        "api-courses",
        {
            "term": world.course.term_id,
            "code": "CS 8803",
            "title": "Generative Models",
            "time_zone": "America/Chicago",
            "instructor": "prof",
            "instructor_first_name": "Someone",
            "instructor_last_name": "Else",
            "instructor_email": "else@example.edu",
        },
    )

    assert response.status_code == 201, response.content
    course = Course.objects.get(code="CS 8803")
    body = response.json()
    assert body["setup_url"] == reverse("course-setup", args=[course.id])
    assert (body["time_zone"], body["late_policy"], body["grace_days"]) == ("America/Chicago", "grace", 2)
    assert list(course.staff_roles.values_list("user__username", "role", "section")) == [
        ("prof", "instructor", None)
    ]
    prof.refresh_from_db()  # an existing account keeps its identity
    assert (prof.first_name, prof.last_name, prof.email) == ("Pat", "Professor", "pat@example.edu")
    assert actions() == ["course.create", "staff.add"]
    # The new instructor sets it up; the superuser who created it is not its staff.
    assert api.as_user(prof).get(reverse("api-course", args=[course.id])).status_code == 200
    assert not StaffRole.objects.filter(user=root).exists()


def test_a_superuser_who_names_nobody_becomes_the_instructor(api, root, world):
    response = post(api, root, "api-courses", {"term": world.course.term_id, "code": "CS 1", "title": "One"})

    assert response.status_code == 201, response.content
    assert StaffRole.objects.get(course_id=response.json()["id"]).user == root


def test_a_new_instructor_account_needs_a_name_and_an_e_mail(api, root, world):
    data = {"term": world.course.term_id, "code": "CS 2", "title": "Two", "instructor": "newprof"}

    body = error_of(post(api, root, "api-courses", data), 400)
    assert body["code"] == "no_such_account"
    assert "give their first and last name and e-mail" in body["detail"]
    assert not Course.objects.filter(code="CS 2").exists()
    assert not User.objects.filter(username="newprof").exists()

    data |= {
        "instructor_first_name": "Nia",
        "instructor_last_name": "New",
        "instructor_email": "nia@example.edu",
    }
    assert post(api, root, "api-courses", data).status_code == 201
    newprof = User.objects.get(username="newprof")
    assert (newprof.get_full_name(), newprof.email) == ("Nia New", "nia@example.edu")
    assert not newprof.has_usable_password()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"code": "cs 4644 / cs 7643-a"}, "code"),  # the same term has it already
        ({"term": 987654}, "term"),
        ({"late_policy": "whenever"}, "late_policy"),
        ({"grace_days": 31}, "grace_days"),
    ],
)
def test_a_bad_new_course_is_refused_and_nothing_is_made(api, root, world, change, field):
    data = {"term": world.course.term_id, "code": "CS 3", "title": "Three"} | change

    body = error_of(post(api, root, "api-courses", data), 400)

    assert field in body["fields"], body
    assert Course.objects.count() == 2  # the world's two
    assert not AuditEvent.objects.exists()


def test_only_superusers_create_courses(api, client, world):
    for user in (world.instructor, world.ta, world.ug1):
        body = error_of(
            post(api, user, "api-courses", {"term": world.course.term_id, "code": "X", "title": "X"}), 403
        )
        assert "superusers" in body["detail"]
        client.force_login(user)
        assert client.get(reverse("course-new")).status_code == 404
        assert "Create a course" not in text_of(client.get(reverse("home")))
    assert Course.objects.count() == 2


# ---- changing a course ----------------------------------------------------------------------------------


def test_an_instructor_changes_the_zone_and_deadlines_follow(api, world, django_capture_on_commit_callbacks):
    hw1 = world.course.assignments.get(code="HW1")
    before = EffectiveDeadline.objects.get(student=world.ug1, assignment=hw1)
    assert before.due_at == eastern(2023, 2, 12)

    with django_capture_on_commit_callbacks(execute=True):
        response = patch(
            api, world.instructor, "api-course", {"time_zone": "America/Los_Angeles"}, world.course.id
        )

    assert response.status_code == 200, response.content
    assert response.json()["time_zone"] == "America/Los_Angeles"
    course = Course.objects.get(pk=world.course.id)
    stored = EffectiveDeadline.objects.get(student=world.ug1, assignment=hw1)
    # Recomputed from the new inputs: the key names the new zone; the due time is the same instant.
    assert stored.inputs_key == deadline_inputs_key(
        policy=Policy.of(course), due_at=hw1.due_at, grace_allowed=True, extension_due_at=None
    )
    assert stored.inputs_key != before.inputs_key
    assert stored.due_at == before.due_at
    with at(utc(2023, 2, 1)):
        rows = {
            r["assignment"]["code"]: r for r in api.as_user(world.ug1).get(reverse("api-my-deadlines")).json()
        }
    assert rows["HW1"]["due_at"] == "2023-02-12T20:59:00-08:00"  # 11:59 pm in New York, shown in LA
    event = AuditEvent.objects.get(action="course.update")
    assert event.data["changes"] == {"time_zone": {"old": "America/New_York", "new": "America/Los_Angeles"}}


def test_a_new_late_policy_reaches_every_stored_deadline(api, world, django_capture_on_commit_callbacks):
    hw1 = world.course.assignments.get(code="HW1")
    assert EffectiveDeadline.objects.get(student=world.gr1, assignment=hw1).grace_ends_at == eastern(
        2023, 2, 14
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = patch(api, world.instructor, "api-course", {"grace_days": 3}, world.course.id)

    assert response.status_code == 200, response.content
    for student in (world.ug1, world.ug2, world.gr1):
        assert EffectiveDeadline.objects.get(student=student, assignment=hw1).grace_ends_at == eastern(
            2023, 2, 15
        )
    with at(utc(2023, 2, 1)):
        row = next(
            r
            for r in api.as_user(world.ug1).get(reverse("api-my-deadlines")).json()
            if r["assignment"]["code"] == "HW1"
        )
    assert row["grace_ends_at"] == "2023-02-15T23:59:00-05:00"


def test_settings_that_move_no_deadline_recompute_nothing(api, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = patch(
            api,
            world.instructor,
            "api-course",
            {"title": "Deep Learning, Spring", "office_hours": "Tue 3-4 pm", "reminder_hours": "24, 48, 24"},
            world.course.id,
        )
    assert response.status_code == 200, response.content
    assert response.json()["reminder_hours"] == "48,24"
    assert callbacks == []  # nothing enqueued
    assert (
        AuditEvent.objects.get(action="course.update").data["changes"]["title"]["new"]
        == "Deep Learning, Spring"
    )
    # Saving the same values again changes nothing and records nothing.
    patch(api, world.instructor, "api-course", {"title": "Deep Learning, Spring"}, world.course.id)
    assert AuditEvent.objects.filter(action="course.update").count() == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"time_zone": "Eastern"}, "time_zone", "use an IANA name"),
        ({"reminder_hours": "48,tomorrow"}, "reminder_hours", "Whole hours"),
        ({"penalty_percent_per_day": "120"}, "penalty_percent_per_day", "100"),
        ({"title": ""}, "title", ""),
        ({"bonus_cap_percent": "0.5"}, "bonus_cap_percent", "PARTICIPATION"),
    ],
)
def test_a_bad_setting_is_refused_and_nothing_changes(api, world, change, field, words):
    AssignmentFactory(course=world.course, code="PARTICIPATION", is_bonus=True, weight=1, due_at=None)
    before = Course.objects.filter(pk=world.course.id).values().get()

    body = error_of(patch(api, world.instructor, "api-course", change, world.course.id), 400)

    assert words in body["fields"][field]
    assert Course.objects.filter(pk=world.course.id).values().get() == before
    assert not AuditEvent.objects.filter(action="course.update").exists()


def test_who_may_change_a_course(api, world, root):
    data = {"title": "Renamed"}
    for user, status in (
        (world.ta, 403),
        (world.ug1, 403),
        (world.other_ta, 404),
        (world.other_student, 404),
    ):
        error_of(patch(api, user, "api-course", data, world.course.id), status)
    assert Course.objects.get(pk=world.course.id).title == "Deep Learning"
    assert patch(api, root, "api-course", data, world.course.id).status_code == 200  # a superuser may repair


# ---- sections -------------------------------------------------------------------------------------------


def test_an_instructor_adds_a_section(api, world):
    response = post(
        api,
        world.instructor,
        "api-course-sections",
        {
            "code": "CS 4644-B",
            "level": "undergraduate",
            "delivery": "hybrid",
            "room": "Klaus 1443",
            "room_capacity": 40,
            "capacity": 35,
            "meeting_times": "Mon/Wed 9:30-10:45 am",
            "stream_url": "https://example.edu/stream",
            "stream_info": "Zoom; the link is on Canvas",
            "notes": "Friday recitations.",
        },
        world.course.id,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["capacity"], body["room_capacity"], body["enrolled_count"]) == (
        "CS 4644-B",
        35,
        40,
        0,
    )
    assert body["stream_info"] == "Zoom; the link is on Canvas"
    assert Section.objects.get(code="CS 4644-B").course == world.course
    assert actions() == ["section.create"]
    # Students can ask to join it at once.
    assert (
        post(api, UserFactory(username="newcomer"), "api-section-waitlist", {}, body["id"]).status_code == 201
    )


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"code": "cs 4644"}, "code", "already a section"),
        ({"capacity": 50}, "capacity", "At most 40"),
        ({"room_capacity": 0, "capacity": 0}, "room_capacity", "At least 1"),
        ({"stream_url": "zoom meeting"}, "stream_url", "valid URL"),
        ({"level": "postdoc"}, "level", "valid choice"),
    ],
)
def test_a_bad_section_is_refused(api, world, data, field, words):
    base = {"code": "CS 4644-B", "level": "undergraduate", "room_capacity": 40, "capacity": 10}

    body = error_of(post(api, world.instructor, "api-course-sections", base | data, world.course.id), 400)

    assert words in body["fields"][field], body
    assert world.course.sections.count() == 2
    assert not AuditEvent.objects.exists()


def test_an_instructor_changes_a_sections_details(api, world):
    section = world.ug_section
    response = patch(
        api,
        world.instructor,
        "api-section",
        {
            "room": "CoC 16",
            "recordings_url": "https://example.edu/rec",
            "notes": "",
            "capacity": section.capacity,
        },
        section.id,
    )

    assert response.status_code == 200, response.content
    section.refresh_from_db()
    assert (section.room, section.recordings_url) == ("CoC 16", "https://example.edu/rec")
    assert actions() == ["section.update"]  # the capacity did not change: no capacity row
    changes = AuditEvent.objects.get().data["changes"]
    assert changes["room"] == {"old": "", "new": "CoC 16"}


def test_a_capacity_raise_from_the_setup_form_promotes_from_the_waitlist(
    api, world, django_capture_on_commit_callbacks
):
    section = world.gr_section  # gr1 holds its one seat; two wait
    Section.objects.filter(pk=section.pk).update(capacity=1, room_capacity=30)
    waiting = [
        EnrolmentFactory(
            user=UserFactory(username=f"w{i}"), section=section, status=Enrolment.Status.WAITLISTED
        )
        for i in (1, 2)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = patch(
            api, world.instructor, "api-section", {"capacity": 2, "notes": "Second seat opened."}, section.id
        )

    assert response.status_code == 200, response.content
    assert Enrolment.objects.get(pk=waiting[0].pk).status == Enrolment.Status.ENROLLED
    assert Enrolment.objects.get(pk=waiting[1].pk).status == Enrolment.Status.WAITLISTED
    assert [m.to for m in mail.outbox] == [[waiting[0].user.email]]
    assert {"section.capacity", "section.update", "waitlist.promote"} <= set(actions())


def test_who_may_add_or_change_sections(api, world):
    data = {"code": "CS 4644-B", "level": "undergraduate", "room_capacity": 40, "capacity": 10}
    for user, status in ((world.ta, 403), (world.ug1, 403), (world.other_ta, 404)):
        error_of(post(api, user, "api-course-sections", data, world.course.id), status)
        error_of(patch(api, user, "api-section", {"room": "Elsewhere"}, world.ug_section.id), status)
    assert world.course.sections.count() == 2
    assert Section.objects.get(pk=world.ug_section.pk).room == ""


# ---- staff ---------------------------------------------------------------------------------------------


def test_a_ta_added_to_one_section_reaches_only_its_students(api, client, world):
    newta = UserFactory(username="newta", first_name="Tess", last_name="Assistant")

    response = post(
        api,
        world.instructor,
        "api-course-staff",
        {"username": "newta", "role": "ta", "sections": [world.gr_section.id]},
        world.course.id,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account_created"] is False
    assert [(r["username"], r["role"], r["section"]) for r in body["roles"]] == [("newta", "ta", "CS 7643-A")]
    client.force_login(newta)
    roster = client.get(reverse("roster", args=[world.course.id])).content.decode()
    assert 'data-student="gr1"' in roster
    assert 'data-student="ug1"' not in roster and 'data-student="ug2"' not in roster
    assert (
        api.as_user(newta).get(reverse("api-section-waitlist", args=[world.ug_section.id])).status_code == 404
    )
    event = AuditEvent.objects.get(action="staff.add")
    assert (event.target, event.data["sections"], event.data["account_created"]) == (
        "newta",
        ["CS 7643-A"],
        False,
    )


def test_a_ta_without_an_account_is_created_only_with_a_name_and_an_e_mail(api, world):
    data = {"username": "freshta", "role": "ta"}

    body = error_of(post(api, world.instructor, "api-course-staff", data, world.course.id), 400)
    assert body["code"] == "no_such_account"
    assert not User.objects.filter(username="freshta").exists()

    response = post(
        api,
        world.instructor,
        "api-course-staff",
        data | {"first_name": "Fay", "last_name": "Fresh", "email": "fay@example.edu"},
        world.course.id,
    )
    assert response.status_code == 201, response.content
    assert response.json()["account_created"] is True
    fresh = User.objects.get(username="freshta")
    assert (fresh.get_full_name(), fresh.email, fresh.has_usable_password()) == (
        "Fay Fresh",
        "fay@example.edu",
        False,
    )


def test_an_existing_accounts_identity_is_never_changed(api, world):
    person = UserFactory(
        username="kept", first_name="Kim", last_name="Kept", email="kim@example.edu", sis_id="0901"
    )
    password = person.password

    response = post(
        api,
        world.instructor,
        "api-course-staff",
        {
            "username": "kept",
            "role": "ta",
            "first_name": "Other",
            "last_name": "Name",
            "email": "x@example.edu",
        },
        world.course.id,
    )

    assert response.status_code == 201, response.content
    person.refresh_from_db()
    assert (person.get_full_name(), person.email, person.sis_id, person.password) == (
        "Kim Kept",
        "kim@example.edu",
        "0901",
        password,
    )


@pytest.mark.parametrize(
    ("who", "data", "code", "words"),
    [
        ("ug1", {"role": "ta"}, "is_student", "drop their enrolment first"),
        ("ta1", {"role": "ta"}, "already_staff", "already a TA of the whole course"),
        ("ta1", {"role": "ta", "sections": "gr"}, "already_staff", "remove that role first"),
        ("instructor", {"role": "ta"}, "already_staff", "reaches every section"),
        ("instructor", {"role": "instructor"}, "already_staff", "already an instructor"),
        ("newta", {"role": "instructor", "sections": "gr"}, "invalid", "teaches the whole course"),
        ("newta", {"role": "ta", "sections": "other"}, "invalid", "sections of this course"),
    ],
)
def test_refusals_say_what_to_do(api, world, who, data, code, words):
    UserFactory(username="newta")
    sections = {"gr": [world.gr_section.id], "other": [world.other_course.sections.get().id]}
    if "sections" in data:
        data = data | {"sections": sections[data["sections"]]}
    before = set(StaffRole.objects.values_list("id", flat=True))

    body = error_of(
        post(api, world.instructor, "api-course-staff", {"username": who} | data, world.course.id), 400
    )

    assert body["code"] == code
    assert words in body["detail"]
    assert set(StaffRole.objects.values_list("id", flat=True)) == before


def test_a_dropped_student_may_become_staff(api, world):
    Enrolment.objects.filter(user=world.ug2).update(status=Enrolment.Status.DROPPED)

    assert (
        post(
            api, world.instructor, "api-course-staff", {"username": "ug2", "role": "ta"}, world.course.id
        ).status_code
        == 201
    )


def test_staff_are_removed_but_the_last_instructor_stays(api, client, world):
    ta_role = StaffRole.objects.get(user=world.ta, course=world.course)
    assert (
        api.as_user(world.instructor).delete(reverse("api-staff-role", args=[ta_role.id])).status_code == 204
    )
    client.force_login(world.ta)
    assert client.get(reverse("staff-course", args=[world.course.id])).status_code == 404
    assert AuditEvent.objects.get(action="staff.remove").target == "ta1"

    only = StaffRole.objects.get(user=world.instructor, course=world.course)
    body = error_of(api.as_user(world.instructor).delete(reverse("api-staff-role", args=[only.id])), 400)
    assert body["code"] == "last_instructor"
    assert "Add another instructor first" in body["detail"]

    second = UserFactory(username="coprof")
    assert (
        post(
            api,
            world.instructor,
            "api-course-staff",
            {"username": "coprof", "role": "instructor"},
            world.course.id,
        ).status_code
        == 201
    )
    assert api.as_user(second).delete(reverse("api-staff-role", args=[only.id])).status_code == 204
    assert list(world.course.staff_roles.values_list("user__username", flat=True)) == ["coprof"]


def test_who_may_see_and_change_the_staff(api, world):
    url = reverse("api-course-staff", args=[world.course.id])
    listed = api.as_user(world.ta).get(url)
    assert listed.status_code == 200
    assert [(r["username"], r["role"], r["section"]) for r in listed.json()] == [
        ("instructor", "instructor", None),
        ("ta1", "ta", None),
    ]
    error_of(api.as_user(world.ug1).get(url), 404)
    error_of(api.as_user(world.other_ta).get(url), 404)
    ta_role = StaffRole.objects.get(user=world.ta, course=world.course)
    for user, status in ((world.ta, 403), (world.ug1, 403), (world.other_ta, 404)):
        error_of(
            post(api, user, "api-course-staff", {"username": "ug2", "role": "ta"}, world.course.id), status
        )
        error_of(api.as_user(user).delete(reverse("api-staff-role", args=[ta_role.id])), status)
    assert StaffRole.objects.filter(course=world.course).count() == 2


# ---- pages ---------------------------------------------------------------------------------------------


class Controls(HTMLParser):
    """Every form control of a page (not hidden ones, not buttons) and whether a label names it."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs | {"_tag": tag, "_wrapped": self.open_labels > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[str]:
        return [
            c.get("name", c["_tag"])
            for c in self.controls
            if not (c["_wrapped"] or c.get("id") in self.label_for or c.get("aria-label"))
        ]


def controls_of(response) -> Controls:
    parser = Controls()
    parser.feed(response.content.decode())
    return parser


def test_the_setup_page_offers_every_form_through_the_api(client, world):
    client.force_login(world.instructor)
    response = client.get(reverse("course-setup", args=[world.course.id]))

    assert response.status_code == 200
    html = response.content.decode()
    for name, args in [
        ("api-course", [world.course.id]),
        ("api-course-sections", [world.course.id]),
        ("api-section", [world.ug_section.id]),
        ("api-course-staff", [world.course.id]),
        ("api-staff-role", [StaffRole.objects.get(user=world.ta).id]),
        ("api-course-assignments", [world.course.id]),
        ("api-assignment", [world.course.assignments.get(code="HW1").id]),
    ]:
        assert f'data-api="{reverse(name, args=args)}"' in html, name
    parser = controls_of(response)
    assert parser.unlabelled() == []
    text = text_of(response)
    assert "Due (America/New_York; empty: no due time)" in text
    # The assignment's wall time in the course's zone, seconds included (saving keeps the due time).
    assert 'name="due_at" type="datetime-local" step="1" value="2023-02-12T23:59:00"' in html
    assert 'name="time_zone"' in html and '<option value="America/New_York" selected>' in html


@pytest.mark.parametrize("who", ["ta", "ug1", "other_ta"])
def test_the_setup_page_is_the_instructors(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("course-setup", args=[world.course.id])).status_code == 404


def test_a_superuser_creates_a_course_from_the_new_course_page(client, root, world):
    client.force_login(root)
    home = client.get(reverse("home"))
    assert links_of(home).get(reverse("course-new")) == "Create a course"

    response = client.get(reverse("course-new"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-api="{reverse("api-courses")}"' in html and 'data-follow="setup_url"' in html
    assert f'data-api="{reverse("api-terms")}"' in html
    assert f'data-api="{reverse("api-term", args=[world.course.term_id])}"' in html
    assert controls_of(response).unlabelled() == []
    # A superuser opens any course's setup page (to repair it), without being its staff.
    assert client.get(reverse("course-setup", args=[world.course.id])).status_code == 200


def test_the_staff_page_links_to_setup_not_to_the_admin(client, world):
    client.force_login(world.instructor)
    links = links_of(client.get(reverse("staff-course", args=[world.course.id])))
    assert links.get(reverse("course-setup", args=[world.course.id])) == "Set up the course"
    assert reverse("admin:index") not in links
    client.force_login(world.ta)
    assert reverse("course-setup", args=[world.course.id]) not in links_of(
        client.get(reverse("staff-course", args=[world.course.id]))
    )


def weights_rows(response) -> dict[str, str]:
    html = response.content.decode()
    return {
        category: re.sub(r"<[^>]+>", "", weight)
        for category, weight in re.findall(
            r'<tr data-category="([^"]+)">.*?<td[^>]*data-weight>(.*?)</td>', html, re.S
        )
    }


def test_weights_by_category_say_when_they_do_not_add_up_to_100(client, world):
    client.force_login(world.instructor)
    url = reverse("course-setup", args=[world.course.id])
    hw1 = world.course.assignments.get(code="HW1")  # homework, 9%; PS0 counts nothing

    response = client.get(url)
    assert weights_rows(response) == {"homework": "9%", "total": "9%", "bonus": "0%"}
    text = text_of(response)
    assert "The counted weights add up to 9%, not 100%" in text
    assert re.search(r"Not counted toward the grade: PS0 ?\.", text)
    assert f'href="#assignment-{hw1.id}"' in response.content.decode()

    AssignmentFactory(course=world.course, code="PROJECT", category="project", weight=Decimal("28"))
    for i in range(2, 8):
        AssignmentFactory(course=world.course, code=f"HW{i}", weight=Decimal("9"))
    AssignmentFactory(course=world.course, code="PS1", category="problem_set", weight=Decimal("9"))
    AssignmentFactory(course=world.course, code="PART", category="participation", is_bonus=True, weight=1)
    response = client.get(url)
    assert weights_rows(response) == {
        "problem_set": "9%",
        "homework": "63%",
        "project": "28%",
        "total": "100%",
        "bonus": "1%",
    }
    assert "The counted weights add up to 100%." in text_of(response)


def test_the_weights_shown_are_the_ones_totals_count(world):
    """The setup page's weights and grading.totals read one rule: a student with full marks everywhere
    gets each category's weight, and the bonus (up to the cap) on top."""
    from grading.totals import CourseScheme, student_total

    AssignmentFactory(course=world.course, code="PROJECT", category="project", weight=Decimal("28"))
    AssignmentFactory(
        course=world.course, code="PART", category="participation", is_bonus=True, weight=Decimal("1")
    )
    AssignmentFactory(course=world.course, code="OPT", counts_toward_grade=False, weight=Decimal("5"))
    summary = weights_by_category(world.course)
    scheme = CourseScheme.load(world.course)

    total = student_total(
        scheme,
        student_id=world.ug1.id,
        section_id=world.ug_section.id,
        scores={a.id: {0: a.points} for a in scheme.assignments},
        outcomes={},
    )

    assert total.category_totals == {c.category: c.weight for c in summary.categories}
    assert total.bonus == min(summary.bonus.weight, summary.bonus_cap)
    assert total.total == summary.counted_total + total.bonus
    assert [a.code for a in summary.not_counted] == ["PS0", "OPT"]


def test_an_assignment_made_and_changed_as_the_setup_form_sends_it(api, world):
    """The form sends strings, wall times in the course's zone with seconds, and null to clear a time."""
    form = {
        "code": "HW2",
        "title": "Homework 2",
        "category": "homework",
        "points": "100",
        "weight": "9",
        "release_at": None,
        "due_at": "2023-03-12T23:59:00",  # the day daylight saving starts: EDT
        "team_size_min": "1",
        "team_size_max": "1",
        "is_bonus": "false",
        "counts_toward_grade": "true",
        "grace_allowed": "true",
        "collaboration_allowed": "true",
        "accepts_submissions": "true",
    }

    response = post(api, world.instructor, "api-course-assignments", form, world.course.id)

    assert response.status_code == 201, response.content
    assert response.json()["due_at"] == "2023-03-12T23:59:00-04:00"
    hw2 = Assignment.objects.get(code="HW2")
    response = patch(api, world.instructor, "api-assignment", form | {"due_at": None, "weight": "10"}, hw2.id)
    assert response.status_code == 200, response.content
    hw2.refresh_from_db()
    assert (hw2.due_at, hw2.weight) == (None, Decimal("10"))


def test_a_new_ps0_or_hw0_has_no_grace_period_and_no_collaboration_unless_said(api, world):
    """The course's rules for the readiness work: no grace period, no collaboration (DESIGN.md); a
    PS0/HW0 made through the API without those fields gets them, and a late one is refused."""
    from tests.courses.helpers import submit

    due = eastern(2023, 1, 22)
    data = {"code": "HW0", "title": "Homework 0", "category": "preparation", "due_at": due.isoformat()}
    response = post(api, world.instructor, "api-course-assignments", data, world.course.id)
    assert response.status_code == 201, response.content
    assert (response.json()["grace_allowed"], response.json()["collaboration_allowed"]) == (False, False)
    hw0 = Assignment.objects.get(course=world.course, code="HW0")
    with at(due + (eastern(2023, 1, 23) - due)):  # a day after the due time
        late = submit(api, world.ug1, hw0)
    assert late.status_code == 400 and error_of(late)["code"] == "window_closed", late.content
    # Said otherwise, the instructor's choice stands; other categories keep the course's defaults.
    data = {**data, "code": "PS0b", "grace_allowed": True}
    assert post(api, world.instructor, "api-course-assignments", data, world.course.id).json()[
        "grace_allowed"
    ]
    data = {"code": "HW9", "title": "Homework 9", "category": "homework", "due_at": due.isoformat()}
    body = post(api, world.instructor, "api-course-assignments", data, world.course.id).json()
    assert (body["grace_allowed"], body["collaboration_allowed"]) == (True, True)
