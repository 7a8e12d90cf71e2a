"""The Django admin is not a second write path: models that have a service are read-only there, and a
section's seats change only through the section service (which promotes from the waitlist and audits)."""

import pytest
from django.urls import reverse

from courses.models import Enrolment, Section


@pytest.fixture
def root(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "model",
    [
        "courses_assignment",
        "courses_enrolment",
        "courses_extension",
        "courses_submission",
        "grading_question",
        "grading_grade",
        "grading_graderelease",
        "grading_regraderequest",
    ],
)
def test_models_with_a_service_cannot_be_added_in_the_admin(client, root, world, model):
    client.force_login(root)
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200  # looking is fine
    assert client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_an_enrolment_cannot_be_changed_in_the_admin(client, root, world):
    client.force_login(root)
    enrolment = Enrolment.objects.get(user=world.ug1)
    url = reverse("admin:courses_enrolment_change", args=[enrolment.id])
    page = client.get(url)
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()  # view only
    client.post(url, {"status": "dropped", "section": world.gr_section.id, "user": world.ug1.id})
    assert Enrolment.objects.get(pk=enrolment.pk).status == "enrolled"


def test_a_sections_capacity_is_read_only_in_the_admin(client, root, world):
    client.force_login(root)
    section = world.ug_section
    page = client.get(reverse("admin:courses_section_change", args=[section.id])).content.decode()
    assert 'name="code"' in page  # setup fields stay editable until the portal's setup pages exist
    assert 'name="capacity"' not in page and 'name="room_capacity"' not in page
    before = (section.capacity, section.room_capacity)
    client.post(
        reverse("admin:courses_section_change", args=[section.id]),
        {
            "course": section.course_id,
            "code": section.code,
            "level": section.level,
            "delivery": section.delivery,
            "capacity": 999,
            "room_capacity": 999,
        },
    )
    section.refresh_from_db()
    assert (section.capacity, section.room_capacity) == before
    assert Section.objects.filter(capacity=999).count() == 0
