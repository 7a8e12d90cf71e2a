"""REST endpoints of the courses app for the signed-in user, courses and sections (assignments and
submissions: api_assignments; extensions: api_extensions; waitlist: api_waitlist; teams: api_teams)."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access, selectors
from courses.models import Course, Section, User
from courses.services import accounts, waitlist
from portal.api import ERROR, InCourseZone, InstantField, InstantModelSerializer, instant_text, validated

# ---- me ---------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="MyEnrolment")  # the waitlist API has its own EnrolmentOut
class EnrolmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    course_id = serializers.IntegerField()
    course = serializers.CharField()
    section_id = serializers.IntegerField()
    section = serializers.CharField()
    status = serializers.CharField()
    grading_basis = serializers.CharField()
    waitlist_position = serializers.IntegerField(allow_null=True)


class StaffRoleOut(serializers.Serializer):
    course_id = serializers.IntegerField()
    course = serializers.CharField()
    role = serializers.CharField()
    section = serializers.CharField(allow_null=True)


class MeOut(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    roles = serializers.ListField(child=serializers.CharField())
    staff_roles = StaffRoleOut(many=True)
    enrolments = EnrolmentOut(many=True)
    calendar_url = serializers.CharField()
    time_zone_display = serializers.ChoiceField(
        choices=User.TimeZoneDisplay.choices,
        help_text="Which zone the pages show times in: the course's (default) or the browser's.",
    )
    browser_time_zone = serializers.CharField(
        allow_blank=True, help_text="The IANA zone the browser last reported; blank until then."
    )


class MeIn(serializers.Serializer):
    time_zone_display = serializers.ChoiceField(choices=User.TimeZoneDisplay.choices)
    browser_time_zone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Your browser's IANA zone (e.g. America/Los_Angeles); needed the first time you choose browser.",
    )


class MeView(APIView):
    @extend_schema(responses={200: MeOut}, tags=["me"])
    def get(self, request):
        return Response(self._out(request))

    @extend_schema(request=MeIn, responses={200: MeOut, 400: ERROR}, tags=["me"])
    def patch(self, request):
        """Choose the zone your pages show times in: `course` (each course's own zone, the default) or
        `browser` (with `browser_time_zone`, the zone your browser reports). The other zone stays one hover
        or click away."""
        data = validated(MeIn, request.data)
        accounts.user_time_zone_display_set(
            acting_user=request.user,
            mode=data["time_zone_display"],
            browser_time_zone=data.get("browser_time_zone"),
        )
        return Response(self._out(request))

    @staticmethod
    def _out(request) -> dict:
        data = selectors.me_summary(request.user)
        data["calendar_url"] = request.build_absolute_uri(data["calendar_url"])
        return MeOut(data).data


class CalendarTokenResetView(APIView):
    @extend_schema(
        request=None,
        responses={200: inline_serializer("CalendarUrl", {"calendar_url": serializers.CharField()})},
        tags=["me"],
    )
    def post(self, request):
        """Revoke the current calendar feed address and get a new one."""
        accounts.calendar_token_reset(acting_user=request.user)
        url = selectors.me_summary(request.user)["calendar_url"]
        return Response({"calendar_url": request.build_absolute_uri(url)})


class AssignmentRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()


class DeadlineOut(InCourseZone, serializers.Serializer):
    assignment = AssignmentRef()
    course_id = serializers.IntegerField(source="course.id")
    due_at = InstantField()
    grace_ends_at = InstantField(allow_null=True)
    closes_at = InstantField()
    extension_due_at = InstantField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["open", "grace", "closed", "submitted", "submitted_in_grace", "submitted_late"]
    )
    submitted_at = InstantField(allow_null=True)
    late_days_used = serializers.IntegerField()

    def to_representation(self, row):
        """The declared fields, written out: a student's list is the API's hottest read, and the generic
        path spends most of its time walking fields (tests compare the two outputs)."""
        zone = row.course.zone
        assignment = row.assignment
        return {
            "assignment": {"id": assignment.id, "code": assignment.code, "title": assignment.title},
            "course_id": row.course.id,
            "due_at": instant_text(row.due_at, zone),
            "grace_ends_at": instant_text(row.grace_ends_at, zone),
            "closes_at": instant_text(row.closes_at, zone),
            "extension_due_at": instant_text(row.extension_due_at, zone),
            "status": row.status,
            "submitted_at": instant_text(row.submitted_at, zone),
            "late_days_used": row.late_days_used,
        }


class MyDeadlinesView(APIView):
    @extend_schema(responses={200: DeadlineOut(many=True)}, tags=["me"])
    def get(self, request):
        """The signed-in student's deadlines, one row per assignment of their section(s)."""
        rows = selectors.deadlines_for_student(request.user)
        return Response(DeadlineOut(rows, many=True).data)


# ---- courses and sections ----------------------------------------------------------------------------


class CourseOut(InstantModelSerializer):
    term = serializers.CharField(source="term.name")

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "term",
            "time_zone",
            "late_policy",
            "grace_days",
            "late_day_bank",
            "late_days_per_assignment",
            "regrade_window_days",
            "waitlist_allows_audit",
        ]


class CourseListView(APIView):
    @extend_schema(responses={200: CourseOut(many=True)}, tags=["courses"])
    def get(self, request):
        return Response(CourseOut(selectors.courses_for_user(request.user), many=True).data)


class CourseDetailView(APIView):
    @extend_schema(responses={200: CourseOut, 404: ERROR}, tags=["courses"])
    def get(self, request, course_id: int):
        course = access.access_course(request.user, course_id)
        return Response(CourseOut(course).data)


class SectionOut(InstantModelSerializer):
    enrolled_count = serializers.IntegerField(read_only=True)
    waitlisted_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Section
        fields = [
            "id",
            "course",
            "code",
            "level",
            "delivery",
            "meeting_times",
            "room",
            "capacity",
            "room_capacity",
            "stream_url",
            "stream_info",
            "recordings_url",
            "recordings_info",
            "notes",
            "enrolled_count",
            "waitlisted_count",
        ]


class SectionListView(APIView):
    @extend_schema(responses={200: SectionOut(many=True), 404: ERROR}, tags=["courses"])
    def get(self, request, course_id: int):
        course = access.access_course(request.user, course_id)
        return Response(SectionOut(selectors.sections_for_course(course), many=True).data)


class SectionIn(serializers.Serializer):
    """A section's fields (courses.services.waitlist.SECTION_FIELDS and its seats); a PATCH sends any."""

    code = serializers.CharField(max_length=32)
    level = serializers.ChoiceField(choices=Section.Level.choices)
    delivery = serializers.ChoiceField(choices=Section.Delivery.choices, required=False)
    meeting_times = serializers.CharField(max_length=200, allow_blank=True, required=False)
    room = serializers.CharField(max_length=200, allow_blank=True, required=False)
    capacity = serializers.IntegerField(min_value=0, max_value=5000, required=False)
    room_capacity = serializers.IntegerField(min_value=0, max_value=5000, required=False)
    stream_url = serializers.URLField(max_length=200, allow_blank=True, required=False)
    stream_info = serializers.CharField(max_length=200, allow_blank=True, required=False)
    recordings_url = serializers.URLField(max_length=200, allow_blank=True, required=False)
    recordings_info = serializers.CharField(max_length=200, allow_blank=True, required=False)
    notes = serializers.CharField(allow_blank=True, required=False)


class SectionDetailView(APIView):
    @extend_schema(responses={200: SectionOut, 404: ERROR}, tags=["courses"])
    def get(self, request, section_id: int):
        section = access.access_section(request.user, section_id)
        section = selectors.sections_for_course(section.course).get(pk=section.pk)
        return Response(SectionOut(section).data)

    @extend_schema(
        request=SectionIn(partial=True),
        responses={200: SectionOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["courses", "setup"],
    )
    def patch(self, request, section_id: int):
        """Change a section (instructors): capacity (up to the room's size; a raise promotes from the
        waitlist in a task), the room's size, code, level, delivery, room, meeting times, stream and
        recordings links, notes."""
        data = validated(SectionIn, request.data, partial=True)
        section = waitlist.section_update(acting_user=request.user, section_id=section_id, **data)
        return Response(SectionOut(selectors.sections_for_course(section.course).get(pk=section.pk)).data)
