"""Server-rendered grading pages: "My grades" for students and the staff grade grid."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from courses.models import StaffRole
from grading.services.grades import grade_enter
from grading.services.regrades import regrade_request_create, regrade_request_resolve
from tests.factories import StaffRoleFactory, UserFactory
from tests.grading.conftest import NY, RELEASED_AT, at
from tests.grading.factories import QuestionFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2023, 2, 10, 12, 0, tzinfo=NY)


def get(client, user, url, moment=NOW):
    client.force_login(user)
    with at(moment):
        return client.get(url)


def article(html: str, code: str) -> str:
    match = re.search(rf'<article id="grade-{code}".*?</article>', html, re.S)
    assert match, f"no article for {code}"
    return match.group(0)


def cell(html: str, label: str) -> str:
    match = re.search(rf'data-question="{label}">([^<]*)<', html)
    assert match, f"no score cell for {label}"
    return match.group(1).strip()


@pytest.fixture
def answered(graded):
    """ug1 asked about Q2; the TA accepted (5 → 8) with a response. ug1 also has an unreleased HW1 grade."""
    world = graded.world
    grade = graded.grade("ug1")
    request = regrade_request_create(
        acting_user=world.ug1,
        grade_id=grade.id,
        question_id=graded.q2.id,
        justification="Chain rule",
        now=RELEASED_AT + timedelta(days=1),
    )
    regrade_request_resolve(
        acting_user=world.ta,
        request_id=request.id,
        decision="accepted",
        new_score=Decimal(8),
        response="Your chain rule is fine; full credit for part (b).",
        now=RELEASED_AT + timedelta(days=2),
    )
    hw1 = world.course.assignments.get(code="HW1")
    hw_q = QuestionFactory(assignment=hw1, label="Q1", points=Decimal(30))
    grade_enter(acting_user=world.ta, assignment_id=hw1.id, student_username="ug1", scores={hw_q.id: 29})
    return request


def test_my_grades_shows_released_scores_deadline_and_answers(client, graded, answered):
    response = get(client, graded.world.ug1, "/grades/")
    assert response.status_code == 200
    html = response.content.decode()
    ps0 = article(html, "PS0")
    assert cell(ps0, "Q1") == "7.00"
    assert cell(ps0, "Q2") == "8.00"
    assert "15.00 / 20.00" in ps0
    assert "Regrades possible until" in ps0
    assert "Mon Feb 13 2023, 9:00 am EST (UTC-05:00)" in ps0
    assert 'datetime="2023-02-13T14:00:00+00:00"' in ps0 or 'datetime="2023-02-13T09:00:00-05:00"' in ps0
    # The request with its answer and the score change.
    assert "Your chain rule is fine; full credit for part (b)." in ps0
    assert "<q data-response>" in ps0
    assert "New score: 8.00 (was 5.00)" in ps0
    assert "Accepted" in ps0
    assert "Appeal to the instructor" in ps0
    assert "Ask for a regrade" in ps0
    # The score history, with the regrade.
    assert re.search(r"Q2: 5\.00 → 8\.00.*by ta1", ps0, re.S)
    # Unreleased HW1 is not there.
    assert 'id="grade-HW1"' not in html


def test_my_grades_after_the_window_closed(client, graded, answered):
    html = get(
        client, graded.world.ug1, "/grades/", moment=datetime(2023, 2, 20, 9, 0, tzinfo=NY)
    ).content.decode()
    ps0 = article(html, "PS0")
    assert "The regrade window closed" in ps0
    assert "Mon Feb 13 2023, 9:00 am EST" in ps0
    assert "Ask for a regrade" not in ps0
    assert "Appeal to the instructor" not in ps0  # resolved early: appeals ended with the window


def test_my_grades_shows_only_ones_own_grades(client, graded, answered):
    html = get(client, graded.world.ug2, "/grades/").content.decode()
    ps0 = article(html, "PS0")
    assert (cell(ps0, "Q1"), cell(ps0, "Q2")) == ("8.00", "9.00")
    assert "chain rule" not in html.lower()
    assert "ug1" not in html


def test_my_grades_before_any_release(client, world, entered):
    html = get(client, world.ug1, "/grades/").content.decode()
    assert "No grades released yet" in html
    assert '<article id="grade-' not in html


def request_item(html: str, request_id: int) -> str:
    match = re.search(rf'<li data-request="{request_id}".*?</li>', html, re.S)
    assert match, f"no request {request_id}"
    return match.group(0)


def test_the_student_sees_their_own_justification(client, graded, answered):
    html = get(client, graded.world.ug1, "/grades/").content.decode()
    item = request_item(html, answered.id)
    assert "You wrote: <q data-justification>Chain rule</q>" in item


def test_appeal_is_not_offered_on_a_request_accepted_at_full_marks(client, graded, answered):
    world = graded.world
    full = regrade_request_create(
        acting_user=world.ug1,
        grade_id=graded.grade("ug1").id,
        question_id=graded.q1.id,
        justification="Q1 part (c) is right too.",
        now=RELEASED_AT + timedelta(days=1),
    )
    regrade_request_resolve(
        acting_user=world.ta,
        request_id=full.id,
        decision="accepted",
        new_score=graded.q1.points,
        response="Full marks.",
        now=RELEASED_AT + timedelta(days=2),
    )
    html = get(client, world.ug1, "/grades/").content.decode()
    assert "Appeal to the instructor" not in request_item(html, full.id)
    assert "Appeal to the instructor" in request_item(html, answered.id)  # 8 of 10: still offered


# ---- the grade grid ---------------------------------------------------------------------------------


class FormControls(HTMLParser):
    """Collects the form controls inside <main> and how each is labelled."""

    def __init__(self):
        super().__init__()
        self.in_main = False
        self.label_depth = 0
        self.label_for: set[str] = set()
        self.controls: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.in_main = True
        if not self.in_main:
            return
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in {"input", "select", "textarea"} and a.get("type") != "hidden":
            self.controls.append({**a, "tag": tag, "_in_label": self.label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False
        if tag == "label" and self.label_depth:
            self.label_depth -= 1

    def unlabelled(self) -> list[dict]:
        return [
            c
            for c in self.controls
            if not (
                c.get("aria-label")
                or c.get("aria-labelledby")
                or c["_in_label"]
                or c.get("id") in self.label_for
            )
        ]


def test_the_grade_grid_lists_students_with_labelled_inputs(client, graded):
    world = graded.world
    response = get(client, world.ta, f"/assignments/{graded.ps0.id}/grades/")
    assert response.status_code == 200
    html = response.content.decode()
    students = re.findall(r'<tr data-student="([^"]+)"', html)
    assert sorted(students[:2]) == ["ug1", "ug2"] and students[2:] == ["gr1"]  # by section, then name
    for username, (s1, s2) in {
        "ug1": ("7.00", "5.00"),
        "ug2": ("8.00", "9.00"),
        "gr1": ("6.00", "6.00"),
    }.items():
        for label, value in (("Q1", s1), ("Q2", s2)):
            assert re.search(
                rf'value="{re.escape(value)}" aria-label="{label} score for {username}"', html
            ), f"{label} input of {username}"
        assert f'aria-label="Reason for changing {username}\'s scores"' in html
    parser = FormControls()
    parser.feed(html)
    assert parser.controls, "the grid has inputs"
    assert parser.unlabelled() == [], "every control has a name for screen readers"
    # The score inputs say their range.
    assert re.search(rf'max="10\.00" name="scores\.{graded.q1.id}"', html)


def test_the_grade_grid_offers_release_to_the_instructor_only(client, graded):
    ta_html = get(client, graded.world.ta, f"/assignments/{graded.ps0.id}/grades/").content.decode()
    instructor_html = get(
        client, graded.world.instructor, f"/assignments/{graded.ps0.id}/grades/"
    ).content.decode()
    assert "Release PS0 grades" not in ta_html
    assert "Release PS0 grades" in instructor_html


def test_a_section_ta_sees_only_their_section_in_the_grid(client, graded):
    world = graded.world
    ta = UserFactory(username="ta_gr")
    StaffRoleFactory(user=ta, course=world.course, role=StaffRole.Role.TA, section=world.gr_section)
    html = get(client, ta, f"/assignments/{graded.ps0.id}/grades/").content.decode()
    assert re.findall(r'<tr data-student="([^"]+)"', html) == ["gr1"]


@pytest.mark.parametrize("who", ["ug1", "other_ta", "other_student"])
def test_others_get_404_on_the_grade_grid(client, graded, who):
    response = get(client, getattr(graded.world, who), f"/assignments/{graded.ps0.id}/grades/")
    assert response.status_code == 404


def test_pages_need_a_sign_in(client, graded):
    for url in ("/grades/", f"/assignments/{graded.ps0.id}/grades/", "/regrades/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
