"""API tokens: one per program or device, each revocable, each expiring; a password change or reset
revokes them all (and every other session), and the account page lists them."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from courses import selectors
from courses.models import ApiToken
from tests.factories import UserFactory

PASSWORD = "pw-portal-test"
NEW_PASSWORD = "a-new-Long-passphrase-42"


def sign_in(client, username="ug1", password=PASSWORD, **data):
    return client.post(reverse("api-token"), {"username": username, "password": password, **data})


def me(client, token):
    return client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}")


def assert_refused(response, code=None):
    assert response.status_code == 401, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    if code:
        assert body["code"] == code, body
    assert response.headers["WWW-Authenticate"].startswith("Token")


@pytest.fixture
def ug1(db):
    return UserFactory(username="ug1")


# ---- DELETE /api/v1/auth/token/ ---------------------------------------------------------------------


def test_delete_revokes_the_callers_token(ug1, client):
    token = sign_in(client).json()["token"]
    assert me(client, token).status_code == 200
    response = client.delete(reverse("api-token"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 204
    assert_refused(me(client, token))
    assert not ApiToken.objects.filter(user=ug1).exists()


def test_delete_revokes_only_that_token(ug1, client):
    laptop = sign_in(client, name="laptop").json()["token"]
    phone = sign_in(client, name="phone").json()["token"]
    assert client.delete(reverse("api-token"), HTTP_AUTHORIZATION=f"Token {laptop}").status_code == 204
    assert_refused(me(client, laptop))
    assert me(client, phone).status_code == 200


def test_delete_with_a_session_signs_that_session_out(ug1):
    browser = Client()
    browser.force_login(ug1)
    assert browser.get(reverse("api-me")).status_code == 200
    assert browser.delete(reverse("api-token")).status_code == 204
    assert browser.get(reverse("api-me")).status_code in (401, 403)


def test_delete_anonymous_is_refused(db, client):
    assert_refused(client.delete(reverse("api-token")))


# ---- signing in: a new token each time, never an old or expired one ------------------------------------


def test_signing_in_again_gives_a_new_token_and_both_work(ug1, client):
    first = sign_in(client).json()["token"]
    second = sign_in(client).json()["token"]
    assert first != second
    assert me(client, first).status_code == 200
    assert me(client, second).status_code == 200
    assert ApiToken.objects.filter(user=ug1).count() == 2


def test_the_key_is_not_stored(ug1, client):
    token = sign_in(client).json()["token"]
    stored = ApiToken.objects.get(user=ug1)
    assert token not in {stored.digest, stored.prefix, stored.name}
    assert token.startswith(stored.prefix)


def test_a_token_expires_after_the_configured_lifetime(ug1, client, settings):
    settings.PORTAL_TOKEN_LIFETIME_DAYS = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = sign_in(client).json()["token"]
    assert ApiToken.objects.get(user=ug1).expires_at == start + timedelta(days=30)
    with time_machine.travel(start + timedelta(days=29, hours=23), tick=False):
        assert me(client, token).status_code == 200
    with time_machine.travel(start + timedelta(days=30, seconds=1), tick=False):
        response = me(client, token)
        assert_refused(response, "token_expired")
        assert "sign in again" in response.json()["detail"].lower()
        fresh = sign_in(client).json()["token"]
        assert fresh != token
        assert me(client, fresh).status_code == 200
        assert_refused(me(client, token))
        # The expired one was cleaned away when the new one was made.
        assert ApiToken.objects.filter(user=ug1).count() == 1


def test_the_lifetime_comes_from_the_setting(ug1, client, settings):
    settings.PORTAL_TOKEN_LIFETIME_DAYS = 2
    sign_in(client)
    token = ApiToken.objects.get(user=ug1)
    assert token.expires_at - token.created_at == timedelta(days=2)


def test_use_is_recorded(ug1, client):
    token = sign_in(client).json()["token"]
    assert ApiToken.objects.get(user=ug1).last_used_at is None
    me(client, token)
    assert ApiToken.objects.get(user=ug1).last_used_at is not None


def test_every_api_request_reads_its_token_as_one_unsorted_row(ug1, client):
    """The token is read on every API request: one row by its unique digest, with its user, and no sort
    (`first()` would order by the newest, which costs the lookup a fifth more to build)."""
    token = sign_in(client).json()["token"]
    me(client, token)  # the use is recorded: the next request within the minute only reads
    with CaptureQueriesContext(connection) as queries:
        assert me(client, token).status_code == 200
    [lookup] = [q["sql"] for q in queries.captured_queries if 'FROM "courses_apitoken"' in q["sql"]]
    assert '"courses_apitoken"."digest" = ' in lookup and 'JOIN "courses_user"' in lookup
    assert "ORDER BY" not in lookup and lookup.rstrip().endswith("LIMIT 1")


def test_a_token_of_a_deactivated_account_is_refused(ug1, client):
    token = sign_in(client).json()["token"]
    ug1.is_active = False
    ug1.save()
    assert_refused(me(client, token))


# ---- a password change or reset revokes every token and every other session ------------------------------


def test_a_password_change_revokes_every_token_and_every_other_session(ug1, client):
    tokens = [sign_in(client).json()["token"] for _ in range(2)]
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        assert browser.post(reverse("login"), {"username": "ug1", "password": PASSWORD}).status_code == 302

    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content

    for token in tokens:
        assert_refused(me(client, token))
    assert here.get(reverse("api-me")).status_code == 200  # the session that changed it stays
    assert elsewhere.get(reverse("api-me")).status_code in (401, 403)
    assert elsewhere.get(reverse("account")).status_code == 302
    ug1.refresh_from_db()
    assert selectors.api_tokens_for_user(ug1) == []  # the account page lists none
    assert me(client, sign_in(client, password=NEW_PASSWORD).json()["token"]).status_code == 200


def test_a_password_set_any_other_way_revokes_every_token(ug1, client):
    """The admin's form and `manage.py changepassword` call set_password too: no view has to remember."""
    token = sign_in(client).json()["token"]
    ug1.set_password(NEW_PASSWORD)
    ug1.save()
    assert_refused(me(client, token))


def test_a_password_reset_revokes_every_token_and_every_session(ug1, client):
    token = sign_in(client).json()["token"]
    browser = Client()
    browser.force_login(ug1)

    uid = urlsafe_base64_encode(force_bytes(ug1.pk))
    link = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(ug1)])
    resetting = Client()
    form = resetting.get(link, follow=True)
    response = resetting.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302, response.content

    assert_refused(me(client, token))
    assert browser.get(reverse("api-me")).status_code in (401, 403)
    ug1.refresh_from_db()
    assert selectors.api_tokens_for_user(ug1) == []


def test_the_reset_mail_flow_still_works(ug1, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # e-mailed after the commit (portal.mail)
        client.post(reverse("password_reset"), {"email": ug1.email})
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/reset/\S+/\S+/", mail.outbox[0].body)


# ---- listing and revoking: the API and the account page ------------------------------------------------


def test_list_shows_own_tokens_without_keys(ug1, client):
    other = UserFactory(username="ug2")
    key = sign_in(client, name="grading script").json()["token"]
    sign_in(client, username="ug2")
    response = client.get(reverse("api-tokens"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    [row] = response.json()
    assert row["name"] == "grading script"
    assert row["current"] is True
    assert set(row) >= {"id", "name", "prefix", "created_at", "last_used_at", "expires_at"}
    assert key not in response.content.decode()
    assert ApiToken.objects.filter(user=other).count() == 1


def test_revoke_one_by_id_and_not_someone_elses(ug1, client):
    key = sign_in(client, name="laptop").json()["token"]
    phone = sign_in(client, name="phone").json()["token"]
    other_key = sign_in(client, username=UserFactory(username="ug2").username).json()["token"]
    phone_id = ApiToken.objects.get(user=ug1, name="phone").id
    others_id = ApiToken.objects.get(user__username="ug2").id

    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.delete(reverse("api-token-detail", args=[others_id]), **auth).status_code == 404
    assert me(client, other_key).status_code == 200
    assert client.delete(reverse("api-token-detail", args=[phone_id]), **auth).status_code == 204
    assert_refused(me(client, phone))
    assert me(client, key).status_code == 200


def test_create_a_named_token_from_a_session_shows_the_key_once(ug1):
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(ug1)
    response = browser.post(reverse("api-tokens"), {"name": "Colab notebook"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Colab notebook"
    assert me(Client(), body["token"]).status_code == 200
    assert body["token"] not in browser.get(reverse("api-tokens")).content.decode()
    assert body["token"] not in browser.get(reverse("account")).content.decode()


def test_the_account_page_lists_tokens_with_a_revoke_button(ug1, client):
    sign_in(client, name="laptop")
    sign_in(client, username=UserFactory(username="ug2").username, name="ug2's secret device")
    token = ApiToken.objects.get(user=ug1)
    browser = Client()
    browser.force_login(ug1)
    page = browser.get(reverse("account")).content.decode()
    assert "laptop" in page
    assert token.prefix in page
    assert reverse("api-token-detail", args=[token.id]) in page
    assert reverse("api-tokens") in page  # the form that makes a new one
    assert "ug2&#x27;s secret device" not in page and "ug2's secret device" not in page


def test_token_names_are_bounded(ug1, client):
    response = sign_in(client, name="x" * 500)
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code", "fields"}
    assert "name" in response.json()["fields"]


def test_a_token_cannot_make_tokens(ug1, client):
    """A stolen token must not outlive its expiry or its revocation by minting fresh ones."""
    token = sign_in(client).json()["token"]
    response = client.post(
        reverse("api-tokens"),
        {"name": "renewal"},
        HTTP_AUTHORIZATION=f"Token {token}",
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "token_from_token"
    assert "account page" in response.json()["detail"]
    assert ApiToken.objects.filter(user=ug1).count() == 1
