"""The instructor's roster import in headless Chromium: the import is a job; the page shows its progress,
then every bad line (with the CSV of row errors to download), and after a good file the counts and the
values the portal kept. Under the Content-Security-Policy: a console error fails the test."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from courses.models import Course, ImportJob, User
from tests.browser.conftest import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = pytest.mark.browser

HEADER = "username,name,email,section,status,grading_basis"


def test_instructor_imports_a_roster_and_sees_its_errors_then_its_counts(page, live_server, demo, tmp_path):
    course = Course.objects.get(sections__code="CS 4644")
    login(page, live_server, "instructor")
    page.goto(f"{live_server.url}/courses/{course.id}/roster/")
    form = page.locator("form", has=page.get_by_role("button", name="Import"))

    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{HEADER}\nnewbie1,Nova One,nova1@example.edu,CS 4644,waitlisted,credit\n"
        "newbie2,Nova Two,not-an-address,CS 4644,waitlisted,credit\n",
        encoding="utf-8",
    )
    form.locator("input[type=file]").set_input_files(str(bad))
    form.get_by_role("button", name="Import").click()
    errors = form.locator("[data-errors]")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("line 3")
    link = form.locator("a[data-job-error-csv], a[data-job-errors-csv]")
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    content = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert content[0] == "line,message" and content[1].startswith("3,")
    assert not User.objects.filter(username__startswith="newbie").exists()  # all or nothing

    good = tmp_path / "good.csv"
    ug1 = User.objects.get(username="ug1")
    good.write_text(
        f"{HEADER}\nnewbie1,Nova One,nova1@example.edu,CS 4644,waitlisted,credit\n"
        f"ug1,{ug1.get_full_name()},someone.else@example.edu,{ug1.enrolments.first().section.code},"
        f"{ug1.enrolments.first().status},credit\n",
        encoding="utf-8",
    )
    form.locator("input[type=file]").set_input_files(str(good))
    form.get_by_role("button", name="Import").click()
    done = form.locator("[data-success]")
    expect(done).to_contain_text("Imported: 2 rows, 1 accounts created, 1 existing.")
    expect(done.locator("li")).to_contain_text("ug1's email in the file differs")
    expect(errors).to_be_hidden()
    assert User.objects.filter(username="newbie1").exists()
    assert list(ImportJob.objects.values_list("status", flat=True).order_by("id")) == ["failed", "done"]
