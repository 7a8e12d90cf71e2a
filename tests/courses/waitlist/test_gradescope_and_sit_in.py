"""Gradescope access for waitlisted students (request, grant, the CSV for Gradescope) and sitting in
while the room has space."""

import csv
import io

import pytest
from django.urls import reverse

from courses.models import Enrolment, Section, SitInRequest
from tests.courses.waitlist.helpers import error_of, join
from tests.factories import EnrolmentFactory, UserFactory

Status = Enrolment.Status
CSV_HEADER = ["Full Name", "Email", "SID", "Section", "Requested", "Granted"]


def request_access(api, user, enrolment):
    return api.as_user(user).post(reverse("api-gradescope-request", args=[enrolment.id]))


def grant_access(api, user, enrolment):
    return api.as_user(user).post(reverse("api-gradescope-grant", args=[enrolment.id]))


def sit_in(api, user, section):
    return api.as_user(user).post(reverse("api-section-sit-in", args=[section.id]))


def gradescope_csv(client, user, course) -> list[dict]:
    client.force_login(user)
    response = client.get(reverse("gradescope-requests-csv", args=[course.id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8")))
    assert reader.fieldnames == CSV_HEADER
    return list(reader)


@pytest.fixture
def waiting(full, api):
    """A waitlisted student of the full CS 7643-A, with a registrar ID that starts with zeros."""
    student = UserFactory(username="waiting", first_name="Wren", last_name="Waite", sis_id="0901234")
    assert join(api, student, full.section).status_code == 201
    return Enrolment.objects.get(user=student, section=full.section)


# ---- Gradescope access --------------------------------------------------------------------------------


def test_a_waitlisted_student_requests_access_and_staff_grant_it(full, api, client, waiting):
    response = request_access(api, waiting.user, waiting)

    assert response.status_code == 200, response.content
    assert response.json()["gradescope_requested_at"] is not None
    assert response.json()["gradescope_granted_at"] is None
    waiting.refresh_from_db()
    requested_at = waiting.gradescope_requested_at
    assert requested_at is not None

    rows = gradescope_csv(client, full.world.instructor, full.world.course)
    assert rows == [
        {
            "Full Name": "Wren Waite",
            "Email": "waiting@example.edu",
            "SID": "0901234",
            "Section": "CS 7643-A",
            "Requested": requested_at.isoformat(),
            "Granted": "",
        }
    ]

    response = grant_access(api, full.world.ta, waiting)

    assert response.status_code == 200, response.content
    waiting.refresh_from_db()
    assert waiting.gradescope_granted_at is not None
    assert waiting.gradescope_granted_by == full.world.ta
    rows = gradescope_csv(client, full.world.ta, full.world.course)
    assert [(r["Full Name"], r["SID"], r["Granted"]) for r in rows] == [
        ("Wren Waite", "0901234", waiting.gradescope_granted_at.isoformat())
    ]


def test_asking_twice_keeps_the_first_request_time(full, api, waiting):
    first = request_access(api, waiting.user, waiting).json()["gradescope_requested_at"]
    second = request_access(api, waiting.user, waiting).json()["gradescope_requested_at"]
    assert first == second


def test_granting_twice_keeps_the_first_grant(full, api, waiting):
    request_access(api, waiting.user, waiting)
    first = grant_access(api, full.world.ta, waiting).json()["gradescope_granted_at"]
    second = grant_access(api, full.world.instructor, waiting).json()["gradescope_granted_at"]
    assert first == second
    waiting.refresh_from_db()
    assert waiting.gradescope_granted_by == full.world.ta


def test_an_enrolled_student_is_refused(full, api):
    enrolment = Enrolment.objects.get(user=full.world.gr1, section=full.section)

    body = error_of(request_access(api, full.world.gr1, enrolment), 400)

    assert body["code"] == "not_waitlisted"
    enrolment.refresh_from_db()
    assert enrolment.gradescope_requested_at is None


def test_a_student_cannot_ask_for_someone_elses_enrolment(full, api, waiting):
    for someone in (full.world.gr1, full.world.other_student, full.world.instructor):
        error_of(request_access(api, someone, waiting), 404)
    waiting.refresh_from_db()
    assert waiting.gradescope_requested_at is None


def test_staff_cannot_grant_what_was_not_requested(full, api, waiting):
    body = error_of(grant_access(api, full.world.instructor, waiting), 400)
    assert body["code"] == "not_requested"


def test_students_and_other_courses_staff_cannot_grant(full, api, waiting):
    request_access(api, waiting.user, waiting)
    for someone in (waiting.user, full.world.gr1, full.world.other_ta):
        error_of(grant_access(api, someone, waiting), 404)
    waiting.refresh_from_db()
    assert waiting.gradescope_granted_at is None


def test_the_csv_is_for_the_course_staff_only(full, client, waiting):
    url = reverse("gradescope-requests-csv", args=[full.world.course.id])
    for someone in (waiting.user, full.world.gr1, full.world.other_ta):
        client.force_login(someone)
        assert client.get(url).status_code == 404


def test_the_csv_lists_only_requests(full, api, client, waiting):
    other = UserFactory(username="quiet")
    assert join(api, other, full.section).status_code == 201
    request_access(api, waiting.user, waiting)

    rows = gradescope_csv(client, full.world.instructor, full.world.course)

    assert [r["Email"] for r in rows] == ["waiting@example.edu"]


# ---- sitting in ----------------------------------------------------------------------------------------


def test_sitting_in_is_recorded_while_the_room_has_space(full, api):
    student = UserFactory(username="visitor")

    response = sit_in(api, student, full.section)

    assert response.status_code == 201, response.content
    assert response.json()["section"] == "CS 7643-A"
    assert SitInRequest.objects.filter(user=student, section=full.section).exists()


def test_asking_to_sit_in_twice_records_it_once(full, api):
    student = UserFactory(username="visitor")
    assert sit_in(api, student, full.section).status_code == 201
    assert sit_in(api, student, full.section).status_code == 201
    assert SitInRequest.objects.filter(user=student).count() == 1


def test_sitting_in_is_refused_when_enrolled_and_sit_ins_fill_the_room(full, api):
    # 3 enrolled in a room for 5: two may sit in, the third is told to follow the stream.
    first, second, third = (UserFactory(username=f"visitor{i}") for i in range(1, 4))
    assert sit_in(api, first, full.section).status_code == 201
    assert sit_in(api, second, full.section).status_code == 201

    body = error_of(sit_in(api, third, full.section), 400)

    assert body["code"] == "no_space"
    assert "stream" in body["detail"]
    assert not SitInRequest.objects.filter(user=third).exists()
    assert SitInRequest.objects.filter(section=full.section).count() == 2


def test_waitlisted_students_do_not_take_room_space(full, api):
    for i in range(4):
        assert join(api, UserFactory(username=f"w{i}"), full.section).status_code == 201
    assert sit_in(api, UserFactory(username="visitor"), full.section).status_code == 201


def test_a_full_room_refuses_sitting_in(full, api):
    Section.objects.filter(pk=full.section.pk).update(capacity=5)
    for i in (4, 5):
        EnrolmentFactory(user=UserFactory(username=f"gr{i}"), section=full.section)

    body = error_of(sit_in(api, UserFactory(username="visitor"), full.section), 400)

    assert body["code"] == "no_space"
    assert not SitInRequest.objects.exists()


def test_sitting_in_on_an_unknown_section_is_not_found(full, api):
    error_of(
        api.as_user(UserFactory(username="visitor")).post(reverse("api-section-sit-in", args=[987654])), 404
    )


def test_a_gradescope_request_is_audited_once(full, api, waiting):
    from courses.models import AuditEvent

    url = reverse("api-gradescope-request", args=[waiting.id])
    for _ in range(2):
        assert api.as_user(waiting.user).post(url).status_code == 200
    assert AuditEvent.objects.filter(action="gradescope.request", actor=waiting.user).count() == 1
