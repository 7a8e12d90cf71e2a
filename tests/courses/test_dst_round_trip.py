"""The API, the calendar feed and the deadlines page name the same instant for every deadline, across
every daylight-saving change 2020-2030, with due times in the missing and the repeated hour (issue 11,
item 5). Every time the API echoes is the stored instant with its true offset."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from courses.models import Assignment, Extension
from courses.services.deadlines import deadline_recompute
from courses.timefmt import format_local
from tests.courses.helpers import at

NY = ZoneInfo("America/New_York")


def transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[datetime]:
    """The UTC instants at which `zone`'s offset changes (found hour by hour, then exactly)."""
    found = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment < end:
        moment += timedelta(hours=1)
        offset = moment.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(moment)
            previous = offset
    return found


TRANSITIONS = transitions(NY, 2020, 2030)


def test_there_are_two_changes_a_year():
    assert len(TRANSITIONS) == 22


def feed_instants(client, user) -> dict[str, datetime]:
    user.refresh_from_db()
    response = client.get(reverse("calendar-feed", kwargs={"token": user.calendar_token}))
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]): e.decoded("DTSTART").astimezone(UTC) for e in cal.walk("VEVENT")}


def api_rows(api, user) -> dict[str, dict]:
    return {r["assignment"]["code"]: r for r in api.as_user(user).get(reverse("api-my-deadlines")).json()}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def true_offset(text: str) -> bool:
    """The offset written is the zone's offset at that instant."""
    moment = datetime.fromisoformat(text)
    return moment.utcoffset() == moment.astimezone(UTC).astimezone(NY).utcoffset()


@pytest.mark.parametrize("change", TRANSITIONS, ids=[t.strftime("%Y-%m-%d") for t in TRANSITIONS])
def test_api_feed_and_page_agree_around_each_change(world, api, client, change):
    """Due two days before the change, in its local hour: the grace period ends in the missing or the
    repeated hour. And due in that hour itself."""
    hw1 = Assignment.objects.get(course=world.course, code="HW1")
    local = change.astimezone(NY).replace(tzinfo=None)
    wall = local.replace(minute=30) - (
        timedelta(hours=1) if local.hour == 3 else timedelta()
    )  # 01:30 / 02:30
    due = max(
        (wall - timedelta(days=2)).replace(tzinfo=NY, fold=f).astimezone(UTC) for f in (0, 1)
    )  # two days before: an ordinary hour
    Assignment.objects.filter(pk=hw1.pk).update(due_at=due)
    deadline_recompute(assignment_id=hw1.id)

    with at(due - timedelta(days=3)):
        row = api_rows(api, world.ug1)["HW1"]
        feed = feed_instants(client, world.ug1)
        client.force_login(world.ug1)
        page = client.get(reverse("my-deadlines")).content.decode()

    assert instant(row["due_at"]) == due
    assert feed["HW1 due"] == due
    assert instant(row["grace_ends_at"]) == feed["HW1 grace period ends"]
    for field in ("due_at", "grace_ends_at", "closes_at"):
        assert true_offset(row[field]), (field, row[field])
    assert format_local(instant(row["grace_ends_at"]), NY) in page
    # The rule: the grace period ends at the same wall-clock time, the later instant when it is ambiguous
    # or missing, so nobody gets less than two days.
    assert instant(row["grace_ends_at"]) - due >= timedelta(days=2) - timedelta(hours=1)
    grace_local = instant(row["grace_ends_at"]).astimezone(NY)
    if local.hour == 1:  # fall back: 01:30 exists twice; the second one
        assert grace_local.strftime("%H:%M %Z") == "01:30 EST"


def test_the_repeated_hour_in_the_feed_is_the_second_one(world, api, client):
    """Due Fri 2023-11-03 01:30 EDT: the grace period ends Sun 2023-11-05 01:30 EST (-05:00)."""
    hw1 = Assignment.objects.get(course=world.course, code="HW1")
    Assignment.objects.filter(pk=hw1.pk).update(due_at=datetime(2023, 11, 3, 1, 30, tzinfo=NY))
    deadline_recompute(assignment_id=hw1.id)

    with at(datetime(2023, 11, 1, tzinfo=UTC)):
        row = api_rows(api, world.ug1)["HW1"]
        feed = feed_instants(client, world.ug1)

    assert row["grace_ends_at"] == "2023-11-05T01:30:00-05:00"
    assert feed["HW1 grace period ends"] == datetime(2023, 11, 5, 6, 30, tzinfo=UTC)


def test_a_naive_due_time_in_the_missing_hour_is_echoed_as_stored(world, api):
    hw1 = Assignment.objects.get(course=world.course, code="HW1")

    response = api.as_user(world.instructor).patch(
        reverse("api-assignment", args=[hw1.id]), {"due_at": "2023-03-12T02:30:00"}, format="json"
    )

    assert response.status_code == 200, response.content
    hw1.refresh_from_db()
    assert response.json()["due_at"] == "2023-03-12T03:30:00-04:00"
    assert hw1.due_at == datetime(2023, 3, 12, 7, 30, tzinfo=UTC)
    again = api.as_user(world.instructor).get(reverse("api-assignment", args=[hw1.id])).json()
    assert again["due_at"] == response.json()["due_at"]


def test_a_naive_due_time_in_the_repeated_hour_is_the_later_instant(world, api):
    hw1 = Assignment.objects.get(course=world.course, code="HW1")

    response = api.as_user(world.instructor).patch(
        reverse("api-assignment", args=[hw1.id]), {"due_at": "2023-11-05T01:30:00"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["due_at"] == "2023-11-05T01:30:00-05:00"
    hw1.refresh_from_db()
    assert hw1.due_at == datetime(2023, 11, 5, 6, 30, tzinfo=UTC)


def test_a_naive_extension_in_the_missing_hour_is_echoed_as_stored(world, api):
    hw1 = Assignment.objects.get(course=world.course, code="HW1")

    response = api.as_user(world.instructor).post(
        reverse("api-extensions"),
        {
            "student": "ug1",
            "assignment": hw1.id,
            "due_at": "2023-03-12T02:30:00",
            "dean_reference": "DOS-2023-0042",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["due_at"] == "2023-03-12T03:30:00-04:00"
    assert Extension.objects.get(student=world.ug1).due_at == datetime(2023, 3, 12, 7, 30, tzinfo=UTC)
