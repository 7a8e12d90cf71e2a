"""Turning deadline reminders off in Chromium: from a reminder's link, signed out (the page only asks until
the button is pressed; no WCAG A/AA violation axe finds), and with the account page's switch (it posts to
the API and the page says the new state after its reload)."""

import pytest
from playwright.sync_api import expect

from courses.models import User
from courses.services.mail_preferences import reminders_off_url, reminders_wanted
from tests.browser.conftest import login
from tests.browser.test_every_page import _axe, _describe

pytestmark = pytest.mark.browser


def test_the_link_in_a_reminder_asks_then_turns_reminders_off(page, live_server, demo):
    ug1 = User.objects.get(username="ug1")
    path = reminders_off_url(ug1).removeprefix("http://localhost:8000")
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="Deadline reminders")).to_be_visible()
    violations = _axe(page)
    assert not violations, _describe(violations)
    assert reminders_wanted(ug1)  # opening the link changed nothing

    page.get_by_role("button", name="Turn reminders off").click()
    expect(page.get_by_role("status")).to_contain_text("Reminder e-mails are off for ug1")
    assert not reminders_wanted(ug1)
    violations = _axe(page)
    assert not violations, _describe(violations)


def test_the_account_page_switch(page, live_server, demo):
    login(page, live_server, "ug2")
    page.goto(f"{live_server.url}/account/")
    section = page.get_by_role("region", name="Deadline reminders")
    expect(section).to_contain_text("Reminder e-mails are on")
    section.get_by_role("button", name="Turn reminders off").click()
    expect(section).to_contain_text("Reminder e-mails are off", timeout=10_000)  # after the reload
    assert not reminders_wanted(User.objects.get(username="ug2"))
    section.get_by_role("button", name="Turn reminders on").click()
    expect(section).to_contain_text("Reminder e-mails are on", timeout=10_000)
    assert reminders_wanted(User.objects.get(username="ug2"))
