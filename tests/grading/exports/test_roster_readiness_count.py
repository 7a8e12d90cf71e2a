"""The roster's "N students may not be prepared" line, in the Enrolled students section, counts the
students its "Show only them" list shows: the enrolled ones (it counted waitlisted students too)."""

import re

import pytest
from django.urls import reverse

from courses.models import Enrolment
from tests.factories import UserFactory
from tests.grading.exports.conftest import enter

pytestmark = pytest.mark.django_db


def test_the_flagged_count_matches_the_flagged_list(scheme, api, client, enrol):
    w = scheme.world
    waiting = UserFactory(username="wait1")
    enrol(waiting, w.ug_section, status=Enrolment.Status.WAITLISTED)
    enter(api, w.ta, scheme.ps0, waiting, {"Q1": 20, "Q2": 20})  # 40%: may not be prepared
    enter(api, w.ta, scheme.ps0, w.ug1, {"Q1": 30, "Q2": 30})  # 60%: may not be prepared
    enter(api, w.ta, scheme.ps0, w.ug2, {"Q1": 50, "Q2": 50})

    client.force_login(w.instructor)
    html = client.get(reverse("roster", args=[scheme.course.id]), {"readiness": "flagged"}).content.decode()
    listed = re.findall(r'<tr data-student="([^"]+)"', html)
    count = int(re.search(r"<p>(\d+) students? may not be prepared", html).group(1))
    assert listed == ["ug1"]
    assert count == len(listed), (count, listed)
