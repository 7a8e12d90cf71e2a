"""Reminder e-mails before due times, each sent exactly once per student, assignment, lead time and
due time (a moved due date gets its own reminders). Each goes through portal.mail with the key
"reminder:<assignment>:<student>:<hours>:<due instant>", carries a one-click link that turns reminders off
(and the same address in List-Unsubscribe, RFC 8058), and is not sent to anyone who turned them off."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from courses.models import Course, EffectiveDeadline, Enrolment, ReminderSent
from courses.selectors.deadlines import deadline_rows_refresh_any
from courses.services.course_mail import course_mail_queue
from courses.services.mail_preferences import reminders_off_url
from courses.timefmt import format_local
from portal.models import MailPreference


def _lead_hours(course: Course) -> list[int]:
    return sorted({int(h) for h in course.reminder_hours.split(",") if h.strip().isdigit()}, reverse=True)


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Send every reminder whose moment has come and that has not gone out yet. Returns how many."""
    now = now or timezone.now()
    sent = 0
    for course in Course.objects.all():
        for hours in _lead_hours(course):
            # Lead times are in absolute hours, so a DST change in between neither skips nor repeats one.
            rows = (
                EffectiveDeadline.objects.filter(
                    assignment__course=course,
                    due_at__gt=now,
                    due_at__lte=now + timedelta(hours=hours),
                    last_submitted_at__isnull=True,
                    student__enrolments__section__course=course,
                    student__enrolments__status=Enrolment.Status.ENROLLED,
                )
                .exclude(Exists(MailPreference.objects.filter(user=OuterRef("student"), reminders=False)))
                .exclude(
                    Exists(
                        ReminderSent.objects.filter(
                            student=OuterRef("student"),
                            assignment=OuterRef("assignment"),
                            due_at=OuterRef("due_at"),
                            hours_before=hours,
                        )
                    )
                )
                .select_related("student", "assignment__course")
            )
            rows = list(rows)
            # A stale row (an extension, a moved due time or late days spent, its recompute not run yet) is
            # read with the window the rules give today: a reminder never quotes a time that no longer holds.
            # A row due later than stored waits for its recompute to be reminded of.
            deadline_rows_refresh_any(rows, now)
            for row in rows:
                if now < row.due_at <= now + timedelta(hours=hours):
                    sent += _send_once(course, row, hours, now)
    return sent


def _send_once(course: Course, row: EffectiveDeadline, hours: int, now: datetime) -> int:
    student = row.student
    closes = ""
    if row.grace_ends_at:
        closes = f" The grace period ends {format_local(row.grace_ends_at, course.zone)}; it is for checking."
    off = reminders_off_url(student)
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                student=student,
                assignment=row.assignment,
                hours_before=hours,
                due_at=row.due_at,
                sent_at=now,
            )
            course_mail_queue(
                key=f"reminder:{row.assignment_id}:{student.pk}:{hours}:{row.due_at.isoformat()}",
                course=course,
                to=student,
                subject=f"{row.assignment.code} is due in {hours} hours",
                body=(
                    f"{row.assignment.code} ({row.assignment.title}) is due "
                    f"{format_local(row.due_at, course.zone)} and the portal has no submission from you yet."
                    f"{closes}\n\nTo stop these reminders, open {off}\n"
                ),
                headers={
                    "List-Unsubscribe": f"<{off}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
    except IntegrityError:
        return 0  # another run sent it
    return 1
