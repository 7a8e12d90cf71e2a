"""Creating and changing assignments. A change to anything that moves a deadline recomputes every
student's effective deadline in a task, after commit."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from courses import access
from courses.models import Assignment, Course
from courses.services.audit import audit_record
from portal.errors import PortalError
from portal.tasking import enqueue_on_commit

WINDOW_FIELDS = {"due_at", "grace_allowed"}
# What an instructor sets on an assignment (the API shows these, in this order, after id and course).
EDITABLE_FIELDS = (
    "code",
    "title",
    "category",
    "points",
    "weight",
    "is_bonus",
    "release_at",
    "due_at",
    "grace_allowed",
    "collaboration_allowed",
    "counts_toward_grade",
    "accepts_submissions",
    "team_size_min",
    "team_size_max",
)


def _validate(course: Course, values: dict, *, instance: Assignment | None = None) -> None:
    fields: dict[str, str] = {}
    code = values.get("code")
    if code is not None:
        clash = Assignment.objects.filter(course=course, code=code)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            fields["code"] = f"{code} is already an assignment of this course; choose another code."
    release_at, due_at = values.get("release_at"), values.get("due_at")
    if release_at and due_at and due_at < release_at:
        fields["due_at"] = "The due time is before the release time; move one of them."
    low, high = values.get("team_size_min", 1), values.get("team_size_max", 1)
    if low > high:
        fields["team_size_max"] = f"The largest team ({high}) is smaller than the smallest ({low})."
    if values.get("points", Decimal("1")) <= 0:
        fields["points"] = "Points must be more than 0."
    weight = values.get("weight")
    if values.get("is_bonus") and weight is not None and weight > course.bonus_cap_percent:
        fields["weight"] = (
            f"Bonus work adds at most {course.bonus_cap_percent.normalize():f}% to a student's total (the course's bonus "
            f"cap); a weight of {weight.normalize():f}% is above it. Lower the weight, or raise the course's bonus cap first."
        )
    if not values.get("collaboration_allowed", True) and values.get("team_size_max", 1) > 1:
        fields["collaboration_allowed"] = "Team work is collaboration: allow it, or set the team size to 1."
    if fields:
        raise PortalError(next(iter(fields.values())), fields=fields)


@transaction.atomic
def assignment_create(*, acting_user, course_id: int, **values) -> Assignment:
    course = access.access_course_as_instructor(acting_user, course_id)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise PortalError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    defaults = {"team_size_min": 1, "team_size_max": 1}
    if values.get("category") == Assignment.Category.PREPARATION:
        # PS0/HW0: no grace period and no collaboration (the course's rules), unless the instructor says so.
        defaults |= {"grace_allowed": False, "collaboration_allowed": False}
    values = {**defaults, **values}
    _validate(course, values)
    assignment = Assignment.objects.create(course=course, **values)
    audit_record(actor=acting_user, course=course, action="assignment.create", target=assignment.code)

    enqueue_on_commit("courses.tasks.recompute_deadlines", assignment_id=assignment.id)
    return assignment


@transaction.atomic
def assignment_update(*, acting_user, assignment_id: int, **changes) -> Assignment:
    assignment = access.access_assignment_as_instructor(acting_user, assignment_id)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise PortalError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    current = {field: getattr(assignment, field) for field in EDITABLE_FIELDS}
    _validate(assignment.course, {**current, **changes}, instance=assignment)
    changed = {field: value for field, value in changes.items() if current[field] != value}
    for field, value in changed.items():
        setattr(assignment, field, value)
    if changed:
        assignment.save(update_fields=list(changed))
        audit_record(
            actor=acting_user,
            course=assignment.course,
            action="assignment.update",
            target=assignment.code,
            changes={k: _jsonable(v) for k, v in changed.items()},
        )
    if WINDOW_FIELDS & set(changed):
        enqueue_on_commit("courses.tasks.recompute_deadlines", assignment_id=assignment.id)
    return assignment


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
