"""portal.fragments: the row cache of My deadlines keys rows by the portal's source too, and a cache that
cannot be reached costs a rendering, never the page."""

from django.core.cache import caches
from django.urls import reverse

from portal import fragments
from tests.courses.helpers import MINUTE, at, deadline_row_codes
from tests.factories import eastern


def test_a_change_to_any_template_or_module_gives_every_row_a_new_key(tmp_path, settings):
    for folder in ("courses", "grading", "portal", "templates"):
        (tmp_path / folder).mkdir()
    page = tmp_path / "templates" / "row.html"
    page.write_text("<li>{{ row }}</li>")
    (tmp_path / "portal" / "urls.py").write_text("urlpatterns = []\n")
    settings.BASE_DIR = tmp_path
    try:
        fragments.code_version.cache_clear()
        before = fragments.row_key("row.html", ("HW1", 1))
        fragments.code_version.cache_clear()
        assert fragments.row_key("row.html", ("HW1", 1)) == before  # the same source, the same key
        page.write_text("<li class='row'>{{ row }}</li>")
        fragments.code_version.cache_clear()
        after_template = fragments.row_key("row.html", ("HW1", 1))
        (tmp_path / "portal" / "urls.py").write_text("urlpatterns = ['moved']\n")
        fragments.code_version.cache_clear()
        after_urls = fragments.row_key("row.html", ("HW1", 1))
    finally:
        fragments.code_version.cache_clear()
    assert len({before, after_template, after_urls}) == 3
    assert fragments.row_key("row.html", ("HW1", 2)) != fragments.row_key("row.html", ("HW1", 1))


def test_my_deadlines_renders_every_row_when_the_cache_cannot_be_reached(world, client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    backend = caches["default"]
    for name in ("get", "get_many", "set_many"):
        monkeypatch.setattr(backend, name, unreachable)
    client.force_login(world.ug1)
    with at(eastern(2023, 2, 12) - MINUTE):
        response = client.get(reverse("my-deadlines"))
    assert response.status_code == 200
    html = response.content.decode()
    assert set(deadline_row_codes(html)) >= {"PS0", "HW1"}
    assert fragments.CSRF_PLACEHOLDER not in html
    assert 'name="csrfmiddlewaretoken"' in html
