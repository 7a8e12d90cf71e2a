"""A course's staff: instructors (the whole course) and TAs (the whole course, or some sections).

Added by username. A person without an account gets one, with no usable password, only when the
instructor gives their name and e-mail (as the roster import does); an existing account keeps its own
name, e-mail, password and SIS id. A student active in the course cannot be its staff, and the last
instructor cannot be removed.
"""

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from courses import access
from courses.models import Enrolment, StaffRole, User
from courses.services.audit import audit_record
from portal.errors import PortalError

Role = StaffRole.Role


def _length_problems(**values: str) -> dict[str, str]:
    problems = {}
    for name, value in values.items():
        limit = User._meta.get_field(name).max_length
        if len(value) > limit:
            problems[name] = f"{len(value)} characters; at most {limit} fit, so shorten it."
    return problems


def staff_account(
    *, username: str, first_name: str = "", last_name: str = "", email: str = "", field: str = "username"
) -> tuple[User, bool]:
    """The account to add as staff, and whether it was made now. `field` names the input in messages."""
    username = (username or "").strip()
    first_name, last_name, email = (
        (first_name or "").strip(),
        (last_name or "").strip(),
        (email or "").strip(),
    )
    if not username:
        raise PortalError("Give the person's username.", fields={field: "Required."})
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False  # never changes an existing account's identity
    fields: dict[str, str] = {}
    try:
        User.username_validator(username)
    except DjangoValidationError:
        fields[field] = "Letters, digits and @ . + - _ only."
    if len(username) > User._meta.get_field("username").max_length:
        fields[field] = "At most 150 characters."
    if not (first_name or last_name) or not email:
        raise PortalError(
            f"No account is named {username}. Check the spelling, or give their first and last name and "
            "e-mail to create the account (they set a password with “Forgot your password?” on the "
            "sign-in page).",
            code="no_such_account",
            fields={field: f"No account {username}.", "email": "Needed to create the account."},
        )
    try:
        validate_email(email)
    except DjangoValidationError:
        fields["email"] = f"{email} is not an e-mail address."
    fields.update(_length_problems(first_name=first_name, last_name=last_name, email=email))
    if fields:
        name, message = next(iter(fields.items()))
        raise PortalError(f"{name}: {message}", fields=fields)
    user = User.objects.create(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        password=make_password(None),  # no usable password: they set one through the reset page
        date_joined=timezone.now(),
    )
    return user, True


def _refuse_students(user: User, course) -> None:
    enrolment = (
        Enrolment.objects.filter(user=user, section__course=course, status__in=Enrolment.ACTIVE)
        .select_related("section")
        .first()
    )
    if enrolment is not None:
        raise PortalError(
            f"{user.username} is a student of this course ({enrolment.get_status_display().lower()} in "
            f"{enrolment.section.code}) and cannot also be its staff: a TA would see their own classmates' "
            "work. If they should be staff, drop their enrolment first.",
            code="is_student",
            fields={"username": f"{enrolment.get_status_display()} in {enrolment.section.code}."},
        )


@transaction.atomic
def staff_add(
    *,
    acting_user,
    course_id: int,
    username: str,
    role: str,
    section_ids: list[int] | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> tuple[list[StaffRole], bool]:
    """Make someone an instructor or a TA of the course (or, for a TA, of some of its sections). Returns
    the new roles and whether the account was created."""
    course = access.access_course_for_setup(acting_user, course_id)
    if role not in Role.values:
        raise PortalError(
            f"Choose the role: {' or '.join(Role.values)}.", fields={"role": "instructor or ta."}
        )
    wanted = sorted(set(section_ids or []))
    if role == Role.INSTRUCTOR and wanted:
        raise PortalError(
            "An instructor teaches the whole course: leave the sections empty, or add the person as a TA "
            "of those sections.",
            fields={"sections": "Instructors are not limited to sections."},
        )
    sections = list(course.sections.filter(pk__in=wanted).order_by("code"))
    if len(sections) != len(wanted):
        raise PortalError(
            "Pick sections of this course.", fields={"sections": "Not a section of this course."}
        )
    person, created = staff_account(
        username=username, first_name=first_name, last_name=last_name, email=email
    )
    _refuse_students(person, course)
    held = list(
        StaffRole.objects.select_for_update(of=("self",))
        .filter(user=person, course=course)
        .select_related("section")
    )
    _refuse_overlap(person, role, sections, held)
    new_roles = [
        StaffRole.objects.create(user=person, course=course, section=section, role=role)
        for section in (sections or [None])
    ]
    audit_record(
        actor=acting_user,
        course=course,
        action="staff.add",
        target=person.username,
        role=role,
        sections=[s.code for s in sections],
        account_created=created,
    )
    return new_roles, created


def _refuse_overlap(person: User, role: str, sections: list, held: list[StaffRole]) -> None:
    """A role the person already has, or one a role they have already covers, is refused with the way on."""
    name = person.username
    if any(r.role == Role.INSTRUCTOR for r in held):
        message = (
            f"{name} is already an instructor of this course."
            if role == Role.INSTRUCTOR
            else f"{name} is an instructor of this course and reaches every section already."
        )
        raise PortalError(message, code="already_staff", fields={"username": "Already an instructor."})
    if role == Role.INSTRUCTOR:
        return  # a TA becomes an instructor; their TA roles stay listed and can be removed
    ta_sections = {r.section_id: r.section for r in held if r.role == Role.TA}
    if None in ta_sections:
        raise PortalError(
            f"{name} is already a TA of the whole course. To limit them to some sections, remove that role "
            "first, then add them to the sections.",
            code="already_staff",
            fields={"username": "Already a TA of the whole course."},
        )
    if not sections and ta_sections:
        codes = ", ".join(sorted(s.code for s in ta_sections.values()))
        raise PortalError(
            f"{name} is a TA of {codes}. To make them a TA of the whole course, remove those roles first.",
            code="already_staff",
            fields={"sections": f"Already a TA of {codes}."},
        )
    again = sorted(s.code for s in sections if s.id in ta_sections)
    if again:
        raise PortalError(
            f"{name} is already a TA of {', '.join(again)}; pick only the sections they do not have yet.",
            code="already_staff",
            fields={"sections": f"Already a TA of {', '.join(again)}."},
        )


@transaction.atomic
def staff_remove(*, acting_user, staff_role_id: int) -> StaffRole:
    """Remove one staff role (the person keeps their account and any other role). The course keeps at
    least one instructor."""
    role = access.access_staff_role_for_setup(acting_user, staff_role_id)
    if role.role == Role.INSTRUCTOR:
        # Locking every instructor role serialises two removals at once: the second sees the first's.
        instructors = StaffRole.objects.select_for_update().filter(
            course_id=role.course_id, role=Role.INSTRUCTOR
        )
        if not {user_id for pk, user_id in instructors.values_list("pk", "user_id") if pk != role.pk}:
            raise PortalError(
                f"{role.user.username} is the course's only instructor. Add another instructor first, then "
                "remove this role.",
                code="last_instructor",
            )
    audit_record(
        actor=acting_user,
        course=role.course,
        action="staff.remove",
        target=role.user.username,
        role=role.role,
        section=role.section.code if role.section else "",
    )
    role.delete()
    return role
