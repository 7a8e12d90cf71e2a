"""What a student reads about readiness and totals (issue 14, Student): the "may not be prepared" notice on
the home page and My grades as well as Join a course (the rule is grading.selectors.readiness_by_student),
PS0/HW0 cards saying they do not count, and a running total that says plainly when nothing counts yet."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from grading.services.grades import grade_enter, grades_release
from tests.factories import eastern
from tests.grading.factories import QuestionFactory
from tests.helpers import at

NOTICE = "You may not be prepared for CS 4644 / CS 7643-A."


@pytest.fixture
def ps0(world):
    assignment = world.course.assignments.get(code="PS0")
    QuestionFactory(assignment=assignment, label="Total", points=Decimal(100), position=0)
    return assignment


def grade_ps0(world, ps0, username: str, score: str, *, released: bool = True) -> None:
    grade_enter(
        acting_user=world.ta,
        assignment_id=ps0.id,
        student_username=username,
        scores={ps0.questions.get().id: Decimal(score)},
        reason="Graded",
    )
    if released:
        grades_release(acting_user=world.instructor, assignment_id=ps0.id)


def html_of(client, user, name: str) -> str:
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("page", ["home", "my-grades"])  # and Join a course: tests/courses/waitlist
def test_a_flagged_student_sees_the_notice_on_every_student_page(world, ps0, client, page):
    grade_ps0(world, ps0, "ug1", "60")
    text = words(html_of(client, world.ug1, page))
    assert "You may not be prepared" in text
    assert "PS0 60.0%" in text


@pytest.mark.parametrize("page", ["home", "my-grades"])
@pytest.mark.parametrize(("score", "released"), [("76", True), ("40", False)], ids=["above", "unreleased"])
def test_no_notice_above_the_threshold_or_before_release(world, ps0, client, page, score, released):
    grade_ps0(world, ps0, "ug1", score, released=released)
    assert "may not be prepared" not in html_of(client, world.ug1, page)


def test_the_notice_names_the_threshold_and_the_courses_advice(world, ps0, client):
    world.course.readiness_advice = "Talk to the instructor before the registration deadline."
    world.course.save(update_fields=["readiness_advice"])
    grade_ps0(world, ps0, "ug1", "75")  # at the threshold: flagged
    notice = re.search(
        r"<div class=\"notice error\" data-readiness.*?</div>", html_of(client, world.ug1, "home"), re.S
    )
    text = words(notice.group(0))
    assert NOTICE in text
    assert "(at or under 75%)" in text
    assert "do not count toward your grade" in text
    assert "Talk to the instructor before the registration deadline." in text


def test_a_ps0_card_says_it_does_not_count(world, ps0, client):
    grade_ps0(world, ps0, "ug1", "90")
    html = html_of(client, world.ug1, "my-grades")
    card = re.search(r'<article id="grade-PS0".*?</article>', html, re.S).group(0)
    assert "Does not count toward your grade" in card
    assert "at or under 75% means you may not be" in card


def test_nothing_counted_yet_says_so_instead_of_a_dash(world, ps0, client):
    grade_ps0(world, ps0, "ug1", "90")  # released, but PS0 counts nothing
    with at(eastern(2023, 2, 1)):  # HW1 (9%) is not due yet, so it has not counted 0 either
        html = html_of(client, world.ug1, "my-grades")
    total = re.search(r"<article[^>]*data-running-total.*?</article>", html, re.S).group(0)
    assert "Nothing graded yet counts toward your grade" in words(total)
    assert "(0% of the course)" not in total
    assert "data-total-percent>—" not in total


def test_after_dropping_the_course_the_grade_shows_without_the_regrade_form(world, ps0, client):
    from courses.models import Enrolment

    grade_ps0(world, ps0, "ug1", "80")
    html = html_of(client, world.ug1, "my-grades")
    assert "Ask for a regrade" in html
    Enrolment.objects.filter(user=world.ug1).update(status=Enrolment.Status.DROPPED)
    html = html_of(client, world.ug1, "my-grades")
    text = words(html)
    assert "PS0" in text and "80.00 / 100.00" in text
    assert "Ask for a regrade" not in html
    assert "You are no longer enrolled in CS 4644 / CS 7643-A: write to the instructor" in text


def test_an_answered_question_is_no_longer_offered_for_a_new_request(world, ps0, client):
    from grading.models import RegradeRequest
    from grading.services.regrades import regrade_request_create, regrade_request_resolve

    grade_ps0(world, ps0, "ug1", "80")
    grade = ps0.grades.get(student=world.ug1)
    question = ps0.questions.get()
    request = regrade_request_create(
        acting_user=world.ug1, grade_id=grade.id, question_id=question.id, justification="Look again."
    )
    regrade_request_resolve(
        acting_user=world.ta, request_id=request.id, decision=RegradeRequest.State.REJECTED, response="Right."
    )
    html = html_of(client, world.ug1, "my-grades")
    assert "Ask for a regrade" not in html  # its only question was answered: the appeal is the way on
    assert "Appeal" in html
