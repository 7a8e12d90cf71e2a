"""The assignment outline through the API (issue 13, item 2): questions with label, title, points, position
and per-section requirements; the instructor writes, members read, outsiders get 404. Changing the outline
after grades exist keeps every score and its history."""

from decimal import Decimal

import pytest
from django.urls import reverse

from courses.models import AuditEvent
from grading.models import GradeChange, Question, QuestionRequirement, QuestionScore
from grading.services.grades import grade_enter, grades_release
from tests.grading.conftest import error_of
from tests.grading.factories import QuestionFactory

Requirement = QuestionRequirement.Requirement


def questions_url(assignment) -> str:
    return reverse("api-assignment-questions", args=[assignment.id])


def question_url(question) -> str:
    return reverse("api-question", args=[question.id])


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


# ---- create, list, update, reorder, delete --------------------------------------------------------------


def test_the_instructor_builds_an_outline(api, world, hw1):
    client = api.as_user(world.instructor)
    first = client.post(
        questions_url(hw1), {"label": "Q1", "title": "Backprop", "points": "30"}, format="json"
    )
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["label"] == "Q1" and body["title"] == "Backprop" and body["points"] == "30.00"
    assert body["position"] == 1
    # Every section of the course is listed, required by default.
    assert body["requirements"] == {
        str(world.ug_section.id): "required",
        str(world.gr_section.id): "required",
    }

    second = client.post(
        questions_url(hw1),
        {
            "label": "Q2",
            "points": "12.5",
            "requirements": {str(world.ug_section.id): "extra_credit"},
        },
        format="json",
    )
    assert second.status_code == 201, second.content
    assert second.json()["position"] == 2
    assert second.json()["requirements"][str(world.ug_section.id)] == "extra_credit"
    assert second.json()["requirements"][str(world.gr_section.id)] == "required"

    listed = client.get(questions_url(hw1))
    assert listed.status_code == 200
    assert [(q["label"], q["points"], q["position"]) for q in listed.json()] == [
        ("Q1", "30.00", 1),
        ("Q2", "12.50", 2),
    ]
    assert AuditEvent.objects.filter(action="question.create", course=world.course).count() == 2


def test_update_and_requirements_round_trip(api, world, hw1):
    q = QuestionFactory(assignment=hw1, label="Q4", points=Decimal(10), position=1)
    client = api.as_user(world.instructor)
    response = client.patch(
        question_url(q),
        {
            "label": "Q4*",
            "title": "Bonus",
            "points": "15",
            "requirements": {
                str(world.ug_section.id): "extra_credit",
                str(world.gr_section.id): "not_applicable",
            },
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    got = client.get(questions_url(hw1)).json()[0]
    assert (got["label"], got["title"], got["points"]) == ("Q4*", "Bonus", "15.00")
    assert got["requirements"] == {
        str(world.ug_section.id): "extra_credit",
        str(world.gr_section.id): "not_applicable",
    }
    # A partial change leaves the other section alone.
    client.patch(question_url(q), {"requirements": {str(world.ug_section.id): "required"}}, format="json")
    got = client.get(questions_url(hw1)).json()[0]
    assert got["requirements"][str(world.ug_section.id)] == "required"
    assert got["requirements"][str(world.gr_section.id)] == "not_applicable"
    event = AuditEvent.objects.filter(action="question.update").first()
    assert event is not None and event.target == "HW1 Q4*"


def test_reorder_by_position(api, world, hw1):
    qs = [QuestionFactory(assignment=hw1, label=f"Q{i}", position=i) for i in (1, 2, 3)]
    client = api.as_user(world.instructor)
    response = client.patch(question_url(qs[2]), {"position": 1}, format="json")
    assert response.status_code == 200, response.content
    listed = client.get(questions_url(hw1)).json()
    assert [(q["label"], q["position"]) for q in listed] == [("Q3", 1), ("Q1", 2), ("Q2", 3)]
    # Moving down, and past the end, puts it last.
    client.patch(question_url(qs[2]), {"position": 99}, format="json")
    assert [q["label"] for q in client.get(questions_url(hw1)).json()] == ["Q1", "Q2", "Q3"]


def test_delete_an_unscored_question(api, world, hw1):
    q1, _ = (QuestionFactory(assignment=hw1, label=label) for label in ("Q1", "Q2"))
    client = api.as_user(world.instructor)
    response = client.delete(question_url(q1))
    assert response.status_code == 204, response.content
    assert list(hw1.questions.values_list("label", flat=True)) == ["Q2"]
    assert AuditEvent.objects.filter(action="question.delete", target="HW1 Q1").exists()


# ---- validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": "Q1", "points": "10"}, "label"),  # Q1 exists
        ({"label": "q1", "points": "10"}, "label"),  # labels match without case in imports
        ({"label": "", "points": "10"}, "label"),
        ({"label": "Q9", "points": "0"}, "points"),
        ({"label": "Q9", "points": "-5"}, "points"),
        ({"label": "Q9", "points": "2.555"}, "points"),
        ({"label": "Q9", "points": "lots"}, "points"),
        ({"label": "Q9", "points": "10", "requirements": {"999999": "required"}}, "requirements.999999"),
        ({"label": "Q9", "points": "10", "requirements": {"abc": "required"}}, "requirements.abc"),
        ({"label": "Q9", "points": "10", "requirements": {"SECTION": "optional"}}, "requirements.SECTION"),
    ],
)
def test_bad_input_is_refused_with_a_field_message(api, world, hw1, body, field):
    QuestionFactory(assignment=hw1, label="Q1")
    if "requirements" in body and "SECTION" in body["requirements"]:
        body = {**body, "requirements": {str(world.ug_section.id): "optional"}}
        field = f"requirements.{world.ug_section.id}"
    response = api.as_user(world.instructor).post(questions_url(hw1), body, format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert field in error["fields"], error
    assert hw1.questions.count() == 1


def test_a_section_of_another_course_is_not_a_key(api, world, hw1):
    other_section = world.other_course.sections.first()
    response = api.as_user(world.instructor).post(
        questions_url(hw1),
        {"label": "Q9", "points": "10", "requirements": {str(other_section.id): "required"}},
        format="json",
    )
    assert response.status_code == 400
    assert f"requirements.{other_section.id}" in error_of(response)["fields"]


def test_renaming_onto_another_label_is_refused(api, world, hw1):
    QuestionFactory(assignment=hw1, label="Q1")
    q2 = QuestionFactory(assignment=hw1, label="Q2")
    response = api.as_user(world.instructor).patch(question_url(q2), {"label": "Q1"}, format="json")
    assert response.status_code == 400
    assert "label" in error_of(response)["fields"]


# ---- grades exist ---------------------------------------------------------------------------------------


@pytest.fixture
def scored(world, hw1):
    q1 = QuestionFactory(assignment=hw1, label="Q1", points=Decimal(10), position=1)
    q2 = QuestionFactory(assignment=hw1, label="Q2", points=Decimal(10), position=2)
    for username, score in (("ug1", 9), ("ug2", 6), ("gr1", 8)):
        grade_enter(
            acting_user=world.ta,
            assignment_id=hw1.id,
            student_username=username,
            scores={q1.id: Decimal(score)},
            reason="Graded",
        )
    return q1, q2


def test_deleting_a_scored_question_is_refused(api, world, hw1, scored):
    q1, _ = scored
    response = api.as_user(world.instructor).delete(question_url(q1))
    assert response.status_code == 409, response.content
    error = error_of(response)
    assert error["code"] == "question_has_scores"
    assert "3 scores" in error["detail"]
    assert Question.objects.filter(pk=q1.pk).exists()
    assert QuestionScore.objects.filter(question=q1).count() == 3


def test_lowering_points_below_a_score_is_refused(api, world, hw1, scored):
    q1, _ = scored
    response = api.as_user(world.instructor).patch(question_url(q1), {"points": "7.5"}, format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert "points" in error["fields"]
    assert "2 scores" in error["detail"]  # 9 and 8 are above 7.5; 6 is not
    q1.refresh_from_db()
    assert q1.points == Decimal(10)


def test_outline_changes_keep_scores_and_history(api, world, hw1, scored):
    q1, q2 = scored
    scores_before = sorted(QuestionScore.objects.filter(question=q1).values_list("id", "score"))
    history_before = sorted(GradeChange.objects.values_list("id", "question_id", "old_score", "new_score"))
    client = api.as_user(world.instructor)
    assert (
        client.patch(
            question_url(q1), {"points": "9", "label": "P1", "title": "Renamed"}, format="json"
        ).status_code
        == 200
    )
    assert client.patch(question_url(q1), {"position": 2}, format="json").status_code == 200
    assert (
        client.patch(
            question_url(q1), {"requirements": {str(world.ug_section.id): "extra_credit"}}, format="json"
        ).status_code
        == 200
    )
    assert client.post(questions_url(hw1), {"label": "Q3", "points": "5"}, format="json").status_code == 201
    assert client.delete(question_url(q2)).status_code == 204  # never scored
    assert sorted(QuestionScore.objects.filter(question=q1).values_list("id", "score")) == scores_before
    assert (
        sorted(GradeChange.objects.values_list("id", "question_id", "old_score", "new_score"))
        == history_before
    )


# ---- totals follow --------------------------------------------------------------------------------------


def test_extra_credit_set_through_the_api_leaves_the_possible_points(api, world, hw1):
    """Q4 extra credit for CS 4644: a CS 4644 student's points_possible no longer includes Q4."""
    qs = [
        QuestionFactory(assignment=hw1, label=f"Q{i}", points=Decimal(10), position=i) for i in (1, 2, 3, 4)
    ]
    grade_enter(
        acting_user=world.ta,
        assignment_id=hw1.id,
        student_username="ug1",
        scores={q.id: Decimal(score) for q, score in zip(qs, (10, 9, 8, 5), strict=True)},
        reason="Graded",
    )
    grades_release(acting_user=world.instructor, assignment_id=hw1.id)

    def mine():
        listed = api.as_user(world.ug1).get(reverse("api-grades")).json()["results"]
        grade = next(g for g in listed if g["assignment"]["code"] == "HW1")
        return grade["total"], grade["points_possible"]

    assert mine() == ("32.00", "40.00")
    response = api.as_user(world.instructor).patch(
        question_url(qs[3]), {"requirements": {str(world.ug_section.id): "extra_credit"}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert mine() == ("32.00", "30.00")


# ---- who may --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("instructor", 200, "ok"),
        ("ta", 200, 403),
        ("ug1", 200, 403),
        ("gr1", 200, 403),
        ("other_ta", 404, 404),
        ("other_student", 404, 404),
    ],
)
def test_who_may_read_and_write(api, world, hw1, who, read, write):
    q = QuestionFactory(assignment=hw1, label="Q1")
    client = api.as_user(getattr(world, who))
    assert client.get(questions_url(hw1)).status_code == read
    created = client.post(questions_url(hw1), {"label": "Q2", "points": "5"}, format="json")
    patched = client.patch(question_url(q), {"title": "New"}, format="json")
    deleted = client.delete(question_url(q))
    if write == "ok":
        assert (created.status_code, patched.status_code, deleted.status_code) == (201, 200, 204)
    else:
        assert (created.status_code, patched.status_code, deleted.status_code) == (write, write, write)
        for response in (created, patched, deleted):
            error_of(response)
        assert list(hw1.questions.values_list("label", "title")) == [("Q1", "")]


def test_anonymous_is_refused(api, hw1):
    assert api.get(questions_url(hw1)).status_code in (401, 403)
