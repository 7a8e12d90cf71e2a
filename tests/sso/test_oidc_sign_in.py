"""OpenID Connect sign-in against a real provider (django-oauth-toolkit in its own process, signing its ID
tokens with an RSA key the fixture made): discovery, the code flow with PKCE, the ID token's signature,
issuer and audience, and the account matched by the configured claim (preferred_username), never by
e-mail. The browser journeys are in tests/browser/test_sso_journeys.py."""

from axes.models import AccessAttempt
from django.urls import reverse

from courses import sso
from courses.models import AuditEvent, User
from tests.factories import UserFactory
from tests.sso.servers import OIDC_NAME, local, oidc_sign_in


def _sign_in(client, server, username, next_page=""):
    start = client.get(reverse("oidc-login") + (f"?next={next_page}" if next_page else ""))
    assert start.status_code == 302 and start["Location"].startswith(server.base + "/o/authorize/")
    assert "code_challenge=" in start["Location"]
    back = oidc_sign_in(server, start["Location"], username)
    assert back.startswith("http://testserver/accounts/oidc/callback/?code=")
    return client.get(local(back))


def _signed_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_oidc_is_off_unless_configured(db, client):
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc-login")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback") + "?code=x&state=y").status_code == 404


def test_the_sign_in_page_offers_the_provider(db, client, oidc_configured):
    assert f"Sign in with {OIDC_NAME}" in client.get(reverse("login")).content.decode()


def test_a_rostered_student_is_matched_by_preferred_username(world, client, oidc_configured):
    users_before = User.objects.count()
    response = _sign_in(client, oidc_configured, "ug1", next_page="/deadlines/")
    assert response.status_code == 302 and response["Location"] == "/deadlines/"
    assert _signed_in_as(client) == world.ug1
    assert User.objects.count() == users_before
    assert client.get("/api/v1/me/").json()["roles"] == ["student"]


def test_an_unknown_person_gets_an_account_with_no_course(world, client, oidc_configured):
    someone = UserFactory(username="nia.n", email="newstudent@university.example")  # same address, not her
    _sign_in(client, oidc_configured, "newstudent")
    user = _signed_in_as(client)
    assert user != someone and user.username == "newstudent"
    assert (user.first_name, user.last_name) == ("Nia", "Newcomer")
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_SSO_CREATE)
    assert event.actor == user and event.data == {"provider": "oidc"}
    assert "ask your instructor" in client.get("/").content.decode()


def test_a_missing_username_claim_is_refused_with_what_to_check(world, client, oidc_configured, settings):
    settings.PORTAL_OIDC_USERNAME_CLAIM = "employee_number"
    response = _sign_in(client, oidc_configured, "ug1")
    assert response.status_code == 403
    page = response.content.decode()
    assert "employee_number" in page and "PORTAL_OIDC_USERNAME_CLAIM" in page
    assert _signed_in_as(client) is None


def test_a_refused_authorization_is_no_password_failure(world, client, oidc_configured):
    client.get(reverse("oidc-login"))
    state = next(iter(client.session["oidc_states"]))
    response = client.get(reverse("oidc_authentication_callback") + f"?error=access_denied&state={state}")
    assert response.status_code == 403
    assert f"The sign-in with {OIDC_NAME} did not complete" in response.content.decode()
    assert _signed_in_as(client) is None
    assert not AccessAttempt.objects.exists()


def test_an_unreachable_provider_is_said_so(db, client, settings):
    settings.PORTAL_OIDC_ISSUER = "http://127.0.0.1:9/o"  # the discard port: nothing listens
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_TIMEOUT = 2
    settings.PORTAL_OIDC_NAME = OIDC_NAME
    sso._discovery.clear()
    response = client.get(reverse("oidc-login"))
    assert response.status_code == 403
    assert f"could not reach {OIDC_NAME}" in response.content.decode()


def test_sign_out_offers_the_providers_sign_out(world, client, oidc_configured):
    _sign_in(client, oidc_configured, "ug1")
    response = client.post(reverse("logout"))
    page = response.content.decode()
    assert response.status_code == 200 and f"Sign out of {OIDC_NAME} too" in page
    assert f'href="{oidc_configured.base}/o/logout/?client_id=portal&amp;post_logout_redirect_uri=' in page
    assert "id_token_hint=" in page  # the provider signs out without asking again
    assert _signed_in_as(client) is None
