"""Setting up terms and courses without Django's admin. Superusers create terms and courses (naming the
first instructor); a course's instructors change its settings. A change to the time zone or the late
policy recomputes every student's stored deadlines in a task, after commit."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from courses import access
from courses.models import Assignment, Course, StaffRole, Term
from courses.services.audit import audit_record
from courses.services.staff import staff_account
from portal.errors import ObjectNotFound, PortalError
from portal.tasking import enqueue_on_commit

# What an instructor sets on a course (the API shows these, after id and term).
COURSE_FIELDS = (
    "code",
    "title",
    "time_zone",
    "late_policy",
    "grace_days",
    "late_day_bank",
    "late_days_per_assignment",
    "penalty_percent_per_day",
    "penalty_floor_percent",
    "penalty_max_days",
    "regrade_window_days",
    "bonus_cap_percent",
    "waitlist_allows_audit",
    "readiness_threshold_percent",
    "readiness_advice",
    "reminder_hours",
    "description",
    "instructor_contact",
    "communication",
    "office_hours",
    "prerequisites",
    "honor_statement",
    "other_courses_notice",
    "other_course_section_codes",
)
# The inputs of every student's window (courses.windows.Policy): a change recomputes deadlines.
DEADLINE_FIELDS = {
    "time_zone",
    "late_policy",
    "grace_days",
    "late_day_bank",
    "late_days_per_assignment",
    "penalty_percent_per_day",
    "penalty_floor_percent",
    "penalty_max_days",
}


def _raise_first(fields: dict[str, str]) -> None:
    """Refuse with every field's message; the first one, named, is the detail."""
    if fields:
        name, message = next(iter(fields.items()))
        raise PortalError(f"{name}: {message}", fields=fields)


# ---- terms --------------------------------------------------------------------------------------------


def _check_term(term: Term) -> None:
    fields: dict[str, str] = {}
    term.name = (term.name or "").strip()
    if not term.name:
        fields["name"] = "Give the term a name, e.g. Spring 2023."
    elif Term.objects.filter(name__iexact=term.name).exclude(pk=term.pk).exists():
        fields["name"] = f"A term named {term.name} exists already; pick it, or choose another name."
    if term.starts_on and term.ends_on and term.ends_on <= term.starts_on:
        fields["ends_on"] = (
            f"The term ends ({term.ends_on:%b %d %Y}) on or before it starts ({term.starts_on:%b %d %Y}); "
            "give an end after the start."
        )
    _raise_first(fields)


@transaction.atomic
def term_create(*, acting_user, name: str, starts_on: date, ends_on: date) -> Term:
    access.access_course_creation(acting_user, "create terms")
    term = Term(name=name, starts_on=starts_on, ends_on=ends_on)
    _check_term(term)
    term.save()
    audit_record(
        actor=acting_user,
        action="term.create",
        target=term.name,
        starts_on=term.starts_on.isoformat(),
        ends_on=term.ends_on.isoformat(),
    )
    return term


@transaction.atomic
def term_update(*, acting_user, term_id: int, **changes) -> Term:
    access.access_course_creation(acting_user, "change terms")
    term = Term.objects.select_for_update().filter(pk=term_id).first()
    if term is None:
        raise ObjectNotFound("No such term. Pick one of the terms listed.")
    unknown = set(changes) - {"name", "starts_on", "ends_on"}
    if unknown:
        raise PortalError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = {field: getattr(term, field) for field in changes}
    for field, value in changes.items():
        setattr(term, field, value)
    _check_term(term)
    changed = {field: value for field, value in changes.items() if before[field] != getattr(term, field)}
    if changed:
        term.save(update_fields=list(changed))
        audit_record(
            actor=acting_user,
            action="term.update",
            target=term.name,
            changes={f: {"old": _jsonable(before[f]), "new": _jsonable(getattr(term, f))} for f in changed},
        )
    return term


# ---- courses ------------------------------------------------------------------------------------------


def _reminder_hours(value: str) -> str:
    """ "48, 24" → "48,24": whole hours before the due time, largest first, each once."""
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if not all(p.isdigit() and 0 < int(p) <= 24 * 14 for p in parts):
        raise PortalError(
            "Reminder hours are whole hours before the due time, separated by commas (e.g. 48,24), each "
            "from 1 to 336 (two weeks). Leave the field empty for no reminders.",
            fields={"reminder_hours": "Whole hours, e.g. 48,24."},
        )
    return ",".join(str(h) for h in sorted({int(p) for p in parts}, reverse=True))


def _check_course(course: Course) -> None:
    fields: dict[str, str] = {}
    course.code, course.title = (course.code or "").strip(), (course.title or "").strip()
    if not course.code:
        fields["code"] = "Give the course a short code, e.g. CS 4644 / CS 7643-A."
    elif (
        Course.objects.filter(term_id=course.term_id, code__iexact=course.code).exclude(pk=course.pk).exists()
    ):
        fields["code"] = f"{course.term} has a course {course.code} already; choose another code."
    if not course.title:
        fields["title"] = "Give the course a title, e.g. Deep Learning."
    try:
        course.full_clean(
            exclude=["term", "code", "title"], validate_unique=False, validate_constraints=False
        )
    except DjangoValidationError as exc:
        fields.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    percents = ("penalty_percent_per_day", "penalty_floor_percent", "readiness_threshold_percent")
    for name in percents:
        value = getattr(course, name)
        if name not in fields and not Decimal(0) <= value <= Decimal(100):
            fields[name] = f"A percentage from 0 to 100 (not {value})."
    if course.pk and "bonus_cap_percent" not in fields:
        above = (
            Assignment.objects.filter(course=course, is_bonus=True, weight__gt=course.bonus_cap_percent)
            .order_by("code")
            .values_list("code", flat=True)
        )
        if above:
            fields["bonus_cap_percent"] = (
                f"Bonus work weighs more than {course.bonus_cap_percent.normalize():f}% in "
                f"{', '.join(above)}; lower those weights first, or keep a higher cap."
            )
    _raise_first(fields)


def _term(term_id: int) -> Term:
    term = Term.objects.filter(pk=term_id).first()
    if term is None:
        raise PortalError(
            "No such term: pick one of the terms listed (superusers add terms).",
            code="not_found",
            fields={"term": "Unknown term."},
        )
    return term


@transaction.atomic
def course_create(
    *,
    acting_user,
    term_id: int,
    code: str,
    title: str,
    instructor: str = "",
    instructor_first_name: str = "",
    instructor_last_name: str = "",
    instructor_email: str = "",
    **values,
) -> Course:
    """A new course (superusers) with its first instructor: `instructor` names an account (a new one is
    made when a name and an e-mail are given; an existing account is never changed); blank: the superuser
    creating it."""
    access.access_course_creation(acting_user, "create courses")
    unknown = set(values) - set(COURSE_FIELDS)
    if unknown:
        raise PortalError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if "reminder_hours" in values:
        values["reminder_hours"] = _reminder_hours(values["reminder_hours"])
    course = Course(term=_term(term_id), code=code, title=title, **values)
    _check_course(course)
    if instructor.strip():
        person, created = staff_account(
            username=instructor,
            first_name=instructor_first_name,
            last_name=instructor_last_name,
            email=instructor_email,
            field="instructor",
        )
    else:
        person, created = acting_user, False
    course.save()
    StaffRole.objects.create(user=person, course=course, role=StaffRole.Role.INSTRUCTOR)
    audit_record(
        actor=acting_user,
        course=course,
        action="course.create",
        target=course.code,
        term=course.term.name,
        time_zone=course.time_zone,
    )
    audit_record(
        actor=acting_user,
        course=course,
        action="staff.add",
        target=person.username,
        role=StaffRole.Role.INSTRUCTOR,
        sections=[],
        account_created=created,
    )
    return course


@transaction.atomic
def course_update(*, acting_user, course_id: int, term_id: int | None = None, **changes) -> Course:
    """Change a course's settings (its instructors, superusers). A new time zone or late policy reaches
    every student's stored deadline: they are recomputed in a task after commit (until then, reads compute
    each window from the rules, so nobody sees a stale time)."""
    access.access_course_for_setup(acting_user, course_id)
    course = Course.objects.select_for_update().select_related("term").get(pk=course_id)
    unknown = set(changes) - set(COURSE_FIELDS)
    if unknown:
        raise PortalError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if "reminder_hours" in changes:
        changes["reminder_hours"] = _reminder_hours(changes["reminder_hours"])
    before = {field: getattr(course, field) for field in COURSE_FIELDS}
    before_term = course.term
    if term_id is not None:
        course.term = _term(term_id)
    for field, value in changes.items():
        setattr(course, field, value)
    _check_course(course)
    changed = {field for field in COURSE_FIELDS if before[field] != getattr(course, field)}
    term_changed = course.term_id != before_term.id
    if not changed and not term_changed:
        return course
    course.save(update_fields=[*changed, *(["term"] if term_changed else [])])
    described = {
        f: {"old": _jsonable(before[f]), "new": _jsonable(getattr(course, f))} for f in sorted(changed)
    }
    if term_changed:
        described["term"] = {"old": before_term.name, "new": course.term.name}
    audit_record(
        actor=acting_user, course=course, action="course.update", target=course.code, changes=described
    )
    if changed & DEADLINE_FIELDS:
        enqueue_on_commit("courses.tasks.recompute_course_deadlines", course_id=course.id)
    return course


def _jsonable(value):
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    return value
