"""A roster import never puts a section over capacity (issue 11, item 4): the rows that would are named,
nothing changes; the instructor raises the capacity first if they mean it."""

from django.urls import reverse

from courses.models import Enrolment
from tests.courses.waitlist.test_roster_import import HEADER, csv_bytes, state, upload
from tests.importing import imported, job_error


def enrolled(section) -> int:
    return Enrolment.objects.filter(section=section, status="enrolled").count()


def test_enrolling_into_a_full_section_is_refused_with_the_row_named(full, api):
    w = full.world
    before = state()
    data = csv_bytes(HEADER, "gr19,Grad Nineteen,gr19@example.edu,CS 7643-A,enrolled,credit,0900019")

    body = job_error(upload(api, w.instructor, w.course, data))

    assert body["code"] == "section_full"
    assert set(body["fields"]) == {"line 2"}
    assert "CS 7643-A is full (3 seats)" in body["fields"]["line 2"]
    assert "raise the section's capacity first" in body["fields"]["line 2"]
    assert state() == before
    assert enrolled(full.section) == 3


def test_the_free_seats_go_to_the_first_rows_and_the_rest_are_named(world, api):
    section = world.ug_section
    section.capacity, section.room_capacity = 4, 4  # ug1, ug2 enrolled: two seats free
    section.save()
    data = csv_bytes(
        HEADER,
        "a1,A One,a1@example.edu,CS 4644,enrolled,credit,1",
        "a2,A Two,a2@example.edu,CS 4644,waitlisted,credit,2",
        "a3,A Three,a3@example.edu,CS 4644,enrolled,credit,3",
        "a4,A Four,a4@example.edu,CS 4644,enrolled,credit,4",
        "a5,A Five,a5@example.edu,CS 4644,enrolled,credit,5",
    )

    body = job_error(upload(api, world.instructor, world.course, data))

    assert list(body["fields"]) == ["line 5", "line 6"]
    assert enrolled(section) == 2


def test_a_row_that_moves_a_student_out_frees_their_seat(full, api):
    w = full.world
    data = csv_bytes(
        HEADER,
        "gr2,Grad Two,gr2@example.edu,CS 7643-A,dropped,credit,",
        "gr19,Grad Nineteen,gr19@example.edu,CS 7643-A,enrolled,credit,0900019",
    )

    response = upload(api, w.instructor, w.course, data)

    imported(response)
    assert enrolled(full.section) == 3


def test_re_importing_the_seated_students_of_a_full_section_is_fine(full, api):
    w = full.world
    rows = [f"{u.username},{u.get_full_name()},{u.email},CS 7643-A,enrolled,credit," for u in full.seated]

    response = upload(api, w.instructor, w.course, csv_bytes(HEADER, *rows))

    imported(response)
    assert enrolled(full.section) == 3


def test_after_a_capacity_raise_the_same_import_goes_through(full, api):
    w = full.world
    data = csv_bytes(HEADER, "gr19,Grad Nineteen,gr19@example.edu,CS 7643-A,enrolled,credit,0900019")
    job_error(upload(api, w.instructor, w.course, data))
    raised = api.as_user(w.instructor).patch(
        reverse("api-section", args=[full.section.id]), {"capacity": 4}, format="json"
    )
    assert raised.status_code == 200, raised.content

    response = upload(api, w.instructor, w.course, data)

    imported(response)
    assert enrolled(full.section) == 4
    # Capacity can still be changed afterwards: the import left the section within it.
    again = api.as_user(w.instructor).patch(
        reverse("api-section", args=[full.section.id]), {"capacity": 5}, format="json"
    )
    assert again.status_code == 200, again.content
