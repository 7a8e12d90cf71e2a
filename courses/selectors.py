"""Reads for the courses app: what pages and the API show. Query counts do not grow with the data."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from courses import access
from courses.models import (
    ApiToken,
    Assignment,
    Course,
    EffectiveDeadline,
    Enrolment,
    Extension,
    Section,
    StaffRole,
    Submission,
    User,
)
from courses.services.windows import (
    Policy,
    Window,
    deadline_evaluate,
    deadline_inputs_key,
    late_days_left,
    status_for,
)

ACTIVE = Enrolment.ACTIVE


def enrolments_for_user(user) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(user=user)
        .filter(status__in=Enrolment.ACTIVE)
        .select_related("section__course__term")
        .order_by("section__course__term__starts_on", "section__code")
    )


def staff_roles_for_user(user) -> list[StaffRole]:
    return list(StaffRole.objects.filter(user=user).select_related("course__term", "section"))


def waitlist_queryset(section: Section) -> QuerySet[Enrolment]:
    """Waitlisted enrolments of a section in priority order: for credit first (audit and pass/fail last),
    then those who submitted PS0/HW0, then by join time."""
    prep = Assignment.objects.filter(course_id=section.course_id, category=Assignment.Category.PREPARATION)
    submitted_prep = Exists(Submission.objects.filter(student_id=OuterRef("user_id"), assignment__in=prep))
    return (
        Enrolment.objects.filter(section=section, status=Enrolment.Status.WAITLISTED)
        .annotate(
            basis_rank=Case(
                When(grading_basis=Enrolment.GradingBasis.CREDIT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            submitted_prep=submitted_prep,
            prep_rank=Case(
                When(submitted_prep=True, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
        .select_related("user", "section")
        .order_by("basis_rank", "prep_rank", "joined_at", "id")
    )


def waitlist_position(enrolment: Enrolment) -> int | None:
    """1-based place on the section's waitlist in priority order (None when not waitlisted)."""
    if enrolment.status != Enrolment.Status.WAITLISTED:
        return None
    ids = list(waitlist_queryset(enrolment.section).values_list("id", flat=True))
    return ids.index(enrolment.id) + 1 if enrolment.id in ids else None


def me_summary(user) -> dict:
    enrolments = enrolments_for_user(user)
    roles = staff_roles_for_user(user)
    role_names = sorted({r.role for r in roles} | ({"student"} if enrolments else set()))
    return {
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "roles": role_names,
        "staff_roles": [
            {
                "course_id": r.course_id,
                "course": r.course.code,
                "role": r.role,
                "section": r.section.code if r.section else None,
            }
            for r in roles
        ],
        "enrolments": [
            {
                "id": e.id,
                "course_id": e.section.course_id,
                "course": e.section.course.code,
                "section_id": e.section_id,
                "section": e.section.code,
                "status": e.status,
                "grading_basis": e.grading_basis,
                "waitlist_position": waitlist_position(e),
            }
            for e in enrolments
        ],
        "calendar_url": reverse("calendar-feed", kwargs={"token": user.calendar_token}),
    }


def courses_for_user(user):
    return access.member_courses(user).select_related("term").order_by("term__starts_on", "code")


def sections_for_course(course: Course, *, staff_user=None):
    """The course's sections with their counts; with `staff_user`, only the sections that person staffs."""
    sections = access.staff_sections(staff_user, course.id) if staff_user else course.sections.all()
    return sections.annotate(
        enrolled_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ENROLLED)),
        waitlisted_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.WAITLISTED)),
    ).order_by("code")


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


@dataclass(frozen=True)
class DeadlineRow:
    assignment: Assignment
    course: Course
    due_at: datetime
    grace_ends_at: datetime | None
    closes_at: datetime
    extension_due_at: datetime | None
    submitted_at: datetime | None
    status: str
    outcome: str
    late_days_used: int
    accepting: bool  # the window is still open for a (re)submission


def deadlines_for_student(
    user, *, now: datetime | None = None, course_id: int | None = None
) -> list[DeadlineRow]:
    """One row per assignment with a due time in each of the student's courses, from the stored
    effective deadlines. The stored rows are a cache: a row not yet stored, or stored from inputs that have
    changed since (its `inputs_key` differs: the recompute task has not run yet), is computed from the rules
    on the spot, so the student always sees the window of today's due time, policy and extension.

    Four queries, whatever the number of assignments or students.
    """
    now = now or timezone.now()
    course_ids = {
        e.section.course_id: e.section.course
        for e in Enrolment.objects.filter(user=user, status__in=ACTIVE).select_related("section__course")
    }
    if course_id is not None:
        course_ids = {k: v for k, v in course_ids.items() if k == course_id}
    assignments = list(
        Assignment.objects.filter(course_id__in=course_ids, due_at__isnull=False).order_by("due_at", "code")
    )
    stored = {
        row.assignment_id: row
        for row in EffectiveDeadline.objects.filter(
            student=user, assignment__course_id__in=course_ids
        ).annotate(course_ref=F("assignment__course_id"))
    }
    late_days_spent: dict[int, int] = defaultdict(int)
    for row in stored.values():
        late_days_spent[row.course_ref] += row.late_days_used
    extensions = dict(
        Extension.objects.filter(student=user, assignment__course_id__in=course_ids).values_list(
            "assignment_id", "due_at"
        )
    )
    policies = {course_id: Policy.of(course) for course_id, course in course_ids.items()}
    rows = []
    for assignment in assignments:
        course = course_ids[assignment.course_id]
        policy = policies[course.id]
        row = stored.get(assignment.id)
        extension_due_at = extensions.get(assignment.id)
        current_key = deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension_due_at,
        )
        if row is not None and row.inputs_key == current_key:
            window = Window(row.due_at, row.grace_ends_at, row.closes_at, row.extension_due_at)
            submitted_at, outcome, late_days = row.last_submitted_at, row.outcome, row.late_days_used
        else:
            # Missing or stale: the rules decide, with the late days spent elsewhere as stored today.
            spent_elsewhere = late_days_spent[course.id] - (row.late_days_used if row is not None else 0)
            submitted_at = row.last_submitted_at if row is not None else None
            evaluation = deadline_evaluate(
                policy=policy,
                due_at=assignment.due_at,
                grace_allowed=assignment.grace_allowed,
                extension_due_at=extension_due_at,
                late_days_available=late_days_left(course.late_day_bank, spent_elsewhere),
                submitted_at=submitted_at,
                closed_at=row.closed_at if row is not None else None,
                now=now,
            )
            window, outcome, late_days = evaluation.window, evaluation.outcome, evaluation.late_days_used
        rows.append(
            DeadlineRow(
                assignment=assignment,
                course=course,
                due_at=window.due_at,
                grace_ends_at=window.grace_ends_at,
                closes_at=window.closes_at,
                extension_due_at=window.extension_due_at,
                submitted_at=submitted_at,
                status=status_for(
                    window=window, submitted_at=submitted_at, now=now, policy_kind=course.late_policy
                ),
                outcome=outcome,
                late_days_used=late_days,
                accepting=now <= window.closes_at and assignment.accepts_submissions,
            )
        )
    return rows


@dataclass(frozen=True)
class SubmissionOverview:
    assignment: Assignment
    on_time: list[EffectiveDeadline]
    in_grace: list[EffectiveDeadline]
    not_yet: list[EffectiveDeadline]
    missing: list[EffectiveDeadline]
    extensions: list[Extension]


def submission_overview(assignment: Assignment, *, user, now: datetime | None = None) -> SubmissionOverview:
    """Who submitted on time, in grace, not yet (or missed it), and who has an extension: of the students
    `user` may act on (courses.access: a TA limited to sections sees those sections' active students)."""
    now = now or timezone.now()
    rows = list(
        EffectiveDeadline.objects.filter(assignment=assignment)
        .filter(access.staff_students_q(user))
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__username")
    )
    extensions = list(
        Extension.objects.filter(assignment=assignment, student_id__in=[r.student_id for r in rows])
        .select_related("student", "granted_by")
        .order_by("student__username")
    )
    _refresh_stale_rows(assignment, rows, {e.student_id: e.due_at for e in extensions}, now)
    Outcome = EffectiveDeadline.Outcome
    on_time, in_grace, not_yet, missing = [], [], [], []
    for row in rows:
        if row.last_submitted_at is None:
            (missing if row.closes_at < now else not_yet).append(row)
        elif row.outcome == Outcome.SUBMITTED:
            on_time.append(row)
        elif row.outcome == Outcome.MISSING:
            missing.append(row)
        else:
            in_grace.append(row)
    return SubmissionOverview(assignment, on_time, in_grace, not_yet, missing, extensions)


def _refresh_stale_rows(assignment: Assignment, rows: list[EffectiveDeadline], extensions: dict, now) -> None:
    """Rows stored from inputs that changed since (the recompute has not run yet) get, in memory only, the
    window and outcome the rules give today; fresh rows cost nothing more."""
    course = assignment.course
    policy = Policy.of(course)

    def key(extension_due_at):
        return deadline_inputs_key(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extension_due_at,
        )

    shared_key = key(None)
    stale = [
        r
        for r in rows
        if r.inputs_key != (key(extensions[r.student_id]) if r.student_id in extensions else shared_key)
    ]
    if not stale or assignment.due_at is None:
        return
    spent: dict[int, int] = {}
    if policy.kind == Course.LatePolicy.LATE_DAYS:
        spent = dict(
            EffectiveDeadline.objects.filter(
                assignment__course_id=course.id, student_id__in=[r.student_id for r in stale]
            )
            .exclude(assignment=assignment)
            .values("student_id")
            .annotate(spent=Sum("late_days_used"))
            .values_list("student_id", "spent")
        )
    for row in stale:
        evaluation = deadline_evaluate(
            policy=policy,
            due_at=assignment.due_at,
            grace_allowed=assignment.grace_allowed,
            extension_due_at=extensions.get(row.student_id),
            late_days_available=late_days_left(course.late_day_bank, spent.get(row.student_id, 0)),
            submitted_at=row.last_submitted_at,
            closed_at=row.closed_at,
            now=now,
        )
        window = evaluation.window
        row.due_at, row.grace_ends_at, row.closes_at = window.due_at, window.grace_ends_at, window.closes_at
        row.extension_due_at = window.extension_due_at
        row.late_days_used, row.penalty_percent = evaluation.late_days_used, evaluation.penalty_percent
        row.outcome, row.closed_at = evaluation.outcome, evaluation.closed_at


def user_by_calendar_token(token: str) -> User | None:
    return User.objects.filter(calendar_token=token, is_active=True).first()


# ---- API tokens ---------------------------------------------------------------------------------------


def api_token_digest(key: str) -> str:
    """What is stored of a token's key: its SHA-256 (the key is random, so no slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does (change, reset, admin, `changepassword`): a token remembers the
    one it was issued under and stops working with a new password, as Django's sessions do."""
    return salted_hmac("courses.ApiToken.password", user.password, algorithm="sha256").hexdigest()


def api_token_by_key(key: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)).first()


def api_token_is_current(token: ApiToken) -> bool:
    """Not revoked by a password change, and the account still active (expiry is checked apart, so that
    the refusal can say the token expired)."""
    return token.user.is_active and constant_time_compare(
        token.password_fingerprint, password_fingerprint(token.user)
    )


def api_tokens_for_user(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, expired ones included (a page marks them); never the ones a
    password change revoked."""
    return list(ApiToken.objects.filter(user=user, password_fingerprint=password_fingerprint(user)))


def sections_prefetch():
    return Prefetch("sections", queryset=Section.objects.order_by("code"))


def roster_for_course(course: Course, *, user) -> dict:
    """The roster as `user` (staff) may see it: enrolled students per section, each waitlist in priority
    order, the promotions log, Gradescope access requests and sit-in requests. A TA limited to sections
    sees those sections and their active students only (courses.access)."""
    from courses.models import Promotion, SitInRequest

    sections = list(sections_for_course(course, staff_user=user))
    in_scope = access.staff_enrolments_q(user)
    enrolled = list(
        Enrolment.objects.filter(in_scope, section__course=course, status=Enrolment.Status.ENROLLED)
        .select_related("user", "section")
        .order_by("section__code", "user__last_name", "user__first_name", "user__username")
    )
    waitlists = {s.id: list(waitlist_queryset(s)) for s in sections}
    return {
        "sections": sections,
        "enrolled": enrolled,
        "waitlists": [(s, waitlists[s.id]) for s in sections],
        "promotions": list(
            Promotion.objects.filter(
                access.staff_enrolments_q(user, prefix="enrolment__"), section__course=course
            ).select_related("enrolment__user", "section")[:50]
        ),
        "gradescope_requests": list(
            Enrolment.objects.filter(in_scope, section__course=course, gradescope_requested_at__isnull=False)
            .select_related("user", "section", "gradescope_granted_by")
            .order_by("gradescope_requested_at")
        ),
        "sit_ins": list(
            SitInRequest.objects.filter(section__in=[s.id for s in sections]).select_related(
                "user", "section"
            )
        ),
    }


def joinable_sections():
    """Sections of current and future terms a student may ask to join."""
    today = timezone.localdate()
    return (
        Section.objects.filter(course__term__ends_on__gte=today)
        .select_related("course__term")
        .annotate(
            enrolled_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ENROLLED)),
            waitlisted_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.WAITLISTED)),
        )
        .order_by("course__code", "code")
    )


@dataclass(frozen=True)
class WaitlistStanding:
    enrolment: Enrolment
    position: int
    ahead_submitted_prep: int
    ahead_other: int
    free_seats: int
    ahead_for_credit: int = 0  # ahead of an audit or pass/fail request because they take it for credit


def waitlist_standing(enrolment: Enrolment) -> WaitlistStanding | None:
    """Where a waitlisted student stands and who is ahead (in priority groups, never by name)."""
    if enrolment.status != Enrolment.Status.WAITLISTED:
        return None
    rows = list(waitlist_queryset(enrolment.section))
    index = next((i for i, e in enumerate(rows) if e.id == enrolment.id), None)
    if index is None:
        return None
    ahead = rows[:index]
    for_credit = [e for e in ahead if e.basis_rank < rows[index].basis_rank]
    same_basis = [e for e in ahead if e.basis_rank == rows[index].basis_rank]
    enrolled = Enrolment.objects.filter(
        section_id=enrolment.section_id, status=Enrolment.Status.ENROLLED
    ).count()
    return WaitlistStanding(
        enrolment=rows[index],
        position=index + 1,
        ahead_submitted_prep=sum(1 for e in same_basis if e.submitted_prep),
        ahead_other=sum(1 for e in same_basis if not e.submitted_prep),
        free_seats=max(0, enrolment.section.capacity - enrolled),
        ahead_for_credit=len(for_credit),
    )


@dataclass(frozen=True)
class TeamView:
    team: object
    members: list
    invited: list
    status: str  # "complete", "forming", "solo_pending", "solo_approved"


def _team_status(team, accepted: int, size) -> str:
    if accepted == 1 and team.solo_reason:
        return "solo_approved" if team.solo_approved_at else "solo_pending"
    return "complete" if size.minimum <= accepted <= size.maximum else "forming"


def teams_for_course(course: Course, *, user=None) -> list[TeamView]:
    """The teams `user` may see. Staff: the teams with a student they may act on (courses.access), showing
    only those students, so a TA of one section never sees another section's students, even in a mixed
    team; a student: the teams they belong to or are invited to. `user=None`: every team, unfiltered."""
    from courses.models import Team, TeamMembership
    from courses.services.teams import team_size_for

    size = team_size_for(course)
    teams = Team.objects.filter(course=course)
    shown = None  # the student ids a staff member limited to sections may see; None: everyone
    if user is not None and access.is_staff_of(user, course.id):
        teams = access.staff_teams(user, course.id)
        if not access.is_whole_course_staff(user, course.id):
            shown = set(access.staff_students(user, course.id).values_list("id", flat=True))
        user = None
    teams = teams.prefetch_related(
        Prefetch("memberships", queryset=TeamMembership.objects.select_related("user").order_by("created_at"))
    )
    if user is not None:
        # One filter() call: both conditions apply to the same membership (the user's own). An exclude()
        # over the relation would drop a team as soon as anyone in it had declined.
        teams = teams.filter(
            memberships__user=user,
            memberships__state__in=(TeamMembership.State.ACCEPTED, TeamMembership.State.INVITED),
        ).distinct()
    out = []
    for team in teams.order_by("name"):
        members = [m for m in team.memberships.all() if m.state == TeamMembership.State.ACCEPTED]
        invited = [m for m in team.memberships.all() if m.state == TeamMembership.State.INVITED]
        status = _team_status(team, len(members), size)  # from every member, shown or not
        if shown is not None:
            members = [m for m in members if m.user_id in shown]
            invited = [m for m in invited if m.user_id in shown]
        out.append(TeamView(team, members, invited, status))
    return out
