"""E-mail is configured from the environment: the console by default (so `make run` prints mail as
before), the university's SMTP relay when the variables say so, and docker compose passes them on."""

import json
import subprocess
import sys

from tests.test_deploy import COMPOSE_FILE, ROOT, clean_env, compose

NAMES = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "PORTAL_BASE_URL")


def settings_with(**env: str) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env(DJANGO_SETTINGS_MODULE="portal.settings.local", **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_nothing_set_mail_goes_to_the_console():
    assert settings_with() == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "EMAIL_HOST": "localhost",
        "EMAIL_PORT": 25,
        "EMAIL_HOST_USER": "",
        "EMAIL_USE_TLS": False,
        "PORTAL_BASE_URL": "http://localhost:8000",
    }


def test_the_relay_comes_from_the_environment():
    assert settings_with(
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="mail.example.edu",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="course-portal",
        EMAIL_USE_TLS="true",
        PORTAL_BASE_URL="https://portal.example.edu/",
    ) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.edu",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "course-portal",
        "EMAIL_USE_TLS": True,
        "PORTAL_BASE_URL": "https://portal.example.edu",
    }


def test_compose_passes_the_relay_to_every_app_container():
    relay = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.edu",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "course-portal",
        "EMAIL_HOST_PASSWORD": "relay-secret",
        "EMAIL_USE_TLS": "true",
        "PORTAL_BASE_URL": "https://portal.example.edu",
    }
    result = compose(
        "-f", str(COMPOSE_FILE), "config", "--format", "json", env=clean_env(DJANGO_SECRET_KEY="s", **relay)
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    for name in ("web", "worker", "beat", "relay"):
        env = services[name]["environment"]
        assert {key: env[key] for key in relay} == relay, name

    default = compose(
        "-f", str(COMPOSE_FILE), "config", "--format", "json", env=clean_env(DJANGO_SECRET_KEY="s")
    )
    env = json.loads(default.stdout)["services"]["worker"]["environment"]
    assert env["DJANGO_EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
