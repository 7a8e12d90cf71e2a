"""Turning reminders off, end to end: the link in a reminder received by the real SMTP server opens a page
that only asks (mail scanners open links), its button turns reminders off without signing in, and no
reminder follows; a mail program's one-click unsubscribe (RFC 8058) does the same; the account page has the
same switch through the API; a damaged link is 404."""

import re
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from courses import tasks
from courses.models import AuditEvent
from courses.services.mail_preferences import reminders_off_url, reminders_wanted
from tests.factories import AssignmentFactory, eastern
from tests.helpers import at, error_of

DUE = eastern(2023, 3, 12).astimezone(UTC)


@pytest.fixture
def hw2(world):
    assignment = AssignmentFactory(course=world.course, code="HW2", title="Homework 2", due_at=DUE)
    world.recompute()
    return assignment


def remind(capture, lead_hours: int) -> None:
    with capture(execute=True), at(DUE - timedelta(hours=lead_hours)):
        tasks.send_deadline_reminders()


def recipients(inbox) -> list[str]:
    return sorted(m["To"] for m in inbox.messages)


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost:8000")


def test_the_link_in_a_reminder_turns_them_off_and_no_reminder_follows(
    world, hw2, smtp_server, django_capture_on_commit_callbacks
):
    remind(django_capture_on_commit_callbacks, 48)
    [received] = smtp_server.to("ug1@example.edu")
    url = re.search(r"http://localhost:8000/reminders/off/\S+/", received.get_content()).group(0)
    assert received["List-Unsubscribe"].strip() == f"<{url}>"

    browser = Client(enforce_csrf_checks=True)  # not signed in, no CSRF cookie: the token is the credential
    page = browser.get(path_of(url))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Turn reminders off" in html and "ug1" in html
    assert reminders_wanted(world.ug1)  # opening the link (a scanner, a preview) changes nothing

    done = browser.post(path_of(url))
    assert done.status_code == 200
    assert "Reminder e-mails are off for ug1" in done.content.decode()
    assert not reminders_wanted(world.ug1)
    event = AuditEvent.objects.get(action="account.reminders")
    assert (event.actor, event.data) == (world.ug1, {"reminders": False, "via": "link"})
    assert "already off" in browser.get(path_of(url)).content.decode()

    smtp_server.messages.clear()
    remind(django_capture_on_commit_callbacks, 24)
    assert recipients(smtp_server) == ["gr1@example.edu", "ug2@example.edu"]


def test_one_click_unsubscribe_from_the_mail_program(
    world, hw2, smtp_server, django_capture_on_commit_callbacks
):
    remind(django_capture_on_commit_callbacks, 48)
    [received] = smtp_server.to("ug2@example.edu")
    url = received["List-Unsubscribe"].strip().strip("<>")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    response = Client(enforce_csrf_checks=True).post(path_of(url), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert not reminders_wanted(world.ug2)
    assert reminders_wanted(world.ug1)  # one person's link turns off that person's reminders only


def test_a_damaged_or_made_up_link_is_not_found(world):
    url = path_of(reminders_off_url(world.ug1))
    for bad in (url.replace("/off/", "/off/x"), url[:-3] + "/", "/reminders/off/1:forged/"):
        assert Client().get(bad).status_code == 404
        assert Client().post(bad).status_code == 404
    assert reminders_wanted(world.ug1)


def test_the_account_page_switch(world, hw2, api, client, smtp_server, django_capture_on_commit_callbacks):
    client.force_login(world.gr1)
    page = client.get(reverse("account")).content.decode()
    assert "Reminder e-mails are <strong>on</strong>" in page
    assert reverse("api-mail-preferences") in page and "Turn reminders off" in page

    url = reverse("api-mail-preferences")
    assert api.as_user(world.gr1).get(url).json() == {"reminders": True}
    response = api.as_user(world.gr1).patch(url, {"reminders": False}, format="json")
    assert (response.status_code, response.json()) == (200, {"reminders": False})
    page = client.get(reverse("account")).content.decode()
    assert "Reminder e-mails are <strong>off</strong>" in page and "Turn reminders on" in page

    remind(django_capture_on_commit_callbacks, 48)
    assert recipients(smtp_server) == ["ug1@example.edu", "ug2@example.edu"]

    assert api.as_user(world.gr1).patch(url, {"reminders": True}, format="json").json() == {"reminders": True}
    remind(django_capture_on_commit_callbacks, 24)
    assert "gr1@example.edu" in recipients(smtp_server)
    bad = api.as_user(world.gr1).patch(url, {"reminders": "perhaps"}, format="json")
    assert "reminders" in error_of(bad, 400)["fields"]
    changes = AuditEvent.objects.filter(action="account.reminders", actor=world.gr1)
    assert [e.data for e in changes.order_by("id")] == [
        {"reminders": False, "via": "account"},
        {"reminders": True, "via": "account"},
    ]
