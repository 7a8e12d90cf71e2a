"""Password reset and change in the portal's own pages: the link reaches only an address of an account
with a password, the new password works, every API token is revoked."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_offers_a_password_reset(client):
    html = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in html


def test_a_reset_goes_through_the_portals_pages(client, django_capture_on_commit_callbacks):
    user = UserFactory(username="sam", email="sam@example.edu")
    page = client.get(reverse("password_reset"))
    assert "Reset your password" in page.content.decode()
    assert 'href="/static/css/pico.min.css"' in page.content.decode() or "pico" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # e-mailed after the commit (portal.mail)
        response = client.post(reverse("password_reset"), {"email": "sam@example.edu"})
    assert response.status_code == 302
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    [message] = mail.outbox
    link = re.search(r"https?://[^\s]+/accounts/reset/[^\s]+", message.body).group(0)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "A-new-pass-phrase-42", "new_password2": "A-new-pass-phrase-42"},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("A-new-pass-phrase-42")


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "attacker@evil.example"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_the_account_page_links_to_a_password_change_in_the_portals_layout(client):
    user = UserFactory(username="sam")
    client.force_login(user)
    assert reverse("password_change") in client.get(reverse("account")).content.decode()
    page = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in page and "revokes your API tokens" in page


def test_old_password_guesses_lock_like_sign_ins(client, settings):
    """The password-change form checks a password: whoever holds a session cannot guess it without limit."""
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 5
    user = UserFactory(username="sam")
    client.force_login(user)
    new = {"new_password1": "N3w-long-passphrase!", "new_password2": "N3w-long-passphrase!"}
    for i in range(5):
        page = client.post(reverse("password_change"), {"old_password": f"guess-{i}", **new})
        assert (
            page.status_code == 200 and "Your old password was entered incorrectly" in page.content.decode()
        )
    # Locked now: even the right password is refused, with what to do.
    page = client.post(reverse("password_change"), {"old_password": "pw-portal-test", **new})
    assert page.status_code == 200
    assert "Too many failed sign-ins" in page.content.decode()
    user.refresh_from_db()
    assert user.check_password("pw-portal-test")
    # The sign-in page refuses the username too: one count for every password check.
    client.logout()
    page = client.post(reverse("login"), {"username": "sam", "password": "pw-portal-test"})
    assert page.status_code != 302


def test_the_right_old_password_changes_it(client):
    user = UserFactory(username="sam")
    client.force_login(user)
    new = {"new_password1": "N3w-long-passphrase!", "new_password2": "N3w-long-passphrase!"}
    response = client.post(reverse("password_change"), {"old_password": "pw-portal-test", **new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("N3w-long-passphrase!")
