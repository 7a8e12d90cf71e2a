"""Browser journeys: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
pytest-django's `live_server`.

Data must be committed for the server thread to see it, so every fixture here builds on
`transactional_db`.
"""

import contextlib
import io
import os
import re
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an event loop in the main thread; Django refuses ORM calls from a thread
# with a running loop unless told it is safe (it is: the loop is Playwright's, not ours).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Assertions wait up to 10 s (Playwright's default is 5 s): the live server shares a busy CI machine.
expect.set_options(timeout=10_000)
DEMO_PASSWORD = "portal-demo"  # seed_demo's accounts
FACTORY_PASSWORD = "pw-portal-test"  # tests/factories.py's accounts


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (`item.rep_setup`, `item.rep_call`) for fixtures to read."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


def _is_favicon(message) -> bool:
    location = getattr(message, "location", None) or {}
    return "favicon" in (location.get("url") or "") or "favicon" in message.text


@pytest.fixture
def viewport():
    """Override in a test module (or with indirect parametrisation) to change the window size."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, viewport, request):
    """A fresh context per test. Console errors and uncaught page errors fail the test."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    # A test that opens an error page on purpose lists its address here: the browser logs the document's
    # 404 as a console error, which is then expected.
    page.expected_error_urls = set()
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console error: {msg.text} ({(msg.location or {}).get('url', '')})")
            if msg.type == "error"
            and not _is_favicon(msg)
            and (msg.location or {}).get("url") not in page.expected_error_urls
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        yield page
    finally:
        failed = any(
            getattr(request.node, f"rep_{when}", None) is not None
            and getattr(request.node, f"rep_{when}").failed
            for when in ("setup", "call")
        )
        if failed or problems:
            SCREENSHOTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            with contextlib.suppress(Exception):  # a crashed page must not hide the original failure
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


def login(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form and wait until the portal has let us in."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # On a phone the Sign out button is folded into the Menu: present is enough.
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_have_count(1)


@pytest.fixture(scope="session")
def _demo_snapshot(tmp_path_factory) -> Path:
    """Where the first `demo` of the session leaves a dump of what seed_demo built."""
    return tmp_path_factory.mktemp("demo") / "seed_demo.json"


def _stamps_itself(model) -> bool:
    """bulk_create would overwrite auto_now / auto_now_add fields with the time of loading."""
    return any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in model._meta.fields)


def _load_snapshot(path: Path) -> None:
    """Insert a `dumpdata` file exactly as dumped, with one bulk insert per model where that keeps every
    value (several times faster than `loaddata`), then move PostgreSQL's id sequences past the ids."""
    by_model: dict = {}
    for item in serializers.deserialize("json", path.read_text()):
        by_model.setdefault(type(item.object), []).append(item)
    with transaction.atomic():  # foreign keys are checked once, at commit
        for model, items in by_model.items():  # dumpdata wrote models in dependency order
            if _stamps_itself(model):
                for item in items:
                    item.save()  # a raw save, like loaddata's: stored times stay as dumped
                continue
            model.objects.bulk_create([item.object for item in items])
            for item in items:
                for name, ids in item.m2m_data.items():
                    if ids:
                        getattr(item.object, name).set(ids)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(by_model)):
                cursor.execute(sql)


@pytest.fixture
def demo(transactional_db, _demo_snapshot):
    """The real demo course from `seed_demo --relative`: today is in week 5, so PS1 is in its grace
    period, HW1 is upcoming and PS0/HW0 are closed. Accounts ug1, gr1, ta1, instructor, wait1… use
    DEMO_PASSWORD.

    `transactional_db` empties the database after every test. The first test runs the command (several
    seconds: it also enters and releases grades through the services) and dumps the result; later tests
    insert that dump: the same rows in a fraction of the time.
    """
    if _demo_snapshot.exists():
        _load_snapshot(_demo_snapshot)
        return
    call_command("seed_demo", "--relative", stdout=io.StringIO())
    call_command(
        "dumpdata",
        *("--exclude", "contenttypes", "--exclude", "auth.permission"),
        *("--exclude", "sessions", "--exclude", "admin.logentry"),
        output=str(_demo_snapshot),
        verbosity=0,
    )


# The real CAS server and OpenID provider (tests/sso/servers.py) for the single sign-on journeys.
from tests.sso.servers import cas_configured, cas_server, oidc_configured, oidc_server  # noqa: E402, F401
