"""The instructor's statistics page: score distributions per section with mean and median, how work came in
(on time, in grace, late, missing, window open) and the category averages, each chart with a table of the
same numbers. The numbers are the totals' (grading/totals.py), so they agree with the exports."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Assignment
from courses.services.submissions import submission_create
from grading.services.grades import grade_enter
from grading.statistics import course_statistics
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern
from tests.grading.factories import QuestionFactory
from tests.helpers import at
from tests.test_pages import text_of

MINUTE = timedelta(minutes=1)


def _pdf(name="hw.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 work", content_type="application/pdf")


def _submit(user, assignment, when):
    submission_create(
        acting_user=user,
        assignment_id=assignment.id,
        file=_pdf(),
        collaborators=[],
        honor_statement_accepted=True,
        now=when,
    )


@pytest.fixture
def hw1(world):
    """HW1 (due Sunday Feb 12 2023, 11:59 pm New York), handed in on time by everyone, one question of 100
    points, graded: ug1 80, ug2 45 (CS 4644), gr1 100 (CS 7643-A)."""
    hw1 = world.course.assignments.get(code="HW1")
    question = QuestionFactory(assignment=hw1, label="Total", points=Decimal(100), position=0)
    for student in (world.ug1, world.ug2, world.gr1):
        _submit(student, hw1, hw1.due_at - timedelta(hours=1))
    for username, score in (("ug1", 80), ("ug2", 45), ("gr1", 100)):
        grade_enter(
            acting_user=world.ta,
            assignment_id=hw1.id,
            student_username=username,
            scores={question.id: Decimal(score)},
            reason="Graded",
        )
    return hw1


def test_distribution_per_section_with_mean_and_median(world, hw1):
    stats = course_statistics(world.course)
    hw = next(a for a in stats.assignments if a.assignment.code == "HW1")
    ug, gr = hw.distributions
    assert (ug.section.code, gr.section.code) == ("CS 4644", "CS 7643-A")
    assert ug.percents == [Decimal(45), Decimal(80)]
    assert (ug.mean, ug.median) == (Decimal("62.50"), Decimal("62.50"))
    assert dict(ug.bins)["40–50%"] == 1 and dict(ug.bins)["80–90%"] == 1
    assert dict(gr.bins)["90–100%"] == 1  # 100% falls in the last band
    assert hw.graded == 3


def test_how_work_came_in_one_minute_either_side(world):
    """HW2 due Mar 1 2023 11:59 pm with two grace days. ug1 hands in one minute before the due time (on
    time), ug2 one minute after it (in grace); gr1 nothing: missing once the window has closed."""
    hw2 = AssignmentFactory(course=world.course, code="HW2", due_at=eastern(2023, 3, 1))
    world.recompute()
    _submit(world.ug1, hw2, hw2.due_at - MINUTE)
    _submit(world.ug2, hw2, hw2.due_at + MINUTE)
    stats = course_statistics(world.course)
    timeline = next(a for a in stats.assignments if a.assignment.code == "HW2").timeline
    assert timeline == {"on_time": 1, "in_grace": 1, "late": 0, "missing": 1, "open": 0}
    # The last minute of the grace period: gr1 is not missing yet, the window is still open.
    with at(hw2.due_at + timedelta(days=2) - MINUTE):
        timeline = next(a for a in course_statistics(world.course).assignments if a.assignment.code == "HW2")
        assert timeline.timeline["missing"] == 0 and timeline.timeline["open"] == 1


def test_an_open_window_is_not_missing(world):
    upcoming = AssignmentFactory(course=world.course, code="HW9", due_at=eastern(2099, 1, 1))
    world.recompute()
    stats = course_statistics(world.course)
    timeline = next(a for a in stats.assignments if a.assignment.code == "HW9").timeline
    assert timeline["open"] == 3 and timeline["missing"] == 0
    assert upcoming.deadlines.count() == 3


def test_category_averages_follow_the_weights(world, hw1):
    """PS0 counts nothing (weight 0, not toward the grade): only homework has an average."""
    stats = course_statistics(world.course)
    assert [c.category for c in stats.categories] == [Assignment.Category.HOMEWORK]
    by_section = stats.categories[0].by_section
    assert by_section[world.ug_section.id] == Decimal("62.50")
    assert by_section[world.gr_section.id] == Decimal("100.00")


def test_the_page_draws_each_chart_with_its_table(world, hw1, client):
    client.force_login(world.instructor)
    response = client.get(reverse("course-statistics", args=[world.course.id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        html.count('<svg class="chart"') == 1 + 1 + 2 * 2
    )  # categories, timeline, 2 assignments x 2 sections
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    text = text_of(response)
    assert "mean 62.50%" in text and "median 62.50%" in text
    assert "As a table" in text
    # PS0 is graded for nobody, but its window closed with nothing handed in: everyone scored 0.
    assert "PS0 Problem set 0 · 3 scored" in text
    assert "mean 0.00%" in text


def test_only_the_instructor_sees_it(world, client):
    url = reverse("course-statistics", args=[world.course.id])
    for user in (world.ug1, world.ta, world.other_ta):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_query_count_does_not_grow_with_the_class(world, hw1, client, django_assert_max_num_queries):
    client.force_login(world.instructor)
    url = reverse("course-statistics", args=[world.course.id])
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    for i in range(30):
        EnrolmentFactory(user=UserFactory(username=f"extra{i}"), section=world.ug_section)
    AssignmentFactory(course=world.course, code="HW2", due_at=eastern(2023, 3, 1))
    world.recompute()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
