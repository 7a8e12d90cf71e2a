"""The waitlist: joining, leaving, priority, capacity, drops and promotion.

Every write that changes who holds a seat locks the section row first, so promotions, drops, capacity
changes and joins that happen at once are serialised: a section never goes over capacity and nobody is
promoted twice. Promotion itself runs in a Celery task after commit.
"""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from courses import access
from courses.models import Course, Enrolment, Promotion, Section, SitInRequest
from courses.selectors import waitlist_queryset
from courses.services.audit import audit_record
from courses.services.course_mail import course_mail_queue
from courses.timefmt import format_local
from portal.errors import ObjectNotFound, PermissionDenied, PortalError
from portal.tasking import enqueue_on_commit

Status = Enrolment.Status
Basis = Enrolment.GradingBasis


def wrong_course_message(course: Course, section_code: str) -> str | None:
    """The guidance for a student of one of the sections that are a different course."""
    wanted = section_code.replace(" ", "").upper()
    for code in course.other_section_codes:
        if code.replace(" ", "").upper() == wanted:
            return (
                f"{code} is a different course: {course.other_courses_notice or 'use that course’s own site.'} "
                f"This portal is for {', '.join(course.sections.values_list('code', flat=True))}."
            )
    return None


def _lock_section(section_id: int) -> Section:
    section = Section.objects.select_for_update().select_related("course").filter(pk=section_id).first()
    if section is None:
        raise ObjectNotFound("No such section. Pick one of the course's sections.")
    return section


def _enrolled_count(section: Section) -> int:
    return Enrolment.objects.filter(section=section, status=Status.ENROLLED).count()


def sections_lock(section_ids) -> dict[int, Section]:
    """Lock sections (in id order, so two writers never deadlock) before changing who holds their seats."""
    return {
        s.id: s
        for s in Section.objects.select_for_update().filter(pk__in=sorted(set(section_ids))).order_by("pk")
    }


def enrolled_user_ids(section: Section) -> set[int]:
    """Who holds a seat in the section now (call under `sections_lock`)."""
    return set(
        Enrolment.objects.filter(section=section, status=Status.ENROLLED).values_list("user_id", flat=True)
    )


def _refuse_staff(user, course, who_cannot: str) -> None:
    """A course's staff are not its students (the other way round: courses.services.staff refuses a
    student as staff, a roster refuses staff rows): a TA would see their classmates' work and their own."""
    if access.is_staff_of(user, course.id):
        raise PortalError(
            f"{who_cannot}: staff see their classmates' work. If they should be a student, remove them from "
            "the staff page first.",
            code="is_staff",
        )


@transaction.atomic
def waitlist_join(
    *, acting_user, section_id: int, grading_basis: str = Basis.CREDIT, now: datetime | None = None
) -> Enrolment:
    now = now or timezone.now()
    section = Section.objects.filter(pk=section_id).select_related("course").first()
    if section is None:
        raise ObjectNotFound("No such section. Pick one of the course's sections.")
    course = section.course
    if grading_basis not in Basis.values:
        raise PortalError(
            "Choose credit, audit or pass_fail.", fields={"grading_basis": "Unknown grading basis."}
        )
    if grading_basis != Basis.CREDIT and not course.waitlist_allows_audit:
        raise PortalError(
            "This course gives its seats to students taking it for credit and declines audit and pass/fail "
            "requests. You are welcome to sit in while space allows, or to follow the stream.",
            code="audit_declined",
            fields={"grading_basis": "Only credit is accepted."},
        )
    _refuse_staff(acting_user, course, "You are on this course's staff and cannot also take it")
    section = _lock_section(section.id)
    current = (
        Enrolment.objects.select_for_update()
        .filter(user=acting_user, section__course=course)
        .filter(status__in=Enrolment.ACTIVE)
        .select_related("section")
        .first()
    )
    if current is not None:
        raise PortalError(
            f"You are already {current.get_status_display().lower()} in {current.section.code}; leave that first "
            "to wait for another section.",
            code="already_in_course",
        )
    enrolment, created = Enrolment.objects.get_or_create(
        user=acting_user,
        section=section,
        defaults={"status": Status.WAITLISTED, "grading_basis": grading_basis, "joined_at": now},
    )
    if not created:  # re-joining after leaving goes to the back of the line
        enrolment.status, enrolment.grading_basis, enrolment.joined_at = Status.WAITLISTED, grading_basis, now
        enrolment.save(update_fields=["status", "grading_basis", "joined_at", "updated_at"])
    audit_record(
        actor=acting_user, course=course, action="waitlist.join", target=section.code, basis=grading_basis
    )
    _after_seat_change(section, student_ids=[acting_user.id])
    return enrolment


@transaction.atomic
def waitlist_leave(*, acting_user, section_id: int) -> Enrolment:
    section = _lock_section(section_id)
    enrolment = Enrolment.objects.filter(user=acting_user, section=section, status=Status.WAITLISTED).first()
    if enrolment is None:
        raise PortalError(f"You are not on the waitlist of {section.code}.", code="not_waitlisted")
    enrolment.status = Status.DROPPED
    enrolment.save(update_fields=["status", "updated_at"])
    audit_record(actor=acting_user, course=section.course, action="waitlist.leave", target=section.code)
    _after_seat_change(section, student_ids=[acting_user.id], promote=False)
    return enrolment


@transaction.atomic
def enrolment_drop(*, acting_user, enrolment_id: int) -> Enrolment:
    """The instructor drops a student; the freed seat goes to the next on the waitlist."""
    enrolment = access.access_enrolment_as_staff(acting_user, enrolment_id)
    if not access.is_instructor(acting_user, enrolment.section.course_id):
        raise PermissionDenied("Only the course's instructors drop students.")
    section = _lock_section(enrolment.section_id)
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment_id)
    if enrolment.status == Status.DROPPED:
        raise PortalError(f"{enrolment.user.username} is already dropped.", code="already_dropped")
    enrolment.status = Status.DROPPED
    enrolment.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=acting_user, course=section.course, action="enrolment.drop", target=enrolment.user.username
    )
    _after_seat_change(section, student_ids=[enrolment.user_id])
    return enrolment


@transaction.atomic
def enrolment_reenrol(*, acting_user, enrolment_id: int) -> Enrolment:
    """The instructor gives a dropped student their seat back, in the section they were dropped from.

    Capacity holds: a free seat is needed, and seats that are free while students wait belong to the
    waitlist (the promotion task fills them in priority order), so re-enrolling never jumps the line.
    """
    enrolment = access.access_enrolment_as_staff(acting_user, enrolment_id)
    if not access.is_instructor(acting_user, enrolment.section.course_id):
        raise PermissionDenied("Only the course's instructors re-enrol students.")
    section = _lock_section(enrolment.section_id)
    enrolment = Enrolment.objects.select_for_update().select_related("user").get(pk=enrolment_id)
    username = enrolment.user.username
    if enrolment.status != Status.DROPPED:
        raise PortalError(
            f"{username} is {enrolment.get_status_display().lower()} in {section.code}, not dropped: "
            "only a dropped student can be re-enrolled.",
            code="not_dropped",
        )
    elsewhere = (
        Enrolment.objects.filter(user_id=enrolment.user_id, section__course_id=section.course_id)
        .filter(status__in=Enrolment.ACTIVE)
        .exclude(pk=enrolment.pk)
        .select_related("section")
        .first()
    )
    _refuse_staff(
        enrolment.user, section.course, f"{username} is on this course's staff now and cannot also take it"
    )
    if elsewhere is not None:
        raise PortalError(
            f"{username} is {elsewhere.get_status_display().lower()} in {elsewhere.section.code} now; "
            f"drop that enrolment first to re-enrol them in {section.code}.",
            code="already_in_course",
        )
    enrolled = _enrolled_count(section)
    waiting = Enrolment.objects.filter(section=section, status=Status.WAITLISTED).count()
    if enrolled + waiting >= section.capacity:
        taken = f"{enrolled} of {section.capacity} seats are taken"
        why = (
            f"{section.code} has no seat to give: {taken} and the {waiting} on its waitlist come first."
            if waiting
            else f"{section.code} is full: {taken}."
        )
        raise PortalError(
            f"{why} Raise {section.code}'s capacity (its room holds {section.room_capacity}), or let "
            f"{username} join the waitlist from their Join a course page.",
            code="section_full",
        )
    enrolment.status = Status.ENROLLED
    enrolment.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=acting_user,
        course=section.course,
        action="enrolment.reenrol",
        target=username,
        section=section.code,
    )
    _after_seat_change(section, student_ids=[enrolment.user_id], promote=False)
    return enrolment


# What an instructor sets on a section besides its seats (the API shows these too).
SECTION_FIELDS = (
    "code",
    "level",
    "delivery",
    "meeting_times",
    "room",
    "stream_url",
    "stream_info",
    "recordings_url",
    "recordings_info",
    "notes",
)


def _section_problems(section: Section, *, enrolled: int = 0) -> None:
    """The rules every section keeps: seats within the room, a code of its own in the course, the fields'
    own limits (lengths, choices, links). Raises the first problem, with every field's message."""
    if section.room_capacity < 1:  # 0 once meant "no limit": every section now has a room of a known size
        raise PortalError(
            f"Give the number of seats in {section.code}'s room (at least 1); capacity grows up to it.",
            fields={"room_capacity": "At least 1 seat."},
        )
    if section.capacity > section.room_capacity:
        raise PortalError(
            f"The room holds {section.room_capacity}; capacity can grow up to that. Raise the room capacity first if the room changed.",
            fields={"capacity": f"At most {section.room_capacity}."},
        )
    if section.capacity < enrolled:
        raise PortalError(
            f"{enrolled} students are enrolled; capacity cannot go below that. Drop students first.",
            fields={"capacity": f"At least {enrolled}."},
        )
    fields: dict[str, str] = {}
    section.code = (section.code or "").strip()
    clash = Section.objects.filter(course_id=section.course_id, code__iexact=section.code)
    if section.pk:
        clash = clash.exclude(pk=section.pk)
    if not section.code:
        fields["code"] = "Give the section a code, e.g. CS 4644."
    elif clash.exists():
        fields["code"] = f"{section.code} is already a section of this course; choose another code."
    try:
        section.full_clean(exclude=["course", "code"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        fields.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if fields:
        name, message = next(iter(fields.items()))
        raise PortalError(message if name == "code" else f"{name}: {message}", fields=fields)


@transaction.atomic
def section_create(
    *, acting_user, course_id: int, capacity: int = 0, room_capacity: int = 1, **values
) -> Section:
    """Add a section to a course (instructors, superusers): its code is its own in the course, capacity
    fits the room. A new section has nobody waiting, so nothing is promoted."""
    course = access.access_course_for_setup(acting_user, course_id)
    unknown = set(values) - set(SECTION_FIELDS)
    if unknown:
        raise PortalError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    section = Section(course=course, capacity=capacity, room_capacity=room_capacity, **values)
    _section_problems(section)
    section.save()
    audit_record(
        actor=acting_user,
        course=course,
        action="section.create",
        target=section.code,
        capacity=capacity,
        room_capacity=room_capacity,
    )
    return section


@transaction.atomic
def section_update(
    *,
    acting_user,
    section_id: int,
    capacity: int | None = None,
    room_capacity: int | None = None,
    **changes,
) -> Section:
    """Change a section (instructors, superusers): its capacity (up to the room's size; a raise promotes
    from the waitlist), the room's size, and its code, level, delivery, room, meeting times, stream and
    recordings links and notes."""
    access.access_section_for_setup(acting_user, section_id)
    unknown = set(changes) - set(SECTION_FIELDS)
    if unknown:
        raise PortalError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    section = _lock_section(section_id)
    old, old_room = section.capacity, section.room_capacity
    seats_given = capacity is not None or room_capacity is not None
    if room_capacity is not None:
        section.room_capacity = room_capacity
    if capacity is not None:
        section.capacity = capacity
    current = {field: getattr(section, field) for field in SECTION_FIELDS}
    changed = {field: value for field, value in changes.items() if current[field] != value}
    for field, value in changed.items():
        setattr(section, field, value)
    _section_problems(section, enrolled=_enrolled_count(section) if seats_given else 0)
    section.save(update_fields=["capacity", "room_capacity", *changed])
    if (section.capacity, section.room_capacity) != (old, old_room):
        audit_record(
            actor=acting_user,
            course=section.course,
            action="section.capacity",
            target=section.code,
            old=old,
            new=section.capacity,
        )
    if changed:
        audit_record(
            actor=acting_user,
            course=section.course,
            action="section.update",
            target=section.code,
            changes={field: {"old": current[field], "new": getattr(section, field)} for field in changed},
        )
    if section.capacity > old:
        _after_seat_change(section, student_ids=[])
    return section


def _after_seat_change(section: Section, *, student_ids: list[int], promote: bool = True) -> None:

    if student_ids:
        enqueue_on_commit(
            "courses.tasks.recompute_course_deadlines", course_id=section.course_id, student_ids=student_ids
        )
    if promote:
        enqueue_on_commit("courses.tasks.promote_from_waitlist", section_id=section.id)


@transaction.atomic
def waitlist_promote(*, section_id: int, now: datetime | None = None) -> list[int]:
    """Fill every free seat from the waitlist in priority order. Idempotent; returns promoted enrolment ids."""
    now = now or timezone.now()
    section = _lock_section(section_id)
    free = section.capacity - _enrolled_count(section)
    if free <= 0:
        return []
    promoted = []
    for enrolment in waitlist_queryset(section)[:free]:
        Enrolment.objects.filter(pk=enrolment.pk, status=Status.WAITLISTED).update(
            status=Status.ENROLLED, updated_at=now
        )
        promotion = Promotion.objects.create(
            enrolment=enrolment, section=section, promoted_at=now, reason="A seat became free"
        )
        promoted.append(enrolment.pk)
        _mail_promoted(promotion)
    if promoted:
        audit_record(
            actor=None,
            course=section.course,
            action="waitlist.promote",
            target=section.code,
            enrolments=promoted,
        )
    return promoted


def _mail_promoted(promotion: Promotion) -> None:
    """Tell the student, once per promotion (portal.mail), in the promoting transaction."""
    enrolment = Enrolment.objects.select_related("user", "section__course").get(pk=promotion.enrolment_id)
    course = enrolment.section.course
    course_mail_queue(
        key=f"waitlist-promoted:{promotion.pk}",
        course=course,
        to=enrolment.user,
        subject=f"You have a seat in {enrolment.section.code}",
        body=(
            "A seat freed up and you are enrolled in "
            f"{enrolment.section.code} since {format_local(promotion.promoted_at, course.zone)}. "
            "Your deadlines are on the portal's My deadlines page.\n"
        ),
    )


@transaction.atomic
def gradescope_request(*, acting_user, enrolment_id: int, now: datetime | None = None) -> Enrolment:
    """A waitlisted student asks for Gradescope access, to do PS0/HW0 before getting a seat."""
    enrolment = Enrolment.objects.select_for_update().filter(pk=enrolment_id, user=acting_user).first()
    if enrolment is None:
        raise ObjectNotFound("No such enrolment among yours.")
    if enrolment.status != Status.WAITLISTED:
        raise PortalError(
            "Gradescope access requests are for waitlisted students; enrolled students already have access.",
            code="not_waitlisted",
        )
    if enrolment.gradescope_requested_at is None:
        enrolment.gradescope_requested_at = now or timezone.now()
        enrolment.save(update_fields=["gradescope_requested_at", "updated_at"])
        audit_record(
            actor=acting_user,
            course=enrolment.section.course,
            action="gradescope.request",
            target=enrolment.section.code,
        )
    return enrolment


@transaction.atomic
def gradescope_grant(*, acting_user, enrolment_id: int, now: datetime | None = None) -> Enrolment:
    enrolment = access.access_enrolment_as_staff(acting_user, enrolment_id, for_update=True)
    if enrolment.gradescope_requested_at is None:
        raise PortalError("This student has not asked for Gradescope access.", code="not_requested")
    if enrolment.gradescope_granted_at is None:
        enrolment.gradescope_granted_at = now or timezone.now()
        enrolment.gradescope_granted_by = acting_user
        enrolment.save(update_fields=["gradescope_granted_at", "gradescope_granted_by", "updated_at"])
        audit_record(
            actor=acting_user,
            course=enrolment.section.course,
            action="gradescope.grant",
            target=enrolment.user.username,
        )
    return enrolment


@transaction.atomic
def sit_in_request(*, acting_user, section_id: int, now: datetime | None = None) -> SitInRequest:
    """Sitting in is welcome while the room has space; otherwise the stream is the way to follow."""
    section = _lock_section(section_id)
    taken = _enrolled_count(section) + SitInRequest.objects.filter(section=section).count()
    room = section.room_capacity or section.capacity
    existing = SitInRequest.objects.filter(user=acting_user, section=section).first()
    if existing:
        return existing
    if taken >= room:
        raise PortalError(
            f"The room for {section.code} is full, so sitting in is not possible now. Follow the lectures on the stream instead.",
            code="no_space",
        )
    request = SitInRequest.objects.create(user=acting_user, section=section, created_at=now or timezone.now())
    audit_record(actor=acting_user, course=section.course, action="sit_in.request", target=section.code)
    return request
