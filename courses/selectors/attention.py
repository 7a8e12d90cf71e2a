"""What needs the staff's attention, per course they staff: the lists of the home page.

Each item is its own read over every course the user staffs at once, so the page makes a constant number
of queries whatever the number of courses, students or assignments. What a TA sees follows the one staff
scope (courses.access): a TA of some sections sees those sections and their students. Solo approvals,
extensions and exports are the instructors' work and are left out for TAs.

Regrade requests and grade exports belong to the grading app, which registers its reads here when the
apps load (grading/apps.py): courses never imports grading.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from courses import access
from courses.models import Assignment, Course, Extension, StaffRole, Submission, Team, TeamMembership
from courses.selectors.courses import with_seat_counts
from courses.selectors.teams import solo_status
from courses.windows import Policy, class_window

# A regrade request still unanswered this long after it was made needs a nudge.
REGRADE_WAITING_HOURS = 48
# "This week": extensions granted in the last seven days.
EXTENSIONS_RECENT_DAYS = 7
EXPORTS_SHOWN = 3


@dataclass(frozen=True)
class GraceNow:
    """An assignment whose class grace period (or late window) is running now, and how many students
    (of those the staff member may see) submitted after its due time, inside that window."""

    assignment: Assignment
    grace_ends_at: datetime
    students: int


@dataclass
class CourseAttention:
    course: Course
    is_instructor: bool
    section_codes: list[str]  # a TA limited to sections: theirs; empty: the whole course
    grace: list[GraceNow] = field(default_factory=list)
    waitlists: list = field(default_factory=list)  # Sections with enrolled_count and waitlisted_count
    regrades_waiting: int | None = None  # None: no grading app to ask
    # The instructors' items: None for a TA (not theirs to act on).
    solo_pending: list[Team] | None = None
    extensions_recent: int | None = None
    exports: list | None = None


# The grading app's reads: provider(user, *, course_ids, instructor_course_ids, waiting_since,
# exports_shown) -> {"regrades_waiting": {course_id: count}, "exports": {course_id: [GradeExport, ...]}}
_grading_provider: Callable[..., dict] | None = None


def register_grading(provider: Callable[..., dict]) -> None:
    global _grading_provider
    _grading_provider = provider


def staffed_courses(user) -> list[CourseAttention]:
    """The courses the user staffs (by code), each with whether they teach it and, for a TA limited to
    sections, those sections' codes. One query."""
    by_course: dict[int, CourseAttention] = {}
    whole_course: set[int] = set()
    roles = StaffRole.objects.filter(user=user).select_related("course__term", "section")
    for role in roles.order_by("course__term__starts_on", "course__code", "section__code"):
        entry = by_course.setdefault(role.course_id, CourseAttention(role.course, False, []))
        if role.role == StaffRole.Role.INSTRUCTOR:
            entry.is_instructor = True
        if role.role == StaffRole.Role.INSTRUCTOR or role.section is None:
            whole_course.add(role.course_id)
        else:
            entry.section_codes.append(role.section.code)
    for course_id in whole_course:
        by_course[course_id].section_codes = []
    return list(by_course.values())


def grace_submissions_now(user, courses: list[Course], *, now: datetime) -> dict[int, list[GraceNow]]:
    """Per course: the assignments whose class window is past the due time and still open (the grace
    period; under a late-day or penalty policy, the late window), each with the number of students
    (whom `user` may see) who submitted after the due time. A student with an extension who submitted
    before their own due time is on time and not counted. Two queries."""
    by_id = {c.id: c for c in courses}
    running: dict[int, tuple[Assignment, datetime]] = {}
    candidates = Assignment.objects.filter(
        course_id__in=by_id, due_at__lt=now, grace_allowed=True, accepts_submissions=True
    ).order_by("due_at", "code")
    for assignment in candidates:
        window = class_window(assignment, Policy.of(by_id[assignment.course_id]))
        if window.grace_ends_at is not None and now <= window.closes_at:
            running[assignment.id] = (assignment, window.closes_at)
    if not running:
        return {}
    counts = dict(
        Submission.objects.filter(
            assignment_id__in=running,
            timing__in=(Submission.Timing.IN_GRACE, Submission.Timing.LATE),
            submitted_at__gt=F("assignment__due_at"),
        )
        .filter(access.staff_students_q(user))
        .values("assignment_id")
        .annotate(students=Count("student_id", distinct=True))
        .values_list("assignment_id", "students")
    )
    out: dict[int, list[GraceNow]] = defaultdict(list)
    for assignment_id, (assignment, ends_at) in running.items():
        out[assignment.course_id].append(GraceNow(assignment, ends_at, counts.get(assignment_id, 0)))
    return out


def waitlists_by_course(user, course_ids) -> dict[int, list]:
    """Per course: the sections `user` reaches, with how many are enrolled and waitlisted. One query."""
    out: dict[int, list] = defaultdict(list)
    sections = with_seat_counts(access.staff_sections(user).filter(course_id__in=course_ids))
    for section in sections.order_by("code"):
        out[section.course_id].append(section)
    return out


def solo_requests_pending(course_ids) -> dict[int, list[Team]]:
    """Per course: the teams of one whose member asked to work alone and that no instructor has approved
    yet (courses.selectors.teams.solo_status). One query."""
    teams = (
        Team.objects.filter(course_id__in=course_ids, solo_approved_at__isnull=True)
        .exclude(solo_reason="")
        .annotate(accepted=Count("memberships", filter=Q(memberships__state=TeamMembership.State.ACCEPTED)))
        .order_by("name")
    )
    out: dict[int, list[Team]] = defaultdict(list)
    for team in teams:
        if solo_status(team, team.accepted) == "solo_pending":
            out[team.course_id].append(team)
    return out


def extensions_granted_since(course_ids, *, since: datetime) -> dict[int, int]:
    """Per course: how many extensions were granted (or last changed) at or after `since`. One query.
    A revoked extension no longer exists and is not counted."""
    return dict(
        Extension.objects.filter(assignment__course_id__in=course_ids, granted_at__gte=since)
        .values("assignment__course_id")
        .annotate(n=Count("id"))
        .values_list("assignment__course_id", "n")
    )


def staff_attention(user, *, now: datetime | None = None) -> list[CourseAttention]:
    """Everything the home page lists for the courses `user` staffs."""
    now = now or timezone.now()
    items = staffed_courses(user)
    if not items:
        return []
    course_ids = [i.course.id for i in items]
    taught = [i.course.id for i in items if i.is_instructor]
    grace = grace_submissions_now(user, [i.course for i in items], now=now)
    waitlists = waitlists_by_course(user, course_ids)
    solo = solo_requests_pending(taught) if taught else {}
    extensions = (
        extensions_granted_since(taught, since=now - timedelta(days=EXTENSIONS_RECENT_DAYS)) if taught else {}
    )
    grading = (
        _grading_provider(
            user,
            course_ids=course_ids,
            instructor_course_ids=taught,
            waiting_since=now - timedelta(hours=REGRADE_WAITING_HOURS),
            exports_shown=EXPORTS_SHOWN,
        )
        if _grading_provider is not None
        else None
    )
    for item in items:
        cid = item.course.id
        item.grace = grace.get(cid, [])
        item.waitlists = waitlists.get(cid, [])
        if grading is not None:
            item.regrades_waiting = grading["regrades_waiting"].get(cid, 0)
        if item.is_instructor:
            item.solo_pending = solo.get(cid, [])
            item.extensions_recent = extensions.get(cid, 0)
            item.exports = grading["exports"].get(cid, []) if grading is not None else None
    return items
