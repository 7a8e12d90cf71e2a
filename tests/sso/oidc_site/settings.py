"""django-oauth-toolkit as an OpenID Connect provider (the university's Okta or Azure AD, for the tests;
tests/sso/serve.py runs it). The RSA signing key comes from the fixture that starts it."""

import os

from tests.sso.common import site_settings

globals().update(site_settings("op"))
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
ROOT_URLCONF = "tests.sso.oidc_site.urls"
LOGIN_URL = "/login/"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["SSO_TEST_RSA_KEY"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OAUTH2_VALIDATOR_CLASS": "tests.sso.oidc_site.validator.UniversityValidator",
    "SCOPES": {"openid": "Who you are", "profile": "Your name and login", "email": "Your e-mail address"},
    "ALLOW_LOCALHOST_LOOPBACK": True,  # the live server is http://localhost:<any port>
}


def setup() -> None:
    """The portal as a confidential client; its callback on any loopback port (RFC 8252) or testserver."""
    from oauth2_provider.models import Application

    callbacks = ("127.0.0.1", "localhost", "testserver")
    Application.objects.get_or_create(
        client_id="portal",
        defaults={
            "name": "Course portal",
            "client_secret": "portal-client-secret",
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": " ".join(f"http://{host}/accounts/oidc/callback/" for host in callbacks),
            "post_logout_redirect_uris": " ".join(f"http://{host}/accounts/login/" for host in callbacks),
            "algorithm": Application.RS256_ALGORITHM,
            "skip_authorization": True,
        },
    )
