"""What one upload costs the database. At a deadline thousands of students submit within minutes (README
"Deadline spike"), so the statements of `POST /api/v1/assignments/{id}/submissions/` are counted here: the
token, the assignment with the student's enrolment and extension in one query, the lock on their deadline
row, the submission, the row's update, the audit record and the receipt's outbox row. Inside the test's
transaction the service's own transaction is a savepoint (two statements more); the outbox hand-over
after the commit is not run here."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from courses.models import AuditEvent, Course, EffectiveDeadline, Submission
from courses.services.accounts import api_token_create
from portal.models import OutboxMessage
from tests.courses.helpers import MINUTE, at
from tests.factories import eastern

HW1_DUE = eastern(2023, 2, 12)

# The token, its once-a-minute "last used" stamp, savepoint, assignment and enrolment and extension, lock,
# submission, deadline row, audit record, outbox row, release.
FIRST_UPLOAD = 10
# The same token again within the minute: not stamped again.
NEXT_UPLOAD = FIRST_UPLOAD - 1


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


def token_client(user) -> APIClient:
    """Signed in as a program is, with a token (the spike's clients do the same)."""
    _, key = api_token_create(user=user, name="cost")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def post(client, assignment, **fields):
    data = {
        "file": SimpleUploadedFile("answers.pdf", b"%PDF-1.4\n% answers\n", content_type="application/pdf"),
        "honor_statement_accepted": "true",
        **fields,
    }
    return client.post(reverse("api-assignment-submissions", args=[assignment.id]), data, format="multipart")


def test_an_upload_that_worked_alone_costs_a_fixed_number_of_statements(
    world, hw1, django_assert_num_queries
):
    client = token_client(world.ug1)
    with at(HW1_DUE - timedelta(seconds=30)), django_assert_num_queries(FIRST_UPLOAD):
        first = post(client, hw1, collaborators_none="true")
    with at(HW1_DUE + timedelta(seconds=20)), django_assert_num_queries(NEXT_UPLOAD):
        second = post(client, hw1, collaborators_none="true")
    assert (first.status_code, second.status_code) == (201, 201), second.content
    assert (first.json()["status"], second.json()["status"]) == ("submitted", "submitted_in_grace")
    assert second.json()["collaborators"] == []
    # Everything the rules ask for is still written: both submissions, the row, the audit, the receipts.
    assert Submission.objects.filter(student=world.ug1, assignment=hw1).count() == 2
    row = EffectiveDeadline.objects.get(student=world.ug1, assignment=hw1)
    assert (row.outcome, row.last_submitted_at) == (
        EffectiveDeadline.Outcome.SUBMITTED_IN_GRACE,
        HW1_DUE + timedelta(seconds=20),
    )
    assert AuditEvent.objects.filter(action="submission.create", actor=world.ug1).count() == 2
    receipts = OutboxMessage.objects.filter(task_name="courses.tasks.send_submission_receipt")
    assert sorted(m.kwargs["submission_id"] for m in receipts) == sorted(
        [first.json()["id"], second.json()["id"]]
    )


def test_collaborators_cost_their_lookup_and_one_insert(world, hw1, django_assert_num_queries):
    client = token_client(world.ug1)
    with at(HW1_DUE - MINUTE):
        post(client, hw1, collaborators_none="true")  # the token is stamped
        with django_assert_num_queries(NEXT_UPLOAD + 2):
            response = post(client, hw1, collaborators="ug2")
    assert response.status_code == 201, response.content
    assert response.json()["collaborators"] == ["ug2"]
    submission = Submission.objects.get(pk=response.json()["id"])
    assert [u.username for u in submission.collaborators.all()] == ["ug2"]


@pytest.mark.django_db(transaction=True)
def test_an_upload_reads_the_students_deadline_row_once_the_lock_is_free(world, hw1):
    """Fewer statements, the same lock: while another submission of the student's holds their row (here it
    has just spent a late day on HW1), the upload waits, then reads what that one wrote, so the day is
    spent once and the bank, unchanged, sends no recompute of their other windows."""
    Course.objects.filter(pk=world.course.pk).update(late_policy=Course.LatePolicy.LATE_DAYS, late_day_bank=3)
    world.recompute()
    client = token_client(world.ug1)
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    finished = threading.Event()
    answer = {}

    def upload():
        try:
            answer["response"] = post(client, hw1, collaborators_none="true")
        finally:
            connection.close()
            finished.set()

    with at(HW1_DUE + timedelta(hours=12)):  # one day late
        with transaction.atomic():
            rows = EffectiveDeadline.objects.select_for_update().filter(student=world.ug1, assignment=hw1)
            rows.update(late_days_used=1)
            uploader = threading.Thread(target=upload)
            uploader.start()
            assert not finished.wait(1.5), "the upload did not wait for the locked row"
        assert finished.wait(30)
        uploader.join()
    assert answer["response"].status_code == 201, answer["response"].content
    assert answer["response"].json()["timing"] == "late"
    assert EffectiveDeadline.objects.get(student=world.ug1, assignment=hw1).late_days_used == 1
    sent = OutboxMessage.objects.filter(pk__gt=last_message).values_list("task_name", flat=True)
    assert "courses.tasks.recompute_course_deadlines" not in sent
    assert "courses.tasks.send_submission_receipt" in sent
