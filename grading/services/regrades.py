"""Regrade requests: open → claimed → accepted/rejected, withdraw, appeal once to the instructor.

State changes lock the request row and check its state, so of two TAs resolving at once exactly one
wins; the other gets a Conflict (409) and changes nothing.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from courses import access as course_access
from courses.models import StaffRole
from courses.services.audit import audit_record
from courses.services.course_mail import course_mail_queue
from courses.timefmt import format_local
from grading import access
from grading.models import GradeChange, Question, QuestionScore, RegradeRequest
from grading.services.grades import graded_row, score_change, scores_lock
from portal.errors import Conflict, ObjectNotFound, PermissionDenied, PortalError

State = RegradeRequest.State
APPEAL_GRACE = timedelta(hours=48)


def _locked(request_id: int) -> RegradeRequest:
    return (
        RegradeRequest.objects.select_for_update(of=("self",))
        .select_related("grade__assignment__course", "question", "student")
        .get(pk=request_id)
    )


def refuse_former_student(acting_user, course) -> None:
    """Regrade requests and appeals are for the course's students: one who dropped it still sees their
    released grades (and may withdraw a request) but asks the instructor instead."""
    if course_access.student_enrolment(acting_user, course.id) is None:
        raise PermissionDenied(
            f"You are no longer enrolled in {course.code}, so the portal takes no regrade requests from you "
            "there; write to the instructor if a grade needs another look.",
            code="not_enrolled",
        )


def regrade_ask_refusal(question, answered) -> PortalError | None:
    """Why a new request on `question` is refused, or None: one answered request per question, and the
    way on from an answer is the one appeal (withdrawn requests do not count). `answered`: the
    `appeal_of_id` of each of the grade's answered (accepted or rejected) requests on the question."""
    answered = list(answered)
    if any(appeal_of is not None for appeal_of in answered):
        return PortalError(
            f"The instructor answered your appeal on {question.label}; that answer is final.",
            code="appeal_final",
            fields={"question": "Appeal answered."},
        )
    if answered:
        return PortalError(
            f"Your request on {question.label} was answered. If you disagree, appeal that answer once to the "
            "instructor (My grades, under the request) instead of asking again.",
            code="already_answered",
            fields={"question": "Already answered."},
        )
    return None


@transaction.atomic
def regrade_request_create(
    *, acting_user, grade_id: int, question_id: int, justification: str, now: datetime | None = None
) -> RegradeRequest:
    now = now or timezone.now()
    grade = access.access_grade(acting_user, grade_id)
    if grade.student_id != acting_user.id:
        raise PermissionDenied("Only the student whose grade it is can ask for a regrade.")
    course = grade.assignment.course
    refuse_former_student(acting_user, course)
    question = Question.objects.filter(pk=question_id, assignment=grade.assignment).first()
    if question is None:
        raise PortalError(
            f"Choose a question of {grade.assignment.code}.",
            fields={"question": "Not a question of this assignment."},
        )
    if not justification.strip():
        raise PortalError("Explain what should be regraded and why.", fields={"justification": "Required."})
    if grade.regrade_deadline is None or now > grade.regrade_deadline:
        raise PortalError(
            f"The regrade window for {grade.assignment.code} closed {format_local(grade.regrade_deadline, course.zone)} "
            f"({course.regrade_window_days} days after the grade's release). Talk to the instructor if something is wrong.",
            code="window_closed",
        )
    refusal = regrade_ask_refusal(
        question,
        RegradeRequest.objects.filter(
            grade=grade, question=question, state__in=RegradeRequest.RESOLVED
        ).values_list("appeal_of_id", flat=True),
    )
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            request = RegradeRequest.objects.create(
                grade=grade,
                assignment_id=grade.assignment_id,
                course_id=course.id,
                question=question,
                student=acting_user,
                justification=justification.strip(),
                created_at=now,
                old_score=_score(grade, question),
            )
    except IntegrityError:
        raise PortalError(
            f"You already have an open request for {question.label}; wait for its answer or withdraw it.",
            code="duplicate",
            fields={"question": "An open request exists."},
        ) from None
    audit_record(
        actor=acting_user,
        course=course,
        action="regrade.create",
        target=f"{grade.assignment.code} {question.label}",
    )
    return request


def _score(grade, question) -> Decimal | None:
    return (
        QuestionScore.objects.filter(grade=grade, question=question).values_list("score", flat=True).first()
    )


def _may_handle(user, request: RegradeRequest) -> bool:
    if request.is_appeal:
        return course_access.is_instructor(user, request.grade.assignment.course_id)
    return access.is_grade_staff(user, request.grade)


def _staff_request(acting_user, request_id: int) -> RegradeRequest:
    request = access.access_request(acting_user, request_id)
    if request.student_id == acting_user.id and not access.is_grade_staff(acting_user, request.grade):
        raise PermissionDenied("Students cannot handle regrade requests.")
    if not _may_handle(acting_user, request):
        raise PermissionDenied("Appeals go to the instructor; a TA cannot handle them.")
    return request


@transaction.atomic
def regrade_request_claim(*, acting_user, request_id: int, now: datetime | None = None) -> RegradeRequest:
    now = now or timezone.now()
    _staff_request(acting_user, request_id)
    request = _locked(request_id)
    if request.state != State.OPEN:
        raise Conflict(f"This request is already {request.get_state_display().lower()}; reload the queue.")
    request.state, request.claimed_by, request.claimed_at = State.CLAIMED, acting_user, now
    request.save(update_fields=["state", "claimed_by", "claimed_at"])
    _audit(acting_user, request, "regrade.claim")
    return request


def _audit(actor, request: RegradeRequest, action: str) -> None:
    grade = request.grade
    audit_record(
        actor=actor,
        course=grade.assignment.course,
        action=action,
        target=f"{grade.assignment.code} {request.question.label}",
        request_id=request.id,
    )


@transaction.atomic
def regrade_request_resolve(
    *,
    acting_user,
    request_id: int,
    decision: str,
    response: str,
    new_score: Decimal | None = None,
    now: datetime | None = None,
) -> RegradeRequest:
    """Accept (with the new score, written through the grade history) or reject (with a response)."""
    now = now or timezone.now()
    question = _staff_request(acting_user, request_id).question
    fields = {}
    if decision not in (State.ACCEPTED, State.REJECTED):
        fields["decision"] = "Choose accepted or rejected."
    if not response.strip():
        fields["response"] = "Tell the student why."
    if decision == State.ACCEPTED and new_score is None:
        fields["new_score"] = "An accepted request needs the new score."
    elif decision == State.ACCEPTED and not 0 <= new_score <= question.points:
        fields["new_score"] = (
            f"{question.label} is worth {question.points} points; enter 0 to {question.points}."
        )
    if fields:
        raise PortalError(next(iter(fields.values())), fields=fields)
    if decision == State.ACCEPTED:
        scores_lock(question.assignment_id)  # before the request (and its question) is read again
    request = _locked(request_id)
    if request.state not in (State.OPEN, State.CLAIMED):
        raise Conflict(f"This request is already {request.get_state_display().lower()}; nothing was changed.")
    if (
        request.state == State.CLAIMED
        and request.claimed_by_id != acting_user.id
        and not course_access.is_instructor(acting_user, request.grade.assignment.course_id)
    ):
        raise Conflict("Another TA has claimed this request; nothing was changed.")
    if decision == State.ACCEPTED:
        score_change(
            grade=graded_row(student=request.grade.student, assignment=request.grade.assignment),
            question=request.question,
            new_score=new_score,
            changed_by=acting_user,
            reason=f"Regrade request #{request.id}: {response.strip()}",
            source=GradeChange.Source.APPEAL if request.is_appeal else GradeChange.Source.REGRADE,
            now=now,
        )
    request.state = decision
    request.resolved_by, request.resolved_at = acting_user, now
    request.response = response.strip()
    request.new_score = new_score if decision == State.ACCEPTED else None
    if request.claimed_by_id is None:
        request.claimed_by, request.claimed_at = acting_user, now
    request.save()
    audit_record(
        actor=acting_user,
        course=request.grade.assignment.course,
        action="regrade.resolve",
        target=f"#{request.id}",
        decision=decision,
    )
    _mail_resolution(request.id)
    return request


def _mail_resolution(request_id: int) -> None:
    request = RegradeRequest.objects.select_related("grade__assignment__course", "question", "student").get(
        pk=request_id
    )
    assignment = request.grade.assignment
    zone = assignment.course.zone
    outcome = (
        f"accepted: your score for {request.question.label} is now {request.new_score}"
        if request.state == State.ACCEPTED
        else "rejected"
    )
    appeal = ""
    if regrade_appeal_refusal(request, now=request.resolved_at, appealed=False) is None:
        appeal = f"\nYou may appeal this answer once, until {format_local(appeal_deadline(request), zone)}.\n"
    course_mail_queue(
        key=f"regrade-resolved:{request.id}",
        course=assignment.course,
        to=request.student,
        subject=f"Regrade of {assignment.code} {request.question.label}: {request.state}",
        body=(
            f"Your regrade request was {outcome} ({format_local(request.resolved_at, zone)}).\n\n"
            f"Response: {request.response}\n{appeal}"
        ),
    )


@transaction.atomic
def regrade_request_withdraw(*, acting_user, request_id: int) -> RegradeRequest:
    request = access.access_request(acting_user, request_id)
    if request.student_id != acting_user.id:
        raise ObjectNotFound("No such regrade request among yours.")
    request = _locked(request_id)
    if request.state != State.OPEN:
        raise Conflict(
            f"This request is {request.get_state_display().lower()}; only an open request can be withdrawn."
        )
    request.state = State.WITHDRAWN
    request.save(update_fields=["state"])
    _audit(acting_user, request, "regrade.withdraw")
    return request


def appeal_deadline(request: RegradeRequest) -> datetime | None:
    """The later of the regrade window's end and 48 hours after the resolution."""
    if request.resolved_at is None:
        return None
    window_end = request.grade.regrade_deadline or request.resolved_at
    return max(window_end, request.resolved_at + APPEAL_GRACE)


def regrade_appeal_refusal(request: RegradeRequest, *, now: datetime, appealed: bool) -> PortalError | None:
    """Why the student may not appeal `request` at `now` (None: they may). `appealed`: an appeal of it
    exists. The one appeal rule: the service raises the refusal, My grades offers the appeal only
    without one."""
    if request.is_appeal:
        return PortalError("An appeal is final; it cannot be appealed again.", code="appeal_final")
    if request.state not in RegradeRequest.RESOLVED:
        return PortalError(
            "Only a resolved request can be appealed; wait for the TA's answer.", code="not_resolved"
        )
    points = request.question.points
    if request.state == State.ACCEPTED and request.new_score is not None and request.new_score >= points:
        return PortalError(
            f"This request was accepted with full marks ({request.new_score} of {points} points) "
            "for this question; there is nothing left to appeal.",
            code="full_marks",
        )
    if appealed:
        return PortalError(
            "You have already appealed this request; each request can be appealed once.", code="duplicate"
        )
    deadline = appeal_deadline(request)
    if now > deadline:
        zone = request.grade.assignment.course.zone
        return PortalError(f"The time to appeal ended {format_local(deadline, zone)}.", code="window_closed")
    return None


@transaction.atomic
def regrade_request_appeal(
    *, acting_user, request_id: int, justification: str, now: datetime | None = None
) -> RegradeRequest:
    """Appeal a resolved request once, to the instructor (regrade_appeal_refusal says when not)."""
    now = now or timezone.now()
    original = access.access_request(acting_user, request_id)
    if original.student_id != acting_user.id:
        raise ObjectNotFound("No such regrade request among yours.")
    refuse_former_student(acting_user, original.grade.assignment.course)
    refusal = regrade_appeal_refusal(
        original, now=now, appealed=RegradeRequest.objects.filter(appeal_of=original).exists()
    )
    if refusal is not None:
        raise refusal
    course = original.grade.assignment.course
    if not justification.strip():
        raise PortalError("Explain why you appeal.", fields={"justification": "Required."})
    try:
        with transaction.atomic():
            appeal = RegradeRequest.objects.create(
                grade=original.grade,
                assignment_id=original.assignment_id,
                course_id=original.course_id,
                question=original.question,
                student=acting_user,
                justification=justification.strip(),
                created_at=now,
                appeal_of=original,
                old_score=_score(original.grade, original.question),
            )
    except IntegrityError:
        raise PortalError("This question already has an open request.", code="duplicate") from None
    audit_record(actor=acting_user, course=course, action="regrade.appeal", target=f"#{original.id}")
    _mail_appeal(appeal.id)
    return appeal


def _mail_appeal(request_id: int) -> None:
    request = RegradeRequest.objects.select_related("grade__assignment__course", "question", "student").get(
        pk=request_id
    )
    course = request.grade.assignment.course
    instructors = StaffRole.objects.filter(course=course, role=StaffRole.Role.INSTRUCTOR).select_related(
        "user"
    )
    for role in instructors:  # one message each, so each is sent (and counted) once
        course_mail_queue(
            key=f"regrade-appealed:{request.id}:{role.user_id}",
            course=course,
            to=role.user,
            subject=f"Regrade appeal: {request.grade.assignment.code} {request.question.label}",
            body=(
                f"{request.student.display_name} appeals regrade request #{request.appeal_of_id} "
                f"({format_local(request.created_at, course.zone)}).\n\n{request.justification}\n"
            ),
        )
