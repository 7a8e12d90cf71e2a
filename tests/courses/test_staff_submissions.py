"""Submissions for staff (issue 13, item 4): the receipt a student keeps, the staff's list of latest
submissions, one file, all of them as a streamed zip, and the links from regrade requests and the grade grid.

A student who has not submitted is not in the list (the submission overview lists who is missing); a student
who submitted twice is there once, with the latest; dropped students are left out. A TA of one section sees
that section's students only, on every surface."""

import csv
import hashlib
import io
import re
import tracemalloc
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.archives import MANIFEST, MANIFEST_COLUMNS
from courses.models import Course, Enrolment, StaffRole, Submission
from courses.services.submissions import file_receipt, submission_create
from grading.services.grades import grade_enter, grades_release
from grading.services.regrades import regrade_request_create
from portal.downloads import safe_name
from tests.courses.helpers import MINUTE, at
from tests.factories import EnrolmentFactory, StaffRoleFactory, UserFactory, eastern
from tests.grading.factories import QuestionFactory
from tests.helpers import error_of

HW1_DUE = eastern(2023, 2, 12)
PDF = b"%PDF-1.4\n% my answers\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def send(api, user, assignment, *, content=PDF, name="answers.pdf", collaborators=None):
    """POST a submission as the page's form does; `collaborators` None declares "I worked alone"."""
    data = {"file": SimpleUploadedFile(name, content), "honor_statement_accepted": "true"}
    if collaborators:
        data["collaborators"] = collaborators
    else:
        data["collaborators_none"] = "true"
    url = reverse("api-assignment-submissions", args=[assignment.id])
    response = api.as_user(user).post(url, data, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def listing(api, user, assignment, **params):
    return api.as_user(user).get(reverse("api-assignment-submissions", args=[assignment.id]), params)


def rows_of(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["student"]["username"]: row for row in response.json()["results"]}


def store(student, assignment, *, name: str, content: bytes = PDF, submitted_at=None, timing="on_time"):
    """A stored submission as the service leaves it, for names and sizes no browser form would send."""
    return Submission.objects.create(
        student=student,
        assignment=assignment,
        file=ContentFile(content, name="upload.bin"),
        submitted_at=submitted_at or HW1_DUE - timedelta(hours=1),
        timing=timing,
        honor_statement_accepted=True,
        original_name=name,
        size=len(content),
        sha256=sha(content),
    )


def section_ta(world):
    """A TA of CS 7643-A only: gr1 is theirs, ug1 and ug2 (CS 4644) are not."""
    ta = UserFactory(username="ta_gr", last_name="Section")
    StaffRoleFactory(user=ta, course=world.course, role=StaffRole.Role.TA, section=world.gr_section)
    return ta


def unzip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def manifest_of(archive: zipfile.ZipFile) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(MANIFEST).decode())))


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


@pytest.fixture
def submitted(world, api, hw1):
    """HW1: ug1 on time (then again, in grace: the latest counts), gr1 on time with ug1 as collaborator;
    ug2 has not submitted."""
    with at(HW1_DUE - timedelta(hours=3)):
        first = send(api, world.ug1, hw1, content=b"first draft", name="hw1-draft.pdf")
        gr1 = send(api, world.gr1, hw1, content=b"gr1's answers", name="gr1.ipynb", collaborators="ug1")
    with at(HW1_DUE + timedelta(hours=5)):
        latest = send(api, world.ug1, hw1, content=b"final answers", name="hw1-final.pdf")
    return {"ug1_first": first, "ug1": latest, "gr1": gr1}


# ---- the receipt -----------------------------------------------------------------------------------------


def test_the_submission_answer_is_a_receipt(world, api, hw1):
    with at(HW1_DUE - MINUTE):
        body = send(api, world.ug1, hw1, content=b"x" * 200_000, name="My answers.pdf")
    assert body["original_name"] == "My answers.pdf"
    assert body["size"] == 200_000
    assert body["sha256"] == sha(b"x" * 200_000)
    assert body["file_url"] == reverse("api-submission-file", args=[body["id"]])
    stored = Submission.objects.get(pk=body["id"])
    assert (stored.original_name, stored.size, stored.sha256) == ("My answers.pdf", 200_000, body["sha256"])
    download = api.as_user(world.ug1).get(body["file_url"])
    assert b"".join(download.streaming_content) == b"x" * 200_000


def test_the_digest_is_computed_chunk_by_chunk():
    """A large upload (Django keeps it in a temporary file) is never read whole: every read asks for one
    chunk. (A small one is in memory already, as Django's upload handlers left it.)"""
    sizes = []

    class Spy(TemporaryUploadedFile):
        def read(self, *args):
            sizes.append(args[0] if args else None)
            return super().read(*args)

    content = bytes(range(256)) * 12_000  # ~3 MB: over Django's in-memory upload limit
    upload = Spy("big.bin", "application/octet-stream", len(content), None)
    upload.write(content)
    upload.seek(0)
    assert file_receipt(upload) == (len(content), sha(content))
    assert len(sizes) > 10
    assert all(size is not None and 0 < size <= 1 << 20 for size in sizes), sizes
    sizes.clear()
    assert upload.read(4) == content[:4]  # rewound for the storage
    upload.close()


def test_the_deadlines_page_shows_the_receipt(world, api, client, hw1):
    with at(HW1_DUE + timedelta(hours=2)):
        body = send(api, world.ug1, hw1, content=b"abc", name="hw1.pdf", collaborators="ug2")
        client.force_login(world.ug1)
        html = client.get(reverse("my-deadlines")).content.decode()
    receipt = re.search(r'<details class="receipt".*?</details>', html, re.S).group(0)
    assert "hw1.pdf" in receipt
    assert "3\xa0bytes" in receipt  # filesizeformat keeps number and unit together
    assert sha(b"abc") in receipt
    assert "In the grace period" in receipt
    assert "Mon Feb 13 2023, 1:59 am EST" in receipt  # received, in the course's zone
    assert "ug2" in receipt and "Worked alone" not in receipt
    assert reverse("api-submission-file", args=[body["id"]]) in receipt


def test_the_receipt_says_worked_alone(world, api, client, hw1):
    with at(HW1_DUE - MINUTE):
        send(api, world.ug1, hw1)
        client.force_login(world.ug1)
        html = client.get(reverse("my-deadlines")).content.decode()
    assert "Worked alone" in html
    assert "On time" in html


# ---- the staff list --------------------------------------------------------------------------------------


def test_the_instructor_lists_each_students_latest_submission(world, api, hw1, submitted):
    response = listing(api, world.instructor, hw1)
    rows = rows_of(response)
    assert response.json()["count"] == 2
    assert set(rows) == {"ug1", "gr1"}  # ug2 has not submitted: not listed
    ug1 = rows["ug1"]
    assert ug1["id"] == submitted["ug1"]["id"]  # the resubmission, not the first one
    assert ug1["student"] == {
        "username": "ug1",
        "name": world.ug1.display_name,
        "section": "CS 4644",
    }
    assert ug1["submitted_at"] == "2023-02-13T04:59:00-05:00"
    assert ug1["status"] == "in_grace"
    assert ug1["original_name"] == "hw1-final.pdf"
    assert ug1["size"] == len(b"final answers")
    assert ug1["sha256"] == sha(b"final answers")
    assert ug1["collaborators"] == []
    assert ug1["file_url"] == reverse("api-submission-file", args=[ug1["id"]])
    gr1 = rows["gr1"]
    assert (gr1["status"], gr1["collaborators"], gr1["student"]["section"]) == (
        "on_time",
        ["ug1"],
        "CS 7643-A",
    )
    # By section, then name: CS 4644 before CS 7643-A.
    assert [r["student"]["username"] for r in response.json()["results"]] == ["ug1", "gr1"]


def test_a_late_submission_under_the_late_day_bank_is_late(world, api, hw1):
    Course.objects.filter(pk=world.course.pk).update(late_policy=Course.LatePolicy.LATE_DAYS, late_day_bank=3)
    world.recompute()
    with at(HW1_DUE + timedelta(days=1)):
        send(api, world.ug2, hw1)
    assert rows_of(listing(api, world.ta, hw1))["ug2"]["status"] == "late"


def test_filters_by_status_and_section(world, api, hw1, submitted):
    assert set(rows_of(listing(api, world.ta, hw1, status="in_grace"))) == {"ug1"}
    assert set(rows_of(listing(api, world.ta, hw1, status="on_time"))) == {"gr1"}
    assert set(rows_of(listing(api, world.ta, hw1, section=world.gr_section.id))) == {"gr1"}
    body = error_of(listing(api, world.ta, hw1, status="whenever"), 400)
    assert "status" in body["fields"]
    error_of(listing(api, world.ta, hw1, section="-3"), 400)


def test_the_section_filter_is_the_sections_students_now_in_the_assignments_course(
    world, api, hw1, submitted
):
    """gr1 also takes CS 9999: filtering HW1 by CS 9999-A lists nothing (and tells the TA nothing about who
    takes another course); a student who moved sections is listed under the one they are in now."""
    from tests.factories import EnrolmentFactory

    other_section = world.other_course.sections.get()
    EnrolmentFactory(user=world.gr1, section=other_section)
    assert set(rows_of(listing(api, world.ta, hw1, section=other_section.id))) == set()
    Enrolment.objects.filter(user=world.ug1).update(status=Enrolment.Status.DROPPED)
    EnrolmentFactory(user=world.ug1, section=world.gr_section)
    assert set(rows_of(listing(api, world.ta, hw1, section=world.gr_section.id))) == {"ug1", "gr1"}
    assert set(rows_of(listing(api, world.ta, hw1, section=world.ug_section.id))) == set()


def test_the_list_is_paginated(world, api, hw1, submitted):
    body = listing(api, world.instructor, hw1, page_size=1).json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]


def test_dropped_students_are_left_out(world, api, hw1, submitted):
    Enrolment.objects.filter(user=world.gr1).update(status=Enrolment.Status.DROPPED)
    assert set(rows_of(listing(api, world.instructor, hw1))) == {"ug1"}


def test_a_section_ta_sees_their_sections_students_only(world, api, hw1, submitted):
    ta = section_ta(world)
    assert set(rows_of(listing(api, ta, hw1))) == {"gr1"}
    assert set(rows_of(listing(api, ta, hw1, section=world.ug_section.id))) == set()


@pytest.mark.parametrize("who", ["ug1", "ug2", "other_ta"])
def test_students_and_other_courses_staff_get_404(world, api, hw1, submitted, who):
    error_of(listing(api, getattr(world, who), hw1), 404)


def test_the_list_runs_a_fixed_number_of_queries(world, api, hw1, django_assert_max_num_queries):
    def add_students(n: int, start: int):
        for i in range(start, start + n):
            student = EnrolmentFactory(user=UserFactory(username=f"s{i}"), section=world.ug_section).user
            submission = store(student, hw1, name=f"s{i}.pdf")
            submission.collaborators.set([world.ug1])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = listing(api, world.ta, hw1)
        assert response.status_code == 200
        return len(queries)

    add_students(3, 0)
    small = count()
    add_students(30, 3)
    with django_assert_max_num_queries(small):
        assert len(rows_of(listing(api, world.ta, hw1))) == 33


# ---- one file --------------------------------------------------------------------------------------------


def download(api, user, submission_id):
    return api.as_user(user).get(reverse("api-submission-file", args=[submission_id]))


@pytest.mark.parametrize(
    ("who", "status"),
    [("ug1", 200), ("ug2", 404), ("ta", 200), ("instructor", 200), ("other_ta", 404), ("ta_gr", 404)],
)
def test_who_may_download_ug1s_file(world, api, hw1, submitted, who, status):
    user = section_ta(world) if who == "ta_gr" else getattr(world, who)
    response = download(api, user, submitted["ug1"]["id"])
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == b"final answers"
    else:
        error_of(response)


def test_the_section_ta_downloads_their_students_file(world, api, hw1, submitted):
    response = download(api, section_ta(world), submitted["gr1"]["id"])
    assert b"".join(response.streaming_content) == b"gr1's answers"


def test_the_ta_of_a_section_loses_a_student_who_dropped(world, api, hw1, submitted):
    ta = section_ta(world)
    Enrolment.objects.filter(user=world.gr1).update(status=Enrolment.Status.DROPPED)
    error_of(download(api, ta, submitted["gr1"]["id"]), 404)


def test_an_uploaded_html_page_is_downloaded_never_shown(world, api, hw1):
    with at(HW1_DUE - MINUTE):
        body = send(api, world.ug1, hw1, content=b"<script>alert(1)</script>", name="page.html")
    response = download(api, world.ta, body["id"])
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


HOSTILE = [
    ("../../etc/passwd", "passwd"),  # the last part of a path, as a browser saves it
    ('"; filename=x.html', "__ filename=x.html"),
    ("evil\r\nSet-Cookie: a=1.pdf", "evilSet-Cookie_ a=1.pdf"),
    ("..", "file"),
    ("/abs/path.pdf", "path.pdf"),
    ("C:\\Users\\me\\hw.pdf", "hw.pdf"),
    ("notes\u202egpj.exe", "notesgpj.exe"),  # a right-to-left override would show it as "exe.jpg"
]


@pytest.mark.parametrize(("name", "safe"), HOSTILE)
def test_hostile_names_are_safe_in_content_disposition(world, api, hw1, name, safe):
    submission = store(world.ug1, hw1, name=name)
    response = download(api, world.instructor, submission.id)
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header == f'attachment; filename="{safe}"'
    assert header.count("filename") == 1 + safe.count("filename")
    assert "\r" not in header and "\n" not in header
    assert b"".join(response.streaming_content) == PDF


def test_a_non_ascii_name_is_kept_with_rfc_5987(world, api, hw1):
    assert safe_name("Übung 1 – Lösung.pdf") == "Übung 1 – Lösung.pdf"
    submission = store(world.ug1, hw1, name="Übung 1 – Lösung.pdf")
    response = download(api, world.ug1, submission.id)
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%9Cbung%201%20%E2%80%93%20L%C3%B6sung.pdf"
    )


def test_a_hostile_name_through_the_service_is_stored_as_sent_and_served_safely(world, api, hw1):
    upload = SimpleUploadedFile('"; filename=x.html', b"<h1>hi</h1>")
    with at(HW1_DUE - MINUTE):
        submission, _ = submission_create(
            acting_user=world.ug1,
            assignment_id=hw1.id,
            file=upload,
            collaborators=[],
            honor_statement_accepted=True,
        )
    assert submission.original_name == '"; filename=x.html'
    response = download(api, world.ug1, submission.id)
    assert response["Content-Disposition"] == 'attachment; filename="__ filename=x.html"'
    assert response["Content-Type"] == "application/octet-stream"


def test_a_file_missing_from_storage_is_a_clear_404(world, api, hw1, submitted):
    submission = Submission.objects.get(pk=submitted["ug1"]["id"])
    submission.file.storage.delete(submission.file.name)
    body = error_of(download(api, world.instructor, submission.id), 404)
    assert "missing from storage" in body["detail"]


# ---- all of them as a zip --------------------------------------------------------------------------------


def zip_of(api, user, assignment, **params):
    return api.as_user(user).get(reverse("api-assignment-submissions-zip", args=[assignment.id]), params)


def test_the_zip_holds_each_latest_submission_and_a_manifest(world, api, hw1, submitted):
    response = zip_of(api, world.instructor, hw1)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    archive = unzip(response)
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "CS 4644/ug1/hw1-final.pdf",
        "CS 7643-A/gr1/gr1.ipynb",
        MANIFEST,
    ]
    assert archive.read("CS 4644/ug1/hw1-final.pdf") == b"final answers"
    manifest = manifest_of(archive)
    assert list(manifest[0]) == MANIFEST_COLUMNS
    by_user = {row["username"]: row for row in manifest}
    for username, path in (("ug1", "CS 4644/ug1/hw1-final.pdf"), ("gr1", "CS 7643-A/gr1/gr1.ipynb")):
        row = by_user[username]
        assert row["sha256"] == sha(archive.read(path)) == submitted[username]["sha256"]
        assert row["path"] == path
        assert row["note"] == ""
    assert by_user["ug1"]["submitted_at"] == "2023-02-13T04:59:00-05:00"
    assert (by_user["ug1"]["status"], by_user["gr1"]["status"]) == ("in_grace", "on_time")
    assert (by_user["ug1"]["section"], by_user["ug1"]["name"]) == ("CS 4644", world.ug1.display_name)


def test_the_section_tas_zip_holds_their_students_only(world, api, hw1, submitted):
    archive = unzip(zip_of(api, section_ta(world), hw1))
    assert sorted(archive.namelist()) == ["CS 7643-A/gr1/gr1.ipynb", MANIFEST]
    assert [row["username"] for row in manifest_of(archive)] == ["gr1"]


def test_the_zip_takes_the_lists_filters(world, api, hw1, submitted):
    archive = unzip(zip_of(api, world.ta, hw1, status="in_grace"))
    assert [row["username"] for row in manifest_of(archive)] == ["ug1"]
    error_of(zip_of(api, world.ta, hw1, status="sometime"), 400)


@pytest.mark.parametrize("who", ["ug1", "ug2", "other_ta"])
def test_no_zip_for_students_or_other_courses_staff(world, api, hw1, submitted, who):
    error_of(zip_of(api, getattr(world, who), hw1), 404)


def test_hostile_names_are_safe_and_unique_in_the_zip(world, api, hw1):
    stored = {}
    for student, name in ((world.ug1, "../../etc/passwd"), (world.ug2, "/abs.pdf"), (world.gr1, "..")):
        stored[student.username] = store(student, hw1, name=name)
    # Two usernames that differ only in case: one folder on a case-insensitive file system.
    for username in ("Dup", "dup"):
        store(
            EnrolmentFactory(user=UserFactory(username=username), section=world.ug_section).user,
            hw1,
            name="a.pdf",
        )
    archive = unzip(zip_of(api, world.instructor, hw1))
    names = archive.namelist()
    # Which of Dup and dup comes first depends on their (random) names: one keeps a.pdf, the other a (2).pdf.
    dups = sorted(n for n in names if n.lower().startswith("cs 4644/dup/"))
    assert {n.rsplit("/", 1)[1] for n in dups} == {"a.pdf", "a (2).pdf"}
    assert {n.split("/")[1] for n in dups} == {"Dup", "dup"}
    assert len({n.lower() for n in names}) == len(names)  # unique even on a case-insensitive file system
    assert sorted(set(names) - set(dups)) == sorted(
        [
            "CS 4644/ug1/passwd",
            "CS 4644/ug2/abs.pdf",
            f"CS 7643-A/gr1/submission-{stored['gr1'].id}",
            MANIFEST,
        ]
    )
    for name in names:
        assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name
    assert len(set(names)) == len(names)


def test_manifest_cells_never_run_as_formulas(world, api, hw1):
    world.ug1.first_name, world.ug1.last_name = '=HYPERLINK("http://x")', "Smith"
    world.ug1.save()
    store(world.ug1, hw1, name="=cmd|' /C calc'!A0.pdf")
    archive = unzip(zip_of(api, world.instructor, hw1))
    row = manifest_of(archive)[0]
    assert row["name"] == '\'=HYPERLINK("http://x") Smith'
    assert row["original_name"] == "'=cmd|' /C calc'!A0.pdf"
    assert archive.namelist()[0] == "CS 4644/ug1/C calc'!A0.pdf"  # the last part of the path


def test_a_file_missing_from_storage_is_noted_in_the_manifest(world, api, hw1, submitted):
    submission = Submission.objects.get(pk=submitted["gr1"]["id"])
    submission.file.storage.delete(submission.file.name)
    archive = unzip(zip_of(api, world.instructor, hw1))
    assert archive.read("CS 7643-A/gr1/gr1.ipynb") == b""
    notes = {row["username"]: row["note"] for row in manifest_of(archive)}
    assert notes == {"ug1": "", "gr1": "missing from storage: the entry is empty"}


def test_a_file_changed_since_submission_is_noted_in_the_manifest(world, api, hw1, submitted):
    Submission.objects.filter(pk=submitted["ug1"]["id"]).update(sha256="0" * 64)
    notes = {row["username"]: row["note"] for row in manifest_of(unzip(zip_of(api, world.ta, hw1)))}
    assert notes["ug1"] == f"changed since it was submitted: SHA-256 in this archive {sha(b'final answers')}"


def test_the_zip_streams_file_by_file(world, api, hw1, monkeypatch):
    """Many files: the first bytes leave before the second file is opened, and memory stays that of a few
    chunks while 12 MB pass through (nothing holds the archive or a whole file)."""
    n, size = 48, 256 * 1024
    for i in range(n):
        student = EnrolmentFactory(user=UserFactory(username=f"bulk{i:02d}"), section=world.ug_section).user
        store(student, hw1, name=f"answers-{i}.bin", content=bytes([i]) * size)
    storage = Submission._meta.get_field("file").storage
    opened = []
    real_open = storage.open

    def spy(name, mode="rb"):
        opened.append(name)
        return real_open(name, mode)

    monkeypatch.setattr(storage, "open", spy)
    response = zip_of(api, world.instructor, hw1)
    assert response.status_code == 200 and response.streaming
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first.startswith(b"PK")
    assert len(opened) <= 1  # the first file only (its header and first chunk)
    digest, total = hashlib.sha256(), len(first)
    digest.update(first)
    tracemalloc.start()
    try:
        for chunk in chunks:
            digest.update(chunk)
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(opened) == n
    assert total > n * size
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while streaming {total}"


# ---- links: regrade requests, the grade grid, the overview page -------------------------------------------


@pytest.fixture
def graded(world, api, hw1, submitted):
    """HW1 graded and released for ug1 and ug2; each asks for a regrade (ug2 never submitted)."""
    question = QuestionFactory(assignment=hw1, label="Q1", points=Decimal(10), position=1)
    for username in ("ug1", "ug2", "gr1"):
        grade_enter(
            acting_user=world.ta,
            assignment_id=hw1.id,
            student_username=username,
            scores={question.id: Decimal(6)},
            reason="Graded",
        )
    grades_release(acting_user=world.instructor, assignment_id=hw1.id)
    requests = {}
    for user in (world.ug1, world.ug2):
        grade = user.grades.get(assignment=hw1)
        requests[user.username] = regrade_request_create(
            acting_user=user, grade_id=grade.id, question_id=question.id, justification="Look again."
        )
    return requests


def test_a_regrade_request_links_to_the_submission(world, api, graded, submitted):
    by_student = {
        r["student"]: r for r in api.as_user(world.ta).get(reverse("api-regrades")).json()["results"]
    }
    ug1_id = submitted["ug1"]["id"]
    assert by_student["ug1"]["submission"] == {
        "id": ug1_id,
        "original_name": "hw1-final.pdf",
        "file_url": reverse("api-submission-file", args=[ug1_id]),
    }
    assert by_student["ug2"]["submission"] is None
    mine = api.as_user(world.ug1).get(reverse("api-regrade", args=[graded["ug1"].id])).json()
    assert mine["submission"]["id"] == ug1_id


def test_the_regrade_queue_page_links_to_the_submission(world, client, graded, submitted):
    client.force_login(world.ta)
    html = client.get(reverse("regrade-queue")).content.decode()
    ug1 = re.search(rf'<article data-request="{graded["ug1"].id}".*?</article>', html, re.S).group(0)
    ug2 = re.search(rf'<article data-request="{graded["ug2"].id}".*?</article>', html, re.S).group(0)
    assert reverse("api-submission-file", args=[submitted["ug1"]["id"]]) in ug1
    assert "hw1-final.pdf" in ug1
    assert "No submission in the portal." in ug2


def test_the_grade_grid_links_each_row_to_the_submission(world, client, hw1, graded, submitted):
    client.force_login(world.ta)
    html = client.get(reverse("grade-grid", args=[hw1.id])).content.decode()
    rows = dict(re.findall(r'<tr data-student="(\w+)">(.*?)</tr>', html, re.S))
    assert reverse("api-submission-file", args=[submitted["ug1"]["id"]]) in rows["ug1"]
    assert reverse("api-submission-file", args=[submitted["gr1"]["id"]]) in rows["gr1"]
    assert "api/v1/submissions/" not in rows["ug2"]


def test_the_overview_page_lists_files_with_download_links(world, client, hw1, submitted):
    client.force_login(world.instructor)
    with at(HW1_DUE + timedelta(hours=6)):
        html = client.get(reverse("assignment-overview", args=[hw1.id])).content.decode()
    ug1 = re.search(r'<tr data-submission="\d+" data-student="ug1".*?</tr>', html, re.S).group(0)
    digest = sha(b"final answers")
    assert reverse("api-submission-file", args=[submitted["ug1"]["id"]]) in ug1
    assert "hw1-final.pdf" in ug1 and "13\xa0bytes" in ug1 and "In the grace period" in ug1
    assert f'title="{digest}">{digest[:12]}…' in ug1  # short, the full digest on hover and when opened
    assert f'<code class="sha256">{digest}</code>' in ug1
    assert reverse("api-assignment-submissions-zip", args=[hw1.id]) in html
    assert "Download all (zip)" in html
    assert 'data-student="ug2"' not in html.split('id="files"')[1].split("</section>")[0]


def test_the_overview_page_of_a_section_ta_shows_their_students_files(world, client, hw1, submitted):
    client.force_login(section_ta(world))
    html = client.get(reverse("assignment-overview", args=[hw1.id])).content.decode()
    assert 'data-student="gr1"' in html
    assert 'data-student="ug1"' not in html


@pytest.mark.parametrize("page", ["assignment-overview", "grade-grid"])
def test_staff_pages_do_not_grow_in_queries_with_submissions(world, client, hw1, page):
    QuestionFactory(assignment=hw1, label="Q1", points=Decimal(10), position=1)
    client.force_login(world.ta)
    url = reverse(page, args=[hw1.id])

    def measure() -> int:
        client.get(url)  # warm (session, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def add(start: int, n: int):
        for i in range(start, start + n):
            student = EnrolmentFactory(user=UserFactory(username=f"p{i}"), section=world.ug_section).user
            store(student, hw1, name=f"p{i}.pdf").collaborators.set([world.ug1])

    add(0, 2)
    few = measure()
    add(2, 25)
    assert measure() == few
