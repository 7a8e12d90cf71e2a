"""Every e-mail the portal sends goes through a real SMTP server (aiosmtpd) and arrives there once, with the
right recipient, subject and times in the course's zone with the offset: reminders 48 h and 24 h before,
a promotion from the waitlist and a password reset (regrade answers and appeals:
tests/grading/test_regrade_mail.py; the submission receipt: tests/mail/test_receipt_mail.py). Running the
sending task again sends nothing more."""

import re
from datetime import UTC, timedelta

from django.urls import reverse

from courses import tasks
from courses.models import Enrolment
from courses.services.waitlist import waitlist_promote
from portal.models import SentMail
from portal.tasks import deliver_mail
from tests.courses.helpers import MINUTE, at
from tests.factories import AssignmentFactory, EnrolmentFactory, UserFactory, eastern

SPRING_DUE = eastern(2023, 3, 12).astimezone(UTC)  # Sun Mar 12 11:59 pm EDT, after the DST change
COURSE = "[CS 4644 / CS 7643-A]"


def test_reminders_48_and_24_hours_before_arrive_once_each_in_the_course_zone(
    world, smtp_server, django_capture_on_commit_callbacks
):
    AssignmentFactory(course=world.course, code="HW2", title="Homework 2", due_at=SPRING_DUE)
    world.recompute()
    for lead in (48, 24):
        with django_capture_on_commit_callbacks(execute=True), at(SPRING_DUE - timedelta(hours=lead)):
            assert tasks.send_deadline_reminders() == 3
            assert tasks.send_deadline_reminders() == 0  # the beat's task runs again: nothing new

    assert len(smtp_server.messages) == 6
    ug1 = smtp_server.to("ug1@example.edu")
    assert [str(m["Subject"]) for m in ug1] == [
        f"{COURSE} HW2 is due in 48 hours",
        f"{COURSE} HW2 is due in 24 hours",
    ]
    for message in ug1:
        assert message["To"] == "ug1@example.edu"
        body = message.get_content()
        assert "Sun Mar 12 2023, 11:59 pm EDT (UTC-04:00)" in body  # the due time, course zone and offset
        assert "Tue Mar 14 2023, 11:59 pm EDT (UTC-04:00)" in body  # the grace period's end
        link = re.search(r"http://localhost:8000/reminders/off/\S+/", body).group(0)
        assert message["List-Unsubscribe"].strip() == f"<{link}>"  # (a long header is folded)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 6  # one Message-ID per key
    assert set(SentMail.objects.values_list("state", flat=True)) == {"sent"}


def test_a_promotion_from_the_waitlist_arrives_once(world, smtp_server, django_capture_on_commit_callbacks):
    section = world.gr_section
    section.capacity = 1  # gr1 holds the only seat
    section.save()
    waiting = EnrolmentFactory(
        user=UserFactory(username="w1"), section=section, status=Enrolment.Status.WAITLISTED
    )
    section.capacity = 2
    section.save()
    moment = eastern(2023, 1, 20, 9, 30)
    with django_capture_on_commit_callbacks(execute=True):
        assert waitlist_promote(section_id=section.id, now=moment) == [waiting.id]
        assert tasks.promote_from_waitlist(section_id=section.id) == []  # the task again: no seat left

    [message] = smtp_server.messages
    assert message["To"] == "w1@example.edu"
    assert str(message["Subject"]) == f"{COURSE} You have a seat in CS 7643-A"
    assert "since Fri Jan 20 2023, 9:30 am EST (UTC-05:00)" in message.get_content()


def test_a_password_reset_arrives_once_and_its_link_works(
    db, client, smtp_server, django_capture_on_commit_callbacks
):
    user = UserFactory(username="sam", email="sam@example.edu")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "sam@example.edu"})
    assert response.status_code == 302
    [message] = smtp_server.messages
    assert message["To"] == "sam@example.edu"
    assert str(message["Subject"]) == "Reset your course portal password"
    row = SentMail.objects.get(key__startswith="password-reset:")
    deliver_mail(mail_id=row.id)  # the delivery task again: already sent
    assert len(smtp_server.messages) == 1

    link = re.search(r"https?://\S+/accounts/reset/\S+", message.get_content()).group(0)
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "A-new-pass-phrase-42", "new_password2": "A-new-pass-phrase-42"},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("A-new-pass-phrase-42")


def test_without_an_address_nothing_is_queued(world, smtp_server, django_capture_on_commit_callbacks):
    world.ug1.email = ""
    world.ug1.save()
    AssignmentFactory(course=world.course, code="HW2", due_at=SPRING_DUE)
    world.recompute()
    with django_capture_on_commit_callbacks(execute=True), at(SPRING_DUE - timedelta(hours=24) + MINUTE):
        tasks.send_deadline_reminders()
    assert "ug1@example.edu" not in {m["To"] for m in smtp_server.messages}
    assert len(smtp_server.messages) == 4  # ug2 and gr1, 48 h and 24 h (both leads had passed)
