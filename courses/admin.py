"""Django admin: a window for looking things up, not a second write path. Every model that has a service
(terms, courses, sections, staff roles, enrolments, assignments, extensions, submissions) is read-only here:
they change through the portal's pages and the API (course setup: /courses/new/ and each course's setup
page), whose services keep the rules, the audit trail and the follow-up work (deadline recomputation,
waitlist promotion). People are shown by name with their username and role; times in the course's zone
with its UTC offset."""

from datetime import UTC

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from courses.models import (
    Assignment,
    AuditEvent,
    Course,
    EffectiveDeadline,
    Enrolment,
    Extension,
    Section,
    StaffRole,
    Submission,
    Term,
    User,
)
from courses.timefmt import format_local
from portal.admin import ReadOnlyAdmin


def person(user) -> str:
    """ "Ada Lovelace (ada)": a person by name, with the username that tells two namesakes apart."""
    if user is None:
        return "—"
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


def person_column(field: str, label: str):
    """A list or detail column showing the person in `field` by name."""

    @admin.display(description=label, ordering=f"{field}__last_name")
    def show(self, obj):
        return person(getattr(obj, field))

    return show


def local_time(field: str, label: str, course_of=lambda obj: obj.course):
    """A column showing the time in `field` in the course's zone, with its offset."""

    @admin.display(description=f"{label} (course's zone)", ordering=field)
    def show(self, obj):
        course = course_of(obj)
        return format_local(getattr(obj, field), course.zone) if course else "—"

    return show


class InlineReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffRoleInline(InlineReadOnly, admin.TabularInline):
    model = StaffRole
    fk_name = "user"
    fields = ("role", "course", "section")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "Staff roles (change them on the course's setup page)"


class EnrolmentInline(InlineReadOnly, admin.TabularInline):
    model = Enrolment
    fk_name = "user"
    fields = ("section", "status", "grading_basis")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "Enrolments"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts stay editable here (activation, superusers, passwords); their course roles are read-only."""

    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Portal", {"fields": ("sis_id", "canvas_user_id", "calendar_token")}),
    )
    list_display = ("username", "full_name", "email", "sis_id", "roles", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "sis_id")
    inlines = [StaffRoleInline, EnrolmentInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("staff_roles__course", "staff_roles__section", "enrolments__section")
        )

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, user):
        return user.get_full_name() or "—"

    @admin.display(description="Roles in courses")
    def roles(self, user):
        parts = [
            f"{r.get_role_display()} of {r.section.code if r.section else r.course.code}"
            for r in user.staff_roles.all()
        ]
        parts += [
            f"Student in {e.section.code} ({e.get_status_display().lower()})"
            for e in user.enrolments.all()
            if e.status != Enrolment.Status.DROPPED
        ]
        return "; ".join(parts) or "—"


@admin.register(Term)
class TermAdmin(ReadOnlyAdmin):
    list_display = ("name", "starts_on", "ends_on")


class SectionInline(InlineReadOnly, admin.TabularInline):
    model = Section
    fields = ("code", "level", "delivery", "capacity", "room_capacity")
    readonly_fields = fields
    extra = 0


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "term", "time_zone", "late_policy", "instructors")
    list_select_related = ("term",)
    inlines = [SectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("staff_roles__user")

    @admin.display(description="Instructors")
    def instructors(self, course):
        return ", ".join(
            person(r.user) for r in course.staff_roles.all() if r.role == StaffRole.Role.INSTRUCTOR
        )


@admin.register(Section)
class SectionAdmin(ReadOnlyAdmin):
    list_display = ("code", "course", "level", "delivery", "capacity", "room_capacity")
    list_filter = ("course",)
    list_select_related = ("course__term",)


@admin.register(StaffRole)
class StaffRoleAdmin(ReadOnlyAdmin):
    list_display = ("staff_member", "role", "course", "where")
    list_filter = ("course", "role")
    list_select_related = ("user", "course__term", "section")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    staff_member = person_column("user", "Person")

    @admin.display(description="Where")
    def where(self, role):
        return role.section.code if role.section else "the whole course"


def _section_course(obj):
    return obj.section.course


def _assignment_course(obj):
    return obj.assignment.course


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("student", "section", "status", "grading_basis", "joined")
    list_filter = ("section__course", "section", "status", "grading_basis")
    list_select_related = ("user", "section__course")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    exclude = ("joined_at", "gradescope_requested_at", "gradescope_granted_at")
    readonly_fields = ("joined", "gradescope_requested", "gradescope_granted")
    student = person_column("user", "Student")
    joined = local_time("joined_at", "Joined", _section_course)
    gradescope_requested = local_time("gradescope_requested_at", "Gradescope asked", _section_course)
    gradescope_granted = local_time("gradescope_granted_at", "Gradescope granted", _section_course)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "course", "category", "weight", "is_bonus", "due", "grace_allowed")
    list_filter = ("course", "category")
    list_select_related = ("course__term",)
    exclude = ("release_at", "due_at")
    readonly_fields = ("released", "due")
    released = local_time("release_at", "Released")
    due = local_time("due_at", "Due")


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ("for_student", "assignment", "due", "dean_reference", "granted_by_person", "granted")
    list_select_related = ("student", "assignment__course", "granted_by")
    search_fields = ("student__username", "student__first_name", "student__last_name", "dean_reference")
    exclude = ("due_at", "granted_at")
    readonly_fields = ("due", "granted")
    for_student = person_column("student", "Student")
    granted_by_person = person_column("granted_by", "Granted by")
    due = local_time("due_at", "New due time", _assignment_course)
    granted = local_time("granted_at", "Granted", _assignment_course)


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "by_student", "submitted", "timing")
    list_filter = ("assignment__course", "assignment", "timing")
    list_select_related = ("student", "assignment__course")
    search_fields = ("student__username", "student__first_name", "student__last_name")
    exclude = ("submitted_at",)
    readonly_fields = ("submitted",)
    by_student = person_column("student", "Student")
    submitted = local_time("submitted_at", "Submitted", _assignment_course)


@admin.register(EffectiveDeadline)
class EffectiveDeadlineAdmin(ReadOnlyAdmin):
    list_display = ("for_student", "assignment", "due", "closes", "outcome", "closed")
    list_filter = ("assignment", "outcome")
    list_select_related = ("student", "assignment__course")
    exclude = ("due_at", "grace_ends_at", "closes_at", "extension_due_at", "last_submitted_at", "closed_at")
    readonly_fields = ("due", "grace_ends", "closes", "extension_due", "last_submitted", "closed")
    for_student = person_column("student", "Student")
    due = local_time("due_at", "Due", _assignment_course)
    grace_ends = local_time("grace_ends_at", "Grace ends", _assignment_course)
    closes = local_time("closes_at", "Closes", _assignment_course)
    extension_due = local_time("extension_due_at", "Extension due", _assignment_course)
    last_submitted = local_time("last_submitted_at", "Last submitted", _assignment_course)
    closed = local_time("closed_at", "Closed", _assignment_course)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created", "by", "action", "target", "course")
    list_filter = ("action", "course")
    list_select_related = ("actor", "course")
    exclude = ("created_at",)
    readonly_fields = ("created",)
    by = person_column("actor", "Actor")

    @admin.display(description="When (the course's zone, else UTC)", ordering="created_at")
    def created(self, event):
        return format_local(event.created_at, event.course.zone if event.course else UTC)
