"""The collaborator declaration is one rule (courses/services/submissions.py): usernames, or "I worked
alone"; both at once contradict each other and are refused with a message, whether a program sends JSON,
the page's form sends its fields, or a script calls the service."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import AuditEvent, Submission
from courses.services.submissions import submission_create
from portal.errors import PortalError
from tests.courses.helpers import MINUTE, at, snapshot, upload
from tests.factories import eastern
from tests.helpers import error_of

HW1_DUE = eastern(2023, 2, 12)


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


def post(api, user, assignment, data, fmt):
    url = reverse("api-assignment-submissions", args=[assignment.id])
    with at(HW1_DUE - MINUTE):
        return api.as_user(user).post(url, data, format=fmt)


@pytest.mark.parametrize(
    "collaborators",
    ["ug2", "ug2, gr1", ["ug2", "gr1"]],  # the page's text field, or repeated fields from a program
    ids=["one", "comma-separated", "repeated"],
)
@pytest.mark.parametrize("ticked", ["true", "on"])
def test_worked_alone_with_collaborators_is_refused(world, api, hw1, collaborators, ticked):
    before = snapshot(hw1)
    data = {
        "file": upload(),
        "collaborators": collaborators,
        "collaborators_none": ticked,
        "honor_statement_accepted": "true",
    }
    body = error_of(post(api, world.ug1, hw1, data, "multipart"), 400)
    assert body["code"] == "contradictory_declaration"
    assert "I worked alone" in body["detail"] and "ug2" in body["detail"]
    assert "Untick" in body["detail"]  # says what to do
    assert set(body["fields"]) == {"collaborators", "collaborators_none"}
    assert not Submission.objects.exists()
    assert snapshot(hw1) == before
    assert not AuditEvent.objects.filter(action="submission.create").exists()


def test_worked_alone_with_a_blank_collaborator_field_is_accepted(world, api, hw1):
    data = {"collaborators": "", "collaborators_none": "true", "honor_statement_accepted": "true"}
    response = post(api, world.ug1, hw1, {**data, "file": upload()}, "multipart")
    assert response.status_code == 201, response.content
    assert response.json()["collaborators"] == []


def test_the_service_holds_the_rule(world, hw1):
    with at(HW1_DUE - MINUTE), pytest.raises(PortalError) as refused:
        submission_create(
            acting_user=world.ug1,
            assignment_id=hw1.id,
            file=SimpleUploadedFile("a.pdf", b"%PDF"),
            collaborators=["ug2"],
            worked_alone=True,
            honor_statement_accepted=True,
        )
    assert refused.value.code == "contradictory_declaration"
    assert not Submission.objects.exists()
