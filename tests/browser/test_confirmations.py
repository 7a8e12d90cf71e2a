"""Confirm before losing something (issue 13, item 5), in headless Chromium and with the keyboard only:
Drop (roster), Leave the waitlist (join), Revoke an extension and Decline a team invitation each open a
dialog that says what will be lost. Escape or Cancel changes nothing and gives focus back to the button;
the dialog's own button, named after the action, does it. The extensions page's grant form finds students
as one types and labels the due time with the offset of the date entered. No console errors (the `page`
fixture checks)."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Assignment, Enrolment, Extension, TeamMembership, Term
from courses.services.extensions import extension_grant
from courses.services.teams import team_create, team_invite
from tests.browser.conftest import FACTORY_PASSWORD, login
from tests.browser.test_every_page import _axe, _describe
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def press_on(page, button, key: str = "Enter") -> None:
    """Reach a button the way a keyboard user lands on it, and press a key."""
    button.focus()
    expect(button).to_be_focused()
    page.keyboard.press(key)


def named(user, first: str, last: str) -> None:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def test_drop_asks_first_and_a_dropped_student_is_re_enrolled(page, live_server, world):
    named(world.ug2, "Umar", "Baker")
    seat = Enrolment.objects.get(user=world.ug2, section=world.ug_section)
    login(page, live_server, "instructor", FACTORY_PASSWORD)
    page.goto(f"{live_server.url}/courses/{world.course.id}/roster/")
    drop = page.get_by_role("button", name="Drop ug2", exact=True)

    # Escape: nothing happens, and focus is back on Drop.
    press_on(page, drop)
    dialog = page.get_by_role("dialog", name="Drop ug2?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(
        "Umar Baker (ug2) loses their seat in CS 4644; it goes to the next student on the CS 4644 waitlist."
    )
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    assert _axe(page) == [], _describe(_axe(page))  # the open dialog too: WCAG 2.1 A/AA
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(drop).to_be_focused()
    seat.refresh_from_db()
    assert seat.status == Enrolment.Status.ENROLLED

    # Cancel (focused first): the same.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(drop).to_be_focused()
    seat.refresh_from_db()
    assert seat.status == Enrolment.Status.ENROLLED

    # Tab to the dialog's "Drop ug2" and press it: dropped.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Drop ug2", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    dropped = page.get_by_role("region", name="Dropped students")
    expect(dropped.locator("li[data-dropped='ug2']")).to_be_visible()  # after the reload
    seat.refresh_from_db()
    assert seat.status == Enrolment.Status.DROPPED

    # The instructor gives the seat back (nothing is lost: no question asked).
    press_on(page, dropped.get_by_role("button", name="Re-enrol ug2 in CS 4644"))
    expect(page.locator("tr[data-student='ug2']")).to_be_visible()
    expect(page.get_by_role("region", name="Dropped students")).to_have_count(0)
    seat.refresh_from_db()
    assert seat.status == Enrolment.Status.ENROLLED


def test_leaving_the_waitlist_says_the_place_that_is_lost(page, live_server, world):
    Term.objects.filter(pk=world.course.term_id).update(
        starts_on=timezone.localdate() - timedelta(days=30), ends_on=timezone.localdate() + timedelta(days=90)
    )
    for username in ("first", "second"):
        EnrolmentFactory(
            user=UserFactory(username=username), section=world.gr_section, status=Enrolment.Status.WAITLISTED
        )
    mine = Enrolment.objects.get(user__username="second")
    Enrolment.objects.filter(user__username="first").update(joined_at=mine.joined_at - timedelta(hours=1))
    login(page, live_server, "second", FACTORY_PASSWORD)
    page.goto(f"{live_server.url}/join/")
    card = page.locator("article[data-section='CS 7643-A']")
    expect(card.locator("[data-my-status]")).to_have_text("You are number 2 on the waitlist.")
    leave = card.get_by_role("button", name="Leave the waitlist")

    press_on(page, leave)
    dialog = page.get_by_role("dialog", name="Leave the CS 7643-A waitlist?")
    expect(dialog).to_contain_text(
        "You are number 2 on the waitlist of CS 7643-A. Leaving gives up this place"
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(leave).to_be_focused()
    mine.refresh_from_db()
    assert mine.status == Enrolment.Status.WAITLISTED

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    confirm = dialog.get_by_role("button", name="Leave the CS 7643-A waitlist")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(card.get_by_role("button", name="Join the CS 7643-A waitlist")).to_be_visible()  # after the reload
    mine.refresh_from_db()
    assert mine.status == Enrolment.Status.DROPPED


def test_revoking_an_extension_asks_first_and_granting_reads_the_course_zone(page, live_server, world):
    named(world.ug1, "Ulla", "Quarrington")
    hw1 = world.course.assignments.get(code="HW1")
    extension_grant(
        acting_user=world.instructor,
        student_username="ug1",
        assignment_id=hw1.id,
        due_at=eastern(2023, 2, 19),
        dean_reference="DOS-0101",
    )
    login(page, live_server, "instructor", FACTORY_PASSWORD)
    page.goto(f"{live_server.url}/courses/{world.course.id}/extensions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Extensions")
    revoke = page.get_by_role("button", name="Revoke ug1's HW1 extension")

    press_on(page, revoke)
    dialog = page.get_by_role("dialog", name="Revoke ug1's HW1 extension?")
    expect(dialog).to_contain_text(
        "Ulla Quarrington (ug1)'s HW1 due time goes back to the class's: Sun Feb 12 2023, 11:59 pm EST (UTC-05:00)."
    )
    page.keyboard.press("Enter")  # Cancel has the focus
    expect(dialog).to_be_hidden()
    expect(revoke).to_be_focused()
    assert Extension.objects.filter(student=world.ug1, assignment=hw1).exists()

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("No extensions yet.")).to_be_visible()  # after the reload
    assert not Extension.objects.exists()

    # Grant again from the form: the picker offers matching students as one types.
    student = page.get_by_label("Student (username)")
    student.focus()
    page.keyboard.type("quarr")
    expect(page.locator("#grant-student-options option[value='ug1']")).to_have_count(1)
    expect(page.locator("[data-student-matches]")).to_have_text("1 student matches.")
    student.fill("ug1")
    page.get_by_label("Assignment").select_option(str(hw1.id))
    due = page.locator("#grant-due")
    due.fill("2023-03-11T23:59")
    expect(page.locator("label[for='grant-due']")).to_have_text("New due time (America/New_York, UTC-05:00)")
    due.fill("2023-03-13T23:59")  # after the change to daylight saving time
    expect(page.locator("label[for='grant-due']")).to_have_text("New due time (America/New_York, UTC-04:00)")
    expect(page.locator("[data-zone-reading]")).to_have_text(
        "Read as Mon, Mar 13, 2023, 11:59 PM (UTC-04:00)."
    )
    due.fill("2023-03-12T02:30")  # an hour the clocks skip: read as the later instant, like the API does
    expect(page.locator("[data-zone-reading]")).to_have_text(
        "Read as Sun, Mar 12, 2023, 3:30 AM (UTC-04:00): the time entered does not exist that day (the clocks "
        "skip that hour), so it is read as this later time."
    )
    due.fill("2023-03-13T23:59")
    page.get_by_label("Dean of Students reference").fill("DOS-0104")
    page.keyboard.press("Enter")
    expect(page.locator("tr[data-extension='HW1/ug1']")).to_contain_text(
        "Mon Mar 13 2023, 11:59 pm EDT (UTC-04:00)"
    )
    extension = Extension.objects.get()
    assert (extension.student, extension.due_at, extension.dean_reference) == (
        world.ug1,
        eastern(2023, 3, 13),
        "DOS-0104",
    )


def test_declining_a_team_invitation_asks_first(page, live_server, world):
    AssignmentFactory(
        course=world.course,
        code="PROJECT",
        category=Assignment.Category.PROJECT,
        due_at=eastern(2023, 4, 30),
        team_size_min=3,
        team_size_max=4,
    )
    team = team_create(acting_user=world.gr1, course_id=world.course.id, name="Gradient descenders")
    team_invite(acting_user=world.gr1, team_id=team.id, username="ug1")
    login(page, live_server, "ug1", FACTORY_PASSWORD)
    page.goto(f"{live_server.url}/courses/{world.course.id}/teams/")
    decline = page.get_by_role("button", name="Decline the invitation to Gradient descenders")

    press_on(page, decline)
    dialog = page.get_by_role("dialog", name="Decline Gradient descenders?")
    expect(dialog).to_contain_text(
        "You turn down the invitation to join Gradient descenders (gr1). To join it later, one of its members "
        "has to invite you again."
    )
    page.keyboard.press("Escape")
    expect(decline).to_be_focused()
    invitation = TeamMembership.objects.get(team=team, user=world.ug1)
    assert invitation.state == TeamMembership.State.INVITED

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Decline Gradient descenders")).to_be_focused()
    page.keyboard.press("Enter")
    expect(decline).to_have_count(0)  # after the reload
    invitation.refresh_from_db()
    assert invitation.state != TeamMembership.State.INVITED
