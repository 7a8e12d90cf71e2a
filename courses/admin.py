"""Django admin: course setup (terms, courses, sections, staff) until the portal's own setup pages exist,
and a read-only window on everything that has a service. Writes that have a service go through the pages
and the API only (the admin would skip the rules, the audit trail and the follow-up work); capacities
change through `PATCH /api/v1/sections/{id}/` (waitlist promotion, audit)."""

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
from courses.tasks import recompute_course_deadlines
from portal.admin import ReadOnlyAdmin
from portal.tasking import enqueue_on_commit


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Portal", {"fields": ("sis_id", "calendar_token")}))
    list_display = ("username", "first_name", "last_name", "email", "sis_id", "is_staff")


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on")


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    readonly_fields = ("capacity", "room_capacity")  # seats change through the section service


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "term", "time_zone", "late_policy")
    inlines = [SectionInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        enqueue_on_commit(recompute_course_deadlines, course_id=obj.id)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("code", "course", "level", "delivery", "capacity", "room_capacity")
    list_filter = ("course",)
    readonly_fields = ("capacity", "room_capacity")  # seats change through the section service


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "section", "role")
    list_filter = ("course", "role")


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "section", "status", "grading_basis", "joined_at")
    list_filter = ("section__course", "section", "status", "grading_basis")
    search_fields = ("user__username", "user__last_name")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "course", "category", "weight", "due_at", "grace_allowed")
    list_filter = ("course", "category")


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ("student", "assignment", "due_at", "dean_reference", "granted_by", "granted_at")
    readonly_fields = ("granted_by", "granted_at")


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "student", "submitted_at", "timing")
    list_filter = ("assignment__course", "assignment", "timing")


@admin.register(EffectiveDeadline)
class EffectiveDeadlineAdmin(admin.ModelAdmin):
    list_display = ("student", "assignment", "due_at", "closes_at", "outcome", "closed_at")
    list_filter = ("assignment", "outcome")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target", "course")
    list_filter = ("action", "course")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
