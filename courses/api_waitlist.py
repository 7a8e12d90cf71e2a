"""REST endpoints for enrolment: the waitlist, capacity, drops, Gradescope access, sit-ins, roster import."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access, selectors
from courses.api_jobs import ImportJobOut, job_response
from courses.models import Enrolment
from courses.services import roster, waitlist
from portal.api import ERROR, InstantField
from portal.errors import ObjectNotFound
from portal.parsers import JSONParser


class EnrolmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.display_name")
    section_id = serializers.IntegerField()
    section = serializers.CharField(source="section.code")
    status = serializers.CharField()
    grading_basis = serializers.CharField()
    joined_at = InstantField()
    waitlist_position = serializers.SerializerMethodField()
    gradescope_requested_at = InstantField(allow_null=True)
    gradescope_granted_at = InstantField(allow_null=True)

    def get_waitlist_position(self, enrolment) -> int | None:
        position = self.context.get("positions", {}).get(enrolment.id)
        return position if position is not None else selectors.waitlist_position(enrolment)


class JoinIn(serializers.Serializer):
    grading_basis = serializers.ChoiceField(choices=Enrolment.GradingBasis.choices, default="credit")


class WaitlistView(APIView):
    @extend_schema(responses={200: EnrolmentOut(many=True), 404: ERROR}, tags=["waitlist"])
    def get(self, request, section_id: int):
        """Staff of the section: its waitlist in priority order."""
        try:
            section = access.access_section_as_staff(request.user, section_id)
        except ObjectNotFound as exc:
            raise ObjectNotFound(
                "The waitlist of a section is for its staff; see your position on /api/v1/me/."
            ) from exc
        rows = list(selectors.waitlist_queryset(section))
        positions = {e.id: i for i, e in enumerate(rows, start=1)}
        return Response(EnrolmentOut(rows, many=True, context={"positions": positions}).data)

    @extend_schema(request=JoinIn, responses={201: EnrolmentOut, 400: ERROR, 404: ERROR}, tags=["waitlist"])
    def post(self, request, section_id: int):
        """Join the section's waitlist; a free seat is given by a task, right after."""
        serializer = JoinIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrolment = waitlist.waitlist_join(
            acting_user=request.user,
            section_id=section_id,
            grading_basis=serializer.validated_data["grading_basis"],
        )
        enrolment.refresh_from_db()
        return Response(EnrolmentOut(enrolment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: EnrolmentOut, 400: ERROR, 404: ERROR}, tags=["waitlist"])
    def delete(self, request, section_id: int):
        """Leave the section's waitlist."""
        enrolment = waitlist.waitlist_leave(acting_user=request.user, section_id=section_id)
        return Response(EnrolmentOut(enrolment).data)


class DropView(APIView):
    @extend_schema(
        request=None, responses={200: EnrolmentOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["waitlist"]
    )
    def post(self, request, enrolment_id: int):
        """Drop a student (instructors); the freed seat goes to the next student on the waitlist."""
        enrolment = waitlist.enrolment_drop(acting_user=request.user, enrolment_id=enrolment_id)
        return Response(EnrolmentOut(enrolment).data)


class ReenrolView(APIView):
    @extend_schema(
        request=None, responses={200: EnrolmentOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["waitlist"]
    )
    def post(self, request, enrolment_id: int):
        """Re-enrol a dropped student in the section they were dropped from (instructors). Needs a free
        seat that the waitlist does not claim: otherwise 400 `section_full` (raise the capacity, or let the
        student join the waitlist)."""
        enrolment = waitlist.enrolment_reenrol(acting_user=request.user, enrolment_id=enrolment_id)
        return Response(EnrolmentOut(enrolment).data)


class GradescopeRequestView(APIView):
    @extend_schema(request=None, responses={200: EnrolmentOut, 400: ERROR, 404: ERROR}, tags=["waitlist"])
    def post(self, request, enrolment_id: int):
        """A waitlisted student asks for Gradescope access (to do PS0/HW0 now)."""
        return Response(
            EnrolmentOut(
                waitlist.gradescope_request(acting_user=request.user, enrolment_id=enrolment_id)
            ).data
        )


class GradescopeGrantView(APIView):
    @extend_schema(request=None, responses={200: EnrolmentOut, 400: ERROR, 404: ERROR}, tags=["waitlist"])
    def post(self, request, enrolment_id: int):
        """Staff record that Gradescope access was granted."""
        return Response(
            EnrolmentOut(waitlist.gradescope_grant(acting_user=request.user, enrolment_id=enrolment_id)).data
        )


class SitInView(APIView):
    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "SitIn", {"section": serializers.CharField(), "created_at": InstantField()}
            ),
            400: ERROR,
            404: ERROR,
        },
        tags=["waitlist"],
    )
    def post(self, request, section_id: int):
        """Ask to sit in; recorded only while the room has space."""
        made = waitlist.sit_in_request(acting_user=request.user, section_id=section_id)
        return Response(
            {"section": made.section.code, "created_at": made.created_at}, status=status.HTTP_201_CREATED
        )


class RosterImportIn(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV: username, name, email, section, status, grading_basis[, sis_id]"
    )


class RosterImportView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": RosterImportIn},
        responses={202: ImportJobOut, 400: ERROR, 403: ERROR, 404: ERROR, 413: ERROR},
        tags=["waitlist", "imports"],
    )
    def post(self, request, course_id: int):
        """Import the roster (instructors): answers 202 with a job; poll its `status_url`. When done its
        `result` has rows, created, updated and `kept` (values in the file that differ from an existing
        account, kept as they were); all or nothing: a failed job names each bad row in `error.fields` by
        its line. A missing file, a wrong encoding or header and a wrong permission answer at once."""
        serializer = RosterImportIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = roster.roster_import_request(
            acting_user=request.user, course_id=course_id, data=serializer.validated_data["file"].read()
        )
        job.refresh_from_db()
        return job_response(job, status=status.HTTP_202_ACCEPTED)
