"""A regrade, end to end in headless Chromium: a TA claims and answers ug1's request on PS0 Q2 from the
queue; ug1 then sees the new score and the response on "My grades"."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from grading.models import GradeChange, QuestionScore, RegradeRequest
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

RESPONSE = "Your chain rule derivation is right; restoring the points for Q2."


def watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console error: {msg.text}")
            if msg.type == "error" and "favicon" not in ((msg.location or {}).get("url") or "")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def test_ta_answers_a_regrade_and_the_student_sees_the_new_score(
    browser, page, live_server, transactional_db
):
    call_command("seed_demo", "--relative", stdout=io.StringIO())
    request = RegradeRequest.objects.select_related("question", "grade").get(
        student__username="ug1", question__assignment__code="PS0", question__label="Q2"
    )
    assert request.state == RegradeRequest.State.OPEN
    points = request.question.points
    new_score = points if request.old_score != points else points - 1

    # ---- the TA ----
    login(page, live_server, "ta1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Regrade queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regrade queue")
    item = page.locator(f'article[data-request="{request.id}"]')
    expect(item).to_contain_text("PS0 Q2")
    expect(item).to_contain_text("ug1")
    expect(item.locator("[data-state]")).to_have_text("Open")

    item.locator("summary").click()  # one line per request: it opens in place
    with page.expect_navigation():  # the page reloads after the claim
        item.get_by_role("button", name="Claim").click()
    expect(item.locator("[data-state]")).to_have_text("Claimed by ta1")
    expect(item.get_by_role("button", name="Claim")).to_have_count(0)

    # The request claimed by the reader is open, its answer beside it.
    answer = item.locator("form[data-resolve]")
    expect(answer).to_be_visible()
    answer.get_by_label("Accept and change the score").check()
    answer.get_by_label("New score").fill(str(new_score))
    answer.get_by_label("Response to the student").fill(RESPONSE)
    with page.expect_navigation():
        answer.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regrade queue")
    expect(page.locator(f'article[data-request="{request.id}"]')).to_have_count(0)  # no longer open work

    request.refresh_from_db()
    assert request.state == RegradeRequest.State.ACCEPTED
    assert request.resolved_by.username == "ta1"
    assert request.new_score == Decimal(new_score)
    assert QuestionScore.objects.get(grade=request.grade, question=request.question).score == Decimal(
        new_score
    )
    assert GradeChange.objects.filter(grade=request.grade, source=GradeChange.Source.REGRADE).count() == 1

    # ---- the student, in a browser of their own ----
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        student = context.new_page()
        problems = watch_console(student)
        login(student, live_server, "ug1")
        student.get_by_role("navigation", name="Main").get_by_role("link", name="My grades").click()
        expect(student.get_by_role("heading", level=1)).to_have_text("My grades")
        ps0 = student.locator("article#grade-PS0")
        expect(ps0.locator('td[data-question="Q2"]')).to_have_text(f"{Decimal(new_score):.2f}")
        mine = ps0.locator(f'li[data-request="{request.id}"]')
        expect(mine.locator("[data-state]")).to_have_text("Accepted")
        expect(mine.locator("[data-response]")).to_have_text(RESPONSE)
        expect(mine).to_contain_text(f"New score: {Decimal(new_score):.2f}")
        assert problems == [], problems
    finally:
        context.close()
