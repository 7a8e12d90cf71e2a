"""Permission checks. Each helper returns the object or raises one uniform "not found", so a user
learns nothing about objects outside their courses."""

from django.db.models import Q, QuerySet

from courses.models import Assignment, Course, Enrolment, Section, StaffRole
from portal.errors import ObjectNotFound, PermissionDenied

Role = StaffRole.Role


def staff_courses(user, *, role: str | None = None) -> QuerySet[Course]:
    roles = StaffRole.objects.filter(user=user)
    if role:
        roles = roles.filter(role=role)
    return Course.objects.filter(id__in=roles.values("course_id"))


def member_courses(user) -> QuerySet[Course]:
    """Courses the user staffs or is enrolled or waitlisted in (not dropped)."""
    if not user.is_authenticated:
        return Course.objects.none()
    enrolled = Enrolment.objects.filter(user=user).exclude(status=Enrolment.Status.DROPPED)
    return Course.objects.filter(
        Q(id__in=StaffRole.objects.filter(user=user).values("course_id"))
        | Q(id__in=enrolled.values("section__course_id"))
    )


def is_instructor(user, course_id: int) -> bool:
    return StaffRole.objects.filter(user=user, course_id=course_id, role=Role.INSTRUCTOR).exists()


def is_staff_of(user, course_id: int) -> bool:
    return StaffRole.objects.filter(user=user, course_id=course_id).exists()


def access_course(user, course_id: int) -> Course:
    course = member_courses(user).filter(pk=course_id).first()
    if course is None:
        raise ObjectNotFound("No such course among yours. Check the link, or ask the instructor to add you.")
    return course


def access_course_as_instructor(user, course_id: int) -> Course:
    course = access_course(user, course_id)
    if not is_instructor(user, course.id):
        raise PermissionDenied("Only the course's instructors can do this.")
    return course


def access_course_as_staff(user, course_id: int) -> Course:
    course = access_course(user, course_id)
    if not is_staff_of(user, course.id):
        raise ObjectNotFound("No such course among the ones you staff.")
    return course


def access_section(user, section_id: int) -> Section:
    section = (
        Section.objects.filter(pk=section_id, course__in=member_courses(user))
        .select_related("course")
        .first()
    )
    if section is None:
        raise ObjectNotFound("No such section among your courses.")
    return section


def access_assignment(user, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(pk=assignment_id, course__in=member_courses(user))
        .select_related("course")
        .first()
    )
    if assignment is None:
        raise ObjectNotFound("No such assignment among your courses.")
    return assignment


def access_assignment_as_instructor(user, assignment_id: int) -> Assignment:
    assignment = access_assignment(user, assignment_id)
    if not is_instructor(user, assignment.course_id):
        raise PermissionDenied("Only the course's instructors can change assignments.")
    return assignment


def access_assignment_as_staff(user, assignment_id: int) -> Assignment:
    assignment = access_assignment(user, assignment_id)
    if not is_staff_of(user, assignment.course_id):
        raise ObjectNotFound("No such assignment among the courses you staff.")
    return assignment


def student_enrolment(user, course_id: int) -> Enrolment | None:
    """The user's active (enrolled or waitlisted) enrolment in a course, if any."""
    return (
        Enrolment.objects.filter(user=user, section__course_id=course_id)
        .exclude(status=Enrolment.Status.DROPPED)
        .select_related("section")
        .first()
    )
