"""PORTAL_PASSWORD_SIGN_IN=false: only superusers sign in with a password, on the sign-in page, at
POST /api/v1/auth/token/ and in the admin; everyone else is told to use single sign-on. A wrong password
still answers "do not match" (the rule is checked after the password, so it tells a guesser nothing)."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.sso.servers import CAS_NAME

PASSWORD = "pw-portal-test"


@pytest.fixture
def passwords_off(settings):
    settings.PORTAL_PASSWORD_SIGN_IN = False


def test_by_default_passwords_work_as_before(db, client):
    UserFactory(username="ug1")
    page = client.get(reverse("login")).content.decode()
    assert 'name="password"' in page and "Administrators" not in page and "Forgot your password?" in page
    assert client.post(reverse("login"), {"username": "ug1", "password": PASSWORD}).status_code == 302


def test_the_form_refuses_a_student_and_says_what_to_do(db, client, passwords_off, cas_configured):
    UserFactory(username="ug1")
    response = client.post(reverse("login"), {"username": "ug1", "password": PASSWORD})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Password sign-in is turned off on this portal" in page
    assert f"“Sign in with {CAS_NAME}”" in page
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_still_just_does_not_match(db, client, passwords_off):
    UserFactory(username="ug1")
    page = client.post(reverse("login"), {"username": "ug1", "password": "wrong"}).content.decode()
    assert "do not match" in page and "turned off" not in page


def test_a_superuser_still_signs_in_with_a_password(db, client, passwords_off, cas_configured):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    page = client.get(reverse("login")).content.decode()
    assert f"Sign in with {CAS_NAME}" in page
    assert "Administrators: sign in with a password" in page and "Forgot your password?" not in page
    assert client.post(reverse("login"), {"username": "root", "password": PASSWORD}).status_code == 302


def test_the_token_endpoint_obeys(db, client, passwords_off):
    UserFactory(username="ug1")
    UserFactory(username="root", is_superuser=True)
    refused = client.post(reverse("api-token"), {"username": "ug1", "password": PASSWORD})
    assert refused.status_code == 400
    body = refused.json()
    assert "Password sign-in is turned off" in body["detail"] and "API token" in body["detail"]
    assert client.post(reverse("api-token"), {"username": "root", "password": PASSWORD}).status_code == 200


def test_the_admin_sign_in_obeys(db, client, passwords_off):
    UserFactory(username="staffer", is_staff=True)
    response = client.post(
        reverse("admin:login"), {"username": "staffer", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "Password sign-in is turned off" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_with_no_single_sign_on_the_message_names_the_administrator(db, client, passwords_off):
    UserFactory(username="ug1")
    page = client.post(reverse("login"), {"username": "ug1", "password": PASSWORD}).content.decode()
    assert "ask the portal&#x27;s administrator how to sign in" in page
