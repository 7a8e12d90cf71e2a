"""A submission's e-mail receipt: sent after the commit through the outbox-backed task mechanism
(courses.tasks.send_submission_receipt), once, with the file's name, size and SHA-256, the collaborators or
"worked alone", the time received in the course's zone and whether it was on time or in grace."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courses.models import Submission
from courses.services.accounts import user_time_zone_display_set
from courses.tasks import send_submission_receipt
from portal.mail import mail_deliver_pending
from portal.models import OutboxMessage, SentMail
from tests.courses.helpers import MINUTE, at, submit
from tests.factories import eastern

HW1_DUE = eastern(2023, 2, 12)
CONTENT = b"%PDF-1.4\n% my answers\n"  # tests.courses.helpers.upload


@pytest.fixture
def hw1(world):
    return world.course.assignments.get(code="HW1")


def submitted(api, user, assignment, when, capture, **kwargs):
    with at(when), capture(execute=True):
        response = submit(api, user, assignment, **kwargs)
    assert response.status_code == 201, response.content
    return response.json()


def test_an_on_time_submission_is_receipted_by_e_mail(
    world, api, hw1, mailoutbox, django_capture_on_commit_callbacks
):
    body = submitted(api, world.ug1, hw1, HW1_DUE - MINUTE, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ug1@example.edu"]
    assert (
        mail.subject
        == "[CS 4644 / CS 7643-A] Receipt: HW1 received Sun Feb 12 2023, 11:58 pm EST (UTC-05:00)"
    )
    text = mail.body
    assert "File: answers.pdf" in text
    assert f"Size: {len(CONTENT)} bytes" in text
    assert f"SHA-256: {hashlib.sha256(CONTENT).hexdigest()}" in text
    assert body["sha256"] in text  # the same receipt as the API's answer
    assert "Collaborators: none (you worked alone)" in text
    assert "Received: Sun Feb 12 2023, 11:58 pm EST (UTC-05:00)" in text
    assert "Timing: On time" in text
    assert "You may submit again until the window closes, Tue Feb 14 2023, 11:59 pm EST (UTC-05:00)" in text
    assert Submission.objects.get().receipt_sent_at is not None


def test_a_grace_period_submission_with_collaborators(
    world, api, hw1, mailoutbox, django_capture_on_commit_callbacks
):
    submitted(
        api,
        world.ug1,
        hw1,
        HW1_DUE + timedelta(hours=2),
        django_capture_on_commit_callbacks,
        collaborators="ug2, gr1",
    )
    text = mailoutbox[0].body
    assert "Collaborators: gr1, ug2" in text
    assert "Timing: In the grace period" in text
    assert "Received: Mon Feb 13 2023, 1:59 am EST (UTC-05:00)" in text


def test_times_are_in_the_course_zone_whatever_the_student_reads_pages_in(
    world, api, hw1, mailoutbox, django_capture_on_commit_callbacks
):
    user_time_zone_display_set(acting_user=world.ug1, mode="browser", browser_time_zone="Asia/Tokyo")
    submitted(api, world.ug1, hw1, HW1_DUE - MINUTE, django_capture_on_commit_callbacks)
    assert "Received: Sun Feb 12 2023, 11:58 pm EST (UTC-05:00)" in mailoutbox[0].body


def test_the_receipt_is_a_task_recorded_in_the_outbox_after_the_commit(
    world, api, hw1, mailoutbox, django_capture_on_commit_callbacks
):
    with at(HW1_DUE - MINUTE), django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit(api, world.ug1, hw1)
    assert mailoutbox == []  # nothing before the commit
    message = OutboxMessage.objects.get(task_name=send_submission_receipt.name)
    assert message.kwargs == {"submission_id": Submission.objects.get().id}
    with django_capture_on_commit_callbacks(execute=True):  # the receipt is queued, then e-mailed
        for callback in callbacks:
            callback()
    assert len(mailoutbox) == 1


def test_the_receipt_task_sends_its_e_mail_itself_one_task_per_upload(
    world, api, hw1, mailoutbox, django_capture_on_commit_callbacks
):
    """At a deadline every upload's receipt runs on a worker: it sends its message right after its own
    commit, rather than queueing a second task (one task, one outbox row per upload)."""
    submitted(api, world.ug1, hw1, HW1_DUE - MINUTE, django_capture_on_commit_callbacks)
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == [send_submission_receipt.name]
    assert len(mailoutbox) == 1
    assert SentMail.objects.get().state == "sent"


def test_a_receipt_whose_sending_is_lost_after_the_commit_is_sent_by_the_sweep(
    world, api, hw1, mailoutbox, django_capture_on_commit_callbacks
):
    with at(HW1_DUE - MINUTE), django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit(api, world.ug1, hw1)
    submission = Submission.objects.get()
    # The worker dies right after the receipt's commit: its sending never runs.
    with django_capture_on_commit_callbacks(execute=False) as after_receipt:
        assert send_submission_receipt(submission_id=submission.id) is True
    assert len(callbacks) == 1 and len(after_receipt) == 1
    assert mailoutbox == [] and SentMail.objects.get().state == "queued"
    mail_deliver_pending(now=timezone.now() + timedelta(minutes=10))
    assert len(mailoutbox) == 1 and SentMail.objects.get().state == "sent"


def test_the_task_sends_once_however_often_it_runs(
    world, api, hw1, mailoutbox, django_capture_on_commit_callbacks
):
    submitted(api, world.ug1, hw1, HW1_DUE - MINUTE, django_capture_on_commit_callbacks)
    submission = Submission.objects.get()
    assert send_submission_receipt(submission_id=submission.id) is False  # a redelivered task
    assert send_submission_receipt(submission_id=submission.id + 999) is False  # gone
    assert len(mailoutbox) == 1


def test_each_attempt_has_its_own_receipt(world, api, hw1, mailoutbox, django_capture_on_commit_callbacks):
    submitted(api, world.ug1, hw1, HW1_DUE - MINUTE, django_capture_on_commit_callbacks)
    submitted(api, world.ug1, hw1, HW1_DUE + MINUTE, django_capture_on_commit_callbacks)
    assert [m.body.count("Timing: On time") for m in mailoutbox] == [1, 0]
    assert "Timing: In the grace period" in mailoutbox[1].body


def test_a_refused_submission_sends_nothing(world, api, hw1, mailoutbox, django_capture_on_commit_callbacks):
    url = reverse("api-assignment-submissions", args=[hw1.id])
    with at(HW1_DUE + timedelta(days=3)), django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(world.ug1).post(
            url,
            {
                "file": SimpleUploadedFile("late.pdf", b"%PDF"),
                "collaborators_none": "true",
                "honor_statement_accepted": "true",
            },
            format="multipart",
        )
    assert response.json()["code"] == "window_closed"
    assert mailoutbox == []
    assert not OutboxMessage.objects.filter(task_name=send_submission_receipt.name).exists()
