"""A regrade answer reaches the student, and an appeal each instructor, once through the real SMTP server
(portal.mail), with the times in the course's zone and offset."""

from datetime import timedelta

from portal.models import SentMail
from portal.tasks import deliver_mail
from tests.factories import StaffRoleFactory, UserFactory
from tests.grading.conftest import RELEASED_AT, WINDOW_ENDS, at

URL = "/api/v1/regrade-requests/"
COURSE = "[CS 4644 / CS 7643-A]"


def test_the_answer_and_the_appeal_arrive_once_each(
    graded, api, smtp_server, django_capture_on_commit_callbacks
):
    world = graded.world
    second = UserFactory(username="coinstructor", email="co@example.edu")
    StaffRoleFactory(user=second, course=world.course, role="instructor")
    with at(RELEASED_AT + timedelta(days=1)):
        created = api.as_user(world.ug1).post(
            URL,
            {"grade": graded.grade("ug1").id, "question": graded.q2.id, "justification": "See line 3."},
            format="json",
        )
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True), at(RELEASED_AT + timedelta(days=2, hours=5)):
        resolved = api.as_user(world.ta).post(
            f"{URL}{request_id}/resolve/",
            {"decision": "rejected", "response": "Marked correctly."},
            format="json",
        )
    assert resolved.status_code == 200, resolved.content

    [answer] = smtp_server.messages
    assert answer["To"] == "ug1@example.edu"
    assert str(answer["Subject"]) == f"{COURSE} Regrade of PS0 {graded.q2.label}: rejected"
    body = answer.get_content()
    assert "Wed Feb 8 2023, 2:00 pm EST (UTC-05:00)" in body  # when it was answered
    assert "until Mon Feb 13 2023, 9:00 am EST (UTC-05:00)" in body  # the appeal deadline
    assert "Marked correctly." in body

    with django_capture_on_commit_callbacks(execute=True), at(WINDOW_ENDS - timedelta(hours=1)):
        appealed = api.as_user(world.ug1).post(
            f"{URL}{request_id}/appeal/", {"justification": "The TA missed page 2."}, format="json"
        )
    assert appealed.status_code == 201, appealed.content
    appeals = smtp_server.messages[1:]
    assert sorted(m["To"] for m in appeals) == ["co@example.edu", "instructor@example.edu"]
    for message in appeals:
        assert str(message["Subject"]) == f"{COURSE} Regrade appeal: PS0 {graded.q2.label}"
        assert "Mon Feb 13 2023, 8:00 am EST (UTC-05:00)" in message.get_content()
        assert "The TA missed page 2." in message.get_content()

    for row in SentMail.objects.all():  # every delivery task run again: nothing more
        assert deliver_mail(mail_id=row.id) == "sent"
    assert len(smtp_server.messages) == 3
