"""Student journeys through the real pages, in headless Chromium against a live server."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Assignment, EffectiveDeadline, Submission
from courses.timefmt import format_local
from tests.browser.conftest import FACTORY_PASSWORD, login

pytestmark = pytest.mark.browser

COUNTDOWN = re.compile(r"^grace ends in (\d+ d \d+ h|\d+ h \d+ min|\d+ min|less than a minute)$")


def test_student_signs_in_and_sees_course(page, live_server, demo):
    login(page, live_server, "ug1")

    my_courses = page.get_by_role("region", name="Your courses")
    expect(my_courses).to_contain_text("CS 4644")
    my_courses.get_by_role("link", name="Course information").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Deep Learning")
    expect(page.get_by_text("you are enrolled in CS 4644")).to_be_visible()
    right_place = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Are you in the right place?")
    )
    expect(right_place).to_be_visible()
    expect(right_place).to_contain_text("a different course")
    for code in ("CS 7643-O01", "CS 7643-OAN", "CS 7643-Q", "CS 7643-R"):
        expect(right_place.locator("strong", has_text=code)).to_be_visible()
    expect(right_place).to_contain_text("Not this course: CS 7643-O01, CS 7643-OAN, CS 7643-Q, CS 7643-R.")

    policies = page.get_by_role("region", name="Policies")
    expect(policies).to_contain_text("Every assignment has a 2-day grace period after its due time")
    expect(policies).to_contain_text(re.compile(r"No grace period for (PS0, HW0|HW0, PS0)\."))
    expect(page.get_by_role("region", name="Delivery")).to_contain_text(
        "In person: Clough UG Learning Commons 152"
    )


def test_deadlines_page_shows_grace_period(page, live_server, demo):
    login(page, live_server, "ug1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My deadlines").click()
    expect(page).to_have_url(f"{live_server.url}/deadlines/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My deadlines")

    row = page.locator("#a-PS1")
    expect(row).to_have_attribute("data-status", "grace")
    expect(row.locator("summary.line .status")).to_have_text("In grace period")
    expect(row.locator("summary.line .countdown")).to_have_text(COUNTDOWN)

    deadline = EffectiveDeadline.objects.select_related("assignment__course").get(
        student__username="ug1", assignment__code="PS1"
    )
    assert deadline.grace_ends_at is not None
    grace_time = row.locator("[data-grace-end] time")
    expect(grace_time).to_be_hidden()  # in the opened row
    row.locator("summary.line").click()
    expect(grace_time).to_have_attribute("datetime", deadline.grace_ends_at.isoformat())
    expect(grace_time).to_have_text(format_local(deadline.grace_ends_at, deadline.assignment.course.zone))
    # Due Wednesday 11:59 pm; the 2-day grace ends Friday at the same local time.
    expect(grace_time).to_contain_text("11:59 pm")

    # The same page on a phone: each row is two lines, and nothing scrolls sideways.
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    expect(row.locator("summary.line .status")).to_be_visible()
    expect(row.locator("summary.line .countdown")).to_have_text(COUNTDOWN)
    sizes = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert sizes["inner"] == 375
    assert sizes["scroll"] <= sizes["inner"] + 1, f"the page scrolls sideways on a phone: {sizes}"


def test_student_submits_in_grace_period(page, live_server, demo):
    login(page, live_server, "ug1")
    page.goto(f"{live_server.url}/deadlines/")
    row = page.locator("#a-PS1")
    expect(row.locator("summary.line .status")).to_have_text("In grace period")

    row.locator("summary.line").click()
    form = row.locator("form")
    expect(form).to_be_visible()
    payload = b"%PDF-1.4\n% PS1 answers of ug1\n"
    form.get_by_label("File").set_input_files(
        {"name": "ps1-answers.pdf", "mimeType": "application/pdf", "buffer": payload}
    )
    form.get_by_label("I worked alone").check()
    form.get_by_role("checkbox", name=re.compile(r"^This is my own work")).check()
    form.get_by_role("button", name="Submit PS1").click()

    # The script posts to the API, then reloads the page, which now shows the new status.
    expect(row.locator("summary.line .status")).to_have_text("Submitted in grace")
    expect(row).to_have_attribute("data-status", "submitted_in_grace")
    expect(row.locator("summary.line")).to_contain_text("you may resubmit until then")
    row.locator("summary.line").click()
    expect(row.locator(".receipt")).to_contain_text("ps1-answers.pdf")
    expect(row.get_by_role("button", name="Submit PS1 again")).to_be_visible()

    submission = Submission.objects.get(student__username="ug1", assignment__code="PS1")
    assert submission.timing == Submission.Timing.IN_GRACE
    assert submission.honor_statement_accepted
    assert list(submission.collaborators.all()) == []
    assert submission.file.name.endswith("-ps1-answers.pdf")
    with submission.file.open("rb") as stored:
        assert stored.read() == payload


def test_ps0_closed_shows_refusal_text(page, live_server, demo):
    # In the demo every enrolled student handed PS0 in; wait1 (waitlisted, so PS0/HW0 are on their list
    # too) did not, and PS0 has no grace period: the window is closed.
    assert not Submission.objects.filter(student__username="wait1", assignment__code="PS0").exists()
    login(page, live_server, "wait1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My deadlines").click()

    row = page.locator("#a-PS0")
    expect(row.locator("summary.line .status")).to_have_text("Closed")
    expect(row.locator("summary.line .countdown")).to_have_text("closed")
    row.locator("summary.line").click()
    expect(row.locator("[data-grace-end]")).to_have_text("No grace period")
    expect(row).to_contain_text(
        "Closed; PS0 does not count toward your grade. Only an extension (via the Dean of Students) gives more time."
    )
    expect(row.locator("form")).to_have_count(0)
    # HW1 is still ahead: the contrast shows the refusal is PS0's, not the page's.
    expect(page.locator("#a-HW1 summary.line .status")).to_have_text("Open")


def test_keyboard_navigation(page, live_server, demo):
    login(page, live_server, "ug1")
    page.goto(f"{live_server.url}/deadlines/")

    skip = page.get_by_role("link", name="Skip to content")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # hidden off-screen until focused
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/deadlines/#main$"))
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the content, past the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


def test_api_docs_page_loads(page, live_server, world):
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "blob:"))
            else None
        ),
    )
    login(page, live_server, world.ug1.username, FACTORY_PASSWORD)
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Course portal API")
    # The schema loaded and rendered: the contract's endpoints are listed.
    expect(page.get_by_text("/api/v1/me/deadlines/", exact=True)).to_be_visible()
    expect(page.locator(".swagger-ui .errors-wrapper")).to_have_count(0)
    assert outside == [], f"the docs page reached outside the portal: {outside}"
    assert Assignment.objects.filter(course=world.course).exists()  # the world fixture's data is live
