"""The outline page and the read-only grade grid (issue 13, item 2)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from grading.models import Question, QuestionRequirement
from tests.grading.factories import QuestionFactory
from tests.grading.test_grading_pages import FormControls

Requirement = QuestionRequirement.Requirement


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_a_get_of_the_grade_grid_creates_no_question(client, world, hw1):
    for user in (world.instructor, world.ta):
        response = page(client, user, reverse("grade-grid", args=[hw1.id]))
        assert response.status_code == 200
    assert not Question.objects.filter(assignment=hw1).exists()


def test_the_empty_grid_offers_the_instructor_a_total_question(client, world, hw1):
    html = page(client, world.instructor, reverse("grade-grid", args=[hw1.id])).content.decode()
    assert "has no questions yet" in html
    assert f'data-api="{reverse("api-assignment-questions", args=[hw1.id])}"' in html
    assert 'name="label" value="Total"' in html
    assert reverse("assignment-outline", args=[hw1.id]) in html


def test_the_empty_grid_tells_a_ta_to_wait(client, world, hw1):
    html = page(client, world.ta, reverse("grade-grid", args=[hw1.id])).content.decode()
    assert "the instructor has not set up this assignment's questions yet" in html
    assert reverse("api-assignment-questions", args=[hw1.id]) not in html


def test_the_outline_page_shows_what_each_section_can_earn(client, world, hw1):
    for i, points in enumerate((30, 30, 40, 10), start=1):
        QuestionFactory(assignment=hw1, label=f"Q{i}", points=Decimal(points), position=i)
    q4 = hw1.questions.get(label="Q4")
    QuestionRequirement.objects.create(
        question=q4, section=world.ug_section, requirement=Requirement.EXTRA_CREDIT
    )
    response = page(client, world.instructor, reverse("assignment-outline", args=[hw1.id]))
    assert response.status_code == 200
    html = response.content.decode()
    possible = dict(re.findall(r'<tr data-section="([^"]+)">.*?<td data-possible>([\d.]+)</td>', html, re.S))
    assert possible == {"CS 4644": "100.00", "CS 7643-A": "110.00"}
    # Forms post to the API; each question has a select per section, labelled.
    assert f'data-api="{reverse("api-question", args=[q4.id])}"' in html
    assert f'name="requirements.{world.ug_section.id}"' in html
    assert '<option value="extra_credit" selected>' in html
    parser = FormControls()
    parser.feed(html)
    assert parser.controls
    assert parser.unlabelled() == []
    assert "style=" not in html and "<script>" not in html


def test_a_ta_sees_the_outline_without_forms(client, world, hw1):
    QuestionFactory(assignment=hw1, label="Q1")
    html = page(client, world.ta, reverse("assignment-outline", args=[hw1.id])).content.decode()
    assert "Q1" in html and "data-api" not in html


@pytest.mark.parametrize("who", ["ug1", "other_ta", "other_student"])
def test_others_get_404_on_the_outline_page(client, world, hw1, who):
    assert page(client, getattr(world, who), reverse("assignment-outline", args=[hw1.id])).status_code == 404


def test_the_grid_and_staff_course_page_link_to_the_outline(client, world, hw1):
    QuestionFactory(assignment=hw1, label="Q1")
    url = reverse("assignment-outline", args=[hw1.id])
    assert url in page(client, world.instructor, reverse("grade-grid", args=[hw1.id])).content.decode()
    assert (
        url
        in page(client, world.instructor, reverse("staff-course", args=[world.course.id])).content.decode()
    )
