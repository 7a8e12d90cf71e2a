"""Class participation (a 1 % bonus) from contribution counts such as endorsed Piazza answers:
POST /api/v1/assignments/{id}/participation-imports/ with a CSV, a rule (top_n or threshold) and a value."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import AuditEvent, Enrolment
from grading.models import Grade, GradeChange, QuestionScore
from grading.totals import CourseScheme, totals_for_students, two_places
from tests.factories import EnrolmentFactory, UserFactory
from tests.grading.exports.conftest import error_of
from tests.importing import imported, job_error, post_import

COUNTS = {"ug1": 12, "ug2": 7, "gr1": 7, "ug3": 3, "ug4": 0, "gr2": 1}


@pytest.fixture
def people(scheme):
    w = scheme.world
    for name, section in (("ug3", w.ug_section), ("ug4", w.ug_section), ("gr2", w.gr_section)):
        EnrolmentFactory(user=UserFactory(username=name), section=section)
    return scheme


def csv_of(counts: dict[str, object], header="username,count") -> bytes:
    return ("\r\n".join([header, *(f"{u},{c}" for u, c in counts.items())]) + "\r\n").encode()


def post(api, user, assignment, content: bytes, rule: str, value):
    return post_import(
        api.as_user(user),
        reverse("api-participation-imports", args=[assignment.id]),
        {"file": SimpleUploadedFile("piazza.csv", content, "text/csv"), "rule": rule, "value": value},
    )


def points(assignment) -> dict[str, Decimal]:
    return dict(
        QuestionScore.objects.filter(grade__assignment=assignment).values_list(
            "grade__student__username", "score"
        )
    )


def bonus_and_total(course) -> dict[str, tuple[Decimal, Decimal]]:
    enrolments = list(Enrolment.objects.filter(section__course=course).select_related("user"))
    names = {e.user_id: e.user.username for e in enrolments}
    return {
        names[t.student_id]: (t.bonus, two_places(t.total))
        for t in totals_for_students(CourseScheme.load(course), enrolments)
    }


def test_top_n_gives_full_points_to_the_best_and_ties_at_the_cutoff(people, api):
    """Top 2 of 12, 7, 7, 3, 1, 0: the second place is a tie at 7, so ug1, ug2 and gr1 qualify."""
    w, participation = people.world, people.participation
    response = post(api, w.instructor, participation, csv_of(COUNTS), "top_n", 2)
    assert imported(response) == {"rows": 6, "qualified": 3}
    assert points(participation) == {
        "ug1": Decimal(1),
        "ug2": Decimal(1),
        "gr1": Decimal(1),
        "ug3": Decimal(0),
        "ug4": Decimal(0),
        "gr2": Decimal(0),
    }
    changes = GradeChange.objects.filter(grade__assignment=participation, grade__student=w.ug1)
    assert [(c.source, c.new_score, c.reason) for c in changes] == [
        ("import", Decimal(1), "Participation: 12 contributions (top n 2)")
    ]
    assert AuditEvent.objects.filter(action="participation.import", actor=w.instructor).exists()


def test_threshold_gives_full_points_from_the_threshold_up(people, api):
    w, participation = people.world, people.participation
    content = csv_of({f"{u}@example.edu": c for u, c in COUNTS.items()}, header="Email,Endorsed answers")
    response = post(api, w.instructor, participation, content, "threshold", 3)
    assert imported(response) == {"rows": 6, "qualified": 4}
    assert {u for u, p in points(participation).items() if p == 1} == {"ug1", "ug2", "gr1", "ug3"}
    assert {u for u, p in points(participation).items() if p == 0} == {"ug4", "gr2"}


def test_the_bonus_reaches_the_total_capped_at_one_percent(people, api):
    """Nothing else is graded, and every other window has closed without a submission (0 each): the
    total is the bonus alone — 1.00 for a qualifying student, 0.00 otherwise, never more than the 1 %."""
    w, participation = people.world, people.participation
    imported(post(api, w.instructor, participation, csv_of(COUNTS), "top_n", 1))
    figures = bonus_and_total(people.course)
    assert figures["ug1"] == (Decimal(1), Decimal("1.00"))
    for username in ("ug2", "gr1", "ug3", "ug4", "gr2"):
        assert figures[username] == (Decimal(0), Decimal("0.00")), username


def test_a_second_import_moves_points_through_the_history(people, api):
    w, participation = people.world, people.participation
    imported(post(api, w.instructor, participation, csv_of(COUNTS), "top_n", 2))
    before = GradeChange.objects.count()
    response = post(api, w.instructor, participation, csv_of(COUNTS), "top_n", 1)
    assert imported(response) == {"rows": 6, "qualified": 1}
    moved = GradeChange.objects.order_by("id")[before:]
    assert sorted((c.grade.student.username, c.old_score, c.new_score) for c in moved) == [
        ("gr1", Decimal(1), Decimal(0)),
        ("ug2", Decimal(1), Decimal(0)),
    ]


def test_only_instructors_import_participation(people, api):
    w, participation = people.world, people.participation
    assert post(api, w.ta, participation, csv_of(COUNTS), "top_n", 2).status_code == 403
    assert post(api, w.ug1, participation, csv_of(COUNTS), "top_n", 2).status_code == 403
    assert post(api, w.other_ta, participation, csv_of(COUNTS), "top_n", 2).status_code == 404
    assert not Grade.objects.exists()


def test_bad_rows_name_each_line_and_change_nothing(people, api):
    w, participation = people.world, people.participation
    content = csv_of({"ug1": 12, "stranger": 4, "ug2": "many", "gr1": -2, "ug3": 3})
    response = post(api, w.instructor, participation, content, "top_n", 2)
    body = job_error(response)
    assert body["code"] == "invalid_rows"
    assert set(body["fields"]) == {"line 3", "line 4", "line 5"}
    assert "stranger" in body["fields"]["line 3"]
    assert "not a number" in body["fields"]["line 4"]
    assert "negative" in body["fields"]["line 5"]
    assert (Grade.objects.count(), QuestionScore.objects.count(), GradeChange.objects.count()) == (0, 0, 0)
    assert not participation.questions.exists()


@pytest.mark.parametrize(
    ("content", "rule", "value", "field"),
    [
        (b"student,points\r\nug1,3\r\n", "top_n", 2, "file"),
        (csv_of(COUNTS), "best", 2, "rule"),
        (csv_of(COUNTS), "top_n", 0, "value"),
    ],
)
def test_a_bad_request_is_refused_with_its_field(people, api, content, rule, value, field):
    response = post(api, people.world.instructor, people.participation, content, rule, value)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not Grade.objects.exists()


def test_an_import_after_the_release_reaches_the_students_own_total(people, api, client):
    """Like any grade entered after its assignment's release, participation imported after the release
    is released at once: the student's page shows the bonus in their total."""
    w, participation = people.world, people.participation
    response = api.as_user(w.instructor).post(
        reverse("api-release-grades", args=[participation.id]), {}, format="json"
    )
    assert response.status_code == 200, response.content
    imported(post(api, w.instructor, participation, csv_of(COUNTS), "top_n", 1))
    grade = Grade.objects.get(assignment=participation, student=w.ug1)
    assert grade.released_at is not None and grade.regrade_deadline is not None
    client.force_login(w.ug1)
    html = client.get(reverse("my-grades")).content.decode()
    assert "1.00 of 100 points banked so far, bonus 1.00" in html


def test_a_participation_import_into_another_assignment_is_refused_at_once(people, api):
    """Contribution counts would overwrite a homework's scores with full marks or 0: refused when asked,
    before any job runs, saying what to choose."""
    w = people.world
    hw1 = w.course.assignments.get(code="HW1")
    before = points(hw1)
    response = api.as_user(w.instructor).post(
        reverse("api-participation-imports", args=[hw1.id]),
        {"file": SimpleUploadedFile("piazza.csv", csv_of(COUNTS), "text/csv"), "rule": "top_n", "value": 2},
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "not_participation"
    assert "Choose the course's participation assignment" in body["detail"]
    assert points(hw1) == before
