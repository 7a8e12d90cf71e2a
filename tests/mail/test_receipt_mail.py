"""The submission receipt goes through the real SMTP server once (portal.mail), its times in the course's
zone with the offset; running its task again sends nothing more."""

from courses.services.submissions import submission_receipt_send
from tests.courses.helpers import at, submit
from tests.factories import eastern

COURSE = "[CS 4644 / CS 7643-A]"


def test_a_submission_receipt_arrives_once(world, api, smtp_server, django_capture_on_commit_callbacks):
    hw1 = world.course.assignments.get(code="HW1")
    with django_capture_on_commit_callbacks(execute=True), at(eastern(2023, 2, 12, 22, 15)):
        assert submit(api, world.ug1, hw1).status_code == 201
    submission = world.ug1.submissions.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_receipt_send(submission_id=submission.id) is False  # run again: already sent

    [message] = smtp_server.messages
    assert message["To"] == "ug1@example.edu"
    assert (
        str(message["Subject"]) == f"{COURSE} Receipt: HW1 received Sun Feb 12 2023, 10:15 pm EST (UTC-05:00)"
    )
    body = message.get_content()
    assert "SHA-256: " + submission.sha256 in body
    assert "Sun Feb 12 2023, 10:15 pm EST (UTC-05:00)" in body
