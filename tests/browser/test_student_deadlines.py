"""The student's pages in a real browser (issue 14, Student): My deadlines fits on a screen, reads in one
zone with the other on hover, switches to the browser's zone and remembers it; a submission leaves a
receipt on the page and by e-mail; a contradictory declaration is refused on the page."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from courses.models import Assignment, Submission, User
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_twelve_assignments_fit_one_desktop_screen_and_two_phone_screens(page, live_server, demo):
    login(page, live_server, "ug1")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/deadlines/")
    expect(page.locator("li.deadline")).to_have_count(12)
    desktop = height(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/deadlines/")
    phone = height(page)
    print(f"My deadlines of ug1: {desktop} px at 1366x900, {phone} px at 390x844")
    assert desktop <= DESKTOP["height"] * 1.1, f"{desktop} px: more than about one desktop screen"
    assert phone <= 2 * PHONE["height"], f"{phone} px: more than two phone screens"
    # Every countdown stays on one line, at both sizes.
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        lines = page.evaluate(
            """() => [...document.querySelectorAll('summary.line .countdown')].map(el => {
                const line = parseFloat(getComputedStyle(el).lineHeight) || 20;
                return el.getBoundingClientRect().height / line; })"""
        )
        assert lines and max(lines) < 1.5, (size, lines)


@pytest.fixture
def pacific(browser, request):
    """A page whose browser is in America/Los_Angeles (the demo course is in America/New_York)."""
    context = browser.new_context(viewport=DESKTOP, timezone_id="America/Los_Angeles")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def test_the_student_switches_to_the_browsers_zone_and_it_is_remembered(pacific, live_server, demo):
    page = pacific
    login(page, live_server, "ug1")
    page.goto(f"{live_server.url}/deadlines/")
    when = page.locator("#a-HW1 summary.line .when time")
    expect(when).to_contain_text("EST")  # the course's zone by default, once
    expect(when).to_have_attribute("title", re.compile(r"Your zone \(America/Los_Angeles\): .*8:59 PM"))
    page.locator("#a-HW1 summary.line").click()
    expect(page.locator("#a-HW1 .more [data-browser-time]").first).to_contain_text(
        "Your zone (America/Los_Angeles)"
    )

    page.get_by_role("button", name="Show my zone (America/Los_Angeles)").click()
    expect(when).to_contain_text("PST")  # after the reload: the browser's zone, once
    expect(when).to_have_attribute("title", re.compile(r"Course time \(America/New_York\): .*EST"))
    expect(page.get_by_text("Times are in your zone, America/Los_Angeles")).to_be_visible()
    user = User.objects.get(username="ug1")
    assert (user.time_zone_display, user.browser_time_zone) == ("browser", "America/Los_Angeles")

    # Remembered: the home page's Due next reads the same zone.
    page.goto(f"{live_server.url}/")
    expect(page.locator("section[aria-labelledby=upcoming] .when time").first).to_contain_text("PST")

    page.goto(f"{live_server.url}/deadlines/")
    page.get_by_role("button", name="Show the course's zone").click()
    expect(when).to_contain_text("EST")
    assert User.objects.get(username="ug1").time_zone_display == "course"


def test_a_contradictory_declaration_is_refused_on_the_page(page, live_server, demo):
    login(page, live_server, "ug1")
    page.goto(f"{live_server.url}/deadlines/")
    ps1 = Assignment.objects.get(code="PS1")
    row = page.locator("#a-PS1")  # in its grace period for ug1
    row.locator("summary.line").click()
    form = row.locator("form")
    form.get_by_label("File").set_input_files(
        {"name": "ps1.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"}
    )
    form.get_by_label("Collaborators (usernames, comma-separated)").fill("ug2")
    form.get_by_label("I worked alone").check()
    form.get_by_role("checkbox", name=re.compile(r"^This is my own work")).check()
    page.expected_error_urls.add(f"{live_server.url}/api/v1/assignments/{ps1.id}/submissions/")  # the 400
    form.get_by_role("button", name="Submit PS1").click()

    error = form.locator("[data-errors]")
    expect(error).to_be_visible()
    expect(error).to_contain_text('You ticked "I worked alone" and listed ug2')
    expect(error).to_be_focused()
    expect(form.get_by_label("I worked alone")).to_have_attribute("aria-invalid", "true")
    assert not Submission.objects.filter(student__username="ug1", assignment__code="PS1").exists()


def test_a_submission_leaves_a_receipt_on_the_page_and_by_e_mail(page, live_server, demo):
    mail.outbox = []
    login(page, live_server, "ug1")
    page.goto(f"{live_server.url}/deadlines/")
    row = page.locator("#a-HW1")  # open for ug1
    for name, content in (("hw1-draft.pdf", b"%PDF-1.4 draft"), ("hw1-final.pdf", b"%PDF-1.4 final answers")):
        row.locator("summary.line").click()
        form = row.locator("form")
        form.get_by_label("File").set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": content}
        )
        form.get_by_label("Collaborators (usernames, comma-separated)").fill("ug2")
        form.get_by_role("checkbox", name=re.compile(r"^This is my own work")).check()
        with page.expect_navigation():  # the script posts, then reloads the page
            form.get_by_role("button", name=re.compile(r"^Submit HW1")).click()
        expect(row).to_have_attribute("data-status", "submitted")
    # The row moved to "Submitted or closed", still saying a new version is welcome until the window closes.
    expect(page.locator("section[data-group=done] #a-HW1")).to_have_count(1)
    expect(row.locator("summary.line")).to_contain_text(re.compile(r"due in .* you may resubmit until then"))
    row.locator("summary.line").click()
    receipt = row.locator(".receipt")
    attempts = Submission.objects.filter(student__username="ug1", assignment__code="HW1")
    final = attempts.order_by("-submitted_at", "-id")[0]
    assert final.original_name == "hw1-final.pdf" and attempts.count() == 2
    expect(receipt).to_contain_text("hw1-final.pdf")
    expect(receipt).to_contain_text(f"{len(b'%PDF-1.4 final answers')} bytes")
    expect(receipt).to_contain_text(final.sha256)
    expect(receipt).to_contain_text("ug2")
    expect(receipt).to_contain_text("On time")
    row.get_by_text("Earlier attempts (1)").click()
    expect(row.locator(".attempts")).to_contain_text("hw1-draft.pdf")
    # One e-mail per attempt, sent after the commit.
    receipts = [m for m in mail.outbox if "Receipt: HW1" in m.subject]
    assert len(receipts) == 2, [m.subject for m in mail.outbox]
    assert final.sha256 in receipts[-1].body and "Collaborators: ug2" in receipts[-1].body
