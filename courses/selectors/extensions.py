"""Reads for the instructor's extensions page: the course's students to pick from, and the extensions
granted, grouped per assignment or per student."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from courses import access
from courses.models import Course, Enrolment, Extension, StaffRole
from courses.timefmt import format_local


def course_students_search(user, course: Course, q: str = "") -> QuerySet[Enrolment]:
    """The course's students (active enrolments, never staff) that `user` may act on (courses.access: a
    TA limited to sections finds their sections' students only), whose name, username or section code
    contains every word of `q`; by name."""
    staff = StaffRole.objects.filter(course_id=course.id, user_id=OuterRef("user_id"))
    enrolments = Enrolment.objects.filter(
        access.staff_enrolments_q(user), section__course_id=course.id, status__in=Enrolment.ACTIVE
    ).exclude(Exists(staff))
    for word in q.replace("\x00", "").split()[:8]:  # a handful of words is a name; more is not a search
        enrolments = enrolments.filter(
            Q(user__username__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(section__code__icontains=word)
        )
    return enrolments.select_related("user", "section").order_by(
        "user__last_name", "user__first_name", "user__username", "id"
    )


@dataclass(frozen=True)
class ExtensionLine:
    extension: Extension
    section_code: str  # the student's section in the course ("" if they left it)
    class_due_at: datetime | None
    revoke_message: str  # what the confirmation says: whose due time goes back to what


def extensions_for_course(course: Course, *, by: str = "assignment") -> list[tuple[str, list[ExtensionLine]]]:
    """The course's extensions (the instructors' page), grouped per assignment (by due time) or per
    student (by name): [(group heading, lines)]. Two queries."""
    extensions = list(
        Extension.objects.filter(assignment__course_id=course.id).select_related(
            "student", "assignment", "granted_by"
        )
    )
    sections: dict[int, str] = {}
    enrolments = Enrolment.objects.filter(
        section__course_id=course.id, user_id__in={e.student_id for e in extensions}
    ).select_related("section")
    for enrolment in sorted(enrolments, key=lambda en: en.status not in Enrolment.ACTIVE):
        sections.setdefault(enrolment.user_id, enrolment.section.code)  # an active one first
    zone = course.zone
    lines = [
        ExtensionLine(
            extension=e,
            section_code=sections.get(e.student_id, ""),
            class_due_at=e.assignment.due_at,
            revoke_message=(
                f"{e.student.display_name} ({e.student.username})'s {e.assignment.code} due time goes back "
                + (
                    f"to the class's: {format_local(e.assignment.due_at, zone)}. Anything they submitted after "
                    "the class's window closed then counts 0."
                    if e.assignment.due_at
                    else "to none: the assignment has no class due time."
                )
            ),
        )
        for e in extensions
    ]

    def student_key(line: ExtensionLine):
        s = line.extension.student
        return (s.last_name.lower(), s.first_name.lower(), s.username)

    def assignment_key(line: ExtensionLine):
        a = line.extension.assignment
        return (a.due_at.timestamp() if a.due_at else float("inf"), a.code)

    groups: dict[str, list[ExtensionLine]] = {}
    if by == "student":
        for line in sorted(lines, key=lambda ln: (student_key(ln), assignment_key(ln))):
            s = line.extension.student
            groups.setdefault(f"{s.display_name} ({s.username})", []).append(line)
    else:
        for line in sorted(lines, key=lambda ln: (assignment_key(ln), student_key(ln))):
            a = line.extension.assignment
            groups.setdefault(f"{a.code}: {a.title}", []).append(line)
    return list(groups.items())
