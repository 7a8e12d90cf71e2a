"""A course's staff are never its students, and never handle their own work.

staff_add refuses an active student as staff and a roster refuses staff rows; joining the waitlist and
being re-enrolled refuse staff too. Someone who was a student before becoming staff (dropped, then added)
keeps their old grades and requests: the staff rule (courses.access.staff_students_q) leaves the user's
own rows out, so they neither see them as work nor grade, regrade or list them."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from courses.models import Enrolment, StaffRole
from courses.services.staff import staff_add
from grading.models import RegradeRequest
from grading.services import regrades
from grading.services.imports import grade_import
from portal.errors import ObjectNotFound, PermissionDenied, PortalError
from tests.factories import EnrolmentFactory
from tests.grading.conftest import RELEASED_AT, at, score_of

pytestmark = pytest.mark.django_db
Role = StaffRole.Role
IN_WINDOW = RELEASED_AT + timedelta(days=1)


def own_request_then_staff(world, graded, *, section_ids=None):
    """gr1 asks for a regrade of PS0 Q1, drops the course, and is made its TA."""
    request = regrades.regrade_request_create(
        acting_user=world.gr1,
        grade_id=graded.grades["gr1"].id,
        question_id=graded.q1.id,
        justification="Please look again.",
        now=IN_WINDOW,
    )
    Enrolment.objects.filter(user=world.gr1).update(status=Enrolment.Status.DROPPED)
    staff_add(
        acting_user=world.instructor,
        course_id=world.course.id,
        username="gr1",
        role=Role.TA,
        section_ids=section_ids,
    )
    return request


def test_a_ta_cannot_join_the_waitlist_of_the_course_they_staff(world, api):
    response = api.as_user(world.ta).post(
        reverse("api-section-waitlist", args=[world.ug_section.id]), {}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "is_staff"
    assert not Enrolment.objects.filter(user=world.ta).exists()


def test_a_former_student_made_ta_is_not_re_enrolled(world, api):
    enrolment = Enrolment.objects.get(user=world.gr1)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.DROPPED)
    staff_add(acting_user=world.instructor, course_id=world.course.id, username="gr1", role=Role.TA)
    response = api.as_user(world.instructor).post(reverse("api-enrolment-reenrol", args=[enrolment.id]))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "is_staff"
    assert Enrolment.objects.get(pk=enrolment.pk).status == Enrolment.Status.DROPPED


def test_a_whole_course_ta_does_not_get_or_answer_their_own_regrade(client, world, graded):
    request = own_request_then_staff(world, graded)
    client.force_login(world.gr1)
    with at(IN_WINDOW):
        html = client.get("/regrades/").content.decode()
    assert f'data-request="{request.id}"' not in html
    with pytest.raises((PermissionDenied, ObjectNotFound)):
        regrades.regrade_request_resolve(
            acting_user=world.gr1,
            request_id=request.id,
            decision="accepted",
            new_score=graded.q1.points,
            response="Looks right to me.",
            now=IN_WINDOW + timedelta(hours=1),
        )
    assert score_of(graded.grade("gr1"), graded.q1) == Decimal(6)
    assert RegradeRequest.objects.get(pk=request.id).state == RegradeRequest.State.OPEN


def test_a_whole_course_ta_cannot_rewrite_their_own_grade(api, world, graded):
    own_request_then_staff(world, graded)
    grade = graded.grades["gr1"]
    response = api.as_user(world.gr1).patch(
        f"/api/v1/grades/{grade.id}/",
        {"scores": {str(graded.q1.id): "10", str(graded.q2.id): "10"}, "reason": "mine"},
        format="json",
    )
    assert response.status_code == 404, response.content
    assert score_of(graded.grade("gr1"), graded.q1) == Decimal(6)
    # Their classmates' grades are theirs to enter, as any TA's.
    other = graded.grades["ug1"]
    assert api.as_user(world.gr1).get(f"/api/v1/grades/{other.id}/").status_code == 200


def test_the_home_page_counts_the_queue_not_the_tas_own_request(client, world, graded):
    request = own_request_then_staff(world, graded, section_ids=[world.ug_section.id])
    RegradeRequest.objects.filter(pk=request.id).update(created_at=IN_WINDOW - timedelta(days=3))
    client.force_login(world.gr1)
    with at(IN_WINDOW + timedelta(days=1)):
        html = client.get("/").content.decode()
    assert "No regrade request has waited more than" in html, "gr1's own request counted as waiting work"
    assert not re.search(r"regrade requests?</strong> waiting", html)


def test_staff_lists_leave_out_a_staff_members_own_work(world, api, graded):
    """Rows made before the rules above (a TA enrolled in the course they staff): the submissions list
    and the overview are of the TA's students, never the TA."""
    from tests.courses.helpers import submit

    EnrolmentFactory(user=world.ta, section=world.ug_section)
    hw1 = world.course.assignments.get(code="HW1")
    with at(hw1.due_at - timedelta(hours=2)):
        assert submit(api, world.ta, hw1).status_code == 201
        assert submit(api, world.ug1, hw1).status_code == 201
    listing = api.as_user(world.ta).get(reverse("api-assignment-submissions", args=[hw1.id])).json()
    assert {r["student"]["username"] for r in listing["results"]} == {"ug1"}
    overview = api.as_user(world.ta).get(reverse("api-assignment-overview", args=[hw1.id])).json()
    everyone = {
        row["username"] for part in ("on_time", "in_grace", "not_yet", "missing") for row in overview[part]
    }
    assert world.ta.username not in everyone and "ug1" in everyone


@pytest.mark.parametrize(
    "header",
    ["Username,Q1 (5 pts),1: Q1 (5 pts)", "Username,Q1 (5 pts),Q1 (5 pts)"],
    ids=["two-forms", "same"],
)
def test_an_import_with_two_columns_for_one_question_is_refused(world, entered, header):
    before = score_of(entered.grade("ug1"), entered.q1)
    data = f"{header}\r\nug1,1,4\r\n".encode()
    with pytest.raises(PortalError) as refused:
        grade_import(acting_user=world.instructor, assignment_id=entered.ps0.id, data=data)
    assert refused.value.code == "bad_header" and "more than one column for Q1" in str(refused.value)
    assert score_of(entered.grade("ug1"), entered.q1) == before


def test_a_ta_of_another_course_who_studies_here_is_a_student_here(world, api):
    """Staff of one course may take another: the rule is per course (other_ta is CS 9999's TA)."""
    response = api.as_user(world.other_ta).post(
        reverse("api-section-waitlist", args=[world.ug_section.id]), {}, format="json"
    )
    assert response.status_code == 201, response.content
