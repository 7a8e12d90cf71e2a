"""Fixtures that start the real single sign-on servers (tests/sso/serve.py), each once per test session in a
process of its own on a free port, and point the portal at them for a test.

Readiness is waited for, not slept for: the server prints its port only once its socket listens, and the
fixture then fetches a page that needs its database before handing it over.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.helpers import stop_processes
from tests.sso.common import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT = 60  # seconds: migrating a fresh SQLite file on a busy CI machine
CAS_NAME = "Georgia Tech"
OIDC_NAME = "University Okta"
OIDC_CLIENT_ID = "portal"
OIDC_CLIENT_SECRET = "portal-client-secret"


@dataclass
class Server:
    base: str  # http://127.0.0.1:<port>
    process: subprocess.Popen
    log: Path


def _start(kind: str, directory: Path, env: dict, ready_path: str) -> Server:
    log = directory / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.sso.serve", kind, str(directory / "db.sqlite3")],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + START_TIMEOUT
    port = None
    while port is None:
        for line in log.read_text().splitlines():
            if line.startswith("READY "):
                port = int(line.split()[1])
        if port is None:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"The test {kind} server did not start:\n{log.read_text()}")
            time.sleep(0.05)
    server = Server(base=f"http://127.0.0.1:{port}", process=process, log=log)
    response = requests.get(server.base + ready_path, timeout=10)
    assert response.status_code == 200, f"{kind} server answered {response.status_code}:\n{log.read_text()}"
    return server


def _stop(server: Server) -> None:
    stop_processes(server.process, timeout=10)


@pytest.fixture(scope="session")
def cas_server(tmp_path_factory):
    """django-cas-server, the university's CAS: its base URL is `cas_server.base + "/cas/"`."""
    server = _start("cas", tmp_path_factory.mktemp("cas-server"), {}, "/cas/login")
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def oidc_server(tmp_path_factory):
    """django-oauth-toolkit as an OpenID provider, signing with an RSA key made here; `.issuer` is what its
    discovery document names."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    server = _start(
        "oidc",
        tmp_path_factory.mktemp("oidc-server"),
        {"SSO_TEST_RSA_KEY": pem},
        "/o/.well-known/openid-configuration",
    )
    server.issuer = requests.get(server.base + "/o/.well-known/openid-configuration", timeout=10).json()[
        "issuer"
    ]
    yield server
    _stop(server)


@pytest.fixture
def cas_configured(settings, cas_server):
    """The portal set up as PORTAL_CAS_SERVER_URL and PORTAL_CAS_NAME would set it."""
    settings.CAS_SERVER_URL = cas_server.base + "/cas/"
    settings.PORTAL_CAS_NAME = CAS_NAME
    return cas_server


@pytest.fixture
def oidc_configured(settings, oidc_server):
    """The portal set up as the PORTAL_OIDC_* variables would set it."""
    settings.PORTAL_OIDC_ISSUER = oidc_server.issuer
    settings.OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
    settings.PORTAL_OIDC_NAME = OIDC_NAME
    return oidc_server


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") in ("hidden", None, "text"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def form_fields(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def cas_sign_in(server: Server, login_url: str, username: str, password: str = PASSWORD) -> str:
    """Sign in at the CAS server's login page (where the portal sent the browser, with its service URL) as
    a browser would, and return where CAS sends the browser back: the service URL with a fresh ticket."""
    session = requests.Session()
    form = session.get(login_url, timeout=10)
    fields = {**form_fields(form.text), "username": username, "password": password}
    answer = session.post(login_url, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, (
        f"CAS did not sign {username} in: {answer.status_code} {answer.text[:500]}"
    )
    return answer.headers["Location"]


def oidc_sign_in(server: Server, authorize_url: str, username: str, password: str = PASSWORD) -> str:
    """Sign in at the provider and follow the portal's authorization request; return where the provider
    sends the browser back (the portal's callback with a code)."""
    session = requests.Session()
    login = server.base + "/login/"
    form = session.get(login, timeout=10)
    fields = {**form_fields(form.text), "username": username, "password": password}
    answer = session.post(login, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, f"The provider did not sign {username} in: {answer.text[:500]}"
    back = session.get(authorize_url, allow_redirects=False, timeout=10)
    assert back.status_code == 302, (
        f"The provider refused the authorization: {back.status_code} {back.text[:500]}"
    )
    return back.headers["Location"]


def local(url: str) -> str:
    """A portal URL as the Django test client takes it: path and query."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
