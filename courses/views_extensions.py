"""The instructors' extensions page: the course's extensions per assignment or per student, a grant form
with a student picker, revoking. It reads through selectors and writes through the REST API."""

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from courses import access, selectors
from courses.timefmt import format_local, utc_offset
from portal.pages import or_404
from portal.zones import offset_change_days

MATCHES_SHOWN = 20  # the page's search without the script; the API pages through all of them


@login_required
def course_extensions(request, course_id: int):
    course = or_404(access.access_course_as_instructor, request.user, course_id)
    zone = course.zone
    by = "student" if request.GET.get("by") == "student" else "assignment"
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    matches = list(selectors.course_students_search(request.user, course, q)[:MATCHES_SHOWN]) if q else []
    now_local = timezone.now().astimezone(zone)
    clock_changes = [
        {
            "day": day,
            "before": utc_offset(datetime.combine(day - timedelta(days=1), time(12), zone)),
            "after": utc_offset(datetime.combine(day, time(12), zone)),
        }
        for day in offset_change_days(zone, course.term.starts_on, course.term.ends_on)
    ]
    assignments = [
        (a, format_local(a.due_at, zone)) for a in selectors.assignments_for_course(course.id) if a.due_at
    ]
    return render(
        request,
        "courses/extensions.html",
        {
            "course": course,
            "by": by,
            "groups": selectors.extensions_for_course(course, by=by),
            "assignments": assignments,
            "q": q,
            "matches": matches,
            "matches_max": MATCHES_SHOWN,
            "picked": request.GET.get("student", "")[:150],
            "picked_assignment": request.GET.get("assignment", ""),
            "zone_offset": utc_offset(now_local),
            "clock_changes": clock_changes,
        },
    )
