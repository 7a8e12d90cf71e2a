"""Every page of every role, at desktop and phone size: no console error, no WCAG 2.1 A/AA violation that
axe-core finds, and a screenshot a reviewer can look at (tests/browser/screenshots/pages/, git-ignored).

The page list is written per role: what that person opens from the navigation and the pages it links to.
"""

import json
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from courses.models import Assignment, Course, Section
from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser

AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _pages(role: str) -> list[tuple[str, str]]:
    """(label, path) of the pages `role` opens in the demo course."""
    course = Course.objects.get(code="CS 4644 / CS 7643-A")
    ps1 = Assignment.objects.get(course=course, code="PS1")
    section = Section.objects.get(course=course, code="CS 4644")
    student = [
        ("home", reverse("home")),
        ("deadlines", reverse("my-deadlines")),
        ("grades", reverse("my-grades")),
        ("join", reverse("join")),
        ("course-info", reverse("course-info", args=[course.id])),
        ("teams", reverse("teams", args=[course.id])),
        ("account", reverse("account")),
        ("not-found", "/no-such-page/"),
    ]
    staff = [
        ("home", reverse("home")),
        ("staff-course", reverse("staff-course", args=[course.id])),
        ("roster", reverse("roster", args=[course.id])),
        ("regrade-queue", reverse("regrade-queue")),
        ("grade-grid", reverse("grade-grid", args=[ps1.id])),
        ("outline", reverse("assignment-outline", args=[ps1.id])),
        ("submissions", reverse("assignment-overview", args=[ps1.id])),
        ("teams", reverse("teams", args=[course.id])),
        ("course-info", reverse("course-info", args=[course.id])),
        ("account", reverse("account")),
    ]
    instructor = [
        *staff,
        ("exports", reverse("grade-exports", args=[course.id])),
        ("statistics", reverse("course-statistics", args=[course.id])),
        ("extensions", reverse("course-extensions", args=[course.id])),
    ]
    return {
        "ug1": student,
        "wait1": [p for p in student if p[0] in ("home", "deadlines", "join", "course-info", "account")],
        "ta1": staff,
        "instructor": instructor,
        "signed-out": [
            ("sign-in", reverse("login")),
            ("password-reset", reverse("password_reset")),
            ("not-found", f"/courses/{course.id}/roster/?section={section.id}"),
        ],
    }[role]


@pytest.fixture
def viewport(request):
    return SIZES[request.param]


# The outermost elements that stick out past the window's right edge (inside a scrolling box is fine).
WIDEST = """() => {
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().replace(/ +/g, ".") : "");
  const inScroller = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p).overflowX; if (s === "auto" || s === "scroll" || s === "hidden") return true; } return false; };
  return [...document.body.querySelectorAll("*")]
    .filter(el => el.getBoundingClientRect().right > innerWidth + 1 && !inScroller(el))
    .slice(0, 5).map(name);
}"""


def _axe(page) -> list[dict]:
    page.evaluate(AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return result["violations"]


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(targets)}")
    return "; ".join(lines)


@pytest.mark.parametrize("viewport", list(SIZES), indirect=True)
@pytest.mark.parametrize("role", ["ug1", "wait1", "ta1", "instructor", "signed-out"])
def test_every_page_is_accessible_and_photographed(page, live_server, demo, role, viewport):
    size = "phone" if viewport["width"] < 500 else "desktop"
    if role != "signed-out":
        login(page, live_server, role)
    folder = SCREENSHOTS / "pages" / size
    folder.mkdir(parents=True, exist_ok=True)
    problems = {}
    for label, path in _pages(role):
        if label == "not-found":
            page.expected_error_urls.add(f"{live_server.url}{path}")
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        expected = 404 if label == "not-found" else 200
        if role == "signed-out" and label == "not-found":
            expected = 200  # a signed-out visitor is sent to the sign-in page
        assert response.status == expected, f"{role} {label} {path}: {response.status}"
        expect(page.locator("main")).to_be_visible()
        page.screenshot(path=str(folder / f"{role}-{label}.png"), full_page=True)
        violations = _axe(page)
        if violations:
            problems[f"{label} ({path})"] = _describe(violations)
        # Nothing sticks out sideways on a phone: the page scrolls only up and down.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            problems[f"{label} ({path}) width"] = f"{overflow}px wider than the {size} window: " + ", ".join(
                page.evaluate(WIDEST)
            )
    assert not problems, f"{role} at {size}:\n" + json.dumps(problems, indent=1)
