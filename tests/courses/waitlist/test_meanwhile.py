"""What a waitlisted student is told to do meanwhile (issue 14, Student) follows their own PS0/HW0
windows: "do PS0 now" only while PS0 is open; once it closed unsubmitted, they are told so, as their
deadlines say, and not asked to do something they can no longer hand in."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.courses.waitlist.helpers import join, open_term_for_joining, submit_prep
from tests.factories import UserFactory, eastern
from tests.helpers import at

PS0_DUE = eastern(2023, 1, 15)  # Sun Jan 15 2023 11:59 pm EST, no grace period


@pytest.fixture
def waiting(world, api):
    open_term_for_joining(world.course)
    world.gr_section.capacity = 1
    world.gr_section.save(update_fields=["capacity"])
    user = UserFactory(username="w1")
    with at(eastern(2023, 1, 10, 9, 0)):
        assert join(api, user, world.gr_section).status_code == 201
    return user


def meanwhile(client, user, when) -> str:
    client.force_login(user)
    with at(when):
        html = client.get(reverse("join")).content.decode()
    found = re.search(r"<p data-meanwhile>(.*?)</p>", html, re.S)
    assert found, "no Meanwhile line"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_while_ps0_is_open_the_student_is_asked_to_do_it(world, waiting, client):
    text = meanwhile(client, waiting, PS0_DUE - timedelta(days=2))
    assert "do PS0 (due Sun Jan 15, 11:59 pm EST) now, and come to the first classes." in text


def test_after_ps0_closed_unsubmitted_the_student_is_told_so(world, waiting, client):
    text = meanwhile(client, waiting, eastern(2023, 1, 20, 12, 0))
    assert "do PS0" not in text
    assert "come to the first classes." in text
    assert (
        "PS0 closed Sun Jan 15, 11:59 pm EST and can no longer be submitted; it does not count toward the grade."
        in text
    )


def test_a_student_who_handed_it_in_is_told_that(world, waiting, client):
    submit_prep(waiting, world.course.assignments.get(code="PS0"))
    world.recompute()
    text = meanwhile(client, waiting, eastern(2023, 1, 20, 12, 0))
    assert "You have handed in PS0." in text
    assert "closed" not in text
