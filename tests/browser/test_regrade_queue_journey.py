"""The TA's regrade queue and grade grid in headless Chromium (issue 14, TA part), on the demo course.

- The queue from the keyboard only: j/k move (with a visible focus ring), Enter/o open, c claims, a picks
  "accept" and moves to the score; typing in a field is not a shortcut; a refused answer's error goes
  away when the next attempt succeeds; the status names who claimed it, an accepted request shows its
  new score, and the student then sees their own words and no appeal offered for full marks.
- On a phone the folded filters leave the first request on the first screen; no filter menu is cut or
  offers "---------".
- The grade grid: every Save button in view at 1366 px; on a 390 px phone the page is no wider than the
  screen, the grid scrolls in its own box and the student column stays put.
No console errors (the `page` fixture checks).
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from courses.models import Assignment
from grading.models import GradeChange, QuestionScore, RegradeRequest
from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
RESPONSE = "Your chain rule derivation is right; full marks for Q2."


@pytest.fixture
def viewport(request):
    return getattr(request, "param", DESKTOP)


def ug1_ps0_q2() -> RegradeRequest:
    return RegradeRequest.objects.select_related("question", "grade").get(
        student__username="ug1", question__assignment__code="PS0", question__label="Q2", appeal_of=None
    )


def focused_request(page) -> str | None:
    return page.evaluate(
        "() => { const item = document.activeElement && document.activeElement.closest('[data-request]');"
        " return item ? item.dataset.request : null; }"
    )


def focus_ring_width(page) -> float:
    """The outline of the focused element, in px (0 when none is drawn)."""
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth); }"
    )


def shot(page, name: str) -> None:
    folder = SCREENSHOTS / "regrade-queue"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_ta_claims_and_accepts_a_request_with_the_keyboard_only(browser, page, live_server, demo):
    request = ug1_ps0_q2()
    points = request.question.points
    assert request.state == RegradeRequest.State.OPEN and request.old_score < points
    login(page, live_server, "ta1")
    page.goto(f"{live_server.url}{reverse('regrade-queue')}")
    ids = page.locator(".queue [data-request]").evaluate_all("items => items.map(i => i.dataset.request)")
    assert str(request.id) in ids and len(ids) >= 2
    item = page.locator(f'[data-request="{request.id}"]')
    details = item.locator("details")

    # The help is on the page.
    expect(page.get_by_text("Keyboard shortcuts")).to_be_visible()

    # j/k move from request to request, with a visible focus ring.
    page.keyboard.press("j")
    assert focused_request(page) == ids[0]
    assert focus_ring_width(page) >= 2
    page.keyboard.press("j")
    assert focused_request(page) == ids[1]
    page.keyboard.press("k")
    assert focused_request(page) == ids[0]
    for _ in range(ids.index(str(request.id))):
        page.keyboard.press("j")
    assert focused_request(page) == str(request.id)

    # Enter opens the request in place (the case and the answer side by side), o closes it.
    expect(details).not_to_have_attribute("open", "")
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    expect(item.locator("[data-justification]")).to_have_text(request.justification)
    expect(item.locator("[data-score]")).to_contain_text(f"Score now {request.old_score} / {points}")
    expect(item.get_by_role("link", name="The submission: PS0.txt")).to_be_visible()
    case, answer = item.locator(".queue-case"), item.locator(".queue-actions")
    assert case.bounding_box()["x"] + case.bounding_box()["width"] <= answer.bounding_box()["x"] + 1
    shot(page, "opened-desktop")
    page.keyboard.press("o")
    expect(details).not_to_have_attribute("open", "")

    # c claims; the page reloads with the same request in hand.
    with page.expect_navigation():
        page.keyboard.press("c")
    item = page.locator(f'[data-request="{request.id}"]')
    expect(item.locator("[data-state]")).to_have_text("Claimed by ta1")
    expect(item.get_by_role("button", name="Claim")).to_have_count(0)
    page.wait_for_function(
        f"() => document.activeElement.closest('[data-request=\"{request.id}\"]') !== null"
    )

    # a: "accept" picked, the score field focused; nothing is sent yet.
    form = item.locator("form[data-resolve]")
    page.keyboard.press("a")
    expect(form.get_by_label("Accept and change the score")).to_be_checked()
    expect(form.get_by_label("New score")).to_be_focused()
    assert RegradeRequest.objects.get(pk=request.id).state == RegradeRequest.State.CLAIMED

    # Leave the score empty: the portal refuses and says why (the browser logs the expected 400).
    page.expected_error_urls.add(f"{live_server.url}{reverse('api-regrade-resolve', args=[request.id])}")
    page.keyboard.press("Tab")
    expect(form.get_by_label("Response to the student")).to_be_focused()
    page.keyboard.type(RESPONSE)  # has j, k, a, r and c in it: typing is not a shortcut
    expect(form.get_by_label("Response to the student")).to_have_value(RESPONSE)
    expect(form.get_by_label("Response to the student")).to_be_focused()
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Resolve")).to_be_focused()
    page.keyboard.press("Enter")
    error = form.locator("[data-errors]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("An accepted request needs the new score.")

    # a again (from the error message) goes back to the score; full marks this time.
    page.keyboard.press("a")
    expect(form.get_by_label("New score")).to_be_focused()
    page.keyboard.type(str(points))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Resolve")).to_be_focused()
    handle = form.element_handle()
    with page.expect_navigation():
        page.keyboard.press("Enter")
        # The success is never shown beside the earlier error.
        page.wait_for_function(
            "form => !form.querySelector('[data-success]').hidden"
            " && form.querySelector('[data-errors]').hidden",
            arg=handle,
        )

    request.refresh_from_db()
    assert request.state == RegradeRequest.State.ACCEPTED
    assert (request.resolved_by.username, request.new_score, request.response) == ("ta1", points, RESPONSE)
    assert QuestionScore.objects.get(grade=request.grade, question=request.question).score == points
    assert GradeChange.objects.filter(grade=request.grade, source=GradeChange.Source.REGRADE).count() == 1

    # The answered request: who answered, and the new score (not the one it was asked about).
    page.goto(f"{live_server.url}{reverse('regrade-queue')}?state=accepted")
    item = page.locator(f'[data-request="{request.id}"]')
    expect(item.locator("[data-state]")).to_have_text("Accepted by ta1")
    item.locator("summary").click()
    expect(item.locator("[data-score]")).to_have_text(
        f"Score now {points} / {points} (was {request.old_score} when asked)"
    )
    expect(item.locator("[data-response]")).to_have_text(RESPONSE)

    # The student sees their own words, the answer, and no appeal offered for full marks.
    context = browser.new_context(viewport=DESKTOP)
    try:
        student = context.new_page()
        login(student, live_server, "ug1")
        student.goto(f"{live_server.url}{reverse('my-grades')}")
        mine = student.locator(f'li[data-request="{request.id}"]')
        expect(mine.locator("[data-justification]")).to_have_text(request.justification)
        expect(mine.locator("[data-response]")).to_have_text(RESPONSE)
        expect(mine.get_by_text("Appeal to the instructor")).to_have_count(0)
    finally:
        context.close()


FILTERS_CUT = """() => [...document.querySelectorAll("form[aria-label='Filter the queue'] select")].flatMap(select => {
  const style = getComputedStyle(select);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = style.font;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [...select.options].filter(o => ctx.measureText(o.text).width > room + 1)
    .map(o => select.name + ": " + o.text);
})"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_the_filters_are_folded_whole_and_leave_the_queue_in_view(page, live_server, demo, viewport):
    login(page, live_server, "ta1")
    page.goto(f"{live_server.url}{reverse('regrade-queue')}")
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(filters.locator("summary")).to_contain_text("Open or claimed")
    first = page.locator(".queue [data-request] summary").first
    box = first.bounding_box()
    assert box["y"] + box["height"] <= viewport["height"], "the first request is on the first screen"
    shot(page, f"queue-{'phone' if viewport['width'] < 500 else 'desktop'}")

    filters.locator("summary").click()
    state = page.get_by_label("State")
    expect(state).to_be_visible()
    assert page.locator("form[aria-label='Filter the queue'] option", has_text="---------").count() == 0
    assert page.evaluate(FILTERS_CUT) == [], "a filter menu cuts its choices"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1

    # Narrowed, the summary says to what, and the queue follows.
    state.select_option(label="Claimed")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("details.filters summary")).to_contain_text("Claimed")
    expect(page.locator(".queue [data-state]")).to_have_text(["Claimed by ta1"])


def grid_url(live_server) -> str:
    ps1 = Assignment.objects.get(course__code="CS 4644 / CS 7643-A", code="PS1")
    return f"{live_server.url}{reverse('grade-grid', args=[ps1.id])}"


def test_every_save_button_of_the_grade_grid_is_in_view_on_a_laptop(page, live_server, demo):
    login(page, live_server, "ta1")
    page.goto(grid_url(live_server))
    wrap = page.locator(".table-wrap").bounding_box()
    saves = page.locator("table.grade-grid").get_by_role("button", name="Save")
    assert saves.count() > 10
    for box in saves.evaluate_all("buttons => buttons.map(b => b.getBoundingClientRect().toJSON())"):
        assert wrap["x"] <= box["x"] and box["x"] + box["width"] <= wrap["x"] + wrap["width"] + 0.5, box
    assert (
        page.evaluate(
            "(() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; })()"
        )
        <= 1
    )
    shot(page, "grade-grid-desktop")


@pytest.mark.parametrize("viewport", [PHONE], indirect=True, ids=["phone"])
def test_the_grade_grid_fits_a_phone_and_keeps_the_student_in_view(page, live_server, demo, viewport):
    login(page, live_server, "ta1")
    page.goto(grid_url(live_server))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    wrap = page.locator(".table-wrap")
    expect(wrap).to_have_attribute("role", "region")  # it scrolls: a labelled, focusable region
    row = page.locator("table.grade-grid tbody tr").first
    student, save = row.locator("th.student"), row.get_by_role("button", name="Save")
    before = student.bounding_box()["x"]
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    page.wait_for_function("() => document.querySelector('.table-wrap').scrollLeft > 0")
    assert abs(student.bounding_box()["x"] - before) < 1, "the student column stays put"
    box, area = save.bounding_box(), wrap.bounding_box()
    assert box["x"] + box["width"] <= area["x"] + area["width"] + 0.5
    shot(page, "grade-grid-phone")

    # Entering a score still works at this size: the row saves.
    username = row.get_attribute("data-student")
    row.locator("input[type=number]").first.fill("20")
    save.click()
    expect(row.locator("[data-success]")).to_have_text("Saved")
    assert QuestionScore.objects.filter(grade__student__username=username, score=Decimal(20)).exists()
