"""Read-only windows on the outbox and the heartbeats: an operator looks, the relay and processes write."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models

from portal.models import MailPreference, OutboxMessage, ProcessHeartbeat, SentMail
from portal.signin import password_sign_in_allowed, password_sign_in_off_message


class ReadOnlyAdmin(admin.ModelAdmin):
    # A link without a scheme reads as https (Django 6's default; 5.2 warns that it assumes http).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

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


@admin.register(SentMail)
class SentMailAdmin(ReadOnlyAdmin):
    """Every e-mail by its key (portal.mail): `uncertain` ones are for an operator to check with the relay's
    log (by Message-ID); only delivery writes these rows."""

    list_display = ("key", "recipient", "subject", "state", "created_at", "sent_at", "attempts")
    list_filter = ("state",)
    search_fields = ("key", "recipient", "message_id")


@admin.register(MailPreference)
class MailPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "reminders", "changed_at")


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in obeys PORTAL_PASSWORD_SIGN_IN like the portal's (portal.signin)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not password_sign_in_allowed(user):
            raise ValidationError(password_sign_in_off_message(), code="password_sign_in_off")


admin.site.login_form = AdminLoginForm
