"""Fixtures for totals, teams, imports and exports: the shared `world` grown into the course's grading
scheme, with work submitted through the API (at a stopped clock before each due time) and graded through
the API.

The scheme (DESIGN.md, "The course's rules"):

| code          | category      | weight      | due (America/New_York) | questions                                  |
| ------------- | ------------- | ----------- | ---------------------- | ------------------------------------------ |
| PS0           | preparation   | 0 (ungraded) | Sun Jan 15 2023       | Q1 50, Q2 50                               |
| PS1           | problem set   | 9 %         | Wed Feb 8 2023         | Total 100                                  |
| HW1           | homework      | 9 %         | Sun Feb 12 2023        | Q1 30, Q2 30, Q3 40 required; Q4 10: extra |
|               |               |             |                        | credit for CS 4644, required for CS 7643   |
| PROJECT       | final project | 28 %        | Tue May 2 2023         | Total 100 (teams of 3-4)                   |
| PARTICIPATION | participation | bonus 1 %   | none                   | Total 1                                    |
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Assignment, Section, User
from grading.models import Question, QuestionRequirement
from tests.factories import AssignmentFactory, eastern
from tests.grading.factories import QuestionFactory
from tests.helpers import at, error_of  # noqa: F401 (re-exported for the tests here)

Requirement = QuestionRequirement.Requirement
HOUR = timedelta(hours=1)


def submit(api, user: User, assignment: Assignment, *, when: datetime):
    """POST a submission at the stopped time `when`, as the page's form does."""
    with at(when):
        response = api.as_user(user).post(
            reverse("api-assignment-submissions", args=[assignment.id]),
            {
                "file": SimpleUploadedFile("answers.pdf", b"%PDF-1.4\n%answers\n", "application/pdf"),
                "collaborators_none": "true",
                "honor_statement_accepted": "true",
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content
    return response


def submit_on_time(api, user: User, assignment: Assignment):
    return submit(api, user, assignment, when=assignment.due_at - HOUR)


def enter(api, staff: User, assignment: Assignment, student: User, scores: dict[str, object], reason=""):
    """POST /api/v1/assignments/{id}/grades/ with scores keyed by question label."""
    by_label = {q.label: q.id for q in assignment.questions.all()}
    response = api.as_user(staff).post(
        reverse("api-assignment-grades", args=[assignment.id]),
        {
            "student": student.username,
            "scores": {str(by_label[label]): str(score) for label, score in scores.items()},
            "reason": reason,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def release(api, instructor: User, assignment: Assignment):
    response = api.as_user(instructor).post(
        reverse("api-release-grades", args=[assignment.id]), {}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def parse_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


@dataclass
class Scheme:
    world: object
    ps0: Assignment
    ps1: Assignment
    hw1: Assignment
    project: Assignment
    participation: Assignment

    @property
    def course(self):
        return self.world.course

    def q(self, assignment: Assignment, label: str) -> Question:
        return assignment.questions.get(label=label)


def requirement(question: Question, section: Section, value: str) -> None:
    QuestionRequirement.objects.update_or_create(
        question=question, section=section, defaults={"requirement": value}
    )


@pytest.fixture
def scheme(world) -> Scheme:
    """The course's scheme on top of `world` (ug1, ug2 in CS 4644; gr1 in CS 7643-A)."""
    course = world.course
    for user, first, last in (
        (world.ug1, "Ada", "Lovelace"),
        (world.ug2, "Alan", "Turing"),
        (world.gr1, "Grace", "Hopper"),
    ):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    ps0 = course.assignments.get(code="PS0")
    QuestionFactory(assignment=ps0, label="Q1", points=50, position=0)
    QuestionFactory(assignment=ps0, label="Q2", points=50, position=1)
    ps1 = AssignmentFactory(
        course=course, code="PS1", title="Problem set 1", category="problem_set", due_at=eastern(2023, 2, 8)
    )
    QuestionFactory(assignment=ps1, label="Total", points=100, position=0)
    hw1 = course.assignments.get(code="HW1")
    hw1.title = "Homework 1"
    hw1.save(update_fields=["title"])
    for position, (label, points) in enumerate((("Q1", 30), ("Q2", 30), ("Q3", 40), ("Q4", 10))):
        QuestionFactory(assignment=hw1, label=label, points=points, position=position)
    requirement(hw1.questions.get(label="Q4"), world.ug_section, Requirement.EXTRA_CREDIT)
    requirement(hw1.questions.get(label="Q4"), world.gr_section, Requirement.REQUIRED)
    project = AssignmentFactory(
        course=course,
        code="PROJECT",
        title="Final project",
        category="project",
        weight=Decimal(28),
        due_at=eastern(2023, 5, 2),
        team_size_min=3,
        team_size_max=4,
    )
    QuestionFactory(assignment=project, label="Total", points=100, position=0)
    participation = AssignmentFactory(
        course=course,
        code="PARTICIPATION",
        title="Class participation",
        category="participation",
        points=Decimal(1),
        weight=Decimal(1),
        is_bonus=True,
        due_at=None,
        accepts_submissions=False,
    )
    world.recompute()
    return Scheme(world, ps0, ps1, hw1, project, participation)


# What each student earned, entered by the TA through the API (question label → score).
PS0_SCORES = {"ug1": {"Q1": 40, "Q2": 35}, "ug2": {"Q1": 45, "Q2": 45}, "gr1": {"Q1": 50, "Q2": 26}}
PS1_SCORES = {"ug1": {"Total": 80}, "ug2": {"Total": 70}, "gr1": {"Total": 80}}
HW1_SCORES = {
    "ug1": {"Q1": 27, "Q2": 24, "Q3": 36, "Q4": 8},
    "ug2": {"Q1": 30, "Q2": 30, "Q3": 40, "Q4": 10},  # full marks, but nothing was submitted
    "gr1": {"Q1": 27, "Q2": 24, "Q3": 36, "Q4": 8},
}
PROJECT_SCORES = {"ug1": {"Total": 90}, "ug2": {"Total": 60}, "gr1": {"Total": 90}}
PARTICIPATION_SCORES = {"ug1": {"Total": 1}, "ug2": {"Total": 0}, "gr1": {"Total": 1}}


@pytest.fixture
def graded(scheme, api) -> Scheme:
    """Every student submitted PS0, PS1 and the project on time; ug1 and gr1 also HW1, ug2 did not
    submit HW1 (its window closed Feb 14 2023). The TA entered every score below; nothing is released."""
    w = scheme.world
    students = {"ug1": w.ug1, "ug2": w.ug2, "gr1": w.gr1}
    for assignment in (scheme.ps0, scheme.ps1, scheme.hw1, scheme.project):
        for username, user in students.items():
            if assignment == scheme.hw1 and username == "ug2":
                continue
            submit_on_time(api, user, assignment)
    QuestionFactory(assignment=scheme.participation, label="Total", points=1, position=0)
    for assignment, table in (
        (scheme.ps0, PS0_SCORES),
        (scheme.ps1, PS1_SCORES),
        (scheme.hw1, HW1_SCORES),
        (scheme.project, PROJECT_SCORES),
        (scheme.participation, PARTICIPATION_SCORES),
    ):
        for username, scores in table.items():
            enter(api, w.ta, assignment, students[username], scores)
    return scheme
