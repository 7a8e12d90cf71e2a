"""The instructor's export journey in headless Chromium: sign in, open the course's exports page,
export for Canvas, watch the progress bar reach 100, download the CSV."""

import csv
import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from courses.models import Course, Enrolment
from grading.models import GradeExport
from tests.browser.conftest import login

# Playwright's sync API runs an event loop in this thread; the ORM calls below are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(transactional_db) -> Course:
    """The demo course exactly as `seed_demo --relative` builds it (today is in week 5)."""
    call_command("seed_demo", "--relative", stdout=io.StringIO())
    return Course.objects.get(sections__code="CS 4644")


def test_instructor_exports_grades_for_canvas(page, live_server, seeded):
    course = seeded
    login(page, live_server, "instructor")
    page.goto(f"{live_server.url}/courses/{course.id}/exports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Export grades")
    progress = page.locator("progress#export-progress")
    expect(progress).to_be_hidden()

    page.get_by_role("button", name="Export for Canvas").click()
    expect(progress).to_be_visible()
    expect(progress).to_have_js_property("value", 100)
    enrolled = Enrolment.objects.filter(section__course=course, status=Enrolment.Status.ENROLLED).count()
    expect(page.locator("[data-export-text]")).to_have_text(f"Done: {enrolled} students.")
    link = page.get_by_role("button", name="Download the CSV")
    expect(link).to_be_visible()
    expect(page.locator("[data-export-error]")).to_be_hidden()

    # The finished export is in "Recent exports" at once, not "No exports yet" until a reload.
    history = page.get_by_role("region", name="Recent exports")
    expect(history).not_to_contain_text("No exports yet")
    first = history.get_by_role("row").nth(1)
    expect(first).to_contain_text("Canvas gradebook import")
    expect(first).to_contain_text("instructor")
    expect(first).to_contain_text("Done")
    expect(first.get_by_role("link", name="Download")).to_be_visible()

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("grades-canvas-")
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[0][-1] == "Final Score"
    assert rows[1][0] == "    Points Possible"
    assert len(rows) == 2 + enrolled
    assert {row[4] for row in rows[2:]} == {"CS 4644", "CS 7643-A"}

    export = GradeExport.objects.get(course=course)
    assert (export.status, export.format, export.requested_by.username) == ("done", "canvas", "instructor")

    # The export appears in the page's history with its own download link.
    page.reload()
    history = page.get_by_role("region", name="Recent exports")
    expect(history.get_by_role("link", name="Download")).to_have_count(1)
