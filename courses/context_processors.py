from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from courses import access as course_access
from courses.models import StaffRole


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


def _nav(request) -> dict:
    """The user's roles ("student", "ta", "instructor") and the staff menus, from the roles read once a
    request (courses.access.user_roles), worked out once a request."""
    rows = course_access.user_roles(request)
    cached = getattr(request, "_portal_nav", None)
    if cached is not None and cached[0] is rows:
        return cached[1]
    nav = _nav_of(rows)
    request._portal_nav = (rows, nav)
    return nav


def _nav_of(rows) -> dict:
    courses: dict[int, tuple[str, bool]] = {}
    roles = set()
    for role, course_id, code, *_ in sorted(rows, key=lambda r: (r[2], r[1] or 0)):
        roles.add(role)
        if role == course_access.STUDENT:
            continue
        teaches = courses.get(course_id, (code, False))[1] or role == StaffRole.Role.INSTRUCTOR
        courses[course_id] = (code, teaches)
    return {"roles": roles, "staff_menus": _staff_menus(courses)}


def portal(request):
    """Navigation needs the user's roles and staffed courses; computed only when a template asks."""
    return {
        "PORTAL_TIME_ZONE": settings.TIME_ZONE,
        "nav_roles": SimpleLazyObject(lambda: _nav(request)["roles"]),
        "nav_staff_menus": SimpleLazyObject(lambda: _nav(request)["staff_menus"]),
    }
