"""The instructor sets up an assignment's outline in headless Chromium (issue 13, item 2): the empty grade
grid offers one "Total" question; the outline page adds a question that is extra credit for CS 4644,
moves it, shows each section's possible points, and deletes it — all through the API's forms."""

import os

import pytest
from playwright.sync_api import expect

from grading.models import QuestionRequirement
from tests.browser.conftest import FACTORY_PASSWORD, login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def possible(page, section: str):
    return page.locator(f'tr[data-section="{section}"] td[data-possible]')


def test_instructor_sets_up_an_outline(page, live_server, world):
    hw1 = world.course.assignments.get(code="HW1")
    login(page, live_server, "instructor", FACTORY_PASSWORD)

    page.goto(f"{live_server.url}/assignments/{hw1.id}/grades/")
    expect(page.get_by_role("heading", name="HW1 has no questions yet")).to_be_visible()
    page.get_by_role("button", name="Create one question “Total”").click()
    expect(page.get_by_role("spinbutton", name="Total score for ug1")).to_be_visible()
    assert list(hw1.questions.values_list("label", flat=True)) == ["Total"]

    page.get_by_role("link", name="Edit the outline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("HW1 outline")
    expect(possible(page, "CS 4644")).to_have_text("100.00")

    page.get_by_label("Label (e.g. Q2)").fill("Bonus")
    page.get_by_label("Points", exact=True).fill("10")
    page.get_by_label("CS 4644", exact=True).select_option("extra_credit")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator('tr[data-question="Bonus"]')).to_be_visible()
    expect(possible(page, "CS 4644")).to_have_text("100.00")
    expect(possible(page, "CS 7643-A")).to_have_text("110.00")
    bonus = hw1.questions.get(label="Bonus")
    assert (
        bonus.requirements.get(section=world.ug_section).requirement
        == QuestionRequirement.Requirement.EXTRA_CREDIT
    )

    page.get_by_role("button", name="Move Bonus up").click()
    expect(page.locator("tr[data-question]").first).to_have_attribute("data-question", "Bonus")

    page.get_by_label("Title of Total").fill("The whole homework")
    page.get_by_role("button", name="Save Total").click()
    total = hw1.questions.get(label="Total")
    expect(page.locator(f"#question-{total.id} [data-success]")).to_have_text("Saved. Reloading…")
    total.refresh_from_db()
    assert total.title == "The whole homework"
    expect(page.locator(f"#question-{total.id} [data-success]")).to_be_hidden()  # the page has reloaded
    # (A refused change shows its message in the row's alert; the API tests cover each refusal, and a 400
    # would count as a console error here.)

    page.get_by_text("Delete Bonus…").click()
    page.get_by_role("button", name="Delete Bonus", exact=True).click()
    confirm = page.get_by_role("dialog", name="Delete Bonus?")  # the confirmation says what goes
    expect(confirm).to_contain_text("worth 10.00 points, is removed from HW1's outline")
    confirm.get_by_role("button", name="Delete Bonus", exact=True).click()
    expect(page.locator('tr[data-question="Bonus"]')).to_have_count(0)
    assert list(hw1.questions.values_list("label", flat=True)) == ["Total"]
