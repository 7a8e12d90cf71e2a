"""REST endpoints for submitted files: the staff's list of latest submissions (its serializer; the GET lives
on the assignment's submissions address, api_assignments), one file, and all of them as a zip."""

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

from courses import access, selectors
from courses.archives import submissions_zip
from courses.filters import SubmissionFilter
from courses.models import Submission
from portal.api import ERROR, InCourseZone, InstantField
from portal.downloads import file_download, harden, safe_name
from portal.errors import ObjectNotFound


def submission_file_url(submission_id: int | None) -> str | None:
    return reverse("api-submission-file", args=[submission_id]) if submission_id else None


class SubmissionRef(serializers.Serializer):
    """A link to a student's latest submission (in regrade requests), or null when there is none."""

    id = serializers.IntegerField()
    original_name = serializers.CharField()
    file_url = serializers.CharField()


class SubmissionStudentOut(serializers.Serializer):
    username = serializers.CharField(source="student.username")
    name = serializers.CharField(source="student.display_name")
    section = serializers.CharField(source="section_code", allow_null=True)


class SubmissionStaffOut(InCourseZone, serializers.Serializer):
    def course_of(self, submission):
        return submission.assignment.course

    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    student = SubmissionStudentOut(source="*")
    submitted_at = InstantField()
    status = serializers.ChoiceField(
        source="timing",
        choices=Submission.Timing.choices,
        help_text="on_time, in_grace (after the due time, inside the grace period) or late (late days or "
        "penalty), as classified when the work was submitted.",
    )
    collaborators = serializers.SerializerMethodField()
    original_name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the file, hex; empty if it could not be read.")
    file_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_collaborators(self, submission) -> list[str]:
        return sorted(u.username for u in submission.collaborators.all())

    def get_file_url(self, submission) -> str:
        return submission_file_url(submission.id)


class SubmissionFileView(APIView):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERROR}, tags=["submissions"]
    )
    def get(self, request, submission_id: int):
        """The submitted file, as an attachment under its original name: for the student who submitted it
        and the staff who may see that student; others 404. Never shown as a page (`nosniff`, sandboxed)."""
        submission = access.access_submission(request.user, submission_id)
        try:
            file = submission.file.storage.open(submission.file.name, "rb")
        except (OSError, ValueError):
            raise ObjectNotFound(
                "This submission's file is missing from storage. Ask the student to submit it again, and "
                "tell the portal's operator (the record and its SHA-256 are kept)."
            ) from None
        name = submission.original_name or submission.file.name.rsplit("/", 1)[-1]
        return file_download(file, filename=name)


class SubmissionZipView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("section", int, description="Only the students of this section (id)."),
            OpenApiParameter(
                "status", str, enum=Submission.Timing.values, description="Only submissions with this status."
            ),
        ],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 400: ERROR, 404: ERROR},
        tags=["submissions"],
    )
    def get(self, request, assignment_id: int):
        """Staff: every latest submission they may see (as the list), as one zip streamed while it is
        written: `<section>/<username>/<file>` and a `manifest.csv`. The same filters as the list."""
        assignment = access.access_assignment_as_staff(request.user, assignment_id)
        queryset = selectors.latest_submissions_for_staff(assignment, user=request.user)
        filterset = SubmissionFilter(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        submissions = list(filterset.qs)
        course = assignment.course
        response = StreamingHttpResponse(
            submissions_zip(submissions, zone=course.zone), content_type="application/zip"
        )
        name = safe_name(f"{course.code} {assignment.code} submissions.zip".replace("/", "-"))
        response["Content-Disposition"] = content_disposition_header(True, name)
        return harden(response)
