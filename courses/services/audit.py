from courses.models import AuditEvent


def audit_record(*, actor, action: str, course=None, target: str = "", **data) -> AuditEvent:
    return AuditEvent.objects.create(actor=actor, course=course, action=action, target=target, data=data)
