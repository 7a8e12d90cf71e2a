"""Single sign-on in a real browser against the real servers the tests start (tests/sso/servers.py): the
university's CAS (django-cas-server) and an OpenID provider (django-oauth-toolkit), each a process of its
own; the portal is the live server on localhost, the servers on 127.0.0.1 (so no cookie is shared)."""

from playwright.sync_api import expect

from tests.sso.common import PASSWORD
from tests.sso.servers import CAS_NAME, OIDC_NAME


def _through_cas(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {CAS_NAME}").click()
    expect(page.get_by_role("heading", name="University sign-in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in to the university").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/")


def _through_oidc(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {OIDC_NAME}").click()
    expect(page.get_by_role("heading", name="University account")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue with the university").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/")


def _sees_their_deadlines(page, live_server):
    page.get_by_role("link", name="My deadlines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My deadlines")
    expect(page.locator("#a-PS1")).to_have_attribute("data-status", "grace")


def _sees_no_course(page):
    expect(page.locator("[data-no-course]")).to_contain_text("ask your instructor")
    expect(page.locator("[data-no-course]")).to_contain_text("newstudent")
    expect(page.get_by_role("link", name="My deadlines")).to_have_count(0)
    expect(page.get_by_role("link", name="Regrade queue")).to_have_count(0)


def test_ug1_signs_in_through_cas_sees_deadlines_and_signs_out_of_both(
    page, live_server, demo, cas_configured
):
    _through_cas(page, live_server, "ug1")
    _sees_their_deadlines(page, live_server)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out")
    page.get_by_role("button", name=f"Sign out of {CAS_NAME} too").click()
    # CAS ends its session and sends the browser back to the portal's sign-in page.
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    # Both sessions are over: the portal asks again, and so does CAS.
    page.goto(f"{live_server.url}/deadlines/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/deadlines/")
    page.get_by_role("button", name=f"Sign in with {CAS_NAME}").click()
    expect(page.get_by_label("Password")).to_be_visible()


def test_an_unknown_cas_user_sees_no_course_and_is_told_to_ask(page, live_server, demo, cas_configured):
    _through_cas(page, live_server, "newstudent")
    _sees_no_course(page)


def test_a_ta_through_cas_works_the_regrade_queue(page, live_server, demo, cas_configured):
    _through_cas(page, live_server, "ta1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Regrade queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regrade queue")


def test_ug1_signs_in_through_openid_connect_and_signs_out(page, live_server, demo, oidc_configured):
    _through_oidc(page, live_server, "ug1")
    _sees_their_deadlines(page, live_server)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out")
    page.get_by_role("button", name=f"Sign out of {OIDC_NAME} too").click()
    # The provider signs out and sends the browser back to the portal's sign-in page.
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {OIDC_NAME}").click()
    expect(page.get_by_role("heading", name="University account")).to_be_visible()


def test_an_unknown_openid_connect_user_sees_no_course(page, live_server, demo, oidc_configured):
    _through_oidc(page, live_server, "newstudent")
    _sees_no_course(page)
