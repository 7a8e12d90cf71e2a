"""The Content-Security-Policy holds in a real browser: the pages and the Swagger UI run under it with no
violation (the `page` fixture also fails on any console error), and inline code is in fact refused."""

from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import FACTORY_PASSWORD, login

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def visit_all(page, live_server, paths):
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy, policy
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], path


def test_student_pages_and_api_docs_run_under_the_policy(page, live_server, world):
    page.add_init_script(COLLECT_VIOLATIONS)
    login(page, live_server, world.ug1.username, FACTORY_PASSWORD)
    visit_all(
        page,
        live_server,
        [
            reverse("home"),
            reverse("my-deadlines"),
            reverse("my-grades"),
            reverse("account"),
            reverse("join"),
            reverse("course-info", args=[world.course.id]),
        ],
    )
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "'nonce-" in response.headers["content-security-policy"]
    operation = page.get_by_text("/api/v1/me/deadlines/", exact=True)
    expect(operation).to_be_visible()
    operation.click()  # expand an operation: Swagger UI renders more of itself
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert page.evaluate("window.__csp") == []


def test_staff_pages_run_under_the_policy(page, live_server, world):
    page.add_init_script(COLLECT_VIOLATIONS)
    login(page, live_server, world.instructor.username, FACTORY_PASSWORD)
    hw1 = world.course.assignments.get(code="HW1")
    visit_all(
        page,
        live_server,
        [
            reverse("staff-course", args=[world.course.id]),
            reverse("roster", args=[world.course.id]),
            reverse("teams", args=[world.course.id]),
            reverse("grade-grid", args=[hw1.id]),
            reverse("regrade-queue"),
            reverse("grade-exports", args=[world.course.id]),
        ],
    )


def test_inline_script_is_refused(browser, live_server, db):
    """Outside the `page` fixture: the refusal is a console error, which is the point here."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(COLLECT_VIOLATIONS)
        page.goto(f"{live_server.url}/accounts/login/")
        page.evaluate(
            """() => { const s = document.createElement("script"); s.textContent = "window.__ran = true;";
                       document.body.appendChild(s);
                       document.body.setAttribute("style", "background: red"); }"""
        )
        page.wait_for_function("window.__csp.length >= 2")
        assert page.evaluate("window.__ran === undefined")
        violations = page.evaluate("window.__csp")
        assert any(v.startswith("script-src") for v in violations), violations
        assert any(v.startswith("style-src") for v in violations), violations
    finally:
        context.close()
