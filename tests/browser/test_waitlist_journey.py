"""The waitlist journey in headless Chromium: a student joins the full CS 7643-A waitlist and sees their
place; the instructor raises the capacity on the roster page; the student finds a seat.

The live server runs tasks eagerly, so the promotion runs on commit in the server's thread.
"""

import os
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from courses.models import Enrolment, Promotion, Section, User
from courses.selectors import waitlist_position
from courses.services.waitlist import waitlist_leave
from tests.browser.conftest import login

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # conftest sets it too; Playwright's loop is not ours

pytestmark = pytest.mark.browser


@pytest.fixture
def instructor_page(browser, viewport):
    """A second browser context (its own cookies) for the instructor; console errors fail the test."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console error: {msg.text}")
            if msg.type == "error" and "favicon" not in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    context.close()
    assert not problems, "The instructor's browser reported errors:\n" + "\n".join(problems)


def test_a_student_joins_the_waitlist_and_gets_a_seat_when_capacity_grows(
    page, instructor_page, live_server, demo
):
    section = Section.objects.select_related("course").get(code="CS 7643-A")
    course = section.course
    assert (section.capacity, section.room_capacity) == (20, 24)
    assert Enrolment.objects.filter(section=section, status="enrolled").count() == 20
    wait1 = User.objects.get(username="wait1")
    waitlist_leave(acting_user=wait1, section_id=section.id)  # the journey starts outside the waitlist
    mail.outbox.clear()

    # wait1 joins the CS 7643-A waitlist from "Join a course".
    login(page, live_server, "wait1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Join a course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join a course")
    card = page.locator("article[data-section='CS 7643-A']")
    expect(card).to_contain_text("20 of 20 seats taken, 2 waiting")
    card.get_by_role("button", name="Join the CS 7643-A waitlist").click()
    expect(card.locator("[data-my-status]")).to_have_text(
        re.compile(r"^You are number \d+ on the waitlist\.$")
    )

    mine = Enrolment.objects.get(user=wait1, section=section)
    assert mine.status == "waitlisted"
    position = waitlist_position(mine)
    assert position == 3  # wait2 and wait3 were there first
    expect(card.locator("[data-my-status]")).to_have_text(f"You are number {position} on the waitlist.")
    expect(card).to_contain_text("Ahead of you:")

    # The instructor raises the capacity to the room's size on the roster page.
    login(instructor_page, live_server, "instructor")
    instructor_page.goto(f"{live_server.url}/courses/{course.id}/roster/")
    expect(instructor_page.get_by_role("heading", level=1)).to_have_text("Roster")
    waitlist = instructor_page.locator("li[data-waiting]")
    expect(waitlist.filter(has_text="wait1")).to_have_count(1)
    capacity = instructor_page.get_by_label("Capacity of CS 7643-A")
    expect(capacity).to_have_value("20")
    capacity.fill("24")
    capacity.locator("xpath=ancestor::form").get_by_role("button", name="Save capacity").click()
    gr_card = instructor_page.locator("article[data-section='CS 7643-A']")
    expect(gr_card.locator("[data-enrolled]")).to_have_text("23")  # after the reload: all three promoted
    expect(gr_card).to_contain_text("23 enrolled of 24; 0 waiting")
    promotions = instructor_page.get_by_role("region", name="Promotions")
    expect(promotions).to_contain_text("wait1 into CS 7643-A")

    section.refresh_from_db()
    assert section.capacity == 24
    assert Enrolment.objects.get(pk=mine.pk).status == "enrolled"
    assert Promotion.objects.filter(enrolment=mine).count() == 1
    assert ["wait1@example.edu"] in [m.to for m in mail.outbox]

    # Back as wait1: "Join a course" now shows the seat.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Join a course").click()
    expect(card.locator("[data-my-status]")).to_have_text("You are enrolled in CS 7643-A.")
    expect(card.get_by_role("button", name="Leave the waitlist")).to_have_count(0)
