"""Who may see which grades and regrade requests. Objects outside a user's reach are "not found"."""

from django.db.models import Q

from courses import access as course_access
from grading.models import Grade, Question, RegradeRequest
from portal.errors import ObjectNotFound, PermissionDenied


def staff_scope_q(user, *, grade_prefix: str = "") -> Q:
    """Rows of grades a staff member may see, by the course's one staff rule (courses.access): whole
    courses they staff, or only the students active in their sections of the grade's course."""
    p = grade_prefix
    return course_access.staff_students_q(user, student=f"{p}student_id", course=f"{p}assignment__course_id")


def grades_visible_to(user):
    own_released = Q(student=user, released_at__isnull=False)
    return Grade.objects.filter(staff_scope_q(user) | own_released)


def requests_visible_to(user, *, reach: course_access.StaffReach | None = None):
    """The requests of the students the staff member may see (requests_handled_by), and the user's own."""
    own = Q(student=user)
    return RegradeRequest.objects.filter(_handled_by_q(user, reach) | own)


def requests_handled_by(user, *, reach: course_access.StaffReach | None = None):
    """The requests of the students the staff member may see (the rule of staff_scope_q, on the
    request's own student and course; never the user's own requests, which that rule leaves out): their
    work. With the user's `reach` (read with the navigation: courses.access.staff_reach), the rule with
    their courses and sections as values."""
    return RegradeRequest.objects.filter(_handled_by_q(user, reach))


def _handled_by_q(user, reach) -> Q:
    return course_access.staff_students_q(user, student="student_id", course="course_id", reach=reach)


def is_grade_staff(user, grade: Grade) -> bool:
    return Grade.objects.filter(staff_scope_q(user), pk=grade.pk).exists()


def access_grade(user, grade_id: int) -> Grade:
    grade = (
        grades_visible_to(user).filter(pk=grade_id).select_related("assignment__course", "student").first()
    )
    if grade is None:
        raise ObjectNotFound("No such grade among the ones you can see.")
    return grade


def access_grade_as_staff(user, grade_id: int) -> Grade:
    grade = (
        Grade.objects.filter(staff_scope_q(user), pk=grade_id)
        .select_related("assignment__course", "student")
        .first()
    )
    if grade is None:
        raise ObjectNotFound("No such grade among the courses you staff.")
    return grade


def access_request(user, request_id: int) -> RegradeRequest:
    request = (
        requests_visible_to(user)
        .filter(pk=request_id)
        .select_related("grade__assignment__course", "question", "student")
        .first()
    )
    if request is None:
        raise ObjectNotFound("No such regrade request among the ones you can see.")
    return request


def access_question(user, question_id: int) -> Question:
    """A question of an assignment of one of the user's courses (members read the outline)."""
    question = (
        Question.objects.filter(pk=question_id, assignment__course__in=course_access.member_courses(user))
        .select_related("assignment__course")
        .first()
    )
    if question is None:
        raise ObjectNotFound("No such question among your courses.")
    return question


def access_question_as_instructor(user, question_id: int) -> Question:
    question = access_question(user, question_id)
    if not course_access.is_instructor(user, question.assignment.course_id):
        raise PermissionDenied("Only the course's instructors can change an assignment's questions.")
    return question


def access_export(user, export_id: int):
    """Only the course's instructors see its exports."""
    from courses.models import StaffRole
    from grading.models import GradeExport

    export = (
        GradeExport.objects.filter(
            pk=export_id,
            course_id__in=StaffRole.objects.filter(user=user, role=StaffRole.Role.INSTRUCTOR).values(
                "course_id"
            ),
        )
        .select_related("requested_by")
        .first()
    )
    if export is None:
        raise ObjectNotFound("No such export among your courses' exports.")
    return export
