from django.conf import settings


def portal(request):
    return {"PORTAL_TIME_ZONE": settings.TIME_ZONE}
