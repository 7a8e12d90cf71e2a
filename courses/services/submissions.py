"""Submitting work: the window is checked against the rules at the moment of submission, and the
student's stored deadline row is updated in the same transaction."""

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from courses import access
from courses.models import Assignment, Course, EffectiveDeadline, Enrolment, Extension, Submission, User
from courses.selectors.deadlines import late_days_used_elsewhere
from courses.services.audit import audit_record
from courses.services.course_mail import course_mail_queue
from courses.timefmt import format_local
from courses.windows import (
    Policy,
    deadline_inputs_key,
    late_days_left,
    local_days_late,
    outcome_for,
    penalty_for,
    status_for,
    submission_timing,
    window_for,
)
from portal.errors import PortalError
from portal.queries import row_by_key
from portal.tasking import enqueue_on_commit
from portal.uploads import too_large

logger = logging.getLogger(__name__)


def _collaborator_users(
    *, student, assignment, usernames: list[str] | None, worked_alone: bool = False
) -> list[User]:
    """The declaration rule: usernames of the people the student worked with, or "I worked alone" (an
    empty list, or `worked_alone`); both at once contradict each other and are refused."""
    names = sorted({name.strip() for name in usernames or [] if name.strip()})
    if worked_alone and names:
        raise PortalError(
            f'You ticked "I worked alone" and listed {", ".join(names)} as collaborators: do one or the '
            'other. Untick "I worked alone" if you worked with them, or clear the collaborators.',
            code="contradictory_declaration",
            fields={
                "collaborators": "Listed, while you also declared you worked alone.",
                "collaborators_none": "Declared, while you also listed collaborators.",
            },
        )
    if usernames is None and not worked_alone:
        raise PortalError(
            "Declare who you worked with: list their usernames, or send an empty list if you worked alone.",
            fields={"collaborators": "Required: usernames, or an empty list for none."},
        )
    if names and not assignment.collaboration_allowed:
        raise PortalError(
            f"{assignment.code} allows no collaboration: submit with an empty collaborator list.",
            fields={"collaborators": f"{assignment.code} must be your own work alone."},
        )
    if student.username in names:
        raise PortalError(
            "You do not need to list yourself as a collaborator.",
            fields={"collaborators": "Remove your own username."},
        )
    if not names:  # worked alone: nobody to look up
        return []
    users = list(
        User.objects.filter(
            username__in=names,
            enrolments__section__course_id=assignment.course_id,
            enrolments__status__in=Enrolment.ACTIVE,
        ).distinct()
    )
    unknown = sorted(set(names) - {u.username for u in users})
    if unknown:
        raise PortalError(
            f"Not students of this course: {', '.join(unknown)}. Check the usernames.",
            fields={"collaborators": f"Unknown in this course: {', '.join(unknown)}."},
        )
    return users


# A stored name is "submissions/<assignment>/<student>/<random>-<name>" in a 100-character column: a long
# name is shortened from its stem, but the extension is kept whole, so it must be short.
MAX_EXTENSION_LENGTH = 16


def _check_file_name(name: str) -> None:
    extension = name.rsplit(".", 1)[1] if "." in name.strip(".") else ""
    if len(extension) > MAX_EXTENSION_LENGTH:
        raise PortalError(
            f"The file's extension is {len(extension)} characters long; rename the file with its usual "
            "extension (such as .pdf, .zip or .ipynb) and submit again.",
            code="bad_file_name",
            fields={"file": f"The extension may be at most {MAX_EXTENSION_LENGTH} characters."},
        )


def file_receipt(file) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex) of an uploaded file, read chunk by chunk: never whole in memory."""
    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)  # storage reads it again from the start
    return size, digest.hexdigest()


# The student's extension of the assignment being read (`courses_assignment`), in plain SQL as the access
# check beside it (courses.access.access_assignment_as_student).
_EXTENSION_DUE_AT = (
    f"SELECT x.due_at FROM {Extension._meta.db_table} x "
    f"WHERE x.student_id = %s AND x.assignment_id = {Assignment._meta.db_table}.id"
)


@transaction.atomic
def submission_create(
    *,
    acting_user,
    assignment_id: int,
    file,
    collaborators: list[str] | None,
    honor_statement_accepted: bool,
    worked_alone: bool = False,
    now: datetime | None = None,
) -> tuple[Submission, str]:
    """Store a submission and return it with the student's new status; its e-mail receipt goes out after
    the commit. `collaborators` (usernames; an empty list: nobody) and `worked_alone` declare who the
    student worked with."""
    now = now or timezone.now()
    # One query: the assignment and its course, that the user is one of its students, and their extension.
    assignment = access.access_assignment_as_student(
        acting_user,
        assignment_id,
        extension_due_at=RawSQL(_EXTENSION_DUE_AT, [acting_user.pk], DateTimeField()),
    )
    extension_due_at = assignment.extension_due_at
    course: Course = assignment.course
    if not assignment.accepts_submissions or assignment.due_at is None:
        raise PortalError(f"{assignment.code} takes no submissions through the portal.", code="not_accepted")
    if assignment.release_at and now < assignment.release_at:
        raise PortalError(
            f"{assignment.code} opens {format_local(assignment.release_at, course.zone)}; submit after that.",
            code="not_released",
        )
    users = _collaborator_users(
        student=acting_user, assignment=assignment, usernames=collaborators, worked_alone=worked_alone
    )
    if file is None:
        raise PortalError("Attach the file you are submitting.", fields={"file": "A file is required."})
    if file.size > settings.PORTAL_MAX_SUBMISSION_BYTES:
        raise too_large()
    _check_file_name(file.name or "")
    if not honor_statement_accepted:
        raise PortalError(
            "Confirm the honor statement to submit.",
            fields={
                "honor_statement_accepted": "Required: your own work, sources credited, no AI assistants."
            },
        )

    policy = Policy.of(course)
    banked = policy.kind == Course.LatePolicy.LATE_DAYS and course.late_day_bank
    if banked:
        # The bank is the student's across the course: lock their enrolment so that two submissions at once
        # (of any assignments) read and spend it one after the other.
        list(
            Enrolment.objects.select_for_update(of=("self",))
            .filter(user=acting_user, section__course_id=course.id, status__in=Enrolment.ACTIVE)
            .values_list("pk", flat=True)
        )
    # Lock the student's row so two submissions of the assignment at once are stored one after the other.
    row = row_by_key(
        EffectiveDeadline.objects.select_for_update()
        .filter(student=acting_user, assignment=assignment)
        .values_list("pk", "late_days_used", named=True)
    )
    late_days_available = 0
    if banked:  # no bank, nothing to sum
        used_elsewhere = late_days_used_elsewhere(assignment=assignment, student_ids=[acting_user.id]).get(
            acting_user.id, 0
        )
        late_days_available = late_days_left(course.late_day_bank, used_elsewhere)
    window = window_for(
        policy=policy,
        due_at=assignment.due_at,
        grace_allowed=assignment.grace_allowed,
        extension_due_at=extension_due_at,
        late_days_available=late_days_available,
    )
    if now > window.closes_at:
        raise PortalError(
            f"The window for {assignment.code} closed {format_local(window.closes_at, course.zone)}; "
            "late work counts 0. Only an extension gives more time: ask the Dean of Students to confirm "
            "your circumstances to the instructor.",
            code="window_closed",
            fields={"closes_at": window.closes_at.astimezone(course.zone).isoformat()},  # the course's offset
        )

    days_late = local_days_late(window.due_at, now, policy.zone)
    timing = submission_timing(window=window, submitted_at=now, policy_kind=policy.kind)
    size, sha256 = file_receipt(file)
    submission = Submission.objects.create(
        student=acting_user,
        assignment=assignment,
        file=file,
        submitted_at=now,
        timing=timing,
        honor_statement_accepted=True,
        original_name=(file.name or "")[: Submission._meta.get_field("original_name").max_length],
        size=size,
        sha256=sha256,
    )
    if users:  # a new submission: nothing to replace, and nothing to add for "I worked alone"
        submission.collaborators.add(*users)
    # What the answer lists, known without reading the rows just written (the list reads them).
    submission.collaborator_usernames = sorted(u.username for u in users)

    late_days = days_late if policy.kind == Course.LatePolicy.LATE_DAYS else 0
    deadline = {
        "due_at": window.due_at,
        "grace_ends_at": window.grace_ends_at,
        "closes_at": window.closes_at,
        "extension_due_at": window.extension_due_at,
        "last_submitted_at": now,
        "late_days_used": late_days,
        "penalty_percent": penalty_for(policy=policy, days_late=days_late),
        "outcome": outcome_for(window=window, submitted_at=now, closed=False, policy_kind=policy.kind),
        "computed_at": now,
        "inputs_key": deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension_due_at,
            late_days_available=late_days_available,
        ),
    }
    if row is not None:  # the locked row: one UPDATE
        EffectiveDeadline.objects.filter(pk=row.pk).update(**deadline)
    else:
        EffectiveDeadline.objects.update_or_create(
            student=acting_user, assignment=assignment, defaults=deadline
        )
    audit_record(
        actor=acting_user,
        course=course,
        action="submission.create",
        target=assignment.code,
        timing=timing,
        collaborators=[u.username for u in users],
        sha256=sha256,
    )
    enqueue_on_commit("courses.tasks.send_submission_receipt", submission_id=submission.id)
    if late_days != (row.late_days_used if row else 0):
        # The bank changed: the student's other windows grow or shrink.
        enqueue_on_commit(
            "courses.tasks.recompute_course_deadlines", course_id=course.id, student_ids=[acting_user.id]
        )
    return submission, status_for(window=window, submitted_at=now, now=now, policy_kind=policy.kind)


def submission_receipt_send(*, submission_id: int) -> bool:
    """E-mail the student the receipt of one submission, once: file name, size, SHA-256, collaborators or
    "worked alone", the time received and whether on time or in grace, in the course's zone. Safe to run
    twice (the row is locked and stamped, and portal.mail sends the key "submission-receipt:<id>" once).
    False when already sent, or the submission is gone."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("student", "assignment__course")
            .filter(pk=submission_id, receipt_sent_at__isnull=True)
            .first()
        )
        if submission is None:
            return False
        student, assignment = submission.student, submission.assignment
        course = assignment.course
        zone = course.zone
        collaborators = sorted(u.username for u in submission.collaborators.all())
        closes_at = (
            EffectiveDeadline.objects.filter(student=student, assignment=assignment)
            .values_list("closes_at", flat=True)
            .first()
        )
        lines = [
            f"The portal received your submission of {assignment.code} ({assignment.title}), {course.code}.",
            "",
            f"File: {submission.original_name or '(no name)'}",
            f"Size: {submission.size} bytes",
            f"SHA-256: {submission.sha256 or '(not computed)'}",
            "Collaborators: " + (", ".join(collaborators) if collaborators else "none (you worked alone)"),
            f"Received: {format_local(submission.submitted_at, zone)}",
            f"Timing: {submission.get_timing_display()}",
            "",
        ]
        if closes_at is not None and submission.submitted_at <= closes_at:
            lines.append(
                f"You may submit again until the window closes, {format_local(closes_at, zone)}; the latest "
                "submission is the one graded."
            )
        lines.append("Keep this e-mail: the SHA-256 identifies the exact file the portal stored.")
        # A mail server that is down delays the receipt (portal.mail retries); the submission stands. This
        # runs on a worker: the message is sent from here after the commit, not by a second task.
        course_mail_queue(
            send_here=True,
            key=f"submission-receipt:{submission.pk}",
            course=course,
            to=student,
            subject=f"Receipt: {assignment.code} received {format_local(submission.submitted_at, zone)}",
            body="\n".join(lines) + "\n",
        )
        Submission.objects.filter(pk=submission.pk).update(receipt_sent_at=timezone.now())
    return True
