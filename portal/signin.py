"""Which ways of signing in this portal offers, read from the settings at each request: single sign-on
through CAS or OpenID Connect when configured (courses.sso does the sign-in itself), and passwords, which
PORTAL_PASSWORD_SIGN_IN=false leaves to superusers. Kept free of the protocol libraries so the password
paths (portal.auth, courses.api_tokens) can ask cheaply."""

from django.conf import settings
from django.urls import reverse


def cas_enabled() -> bool:
    return bool(settings.CAS_SERVER_URL)


def oidc_enabled() -> bool:
    return bool(settings.PORTAL_OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def sign_in_methods() -> list[dict]:
    """The single sign-on buttons of the sign-in page, in the order they are offered."""
    methods = []
    if cas_enabled():
        methods.append({"key": "cas", "name": settings.PORTAL_CAS_NAME, "url": reverse("cas-login")})
    if oidc_enabled():
        methods.append({"key": "oidc", "name": settings.PORTAL_OIDC_NAME, "url": reverse("oidc-login")})
    return methods


def password_sign_in_allowed(user) -> bool:
    """PORTAL_PASSWORD_SIGN_IN=false leaves password sign-in to superusers (who keep a way in when the
    university's server is down or misconfigured)."""
    return settings.PORTAL_PASSWORD_SIGN_IN or bool(user is not None and user.is_superuser)


def password_sign_in_off_message() -> str:
    names = " or ".join(f"“Sign in with {m['name']}”" for m in sign_in_methods())
    how = f"use {names} on the sign-in page" if names else "ask the portal's administrator how to sign in"
    return (
        f"Password sign-in is turned off on this portal (administrators only): {how}. Programs use an API "
        "token made on your account page once you are signed in."
    )


def is_sso_attempt(request, credentials) -> bool:
    """django-axes's AXES_WHITELIST_CALLABLE: a CAS ticket or an OpenID Connect code that fails is not a
    password guess, so it neither counts towards a lock nor meets one."""
    return bool(credentials) and ("ticket" in credentials or "nonce" in credentials)
