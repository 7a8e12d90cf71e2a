"""A student who may not be prepared is told so where they look (issue 14, Student): ug5 of the demo scored
at or under 75% on PS0/HW0 and sees the notice on the home page and My grades, not only on Join a course;
My grades draws the total against each category's weight with the numbers beside it."""

import re

import pytest
from playwright.sync_api import expect

from grading.selectors import readiness_by_student
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_ug5_sees_the_readiness_notice_on_home_and_my_grades(page, live_server, demo):
    from courses.models import Course, User

    course = Course.objects.get(code="CS 4644 / CS 7643-A")
    ug5 = User.objects.get(username="ug5")
    mine = readiness_by_student(course, student_ids=[ug5.id], released_only=True)[ug5.id]
    assert mine.flagged  # the demo's premise: PS0/HW0 at or under 75%
    results = ", ".join(f"{code} {pct}%" for code, pct in mine.results)

    login(page, live_server, "ug5")
    notice = page.locator("[data-readiness]")
    expect(notice).to_contain_text("You may not be prepared for CS 4644 / CS 7643-A.")
    expect(notice).to_contain_text(results)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My grades").click()
    expect(notice).to_contain_text(results)

    # PS0/HW0 say they do not count; the picture shows each category against its weight.
    for code in ("PS0", "HW0"):
        expect(page.locator(f"#grade-{code} [data-not-counted]")).to_contain_text(
            "Does not count toward your grade"
        )
    rows = page.locator("ul.progress-rows > li")
    expect(rows.first).to_be_visible()
    expect(page.locator("ul.progress-rows > li[data-category=problem_set] .label")).to_contain_text("36%")
    expect(page.locator("ul.progress-rows > li[data-category=project] .label")).to_contain_text("28%")
    expect(page.locator("ul.progress-rows svg[role=img]").first).to_have_attribute(
        "aria-label", re.compile(r"% of the course earned out of \d+%")
    )


def test_ug1_is_not_told_they_may_not_be_prepared(page, live_server, demo):
    login(page, live_server, "ug1")
    expect(page.locator("[data-readiness]")).to_have_count(0)
    page.goto(f"{live_server.url}/grades/")
    expect(page.locator("h1")).to_have_text("My grades")
    expect(page.locator("[data-readiness]")).to_have_count(0)
