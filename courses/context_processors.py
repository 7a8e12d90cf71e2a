from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from courses.models import Course, Enrolment, Section, StaffRole

STUDENT = "student"


def _staff_menus(courses: dict[int, tuple[str, bool]]) -> list[dict]:
    """The staff's navigation: Roster and Grades for every course they staff, Extensions and Exports for
    the courses they teach. Each entry's links are (course code, address): one link goes straight to the
    course's page; several make a menu to choose the course from."""
    staffed = [(course_id, code) for course_id, (code, _) in courses.items()]
    taught = [(course_id, code) for course_id, (code, teaches) in courses.items() if teaches]
    menus = [
        ("Roster", [(code, reverse("roster", args=[cid])) for cid, code in staffed]),
        # The staff course page lists every assignment with its grade grid.
        ("Grades", [(code, reverse("staff-course", args=[cid])) for cid, code in staffed]),
        ("Extensions", [(code, reverse("course-extensions", args=[cid])) for cid, code in taught]),
        ("Exports", [(code, reverse("grade-exports", args=[cid])) for cid, code in taught]),
    ]
    return [{"label": label, "links": links} for label, links in menus if links]


_ACTIVE = [str(status) for status in Enrolment.ACTIVE]
# One round trip: the staff roles, and one "student" row when an active enrolment exists. Plain SQL
# (PostgreSQL and SQLite): every page asks, and the ORM's building of this union cost more than the query.
# A role's section and the section's course come along for staff_roles (what courses.access.StaffReach
# reads); the navigation uses the first three columns.
_NAV_QUERY = (
    f"SELECT r.role, r.course_id, c.code, r.section_id, s.course_id FROM {StaffRole._meta.db_table} r "
    f"JOIN {Course._meta.db_table} c ON c.id = r.course_id "
    f"LEFT JOIN {Section._meta.db_table} s ON s.id = r.section_id WHERE r.user_id = %s "
    f"UNION ALL SELECT '{STUDENT}', NULL, '', NULL, NULL WHERE EXISTS (SELECT 1 FROM {Enrolment._meta.db_table} e "
    f"WHERE e.user_id = %s AND e.status IN ({', '.join(['%s'] * len(_ACTIVE))}))"
)


def _nav(request, *, with_staff_roles: bool = False) -> dict:
    """The user's roles ("student", "ta", "instructor") and the staff menus: one query, once a request.
    `with_staff_roles`: also the rows of staff_roles (read again if a view gave the navigation only
    its own rows, nav_read)."""
    cached = getattr(request, "_portal_nav", None)
    if cached is not None and (not with_staff_roles or "staff_roles" in cached):
        return cached
    user = request.user
    nav = {"roles": set(), "staff_menus": [], "staff_roles": ()}
    if user.is_authenticated:
        with connection.cursor() as cursor:
            cursor.execute(_NAV_QUERY, [user.pk, user.pk, *_ACTIVE])
            rows = cursor.fetchall()
        nav = {**_nav_of(rows), "staff_roles": tuple(r for r in rows if r[0] != STUDENT)}
    request._portal_nav = nav
    return nav


def staff_roles(request) -> tuple:
    """The user's staff roles as (role, course id, course code, section id or None, the section's course
    id or None) rows, from the navigation's query (one a request, shared with the page's navigation)."""
    return _nav(request, with_staff_roles=True)["staff_roles"]


def _nav_of(rows) -> dict:
    courses: dict[int, tuple[str, bool]] = {}
    roles = set()
    for role, course_id, code, *_ in sorted(rows, key=lambda r: (r[2], r[1] or 0)):
        roles.add(role)
        if role == STUDENT:
            continue
        teaches = courses.get(course_id, (code, False))[1] or role == StaffRole.Role.INSTRUCTOR
        courses[course_id] = (code, teaches)
    return {"roles": roles, "staff_menus": _staff_menus(courses)}


def nav_read(request, rows) -> None:
    """The navigation from rows a view read in a query of its own (the rows of _NAV_QUERY: (role, course_id,
    course code) per staff role and one ("student", None, "") for an active enrolment), saving its query."""
    request._portal_nav = _nav_of(rows)


def portal(request):
    """Navigation needs the user's roles and staffed courses; computed only when a template asks."""
    return {
        "PORTAL_TIME_ZONE": settings.TIME_ZONE,
        "nav_roles": SimpleLazyObject(lambda: _nav(request)["roles"]),
        "nav_staff_menus": SimpleLazyObject(lambda: _nav(request)["staff_menus"]),
    }
