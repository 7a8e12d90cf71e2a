"""REST endpoints for extensions granted on the Dean of Students' confirmation."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access
from courses.filters import ExtensionFilter
from courses.models import Extension
from courses.services import extensions
from portal.api import ERROR, InCourseZone, InstantField, InstantModelSerializer, plausible_time, validated
from portal.errors import PortalError

# ---- extensions -------------------------------------------------------------------


class ExtensionIn(serializers.Serializer):
    student = serializers.CharField(max_length=150, help_text="The student's username.")
    assignment = serializers.IntegerField()
    due_at = InstantField(validators=[plausible_time])
    dean_reference = serializers.CharField(max_length=120)


class ExtensionOut(InCourseZone, InstantModelSerializer):
    student = serializers.CharField(source="student.username")
    granted_by = serializers.CharField(source="granted_by.username")

    def course_of(self, instance):
        return instance.assignment.course

    class Meta:
        model = Extension
        fields = ["id", "student", "assignment", "due_at", "dean_reference", "granted_by", "granted_at"]


class ExtensionListView(generics.ListAPIView):
    """Instructors: the extensions of their courses. Students: their own. Filters `assignment` (id) and
    `student` (username); paginated like the other lists."""

    serializer_class = ExtensionOut
    filterset_class = ExtensionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to ask about
            return Extension.objects.none()
        user = self.request.user
        qs = Extension.objects.filter(
            assignment__course__in=access.staff_courses(user, role="instructor")
        ) | Extension.objects.filter(student=user)
        return qs.select_related("student", "granted_by", "assignment__course").order_by(
            "assignment_id", "student__username", "id"
        )

    # 400: a filter value out of range; 404: a page past the last one.
    @extend_schema(responses={200: ExtensionOut, 400: ERROR, 404: ERROR}, tags=["extensions"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ExtensionIn,
        responses={201: ExtensionOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["extensions"],
    )
    def post(self, request):
        """Grant an extension on the Dean of Students' confirmation (instructors). No medical details.
        A naive `due_at` is read in the course's time zone."""
        data = validated(
            ExtensionIn,
            request.data,
            zone=_course_zone_of_assignment(request.user, request.data.get("assignment")),
        )
        extension = extensions.extension_grant(
            acting_user=request.user,
            student_username=data["student"],
            assignment_id=data["assignment"],
            due_at=data["due_at"],
            dean_reference=data["dean_reference"],
        )
        return Response(ExtensionOut(extension).data, status=status.HTTP_201_CREATED)


def _course_zone_of_assignment(user, assignment_id):
    try:
        return access.access_assignment(user, int(assignment_id)).course.zone
    except (PortalError, TypeError, ValueError):
        return timezone.get_current_timezone()  # the serializer reports the bad id


class ExtensionDetailView(APIView):
    @extend_schema(responses={204: None, 403: ERROR, 404: ERROR}, tags=["extensions"])
    def delete(self, request, extension_id: int):
        """Revoke an extension (instructors): the student's window returns to the class's; audited."""
        extensions.extension_revoke(acting_user=request.user, extension_id=extension_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
