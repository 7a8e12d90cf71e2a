"""Course setup pages: a new course (superusers) and a course's setup (its instructors). They read through
selectors; their forms write through the REST API (static/js/portal.js), the same path as other programs."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from courses import access, selectors
from courses.models import Assignment, Course, Section, StaffRole
from courses.selectors import setup as setup_selectors
from portal.pages import or_404

# The zones offered in the select (any IANA name is accepted by the API).
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Halifax",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Athens",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Asia/Jerusalem",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Perth",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def _zones(current: str) -> list[str]:
    return list(COMMON_ZONES) if current in COMMON_ZONES else [current, *COMMON_ZONES]


def _local_input(moment, zone) -> str:
    """A datetime-local input's value: the wall time in the course's zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S") if moment else ""


@login_required
def course_new(request):
    """Create a course (and terms): superusers only; for anyone else the page does not exist."""
    if not access.may_create_courses(request.user):
        raise Http404("Only the portal's administrators create courses.")
    return render(
        request,
        "courses/course_new.html",
        {
            "terms": setup_selectors.terms(),
            "zones": list(COMMON_ZONES),
            "default_zone": Course._meta.get_field("time_zone").default,
        },
    )


@login_required
def course_setup(request, course_id: int):
    """A course's settings, sections, staff, assignments and weights by category (its instructors and
    superusers; TAs read sections and assignments on the staff page)."""
    course = or_404(access.access_course_for_setup, request.user, course_id)
    zone = course.zone
    assignments = [
        {"a": a, "due_local": _local_input(a.due_at, zone), "release_local": _local_input(a.release_at, zone)}
        for a in selectors.assignments_for_course(course.id)
    ]
    return render(
        request,
        "courses/setup.html",
        {
            "course": course,
            "terms": setup_selectors.terms(),
            "zones": _zones(course.time_zone),
            "late_policies": Course.LatePolicy.choices,
            "sections": selectors.sections_for_course(course),
            "levels": Section.Level.choices,
            "deliveries": Section.Delivery.choices,
            "staff": setup_selectors.staff_for_course(course),
            "roles": StaffRole.Role.choices,
            "weights": setup_selectors.weights_by_category(course),
            "assignments": assignments,
            "categories": Assignment.Category.choices,
            "now": timezone.now(),
        },
    )
