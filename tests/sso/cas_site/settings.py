"""django-cas-server as the university's CAS server, for the tests (tests/sso/serve.py runs it)."""

from tests.sso.common import site_settings

globals().update(site_settings("cas"))
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "cas_server",
]
ROOT_URLCONF = "tests.sso.cas_site.urls"
# Plain pages: the package's own load Bootstrap from a CDN, which a test machine cannot reach.
CAS_LOGIN_TEMPLATE = "cas_login.html"
CAS_WARN_TEMPLATE = "cas_login.html"
CAS_LOGGED_TEMPLATE = "cas_logged.html"
CAS_LOGOUT_TEMPLATE = "cas_logged.html"
CAS_NEW_VERSION_HTML_WARNING = False  # no look-up of the newest release on PyPI
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False


def setup() -> None:
    """The portal, wherever the tests run it (the test client's testserver, the live server's port), is a
    service allowed to ask who signed in; no single log-out calls back to it."""
    from cas_server.models import ServicePattern

    ServicePattern.objects.get_or_create(
        name="portal",
        defaults={
            "pattern": r"^http://(testserver|localhost:\d+|127\.0\.0\.1:\d+)/accounts/(cas/login|login)/.*$",
            "single_log_out": False,
        },
    )
