"""REST endpoint for finding a course's students (the extension form's student picker, other programs)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from courses import access, selectors
from courses.models import Enrolment
from portal.api import ERROR, validated


class CourseStudentOut(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.display_name")
    section = serializers.CharField(source="section.code")
    status = serializers.CharField(help_text="enrolled or waitlisted")


class CourseStudentQueryIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class CourseStudentListView(generics.ListAPIView):
    """Staff of the course: its students (enrolled or waitlisted; never staff) whose name, username or
    section contains every word of `q`, by name. A TA of some sections finds those sections' students."""

    serializer_class = CourseStudentOut
    filter_backends = []  # `q` is the one filter; the selector reads it

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to ask about
            return Enrolment.objects.none()
        course = access.access_course_as_staff(self.request.user, self.kwargs["course_id"])
        q = validated(CourseStudentQueryIn, self.request.query_params)["q"]
        return selectors.course_students_search(self.request.user, course, q)

    # 400: `q` longer than 100 characters or not text; 404: not a course the caller staffs, or a page past
    # the last one.
    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words of a name, username or section code.")
        ],
        responses={200: CourseStudentOut, 400: ERROR, 404: ERROR},
        tags=["courses"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
