"""A page a role may not open answers the portal's own 404 page, also in debug (`make run`), where Django
would otherwise list every URL pattern of the portal. API addresses keep the JSON error shape."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied

from tests.test_pages import links_of, text_of


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_an_unknown_address_is_the_styled_page(world, client, debug):
    client.force_login(world.ug1)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = text_of(response)
    assert "Page not found" in text
    assert "URLconf" not in text and "api/v1/" not in text  # no list of the portal's routes
    assert links_of(response)[reverse("home")] == "your home page"
    assert "My deadlines" in text  # the portal's own layout and navigation


def test_another_courses_staff_page_is_the_same_page(world, client, debug):
    """ug1 is a student: the staff page of their own course looks like one that does not exist."""
    client.force_login(world.ug1)
    response = client.get(reverse("staff-course", args=[world.course.id]))
    assert response.status_code == 404
    assert "Page not found" in text_of(response)
    assert "Traceback" not in text_of(response)


def test_signed_out_people_are_offered_the_sign_in(client, debug):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert links_of(response)[f"{reverse('login')}?next=/no-such-page/"] == "Sign in"


def test_the_api_keeps_its_error_shape(world, client, debug):
    client.force_login(world.ug1)
    response = client.get("/api/v1/no-such-route/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_security_headers_survive_in_debug(world, client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_403_page_says_what_to_do(world, rf: RequestFactory):
    request = rf.get("/somewhere/")
    request.user = world.ug1
    response = permission_denied(request, PermissionDenied("Only the course's instructors drop students."))
    assert response.status_code == 403
    text = text_of(response)
    assert "Only the course's instructors drop students." in text
    assert "ask the course's instructor" in text
