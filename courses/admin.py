"""Django admin for course setup. Saves that move deadlines go through the same recompute task."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone

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
from courses.tasks import recompute_course_deadlines, recompute_deadlines
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


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "section", "role")
    list_filter = ("course", "role")


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ("user", "section", "status", "grading_basis", "joined_at")
    list_filter = ("section__course", "section", "status", "grading_basis")
    search_fields = ("user__username", "user__last_name")

    def save_model(self, request, obj, form, change):
        if not obj.joined_at:
            obj.joined_at = timezone.now()
        super().save_model(request, obj, form, change)
        enqueue_on_commit(
            recompute_course_deadlines, course_id=obj.section.course_id, student_ids=[obj.user_id]
        )


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "course", "category", "weight", "due_at", "grace_allowed")
    list_filter = ("course", "category")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        enqueue_on_commit(recompute_deadlines, assignment_id=obj.id)


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ("student", "assignment", "due_at", "dean_reference", "granted_by", "granted_at")
    readonly_fields = ("granted_by", "granted_at")

    def save_model(self, request, obj, form, change):
        obj.granted_by = request.user
        obj.granted_at = timezone.now()
        super().save_model(request, obj, form, change)
        enqueue_on_commit(recompute_deadlines, assignment_id=obj.assignment_id, student_ids=[obj.student_id])


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
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
