"""GET /calendar/<token>.ics: the student's deadlines as RFC 5545, local times with a VTIMEZONE, at an
address the student can revoke."""

from datetime import datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from courses.models import User
from tests.courses.helpers import NY, at
from tests.factories import eastern


def feed_url(user: User) -> str:
    user.refresh_from_db()
    return reverse("calendar-feed", kwargs={"token": user.calendar_token})


def fetch(client, url) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(cal: Calendar) -> dict[str, datetime]:
    """SUMMARY → DTSTART of every VEVENT."""
    found = {}
    for event in cal.walk("VEVENT"):
        summary = str(event["SUMMARY"])
        assert summary not in found, f"duplicate event {summary}"
        found[summary] = event.decoded("DTSTART")
    return found


def test_one_event_per_due_time_and_per_grace_end_in_new_york_time(world, client):
    with at(eastern(2023, 1, 10, 9, 0)):
        cal = fetch(client, feed_url(world.ug1))
    assert events(cal) == {
        "PS0 due": eastern(2023, 1, 15),
        "HW1 due": eastern(2023, 2, 12),
        "HW1 grace period ends": eastern(2023, 2, 14),
    }
    for event in cal.walk("VEVENT"):
        dtstart = event["DTSTART"]
        assert dtstart.params["TZID"] == "America/New_York"
        assert event.decoded("DTSTART").tzinfo is not None
        assert event.decoded("DTSTART").astimezone(NY).strftime("%H:%M") == "23:59"
        assert str(event["UID"]).endswith("@course-portal")
    assert len({str(e["UID"]) for e in cal.walk("VEVENT")}) == 3


def test_the_feed_carries_a_vtimezone_for_new_york(world, client):
    raw = client.get(feed_url(world.ug1)).content.decode()
    cal = Calendar.from_ical(raw)
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["America/New_York"]
    assert "BEGIN:VTIMEZONE" in raw
    assert "DTSTART;TZID=America/New_York:20230212T235900" in raw.replace("\r\n ", "")


def test_an_edt_deadline_is_written_in_local_time(world, client):
    world.course.assignments.filter(code="HW1").update(due_at=eastern(2023, 3, 12))
    world.recompute()
    raw = client.get(feed_url(world.ug1)).content.decode().replace("\r\n ", "")
    assert "DTSTART;TZID=America/New_York:20230312T235900" in raw
    assert "DTSTART;TZID=America/New_York:20230314T235900" in raw


def test_an_extension_is_reflected(world, api, client, django_capture_on_commit_callbacks):
    hw1 = world.course.assignments.get(code="HW1")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(world.instructor).post(
            reverse("api-extensions"),
            {
                "student": "ug1",
                "assignment": hw1.id,
                "due_at": "2023-03-10T23:59:00-05:00",
                "dean_reference": "D-7",
            },
            format="json",
        )
    assert response.status_code == 201
    mine = events(fetch(client, feed_url(world.ug1)))
    theirs = events(fetch(client, feed_url(world.ug2)))
    assert mine["HW1 due (extension)"] == eastern(2023, 3, 10)
    assert mine["HW1 grace period ends"] == eastern(2023, 3, 12)  # Sun 11:59 pm EDT, after spring forward
    assert "HW1 due" not in mine
    assert theirs["HW1 due"] == eastern(2023, 2, 12)


def test_a_feed_shows_only_its_owners_courses(world, client):
    assert events(fetch(client, feed_url(world.other_student))) == {}


def test_resetting_the_token_revokes_the_old_address(world, api, client):
    old = feed_url(world.ug1)
    assert client.get(old).status_code == 200
    response = api.as_user(world.ug1).post(reverse("api-calendar-token"))
    assert response.status_code == 200
    new_url = response.json()["calendar_url"]
    new = feed_url(world.ug1)
    assert new_url.endswith(new)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    me = api.as_user(world.ug1).get(reverse("api-me")).json()
    assert me["calendar_url"].endswith(new)


@pytest.mark.parametrize("token", ["not-a-token", "x" * 32])
def test_an_unknown_token_is_not_found(world, client, token):
    assert client.get(reverse("calendar-feed", kwargs={"token": token})).status_code == 404


def test_an_inactive_users_feed_is_not_served(world, client):
    url = feed_url(world.ug1)
    User.objects.filter(pk=world.ug1.pk).update(is_active=False)
    assert client.get(url).status_code == 404
