"""Signing in to the API and asking who I am: tokens, /me/, and session auth with CSRF."""

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import ApiToken, Enrolment
from tests.factories import UserFactory

PASSWORD = "pw-portal-test"


def assert_error_shape(body: dict) -> None:
    assert set(body) == {"detail", "code", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"].strip()
    assert isinstance(body["code"], str) and body["code"].strip()
    assert isinstance(body["fields"], dict)


def get_token(client, username: str, password: str = PASSWORD):
    return client.post(reverse("api-token"), {"username": username, "password": password})


# ---- POST /api/v1/auth/token/ -----------------------------------------------------------------------


def test_good_credentials_return_a_token_that_works(world, client):
    response = get_token(client, "ug1")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert ApiToken.objects.get(user=world.ug1).prefix == token[:8]
    me = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["username"] == "ug1"


def test_asking_twice_returns_two_tokens(world, client):
    """One per program or device, each revocable (tests/test_api_tokens.py); never an earlier one."""
    first = get_token(client, "ug1").json()["token"]
    second = get_token(client, "ug1").json()["token"]
    assert first != second
    assert ApiToken.objects.filter(user=world.ug1).count() == 2


@pytest.mark.parametrize(
    "username,password",
    [("ug1", "wrong-password"), ("nobody", PASSWORD), ("UG1", "wrong-password")],
)
def test_bad_credentials_are_a_400_in_the_error_shape(world, client, username, password):
    response = get_token(client, username, password)
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body)
    assert body["fields"], "the error names what was wrong"
    assert "token" not in body
    assert not ApiToken.objects.exists()


def test_a_token_for_an_inactive_user_is_refused(world, client):
    world.ug1.is_active = False
    world.ug1.save()
    response = get_token(client, "ug1")
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert not ApiToken.objects.exists()


def test_a_bad_token_is_refused_in_the_error_shape(world, client):
    response = client.get(reverse("api-me"), HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code in (401, 403)
    assert_error_shape(response.json())


# ---- GET /api/v1/me/ --------------------------------------------------------------------------------


def test_me_for_an_enrolled_student(world, client):
    token = get_token(client, "ug1").json()["token"]
    response = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "ug1"
    assert me["name"] == world.ug1.get_full_name()
    assert me["roles"] == ["student"]
    assert len(me["enrolments"]) == 1
    enrolment = me["enrolments"][0]
    assert enrolment["section"] == "CS 4644"
    assert enrolment["status"] == "enrolled"
    assert enrolment["grading_basis"] == "credit"
    assert enrolment["waitlist_position"] is None
    assert enrolment["course_id"] == world.course.id
    assert me["calendar_url"].startswith("http")
    assert me["calendar_url"].endswith(f"/calendar/{world.ug1.calendar_token}.ics")


def test_me_gives_waitlisted_students_their_place_in_line(world, client, enrol):
    first = UserFactory(username="wait1")
    second = UserFactory(username="wait2")
    enrol(first, world.gr_section, status=Enrolment.Status.WAITLISTED)
    enrol(second, world.gr_section, status=Enrolment.Status.WAITLISTED, grading_basis="audit")

    positions = {}
    for user in (first, second):
        token = get_token(client, user.username).json()["token"]
        me = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}").json()
        assert me["roles"] == ["student"]
        [enrolment] = me["enrolments"]
        assert enrolment["section"] == "CS 7643-A"
        assert enrolment["status"] == "waitlisted"
        positions[user.username] = (enrolment["waitlist_position"], enrolment["grading_basis"])
    assert positions == {"wait1": (1, "credit"), "wait2": (2, "audit")}


def test_a_dropped_enrolment_is_not_listed(world, client):
    Enrolment.objects.filter(user=world.ug2).update(status=Enrolment.Status.DROPPED)
    token = get_token(client, "ug2").json()["token"]
    me = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}").json()
    assert me["enrolments"] == []
    assert me["roles"] == []


@pytest.mark.parametrize("username,role", [("instructor", "instructor"), ("ta1", "ta")])
def test_me_for_staff(world, client, username, role):
    token = get_token(client, username).json()["token"]
    me = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}").json()
    assert me["username"] == username
    assert me["roles"] == [role]
    assert me["enrolments"] == []
    assert [(r["course_id"], r["role"]) for r in me["staff_roles"]] == [(world.course.id, role)]
    assert me["calendar_url"].endswith(".ics")


def test_me_anonymous_is_refused_in_the_error_shape(world, client):
    response = client.get(reverse("api-me"))
    assert response.status_code in (401, 403)
    body = response.json()
    assert_error_shape(body)
    assert body["code"] == "not_authenticated"
    assert "username" not in body


# ---- session authentication and CSRF ----------------------------------------------------------------


def test_session_reads_need_no_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="ug1", password=PASSWORD)
    response = browser.get(reverse("api-me"))
    assert response.status_code == 200
    assert response.json()["username"] == "ug1"


def test_session_post_without_csrf_token_is_refused(world):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="ug1", password=PASSWORD)
    before = world.ug1.calendar_token
    response = browser.post(reverse("api-calendar-token"))
    assert response.status_code == 403
    body = response.json()
    assert_error_shape(body)
    assert "csrf" in body["detail"].lower()
    world.ug1.refresh_from_db()
    assert world.ug1.calendar_token == before


def test_session_post_without_csrf_token_cannot_write_an_assignment(world):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="instructor", password=PASSWORD)
    count = world.course.assignments.count()
    response = browser.post(
        reverse("api-course-assignments", args=[world.course.id]),
        {"code": "HW9", "title": "Homework 9", "category": "homework"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert_error_shape(response.json())
    assert world.course.assignments.count() == count


def test_session_post_with_the_csrf_token_works(world):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="ug1", password=PASSWORD)
    browser.get(reverse("home"))  # a page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    before = world.ug1.calendar_token
    response = browser.post(reverse("api-calendar-token"), HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content
    world.ug1.refresh_from_db()
    assert world.ug1.calendar_token != before


def test_token_auth_posts_need_no_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    token = get_token(browser, "ug1").json()["token"]
    response = browser.post(reverse("api-calendar-token"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content
