"""Django admin for grading: read-only. Questions, scores, releases and regrade requests change through the
pages and the API, whose services keep the history, the audit trail and the rules. People are shown by
name, times in the course's zone with its offset (courses.admin's columns)."""

from django.contrib import admin

from courses.admin import local_time, person_column
from grading.models import Grade, GradeChange, GradeRelease, Question, QuestionRequirement, RegradeRequest
from portal.admin import ReadOnlyAdmin


class RequirementInline(admin.TabularInline):
    model = QuestionRequirement
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "label", "title", "points", "position")
    list_filter = ("assignment__course", "assignment")
    inlines = [RequirementInline]


def _grade_course(obj):
    return obj.grade.assignment.course


def _assignment_course(obj):
    return obj.assignment.course


class GradeChangeInline(admin.TabularInline):
    model = GradeChange
    extra = 0
    can_delete = False
    fields = ("question", "old_score", "new_score", "by", "changed", "reason", "source")
    readonly_fields = fields
    by = person_column("changed_by", "Changed by")
    changed = local_time("changed_at", "Changed", _grade_course)

    def has_add_permission(self, request, obj=None):
        return False  # scores change through the grade grid or the API, which write history


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "of_student", "released", "regrade_until")
    list_filter = ("assignment__course", "assignment")
    list_select_related = ("student", "assignment__course")
    search_fields = ("student__username", "student__first_name", "student__last_name")
    exclude = ("released_at", "regrade_deadline")
    readonly_fields = ("released", "regrade_until")
    inlines = [GradeChangeInline]
    of_student = person_column("student", "Student")
    released = local_time("released_at", "Released", _assignment_course)
    regrade_until = local_time("regrade_deadline", "Regrades until", _assignment_course)


@admin.register(GradeChange)
class GradeChangeAdmin(admin.ModelAdmin):
    list_display = ("changed", "grade", "question", "old_score", "new_score", "by", "source")
    list_select_related = ("grade__assignment__course", "grade__student", "question", "changed_by")
    exclude = ("changed_at",)
    readonly_fields = ("changed",)
    by = person_column("changed_by", "Changed by")
    changed = local_time("changed_at", "Changed", _grade_course)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(GradeRelease)
class GradeReleaseAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "scheduled", "released", "by")
    list_select_related = ("assignment__course", "requested_by")
    exclude = ("scheduled_for", "released_at")
    readonly_fields = ("scheduled", "released")
    by = person_column("requested_by", "Requested by")
    scheduled = local_time("scheduled_for", "Scheduled for", _assignment_course)
    released = local_time("released_at", "Released", _assignment_course)


@admin.register(RegradeRequest)
class RegradeRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "grade",
        "question",
        "from_student",
        "state",
        "created",
        "claimed_by_person",
        "resolved_by_person",
    )
    list_filter = ("state", "grade__assignment")
    list_select_related = (
        "grade__assignment__course",
        "grade__student",
        "question",
        "student",
        "claimed_by",
        "resolved_by",
    )
    exclude = ("created_at", "claimed_at", "resolved_at")
    readonly_fields = ("old_score", "new_score", "created", "claimed", "resolved")
    from_student = person_column("student", "Student")
    claimed_by_person = person_column("claimed_by", "Claimed by")
    resolved_by_person = person_column("resolved_by", "Resolved by")
    created = local_time("created_at", "Asked", _grade_course)
    claimed = local_time("claimed_at", "Claimed", _grade_course)
    resolved = local_time("resolved_at", "Resolved", _grade_course)
