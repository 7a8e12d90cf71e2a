"""My deadlines as a "due next" view (issue 14, Student): open and in-grace work first, then submitted or
closed work, each by the student's effective due time; one time per row in the zone the student reads in;
one labelled countdown that counts to the due time, then to the end of the grace period, and keeps saying
that a resubmission is allowed until the window closes."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from courses.models import AuditEvent
from tests.courses.helpers import MINUTE, at, deadline_row_codes, deadline_row_html, submit
from tests.factories import AssignmentFactory, eastern
from tests.helpers import error_of

HW1_DUE = eastern(2023, 2, 12)  # Sun Feb 12 2023 11:59 pm EST; the grace period ends Tue Feb 14 11:59 pm
HW2_DUE = eastern(2023, 2, 26)


@pytest.fixture
def hw2(world):
    hw2 = AssignmentFactory(course=world.course, code="HW2", title="Homework 2", due_at=HW2_DUE)
    world.recompute()
    return hw2


def page(client, user, when) -> str:
    client.force_login(user)
    with at(when):
        response = client.get(reverse("my-deadlines"))
    assert response.status_code == 200
    return response.content.decode()


def group(html: str, name: str) -> list[str]:
    match = re.search(rf'<section aria-labelledby="{name}" data-group=.*?</section>', html, re.S)
    return deadline_row_codes(match.group(0)) if match else []


def summary(row: str) -> str:
    return re.search(r'<summary class="line">(.*?)</summary>', row, re.S).group(1)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_open_and_in_grace_work_comes_first_then_what_is_done(world, hw2, client):
    html = page(client, world.ug1, HW1_DUE + timedelta(hours=5))
    assert group(html, "due-next") == ["HW1", "HW2"]  # HW1 in grace (due first), then HW2 open
    assert group(html, "done") == ["PS0"]  # closed


def test_a_submission_moves_the_row_to_done(world, hw2, api, client):
    with at(HW1_DUE - MINUTE):
        assert submit(api, world.ug1, world.course.assignments.get(code="HW1")).status_code == 201
    html = page(client, world.ug1, HW1_DUE - MINUTE)
    assert group(html, "due-next") == ["HW2"]
    assert group(html, "done") == ["PS0", "HW1"]


def test_each_row_shows_one_time_in_the_course_zone_with_the_full_form_on_hover(world, client):
    row = deadline_row_html(page(client, world.ug1, HW1_DUE - timedelta(days=2)), "HW1")
    line = summary(row)
    assert line.count("<time") == 1
    assert ">Sun Feb 12, 11:59 pm EST</time>" in line
    assert 'title="Sun Feb 12 2023, 11:59 pm EST (UTC-05:00)"' in line
    assert "Your time" not in row  # the old second line under every time
    # Opened: the full form, the grace end, and a place for the browser's zone (filled by the script).
    assert "Tue Feb 14 2023, 11:59 pm EST (UTC-05:00)" in row
    assert 'data-browser-time="2023-02-13T04:59:00+00:00"' in row


@pytest.mark.parametrize(
    ("when", "label"),
    [
        (HW1_DUE - timedelta(days=2, hours=4), "due in 2 d 4 h"),
        (HW1_DUE - timedelta(minutes=12), "due in 12 min"),
        (HW1_DUE + timedelta(hours=5), "grace ends in 1 d 19 h"),
        (HW1_DUE + timedelta(days=2) - timedelta(hours=7), "grace ends in 7 h 0 min"),
        (HW1_DUE + timedelta(days=2, minutes=1), "closed"),
    ],
)
def test_one_labelled_countdown(world, client, when, label):
    line = summary(deadline_row_html(page(client, world.ug1, when), "HW1"))
    assert re.findall(r'<span class="countdown"[^>]*>([^<]*)</span>', line) == [label]


def test_a_grace_period_submission_still_says_resubmitting_is_allowed(world, api, client):
    hw1 = world.course.assignments.get(code="HW1")
    with at(HW1_DUE + timedelta(hours=2)):
        assert submit(api, world.ug1, hw1).status_code == 201
    row = deadline_row_html(page(client, world.ug1, HW1_DUE + timedelta(hours=3)), "HW1")
    line = words(summary(row))
    assert "Submitted in grace" in line
    assert "grace ends in 1 d 21 h you may resubmit until then" in line
    assert "You may submit again until the window closes, Tue Feb 14 2023, 11:59 pm EST" in words(row)
    assert "Submit HW1 again" in row
    # Once the window closes: closed, and no resubmission offered.
    row = deadline_row_html(page(client, world.ug1, HW1_DUE + timedelta(days=2, hours=1)), "HW1")
    assert "you may resubmit" not in row and "Submit HW1 again" not in row
    assert ">closed</span>" in summary(row)


def test_the_rows_history_lists_earlier_attempts(world, api, client):
    hw1 = world.course.assignments.get(code="HW1")
    with at(HW1_DUE - timedelta(hours=1)):
        submit(api, world.ug1, hw1)
    with at(HW1_DUE + timedelta(hours=1)):
        submit(api, world.ug1, hw1, collaborators="ug2")
    row = deadline_row_html(page(client, world.ug1, HW1_DUE + timedelta(hours=2)), "HW1")
    receipt = re.search(r'<details class="receipt".*?</details>', row, re.S).group(0)
    assert "In the grace period" in receipt and "ug2" in receipt  # the latest attempt is the receipt
    attempts = re.search(r'<details class="attempts">.*?</details>', row, re.S).group(0)
    assert "Earlier attempts (1)" in attempts
    assert "Sun Feb 12 2023, 10:59 pm EST (UTC-05:00)" in attempts and "on time" in attempts


# ---- the zone the student reads in (PATCH /api/v1/me/) ------------------------------------------------


def choose(api, user, **body):
    return api.as_user(user).patch(reverse("api-me"), body, format="json")


def test_choosing_the_browsers_zone_shows_every_row_in_it_with_the_course_zone_on_hover(world, api, client):
    response = choose(api, world.ug1, time_zone_display="browser", browser_time_zone="America/Los_Angeles")
    assert response.status_code == 200, response.content
    assert response.json()["time_zone_display"] == "browser"
    assert response.json()["browser_time_zone"] == "America/Los_Angeles"

    html = page(client, world.ug1, HW1_DUE - timedelta(days=2))
    line = summary(deadline_row_html(html, "HW1"))
    assert ">Sun Feb 12, 8:59 pm PST</time>" in line
    assert "Course time (America/New_York): Sun Feb 12 2023, 11:59 pm EST (UTC-05:00)" in line
    assert "Times are in your zone, <strong>America/Los_Angeles</strong>" in html
    # Remembered for the person, not the session: the API says so on another sign-in.
    assert api.as_user(world.ug1).get(reverse("api-me")).json()["time_zone_display"] == "browser"

    assert choose(api, world.ug1, time_zone_display="course").status_code == 200
    line = summary(deadline_row_html(page(client, world.ug1, HW1_DUE - timedelta(days=2)), "HW1"))
    assert ">Sun Feb 12, 11:59 pm EST</time>" in line
    # A classmate who chose nothing reads the course's zone.
    line = summary(deadline_row_html(page(client, world.ug2, HW1_DUE - timedelta(days=2)), "HW1"))
    assert ">Sun Feb 12, 11:59 pm EST</time>" in line


def test_the_choice_is_audited(world, api):
    choose(api, world.ug1, time_zone_display="browser", browser_time_zone="Europe/Berlin")
    event = AuditEvent.objects.get(action="account.time_zone")
    assert event.actor == world.ug1
    assert event.data["new"] == {"time_zone_display": "browser", "browser_time_zone": "Europe/Berlin"}
    assert event.data["old"]["time_zone_display"] == "course"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone_display": "browser"}, "browser_time_zone"),  # which zone is the browser's?
        ({"time_zone_display": "browser", "browser_time_zone": "Mars/Olympus"}, "browser_time_zone"),
        ({"time_zone_display": "moon"}, "time_zone_display"),
        ({}, "time_zone_display"),
    ],
)
def test_a_bad_choice_is_refused_and_changes_nothing(world, api, body, field):
    body = error_of(choose(api, world.ug1, **body), 400)
    assert field in body["fields"]
    world.ug1.refresh_from_db()
    assert (world.ug1.time_zone_display, world.ug1.browser_time_zone) == ("course", "")
    assert not AuditEvent.objects.filter(action="account.time_zone").exists()


def test_the_switch_needs_a_sign_in(db, client):
    response = client.patch(
        reverse("api-me"), {"time_zone_display": "course"}, content_type="application/json"
    )
    assert response.status_code in (401, 403)


# ---- home: Due next ----------------------------------------------------------------------------------


def test_home_lists_what_is_due_next_with_the_same_line(world, hw2, client):
    client.force_login(world.ug1)
    with at(HW1_DUE + timedelta(hours=5)):
        html = client.get(reverse("home")).content.decode()
    section = re.search(r'<section aria-labelledby="upcoming">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'<li data-assignment="([^"]+)"', section) == ["HW1", "HW2"]
    assert "grace ends in 1 d 19 h" in section
    assert 'href="/deadlines/#a-HW1"' in section
    assert "PS0" not in section  # closed work is not "due next"
