"""Reminder e-mails before due times, each sent exactly once per student, assignment, lead time and
due time (a moved due date gets its own reminders)."""

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from courses.models import Course, EffectiveDeadline, Enrolment, ReminderSent
from courses.timefmt import format_local


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
                .select_related("student", "assignment")
            )
            for row in rows.iterator():
                sent += _send_once(course, row, hours, now)
    return sent


def _send_once(course: Course, row: EffectiveDeadline, hours: int, now: datetime) -> int:
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                student=row.student,
                assignment=row.assignment,
                hours_before=hours,
                due_at=row.due_at,
                sent_at=now,
            )
    except IntegrityError:
        return 0  # another run sent it
    closes = ""
    if row.grace_ends_at:
        closes = f" The grace period ends {format_local(row.grace_ends_at, course.zone)}; it is for checking."
    send_mail(
        subject=f"[{course.code}] {row.assignment.code} is due in {hours} hours",
        message=(
            f"Hello {row.student.display_name},\n\n{row.assignment.code} ({row.assignment.title}) is due "
            f"{format_local(row.due_at, course.zone)} and the portal has no submission from you yet.{closes}\n"
        ),
        from_email=None,
        recipient_list=[row.student.email] if row.student.email else [],
        fail_silently=True,
    )
    return 1
