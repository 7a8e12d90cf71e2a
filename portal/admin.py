"""Read-only windows on the outbox and the heartbeats: an operator looks, the relay and processes write."""

from django.contrib import admin

from portal.models import OutboxMessage, ProcessHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "task_name", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("task_name", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("task_name",)


@admin.register(ProcessHeartbeat)
class ProcessHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("kind", "host", "beat_at")
