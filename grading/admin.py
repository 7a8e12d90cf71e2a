"""Django admin for grading: read-only. Questions, scores, releases and regrade requests change through the
pages and the API, whose services keep the history, the audit trail and the rules."""

from django.contrib import admin

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


class GradeChangeInline(admin.TabularInline):
    model = GradeChange
    extra = 0
    can_delete = False
    readonly_fields = ("question", "old_score", "new_score", "changed_by", "changed_at", "reason", "source")

    def has_add_permission(self, request, obj=None):
        return False  # scores change through the grade grid or the API, which write history


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "student", "released_at", "regrade_deadline")
    list_filter = ("assignment__course", "assignment")
    search_fields = ("student__username",)
    readonly_fields = ("released_at", "regrade_deadline")
    inlines = [GradeChangeInline]


@admin.register(GradeChange)
class GradeChangeAdmin(admin.ModelAdmin):
    list_display = ("changed_at", "grade", "question", "old_score", "new_score", "changed_by", "source")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(GradeRelease)
class GradeReleaseAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "scheduled_for", "released_at", "requested_by")


@admin.register(RegradeRequest)
class RegradeRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "grade", "question", "student", "state", "created_at", "claimed_by", "resolved_by")
    list_filter = ("state", "grade__assignment")
    readonly_fields = ("old_score", "new_score")
