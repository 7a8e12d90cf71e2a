"""Seats and promotion through the API: a full section waitlists; a drop or a capacity raise promotes
the next students by priority, logs a Promotion and e-mails them; bad capacities change nothing; only
instructors drop and set capacity; promotion is idempotent."""

import pytest
from django.core import mail
from django.urls import reverse

from courses.models import AuditEvent, Enrolment, Promotion, Section
from courses.services.waitlist import waitlist_promote
from courses.tasks import promote_from_waitlist
from tests.courses.waitlist.helpers import (
    enrolled_count,
    error_of,
    join,
    minutes_after_start,
    my_enrolments,
    my_position,
    status_of,
    submit_prep,
    waitlist_usernames,
)
from tests.factories import UserFactory

Status = Enrolment.Status


@pytest.fixture
def queue(full, api):
    """w1, w2, w3 join the full CS 7643-A in that order; w2 submitted PS0, so the order is w2, w1, w3."""
    people = {name: full.student(name) for name in ("w1", "w2", "w3")}
    submit_prep(people["w2"], full.ps0)
    for minute, user in enumerate(people.values()):
        assert join(api, user, full.section, at=minutes_after_start(minute)).status_code == 201
    mail.outbox.clear()
    return people


def drop(api, user, enrolment):
    return api.as_user(user).post(reverse("api-enrolment-drop", args=[enrolment.id]))


def patch_section(api, user, section, **data):
    return api.as_user(user).patch(reverse("api-section", args=[section.id]), data, format="json")


def enrolment_of(user, section) -> Enrolment:
    return Enrolment.objects.get(user=user, section=section)


def section_state(section: Section) -> tuple:
    section.refresh_from_db()
    return (
        section.capacity,
        section.room_capacity,
        sorted(Enrolment.objects.filter(section=section).values_list("user__username", "status")),
        Promotion.objects.count(),
    )


def promoted_usernames() -> list[str]:
    return sorted(Promotion.objects.values_list("enrolment__user__username", flat=True))


# ---- joining a full section -------------------------------------------------------------------------


def test_joining_a_full_section_waitlists_without_a_seat(full, api, django_capture_on_commit_callbacks):
    student = full.student("hopeful")

    with django_capture_on_commit_callbacks(execute=True):
        response = join(api, student, full.section)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "waitlisted"
    assert status_of(student, full.section) == Status.WAITLISTED
    assert enrolled_count(full.section) == 3
    assert not Promotion.objects.exists()
    assert mail.outbox == []
    assert my_position(api, student, full.section) == 1


def test_joining_a_section_with_a_free_seat_takes_it_at_once(full, api, django_capture_on_commit_callbacks):
    Section.objects.filter(pk=full.section.pk).update(capacity=4)
    student = full.student("lucky")

    with django_capture_on_commit_callbacks(execute=True):
        assert join(api, student, full.section).status_code == 201

    assert status_of(student, full.section) == Status.ENROLLED
    assert promoted_usernames() == ["lucky"]
    assert [m.to for m in mail.outbox] == [["lucky@example.edu"]]
    assert my_enrolments(api, student)["CS 7643-A"]["waitlist_position"] is None


# ---- a drop frees a seat -------------------------------------------------------------------------------


def test_a_drop_promotes_the_next_student_by_priority_and_tells_them(
    full, api, queue, django_capture_on_commit_callbacks
):
    world = full.world
    seat = enrolment_of(world.gr1, full.section)

    with django_capture_on_commit_callbacks(execute=True):
        response = drop(api, world.instructor, seat)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dropped"
    assert status_of(world.gr1, full.section) == Status.DROPPED
    # w2 submitted PS0, so w2 goes before w1 who joined earlier.
    assert status_of(queue["w2"], full.section) == Status.ENROLLED
    assert enrolled_count(full.section) == 3
    promotion = Promotion.objects.get()
    assert promotion.enrolment == enrolment_of(queue["w2"], full.section)
    assert promotion.section == full.section
    assert promotion.reason
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["w2@example.edu"]
    assert "CS 7643-A" in message.subject
    assert "enrolled in CS 7643-A" in message.body
    mine = my_enrolments(api, queue["w2"])["CS 7643-A"]
    assert (mine["status"], mine["waitlist_position"]) == ("enrolled", None)
    assert waitlist_usernames(api, world.instructor, full.section) == ["w1", "w3"]
    assert (my_position(api, queue["w1"], full.section), my_position(api, queue["w3"], full.section)) == (
        1,
        2,
    )
    assert AuditEvent.objects.filter(action="enrolment.drop", target="gr1").exists()
    assert AuditEvent.objects.filter(action="waitlist.promote").count() == 1


def test_the_promoted_student_gets_their_deadlines(full, api, queue, django_capture_on_commit_callbacks):
    seat = enrolment_of(full.world.gr1, full.section)
    with django_capture_on_commit_callbacks(execute=True):
        assert drop(api, full.world.instructor, seat).status_code == 200

    response = api.as_user(queue["w2"]).get(reverse("api-my-deadlines"))
    assert response.status_code == 200
    assert {row["assignment"]["code"] for row in response.json()} == {"PS0", "HW0", "HW1"}


def test_dropping_a_waitlisted_student_frees_no_seat(full, api, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = drop(api, full.world.instructor, enrolment_of(queue["w2"], full.section))

    assert response.status_code == 200, response.content
    assert status_of(queue["w2"], full.section) == Status.DROPPED
    assert enrolled_count(full.section) == 3
    assert not Promotion.objects.exists()
    assert mail.outbox == []
    assert waitlist_usernames(api, full.world.instructor, full.section) == ["w1", "w3"]


def test_dropping_twice_is_refused(full, api, queue, django_capture_on_commit_callbacks):
    seat = enrolment_of(full.world.gr1, full.section)
    with django_capture_on_commit_callbacks(execute=True):
        assert drop(api, full.world.instructor, seat).status_code == 200
    before = section_state(full.section)

    with django_capture_on_commit_callbacks(execute=True):
        body = error_of(drop(api, full.world.instructor, seat), 400)

    assert body["code"] == "already_dropped"
    assert section_state(full.section) == before
    assert len(mail.outbox) == 1


# ---- capacity -----------------------------------------------------------------------------------------


def test_raising_capacity_promotes_that_many(full, api, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = patch_section(api, full.world.instructor, full.section, capacity=5)

    assert response.status_code == 200, response.content
    assert response.json()["capacity"] == 5
    assert promoted_usernames() == ["w1", "w2"]
    assert status_of(queue["w3"], full.section) == Status.WAITLISTED
    assert enrolled_count(full.section) == 5
    assert sorted(m.to[0] for m in mail.outbox) == ["w1@example.edu", "w2@example.edu"]
    assert waitlist_usernames(api, full.world.instructor, full.section) == ["w3"]
    assert my_position(api, queue["w3"], full.section) == 1
    section = api.as_user(full.world.instructor).get(reverse("api-section", args=[full.section.id])).json()
    assert (section["capacity"], section["enrolled_count"], section["waitlisted_count"]) == (5, 5, 1)


def test_raising_capacity_beyond_the_waitlist_fills_what_it_can(
    full, api, queue, django_capture_on_commit_callbacks
):
    Section.objects.filter(pk=full.section.pk).update(room_capacity=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert patch_section(api, full.world.instructor, full.section, capacity=10).status_code == 200

    assert promoted_usernames() == ["w1", "w2", "w3"]
    assert enrolled_count(full.section) == 6
    assert waitlist_usernames(api, full.world.instructor, full.section) == []


def test_raising_the_room_and_the_capacity_together(full, api, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = patch_section(api, full.world.instructor, full.section, room_capacity=8, capacity=4)

    assert response.status_code == 200, response.content
    assert (response.json()["capacity"], response.json()["room_capacity"]) == (4, 8)
    assert promoted_usernames() == ["w2"]


def test_capacity_above_the_room_is_refused_and_changes_nothing(
    full, api, queue, django_capture_on_commit_callbacks
):
    before = section_state(full.section)

    with django_capture_on_commit_callbacks(execute=True):
        body = error_of(patch_section(api, full.world.instructor, full.section, capacity=6), 400)

    assert set(body["fields"]) == {"capacity"}
    assert "5" in body["fields"]["capacity"]
    assert section_state(full.section) == before
    assert mail.outbox == []


def test_lowering_the_room_below_the_capacity_is_refused(
    full, api, queue, django_capture_on_commit_callbacks
):
    before = section_state(full.section)

    with django_capture_on_commit_callbacks(execute=True):
        error_of(patch_section(api, full.world.instructor, full.section, room_capacity=2), 400)

    assert section_state(full.section) == before


def test_capacity_below_the_enrolled_count_is_refused_and_changes_nothing(
    full, api, queue, django_capture_on_commit_callbacks
):
    before = section_state(full.section)

    with django_capture_on_commit_callbacks(execute=True):
        body = error_of(patch_section(api, full.world.instructor, full.section, capacity=2), 400)

    assert set(body["fields"]) == {"capacity"}
    assert "3" in body["fields"]["capacity"]
    assert section_state(full.section) == before


@pytest.mark.parametrize("value", [-1, "many", None])
def test_a_capacity_that_is_not_a_count_is_a_field_error(full, api, value):
    before = section_state(full.section)

    body = error_of(patch_section(api, full.world.instructor, full.section, capacity=value), 400)

    assert "capacity" in body["fields"]
    assert section_state(full.section) == before


def test_lowering_capacity_to_the_enrolled_count_is_allowed(full, api):
    Section.objects.filter(pk=full.section.pk).update(capacity=5)

    response = patch_section(api, full.world.instructor, full.section, capacity=3)

    assert response.status_code == 200, response.content
    full.section.refresh_from_db()
    assert full.section.capacity == 3


# ---- who may drop and change capacity ---------------------------------------------------------------


def test_a_ta_cannot_drop_or_change_capacity(full, api, queue, django_capture_on_commit_callbacks):
    world = full.world
    before = section_state(full.section)

    with django_capture_on_commit_callbacks(execute=True):
        error_of(drop(api, world.ta, enrolment_of(world.gr1, full.section)), 403)
        error_of(patch_section(api, world.ta, full.section, capacity=5), 403)

    assert section_state(full.section) == before
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["student", "waitlisted", "other_ta", "other_student", "stranger"])
def test_students_and_outsiders_cannot_drop_or_change_capacity(
    full, api, queue, django_capture_on_commit_callbacks, who
):
    world = full.world
    user = {
        "student": world.gr1,
        "waitlisted": queue["w1"],
        "other_ta": world.other_ta,
        "other_student": world.other_student,
        "stranger": UserFactory(username="stranger"),
    }[who]
    before = section_state(full.section)

    with django_capture_on_commit_callbacks(execute=True):
        for target in (world.gr1, queue["w1"]):  # someone else's seat, and (for w1) their own
            response = drop(api, user, enrolment_of(target, full.section))
            assert response.status_code in (403, 404), response.content
            error_of(response, response.status_code)
        response = patch_section(api, user, full.section, capacity=5)
        assert response.status_code in (403, 404), response.content

    assert section_state(full.section) == before
    assert mail.outbox == []


def test_an_outsider_learns_nothing_about_an_enrolment(full, api):
    error_of(drop(api, full.world.other_ta, enrolment_of(full.world.gr1, full.section)), 404)
    error_of(api.as_user(full.world.instructor).post(reverse("api-enrolment-drop", args=[987654])), 404)


# ---- the task is idempotent -------------------------------------------------------------------------


def test_running_the_promotion_task_twice_promotes_nobody_twice(full, api, queue):
    Section.objects.filter(pk=full.section.pk).update(capacity=4)  # a seat, without a task

    first = promote_from_waitlist.delay(section_id=full.section.id).get()
    second = promote_from_waitlist.delay(section_id=full.section.id).get()

    assert first == [enrolment_of(queue["w2"], full.section).id]
    assert second == []
    assert promoted_usernames() == ["w2"]
    assert enrolled_count(full.section) == 4


def test_a_promotion_task_after_the_seat_was_filled_does_nothing(
    full, api, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert drop(api, full.world.instructor, enrolment_of(full.world.gr1, full.section)).status_code == 200
    assert promoted_usernames() == ["w2"]

    with django_capture_on_commit_callbacks(execute=True):
        assert promote_from_waitlist(full.section.id) == []
        assert waitlist_promote(section_id=full.section.id) == []

    assert promoted_usernames() == ["w2"]
    assert len(mail.outbox) == 1
    assert enrolled_count(full.section) == 3
