"""Sign-in throttling: after repeated failures, a username is locked for a while from that address.

Applies to the sign-in page and to the API token endpoint alike (both authenticate through Django's
backends). Failures are counted in the cache (Redis in production).
"""

from django import forms
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver


def _limit() -> int:
    return getattr(settings, "PORTAL_LOGIN_FAILURE_LIMIT", 5)


def _lock_seconds() -> int:
    return getattr(settings, "PORTAL_LOGIN_LOCK_MINUTES", 15) * 60


def client_address(request) -> str:
    if request is None:
        return "-"
    return request.META.get("REMOTE_ADDR", "-")


def _key(username: str, address: str) -> str:
    return f"login-failures:{(username or '').strip().lower()}:{address}"


def is_locked(request, username: str | None) -> bool:
    return cache.get(_key(username or "", client_address(request)), 0) >= _limit()


def lock_message() -> str:
    minutes = _lock_seconds() // 60
    return (
        f"Too many failed sign-ins for this username from your address. Wait {minutes} minutes and try again, "
        "or ask the course staff to reset your password."
    )


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if is_locked(request, username or kwargs.get(self._username_field())):
            raise PermissionDenied(lock_message())  # stops every backend: no password is checked
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


@receiver(user_login_failed)
def _count_failure(sender, credentials, request=None, **kwargs):
    key = _key(credentials.get("username", ""), client_address(request))
    cache.add(key, 0, _lock_seconds())
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, _lock_seconds())


@receiver(user_logged_in)
def _reset_failures(sender, request, user, **kwargs):
    cache.delete(_key(user.get_username(), client_address(request)))


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both (the password is case-sensitive) and try again.",
    }

    def clean(self):
        if is_locked(self.request, self.cleaned_data.get("username")):
            raise forms.ValidationError(lock_message(), code="locked")
        return super().clean()
