from datetime import datetime

from django.db import transaction
from django.utils import timezone

from courses import access
from courses.models import Enrolment, Extension, User
from courses.services.audit import audit_record
from portal.errors import ObjectNotFound, PortalError
from portal.tasking import enqueue_on_commit


@transaction.atomic
def extension_grant(
    *, acting_user, student_username: str, assignment_id: int, due_at: datetime, dean_reference: str
) -> Extension:
    """Give one student a new due time, on the Dean of Students' confirmation.

    No medical detail is asked for or stored: only who granted it, when, the new due time and the
    reference of the Dean's confirmation. The student's deadline (and any submission already made) is
    re-evaluated after commit.
    """
    assignment = access.access_assignment_as_instructor(acting_user, assignment_id)
    fields = {}
    student = User.objects.filter(username=student_username).first()
    if (
        student is None
        or not Enrolment.objects.filter(
            user=student, section__course=assignment.course, status__in=Enrolment.ACTIVE
        ).exists()
    ):
        fields["student"] = f"{student_username!r} is not a student of this course; check the username."
    if assignment.due_at and due_at <= assignment.due_at:
        fields["due_at"] = "An extension must end after the assignment's own due time."
    if not dean_reference.strip():
        fields["dean_reference"] = "Give the reference of the Dean of Students' confirmation."
    if fields:
        raise PortalError(next(iter(fields.values())), fields=fields)
    previous = (
        Extension.objects.select_for_update()
        .filter(student=student, assignment=assignment)
        .values("due_at", "dean_reference", "granted_by__username", "granted_at")
        .first()
    )
    extension, created = Extension.objects.update_or_create(
        student=student,
        assignment=assignment,
        defaults={
            "due_at": due_at,
            "dean_reference": dean_reference.strip(),
            "granted_by": acting_user,
            "granted_at": timezone.now(),
        },
    )
    # The record keeps every grant whole (who, when, the due time, the Dean's reference): a change
    # replaces the extension's row, so the audit keeps what it replaced.
    replaced, zone = {}, assignment.course.zone
    if previous is not None:
        replaced = {
            "previous": {
                "due_at": previous["due_at"].astimezone(zone).isoformat(),
                "dean_reference": previous["dean_reference"],
                "granted_by": previous["granted_by__username"],
                "granted_at": previous["granted_at"].astimezone(zone).isoformat(),
            }
        }
    audit_record(
        actor=acting_user,
        course=assignment.course,
        action="extension.grant" if created else "extension.change",
        target=f"{assignment.code}/{student.username}",
        due_at=due_at.astimezone(zone).isoformat(),
        dean_reference=extension.dean_reference,
        **replaced,
    )

    enqueue_on_commit(
        "courses.tasks.recompute_deadlines", assignment_id=assignment.id, student_ids=[student.id]
    )
    return extension


@transaction.atomic
def extension_revoke(*, acting_user, extension_id: int) -> None:
    """Take an extension back (instructors): the student's window returns to the class's, audited."""
    extension = (
        Extension.objects.select_for_update(of=("self",))
        .select_related("assignment__course", "student")
        .filter(pk=extension_id, assignment__course__in=access.staff_courses(acting_user, role="instructor"))
        .first()
    )
    if extension is None:  # only the course's instructors see extensions to revoke
        raise ObjectNotFound("No such extension among your courses' extensions.")
    assignment = extension.assignment
    student_id = extension.student_id
    audit_record(
        actor=acting_user,
        course=assignment.course,
        action="extension.revoke",
        target=f"{assignment.code}/{extension.student.username}",
        due_at=extension.due_at.isoformat(),
        dean_reference=extension.dean_reference,
    )
    extension.delete()

    enqueue_on_commit(
        "courses.tasks.recompute_deadlines", assignment_id=assignment.id, student_ids=[student_id]
    )
