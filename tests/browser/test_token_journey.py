"""API tokens on the account page, in a real browser: make one (its key shown once), see it listed, use it,
revoke it."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import FACTORY_PASSWORD, login


def test_make_use_and_revoke_a_token_on_the_account_page(page, live_server, world):
    login(page, live_server, world.ug1.username, FACTORY_PASSWORD)
    page.goto(f"{live_server.url}{reverse('account')}")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    page.get_by_label("New token for (a program or device)").fill("Colab notebook")
    page.get_by_role("button", name="Make a token").click()
    shown = page.get_by_label("Your new token")
    expect(shown).to_be_visible()
    key = shown.input_value()
    assert len(key) > 30
    me = page.request.get(f"{live_server.url}{reverse('api-me')}", headers={"Authorization": f"Token {key}"})
    assert me.status == 200 and me.json()["username"] == world.ug1.username

    page.reload()
    row = page.locator("tr", has_text="Colab notebook")
    expect(row).to_be_visible()
    expect(row).to_contain_text(key[:8])
    assert key not in page.content()  # shown once, never again

    row.get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    refused = page.request.get(
        f"{live_server.url}{reverse('api-me')}", headers={"Authorization": f"Token {key}"}
    )
    assert refused.status == 401
