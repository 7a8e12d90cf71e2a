"""The main navigation: on a phone it folds behind a Menu button instead of wrapping to three rows, it
opens and closes from the keyboard, and the current page is marked (aria-current) at every size."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def viewport(request):
    return getattr(request, "param", PHONE)


def test_on_a_phone_the_menu_folds_and_opens_from_the_keyboard(page, live_server, demo):
    login(page, live_server, "instructor")
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert nav.bounding_box()["height"] < 90  # one row: the portal's name and the Menu button
    expect(nav.get_by_role("link", name="Regrade queue")).to_be_hidden()

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Regrade queue")).to_be_visible()
    expect(nav.get_by_role("link", name="Regrade queue")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()

    menu.click()
    nav.get_by_role("link", name="Regrade queue").click()
    expect(page).to_have_url(f"{live_server.url}/regrades/")
    page.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("link", name="Regrade queue")).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}], indirect=True)
def test_on_a_desktop_every_link_shows_and_the_current_page_is_marked(page, live_server, demo):
    login(page, live_server, "ug1")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
    nav.get_by_role("link", name="My deadlines").click()
    expect(nav.get_by_role("link", name="My deadlines")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="My grades")).not_to_have_attribute("aria-current", "page")
    assert nav.bounding_box()["height"] < 90
