"""The Django admin is not a second write path: models that have a service are read-only there (course
setup too, now that the portal has its own pages), and a section's seats change only through the section
service (which promotes from the waitlist and audits). It stays useful for looking things up: people by
name with their role, times in the course's zone with the offset."""

import pytest
from django.urls import reverse

from courses.models import Course, Enrolment, Section, StaffRole, Term


@pytest.fixture
def root(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "model",
    [
        "courses_term",
        "courses_course",
        "courses_section",
        "courses_staffrole",
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


@pytest.mark.filterwarnings("error::django.utils.deprecation.RemovedInDjango60Warning")
def test_course_setup_is_read_only_in_the_admin(client, root, world):
    """Terms, courses, sections and staff roles change on the setup pages (services: rules, audit,
    recomputed deadlines, promotions); the admin shows them without a field to change."""
    client.force_login(root)
    section = world.ug_section
    for name, obj, fields in [
        ("courses_term", world.course.term, ["name", "ends_on"]),
        ("courses_course", world.course, ["code", "time_zone", "late_policy", "grace_days"]),
        ("courses_section", section, ["code", "capacity", "room_capacity", "room"]),
        ("courses_staffrole", StaffRole.objects.get(user=world.ta), ["user", "role", "section"]),
    ]:
        page = client.get(reverse(f"admin:{name}_change", args=[obj.id]))
        assert page.status_code == 200
        html = page.content.decode()
        assert str(obj) in html  # looking is fine
        assert not [f for f in fields if f'name="{f}"' in html], name  # view only
        assert client.get(reverse(f"admin:{name}_delete", args=[obj.id])).status_code == 403
    before = (section.code, section.capacity, section.room_capacity)
    client.post(
        reverse("admin:courses_section_change", args=[section.id]),
        {
            "course": section.course_id,
            "code": "RENAMED",
            "level": section.level,
            "delivery": section.delivery,
            "capacity": 999,
            "room_capacity": 999,
        },
    )
    client.post(reverse("admin:courses_course_change", args=[world.course.id]), {"time_zone": "UTC"})
    client.post(reverse("admin:courses_term_delete", args=[world.course.term_id]), {"post": "yes"})
    section.refresh_from_db()
    assert (section.code, section.capacity, section.room_capacity) == before
    assert not Section.objects.filter(capacity=999).exists()
    assert Course.objects.get(pk=world.course.id).time_zone == "America/New_York"
    assert Term.objects.filter(pk=world.course.term_id).exists()


def test_the_admin_shows_people_by_name_and_role(client, root, world):
    world.ta.first_name, world.ta.last_name = "Tomás", "Assist"
    world.ta.save()
    client.force_login(root)

    roles = client.get(reverse("admin:courses_staffrole_changelist")).content.decode()
    assert "Tomás Assist (ta1)" in roles and "Teaching assistant" in roles

    users = client.get(reverse("admin:courses_user_changelist")).content.decode()
    assert "Teaching assistant of CS 4644 / CS 7643-A" in users
    assert "Student in CS 4644 (enrolled)" in users

    courses = client.get(reverse("admin:courses_course_changelist")).content.decode()
    assert f"{world.instructor.get_full_name()} (instructor)" in courses


def test_the_admin_shows_times_in_the_courses_zone_with_the_offset(client, root, world):
    Course.objects.filter(pk=world.course.pk).update(time_zone="America/Los_Angeles")
    client.force_login(root)

    listed = client.get(reverse("admin:courses_assignment_changelist")).content.decode()
    assert "Sun Feb 12 2023, 8:59 pm PST (UTC-08:00)" in listed  # HW1: 11:59 pm in New York

    hw1 = world.course.assignments.get(code="HW1")
    detail = client.get(reverse("admin:courses_assignment_change", args=[hw1.id])).content.decode()
    assert "Sun Feb 12 2023, 8:59 pm PST (UTC-08:00)" in detail
    deadlines = client.get(reverse("admin:courses_effectivedeadline_changelist")).content.decode()
    assert "(UTC-08:00)" in deadlines
