"""The job claim (courses.services.jobs): one run at a time, a quiet job is taken over, and a run that
was taken over cannot write again."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courses.models import ImportJob
from courses.services.jobs import JobLost, job_claim, jobs_stale
from grading.models import GradeExport
from tests.importing import job_error, post_import


@pytest.fixture
def export(world):
    return GradeExport.objects.create(
        course=world.course, format="canvas", requested_by=world.instructor, created_at=timezone.now()
    )


def test_a_second_claim_of_a_running_job_gets_nothing(export):
    first = job_claim(model=GradeExport, job_id=export.id)
    assert first is not None and first.attempt == 1
    assert job_claim(model=GradeExport, job_id=export.id) is None
    first.beat(rows_done=5, rows_total=10, progress=50)
    assert jobs_stale(model=GradeExport) == []


def test_a_job_quiet_for_a_minute_is_taken_over_and_the_first_run_cannot_write(export):
    first = job_claim(model=GradeExport, job_id=export.id)
    later = timezone.now() + timedelta(seconds=61)
    assert jobs_stale(model=GradeExport, now=later) == [export.id]
    second = job_claim(model=GradeExport, job_id=export.id, now=later)
    assert second is not None and second.attempt == 2
    with pytest.raises(JobLost):
        first.beat(rows_done=1)
    assert not first.finish(file="exports/first.csv")
    assert second.finish(file="exports/second.csv")
    export.refresh_from_db()
    assert (export.status, export.file.name, export.attempt) == ("done", "exports/second.csv", 2)
    assert job_claim(model=GradeExport, job_id=export.id, now=later + timedelta(hours=1)) is None


def test_a_job_beating_within_the_minute_is_not_taken_over(export):
    job_claim(model=GradeExport, job_id=export.id)
    assert job_claim(model=GradeExport, job_id=export.id, now=timezone.now() + timedelta(seconds=59)) is None


def test_a_failed_import_offers_its_row_errors_as_csv(world, api):
    data = b"username,name,email,section,status,grading_basis\r\nok,A B,a@example.edu,CS 4644,enrolled,credit\r\n"
    data += b"=cmd,A B,not-an-address,CS 9,enrolled,credit\r\n"
    response = post_import(
        api.as_user(world.instructor),
        reverse("api-roster-imports", args=[world.course.id]),
        {"file": SimpleUploadedFile("roster.csv", data, "text/csv")},
    )
    error = job_error(response)
    assert set(error["fields"]) == {"line 3"}
    job = api.get(response.json()["status_url"]).json()
    download = api.get(job["errors_csv_url"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    lines = download.content.decode().splitlines()
    assert lines[0] == "line,message"
    assert lines[1].startswith("3,") and "not an address" in lines[1]
    assert ImportJob.objects.get().status == "failed"
    # Nobody else sees the job.
    assert api.as_user(world.ta).get(job["status_url"]).status_code == 404
    assert api.as_user(world.ug1).get(job["errors_csv_url"]).status_code == 404
