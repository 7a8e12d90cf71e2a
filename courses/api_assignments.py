"""REST endpoints for assignments, submissions and the staff's submission overview."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access, selectors
from courses.api_extensions import ExtensionOut
from courses.api_submissions import SubmissionStaffOut, submission_file_url
from courses.filters import SubmissionFilter
from courses.models import Assignment, Submission
from courses.services import assignments, submissions
from portal.api import ERROR, InCourseZone, InstantField, InstantModelSerializer, plausible_time, validated
from portal.parsers import JSONParser
from portal.received import received_at

# ---- assignments -------------------------------------------------------------------------------------


class AssignmentOut(InCourseZone, InstantModelSerializer):
    class Meta:
        model = Assignment
        fields = ["id", "course", *assignments.EDITABLE_FIELDS]


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
        required=False,
        default=False,
        help_text="For form posts: true declares you worked alone (refused together with collaborators).",
    )
    honor_statement_accepted = serializers.BooleanField()


class SubmissionOut(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    submitted_at = InstantField()
    timing = serializers.CharField()
    status = serializers.CharField()
    collaborators = serializers.ListField(child=serializers.CharField())
    original_name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the file as received, hex: keep it as your receipt.")
    file_url = serializers.CharField()


class SubmissionCreateView(generics.ListAPIView):
    """GET: staff list every student's latest submission (the students they may see; a student who has not
    submitted is not listed: the submission overview says who is missing). POST: a student submits."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]
    serializer_class = SubmissionStaffOut
    filterset_class = SubmissionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to ask about
            return Submission.objects.none()
        assignment = access.access_assignment_as_staff(self.request.user, self.kwargs["assignment_id"])
        return selectors.latest_submissions_for_staff(assignment, user=self.request.user)

    # 400: a filter value out of range; 404: not staff of the course, or a page past the last one.
    @extend_schema(responses={200: SubmissionStaffOut, 400: ERROR, 404: ERROR}, tags=["submissions"])
    def get(self, request, *args, **kwargs):
        """Staff: each student's latest submission with its status (on time, in grace, late), collaborators,
        size, SHA-256 and file link. Filters: `section` (id), `status`."""
        return super().get(request, *args, **kwargs)

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
        submission, new_status = submissions.submission_create(
            acting_user=request.user,
            assignment_id=assignment_id,
            file=data["file"],
            collaborators=collaborators,
            worked_alone=data.get("collaborators_none", False),
            honor_statement_accepted=data["honor_statement_accepted"],
            now=received_at(request),  # when the upload began, not when a worker got to it
        )
        out = {
            "id": submission.id,
            "assignment_id": submission.assignment_id,
            "submitted_at": submission.submitted_at,
            "timing": submission.timing,
            "status": new_status,
            "collaborators": submission.collaborator_usernames,  # set by submission_create: no query
            "original_name": submission.original_name,
            "size": submission.size,
            "sha256": submission.sha256,
            "file_url": submission_file_url(submission.id),
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


# ---- staff overview -----------------------------------------------------------------------------------


class OverviewStudent(serializers.Serializer):
    username = serializers.CharField(source="student.username")
    name = serializers.CharField(source="student.display_name")
    due_at = InstantField()
    closes_at = InstantField()
    submitted_at = InstantField(source="last_submitted_at", allow_null=True)
    extension_due_at = InstantField(allow_null=True)


class OverviewExtension(ExtensionOut):
    """Who has more time, for all of the course's staff: the Dean of Students' reference (a student's
    circumstances) stays with the instructors (GET /api/v1/extensions/)."""

    class Meta(ExtensionOut.Meta):
        fields = ["id", "student", "assignment", "due_at", "granted_by", "granted_at"]


class OverviewOut(serializers.Serializer):
    on_time = OverviewStudent(many=True)
    in_grace = OverviewStudent(many=True)
    not_yet = OverviewStudent(many=True)
    missing = OverviewStudent(many=True)
    extensions = OverviewExtension(many=True)


class SubmissionOverviewView(APIView):
    @extend_schema(responses={200: OverviewOut, 404: ERROR}, tags=["submissions"])
    def get(self, request, assignment_id: int):
        """Staff: who submitted on time, in grace, not yet, who missed it and who has an extension."""
        assignment = access.access_assignment_as_staff(request.user, assignment_id)
        return Response(OverviewOut(selectors.submission_overview(assignment, user=request.user)).data)
