"""CAS sign-in against a real CAS server (django-cas-server in its own process, tests/sso/serve.py): the
portal sends the person to CAS, CAS sends them back with a ticket, the portal checks the ticket with CAS
over HTTP and opens the account whose username is the CAS user. The browser journeys are in
tests/browser/test_sso_journeys.py."""

from axes.models import AccessAttempt
from django.urls import reverse

from courses.models import AuditEvent, User
from tests.factories import UserFactory
from tests.sso.servers import CAS_NAME, cas_sign_in, local

PORTAL_PASSWORD = "pw-portal-test"


def _sign_in(client, server, username, next_page=""):
    """The whole round trip: the portal's CAS login, CAS's form, the portal's ticket check."""
    start = client.get(reverse("cas-login") + (f"?next={next_page}" if next_page else ""))
    assert start.status_code == 302 and start["Location"].startswith(server.base + "/cas/login?service=")
    back = cas_sign_in(server, start["Location"], username)
    assert back.startswith("http://testserver/accounts/cas/login/") and "ticket=ST-" in back
    return client.get(local(back))


def _signed_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_cas_is_off_unless_configured(db, client):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with" not in page and 'name="password"' in page
    assert client.get(reverse("cas-login")).status_code == 404


def test_the_sign_in_page_offers_the_university(db, client, cas_configured):
    page = client.get(reverse("login") + "?next=/deadlines/").content.decode()
    assert f"Sign in with {CAS_NAME}" in page
    assert 'href="/accounts/cas/login/?next=/deadlines/"' in page
    assert 'name="password"' in page  # passwords stay on unless PORTAL_PASSWORD_SIGN_IN=false


def test_a_rostered_student_gets_their_own_account_and_courses(world, client, cas_configured):
    users_before = User.objects.count()
    response = _sign_in(client, cas_configured, "ug1")
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in_as(client) == world.ug1
    assert User.objects.count() == users_before
    me = client.get("/api/v1/me/").json()
    assert me["username"] == "ug1" and me["roles"] == ["student"]
    assert [e["section"] for e in me["enrolments"]] == ["CS 4644"]


def test_back_to_the_page_asked_for(world, client, cas_configured):
    response = _sign_in(client, cas_configured, "ug1", next_page="/deadlines/")
    assert response["Location"] == "/deadlines/"


def test_a_ta_is_matched_to_their_staff_account(world, client, cas_configured):
    _sign_in(client, cas_configured, "ta1")
    assert _signed_in_as(client) == world.ta
    assert client.get(reverse("regrade-queue")).status_code == 200


def test_a_login_in_another_case_finds_the_roster_account(world, client, cas_configured):
    _sign_in(client, cas_configured, "UG2")  # the university says UG2, the roster wrote ug2
    assert _signed_in_as(client) == world.ug2
    assert not User.objects.filter(username="UG2").exists()


def test_an_unknown_person_gets_an_account_with_no_course_and_no_rights(world, client, cas_configured):
    response = _sign_in(client, cas_configured, "newstudent")
    assert response.status_code == 302
    user = _signed_in_as(client)
    assert user.username == "newstudent"
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert user.enrolments.count() == 0 and user.staff_roles.count() == 0
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_SSO_CREATE)
    assert event.actor == user and event.data == {"provider": "cas"}
    me = client.get("/api/v1/me/").json()
    assert me["roles"] == [] and me["enrolments"] == []
    home = client.get("/").content.decode()
    assert "You are not in any course yet" in home and "ask your instructor" in home
    # A second sign-in opens the same account.
    client.logout()
    _sign_in(client, cas_configured, "newstudent")
    assert _signed_in_as(client) == user
    assert User.objects.filter(username="newstudent").count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_SSO_CREATE).count() == 1


def test_an_account_is_never_matched_by_e_mail(db, client, cas_configured):
    someone = UserFactory(username="nia.n", email="newstudent@university.example")  # CAS's address for her
    _sign_in(client, cas_configured, "newstudent")
    user = _signed_in_as(client)
    assert user != someone and user.username == "newstudent"


def test_a_login_that_is_no_username_is_refused_with_a_reason(db, client, cas_configured):
    response = _sign_in(client, cas_configured, "bad login!")
    assert response.status_code == 403
    assert "not a portal username" in response.content.decode()
    assert _signed_in_as(client) is None
    assert not User.objects.filter(username__icontains="bad").exists()


def test_a_switched_off_account_stays_out(world, client, cas_configured):
    User.objects.filter(pk=world.ug1.pk).update(is_active=False)
    response = _sign_in(client, cas_configured, "ug1")
    assert response.status_code == 403
    assert "switched off" in response.content.decode()
    assert _signed_in_as(client) is None


def test_a_login_named_like_a_local_administrator_is_refused(db, client, cas_configured):
    """The university's "root" is not the portal's superuser "root": administrators use their password."""
    UserFactory(username="root", is_superuser=True, is_staff=True)
    response = _sign_in(client, cas_configured, "root")
    assert response.status_code == 403
    assert "administrator accounts, which sign in with their password" in response.content.decode()
    assert _signed_in_as(client) is None


def test_a_forged_ticket_is_refused_and_is_no_password_failure(world, client, cas_configured, settings):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 2
    for _ in range(4):
        response = client.get(reverse("cas-login") + "?ticket=ST-forged-by-someone", REMOTE_ADDR="10.0.0.9")
        assert response.status_code == 403
        assert "did not accept the sign-in" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    signed_in = client.post(
        reverse("login"), {"username": "ug1", "password": PORTAL_PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert signed_in.status_code == 302  # the address is not locked


def test_a_password_lock_does_not_stop_cas(world, client, cas_configured, settings):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "ug1", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "ug1", "password": PORTAL_PASSWORD})
    assert "Too many failed sign-ins" in locked.content.decode()
    # The university vouches for ug1: the lock guards the portal's passwords, not CAS.
    _sign_in(client, cas_configured, "ug1")
    assert _signed_in_as(client) == world.ug1


def test_sign_out_ends_the_session_and_offers_the_cas_sign_out(world, client, cas_configured):
    _sign_in(client, cas_configured, "ug1")
    response = client.post(reverse("logout"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Sign out of {CAS_NAME} too" in page
    assert (
        f'href="{cas_configured.base}/cas/logout?service=http%3A%2F%2Ftestserver%2Faccounts%2Flogin%2F"'
        in page
    )
    assert _signed_in_as(client) is None
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_a_password_session_signs_out_as_before(world, client, cas_configured):
    client.post(reverse("login"), {"username": "ug1", "password": PORTAL_PASSWORD})
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_a_cas_user_without_a_password_makes_an_api_token(db, client, cas_configured):
    _sign_in(client, cas_configured, "newstudent")
    assert client.get(reverse("account")).status_code == 200
    made = client.post("/api/v1/auth/tokens/", {"name": "laptop"}, content_type="application/json")
    assert made.status_code == 201
    client.logout()
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {made.json()['token']}")
    assert me.status_code == 200 and me.json()["username"] == "newstudent"


# ---- `next` never leaves the portal ---------------------------------------------------------------------


def test_a_next_page_on_another_site_is_dropped_after_the_sign_in(world, client, cas_configured):
    """An attacker's link (…/accounts/cas/login/?next=https://evil.example/phish) signs the person in and
    lands them on the portal's home page, not on the other site."""
    response = _sign_in(client, cas_configured, "ug1", next_page="https://evil.example/phish")
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in_as(client) == world.ug1


def test_a_signed_in_person_is_not_sent_to_another_site(world, client, cas_configured):
    client.force_login(world.ug1)
    for next_page in ("https://evil.example/phish", "//evil.example/", "/\\evil.example/"):
        response = client.get(reverse("cas-login"), {"next": next_page})
        assert response.status_code == 302
        assert "evil.example" not in response["Location"], (next_page, response["Location"])
    assert client.get(reverse("cas-login"), {"next": "/deadlines/"})["Location"] == "/deadlines/"


def test_a_post_naming_another_site_is_no_server_error(db, cas_configured):
    """POST /accounts/cas/login/ is open to anyone (CAS's single sign-out posts there, without CSRF)."""
    from django.test import Client

    response = Client(raise_request_exception=False).post(
        reverse("cas-login"), {"next": "https://evil.example/"}
    )
    assert response.status_code < 500
    assert "evil.example" not in response.get("Location", "")
