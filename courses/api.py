"""REST endpoints of the courses app: thin views over selectors and services."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access, selectors
from courses.models import Assignment, Course, Extension, Section
from courses.services import accounts, assignments, extensions, submissions, waitlist
from portal.api import ERROR, InCourseZone, InstantField, InstantModelSerializer, plausible_time, validated
from portal.errors import PortalError
from portal.parsers import JSONParser

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


class MeView(APIView):
    @extend_schema(responses={200: MeOut}, tags=["me"])
    def get(self, request):
        data = selectors.me_summary(request.user)
        data["calendar_url"] = request.build_absolute_uri(data["calendar_url"])
        return Response(MeOut(data).data)


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
            "recordings_url",
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
    capacity = serializers.IntegerField(min_value=0, max_value=5000, required=False)
    room_capacity = serializers.IntegerField(min_value=0, max_value=5000, required=False)


class SectionDetailView(APIView):
    @extend_schema(responses={200: SectionOut, 404: ERROR}, tags=["courses"])
    def get(self, request, section_id: int):
        section = access.access_section(request.user, section_id)
        section = selectors.sections_for_course(section.course).get(pk=section.pk)
        return Response(SectionOut(section).data)

    @extend_schema(
        request=SectionIn, responses={200: SectionOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["courses"]
    )
    def patch(self, request, section_id: int):
        """Set capacity (up to the room's size) or the room's size (instructors). A raise promotes from the
        waitlist in a task."""
        data = validated(SectionIn, request.data)
        section = waitlist.section_update(acting_user=request.user, section_id=section_id, **data)
        return Response(SectionOut(selectors.sections_for_course(section.course).get(pk=section.pk)).data)


# ---- assignments -------------------------------------------------------------------------------------


class AssignmentOut(InCourseZone, InstantModelSerializer):
    class Meta:
        model = Assignment
        fields = [
            "id",
            "course",
            "code",
            "title",
            "category",
            "points",
            "weight",
            "is_bonus",
            "release_at",
            "due_at",
            "grace_allowed",
            "collaboration_allowed",
            "counts_toward_grade",
            "accepts_submissions",
            "team_size_min",
            "team_size_max",
        ]


class AssignmentIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    title = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(
        choices=Assignment.Category.choices,
        error_messages={
            "invalid_choice": '"{input}" is not a category; use one of: '
            + ", ".join(Assignment.Category.values)
            + "."
        },
    )
    points = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, required=False)
    weight = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=0, max_value=100, required=False
    )
    is_bonus = serializers.BooleanField(required=False)
    release_at = InstantField(allow_null=True, required=False, validators=[plausible_time])
    due_at = InstantField(allow_null=True, required=False, validators=[plausible_time])
    grace_allowed = serializers.BooleanField(required=False)
    collaboration_allowed = serializers.BooleanField(required=False)
    counts_toward_grade = serializers.BooleanField(required=False)
    accepts_submissions = serializers.BooleanField(required=False)
    team_size_min = serializers.IntegerField(min_value=1, max_value=20, required=False)
    team_size_max = serializers.IntegerField(min_value=1, max_value=20, required=False)


class AssignmentListView(APIView):
    @extend_schema(responses={200: AssignmentOut(many=True), 404: ERROR}, tags=["assignments"])
    def get(self, request, course_id: int):
        course = access.access_course(request.user, course_id)
        return Response(AssignmentOut(selectors.assignments_for_course(course.id), many=True).data)

    @extend_schema(
        request=AssignmentIn,
        responses={201: AssignmentOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["assignments"],
    )
    def post(self, request, course_id: int):
        """Create an assignment (instructors). Naive times are read in the course's time zone."""
        course = access.access_course_as_instructor(request.user, course_id)
        data = validated(AssignmentIn, request.data, zone=course.zone)
        assignment = assignments.assignment_create(acting_user=request.user, course_id=course.id, **data)
        return Response(AssignmentOut(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentDetailView(APIView):
    @extend_schema(responses={200: AssignmentOut, 404: ERROR}, tags=["assignments"])
    def get(self, request, assignment_id: int):
        assignment = access.access_assignment(request.user, assignment_id)
        return Response(AssignmentOut(assignment).data)

    @extend_schema(
        request=AssignmentIn(partial=True),
        responses={200: AssignmentOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["assignments"],
    )
    def patch(self, request, assignment_id: int):
        """Change an assignment (instructors). A new due time reaches every student's deadline."""
        assignment = access.access_assignment_as_instructor(request.user, assignment_id)
        data = validated(AssignmentIn, request.data, zone=assignment.course.zone, partial=True)
        assignment = assignments.assignment_update(
            acting_user=request.user, assignment_id=assignment.id, **data
        )
        return Response(AssignmentOut(assignment).data)


# ---- submissions -------------------------------------------------------------------------------------


class SubmissionIn(serializers.Serializer):
    file = serializers.FileField()
    collaborators = serializers.ListField(
        child=serializers.CharField(max_length=150, allow_blank=True),  # a form's empty text field
        allow_empty=True,
        required=False,
        help_text="Usernames you worked with; an empty list declares you worked alone. Required.",
    )
    collaborators_none = serializers.BooleanField(
        required=False, default=False, help_text="For form posts: true declares you worked alone."
    )
    honor_statement_accepted = serializers.BooleanField()


class SubmissionOut(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    submitted_at = InstantField()
    timing = serializers.CharField()
    status = serializers.CharField()
    collaborators = serializers.ListField(child=serializers.CharField())


class SubmissionCreateView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": SubmissionIn},
        responses={201: SubmissionOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["submissions"],
    )
    def post(self, request, assignment_id: int):
        """Submit a file with your collaborator declaration. After the window closes: `window_closed`."""
        collaborators = None
        if "collaborators" in request.data or request.data.get("collaborators_none") in (
            True,
            "true",
            "on",
            "1",
        ):
            collaborators = _collaborator_list(request)
            if not collaborators and hasattr(request.data, "getlist"):
                collaborators = None  # a form's blank text field declares nothing; "I worked alone" does
        data = validated(SubmissionIn, request.data)
        if data.get("collaborators_none"):
            collaborators = collaborators or []
        submission, new_status = submissions.submission_create(
            acting_user=request.user,
            assignment_id=assignment_id,
            file=data["file"],
            collaborators=collaborators,
            honor_statement_accepted=data["honor_statement_accepted"],
        )
        out = {
            "id": submission.id,
            "assignment_id": submission.assignment_id,
            "submitted_at": submission.submitted_at,
            "timing": submission.timing,
            "status": new_status,
            "collaborators": sorted(u.username for u in submission.collaborators.all()),
        }
        return Response(SubmissionOut(out).data, status=status.HTTP_201_CREATED)


def _collaborator_list(request) -> list[str]:
    """JSON sends a list; a form sends repeated fields or one comma-separated field."""
    if hasattr(request.data, "getlist"):
        values = request.data.getlist("collaborators")
    else:
        values = request.data.get("collaborators")
        if values is None:
            values = []
        elif isinstance(values, str):
            values = [values]
        elif not isinstance(values, list):
            raise serializers.ValidationError(
                {"collaborators": "Send a list of usernames, or an empty list if you worked alone."}
            )
    names: list[str] = []
    for value in values:
        names.extend(part.strip() for part in str(value).split(",") if part.strip())
    return names


# ---- extensions and staff overview -------------------------------------------------------------------


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


class ExtensionListView(APIView):
    @extend_schema(responses={200: ExtensionOut(many=True)}, tags=["extensions"])
    def get(self, request):
        """Instructors: the extensions of their courses. Students: their own."""
        qs = Extension.objects.filter(
            assignment__course__in=access.staff_courses(request.user, role="instructor")
        ) | Extension.objects.filter(student=request.user)
        qs = qs.select_related("student", "granted_by", "assignment__course").order_by(
            "assignment_id", "student__username"
        )
        return Response(ExtensionOut(qs, many=True).data)

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


class OverviewStudent(serializers.Serializer):
    username = serializers.CharField(source="student.username")
    name = serializers.CharField(source="student.display_name")
    due_at = InstantField()
    closes_at = InstantField()
    submitted_at = InstantField(source="last_submitted_at", allow_null=True)
    extension_due_at = InstantField(allow_null=True)


class OverviewOut(serializers.Serializer):
    on_time = OverviewStudent(many=True)
    in_grace = OverviewStudent(many=True)
    not_yet = OverviewStudent(many=True)
    missing = OverviewStudent(many=True)
    extensions = ExtensionOut(many=True)


class SubmissionOverviewView(APIView):
    @extend_schema(responses={200: OverviewOut, 404: ERROR}, tags=["submissions"])
    def get(self, request, assignment_id: int):
        """Staff: who submitted on time, in grace, not yet, who missed it and who has an extension."""
        assignment = access.access_assignment_as_staff(request.user, assignment_id)
        return Response(OverviewOut(selectors.submission_overview(assignment, user=request.user)).data)
