"""A student who dropped still sees their released grades, counted by their section's rules: a CS 4644
student's HW1, where Q4 is extra credit for 4644, stays 95 of 100 after the drop (it read 95 of 110: with
no active enrolment every question counted as required)."""

import pytest
from django.urls import reverse

from courses.models import Enrolment
from tests.grading.exports.conftest import enter, release, submit_on_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def hw1(scheme, api):
    w = scheme.world
    submit_on_time(api, w.ug1, scheme.hw1)
    enter(api, w.ta, scheme.hw1, w.ug1, {"Q1": 27, "Q2": 24, "Q3": 36, "Q4": 8})
    release(api, w.instructor, scheme.hw1)
    return scheme


def own_hw1(api, user):
    listed = api.as_user(user).get(reverse("api-grades")).json()["results"]
    grade = next(g for g in listed if g["assignment"]["code"] == "HW1")
    return grade["total"], grade["points_possible"]


def test_a_dropped_student_keeps_their_sections_points(hw1, api, client):
    w = hw1.world
    assert own_hw1(api, w.ug1) == ("95.00", "100.00")
    enrolment = Enrolment.objects.get(user=w.ug1, section=w.ug_section)
    response = api.as_user(w.instructor).post(
        reverse("api-enrolment-drop", args=[enrolment.id]), {}, format="json"
    )
    assert response.status_code in (200, 204), response.content
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.DROPPED

    # The same released grade, the same student: the API (student's own view) now says 95 of 110.
    assert own_hw1(api, w.ug1) == ("95.00", "100.00")
    client.force_login(w.ug1)
    html = client.get(reverse("my-grades")).content.decode()
    assert "95.00 / 100.00" in html
