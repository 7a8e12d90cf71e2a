"""Who sees which grades and regrade requests: a student only their own (others' do not exist for them),
staff only their courses, a TA limited to a section only that section's students."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from courses.models import StaffRole
from grading.models import Grade, GradeChange, QuestionScore, RegradeRequest
from grading.services.grades import grade_enter
from grading.services.regrades import regrade_request_create
from tests.factories import EnrolmentFactory, StaffRoleFactory, UserFactory
from tests.grading.conftest import RELEASED_AT, at, error_of

pytestmark = pytest.mark.django_db

SOON = RELEASED_AT + timedelta(days=1)


@pytest.fixture
def requests_(graded):
    """Open requests of ug1 (CS 4644) and gr1 (CS 7643-A)."""
    made = {}
    for username, question in (("ug1", graded.q2), ("gr1", graded.q1)):
        grade = graded.grade(username)
        made[username] = regrade_request_create(
            acting_user=grade.student,
            grade_id=grade.id,
            question_id=question.id,
            justification="Look again",
            now=SOON,
        )
    return made


@pytest.fixture
def section_ta(world):
    """A TA who works with the CS 4644 section only."""
    user = UserFactory(username="ta_ug")
    StaffRoleFactory(user=user, course=world.course, role=StaffRole.Role.TA, section=world.ug_section)
    return user


def snapshot():
    return [
        [model_to_dict(row) for row in model.objects.order_by("pk")]
        for model in (Grade, QuestionScore, GradeChange, RegradeRequest)
    ]


def get(api, user, url, **params):
    with at(SOON):
        return api.as_user(user).get(url, params)


def assert_not_found(response):
    assert response.status_code == 404, response.content
    body = error_of(response)
    assert body["code"] == "not_found"


def grade_urls(grade):
    return [f"/api/v1/grades/{grade.id}/", f"/api/v1/grades/{grade.id}/history/"]


def listed_grades(api, user, **params):
    response = get(api, user, "/api/v1/grades/", **params)
    assert response.status_code == 200
    return sorted((r["assignment"]["code"], r["student"]) for r in response.json()["results"])


def listed_requests(api, user, **params):
    response = get(api, user, "/api/v1/regrade-requests/", **params)
    assert response.status_code == 200
    return sorted(r["student"] for r in response.json()["results"])


def test_a_student_cannot_see_another_students_grade_history_or_request(graded, api, world, requests_):
    ug1_grade = graded.grade("ug1")
    for url in [*grade_urls(ug1_grade), f"/api/v1/regrade-requests/{requests_['ug1'].id}/"]:
        response = get(api, world.ug2, url)
        assert_not_found(response)
        assert "ug1" not in response.content.decode()

    # The same "not found" as for an id that does not exist at all.
    missing = get(api, world.ug2, "/api/v1/grades/999999/").json()
    assert get(api, world.ug2, f"/api/v1/grades/{ug1_grade.id}/").json() == missing

    assert listed_grades(api, world.ug2) == [("PS0", "ug2")]
    assert listed_grades(api, world.ug2, student="ug1") == []
    assert listed_grades(api, world.ug2, assignment=graded.ps0.id) == [("PS0", "ug2")]
    assert listed_requests(api, world.ug2) == []
    assert listed_requests(api, world.ug2, assignment=graded.ps0.id, state="open") == []
    assert listed_requests(api, world.ug1) == ["ug1"]


def test_a_student_cannot_act_on_another_students_grade_or_request(graded, api, world, requests_):
    before = snapshot()
    ug1_grade = graded.grade("ug1")
    with at(SOON):
        response = api.as_user(world.ug2).post(
            "/api/v1/regrade-requests/",
            {"grade": ug1_grade.id, "question": graded.q1.id, "justification": "x"},
            format="json",
        )
        assert_not_found(response)
        for action in ("withdraw", "appeal", "claim", "resolve"):
            response = api.as_user(world.ug2).post(
                f"/api/v1/regrade-requests/{requests_['ug1'].id}/{action}/",
                {"justification": "x", "decision": "rejected", "response": "x"},
                format="json",
            )
            assert_not_found(response)
    assert snapshot() == before


def test_a_student_cannot_see_their_own_unreleased_grade(world, api, entered):
    for url in grade_urls(entered.grade("ug1")):
        assert_not_found(get(api, world.ug1, url))
    assert listed_grades(api, world.ug1) == []


@pytest.mark.parametrize("who", ["other_ta", "other_student"])
def test_people_of_another_course_get_not_found(graded, api, world, requests_, who):
    user = getattr(world, who)
    before = snapshot()
    for username in ("ug1", "gr1"):
        for url in [
            *grade_urls(graded.grade(username)),
            f"/api/v1/regrade-requests/{requests_[username].id}/",
        ]:
            assert_not_found(get(api, user, url))
    assert listed_grades(api, user) == []
    assert listed_requests(api, user) == []
    assert listed_requests(api, user, assignment=graded.ps0.id) == []
    with at(SOON):
        for action, data in (("claim", {}), ("resolve", {"decision": "rejected", "response": "no"})):
            response = api.as_user(user).post(
                f"/api/v1/regrade-requests/{requests_['ug1'].id}/{action}/", data, format="json"
            )
            assert_not_found(response)
        response = api.as_user(user).patch(
            f"/api/v1/grades/{graded.grade('ug1').id}/",
            {"scores": {str(graded.q1.id): 0}, "reason": "x"},
            format="json",
        )
        assert_not_found(response)
        response = api.as_user(user).post(
            f"/api/v1/assignments/{graded.ps0.id}/grades/",
            {"student": "ug1", "scores": {str(graded.q1.id): 0}},
            format="json",
        )
        assert_not_found(response)
    assert snapshot() == before


def test_a_section_ta_sees_only_their_sections_students(graded, api, world, requests_, section_ta):
    assert listed_grades(api, section_ta) == [("PS0", "ug1"), ("PS0", "ug2")]
    assert listed_requests(api, section_ta) == ["ug1"]
    assert listed_requests(api, section_ta, section=world.gr_section.id) == []

    for url in [*grade_urls(graded.grade("gr1")), f"/api/v1/regrade-requests/{requests_['gr1'].id}/"]:
        assert_not_found(get(api, section_ta, url))
    for url in [*grade_urls(graded.grade("ug1")), f"/api/v1/regrade-requests/{requests_['ug1'].id}/"]:
        assert get(api, section_ta, url).status_code == 200

    # The whole-course TA sees both sections.
    assert listed_grades(api, world.ta) == [("PS0", "gr1"), ("PS0", "ug1"), ("PS0", "ug2")]
    assert listed_requests(api, world.ta) == ["gr1", "ug1"]


def test_a_section_ta_cannot_act_on_other_sections(graded, api, world, requests_, section_ta):
    before = snapshot()
    with at(SOON):
        for action, data in (("claim", {}), ("resolve", {"decision": "rejected", "response": "no"})):
            response = api.as_user(section_ta).post(
                f"/api/v1/regrade-requests/{requests_['gr1'].id}/{action}/", data, format="json"
            )
            assert_not_found(response)
        response = api.as_user(section_ta).patch(
            f"/api/v1/grades/{graded.grade('gr1').id}/",
            {"scores": {str(graded.q1.id): 0}, "reason": "x"},
            format="json",
        )
        assert_not_found(response)
        response = api.as_user(section_ta).post(
            f"/api/v1/assignments/{graded.ps0.id}/grades/",
            {"student": "gr1", "scores": {str(graded.q1.id): 0}, "reason": "x"},
            format="json",
        )
        assert_not_found(response)
    assert snapshot() == before

    with at(SOON):
        response = api.as_user(section_ta).post(f"/api/v1/regrade-requests/{requests_['ug1'].id}/claim/")
    assert response.status_code == 200


def test_a_section_ta_cannot_enter_a_first_grade_for_another_section(world, api, ungraded_ps0, section_ta):
    ps0, q1, _ = ungraded_ps0
    response = api.as_user(section_ta).post(
        f"/api/v1/assignments/{ps0.id}/grades/", {"student": "gr1", "scores": {str(q1.id): 3}}, format="json"
    )
    assert_not_found(response)
    assert not Grade.objects.exists()
    response = api.as_user(section_ta).post(
        f"/api/v1/assignments/{ps0.id}/grades/", {"student": "ug2", "scores": {str(q1.id): 3}}, format="json"
    )
    assert response.status_code == 200


def test_a_section_limit_in_one_course_does_not_leak_through_another(graded, api, world, requests_):
    """A TA limited to CS 4644 here and to a section of another course must not see, in this course, a
    student of the other section who sits in CS 7643-A here."""
    both = world.other_student
    EnrolmentFactory(user=both, section=world.gr_section)
    grade = grade_enter(
        acting_user=world.ta,
        assignment_id=graded.ps0.id,
        student_username=both.username,
        scores={graded.q1.id: Decimal(4)},
        now=RELEASED_AT + timedelta(hours=1),
    )
    request = regrade_request_create(
        acting_user=both, grade_id=grade.id, question_id=graded.q1.id, justification="x", now=SOON
    )
    ta = UserFactory(username="ta_two_courses")
    StaffRoleFactory(user=ta, course=world.course, section=world.ug_section)
    other_section = both.enrolments.get(section__course=world.other_course).section
    StaffRoleFactory(user=ta, course=world.other_course, section=other_section)

    assert listed_grades(api, ta) == [("PS0", "ug1"), ("PS0", "ug2")]
    assert listed_requests(api, ta) == ["ug1"]
    for url in [*grade_urls(grade), f"/api/v1/regrade-requests/{request.id}/"]:
        assert_not_found(get(api, ta, url))
