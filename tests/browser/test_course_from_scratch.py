"""Issue 13's "Done when" journey in headless Chromium: a course run from an empty portal without the admin.

A superuser adds a term and creates the course naming its instructor. The instructor (whose browser is in
Berlin: times are still read in the course's zone) adds two sections, a TA of CS 7643-A only and an
assignment whose outline has three questions, the third extra credit for CS 4644 and required for
CS 7643-A; students come in through the roster import form. A CS 4644 student submits a file on My
deadlines; the TA of CS 7643-A cannot open it (404), the instructor downloads it from "who submitted".
The instructor grants that student an extension (picked by part of the name, the time in the course's
zone), then revokes it after the confirmation: the student's due time is the class's again. The same
scores for one student of each section give 21 / 20 in CS 4644 and 21 / 25 in CS 7643-A, on the grade
grid and on each student's My grades once released.

Only the accounts are made in Python (people the portal must know before they can sign in); every other
row comes from the pages, and the database is read only to check what they did.
"""

import contextlib
import hashlib
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from courses.models import (
    Assignment,
    AuditEvent,
    Course,
    Enrolment,
    Extension,
    Section,
    StaffRole,
    Submission,
)
from courses.timefmt import format_local, utc_offset
from grading.models import GradeChange, QuestionRequirement
from tests.browser.conftest import FACTORY_PASSWORD, _is_favicon, login
from tests.browser.test_outline_journey import possible
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("America/New_York")
DESKTOP = {"width": 1280, "height": 900}
PDF = b"%PDF-1.4\n% Ulla's HW1\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


@contextlib.contextmanager
def signed_in(browser, live_server, username: str, **context_options):
    """A browser of the person's own, signed in; its console errors fail the test like the `page`
    fixture's (an address in `page.expected_error_urls` is an error page opened on purpose)."""
    context = browser.new_context(viewport=DESKTOP, **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.expected_error_urls = set()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{username}: console error: {msg.text} ({(msg.location or {}).get('url', '')})")
            if msg.type == "error"
            and not _is_favicon(msg)
            and (msg.location or {}).get("url") not in page.expected_error_urls
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{username}: page error: {error}"))
    try:
        login(page, live_server, username, FACTORY_PASSWORD)
        yield page
    finally:
        context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


def reloaded(page, locator) -> None:
    """After a form that reloads the page: `locator` (only true on the new page) shows, and that page has
    finished loading, so its script handles the next form."""
    expect(locator).to_be_visible()
    page.wait_for_load_state("load")


def unfold(page, summary: str) -> None:
    """Open the <details> whose summary reads `summary` (some open by themselves, e.g. while empty)."""
    line = page.locator("summary").filter(has_text=re.compile(rf"^{re.escape(summary)}$"))
    if not line.evaluate("line => line.parentElement.open"):
        line.click()


def wall(moment: datetime) -> str:
    """A datetime-local input's value."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_a_course_runs_from_an_empty_portal_without_the_admin(page, browser, live_server, transactional_db):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    UserFactory(username="prof", first_name="Pat", last_name="Professor")
    UserFactory(username="tara", first_name="Tara", last_name="Assistant")
    UserFactory(username="ulla", first_name="Ulla", last_name="Quarrington")
    UserFactory(username="gino", first_name="Gino", last_name="Gradstudent")

    now = datetime.now(ZONE)
    due = (now + timedelta(days=7)).replace(hour=23, minute=59, second=0, microsecond=0)
    extended = due + timedelta(days=5)

    # 1. The superuser: a term around today, then the course with its first instructor.
    login(page, live_server, "root", FACTORY_PASSWORD)
    page.get_by_role("button", name="Create a course").click()
    page.get_by_label("New term's name").fill("This term")
    page.get_by_label("First day").fill((now - timedelta(days=30)).date().isoformat())
    page.get_by_label("Last day").fill((now + timedelta(days=120)).date().isoformat())
    page.get_by_role("button", name="Add the term").click()
    expect(page.get_by_role("button", name="Create the course")).to_be_visible()
    page.get_by_label("Code (shown in menus)").fill("CS 4644 / CS 7643-A")
    page.get_by_label("Title").fill("Deep Learning")
    page.get_by_label("Time zone (deadlines are defined and shown in it)").select_option("America/New_York")
    page.get_by_label("Username (leave empty to be the instructor yourself)").fill("prof")
    page.get_by_role("button", name="Create the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CS 4644 / CS 7643-A setup")
    course = Course.objects.get()

    with contextlib.ExitStack() as people:
        # 2. The instructor, in Berlin: two sections, a TA of CS 7643-A, an assignment, its outline.
        prof = people.enter_context(signed_in(browser, live_server, "prof", timezone_id="Europe/Berlin"))
        prof.goto(f"{live_server.url}/courses/{course.id}/staff/")
        prof.get_by_role("link", name="Set up the course").click()
        for code, level in (("CS 4644", "undergraduate"), ("CS 7643-A", "graduate")):
            unfold(prof, "Add a section")
            prof.locator("#s-new-code").fill(code)
            prof.locator("#s-new-level").select_option(level)
            prof.locator("#s-new-roomcap").fill("40")
            prof.locator("#s-new-cap").fill("30")
            prof.get_by_role("button", name="Add the section").click()
            reloaded(prof, prof.locator(f'details[data-section="{code}"] summary'))
        ug, grad = Section.objects.get(code="CS 4644"), Section.objects.get(code="CS 7643-A")
        assert (ug.level, grad.level) == ("undergraduate", "graduate")

        prof.get_by_label("Username", exact=True).fill("tara")
        prof.get_by_label("CS 7643-A", exact=True).check()
        prof.get_by_role("button", name="Add to the staff").click()
        reloaded(prof, prof.locator('tr[data-staff="tara"]'))
        expect(prof.locator('tr[data-staff="tara"]')).to_contain_text("CS 7643-A")
        assert list(StaffRole.objects.filter(user__username="tara").values_list("role", "section")) == [
            ("ta", grad.id)
        ]

        unfold(prof, "Add an assignment")
        prof.locator("#a-new-code").fill("HW1")
        prof.locator("#a-new-title").fill("Backpropagation")
        prof.locator("#a-new-weight").fill("10")
        prof.locator("#a-new-due").fill(wall(due))  # a wall time in New York, typed in Berlin
        prof.get_by_role("button", name="Add the assignment").click()
        reloaded(prof, prof.locator('details[data-assignment="HW1"] summary'))
        expect(prof.locator('details[data-assignment="HW1"] summary')).to_contain_text(
            format_local(due, ZONE)
        )
        hw1 = Assignment.objects.get(code="HW1")
        assert hw1.due_at == due

        prof.locator('details[data-assignment="HW1"] summary').click()
        prof.get_by_role("link", name="Questions (outline)").click()
        expect(prof.get_by_role("heading", level=1)).to_have_text("HW1 outline")
        for label, points, ug_rule in (
            ("Q1", "10", None),
            ("Q2", "10", None),
            ("Bonus", "5", "extra_credit"),
        ):
            prof.get_by_label(re.compile(r"^Label \(e\.g\. Q\d+\)")).fill(label)
            prof.get_by_label("Points", exact=True).fill(points)
            if ug_rule:
                prof.get_by_label("CS 4644", exact=True).select_option(ug_rule)
            prof.get_by_role("button", name="Add the question").click()
            reloaded(prof, prof.locator(f'tr[data-question="{label}"]'))
        expect(prof.get_by_label("How Bonus counts for CS 4644")).to_have_value("extra_credit")
        expect(prof.get_by_label("How Bonus counts for CS 7643-A")).to_have_value("required")
        expect(possible(prof, "CS 4644")).to_have_text("20.00")  # the bonus question is on top
        expect(possible(prof, "CS 7643-A")).to_have_text("25.00")
        bonus = hw1.questions.get(label="Bonus")
        assert dict(bonus.requirements.values_list("section__code", "requirement")) == {
            "CS 4644": QuestionRequirement.Requirement.EXTRA_CREDIT,
            "CS 7643-A": QuestionRequirement.Requirement.REQUIRED,
        }
        assert list(hw1.questions.order_by("position").values_list("label", flat=True)) == [
            "Q1",
            "Q2",
            "Bonus",
        ]

        # Students come in through the roster import (two accounts exist; one is new).
        prof.goto(f"{live_server.url}/courses/{course.id}/roster/")
        form = prof.locator("form", has=prof.get_by_role("button", name="Import"))
        roster = (
            "username,name,email,section,status,grading_basis\n"
            "ulla,Ulla Quarrington,ulla@example.edu,CS 4644,enrolled,credit\n"
            "gino,Gino Gradstudent,gino@example.edu,CS 7643-A,enrolled,credit\n"
            "nova,Nova Newcomer,nova@example.edu,CS 4644,enrolled,credit\n"
        )
        form.locator("input[type=file]").set_input_files(
            {"name": "roster.csv", "mimeType": "text/csv", "buffer": roster.encode()}
        )
        form.get_by_role("button", name="Import").click()
        expect(form.locator("[data-success]")).to_contain_text(
            "Imported: 3 rows, 1 accounts created, 2 existing."
        )
        assert sorted(
            Enrolment.objects.filter(status="enrolled").values_list("user__username", "section__code")
        ) == [("gino", "CS 7643-A"), ("nova", "CS 4644"), ("ulla", "CS 4644")]

        # 3. The CS 4644 student submits a file on My deadlines.
        ulla = people.enter_context(signed_in(browser, live_server, "ulla"))
        ulla.get_by_role("navigation", name="Main").get_by_role("link", name="My deadlines").click()
        row = ulla.locator("#a-HW1")
        expect(row).to_contain_text(format_local(due, ZONE))
        row.locator("summary").first.click()
        row.get_by_label("File").set_input_files(
            {"name": "hw1-ulla.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        row.get_by_label("I worked alone").check()
        row.get_by_label("This is my own work.").check()
        row.get_by_role("button", name="Submit HW1").click()
        expect(row).to_contain_text("Receipt: hw1-ulla.pdf")  # on the reloaded page (the row may be folded)
        ulla.wait_for_load_state("load")
        expect(row.locator("code.sha256").first).to_have_text(hashlib.sha256(PDF).hexdigest())
        submission = Submission.objects.get()
        assert (submission.student.username, submission.original_name, submission.size) == (
            "ulla",
            "hw1-ulla.pdf",
            len(PDF),
        )

        # 4. The instructor downloads it from "who submitted"; the TA of CS 7643-A cannot reach it.
        prof.goto(f"{live_server.url}/courses/{course.id}/staff/")
        prof.get_by_role("link", name="Who submitted").click()
        expect(prof.get_by_role("heading", level=1)).to_have_text("HW1: who submitted")
        link = prof.locator('tr[data-student="ulla"]').get_by_role("link", name="hw1-ulla.pdf")
        with prof.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".pdf")
        assert Path(download.value.path()).read_bytes() == PDF
        file_url = live_server.url + link.get_attribute("href")

        tara = people.enter_context(signed_in(browser, live_server, "tara"))
        tara.goto(f"{live_server.url}/assignments/{hw1.id}/submissions/")
        expect(tara.get_by_role("heading", name="Submitted files (0)")).to_be_visible()
        tara.expected_error_urls.add(file_url)
        assert tara.goto(file_url).status == 404
        assert tara.request.get(file_url).status == 404
        tara.goto(f"{live_server.url}/assignments/{hw1.id}/grades/")  # the TA's grid: CS 7643-A only
        expect(tara.locator("tr[data-student]")).to_have_count(1)
        expect(tara.locator('tr[data-student="gino"]')).to_be_visible()

        # 5. An extension: the student picked by part of the name, the time in New York; then revoked.
        prof.goto(f"{live_server.url}/courses/{course.id}/staff/")
        prof.get_by_role("main").get_by_role("link", name="Extensions").click()
        expect(prof.get_by_role("heading", level=1)).to_have_text("Extensions")
        prof.get_by_label("Find a student by name, username or section").fill("quarr")
        prof.get_by_role("button", name="Find").click()
        prof.get_by_role("link", name=re.compile(r"\(ulla, CS 4644\)")).click()
        expect(prof.get_by_label("Student (username)")).to_have_value("ulla")
        prof.get_by_label("Assignment").select_option(str(hw1.id))
        prof.get_by_label(re.compile(r"^New due time")).fill(wall(extended))
        expect(prof.locator("label[for='grant-due']")).to_have_text(
            f"New due time (America/New_York, UTC{utc_offset(extended)})"
        )
        prof.get_by_label("Dean of Students reference").fill("DOS-1313")
        prof.get_by_role("button", name="Grant the extension").click()
        granted = prof.locator("tr[data-extension='HW1/ulla']")
        reloaded(prof, granted)
        expect(granted).to_contain_text(format_local(extended, ZONE))
        expect(granted).to_contain_text("DOS-1313")
        assert Extension.objects.get().due_at == extended

        deadlines_api = f"{live_server.url}/api/v1/me/deadlines/"

        def ullas_hw1() -> dict:
            (hw1_row,) = [
                d for d in ulla.request.get(deadlines_api).json() if d["assignment"]["code"] == "HW1"
            ]
            return hw1_row

        assert datetime.fromisoformat(ullas_hw1()["extension_due_at"]) == extended
        ulla.reload()
        expect(row).to_contain_text(re.compile("extended", re.IGNORECASE))
        expect(row).to_contain_text(format_local(extended, ZONE))

        prof.get_by_role("button", name="Revoke ulla's HW1 extension").click()
        confirm = prof.get_by_role("dialog", name="Revoke ulla's HW1 extension?")
        expect(confirm).to_contain_text(f"due time goes back to the class's: {format_local(due, ZONE)}")
        confirm.get_by_role("button", name="Revoke ulla's HW1 extension").click()
        reloaded(prof, prof.get_by_text("No extensions yet."))
        assert not Extension.objects.exists()

        back = ullas_hw1()
        assert back["extension_due_at"] is None
        assert datetime.fromisoformat(back["due_at"]) == due
        ulla.reload()
        expect(row).to_contain_text(format_local(due, ZONE))
        expect(row).not_to_contain_text(re.compile("extended", re.IGNORECASE))

        # 6. The same scores for a student of each section; the totals differ as the outline says.
        prof.goto(f"{live_server.url}/assignments/{hw1.id}/grades/")
        expect(prof.get_by_role("heading", level=1)).to_have_text("HW1 grades")
        expect(prof.get_by_role("main").locator("hgroup p")).to_contain_text(
            "out of 20.00 (CS 4644), 25.00 (CS 7643-A)"
        )
        for student in ("ulla", "gino"):
            for label, score in (("Q1", "8"), ("Q2", "9"), ("Bonus", "4")):
                prof.get_by_role("spinbutton", name=f"{label} score for {student}").fill(score)
            grid_row = prof.locator(f'tr[data-student="{student}"]')
            grid_row.get_by_role("button", name="Save").click()
            expect(grid_row.get_by_role("status")).to_have_text("Saved")
        prof.reload()
        expect(prof.locator('tr[data-student="ulla"] td[data-total]')).to_have_text("21.00 / 20.00")
        expect(prof.locator('tr[data-student="gino"] td[data-total]')).to_have_text("21.00 / 25.00")
        expect(prof.locator('tr[data-student="nova"] td[data-total]')).to_have_text("—")

        unfold(prof, "Release grades")
        prof.get_by_role("button", name="Release HW1 grades").click()
        release = prof.get_by_role("dialog", name="Release HW1 grades?")  # the window is still open
        release.get_by_role("button", name="Release HW1 grades").click()
        reloaded(prof, prof.locator('tr[data-student="ulla"] td[data-total]').get_by_text("released"))

        ulla.get_by_role("navigation", name="Main").get_by_role("link", name="My grades").click()
        expect(ulla.locator("#grade-HW1 [data-total]")).to_have_text("21.00 / 20.00")
        expect(ulla.locator('#grade-HW1 [data-question="Bonus"]')).to_have_text("4.00")
        gino = people.enter_context(signed_in(browser, live_server, "gino"))
        gino.get_by_role("navigation", name="Main").get_by_role("link", name="My grades").click()
        expect(gino.locator("#grade-HW1 [data-total]")).to_have_text("21.00 / 25.00")

    # Every step went through the services: each left its audit row, by the person who took it.
    done = set(AuditEvent.objects.values_list("actor__username", "action"))
    assert done >= {
        ("root", "term.create"),
        ("root", "course.create"),
        ("prof", "section.create"),
        ("prof", "staff.add"),
        ("prof", "assignment.create"),
        ("prof", "question.create"),
        ("prof", "roster.import"),
        ("ulla", "submission.create"),
        ("prof", "extension.grant"),
        ("prof", "extension.revoke"),
        ("prof", "grades.release"),
    }, sorted(done)
    # Scores keep their own history instead: who entered each one.
    assert sorted(GradeChange.objects.values_list("grade__student__username", "changed_by__username")) == (
        [("gino", "prof")] * 3 + [("ulla", "prof")] * 3
    )
