"""Permission checks. Each helper returns the object or raises one uniform "not found", so a user
learns nothing about objects outside their courses."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from courses.models import Assignment, Course, Enrolment, Section, StaffRole, Team, TeamMembership, User
from portal.errors import ObjectNotFound, PermissionDenied
from portal.queries import row_by_key

Role = StaffRole.Role


STUDENT = "student"
_ACTIVE = [str(status) for status in Enrolment.ACTIVE]
# One round trip: the staff roles, and one "student" row when an active enrolment exists. Plain SQL
# (PostgreSQL and SQLite): every page asks (its navigation), and the ORM's building of this union cost
# more than the query. A role's section and the section's course come along for staff_roles (what
# StaffReach reads); the navigation uses the first three columns.
_ROLES_QUERY = (
    f"SELECT r.role, r.course_id, c.code, r.section_id, s.course_id FROM {StaffRole._meta.db_table} r "
    f"JOIN {Course._meta.db_table} c ON c.id = r.course_id "
    f"LEFT JOIN {Section._meta.db_table} s ON s.id = r.section_id WHERE r.user_id = %s "
    f"UNION ALL SELECT '{STUDENT}', NULL, '', NULL, NULL WHERE EXISTS (SELECT 1 FROM {Enrolment._meta.db_table} e "
    f"WHERE e.user_id = %s AND e.status IN ({', '.join(['%s'] * len(_ACTIVE))}))"
)


def user_roles(request, *, full: bool = False) -> tuple:
    """The request's user's roles, read once a request: a (role, course id, course code, section id or
    None, the section's course id or None) row per staff role, and ("student", None, "", None, None) when
    they hold an active enrolment; none for an anonymous user. Rows a view read with a query of its own
    (roles_read) have the first three columns only; `full` reads the rest when those are all there is."""
    cached = getattr(request, "_portal_roles", None)
    if cached is not None and (cached[0] or not full):
        return cached[1]
    rows: tuple = ()
    user = request.user
    if user.is_authenticated:
        with connection.cursor() as cursor:
            cursor.execute(_ROLES_QUERY, [user.pk, user.pk, *_ACTIVE])
            rows = tuple(cursor.fetchall())
    request._portal_roles = (True, rows)
    return rows


def roles_read(request, rows) -> None:
    """The request's user's roles as a view read them in a query of its own: (role, course id, course
    code) per staff role and ("student", None, "") for an active enrolment, saving user_roles' query."""
    request._portal_roles = (False, tuple(rows))


def staff_roles(request) -> tuple:
    """The rows of user_roles for the user's staff roles (all five columns)."""
    return tuple(r for r in user_roles(request, full=True) if r[0] != STUDENT)


def staff_courses(user, *, role: str | None = None) -> QuerySet[Course]:
    roles = StaffRole.objects.filter(user=user)
    if role:
        roles = roles.filter(role=role)
    return Course.objects.filter(id__in=roles.values("course_id"))


def member_courses(user) -> QuerySet[Course]:
    """Courses the user staffs or is enrolled or waitlisted in (not dropped)."""
    if not user.is_authenticated:
        return Course.objects.none()
    enrolled = Enrolment.objects.filter(user=user, status__in=Enrolment.ACTIVE)
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


# ---- course setup -------------------------------------------------------------------------------------
# Superusers create terms and courses (and may set up any course: they name its first instructor); a
# course's instructors set it up from then on: its settings, sections and staff. TAs read the staff list.


def may_create_courses(user) -> bool:
    """Terms and new courses are the superusers' (the registrar's side); instructors pick a term."""
    return bool(user.is_authenticated and user.is_superuser)


def access_course_creation(user, what: str = "create courses") -> None:
    """Refuse anyone but a superuser: terms and new courses."""
    if not may_create_courses(user):
        raise PermissionDenied(
            f"Only the portal's administrators (superusers) {what}; ask one. Instructors pick an existing term."
        )


def access_course_for_setup(user, course_id: int, *, read: bool = False) -> Course:
    """A course whose setup the user may change: its instructors, and superusers. With `read`, its TAs
    may look too. A student of the course: 403 for a change, not found for a read; others: not found."""
    if may_create_courses(user):
        course = Course.objects.filter(pk=course_id).select_related("term").first()
        if course is None:
            raise ObjectNotFound("No such course. Check the link; the admin lists every course.")
        return course
    if read:
        return access_course_as_staff(user, course_id)
    return access_course_as_instructor(user, course_id)


def access_section_for_setup(user, section_id: int) -> Section:
    """A section the user may change (capacity, room, the rest): the course's instructors, superusers."""
    section = Section.objects.filter(pk=section_id).select_related("course").first()
    try:
        if section is None:
            raise ObjectNotFound()
        access_course_for_setup(user, section.course_id)
    except ObjectNotFound as exc:
        raise ObjectNotFound("No such section among your courses.") from exc
    return section


def access_staff_role_for_setup(user, staff_role_id: int) -> StaffRole:
    """A staff role the user may remove: the course's instructors, superusers."""
    role = StaffRole.objects.filter(pk=staff_role_id).select_related("user", "course", "section").first()
    try:
        if role is None:
            raise ObjectNotFound()
        access_course_for_setup(user, role.course_id)
    except ObjectNotFound as exc:
        raise ObjectNotFound("No such staff role among your courses.") from exc
    return role


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


# Whether a user is a student (an active enrolment) or staff of an assignment's course, in plain SQL: the
# ORM's Exists and subquery expressions cost several times the query itself to build, and every upload at a
# deadline asks.
_ASSIGNMENT = Assignment._meta.db_table
_STUDENT_OF_ASSIGNMENT = (
    f"EXISTS (SELECT 1 FROM {Enrolment._meta.db_table} e JOIN {Section._meta.db_table} s ON s.id = e.section_id "
    f"WHERE e.user_id = %s AND s.course_id = {_ASSIGNMENT}.course_id "
    f"AND e.status IN ({', '.join(['%s'] * len(Enrolment.ACTIVE))}))"
)
_STAFF_OF_ASSIGNMENT = f"EXISTS (SELECT 1 FROM {StaffRole._meta.db_table} r WHERE r.user_id = %s AND r.course_id = {_ASSIGNMENT}.course_id)"


def access_assignment_as_student(user, assignment_id: int, **annotations) -> Assignment:
    """`access_assignment` for one of the course's students (an active enrolment, as `student_enrolment`
    finds), in one query: not a member of the course (as `member_courses`), "not found"; a member who is
    not a student (its staff), refused. `annotations` are read in the same query (the caller's values)."""
    if not user.is_authenticated:
        raise ObjectNotFound("No such assignment among your courses.")
    assignment = row_by_key(
        Assignment.objects.filter(pk=assignment_id)
        .select_related("course")
        .annotate(
            user_is_student=RawSQL(_STUDENT_OF_ASSIGNMENT, [user.pk, *Enrolment.ACTIVE], BooleanField()),
            user_is_staff=RawSQL(_STAFF_OF_ASSIGNMENT, [user.pk], BooleanField()),
            **annotations,
        )
    )
    if assignment is None or not (assignment.user_is_student or assignment.user_is_staff):
        raise ObjectNotFound("No such assignment among your courses.")
    if not assignment.user_is_student:
        raise PermissionDenied("Only the course's students submit work.")
    return assignment


def student_enrolment(user, course_id: int) -> Enrolment | None:
    """The user's active (enrolled or waitlisted) enrolment in a course, if any."""
    return (
        Enrolment.objects.filter(user=user, section__course_id=course_id, status__in=Enrolment.ACTIVE)
        .select_related("section")
        .first()
    )


# ---- staff scope ------------------------------------------------------------------------------------
# The one rule for "may this staff member act on this student / section". An instructor, or a TA with a
# course-wide role (no section), reaches the whole course. A TA whose roles name sections reaches only the
# students active (enrolled or waitlisted, not dropped) in those sections, and those sections. Everything
# else is "not found" and is left out of every list. `is_staff_of` only says that someone staffs the
# course; any read or write about a student or a section goes through the helpers below.


def _whole_course_ids(user) -> QuerySet:
    """Courses the user staffs as a whole: as an instructor, or as a TA without a section."""
    return (
        StaffRole.objects.filter(user=user)
        .filter(Q(section__isnull=True) | Q(role=Role.INSTRUCTOR))
        .values("course_id")
    )


def _ta_section_ids(user) -> QuerySet:
    return StaffRole.objects.filter(user=user, section__isnull=False, role=Role.TA).values("section_id")


def is_whole_course_staff(user, course_id: int) -> bool:
    return _whole_course_ids(user).filter(course_id=course_id).exists()


def staff_sections(user, course_id: int | None = None, *, reach=None) -> QuerySet[Section]:
    """Sections the staff member reaches (in one course, or in all they staff); with their `reach`
    (StaffReach), without reading their roles again."""
    if reach is not None:
        sections = Section.objects.filter(reach.sections_q())
    else:
        sections = Section.objects.filter(
            Q(course_id__in=_whole_course_ids(user)) | Q(id__in=_ta_section_ids(user))
        )
    return sections if course_id is None else sections.filter(course_id=course_id)


def staff_enrolments_q(user, *, prefix: str = "") -> Q:
    """Enrolment rows (reached through `prefix`, e.g. "enrolment__") the staff member may act on: any of a
    course they staff as a whole; an active one in one of their sections."""
    p = prefix
    return Q(**{f"{p}section__course_id__in": _whole_course_ids(user)}) | Q(
        **{f"{p}section_id__in": _ta_section_ids(user), f"{p}status__in": Enrolment.ACTIVE}
    )


@dataclass(frozen=True)
class StaffReach:
    """The rule above worked out from a staff member's roles: the courses they staff as a whole, and, in
    the other courses, the sections their TA roles name (by the section's course)."""

    courses: tuple[int, ...]
    sections: dict[int, tuple[int, ...]]

    @classmethod
    def of(cls, roles) -> "StaffReach":
        """From the user's roles as (role, course id, course code, section id, the section's course id)
        rows, as staff_roles reads them."""
        whole = sorted({r[1] for r in roles if r[3] is None or r[0] == Role.INSTRUCTOR})
        sections: dict[int, list[int]] = {}
        for role, _, _, section_id, section_course_id in roles:
            if section_id is not None and role == Role.TA and section_course_id not in whole:
                sections.setdefault(section_course_id, []).append(section_id)
        return cls(tuple(whole), {c: tuple(sorted(ids)) for c, ids in sorted(sections.items())})

    def students_q(self, *, student: str, course: str) -> Q:
        """staff_students_q for these roles: the course ids and section ids as values, no subquery on the
        roles (much cheaper for Django to build and compile)."""
        q = Q(**{f"{course}__in": self.courses})  # no course: matches nothing (and is left out of an OR)
        for course_id, section_ids in self.sections.items():
            active = Enrolment.objects.filter(section_id__in=section_ids, status__in=Enrolment.ACTIVE)
            q |= Q(**{course: course_id, f"{student}__in": active.values("user_id")})
        return q

    def sections_q(self) -> Q:
        """staff_sections for these roles, as a filter on Section."""
        return Q(course_id__in=self.courses) | Q(id__in=[i for ids in self.sections.values() for i in ids])


def staff_reach(request) -> StaffReach:
    """The StaffReach of the request's user, from the roles read once a request (staff_roles, shared with
    the page's navigation)."""
    return StaffReach.of(staff_roles(request))


def staff_students_q(
    user,
    *,
    student: str = "student_id",
    course: str = "assignment__course_id",
    reach: StaffReach | None = None,
) -> Q:
    """Rows about one student in one course (a grade, a deadline, ...) that the staff member may see:
    `student` and `course` name the row's student id and course id fields. Given the user's `reach`
    (StaffReach, from their roles read already), the same rule with their courses and sections as values;
    otherwise the database reads the roles in subqueries.

    Never the staff member's own rows: someone who was a student of a course they came to staff (dropped,
    then added as staff) does not grade, regrade or see as staff their own work."""
    not_own = ~Q(**{student: user.pk})
    if reach is not None:
        return reach.students_q(student=student, course=course) & not_own
    in_my_sections = Enrolment.objects.filter(
        user_id=OuterRef(student),
        section__course_id=OuterRef(course),
        section_id__in=_ta_section_ids(user),
        status__in=Enrolment.ACTIVE,
    )
    return (Q(**{f"{course}__in": _whole_course_ids(user)}) | Q(Exists(in_my_sections))) & not_own


def staff_students(user, course_id: int, *, statuses=Enrolment.ACTIVE) -> QuerySet[User]:
    """The course's students (active ones, unless `statuses` says otherwise) the staff member may act on."""
    enrolments = Enrolment.objects.filter(
        staff_enrolments_q(user), section__course_id=course_id, status__in=statuses
    )
    return User.objects.filter(id__in=enrolments.values("user_id"))


def may_act_on_student(user, course_id: int, student_id: int) -> bool:
    return (
        is_whole_course_staff(user, course_id)
        or Enrolment.objects.filter(
            user_id=student_id,
            section__course_id=course_id,
            section_id__in=_ta_section_ids(user),
            status__in=Enrolment.ACTIVE,
        ).exists()
    )


def access_submission(user, submission_id: int):
    """A submission is seen by its student and by the staff who may act on that student (a TA of some
    sections: only while the student is active in one of them); everyone else: not found."""
    from courses.models import Submission

    submission = (
        Submission.objects.filter(pk=submission_id)
        .filter(Q(student_id=user.id) | staff_students_q(user))
        .select_related("student", "assignment__course")
        .first()
    )
    if submission is None:
        raise ObjectNotFound("No such submission among the ones you may see.")
    return submission


def access_section_as_staff(user, section_id: int) -> Section:
    section = staff_sections(user).filter(pk=section_id).select_related("course").first()
    if section is None:
        raise ObjectNotFound("No such section among the ones you staff.")
    return section


def access_enrolment_as_staff(user, enrolment_id: int, *, for_update: bool = False) -> Enrolment:
    enrolments = Enrolment.objects.select_for_update(of=("self",)) if for_update else Enrolment.objects
    enrolment = (
        enrolments.filter(staff_enrolments_q(user), pk=enrolment_id)
        .select_related("section__course", "user")
        .first()
    )
    if enrolment is None:
        raise ObjectNotFound("No such enrolment among the students you staff.")
    return enrolment


def staff_teams(user, course_id: int) -> QuerySet[Team]:
    """Teams of the course the staff member may see: all of them for whole-course staff; otherwise those
    with a member or an invitee they may act on."""
    reachable = TeamMembership.objects.filter(
        team_id=OuterRef("pk"),
        state__in=(TeamMembership.State.ACCEPTED, TeamMembership.State.INVITED),
        user_id__in=staff_students(user, course_id).values("id"),
    )
    teams = Team.objects.filter(course_id=course_id)
    if is_whole_course_staff(user, course_id):
        return teams
    return teams.filter(Exists(reachable))


def access_import_job(user, job_id: int):
    """An import job is seen by whoever started it and by the course's instructors."""
    from courses.models import ImportJob

    job = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(requested_by=user)
            | Q(course_id__in=StaffRole.objects.filter(user=user, role=Role.INSTRUCTOR).values("course_id"))
        )
        .select_related("requested_by")
        .first()
    )
    if job is None:
        raise ObjectNotFound("No such import among the ones you started.")
    return job
