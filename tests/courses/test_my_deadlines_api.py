"""GET /api/v1/me/deadlines/: what a student sees about their windows, minute by minute."""

import pytest
from django.urls import reverse

from courses.models import EffectiveDeadline
from tests.courses.helpers import MINUTE, at, build_course, my_deadlines
from tests.factories import AssignmentFactory, eastern

HW1_DUE = eastern(2023, 2, 12)  # Sun Feb 12 2023 11:59 pm EST
HW1_GRACE_END = eastern(2023, 2, 14)  # Tue Feb 14 2023 11:59 pm EST


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (HW1_DUE - MINUTE, "open"),
        (HW1_DUE, "open"),
        (HW1_DUE + MINUTE, "grace"),
        (HW1_GRACE_END - MINUTE, "grace"),
        (HW1_GRACE_END, "grace"),
        (HW1_GRACE_END + MINUTE, "closed"),
    ],
    ids=["due-1min", "at-due", "due+1min", "grace-end-1min", "at-grace-end", "grace-end+1min"],
)
def test_hw1_status_moves_from_open_through_grace_to_closed(world, api, moment, status):
    with at(moment):
        row = my_deadlines(api, world.ug1)["HW1"]
    assert row["status"] == status
    assert row["due_at"] == "2023-02-12T23:59:00-05:00"
    assert row["grace_ends_at"] == "2023-02-14T23:59:00-05:00"
    assert row["closes_at"] == "2023-02-14T23:59:00-05:00"
    assert row["extension_due_at"] is None
    assert row["submitted_at"] is None


def test_ps0_has_no_grace_and_closes_at_its_due_time(world, api):
    ps0_due = eastern(2023, 1, 15)
    with at(ps0_due - MINUTE):
        before = my_deadlines(api, world.ug1)["PS0"]
    with at(ps0_due + MINUTE):
        after = my_deadlines(api, world.ug1)["PS0"]
    assert before["status"] == "open"
    assert after["status"] == "closed"
    assert after["grace_ends_at"] is None
    assert after["due_at"] == after["closes_at"] == "2023-01-15T23:59:00-05:00"


def test_rows_name_the_assignment_and_come_in_due_order(world, api):
    ps0, hw1 = world.course.assignments.get(code="PS0"), world.course.assignments.get(code="HW1")
    with at(HW1_DUE - MINUTE):
        rows = api.as_user(world.gr1).get(reverse("api-my-deadlines")).json()
    assert [r["assignment"] for r in rows] == [
        {"id": ps0.id, "code": "PS0", "title": "Problem set 0"},
        {"id": hw1.id, "code": "HW1", "title": hw1.title},
    ]
    assert {r["course_id"] for r in rows} == {world.course.id}


@pytest.mark.parametrize(
    ("due", "due_iso", "grace_iso"),
    [
        (eastern(2023, 3, 12), "2023-03-12T23:59:00-04:00", "2023-03-14T23:59:00-04:00"),
        (eastern(2023, 3, 11), "2023-03-11T23:59:00-05:00", "2023-03-13T23:59:00-04:00"),
        (eastern(2023, 11, 4), "2023-11-04T23:59:00-04:00", "2023-11-06T23:59:00-05:00"),
    ],
    ids=["after-spring-forward", "across-spring-forward", "across-fall-back"],
)
def test_times_are_iso_8601_with_the_eastern_offset_of_that_moment(world, api, due, due_iso, grace_iso):
    AssignmentFactory(course=world.course, code="HW2", due_at=due)
    world.recompute()
    with at(due - MINUTE):
        row = my_deadlines(api, world.ug2)["HW2"]
    assert (row["due_at"], row["grace_ends_at"], row["status"]) == (due_iso, grace_iso, "open")


def test_a_row_not_yet_stored_by_the_task_is_computed_the_same_way(world, api):
    AssignmentFactory(course=world.course, code="HW2", due_at=eastern(2023, 3, 12))  # no recompute ran
    assert not EffectiveDeadline.objects.filter(assignment__code="HW2").exists()
    with at(eastern(2023, 3, 13)):
        row = my_deadlines(api, world.ug1)["HW2"]
    assert row["status"] == "grace"
    assert row["grace_ends_at"] == "2023-03-14T23:59:00-04:00"


def test_a_student_sees_only_their_own_courses_assignments(world, api):
    AssignmentFactory(course=world.other_course, code="OTHER1", due_at=eastern(2023, 2, 19))
    with at(HW1_DUE - MINUTE):
        mine = my_deadlines(api, world.ug1)
        theirs = my_deadlines(api, world.other_student)
    assert set(mine) == {"PS0", "HW1"}
    assert set(theirs) == {"OTHER1"}


def test_staff_without_an_enrolment_have_no_deadline_rows(world, api):
    with at(HW1_DUE - MINUTE):
        assert my_deadlines(api, world.instructor) == {}
        assert my_deadlines(api, world.ta) == {}


def test_deadlines_need_a_signed_in_user(world, client):
    response = client.get(reverse("api-my-deadlines"))
    assert response.status_code in (401, 403)
    assert "PS0" not in response.content.decode()


@pytest.mark.parametrize(("assignments", "students"), [(2, 3), (30, 3), (2, 50), (30, 50)])
def test_query_count_does_not_grow_with_assignments_or_students(
    db, api, django_assert_num_queries, assignments, students
):
    _, people = build_course(assignments=assignments, students=students)
    # Half the rows stored by the task, half not yet: both paths are covered by the same queries.
    EffectiveDeadline.objects.filter(student=people[0], assignment__code__gt="A01").delete()
    with at(eastern(2023, 1, 1)), django_assert_num_queries(2):
        response = api.as_user(people[0]).get(reverse("api-my-deadlines"))
    assert response.status_code == 200
    assert len(response.json()) == assignments


def test_the_written_out_rows_equal_the_declared_fields_output(world):
    """DeadlineOut writes its rows by hand for speed; the declared fields (the OpenAPI schema) must say the
    same for every kind of row: open, in grace, closed, with an extension, across a change of offset."""
    from django.utils import timezone
    from rest_framework import serializers

    from courses import selectors
    from courses.api import DeadlineOut
    from courses.models import Extension

    hw1 = world.course.assignments.get(code="HW1")
    Extension.objects.create(
        student=world.ug1,
        assignment=hw1,
        due_at=eastern(2023, 3, 15),  # after the switch to daylight saving time (EDT, -04:00)
        dean_reference="D-1",
        granted_by=world.instructor,
        granted_at=HW1_DUE,
    )
    seen = set()
    for moment in (HW1_DUE - MINUTE, HW1_DUE + MINUTE, HW1_GRACE_END + MINUTE, eastern(2023, 3, 20)):
        for student in (world.ug1, world.gr1):
            for row in selectors.deadlines_for_student(student, now=moment):
                with timezone.override(row.course.zone):
                    declared = serializers.Serializer.to_representation(DeadlineOut(), row)
                assert list(DeadlineOut(row).data.items()) == list(declared.items())  # order too: same JSON
                seen.add((row.status, row.extension_due_at is not None))
    assert {"open", "grace", "closed"} <= {status for status, _ in seen}
    assert (("open", True) in seen) or (("grace", True) in seen)
