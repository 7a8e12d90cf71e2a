"""A student's deadline lists follow their own due times (issue 13, item 3): an extension that moves HW2
past PROPOSAL puts HW2 after PROPOSAL on the home page's "Due next", on My deadlines and in
GET /api/v1/me/deadlines/; classmates without it keep the class's order."""

import re

import pytest
from django.urls import reverse

from courses.models import Assignment
from courses.services.extensions import extension_grant
from tests.courses.helpers import at
from tests.factories import AssignmentFactory, eastern

TODAY = eastern(2023, 2, 20, 12, 0)  # HW1 is closed; HW2 and PROPOSAL are open


@pytest.fixture
def extended(world, request, django_capture_on_commit_callbacks):
    """HW2 due Sun Feb 26, PROPOSAL due Sun Mar 5; ug1's HW2 extended to Fri Mar 10. With `stale`, the
    recompute after the grant has not run yet (the stored row is old: the read computes the window)."""
    hw2 = AssignmentFactory(course=world.course, code="HW2", due_at=eastern(2023, 2, 26))
    AssignmentFactory(
        course=world.course,
        code="PROPOSAL",
        title="Project proposal",
        category=Assignment.Category.PROPOSAL,
        due_at=eastern(2023, 3, 5),
    )
    world.recompute()
    with django_capture_on_commit_callbacks(execute=request.param == "stored"):
        extension_grant(
            acting_user=world.instructor,
            student_username="ug1",
            assignment_id=hw2.id,
            due_at=eastern(2023, 3, 10),
            dean_reference="DOS-2023-0311",
        )
    return world


BOTH = pytest.mark.parametrize("extended", ["stored", "stale"], indirect=True)


@BOTH
def test_the_api_lists_the_extended_assignment_at_its_new_place(extended, api):
    with at(TODAY):
        mine = api.as_user(extended.ug1).get(reverse("api-my-deadlines")).json()
        classmate = api.as_user(extended.ug2).get(reverse("api-my-deadlines")).json()
    assert [row["assignment"]["code"] for row in mine] == ["PS0", "HW1", "PROPOSAL", "HW2"]
    assert mine[-1]["due_at"] == mine[-1]["extension_due_at"] == "2023-03-10T23:59:00-05:00"
    assert [row["assignment"]["code"] for row in classmate] == ["PS0", "HW1", "HW2", "PROPOSAL"]


def row_codes(html: str) -> list[str]:
    """The assignment codes of My deadlines' rows (each has the anchor id "a-<code>"), in page order."""
    return re.findall(r'id="a-([^"]+)"', html)


def open_work(codes: list[str]) -> list[str]:
    """HW2 and PROPOSAL (both open today) in the order the page lists them."""
    return [code for code in codes if code in ("HW2", "PROPOSAL")]


@BOTH
def test_my_deadlines_page_follows_the_effective_due_times(extended, client):
    client.force_login(extended.ug1)
    with at(TODAY):
        html = client.get(reverse("my-deadlines")).content.decode()
    assert open_work(row_codes(html)) == ["PROPOSAL", "HW2"]
    assert set(row_codes(html)) == {"PS0", "HW1", "PROPOSAL", "HW2"}
    client.force_login(extended.ug2)
    with at(TODAY):
        html = client.get(reverse("my-deadlines")).content.decode()
    assert open_work(row_codes(html)) == ["HW2", "PROPOSAL"]


def due_next(response) -> list[str]:
    """The home page's "Due next", in its order."""
    assert response.status_code == 200
    return [row.assignment.code for row in response.context["upcoming"]]


@BOTH
def test_due_next_on_the_home_page_follows_the_effective_due_times(extended, client):
    client.force_login(extended.ug1)
    with at(TODAY):
        assert due_next(client.get(reverse("home"))) == ["PROPOSAL", "HW2"]
    client.force_login(extended.ug2)
    with at(TODAY):
        assert due_next(client.get(reverse("home"))) == ["HW2", "PROPOSAL"]
