"""One total, every surface (issue 11, item 1): what a CS 4644 student could earn excludes extra credit.

HW1: Q1 30, Q2 30, Q3 40 required for both sections; Q4 10 extra credit for CS 4644, required for 7643.
  ug1 (CS 4644) 30/30/40/10 → 110 earned of 100 possible; ug2 (CS 4644) 30/30/40/0 → 100 of 100;
  gr1 (CS 7643-A) 30/30/40/10 → 110 of 110.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from grading.selectors import readiness_by_student
from tests.grading.exports.conftest import Requirement, enter, release, requirement, submit_on_time

D = Decimal
SCORES = {"ug1": (30, 30, 40, 10), "ug2": (30, 30, 40, 0), "gr1": (30, 30, 40, 10)}
EXPECTED = {"ug1": ("110.00", "100.00"), "ug2": ("100.00", "100.00"), "gr1": ("110.00", "110.00")}


@pytest.fixture
def hw1(scheme, api):
    w = scheme.world
    users = {"ug1": w.ug1, "ug2": w.ug2, "gr1": w.gr1}
    for username, (q1, q2, q3, q4) in SCORES.items():
        submit_on_time(api, users[username], scheme.hw1)
        enter(api, w.ta, scheme.hw1, users[username], {"Q1": q1, "Q2": q2, "Q3": q3, "Q4": q4})
    release(api, w.instructor, scheme.hw1)
    return scheme


def test_the_grades_api_uses_the_section_rules(hw1, api):
    response = api.as_user(hw1.world.instructor).get(reverse("api-grades"), {"assignment": hw1.hw1.id})

    assert response.status_code == 200, response.content
    got = {g["student"]: (g["total"], g["points_possible"]) for g in response.json()["results"]}
    assert got == EXPECTED


@pytest.mark.parametrize("username", ["ug1", "ug2", "gr1"])
def test_one_grade_and_the_students_own_view_agree(hw1, api, username):
    student = getattr(hw1.world, username)
    listed = api.as_user(student).get(reverse("api-grades")).json()["results"]
    grade = next(g for g in listed if g["assignment"]["code"] == "HW1")
    detail = api.as_user(student).get(reverse("api-grade", args=[grade["id"]])).json()

    assert (grade["total"], grade["points_possible"]) == EXPECTED[username]
    assert (detail["total"], detail["points_possible"]) == EXPECTED[username]


@pytest.mark.parametrize("username", ["ug1", "ug2", "gr1"])
def test_my_grades_page_shows_the_same_numbers(hw1, client, username):
    client.force_login(getattr(hw1.world, username))
    html = client.get(reverse("my-grades")).content.decode()
    earned, possible = EXPECTED[username]
    assert f"{earned} / {possible}" in html


def test_the_grade_grid_shows_each_sections_possible_points(hw1, client):
    client.force_login(hw1.world.ta)
    html = client.get(reverse("grade-grid", args=[hw1.hw1.id])).content.decode()
    assert "110.00 / 100" in html or "110.00 / 100.00" in html
    assert "100.00 / 100" in html
    assert "110.00 (CS 7643-A)" in html and "100.00 (CS 4644)" in html


def test_readiness_ignores_not_applicable_questions_and_extra_credit(scheme, api):
    """PS0 Q1 50, Q2 50, plus Q3 20 extra credit for CS 4644: 40 + 30 + 10 = 80 of 100 is 80 %, not flagged;
    the naive rule said 80 / 120 = 66.7 % and flagged the student as maybe not prepared."""
    from tests.grading.factories import QuestionFactory

    w = scheme.world
    q3 = QuestionFactory(assignment=scheme.ps0, label="Q3", points=20, position=2)
    requirement(q3, w.ug_section, Requirement.EXTRA_CREDIT)
    requirement(q3, w.gr_section, Requirement.NOT_APPLICABLE)
    enter(api, w.ta, scheme.ps0, w.ug1, {"Q1": 40, "Q2": 30, "Q3": 10})
    enter(api, w.ta, scheme.ps0, w.gr1, {"Q1": 40, "Q2": 30})

    readiness = readiness_by_student(scheme.course)

    assert readiness[w.ug1.id].results == (("PS0", D("80.0")),)
    assert not readiness[w.ug1.id].flagged
    assert readiness[w.gr1.id].results == (("PS0", D("70.0")),)
    assert readiness[w.gr1.id].flagged


# ---- the participation bonus is capped by the course (issue 11, item 3) ------------------------------


def test_a_bonus_weight_above_the_courses_cap_is_refused(scheme, api):
    url = reverse("api-assignment", args=[scheme.participation.id])

    response = api.as_user(scheme.world.instructor).patch(url, {"weight": "3.000"}, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert "weight" in body["fields"]
    assert "1%" in body["fields"]["weight"] and "bonus cap" in body["fields"]["weight"]
    scheme.participation.refresh_from_db()
    assert scheme.participation.weight == D(1)


def test_the_cap_is_a_course_setting(scheme, api):
    scheme.course.bonus_cap_percent = D(3)
    scheme.course.save(update_fields=["bonus_cap_percent"])
    url = reverse("api-assignment", args=[scheme.participation.id])

    response = api.as_user(scheme.world.instructor).patch(url, {"weight": "3.000"}, format="json")

    assert response.status_code == 200, response.content


def test_several_bonus_assignments_together_add_at_most_the_cap(graded, api):
    """Full participation (1 %) plus a second 1 % bonus fully earned: the total bonus stays at 1 %."""
    from courses.models import Assignment
    from tests.factories import AssignmentFactory
    from tests.grading.factories import QuestionFactory

    w = graded.world
    extra = AssignmentFactory(
        course=graded.course,
        code="EXTRA",
        category=Assignment.Category.PARTICIPATION,
        points=D(1),
        weight=D(1),
        is_bonus=True,
        due_at=None,
        accepts_submissions=False,
    )
    QuestionFactory(assignment=extra, label="Total", points=1, position=0)
    enter(api, w.ta, extra, w.ug1, {"Total": 1})

    from tests.grading.exports.test_totals import totals

    assert totals(graded.course, w.ug1)["ug1"].bonus == D(1)


def test_the_readiness_percentage_rounds_a_half_up_like_every_other_figure(scheme, api):
    """74.85% shows as 74.9% (it read 74.8%, Decimal's round-half-even); the flag compares the exact value."""
    w = scheme.world
    enter(api, w.ta, scheme.ps0, w.ug1, {"Q1": "37.45", "Q2": "37.40"})  # 74.85 of 100
    readiness = readiness_by_student(scheme.course)[w.ug1.id]
    assert dict(readiness.results)["PS0"] == Decimal("74.9")
    assert readiness.flagged  # 74.85 ≤ 75
