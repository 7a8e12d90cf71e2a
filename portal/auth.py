"""Sign-in lockout, and which address a request comes from.

django-axes counts failed sign-ins (in Redis, or in the database where there is no Redis) per username
and per address, and its backend refuses a locked sign-in before any password is checked; this applies to
the sign-in page, the API token endpoint and the admin alike, since all authenticate through Django. This
module is the portal's side of it: the client address (`client_address`, shared with the API's rate
limit), the limit and lock time from the portal's settings, and a message that says what to do.
"""

import ipaddress
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpResponse

from portal.signin import password_sign_in_allowed, password_sign_in_off_message


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def proxies_trusted() -> int:
    """How many reverse proxies of ours stand in front (PORTAL_TRUSTED_PROXIES); 0 means none, and then no
    header a proxy would set (X-Forwarded-For, X-Request-Start) is believed, since anyone can send one."""
    return settings.PORTAL_TRUSTED_PROXIES


def client_address(request) -> str | None:
    """The socket address, unless PORTAL_TRUSTED_PROXIES = n proxies of ours stand in front: then the n-th
    X-Forwarded-For entry from the right, the address our outermost proxy saw. Entries left of it are
    whatever the client sent and are never read. The same rule as DRF's NUM_PROXIES (set from the same
    setting), so the rate limit and the lockout agree."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = proxies_trusted()
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or ""
    if proxies > 0 and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        candidate = entries[-min(proxies, len(entries))]
        if _is_address(candidate):
            return candidate
    return remote if _is_address(remote) else None


def failure_limit(request=None, credentials=None) -> int:
    return settings.PORTAL_LOGIN_FAILURE_LIMIT


def lock_time(request=None) -> timedelta:
    return timedelta(minutes=settings.PORTAL_LOGIN_LOCK_MINUTES)


def lockout_username(request, credentials=None) -> str | None:
    """The username failures are counted under: case-insensitive ("UG1" counts for "ug1") and bounded, so an
    absurd username cannot fill the store."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get("username") if hasattr(data, "get") else None
    if not isinstance(username, str) or not username.strip():
        return None
    return username.strip().lower()[:150]


def is_locked(request, username: str | None) -> bool:
    return AxesProxyHandler.is_locked(request, get_credentials(username))


def lock_message() -> str:
    minutes = settings.PORTAL_LOGIN_LOCK_MINUTES
    return (
        f"Too many failed sign-ins for this username or from your address. Wait {minutes} minutes and try "
        "again, or ask the course staff to lift the lock."
    )


class LockoutBackend(AxesStandaloneBackend):
    """django-axes's backend (first in AUTHENTICATION_BACKENDS). A sign-in with no request has no address
    to count and nothing to lock: every sign-in over HTTP passes its request (the sign-in page, the token
    endpoint, the admin); Django's test client's `login()` does not, and is let through to the password
    check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or password is None:  # no password to guess: a single sign-on (courses.sso)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """What django-axes's middleware answers when a sign-in is refused or the limit is reached. The portal's
    sign-in page and token endpoint already answered with the lock message (or, on the failure that
    reaches the limit, with "do not match"); the admin's sign-in answers with its own refusal."""
    if original_response is not None:
        return original_response
    return HttpResponse(lock_message(), status=429, content_type="text/plain; charset=utf-8")


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both (the password is case-sensitive) and try again.",
    }

    def clean(self):
        if is_locked(self.request, self.cleaned_data.get("username")):
            raise forms.ValidationError(lock_message(), code="locked")
        return super().clean()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not password_sign_in_allowed(user):  # checked after the password: it tells a guesser nothing
            raise forms.ValidationError(password_sign_in_off_message(), code="password_sign_in_off")


class LockedPasswordChangeForm(PasswordChangeForm):
    """The old password is a password check like the sign-in's: it goes through authenticate(), so
    django-axes counts a wrong one and refuses it while the username is locked. Otherwise whoever holds a
    session (a borrowed laptop, a stolen cookie) could guess the password there without limit."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if is_locked(self.request, self.user.get_username()):
            raise forms.ValidationError(lock_message(), code="locked")
        if authenticate(self.request, username=self.user.get_username(), password=old_password) != self.user:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class PortalPasswordChangeView(PasswordChangeView):
    form_class = LockedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
