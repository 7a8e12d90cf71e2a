"""Re-enrolling a dropped student (issue 13, item 5): the instructor gives the seat back through
POST /api/v1/enrolments/{id}/re-enrol/ or the roster page; capacity holds and the waitlist keeps its claim
on free seats; audited; the student's deadlines come back."""

import re

import pytest
from django.urls import reverse

from courses.models import AuditEvent, EffectiveDeadline, Enrolment, Section
from tests.courses.waitlist.helpers import enrolled_count, error_of, join, status_of
from tests.factories import StaffRoleFactory, UserFactory

Status = Enrolment.Status


def drop(api, user, enrolment):
    return api.as_user(user).post(reverse("api-enrolment-drop", args=[enrolment.id]))


def reenrol(api, user, enrolment):
    return api.as_user(user).post(reverse("api-enrolment-reenrol", args=[enrolment.id]))


@pytest.fixture
def dropped(full, api, django_capture_on_commit_callbacks) -> Enrolment:
    """gr1 dropped from the full CS 7643-A (3 seats, nobody waiting): a seat is free."""
    seat = Enrolment.objects.get(user=full.world.gr1, section=full.section)
    with django_capture_on_commit_callbacks(execute=True):
        assert drop(api, full.world.instructor, seat).status_code == 200
    assert not EffectiveDeadline.objects.filter(student=full.world.gr1).exists()
    return seat


def state(section: Section) -> tuple:
    return (
        sorted(Enrolment.objects.filter(section=section).values_list("user__username", "status")),
        AuditEvent.objects.filter(action="enrolment.reenrol").count(),
    )


def test_the_instructor_re_enrols_a_dropped_student(full, api, dropped, django_capture_on_commit_callbacks):
    world = full.world
    with django_capture_on_commit_callbacks(execute=True):
        response = reenrol(api, world.instructor, dropped)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["username"], body["section"], body["status"]) == ("gr1", "CS 7643-A", "enrolled")
    assert status_of(world.gr1, full.section) == Status.ENROLLED
    assert enrolled_count(full.section) == 3
    event = AuditEvent.objects.get(action="enrolment.reenrol")
    assert (event.actor, event.course, event.target, event.data) == (
        world.instructor,
        world.course,
        "gr1",
        {"section": "CS 7643-A"},
    )
    # Deadlines are recomputed as for any enrolment change: the student has their rows again.
    codes = set(
        EffectiveDeadline.objects.filter(student=world.gr1).values_list("assignment__code", flat=True)
    )
    assert codes == {"PS0", "HW0", "HW1"}
    deadlines = api.as_user(world.gr1).get(reverse("api-my-deadlines")).json()
    assert {row["assignment"]["code"] for row in deadlines} == {"PS0", "HW0", "HW1"}


def test_a_full_section_is_refused_with_what_to_do(full, api, dropped, django_capture_on_commit_callbacks):
    world = full.world
    with django_capture_on_commit_callbacks(execute=True):  # the free seat is taken by someone joining
        assert join(api, full.student("newcomer"), full.section).status_code == 201
    assert status_of(full.student("newcomer"), full.section) == Status.ENROLLED
    before = state(full.section)

    body = error_of(reenrol(api, world.instructor, dropped), 400)

    assert body["code"] == "section_full"
    assert body["detail"] == (
        "CS 7643-A is full: 3 of 3 seats are taken. Raise CS 7643-A's capacity (its room holds 5), or let "
        "gr1 join the waitlist from their Join a course page."
    )
    assert state(full.section) == before


def test_a_free_seat_the_waitlist_is_owed_is_not_given_away(full, api, dropped):
    """A seat freed while students wait belongs to them (the promotion task fills it in priority order):
    re-enrolling does not jump the line."""
    world = full.world
    Enrolment.objects.create(
        user=UserFactory(username="waiting"),
        section=full.section,
        status=Status.WAITLISTED,
        joined_at=dropped.joined_at,
    )
    before = state(full.section)

    body = error_of(reenrol(api, world.instructor, dropped), 400)

    assert body["code"] == "section_full"
    assert body["detail"].startswith(
        "CS 7643-A has no seat to give: 2 of 3 seats are taken and the 1 on its waitlist come first. "
        "Raise CS 7643-A's capacity"
    )
    assert state(full.section) == before

    Section.objects.filter(pk=full.section.pk).update(capacity=4)  # one seat more than the waitlist needs
    assert reenrol(api, world.instructor, dropped).status_code == 200
    assert status_of(world.gr1, full.section) == Status.ENROLLED


def test_only_a_dropped_student_is_re_enrolled(full, api):
    world = full.world
    seat = Enrolment.objects.get(user=world.gr1, section=full.section)
    body = error_of(reenrol(api, world.instructor, seat), 400)
    assert body["code"] == "not_dropped"
    assert "gr1 is enrolled in CS 7643-A, not dropped" in body["detail"]


def test_a_student_active_in_another_section_is_refused(full, api, dropped):
    world = full.world
    assert join(api, world.gr1, world.ug_section).status_code == 201  # now in CS 4644 (or its waitlist)
    other = Enrolment.objects.get(user=world.gr1, section=world.ug_section)
    before = state(full.section)

    body = error_of(reenrol(api, world.instructor, dropped), 400)

    assert body["code"] == "already_in_course"
    assert body["detail"] == (
        f"gr1 is {other.get_status_display().lower()} in CS 4644 now; drop that enrolment first to re-enrol "
        "them in CS 7643-A."
    )
    assert state(full.section) == before


@pytest.mark.parametrize(
    ("who", "status_code"),
    [("ta", 403), ("section_ta", 404), ("gr1", 404), ("ug1", 404), ("other_ta", 404), ("other_student", 404)],
)
def test_only_the_courses_instructors_re_enrol(full, api, dropped, who, status_code):
    world = full.world
    if who == "section_ta":  # a TA of CS 7643-A reaches its active students only: gr1 is dropped
        user = UserFactory(username="section_ta")
        StaffRoleFactory(user=user, course=world.course, section=full.section)
    else:
        user = getattr(world, who)
    before = state(full.section)

    error_of(reenrol(api, user, dropped), status_code)

    assert state(full.section) == before


# ---- the roster page -----------------------------------------------------------------------------------


def dropped_list(html: str) -> str:
    match = re.search(r'<section aria-labelledby="dropped">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def test_the_roster_lists_dropped_students_with_a_re_enrol_button(full, client, dropped):
    world = full.world
    client.force_login(world.instructor)
    html = client.get(reverse("roster", args=[world.course.id])).content.decode()
    listed = dropped_list(html)
    assert 'data-dropped="gr1"' in listed
    assert f'data-api="{reverse("api-enrolment-reenrol", args=[dropped.id])}"' in listed
    assert 'aria-label="Re-enrol gr1 in CS 7643-A"' in listed

    client.force_login(world.ta)  # the TA sees who was dropped, without the instructor's button
    listed = dropped_list(client.get(reverse("roster", args=[world.course.id])).content.decode())
    assert 'data-dropped="gr1"' in listed
    assert "Re-enrol" not in listed


def test_the_roster_drop_button_asks_first_with_the_facts(full, client):
    world = full.world
    gr1 = world.gr1
    gr1.first_name, gr1.last_name = "Grace", "Hopper"  # a name with nothing to escape in HTML
    gr1.save(update_fields=["first_name", "last_name"])
    client.force_login(world.instructor)
    html = client.get(reverse("roster", args=[world.course.id])).content.decode()
    row = re.search(r'<tr data-student="gr1">(.*?)</tr>', html, re.S).group(1)
    assert (
        'data-confirm="Grace Hopper (gr1) loses their seat in CS 7643-A; it goes to the next student on '
        "the CS 7643-A waitlist. Re-enrolling them later needs a free seat in CS 7643-A."
    ) in row
    assert 'aria-label="Drop gr1"' in row


def test_a_student_active_again_is_not_listed_as_dropped(full, api, client, dropped):
    world = full.world
    assert reenrol(api, world.instructor, dropped).status_code == 200
    client.force_login(world.instructor)
    html = client.get(reverse("roster", args=[world.course.id])).content.decode()
    assert dropped_list(html) == ""
    assert '<tr data-student="gr1">' in html
