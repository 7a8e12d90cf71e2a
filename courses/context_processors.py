from django.conf import settings
from django.utils.functional import SimpleLazyObject

from courses.models import Enrolment, StaffRole


def _roles(request) -> set[str]:
    user = request.user
    if not user.is_authenticated:
        return set()
    roles = set(StaffRole.objects.filter(user=user).values_list("role", flat=True).distinct())
    if Enrolment.objects.filter(user=user, status__in=Enrolment.ACTIVE).exists():
        roles.add("student")
    return roles


def portal(request):
    """Navigation needs the user's roles; computed only when a template asks."""
    return {"PORTAL_TIME_ZONE": settings.TIME_ZONE, "nav_roles": SimpleLazyObject(lambda: _roles(request))}
