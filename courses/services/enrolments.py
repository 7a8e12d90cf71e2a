"""Enrolment writes used by the demo seed, the admin and (later) roster imports and the waitlist."""

from django.db import transaction
from django.utils import timezone

from courses.models import Enrolment, Section, User
from courses.services.audit import audit_record
from portal.tasking import enqueue_on_commit


@transaction.atomic
def enrolment_set(
    *,
    acting_user,
    user: User,
    section: Section,
    status: str,
    grading_basis: str = Enrolment.GradingBasis.CREDIT,
    recompute: bool = True,
) -> Enrolment:
    """Put a student in a section with a status; their deadlines are recomputed after commit.

    `recompute=False` is for bulk writers (seed, roster import) that recompute whole assignments once.
    """
    enrolment, created = Enrolment.objects.get_or_create(
        user=user,
        section=section,
        defaults={"status": status, "grading_basis": grading_basis, "joined_at": timezone.now()},
    )
    if not created and (enrolment.status, enrolment.grading_basis) != (status, grading_basis):
        enrolment.status, enrolment.grading_basis = status, grading_basis
        enrolment.save(update_fields=["status", "grading_basis", "updated_at"])
    elif not created:
        return enrolment
    audit_record(
        actor=acting_user, course=section.course, action="enrolment.set", target=user.username, status=status
    )
    if not recompute:
        return enrolment

    enqueue_on_commit(
        "courses.tasks.recompute_course_deadlines", course_id=section.course_id, student_ids=[user.id]
    )
    return enrolment
