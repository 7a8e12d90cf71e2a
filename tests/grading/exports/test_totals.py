"""Section-aware percentages and course totals (grading/totals.py), worked by hand.

The course's rules: a question can be extra credit for CS 4644 and required for CS 7643-A; extra credit
adds to what a 4644 student earned without adding to what they could earn. PS and HW weigh 9 % each,
the project 28 %, participation is a 1 % bonus. After the grace period the score is 0.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, EffectiveDeadline, Enrolment
from courses.services.deadlines import deadline_close_passed, deadline_recompute
from grading.totals import CourseScheme, StudentTotal, totals_for_students, two_places
from tests.courses.helpers import grant_extension
from tests.grading.exports.conftest import (
    Requirement,
    enter,
    release,
    requirement,
    submit,
    submit_on_time,
)
from tests.grading.factories import QuestionFactory

D = Decimal


def totals(course, *users, released_only: bool = False) -> dict[str, StudentTotal]:
    enrolments = Enrolment.objects.filter(section__course=course, user__in=users).select_related("user")
    by_id = {e.user_id: e.user.username for e in enrolments}
    return {
        by_id[t.student_id]: t
        for t in totals_for_students(CourseScheme.load(course), enrolments, released_only=released_only)
    }


def result(total: StudentTotal, code: str):
    return next(r for r in total.results if r.assignment.code == code)


def pct(value) -> Decimal:
    return two_places(value)


# ---- section-specific questions ------------------------------------------------------------------


def test_extra_credit_for_4644_is_required_for_7643(graded):
    """HW1: Q1 30, Q2 30, Q3 40 required for both; Q4 10 extra credit for 4644, required for 7643.
    Same answers: 27 + 24 + 36 + 8 = 95 points.
      CS 4644:   earned 95, could earn 30 + 30 + 40 = 100       → 95/100 = 95.00 %
      CS 7643-A: earned 95, could earn 30 + 30 + 40 + 10 = 110  → 95/110 = 86.3636… % → 86.36 %
    """
    w = graded.world
    t = totals(graded.course, w.ug1, w.gr1)
    ug, gr = result(t["ug1"], "HW1"), result(t["gr1"], "HW1")
    assert (ug.earned, ug.possible, ug.late_outcome) == (D(95), D(100), "submitted")
    assert (gr.earned, gr.possible, gr.late_outcome) == (D(95), D(110), "submitted")
    assert ug.percent == D(95)
    assert pct(gr.percent) == D("86.36")
    # On the assignment's own 100-point scale (the gradebook column): 95.00 and 86.36.
    assert pct(ug.score_points) == D("95.00")
    assert pct(gr.score_points) == D("86.36")


def test_extra_credit_can_lift_a_4644_student_above_100_percent(graded, api):
    """Full marks plus the extra credit: 100 + 10 = 110 earned of 100 → 110 % for CS 4644, while the
    same answers are 110/110 = 100 % for CS 7643-A."""
    w = graded.world
    full = {"Q1": 30, "Q2": 30, "Q3": 40, "Q4": 10}
    enter(api, w.ta, graded.hw1, w.ug1, full, reason="Regraded")
    enter(api, w.ta, graded.hw1, w.gr1, full, reason="Regraded")
    t = totals(graded.course, w.ug1, w.gr1)
    assert result(t["ug1"], "HW1").percent == D(110)
    assert result(t["gr1"], "HW1").percent == D(100)


def test_a_not_applicable_question_counts_in_neither_earned_nor_possible(graded, api):
    """Q5 (20 points) does not apply to CS 4644 but is required for CS 7643-A. A score entered for a 4644
    student anyway changes nothing for them:
      CS 4644:   earned 27 + 24 + 36 + 8 = 95 (Q5's 15 ignored), could earn 100 → 95.00 %
      CS 7643-A: earned 95 + 15 = 110, could earn 110 + 20 = 130             → 84.6153… % → 84.62 %
    """
    w = graded.world
    q5 = QuestionFactory(assignment=graded.hw1, label="Q5", points=20, position=4)
    requirement(q5, w.ug_section, Requirement.NOT_APPLICABLE)
    enter(api, w.ta, graded.hw1, w.ug1, {"Q5": 15})
    enter(api, w.ta, graded.hw1, w.gr1, {"Q5": 15})
    t = totals(graded.course, w.ug1, w.gr1)
    ug, gr = result(t["ug1"], "HW1"), result(t["gr1"], "HW1")
    assert (ug.earned, ug.possible, ug.percent) == (D(95), D(100), D(95))
    assert (gr.earned, gr.possible) == (D(110), D(130))
    assert pct(gr.percent) == D("84.62")


# ---- weights and the course total ----------------------------------------------------------------


def test_course_totals_follow_the_weights(graded):
    """Weighted by hand (weight x percent / 100):
                      ug1 (4644)        gr1 (7643-A)                  ug2 (4644)
      PS1   9 %      80 %  → 7.20       80 %      → 7.20              70 %  → 6.30
      HW1   9 %      95 %  → 8.55       86.3636 % → 7.772727…         missing → 0
      PROJ 28 %      90 %  → 25.20      90 %      → 25.20             60 %  → 16.80
      bonus 1 %      1/1   → 1.00       1/1       → 1.00              0/1   → 0
      total                  41.95                  41.172727… → 41.17        23.10
      graded weight 46 %: running 40.95/46 = 89.02 %; 40.172727/46 = 87.33 %; 23.10/46 = 50.22 %
    PS0 weighs 0 and does not count toward the grade: it changes nothing.
    """
    w = graded.world
    t = totals(graded.course, w.ug1, w.ug2, w.gr1)
    ug1, gr1, ug2 = t["ug1"], t["gr1"], t["ug2"]

    assert {k: pct(v) for k, v in ug1.category_totals.items()} == {
        "problem_set": D("7.20"),
        "homework": D("8.55"),
        "project": D("25.20"),
    }
    assert {k: pct(v) for k, v in gr1.category_totals.items()} == {
        "problem_set": D("7.20"),
        "homework": D("7.77"),
        "project": D("25.20"),
    }
    assert {k: pct(v) for k, v in ug2.category_totals.items()} == {
        "problem_set": D("6.30"),
        "homework": D("0.00"),
        "project": D("16.80"),
    }
    assert (ug1.bonus, gr1.bonus, ug2.bonus) == (D(1), D(1), D(0))
    assert pct(ug1.total) == D("41.95")
    assert pct(gr1.total) == D("41.17")
    assert pct(ug2.total) == D("23.10")
    assert ug1.graded_weight == gr1.graded_weight == ug2.graded_weight == D(46)
    assert pct(ug1.running_percent) == D("89.02")
    assert pct(gr1.running_percent) == D("87.33")
    assert pct(ug2.running_percent) == D("50.22")
    # The ungraded preparation work is reported but weighs nothing.
    assert result(ug1, "PS0").percent == D(75)


def test_bonus_is_capped_at_its_weight(graded, api):
    """Participation gets an extra-credit question for everyone: 1 + 1 = 2 earned of 1 → 200 %, which
    would be 2 % of the course; the bonus stays at its weight, 1 %. ug1's total stays 41.95."""
    w = graded.world
    extra = QuestionFactory(assignment=graded.participation, label="Extra", points=1, position=1)
    requirement(extra, w.ug_section, Requirement.EXTRA_CREDIT)
    requirement(extra, w.gr_section, Requirement.EXTRA_CREDIT)
    enter(api, w.ta, graded.participation, w.ug1, {"Extra": 1})
    t = totals(graded.course, w.ug1)["ug1"]
    assert result(t, "PARTICIPATION").percent == D(200)
    assert t.bonus == D(1)
    assert pct(t.total) == D("41.95")


# ---- late work -----------------------------------------------------------------------------------


def test_a_closed_window_without_submission_counts_zero_even_with_a_score(graded):
    """ug2 never submitted HW1; its window closed Tue Feb 14 2023 11:59 pm. The TA entered full marks and
    the extra credit anyway (30 + 30 + 40 + 10 = 110 of 100): it counts 0, before the closing task has
    recorded it and after."""
    w = graded.world
    row = EffectiveDeadline.objects.get(student=w.ug2, assignment=graded.hw1)
    assert row.outcome == EffectiveDeadline.Outcome.PENDING and row.last_submitted_at is None
    hw1 = result(totals(graded.course, w.ug2)["ug2"], "HW1")
    assert hw1.earned == D(110)
    assert (hw1.late_outcome, hw1.percent) == ("missing", D(0))

    deadline_close_passed()
    row.refresh_from_db()
    assert row.outcome == EffectiveDeadline.Outcome.MISSING
    hw1 = result(totals(graded.course, w.ug2)["ug2"], "HW1")
    assert (hw1.earned, hw1.late_outcome, hw1.percent) == (D(110), "missing", D(0))


def test_an_extension_whose_recompute_waits_in_the_outbox_reopens_the_window_in_the_totals(
    graded, api, django_capture_on_commit_callbacks
):
    """ug2's HW1 window closed with nothing submitted: missing, 0. The instructor then grants an extension
    to three days from now, and its recompute waits in the outbox (a broker outage, a busy worker): the
    stored row still says the window closed. The totals read the window the rules give today (open, as
    the student's own deadline list does), so the 110 points entered count, rather than 0 until the
    recompute runs; after it, the same."""
    w = graded.world
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        grant_extension(api, w.instructor, w.ug2, graded.hw1, timezone.now() + timedelta(days=3))
    row = EffectiveDeadline.objects.get(student=w.ug2, assignment=graded.hw1)
    assert row.closes_at < timezone.now() and row.extension_due_at is None  # stored before the extension
    hw1 = result(totals(graded.course, w.ug2)["ug2"], "HW1")
    assert (hw1.earned, hw1.late_outcome, hw1.percent) == (D(110), "pending", D(110))

    with django_capture_on_commit_callbacks(execute=True):
        for callback in waiting:  # the recompute runs
            callback()
    row.refresh_from_db()
    assert row.closes_at > timezone.now()
    hw1 = result(totals(graded.course, w.ug2)["ug2"], "HW1")
    assert (hw1.earned, hw1.late_outcome, hw1.percent) == (D(110), "pending", D(110))


def test_a_submission_after_the_grace_period_counts_zero(graded):
    """ug1 and gr1 submitted HW1 at Sun Feb 12 2023 10:59 pm. The due time moves back to Thu Feb 9: the
    grace period ends Sat Feb 11 11:59 pm, so their submissions are now after it — "missing", 0, whatever
    the 95 points entered. Only an extension grants more time."""
    w = graded.world
    hw1 = graded.hw1
    hw1.due_at = hw1.due_at - timedelta(days=3)
    hw1.save(update_fields=["due_at"])
    deadline_recompute(assignment_id=hw1.id)
    assert set(
        EffectiveDeadline.objects.filter(assignment=hw1, student__in=[w.ug1, w.gr1]).values_list(
            "outcome", flat=True
        )
    ) == {EffectiveDeadline.Outcome.MISSING}
    t = totals(graded.course, w.ug1, w.gr1)
    for username in ("ug1", "gr1"):
        r = result(t[username], "HW1")
        assert (r.earned, r.percent) == (D(95), D(0))
    # ug1: 7.20 + 0 + 25.20 + 1 = 33.40
    assert pct(t["ug1"].total) == D("33.40")


def test_penalty_policy_scales_the_score(world, scheme, api):
    """A course using the per-day penalty (10 % a day, at most 50 % off, for up to 5 days):
    ug1 submits HW1 1½ days late → 2 local days → 20 % off: 95 % x 0.8 = 76.00 %
    ug2 submits 4½ days late → 5 days → 50 % off (the floor): 100 % x 0.5 = 50.00 %
    gr1 submits on time → no penalty: 86.36 %
    """
    Course.objects.filter(pk=world.course.pk).update(
        late_policy=Course.LatePolicy.PENALTY,
        penalty_percent_per_day=10,
        penalty_floor_percent=50,
        penalty_max_days=5,
    )
    world.recompute()
    hw1 = scheme.hw1
    submit(api, world.ug1, hw1, when=hw1.due_at + timedelta(days=1, hours=12))
    submit(api, world.ug2, hw1, when=hw1.due_at + timedelta(days=4, hours=12))
    submit_on_time(api, world.gr1, hw1)
    answers = {"Q1": 27, "Q2": 24, "Q3": 36, "Q4": 8}
    enter(api, world.ta, hw1, world.ug1, answers)
    enter(api, world.ta, hw1, world.ug2, {"Q1": 30, "Q2": 30, "Q3": 40})
    enter(api, world.ta, hw1, world.gr1, answers)

    t = totals(world.course, world.ug1, world.ug2, world.gr1)
    ug1, ug2, gr1 = result(t["ug1"], "HW1"), result(t["ug2"], "HW1"), result(t["gr1"], "HW1")
    # (The deadline engine labels a penalised submission inside the penalty days "submitted_in_grace".)
    assert (ug1.penalty_percent, ug1.percent) == (D(20), D(76))
    assert (ug2.penalty_percent, ug2.percent) == (D(50), D(50))
    assert (gr1.late_outcome, gr1.penalty_percent) == ("submitted", D(0))
    assert pct(gr1.percent) == D("86.36")
    # HW1's share of the course: 9 x 76 % = 6.84
    assert pct(t["ug1"].category_totals["homework"]) == D("6.84")


# ---- the student's own page ----------------------------------------------------------------------


@pytest.fixture
def ug1_page(client):
    def get(user):
        client.force_login(user)
        response = client.get(reverse("my-grades"))
        assert response.status_code == 200
        return response.content.decode()

    return get


def running_total(html: str) -> str:
    import re

    match = re.search(r"<strong data-total-percent>([^<]*)</strong>", html)
    assert match, "no running total on the page"
    return match.group(1)


def test_student_page_shows_a_running_total_of_released_grades_only(graded, api, ug1_page):
    """Before any release: nothing counts, and the page says so. PS1 and HW1 released: (7.20 + 8.55) / 18 =
    87.50 %; the project (90 %, entered) does not count yet. Released too: 40.95 / 46 = 89.02 %."""
    w = graded.world
    html = ug1_page(w.ug1)
    assert "Nothing graded yet counts toward your grade" in html
    assert "(0% of the course)" not in html and "data-total-percent>—" not in html

    release(api, w.instructor, graded.ps1)
    release(api, w.instructor, graded.hw1)
    html = ug1_page(w.ug1)
    assert running_total(html) == "87.50%"
    assert "15.75 of 100 points banked" in html
    assert "90.00 / 100.00" not in html  # the unreleased project score is nowhere on the page

    t = totals(graded.course, w.ug1, released_only=True)["ug1"]
    assert result(t, "PROJECT").percent is None and t.graded_weight == D(18)

    release(api, w.instructor, graded.project)
    release(api, w.instructor, graded.participation)
    html = ug1_page(w.ug1)
    assert running_total(html) == "89.02%"
    assert "41.95 of 100 points banked so far, bonus 1.00" in html


def test_student_page_shows_their_own_total_only(graded, api, ug1_page):
    """gr1's page shows gr1's 7643 figures (86.36 on HW1), never ug1's."""
    w = graded.world
    for assignment in (graded.ps1, graded.hw1):
        release(api, w.instructor, assignment)
    html = ug1_page(w.gr1)
    # (7.20 + 7.772727…) / 18 = 83.18 %
    assert running_total(html) == "83.18%"
    assert "95.00 / 110.00" in html and "86.36%" in html
    assert "Lovelace" not in html
