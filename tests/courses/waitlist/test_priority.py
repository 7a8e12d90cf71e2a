"""Waitlist priority through the API: for credit before audit and pass/fail, PS0/HW0 submitters before
the others, then join time; one active place per course; leaving and re-joining goes to the back."""

import pytest
from django.urls import reverse

from courses.models import Enrolment
from tests.courses.waitlist.helpers import (
    error_of,
    join,
    leave,
    minutes_after_start,
    my_enrolments,
    my_position,
    status_of,
    submit_prep,
    waitlist_usernames,
)
from tests.factories import AssignmentFactory, UserFactory

Status = Enrolment.Status


def join_in_order(api, section, people: list[tuple]):
    """Each (user, basis) joins a minute after the previous one; every join is accepted."""
    for minute, (user, basis) in enumerate(people):
        response = join(api, user, section, basis, at=minutes_after_start(minute))
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "waitlisted"
        assert response.json()["grading_basis"] == basis


def positions(api, users, section) -> dict[str, int | None]:
    return {u.username: my_position(api, u, section) for u in users}


# ---- credit before audit and pass/fail --------------------------------------------------------------


@pytest.mark.parametrize("basis", ["audit", "pass_fail"])
def test_audit_and_pass_fail_are_declined_by_default(full, api, basis):
    student = full.student("auditor")

    body = error_of(join(api, student, full.section, basis), 400)

    assert body["code"] == "audit_declined"
    assert set(body["fields"]) == {"grading_basis"}
    assert not Enrolment.objects.filter(user=student).exists()
    assert my_enrolments(api, student) == {}


def test_an_unknown_grading_basis_is_a_field_error(full, api):
    student = full.student("confused")

    body = error_of(join(api, student, full.section, "honours"), 400)

    assert "grading_basis" in body["fields"]
    assert not Enrolment.objects.filter(user=student).exists()


def test_credit_is_the_default_basis(full, api):
    student = full.student("plain")

    response = join(api, student, full.section, None)

    assert response.status_code == 201, response.content
    assert response.json()["grading_basis"] == "credit"


def test_audit_and_pass_fail_accepted_when_allowed_but_after_every_credit_request(full, api):
    course = full.world.course
    course.waitlist_allows_audit = True
    course.save(update_fields=["waitlist_allows_audit"])
    auditor, pass_fail, credit_late = (full.student(n) for n in ("auditor", "passfail", "credit_late"))
    # The credit student joins last and still comes first; audit and pass/fail keep their join order.
    join_in_order(api, full.section, [(auditor, "audit"), (pass_fail, "pass_fail"), (credit_late, "credit")])

    assert waitlist_usernames(api, full.world.instructor, full.section) == [
        "credit_late",
        "auditor",
        "passfail",
    ]
    assert positions(api, [credit_late, auditor, pass_fail], full.section) == {
        "credit_late": 1,
        "auditor": 2,
        "passfail": 3,
    }


def test_credit_without_prep_still_comes_before_audit_with_prep(full, api):
    course = full.world.course
    course.waitlist_allows_audit = True
    course.save(update_fields=["waitlist_allows_audit"])
    keen_auditor, credit = full.student("keen_auditor"), full.student("credit")
    submit_prep(keen_auditor, full.ps0)
    join_in_order(api, full.section, [(keen_auditor, "audit"), (credit, "credit")])

    assert waitlist_usernames(api, full.world.instructor, full.section) == ["credit", "keen_auditor"]
    assert positions(api, [credit, keen_auditor], full.section) == {"credit": 1, "keen_auditor": 2}


# ---- PS0/HW0 submitters first, then join time -------------------------------------------------------


def test_students_who_submitted_ps0_or_hw0_come_before_those_who_did_not(full, api):
    early, ps0_done, hw0_done, later = (full.student(n) for n in ("early", "ps0_done", "hw0_done", "later"))
    submit_prep(ps0_done, full.ps0)
    submit_prep(hw0_done, full.hw0)
    join_in_order(
        api, full.section, [(early, "credit"), (ps0_done, "credit"), (later, "credit"), (hw0_done, "credit")]
    )

    assert waitlist_usernames(api, full.world.instructor, full.section) == [
        "ps0_done",
        "hw0_done",
        "early",
        "later",
    ]
    assert positions(api, [early, ps0_done, hw0_done, later], full.section) == {
        "ps0_done": 1,
        "hw0_done": 2,
        "early": 3,
        "later": 4,
    }


def test_a_submission_after_joining_moves_the_student_up(full, api):
    first, second = full.student("first"), full.student("second")
    join_in_order(api, full.section, [(first, "credit"), (second, "credit")])
    assert positions(api, [first, second], full.section) == {"first": 1, "second": 2}

    submit_prep(second, full.hw0)

    assert waitlist_usernames(api, full.world.instructor, full.section) == ["second", "first"]
    assert positions(api, [first, second], full.section) == {"first": 2, "second": 1}


def test_only_preparation_work_of_this_course_counts(full, api):
    world = full.world
    other_prep = AssignmentFactory(course=world.other_course, code="PS0", category="preparation", weight=0)
    first, homework_only, elsewhere = (full.student(n) for n in ("first", "homework_only", "elsewhere"))
    submit_prep(homework_only, world.course.assignments.get(code="HW1"))  # not PS0/HW0
    submit_prep(elsewhere, other_prep)  # PS0 of another course
    join_in_order(api, full.section, [(first, "credit"), (homework_only, "credit"), (elsewhere, "credit")])

    assert waitlist_usernames(api, world.instructor, full.section) == ["first", "homework_only", "elsewhere"]


def test_join_time_orders_students_of_the_same_group(full, api):
    people = [full.student(f"w{i}") for i in range(1, 5)]
    join_in_order(api, full.section, [(u, "credit") for u in people])

    assert waitlist_usernames(api, full.world.instructor, full.section) == ["w1", "w2", "w3", "w4"]
    assert positions(api, people, full.section) == {"w1": 1, "w2": 2, "w3": 3, "w4": 4}


def test_an_enrolled_student_has_no_waitlist_position(full, api):
    row = my_enrolments(api, full.world.gr1)["CS 7643-A"]
    assert (row["status"], row["waitlist_position"]) == ("enrolled", None)


# ---- one place per course ---------------------------------------------------------------------------


def test_an_enrolled_student_cannot_join_another_section(full, api):
    ug1 = full.world.ug1  # enrolled in CS 4644

    body = error_of(join(api, ug1, full.section), 400)

    assert body["code"] == "already_in_course"
    assert "CS 4644" in body["detail"]
    assert not Enrolment.objects.filter(user=ug1, section=full.section).exists()


def test_a_waitlisted_student_cannot_join_another_section_or_the_same_one_again(full, api):
    student = full.student("waiting")
    assert join(api, student, full.section).status_code == 201

    for section in (full.world.ug_section, full.section):
        body = error_of(join(api, student, section), 400)
        assert body["code"] == "already_in_course"
    assert list(Enrolment.objects.filter(user=student).values_list("section__code", "status")) == [
        ("CS 7643-A", Status.WAITLISTED)
    ]


def test_a_student_of_another_course_may_join(full, api):
    other = full.world.other_student  # enrolled in CS 9999 only
    assert join(api, other, full.section).status_code == 201
    assert my_position(api, other, full.section) == 1


def test_joining_an_unknown_section_is_not_found(full, api):
    student = full.student("lost")
    error_of(api.as_user(student).post(reverse("api-section-waitlist", args=[987654]), {}), 404)


# ---- leaving --------------------------------------------------------------------------------------------


def test_leaving_marks_dropped_and_re_joining_goes_to_the_back(full, api):
    a, b, c = (full.student(n) for n in ("a", "b", "c"))
    join_in_order(api, full.section, [(a, "credit"), (b, "credit"), (c, "credit")])

    response = leave(api, a, full.section)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dropped"
    assert status_of(a, full.section) == Status.DROPPED
    assert my_enrolments(api, a) == {}  # a dropped place is not shown as one of theirs
    assert waitlist_usernames(api, full.world.instructor, full.section) == ["b", "c"]
    assert positions(api, [b, c], full.section) == {"b": 1, "c": 2}

    response = join(api, a, full.section, at=minutes_after_start(60))

    assert response.status_code == 201, response.content
    assert waitlist_usernames(api, full.world.instructor, full.section) == ["b", "c", "a"]
    assert my_position(api, a, full.section) == 3
    assert Enrolment.objects.filter(user=a).count() == 1  # the same row, back in line


def test_leaving_keeps_the_prep_priority_but_not_the_old_join_time(full, api):
    a, b = full.student("a"), full.student("b")
    submit_prep(a, full.ps0)
    submit_prep(b, full.ps0)
    join_in_order(api, full.section, [(a, "credit"), (b, "credit")])
    assert leave(api, a, full.section).status_code == 200

    assert join(api, a, full.section, at=minutes_after_start(30)).status_code == 201

    assert waitlist_usernames(api, full.world.instructor, full.section) == ["b", "a"]


def test_leaving_a_waitlist_you_are_not_on_is_refused(full, api):
    student = full.student("nobody")
    body = error_of(leave(api, student, full.section), 400)
    assert body["code"] == "not_waitlisted"

    body = error_of(leave(api, full.world.gr1, full.section), 400)  # enrolled, not waiting
    assert body["code"] == "not_waitlisted"
    assert status_of(full.world.gr1, full.section) == Status.ENROLLED


def test_leaving_an_unknown_section_is_not_found(full, api):
    url = reverse("api-section-waitlist", args=[987654])
    error_of(api.as_user(full.student("lost")).delete(url), 404)


# ---- who sees the waitlist -------------------------------------------------------------------------


def test_staff_see_the_waitlist_students_and_outsiders_do_not(full, api):
    world = full.world
    waiting = full.student("waiting")
    assert join(api, waiting, full.section).status_code == 201
    url = reverse("api-section-waitlist", args=[full.section.id])

    assert waitlist_usernames(api, world.ta, full.section) == ["waiting"]
    for outsider in (waiting, world.gr1, world.other_ta, world.other_student, UserFactory(username="x")):
        body = error_of(api.as_user(outsider).get(url), 404)
        assert "waiting" not in str(body)
