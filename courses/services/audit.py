"""The audit trail: one row per action, written by the service that performs it."""

from courses.models import AuditEvent


def audit_record(*, actor, action: str, course=None, target: str = "", **data) -> AuditEvent:
    """Record `action` (one of AuditEvent.Action) by `actor`; an unknown action is a programming error."""
    if action not in AuditEvent.Action.values:
        raise ValueError(f"Unknown audit action {action!r}: add it to AuditEvent.Action.")
    return AuditEvent.objects.create(actor=actor, course=course, action=action, target=target, data=data)
