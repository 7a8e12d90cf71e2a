"""Entering scores, releasing grades. Every score change writes one GradeChange row."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from courses import access as course_access
from courses.models import Assignment, Enrolment, User
from courses.services.audit import audit_record
from courses.timefmt import format_local
from courses.windows import add_local_days
from grading import access
from grading.models import Grade, GradeChange, GradeRelease, Question, QuestionScore
from grading.scores import ScoreError, score_parse
from portal.errors import ObjectNotFound, PermissionDenied, PortalError


def questions_ensure(*, assignment: Assignment) -> list[Question]:
    """An assignment graded without questions gets one question worth all its points."""
    questions = list(assignment.questions.all())
    if not questions:
        # Two first grade entries at once (two graders, or a grader and an import): the label is unique per
        # assignment, so one insert wins and the other reads the question it made instead of failing.
        question, _ = Question.objects.get_or_create(
            assignment=assignment, label="Total", defaults={"points": assignment.points}
        )
        questions = [question]
    return questions


def regrade_deadline_for(*, released_at: datetime, assignment: Assignment) -> datetime:
    course = assignment.course
    return add_local_days(released_at, course.regrade_window_days, course.zone)


def _check_score(question: Question, score: Decimal) -> None:
    try:
        score_parse(score)
    except ScoreError as exc:
        raise PortalError(f"{question.label}: {exc}", fields={f"scores.{question.id}": str(exc)}) from None
    if score < 0 or score > question.points:
        raise PortalError(
            f"{question.label} is worth {question.points} points; enter a score from 0 to {question.points}.",
            fields={f"scores.{question.id}": f"Between 0 and {question.points}."},
        )


def scores_lock(assignment_id: int) -> None:
    """Taken before a transaction reads an assignment's questions to write scores: a shared lock on the
    assignment's row (FOR KEY SHARE: score writers do not wait for one another). An outline change
    (services.outline, which locks the row for update) waits for the scores in flight, and they for it:
    the points a score is checked against stay its question's points until the commit."""
    if connection.features.has_select_for_update:  # SQLite (the demo) writes one transaction at a time
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Assignment._meta.db_table} WHERE id = %s FOR KEY SHARE", [assignment_id]
            )


def graded_row(*, student, assignment: Assignment, **defaults) -> Grade:
    """The student's grade of the assignment, made when missing, its row locked: two graders entering a
    student's first scores at once (or a grader and an import) write one after the other into one grade."""
    grade, _ = Grade.objects.select_for_update().get_or_create(
        student=student, assignment=assignment, defaults=defaults
    )
    return grade


def score_change(
    *,
    grade: Grade,
    question: Question,
    new_score: Decimal,
    changed_by,
    reason: str,
    source: str,
    now: datetime,
) -> GradeChange | None:
    """Set one question's score and append the history row (nothing when the score is unchanged).

    The caller holds the transaction, the assignment's scores_lock (taken before it read `question`) and
    the grade's row lock (graded_row); this is the only place a score is written.
    """
    _check_score(question, new_score)
    current = QuestionScore.objects.select_for_update().filter(grade=grade, question=question).first()
    old = current.score if current else None
    if old == new_score:
        return None
    if current:
        current.score = new_score
        current.save(update_fields=["score"])
    else:
        QuestionScore.objects.create(grade=grade, question=question, score=new_score)
    Grade.objects.filter(pk=grade.pk).update(updated_at=now)
    return GradeChange.objects.create(
        grade=grade,
        question=question,
        old_score=old,
        new_score=new_score,
        changed_by=changed_by,
        changed_at=now,
        reason=reason,
        source=source,
    )


def _release_fields(assignment: Assignment, now: datetime) -> dict:
    release = GradeRelease.objects.filter(assignment=assignment, released_at__isnull=False).first()
    if release is None:
        return {}
    return {
        "released_at": now,
        "regrade_deadline": regrade_deadline_for(released_at=now, assignment=assignment),
    }


@transaction.atomic
def grade_enter(
    *,
    acting_user,
    assignment_id: int,
    student_username: str,
    scores: dict[int, Decimal],
    reason: str = "",
    source: str = GradeChange.Source.ENTRY,
    now: datetime | None = None,
) -> Grade:
    """Staff enter scores for one student (creating the grade if needed). A grade entered after the
    assignment's release is released at once, and its regrade window starts then."""
    now = now or timezone.now()
    assignment = course_access.access_assignment_as_staff(acting_user, assignment_id)
    student = User.objects.filter(
        username=student_username,
        enrolments__section__course=assignment.course,
        enrolments__status__in=Enrolment.ACTIVE,
    ).first()
    if student is None:
        raise PortalError(
            f"{student_username!r} is not a student of this course; check the username.",
            fields={"student": "Not a student of this course."},
        )
    if not course_access.may_act_on_student(acting_user, assignment.course_id, student.id):
        raise ObjectNotFound("No such student among the sections you staff.")
    scores_lock(assignment.id)
    grade = graded_row(student=student, assignment=assignment, **_release_fields(assignment, now))
    entered = dict(QuestionScore.objects.filter(grade=grade).values_list("question_id", "score"))
    if not reason.strip() and any(entered.get(qid) not in (None, score) for qid, score in scores.items()):
        raise PortalError(
            "Say why the score changes; the reason is kept in the grade's history.",
            fields={"reason": "Required to change a score already entered."},
        )
    _apply_scores(acting_user, grade, scores, reason or "Entered", source, now)
    return grade


def _apply_scores(
    acting_user, grade: Grade, scores: dict[int, Decimal], reason: str, source: str, now
) -> None:
    questions = {q.id: q for q in questions_ensure(assignment=grade.assignment)}
    unknown = [qid for qid in scores if qid not in questions]
    if unknown:
        raise PortalError(
            f"Question {unknown[0]} is not part of {grade.assignment.code}.",
            fields={f"scores.{unknown[0]}": "Not a question of this assignment."},
        )
    for question_id, score in scores.items():
        score_change(
            grade=grade,
            question=questions[question_id],
            new_score=score,
            changed_by=acting_user,
            reason=reason,
            source=source,
            now=now,
        )


@transaction.atomic
def grade_update(
    *, acting_user, grade_id: int, scores: dict[int, Decimal], reason: str, now: datetime | None = None
) -> Grade:
    """Change scores of an existing grade; a reason is required and goes into the history."""
    now = now or timezone.now()
    grade = access.access_grade_as_staff(acting_user, grade_id)
    if not reason.strip():
        raise PortalError(
            "Say why the score changes; the reason is kept in the grade's history.",
            fields={"reason": "Required."},
        )
    scores_lock(grade.assignment_id)
    grade = Grade.objects.select_for_update().get(pk=grade.pk)
    _apply_scores(acting_user, grade, scores, reason.strip(), GradeChange.Source.ENTRY, now)
    return grade


@transaction.atomic
def grades_release(
    *, acting_user, assignment_id: int, at: datetime | None = None, now: datetime | None = None
) -> GradeRelease:
    """Release an assignment's grades now, or schedule the release (a beat task carries it out)."""
    now = now or timezone.now()
    assignment = course_access.access_assignment_as_instructor(acting_user, assignment_id)
    scheduled_for = at or now
    if scheduled_for < now - timedelta(minutes=1):
        raise PortalError(
            "A scheduled release must be in the future; leave the time empty to release now.",
            fields={"at": "In the past."},
        )
    release, _ = GradeRelease.objects.select_for_update().get_or_create(
        assignment=assignment, defaults={"scheduled_for": scheduled_for, "requested_by": acting_user}
    )
    if release.released_at is None:
        release.scheduled_for, release.requested_by = scheduled_for, acting_user
        release.save(update_fields=["scheduled_for", "requested_by"])
    elif at is not None and scheduled_for > now:
        raise PortalError(
            f"{assignment.code}'s grades were released {format_local(release.released_at, assignment.course.zone)}; "
            "a release cannot be scheduled after that. Grades entered since are released as they are entered.",
            code="already_released",
            fields={"at": "Already released."},
        )
    audit_record(
        actor=acting_user,
        course=assignment.course,
        action="grades.release",
        target=assignment.code,
        at=scheduled_for.isoformat(),
    )
    if scheduled_for <= now:
        grades_release_carry_out(release_id=release.id, now=now)
        release.refresh_from_db(fields=["released_at"])
    return release


@transaction.atomic
def grades_release_carry_out(*, release_id: int, now: datetime | None = None) -> int:
    """Release every unreleased grade of the assignment (idempotent). Returns grades released."""
    now = now or timezone.now()
    release = GradeRelease.objects.select_for_update().select_related("assignment__course").get(pk=release_id)
    if release.scheduled_for > now:
        return 0
    if release.released_at is None:
        release.released_at = now
        release.save(update_fields=["released_at"])
    return Grade.objects.filter(assignment=release.assignment, released_at__isnull=True).update(
        released_at=now, regrade_deadline=regrade_deadline_for(released_at=now, assignment=release.assignment)
    )


def grades_release_scheduled(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    released = 0
    for release_id in GradeRelease.objects.filter(
        released_at__isnull=True, scheduled_for__lte=now
    ).values_list("id", flat=True):
        released += grades_release_carry_out(release_id=release_id, now=now)
    return released


@transaction.atomic
def team_grade_enter(
    *,
    acting_user,
    assignment_id: int,
    team_id: int,
    scores: dict[int, Decimal],
    reason: str = "",
    now: datetime | None = None,
) -> list[Grade]:
    """A team's grade applies to each accepted member, each change in that member's grade history."""
    from courses.models import TeamMembership

    assignment = course_access.access_assignment_as_staff(acting_user, assignment_id)
    if assignment.team_size_max < 2:
        raise PortalError(
            f"{assignment.code} is individual work; enter grades per student.", code="not_team_work"
        )
    team = course_access.staff_teams(acting_user, assignment.course_id).filter(pk=team_id).first()
    if team is None:
        raise ObjectNotFound("No such team among the ones you staff.")
    members = list(
        TeamMembership.objects.filter(team=team, state=TeamMembership.State.ACCEPTED).select_related("user")
    )
    if not members:
        raise PortalError(f"Team {team.name} has no members yet.", code="empty_team")
    reachable = set(
        course_access.staff_students(acting_user, assignment.course_id)
        .filter(id__in=[m.user_id for m in members])
        .values_list("id", flat=True)
    )
    if any(m.user_id not in reachable for m in members):
        raise PermissionDenied(
            f"Team {team.name} has members outside the sections you staff; the instructor or a "
            "course-wide TA enters its grade."
        )
    return [
        grade_enter(
            acting_user=acting_user,
            assignment_id=assignment.id,
            student_username=m.user.username,
            scores=scores,
            reason=reason or f"Team grade ({team.name})",
            now=now,
        )
        for m in members
    ]
