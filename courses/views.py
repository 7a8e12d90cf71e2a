"""HTML pages. They read through selectors and write through the REST API from static/js/portal.js."""

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from icalendar import Calendar, Event

from courses import access, selectors
from courses.models import Course
from courses.readiness import flagged_for_student, readiness_by_student
from courses.selectors.attention import EXTENSIONS_RECENT_DAYS, REGRADE_WAITING_HOURS, staff_attention
from courses.selectors.deadlines import deadline_countdown, deadlines_due_next
from courses.selectors.submissions import submissions_of_student
from courses.services.mail_preferences import reminders_wanted
from portal.fragments import render_rows, render_with_rows
from portal.pages import or_404
from portal.zones import is_ambiguous


def _course_or_404(user, course_id: int) -> Course:
    return or_404(access.access_course, user, course_id)


@login_required
def home(request):
    """A student's courses and what is due next; for staff, per course they staff, what needs attention
    (courses.selectors.attention). A constant number of queries whatever the courses' size."""
    me = selectors.me_summary(request.user)
    now = timezone.now()
    to_do, _ = deadlines_due_next(selectors.deadlines_for_student(request.user, now=now))
    attention = staff_attention(request.user)
    return render(
        request,
        "courses/home.html",
        {
            "me": me,
            "upcoming": to_do[:5],
            "more_upcoming": len(to_do) - 5 if len(to_do) > 5 else 0,
            "now": now,
            "readiness": flagged_for_student(request.user, {e["course_id"] for e in me["enrolments"]}),
            "staff_courses": attention,
            "regrade_waiting_hours": REGRADE_WAITING_HOURS,
            "extensions_recent_days": EXTENSIONS_RECENT_DAYS,
            "is_instructor": "instructor" in me["roles"],
            "is_ta": "ta" in me["roles"],
        },
    )


@login_required
def course_info(request, course_id: int):
    course = _course_or_404(request.user, course_id)
    info = selectors.course_information(course)
    enrolment = access.student_enrolment(request.user, course.id)
    return render(request, "courses/course_info.html", {**info, "enrolment": enrolment})


def _instant(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


@login_required
def my_deadlines(request):
    """What is due next (open and in-grace work, by the student's effective due time), then what is
    submitted or closed; each row one line, opened for both zones, the receipt, earlier attempts and the
    submission form. Rows whose inputs have not changed since the last view come from the row cache
    (portal.fragments), keyed by everything a row shows."""
    now = timezone.now()
    user = request.user
    nav_rows: list = []
    rows = selectors.deadlines_for_student(user, now=now, nav_rows=nav_rows)
    # Read with the student's courses: the navigation's own query is saved.
    access.roles_read(request, nav_rows)
    to_do, done = deadlines_due_next(rows)
    many_courses = len({row.course.id for row in rows}) > 1
    reader = (user.time_zone_display, user.browser_time_zone, many_courses)

    def key_of(row) -> tuple:
        # Everything a row shows. A row with nothing submitted shows nothing of the student's own beyond
        # these values, so students whose rows agree share it. A row with work in it lists the student's
        # attempts: they are fixed once made, and each new one moves the stored row's last submission time
        # (written in the same transaction), so the student and that time stand for them, and they are
        # read only when a row is rendered.
        # Times as POSIX timestamps (exact to the microsecond, and far cheaper to digest than datetimes).
        a, c = row.assignment, row.course
        countdown = deadline_countdown(row, now=now)
        return (
            (user.pk if row.submitted_at else None, *reader),
            (a.id, a.code, a.title, _instant(a.due_at), a.collaboration_allowed, a.counts_toward_grade),
            (a.is_bonus, c.id, c.code, c.time_zone, c.honor_statement),
            (_instant(row.due_at), _instant(row.grace_ends_at), _instant(row.closes_at)),
            (_instant(row.extension_due_at), _instant(row.submitted_at)),
            (row.status, row.accepting, countdown.kind, countdown.label, countdown.resubmit),
        )

    def contexts_for(missed) -> list[dict]:
        # Only rows with work in them list attempts (a shared row must show nobody's).
        attempts = submissions_of_student(user, [row.assignment.id for row in missed if row.submitted_at])
        return [
            {"row": row, "user": user, "now": now, "attempts": attempts, "many_courses": many_courses}
            for row in missed
        ]

    rendered = render_rows(
        request,
        "courses/_deadline_row.html",
        rows,
        key_of=key_of,
        contexts_for=contexts_for,
    )
    html = {id(row): text for row, text in zip(rows, rendered, strict=True)}

    return render_with_rows(  # the rows go in after the page is rendered, in one piece
        request,
        "courses/deadlines.html",
        {
            "rows": rows,
            "now": now,
            "many_courses": many_courses,
            "course_zones": sorted({row.course.time_zone for row in rows}),
        },
        {"to_do": [html[id(row)] for row in to_do], "done": [html[id(row)] for row in done]},
    )


@login_required
def assignment_overview(request, assignment_id: int):
    assignment = or_404(access.access_assignment_as_staff, request.user, assignment_id)
    overview = selectors.submission_overview(assignment, user=request.user)
    submissions = list(selectors.latest_submissions_for_staff(assignment, user=request.user))
    return render(
        request,
        "courses/assignment_overview.html",
        {
            "o": overview,
            "submissions": submissions,
            "assignment": assignment,
            "course": assignment.course,
            "now": timezone.now(),
            # The Dean's reference (a student's circumstances) is the instructors' to read.
            "is_instructor": access.is_instructor(request.user, assignment.course_id),
        },
    )


@login_required
def staff_course(request, course_id: int):
    course = or_404(access.access_course_as_staff, request.user, course_id)
    return render(
        request,
        "courses/staff_course.html",
        {
            "course": course,
            "assignments": selectors.assignments_for_course(course.id),
            "sections": selectors.sections_for_course(course, staff_user=request.user),
            "is_instructor": access.is_instructor(request.user, course.id),
        },
    )


@login_required
def account(request):
    me = selectors.me_summary(request.user)
    return render(
        request,
        "courses/account.html",
        {
            "me": me,
            "calendar_url": request.build_absolute_uri(me["calendar_url"]),
            "tokens": selectors.api_tokens_for_user(request.user),
            "token_lifetime_days": settings.PORTAL_TOKEN_LIFETIME_DAYS,
            "now": timezone.now(),
            "reminders_on": reminders_wanted(request.user),
        },
    )


def calendar_feed(request, token: str):
    """The student's deadlines as RFC 5545, at a secret address the student can revoke."""
    user = selectors.user_by_calendar_token(token)
    if user is None:
        raise Http404(
            "This calendar address was revoked or never existed; copy the new one from your account page."
        )
    cal = Calendar()
    cal.add("prodid", "-//Course portal//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Course deadlines")
    stamp = timezone.now()
    for row in selectors.deadlines_for_student(user, now=stamp):
        zone = row.course.zone
        label = f"{row.assignment.code} due" + (" (extension)" if row.extension_due_at else "")
        cal.add_component(_event(row, "due", label, row.due_at.astimezone(zone), stamp))
        if row.grace_ends_at:
            cal.add_component(
                _event(
                    row,
                    "grace",
                    f"{row.assignment.code} grace period ends",
                    row.grace_ends_at.astimezone(zone),
                    stamp,
                )
            )
    cal.add_missing_timezones()  # VTIMEZONE blocks for every TZID used, so clients show local times
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def _event(row, kind: str, summary: str, at: datetime, stamp: datetime) -> Event:
    if is_ambiguous(at, row.course.zone):
        # A local time in the repeated hour with only a TZID is read as the first of the two (RFC 5545):
        # write the instant in UTC so the calendar shows the same moment as the API and the page.
        at = at.astimezone(UTC)
    event = Event()
    event.add("uid", f"{row.assignment.id}-{kind}-{row.assignment.course_id}@course-portal")
    event.add("summary", summary)
    event.add("dtstart", at)
    event.add("dtend", at)
    event.add("dtstamp", stamp)
    event.add("description", f"{row.assignment.title} — {row.course.code}")
    return event


@login_required
def join(request):
    """Sections a student can ask to join, their place on waitlists, Gradescope access and sitting in."""
    enrolments = selectors.enrolments_for_user(request.user)
    mine = {e.section_id: e for e in enrolments}
    standings = {e.section_id: selectors.waitlist_standing(e) for e in enrolments}
    courses = {}
    for section in selectors.joinable_sections():
        courses.setdefault(section.course, []).append(section)
    readiness = {}
    for course in {e.section.course for e in enrolments}:
        readiness[course.id] = readiness_by_student(
            course, student_ids=[request.user.id], released_only=True
        ).get(request.user.id)
    # What a waitlisted student can still do about PS0/HW0: their own windows say (not a fixed "do it now").
    preparation: dict[int, dict] = {}
    if any(e.status == e.Status.WAITLISTED for e in enrolments):
        for row in selectors.deadlines_for_student(request.user):
            if row.assignment.category == row.assignment.Category.PREPARATION:
                group = preparation.setdefault(row.course.id, {"open": [], "missed": [], "submitted": []})
                key = "submitted" if row.submitted_at else ("open" if row.accepting else "missed")
                group[key].append(row)
    return render(
        request,
        "courses/join.html",
        {
            "courses": [
                {
                    "course": course,
                    "sections": sections,
                    "mine": next((mine[s.id] for s in sections if s.id in mine), None),
                    "readiness": readiness.get(course.id),
                    "preparation": preparation.get(course.id),
                }
                for course, sections in courses.items()
            ],
            "mine": mine,
            "standings": standings,
        },
    )


@login_required
def roster(request, course_id: int):
    course = or_404(access.access_course_as_staff, request.user, course_id)
    data = selectors.roster_for_course(course, user=request.user)
    readiness = readiness_by_student(
        course, student_ids=access.staff_students(request.user, course.id).values("id")
    )
    only_flagged = request.GET.get("readiness") == "flagged"
    enrolled = [
        (e, readiness.get(e.user_id))
        for e in data["enrolled"]
        if not only_flagged or (readiness.get(e.user_id) and readiness[e.user_id].flagged)
    ]
    return render(
        request,
        "courses/roster.html",
        {
            **data,
            "course": course,
            "enrolled": enrolled,
            "only_flagged": only_flagged,
            # The enrolled students the "show only them" list shows (waitlisted ones are flagged on the
            # waitlist's own rows).
            "flagged_count": sum(
                1 for e in data["enrolled"] if readiness.get(e.user_id) and readiness[e.user_id].flagged
            ),
            "is_instructor": access.is_instructor(request.user, course.id),
        },
    )


@login_required
def gradescope_requests_csv(request, course_id: int):
    """The waitlisted students who asked for Gradescope access, as a CSV for Gradescope's roster upload."""
    from portal import csvsafe

    course = or_404(access.access_course_as_staff, request.user, course_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gradescope-access-{course.id}.csv"'
    writer = csvsafe.writer(response)  # names and e-mails are typed by students: guard formula cells
    writer.writerow(["Full Name", "Email", "SID", "Section", "Requested", "Granted"])
    for e in selectors.roster_for_course(course, user=request.user)["gradescope_requests"]:
        writer.writerow(
            [
                e.user.display_name,
                e.user.email,
                e.user.sis_id,
                e.section.code,
                e.gradescope_requested_at.isoformat(),
                e.gradescope_granted_at.isoformat() if e.gradescope_granted_at else "",
            ]
        )
    return response


@login_required
def teams_page(request, course_id: int):
    from courses.selectors.teams import team_size_for

    course = _course_or_404(request.user, course_id)
    staff = access.is_staff_of(request.user, course.id)
    views = selectors.teams_for_course(course, user=request.user)
    mine = next((v for v in views if any(m.user_id == request.user.id for m in v.members)), None)
    invitations = [v for v in views if any(m.user_id == request.user.id for m in v.invited)]
    return render(
        request,
        "courses/teams.html",
        {
            "course": course,
            "staff": staff,
            "is_instructor": access.is_instructor(request.user, course.id),
            "teams": views,
            "mine": mine,
            "invitations": invitations,
            "size": team_size_for(course),
        },
    )
