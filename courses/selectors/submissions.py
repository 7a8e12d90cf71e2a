"""Reads of submissions: each student's latest one, for staff (in their scope) and for the student.

A student who submitted several times is represented by the latest submission only; a student who has not
submitted is absent (the submission overview, courses.selectors.deadlines, lists who is missing)."""

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from courses import access
from courses.models import Assignment, Enrolment, Submission
from courses.selectors.enrolments import in_section_now


def latest_submission(*, student: str = "student_id", assignment: str = "assignment_id", field: str = "id"):
    """A subquery for annotations: `field` of the latest submission of the row's `student` to the row's
    `assignment` (both given as field paths of the outer row), or null when there is none."""
    return Subquery(
        Submission.objects.filter(student_id=OuterRef(student), assignment_id=OuterRef(assignment))
        .order_by("-submitted_at", "-id")
        .values(field)[:1]
    )


def _active_enrolment(course_id, **extra):
    return Enrolment.objects.filter(
        user_id=OuterRef("student_id"), section__course_id=course_id, status__in=Enrolment.ACTIVE, **extra
    )


def latest_submissions_for_staff(assignment: Assignment, *, user) -> QuerySet[Submission]:
    """The latest submission of each active (enrolled or waitlisted) student of the assignment's course
    whom `user` may see (courses.access: a TA of some sections sees those sections' students), with the
    student, their section (`section_id`, `section_code`) and the collaborators; by section, then name.
    Dropped students are left out. A fixed number of queries, whatever the number of students."""
    active = _active_enrolment(assignment.course_id)
    return (
        Submission.objects.filter(assignment=assignment)
        .filter(access.staff_students_q(user))
        .filter(Exists(active))
        .filter(pk=latest_submission(student="student_id", assignment="assignment_id"))
        .annotate(
            section_id=Subquery(active.values("section_id")[:1]),
            section_code=Subquery(active.values("section__code")[:1]),
        )
        .select_related("student", "assignment__course")
        .prefetch_related("collaborators")
        .order_by("section_code", "student__last_name", "student__first_name", "student__username")
    )


def filter_by_section(queryset: QuerySet[Submission], section_id: int) -> QuerySet[Submission]:
    """Submissions of one section (in_section_now)."""
    return queryset.filter(in_section_now(section_id, course="assignment__course_id"))


def latest_submissions_of_student(user, assignment_ids) -> dict[int, Submission]:
    """The student's own latest submission per assignment (among `assignment_ids`), with collaborators:
    two queries."""
    submissions = (
        Submission.objects.filter(student=user, assignment_id__in=list(assignment_ids))
        .filter(pk=latest_submission(student="student_id", assignment="assignment_id"))
        .prefetch_related("collaborators")
    )
    return {s.assignment_id: s for s in submissions}


def submissions_of_student(user, assignment_ids) -> dict[int, list[Submission]]:
    """Every attempt of the student per assignment (among `assignment_ids`), newest first, with
    collaborators: two queries. The first of each list is the one that counts."""
    attempts: dict[int, list[Submission]] = {}
    for submission in (
        Submission.objects.filter(student=user, assignment_id__in=list(assignment_ids))
        .order_by("assignment_id", "-submitted_at", "-id")
        .prefetch_related("collaborators")
    ):
        attempts.setdefault(submission.assignment_id, []).append(submission)
    return attempts
