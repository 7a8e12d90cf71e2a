"""API-wide pieces: the error shape (and its schema), request validation, pagination and time fields."""

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousFileOperation,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.defaults import page_not_found
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import ISO_8601, exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import PortalError
from portal.uploads import too_large
from portal.zones import in_zone, wall_time_to_instant


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def not_found(request, exception):
    """Django's 404 handler: an address under /api/ that matches no route (e.g. a negative id) answers in the
    API's error shape, like every other API error; pages keep the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": "No such API address; the paths are listed at /api/docs/.",
                "code": "not_found",
                "fields": {},
            },
            status=404,
        )
    return page_not_found(request, exception)


def plausible_time(value) -> None:
    """Due, release and extension times fall in this century: a year like 0409 or 9999 is a typo, and
    times that far out cannot be shown in RFC 3339 (before 1883 New York ran on local mean time, -04:56:02)
    or moved by a grace period without overflowing."""
    if not 2000 <= value.year <= 2099:
        raise serializers.ValidationError(
            f"{value.year} is not a year of a course: give a time between 2000 and 2099.", code="out_of_range"
        )


def _flatten(errors, prefix: str = "") -> dict[str, str]:
    """Turn DRF's nested error structure into {"field.sub": "message"}."""
    flat: dict[str, str] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            flat[prefix or "non_field_errors"] = " ".join(str(item) for item in errors)
        else:
            for index, item in enumerate(errors):
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "non_field_errors"] = str(errors)
    return flat


def _first_code(detail) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return getattr(detail, "code", None) or "invalid"


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = too_large()
    elif isinstance(exc, SuspiciousFileOperation):
        exc = PortalError(
            "The file's name cannot be stored; rename it to something short such as answers.pdf.",
            code="bad_file_name",
            fields={"file": "Rename the file: a short name with a usual extension."},
        )
    elif isinstance(exc, SuspiciousOperation):  # Django answers these with an HTML 400; the API in its shape
        exc = PortalError(
            "The request was malformed and was refused; nothing was changed.", code="bad_request"
        )
    if isinstance(exc, PortalError):
        return Response(
            {"detail": exc.detail, "code": exc.code, "fields": exc.fields}, status=exc.status_code
        )
    if isinstance(exc, DjangoValidationError):
        fields = {k: " ".join(v) for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {}
        exc = exceptions.ValidationError(fields or {"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()))
        detail = first[1] if first[0] == "non_field_errors" else f"{first[0]}: {first[1]}"
        response.data = {"detail": detail, "code": _first_code(exc.detail), "fields": fields}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail), "code": code, "fields": {}}
    return response


class InstantField(serializers.DateTimeField):
    """A moment in time, as the API contract writes it: the stored instant with the true UTC offset of the
    current (the course's) zone. A naive input is read in that zone; a missing or repeated wall time is
    the later instant (portal.zones), never refused and never echoed with the wrong offset."""

    def to_representation(self, value):
        zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
        iso = getattr(self, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        if value and zone is not None and iso and not isinstance(value, str):
            return instant_text(value, zone)
        return super().to_representation(value)

    def enforce_timezone(self, value):
        zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
        if zone is None:
            return super().enforce_timezone(value)
        try:
            if timezone.is_naive(value):
                return in_zone(wall_time_to_instant(value, zone), zone)
            return in_zone(value, zone)
        except OverflowError:
            self.fail("overflow")


def instant_text(value, zone) -> str | None:
    """How the API writes a moment read in `zone`: RFC 3339 with the zone's true offset at that instant,
    "Z" for UTC. InstantField writes through it, and so do the hand-written lists."""
    if value is None:
        return None
    text = in_zone(value, zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class InstantModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose date-time fields are InstantFields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: InstantField,
    }


# The one error shape of every API error, for the OpenAPI schema: {"detail", "code", "fields"}.
ERROR = OpenApiResponse(
    inline_serializer(
        "Error",
        {
            "detail": serializers.CharField(),
            "code": serializers.CharField(),
            "fields": serializers.DictField(),
        },
    ),
    description='Error: {"detail", "code", "fields"}',
)


def validated(serializer_class, data, *, zone=None, **kwargs) -> dict:
    """Validate request data with a serializer; a bad value answers 400 in the error shape. With `zone`
    (a course's), naive times in the data are read in that zone."""
    serializer = serializer_class(data=data, **kwargs)
    if zone is None:
        serializer.is_valid(raise_exception=True)
    else:
        with timezone.override(zone):
            serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class InCourseZone:
    """A serializer mixin: the object's times carry the UTC offset of its course's zone (the API contract).
    Override `course_of` when the course is not `instance.course`."""

    def course_of(self, instance):
        return instance.course

    def to_representation(self, instance):
        with timezone.override(self.course_of(instance).zone):
            return super().to_representation(instance)
