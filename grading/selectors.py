"""Reads for grades, history and the regrade queue. Query counts do not grow with the data."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.db.models import Case, Count, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.utils import timezone

from courses import access as course_access
from courses import selectors as course_selectors
from courses.models import Assignment, Enrolment, Section, User
from courses.timefmt import format_local
from courses.windows import class_window
from grading import access
from grading.models import (
    Grade,
    GradeChange,
    Question,
    QuestionRequirement,
    QuestionScore,
    RegradeRequest,
)
from grading.totals import earned_points, grade_points, possible_points, question_infos
from portal.paging import RowsByKeys


@dataclass(frozen=True)
class ScoreLine:
    question: Question
    score: Decimal | None


def _question_prefetch():
    return Prefetch(
        "assignment__questions",
        queryset=Question.objects.order_by("position", "label").prefetch_related("requirements"),
    )


def _with_student_section(qs):
    """Annotate each grade with the section whose rules apply to it (what the totals need): its student's
    active enrolment in the course, else their latest one (a student who dropped keeps their section's
    rules on the grades they still see; a question "not applicable" to it never counts against them)."""
    active_first = Case(When(status__in=Enrolment.ACTIVE, then=Value(0)), default=Value(1))
    return qs.annotate(
        student_section_id=Subquery(
            Enrolment.objects.filter(
                user_id=OuterRef("student_id"), section__course_id=OuterRef("assignment__course_id")
            )
            .order_by(active_first, "-updated_at", "-id")
            .values("section_id")[:1]
        )
    )


def grades_for_user(user, *, assignment_id: int | None = None, student_username: str | None = None):
    """Staff: grades of the students they may see; students: their own released grades."""
    qs = access.grades_visible_to(user)
    if assignment_id is not None:
        qs = qs.filter(assignment_id=assignment_id)
    if student_username:
        qs = qs.filter(student__username=student_username)
    return _with_student_section(
        qs.select_related("assignment__course", "student")
        .prefetch_related("scores", _question_prefetch())
        .order_by("assignment__due_at", "assignment__code", "student__username")
    )


def grade_with_scores(grade_id: int) -> Grade:
    """One grade with what GradeOut needs, after an access check elsewhere."""
    return _with_student_section(
        Grade.objects.select_related("assignment__course", "student").prefetch_related(
            "scores", _question_prefetch()
        )
    ).get(pk=grade_id)


def score_lines(grade: Grade) -> list[ScoreLine]:
    """Per-question scores in question order (uses the prefetches of grades_for_user)."""
    scores = {s.question_id: s.score for s in grade.scores.all()}
    return [ScoreLine(q, scores.get(q.id)) for q in grade.assignment.questions.all()]


def grade_total(grade: Grade) -> tuple[Decimal, Decimal]:
    """(earned, possible) for the grade's student, by the totals' section rules (grading.totals)."""
    return grade_points(grade, getattr(grade, "student_section_id", None))


def grade_history(grade: Grade):
    return (
        GradeChange.objects.filter(grade=grade)
        .select_related("question", "changed_by")
        .order_by("changed_at", "id")
    )


def _section_code_subquery():
    return Subquery(
        Enrolment.objects.filter(user_id=OuterRef("student_id"), section__course_id=OuterRef("course_id"))
        .filter(status__in=Enrolment.ACTIVE)
        # Enrolment's default order (term, course, section, username) within one student and course is
        # the section's code: ordering by it alone spares the subquery three joins.
        .order_by("section__code")
        .values("section__code")[:1]
    )


def _with_request_details(requests):
    """Regrade requests with what the pages show of each: assignment, course, question, student, the
    student's section and latest submission; oldest first.

    The two optional staff users are prefetched, not joined: two more joins to the user table made
    PostgreSQL spend several times longer planning the query than running it. The prefetches cost no
    query while none of the listed requests is claimed or resolved, and one each otherwise."""
    return (
        requests.select_related("grade__assignment__course", "question", "student")
        .prefetch_related("claimed_by", "resolved_by")
        .annotate(
            section_code=_section_code_subquery(),
            # The work the request is about: the student's latest submission of the assignment, if any.
            latest_submission_id=course_selectors.latest_submission(assignment="assignment_id"),
            latest_submission_name=course_selectors.latest_submission(
                assignment="assignment_id", field="original_name"
            ),
        )
        .order_by("created_at", "id")
    )


def regrade_requests_for_user(user):
    """Staff see the queue of the courses (and sections) they staff; a student sees their own. Oldest
    first, with their details (_with_request_details)."""
    return _with_request_details(access.requests_visible_to(user))


def regrade_list(user, *, reach=None):
    """The requests the user may see (grading.access; `reach`: their courses.access.StaffReach, if read),
    oldest first, bare: the list to narrow (grading.filters.RegradeRequestFilter), count and page
    (portal.paging). Read a page's rows by their ids with regrade_rows or regrade_queue_rows."""
    return access.requests_visible_to(user, reach=reach).order_by("created_at", "id")


def _username(field: str):
    return Subquery(User.objects.filter(pk=OuterRef(field)).values("username")[:1])


def _row_subqueries() -> dict:
    return {
        "section_code": _section_code_subquery(),
        "latest_submission_id": course_selectors.latest_submission(assignment="assignment_id"),
        "latest_submission_name": course_selectors.latest_submission(
            assignment="assignment_id", field="original_name"
        ),
        "claimed_by_username": _username("claimed_by_id"),
        "resolved_by_username": _username("resolved_by_id"),
    }


_ROW_FIELDS = (
    "id",
    "grade_id",
    "assignment_id",
    "question_id",
    "justification",
    "state",
    "appeal_of_id",
    "created_at",
    "resolved_at",
    "old_score",
    "new_score",
    "response",
    "section_code",
    "latest_submission_id",
    "latest_submission_name",
    "claimed_by_username",
    "resolved_by_username",
)


def _row_related() -> dict:
    return {
        "assignment_code": F("assignment__code"),
        "assignment_title": F("assignment__title"),
        "question_label": F("question__label"),
        "student_username": F("student__username"),
        "course_time_zone": F("course__time_zone"),
    }


def regrade_rows(requests):
    """The requests as dicts of what the API shows (grading.api.RegradeOut), oldest first, in one query:
    no model instances, and the usernames of the optional staff users as subqueries (run only for the
    rows read), neither joins nor extra queries. `requests` is already narrowed to what the user may see
    (regrade_list, or the ids of one of its pages)."""
    return (
        requests.annotate(**_row_subqueries())
        .values(*_ROW_FIELDS, **_row_related())
        .order_by("created_at", "id")
    )


# The two readers of a page's rows by id below start from a query built once a process: it depends on
# nothing but the code, and each page narrows a copy of it (never the query itself, never evaluated) to
# its ids. Building the subqueries and joins of a row again for every page cost more than reading it.
@cache
def _page_rows():
    return RowsByKeys(regrade_rows(RegradeRequest.objects.all()))


def regrade_page_rows(ids) -> list[dict]:
    """The requests with these ids (one page of regrade_list: already narrowed to what the user may see)
    as the rows of regrade_rows; one query (its SQL compiled once per page size: portal.paging.RowsByKeys)."""
    return _page_rows()(ids)


def regrade_queue(user, *, courses, reach=None):
    """The staff queue: the requests the user handles (grading.access.requests_handled_by: never their own
    as a student, even in a course they now staff) within `courses` (those they staff), oldest first.
    Read a page's rows with regrade_queue_rows."""
    return (
        access.requests_handled_by(user, reach=reach).filter(course__in=courses).order_by("created_at", "id")
    )


def regrade_queue_rows(ids):
    """The queue's requests with these ids (already narrowed to what the user may see) as the rows of
    regrade_rows and what the queue page shows besides: who claimed it (`claimed_by_id`), the question's
    title and points, the student's names, and `current_score`, the question's score now (after an
    accepted request, the new one); one query (its SQL compiled once per page size)."""
    return _queue_rows()(ids)


@cache
def _queue_rows():
    current_score = Subquery(
        QuestionScore.objects.filter(
            grade_id=OuterRef("grade_id"), question_id=OuterRef("question_id")
        ).values("score")[:1]
    )
    return RowsByKeys(
        RegradeRequest.objects.annotate(**_row_subqueries(), current_score=current_score)
        .values(
            *_ROW_FIELDS,
            "current_score",
            "claimed_by_id",
            **_row_related(),
            question_title=F("question__title"),
            question_points=F("question__points"),
            student_first_name=F("student__first_name"),
            student_last_name=F("student__last_name"),
        )
        .order_by("created_at", "id")
    )


class _OnePerGroup(Subquery):
    """A subquery on a grouped column: worked out once per group. Django would also group by it, and
    PostgreSQL would then work it out for every row before grouping."""

    def get_group_by_cols(self):
        return []


def open_counts_by_assignment(user, *, courses, reach=None) -> list[dict]:
    """Open and claimed requests per assignment (`assignment_id`, `assignment_code`, `open`, `claimed`) of
    the staff queue (regrade_queue: the requests of `courses`, those the user staffs), for the queue's
    summary. Grouped by the request's own assignment; the code is looked up once per assignment, not
    joined to every request."""
    code = Assignment.objects.filter(pk=OuterRef("assignment_id")).order_by().values("code")
    return list(
        regrade_queue(user, courses=courses, reach=reach)
        .filter(state__in=RegradeRequest.ACTIVE)
        .values("assignment_id")
        .annotate(
            open=Count("id", filter=Q(state=RegradeRequest.State.OPEN)),
            claimed=Count("id", filter=Q(state=RegradeRequest.State.CLAIMED)),
            assignment_code=_OnePerGroup(code),
        )
        .order_by("assignment_code")
    )


def history_for_grades(grade_ids: list[int]) -> dict[int, list[GradeChange]]:
    history: dict[int, list[GradeChange]] = {}
    for change in (
        GradeChange.objects.filter(grade_id__in=grade_ids)
        .select_related("question", "changed_by")
        .order_by("changed_at", "id")
    ):
        history.setdefault(change.grade_id, []).append(change)
    return history


def grade_grid(user, assignment) -> dict:
    """Rows of (student, section, grade, scores by question) for the students this staff member sees."""
    # A read never writes: with no questions the page says so (and the instructor creates the outline).
    questions = list(assignment.questions.order_by("position", "label"))
    enrolments = (
        Enrolment.objects.filter(section__course_id=assignment.course_id, status=Enrolment.Status.ENROLLED)
        .select_related("user", "section")
        .order_by("section__code", "user__last_name", "user__first_name", "user__username")
    )
    enrolments = enrolments.filter(course_access.staff_enrolments_q(user))
    scoped = access.staff_scope_q(user)
    grades = {
        g.student_id: g
        for g in Grade.objects.filter(assignment=assignment).filter(scoped).prefetch_related("scores")
    }
    submissions = {
        s.student_id: s
        for s in course_selectors.latest_submissions_for_staff(assignment, user=user).prefetch_related(None)
    }
    infos = question_infos(
        Question.objects.filter(pk__in=[q.pk for q in questions])
        .prefetch_related("requirements")
        .order_by("position", "label")
    )
    rows = []
    for e in enrolments:
        grade = grades.get(e.user_id)
        scores = {s.question_id: s.score for s in grade.scores.all()} if grade else {}
        rows.append(
            {
                "student": e.user,
                "section": e.section,
                "grade": grade,
                "submission": submissions.get(e.user_id),
                "cells": [(q, scores.get(q.id)) for q in questions],
                "total": earned_points(infos, e.section_id, scores) if scores else None,
                "possible": possible_points(infos, e.section_id, assignment.points),
            }
        )
    by_section = {
        section.code: possible_points(infos, section.id, assignment.points)
        for section in Section.objects.filter(course_id=assignment.course_id).order_by("code")
    }
    return {
        "questions": questions,
        "rows": rows,
        "points": next(iter(by_section.values())) if len(set(by_section.values())) == 1 else None,
        "points_by_section": by_section,
    }


@dataclass(frozen=True)
class OutlineQuestion:
    question: Question
    position: int  # 1-based place in the outline
    requirements: dict[int, str]  # every section of the course → requirement (default required)


@dataclass(frozen=True)
class SectionPoints:
    section: Section
    possible: Decimal  # what a student of the section can earn (required questions)
    extra: Decimal  # extra credit on top


@dataclass(frozen=True)
class Outline:
    questions: list[OutlineQuestion]
    sections: list[Section]
    points: list[SectionPoints]


def question_requirements(question: Question, sections) -> dict[int, str]:
    """The requirement of `question` (requirements prefetched) for each section, required by default."""
    stored = {r.section_id: r.requirement for r in question.requirements.all()}
    return {s.id: stored.get(s.id, QuestionRequirement.Requirement.REQUIRED) for s in sections}


def outline_questions(assignment, sections=None) -> list[OutlineQuestion]:
    """The assignment's questions in order, each with its requirement per section: two queries."""
    if sections is None:
        sections = list(Section.objects.filter(course_id=assignment.course_id).order_by("code"))
    questions = assignment.questions.order_by("position", "label", "id").prefetch_related("requirements")
    return [
        OutlineQuestion(q, number, question_requirements(q, sections))
        for number, q in enumerate(questions, start=1)
    ]


def outline_for(assignment) -> Outline:
    """The outline page: questions, sections, and what each section's student can earn."""
    sections = list(Section.objects.filter(course_id=assignment.course_id).order_by("code"))
    lines = outline_questions(assignment, sections)
    infos = question_infos([line.question for line in lines])
    points = [
        SectionPoints(
            section,
            possible_points(infos, section.id, assignment.points),
            sum(
                (
                    line.question.points
                    for line in lines
                    if line.requirements[section.id] == QuestionRequirement.Requirement.EXTRA_CREDIT
                ),
                Decimal(0),
            ),
        )
        for section in sections
    ]
    return Outline(lines, sections, points)


@dataclass(frozen=True)
class Readiness:
    """PS0/HW0 results of one student; `flagged` when any is at or under the course's threshold."""

    results: tuple[tuple[str, Decimal], ...]
    flagged: bool


def readiness_by_student(course, *, student_ids=None, released_only: bool = False) -> dict[int, Readiness]:
    """Percent scored on each preparation assignment (PS0/HW0) per student: three queries in all."""
    from courses.models import Assignment

    prep = list(
        Assignment.objects.filter(course=course, category=Assignment.Category.PREPARATION).prefetch_related(
            Prefetch("questions", queryset=Question.objects.prefetch_related("requirements"))
        )
    )
    infos = {a.id: question_infos(a.questions.all()) for a in prep}
    grades = _with_student_section(Grade.objects.filter(assignment__in=prep)).prefetch_related("scores")
    if student_ids is not None:
        grades = grades.filter(student_id__in=student_ids)
    if released_only:
        grades = grades.filter(released_at__isnull=False)
    by_id = {a.id: a for a in prep}
    found: dict[int, list[tuple[str, Decimal]]] = {}
    for grade in grades:
        scores = {s.question_id: s.score for s in grade.scores.all()}
        assignment = by_id[grade.assignment_id]
        section_id = grade.student_section_id
        possible = possible_points(infos[assignment.id], section_id, assignment.points)
        if not scores or not possible:
            continue
        percent = earned_points(infos[assignment.id], section_id, scores) * 100 / possible
        found.setdefault(grade.student_id, []).append((assignment.code, percent))
    threshold = course.readiness_threshold_percent
    # The flag compares the exact percentage (75.01% is over 75%); only the shown value is rounded.
    return {
        student_id: Readiness(
            tuple(sorted((code, p.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) for code, p in results)),
            any(p <= threshold for _, p in results),
        )
        for student_id, results in found.items()
    }


def exports_for_course(course, limit: int = 20):
    from grading.models import GradeExport

    return list(GradeExport.objects.filter(course=course).select_related("requested_by")[:limit])


def student_totals(user) -> list[tuple]:
    """The student's own running total per course, from released grades only."""
    from grading.totals import CourseScheme, totals_for_students

    out = []
    enrolments = Enrolment.objects.filter(user=user, status=Enrolment.Status.ENROLLED).select_related(
        "section__course"
    )
    for enrolment in enrolments:
        scheme = CourseScheme.load(enrolment.section.course)
        out.append((scheme, totals_for_students(scheme, [enrolment], released_only=True)[0]))
    return out


def staff_attention(
    user, *, course_ids, instructor_course_ids, waiting_since, exports_shown: int
) -> dict[str, dict]:
    """The grading side of the staff's home page (courses.selectors.attention), for every course at once:
    regrade requests still open or claimed that were made at or before `waiting_since`, counted per
    course within the user's staff scope (what the queue's `older_than_hours` filter lists), and the
    latest `exports_shown` grade exports of each course the user teaches. Two queries."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from grading.models import GradeExport

    waiting = dict(
        access.requests_handled_by(user)  # the queue's requests: never the user's own
        .filter(
            state__in=RegradeRequest.ACTIVE,
            created_at__lte=waiting_since,
            course_id__in=course_ids,
        )
        .values("course_id")
        .annotate(n=Count("id"))
        .values_list("course_id", "n")
    )
    exports: dict[int, list] = {}
    if instructor_course_ids:
        latest = (
            GradeExport.objects.filter(course_id__in=instructor_course_ids)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("course_id")],
                    order_by=[F("created_at").desc(), F("id").desc()],
                )
            )
            .filter(rank__lte=exports_shown)
            .order_by("course_id", "rank")
        )
        for export in latest:
            exports.setdefault(export.course_id, []).append(export)
    return {"regrades_waiting": waiting, "exports": exports}


def release_warnings(assignment, *, now=None) -> list[str]:
    """What the instructor should know before releasing an assignment's grades now."""
    now = now or timezone.now()
    warnings = []
    window = class_window(assignment)
    if window is not None and now <= window.closes_at:
        warnings.append(
            f"{assignment.code}'s window is still open until {format_local(window.closes_at, assignment.course.zone)}"
            ": students may still hand in work, and they would see grades before everyone has."
        )
    if not Grade.objects.filter(assignment=assignment).exists():
        warnings.append(f"No grades are entered for {assignment.code} yet: students would see nothing.")
    return warnings
