"""Reads about courses: the user's courses, sections, assignments and the course information page."""

from django.db.models import (
    Count,
    F,
    Q,
)

from courses import access
from courses.models import (
    Assignment,
    Course,
    Enrolment,
    StaffRole,
)


def courses_for_user(user):
    return access.member_courses(user).select_related("term").order_by("term__starts_on", "code")


def with_seat_counts(sections):
    """Sections annotated with `enrolled_count` and `waitlisted_count`."""
    return sections.annotate(
        enrolled_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ENROLLED)),
        waitlisted_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.WAITLISTED)),
    )


def sections_for_course(course: Course, *, staff_user=None):
    """The course's sections with their counts; with `staff_user`, only the sections that person staffs."""
    sections = access.staff_sections(staff_user, course.id) if staff_user else course.sections.all()
    return with_seat_counts(sections).order_by("code")


def assignments_for_course(course_id: int):
    return (
        Assignment.objects.filter(course_id=course_id)
        .select_related("course")
        .order_by(F("due_at").asc(nulls_last=True), "code")
    )


def course_information(course: Course) -> dict:
    """Everything the course information page shows, built from the data."""
    sections = list(sections_for_course(course))
    assignments = list(assignments_for_course(course.id))
    staff = list(StaffRole.objects.filter(course=course).select_related("user", "section").order_by("role"))
    categories: dict[str, dict] = {}
    for a in assignments:
        entry = categories.setdefault(
            a.category, {"label": a.get_category_display(), "weight": 0, "codes": [], "bonus": a.is_bonus}
        )
        if a.counts_toward_grade:
            entry["weight"] += a.weight
        entry["codes"].append(a.code)
    return {
        "course": course,
        "sections": sections,
        "assignments": assignments,
        "categories": list(categories.values()),
        "instructors": [s for s in staff if s.role == StaffRole.Role.INSTRUCTOR],
        "tas": [s for s in staff if s.role == StaffRole.Role.TA],
        "no_grace": [a for a in assignments if not a.grace_allowed and a.due_at],
        "no_collaboration": [a for a in assignments if not a.collaboration_allowed],
    }
