"""Reads about enrolments: a user's enrolments and roles, waitlists in priority order, the roster."""

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from courses import access
from courses.models import (
    Assignment,
    Course,
    Enrolment,
    Section,
    StaffRole,
    Submission,
)
from courses.selectors.courses import sections_for_course


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


def roster_for_course(course: Course, *, user) -> dict:
    """The roster as `user` (staff) may see it: enrolled students per section, each waitlist in priority
    order, the dropped students, the promotions log, Gradescope access requests and sit-in requests. A TA
    limited to sections sees those sections and their active students only (courses.access)."""
    from courses.models import Promotion, SitInRequest

    sections = list(sections_for_course(course, staff_user=user))
    in_scope = access.staff_enrolments_q(user)
    enrolled = list(
        Enrolment.objects.filter(in_scope, section__course=course, status=Enrolment.Status.ENROLLED)
        .select_related("user", "section")
        .order_by("section__code", "user__last_name", "user__first_name", "user__username")
    )
    waitlists = {s.id: list(waitlist_queryset(s)) for s in sections}
    # Students who were dropped (or left a waitlist) and are not active in another section of the course:
    # the instructor may re-enrol them.
    active_in_course = Enrolment.objects.filter(
        user_id=OuterRef("user_id"), section__course=course, status__in=Enrolment.ACTIVE
    )
    dropped = list(
        Enrolment.objects.filter(in_scope, section__course=course, status=Enrolment.Status.DROPPED)
        .exclude(Exists(active_in_course))
        .select_related("user", "section")
        .order_by("section__code", "user__last_name", "user__first_name", "user__username")
    )
    return {
        "sections": sections,
        "enrolled": enrolled,
        "dropped": dropped,
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


def in_section_now(section_id: int, *, student: str = "student_id", course: str = "course_id") -> Exists:
    """The rule of a section filter, for rows about one student in one course (a submission, a regrade
    request; `student` and `course` name the row's fields): the row is of the section's course and its
    student is in the section now (enrolled or waitlisted, the section the pages name). A student's rows
    of another course, or of a section they left, are not the section's."""
    return Exists(
        Enrolment.objects.filter(
            section_id=section_id,
            section__course_id=OuterRef(course),
            user_id=OuterRef(student),
            status__in=Enrolment.ACTIVE,
        )
    )
