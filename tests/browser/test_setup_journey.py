"""Course setup in headless Chromium (issue 13, item 1), without Django's admin: a superuser adds a term and
creates a course naming its instructor; the instructor adds a section, a TA of that section (a new
account), changes the late policy and clears a text, and adds an assignment with a due time in the
course's zone. Every form posts to the REST API through static/js/portal.js."""

import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from courses.models import Assignment, Course, StaffRole, User
from tests.browser.conftest import FACTORY_PASSWORD, login
from tests.browser.test_every_page import WIDEST, _axe, _describe
from tests.factories import UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def test_a_course_is_set_up_from_an_empty_portal(page, browser, live_server, transactional_db):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    UserFactory(username="prof", first_name="Pat", last_name="Professor")

    # The superuser: a term, then the course with its first instructor.
    login(page, live_server, "root", FACTORY_PASSWORD)
    page.get_by_role("button", name="Create a course").click()
    expect(page.get_by_text("There is no term yet")).to_be_visible()
    assert _axe(page) == [], _describe(_axe(page))  # WCAG 2.1 A/AA
    page.get_by_label("New term's name").fill("Spring 2023")
    page.get_by_label("First day").fill("2023-01-09")
    page.get_by_label("Last day").fill("2023-05-05")
    page.get_by_role("button", name="Add the term").click()
    expect(page.get_by_role("button", name="Create the course")).to_be_visible()
    page.get_by_label("Code (shown in menus)").fill("CS 4644 / CS 7643-A")
    page.get_by_label("Title").fill("Deep Learning")
    page.get_by_label("Time zone (deadlines are defined and shown in it)").select_option("America/New_York")
    page.get_by_label("Username (leave empty to be the instructor yourself)").fill("prof")
    page.get_by_role("button", name="Create the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CS 4644 / CS 7643-A setup")
    course = Course.objects.get()
    assert re.search(rf"/courses/{course.id}/setup/$", page.url)
    assert list(course.staff_roles.values_list("user__username", "role")) == [("prof", "instructor")]

    # The instructor, in a browser of their own.
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    prof = context.new_page()
    errors: list[str] = []
    prof.on("pageerror", lambda error: errors.append(str(error)))
    prof.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        login(prof, live_server, "prof", FACTORY_PASSWORD)
        prof.goto(f"{live_server.url}/courses/{course.id}/staff/")
        prof.get_by_role("link", name="Set up the course").click()

        # A section (the "Add a section" form is open while there is none).
        prof.locator("#s-new-code").fill("CS 7643-A")
        prof.locator("#s-new-level").select_option("graduate")
        prof.locator("#s-new-roomcap").fill("24")
        prof.locator("#s-new-cap").fill("20")
        prof.locator("#s-new-stream").fill("https://example.edu/stream")
        prof.get_by_role("button", name="Add the section").click()
        expect(prof.locator('details[data-section="CS 7643-A"]')).to_be_attached()
        section = course.sections.get()
        assert (section.capacity, section.room_capacity, section.stream_url) == (
            20,
            24,
            "https://example.edu/stream",
        )

        # A TA of that section, without an account yet.
        prof.get_by_label("Username", exact=True).fill("newta")
        prof.get_by_label("CS 7643-A", exact=True).check()
        prof.get_by_label("First name (new account only)").fill("Tess")
        prof.get_by_label("Last name (new account only)").fill("Assistant")
        prof.get_by_label("E-mail (new account only)").fill("tess@example.edu")
        prof.get_by_role("button", name="Add to the staff").click()
        expect(prof.locator('tr[data-staff="newta"]')).to_contain_text("CS 7643-A")
        role = StaffRole.objects.get(user__username="newta")
        assert (role.role, role.section_id) == ("ta", section.id)
        assert not User.objects.get(username="newta").has_usable_password()

        # The late policy, and a text cleared (an empty field sends "", not nothing).
        Course.objects.filter(pk=course.pk).update(office_hours="Tue 3 pm")
        prof.reload()
        prof.get_by_label("Grace days (grace policy)").fill("3")
        prof.get_by_text("Course information texts").click()
        prof.get_by_label("Office hours").fill("")
        prof.get_by_role("button", name="Save the settings").click()
        expect(prof.get_by_text("Saved. Reloading…")).to_be_visible()
        course.refresh_from_db()
        assert (course.grace_days, course.office_hours) == (3, "")

        # An assignment due at a wall time in the course's zone.
        prof.get_by_text("Add an assignment").click()
        prof.locator("#a-new-code").fill("HW1")
        prof.locator("#a-new-title").fill("Homework 1")
        prof.locator("#a-new-weight").fill("9")
        prof.locator("#a-new-due").fill("2023-02-12T23:59:00")
        prof.get_by_role("button", name="Add the assignment").click()
        expect(prof.locator('details[data-assignment="HW1"]')).to_be_attached()
        hw1 = Assignment.objects.get(code="HW1")
        assert hw1.due_at == datetime(2023, 2, 12, 23, 59, tzinfo=ZoneInfo("America/New_York"))
        assert hw1.weight == 9
        expect(prof.locator("[data-weights-check]")).to_contain_text("add up to 9%, not 100%")

        # HW0: choosing the readiness category unticks the grace period and collaboration (the course's
        # rules for PS0/HW0), which the instructor may still tick again.
        prof.get_by_text("Add an assignment").click()
        prof.locator("#a-new-code").fill("HW0")
        prof.locator("#a-new-title").fill("Homework 0")
        grace = (
            prof.locator("#a-new-category")
            .locator("xpath=ancestor::form")
            .locator("input[type=checkbox][name=grace_allowed]")
        )
        expect(grace).to_be_checked()
        prof.locator("#a-new-category").select_option("preparation")
        expect(grace).not_to_be_checked()
        prof.locator("#a-new-due").fill("2023-01-15T23:59:00")
        prof.get_by_role("button", name="Add the assignment").click()
        expect(prof.locator('details[data-assignment="HW0"]')).to_be_attached()
        hw0 = Assignment.objects.get(code="HW0")
        assert (hw0.grace_allowed, hw0.collaboration_allowed) == (False, False)

        # Readable on a phone: no WCAG 2.1 A/AA violation, nothing sticks out sideways (with every part open).
        prof.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert _axe(prof) == [], _describe(_axe(prof))
        overflow = prof.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, prof.evaluate(WIDEST)
    finally:
        context.close()
    assert not errors, errors
