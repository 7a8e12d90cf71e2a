"""REST endpoints for grades, grade history, releases and regrade requests."""

from zoneinfo import ZoneInfo

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access as course_access
from courses.api import AssignmentRef
from courses.api_jobs import ImportJobOut, job_response
from courses.api_submissions import SubmissionRef, submission_file_url
from grading import access, selectors
from grading.filters import GradeFilter, RegradeRequestFilter
from grading.models import Grade, RegradeRequest
from grading.scores import DECIMAL_PLACES, MAX_DIGITS, ScoreError, score_parse
from grading.services import exports, grades, imports, regrades
from portal.api import ERROR, InCourseZone, InstantField, Pagination, instant_text, plausible_time, validated
from portal.errors import Conflict, ObjectNotFound
from portal.paging import CountedPagePaginator

# ---- grades ------------------------------------------------------------------------------------------


class ScoreOut(serializers.Serializer):
    question = serializers.IntegerField(source="question.id")
    label = serializers.CharField(source="question.label")
    points = serializers.DecimalField(max_digits=7, decimal_places=2, source="question.points")
    score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)


class GradeOut(InCourseZone, serializers.Serializer):
    def course_of(self, grade):
        return grade.assignment.course

    id = serializers.IntegerField()
    student = serializers.CharField(source="student.username")
    student_name = serializers.CharField(source="student.display_name")
    assignment = AssignmentRef()
    scores = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    points_possible = serializers.SerializerMethodField()
    released_at = InstantField(allow_null=True)
    regrade_deadline = InstantField(allow_null=True)

    @extend_schema_field(ScoreOut(many=True))
    def get_scores(self, grade) -> list[dict]:
        return ScoreOut(selectors.score_lines(grade), many=True).data

    def get_total(self, grade) -> str:
        return f"{selectors.grade_total(grade)[0]:.2f}"

    def get_points_possible(self, grade) -> str:
        return f"{selectors.grade_total(grade)[1]:.2f}"


class GradeListView(generics.ListAPIView):
    """Staff: grades of the students they may see. Students: their own released grades."""

    serializer_class = GradeOut
    filterset_class = GradeFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to ask about
            return Grade.objects.none()
        return selectors.grades_for_user(self.request.user)

    # 400: a filter value out of range; 404: a page past the last one.
    @extend_schema(responses={200: GradeOut, 400: ERROR, 404: ERROR}, tags=["grades"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ScoreField(serializers.DecimalField):
    """A score as people and files give it, read by the one rule the CSV imports use too
    (grading.scores.score_parse): finite, at most two decimal places, not negative."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, min_value=0, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        try:
            return score_parse(data)
        except ScoreError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None


class ScoresField(serializers.DictField):
    """{"<question id>": score, ...}"""

    def __init__(self, **kwargs):
        super().__init__(
            child=ScoreField(),
            allow_empty=False,
            help_text='{"<question id>": score, ...}',
            **kwargs,
        )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return {int(key): score for key, score in value.items()}
        except ValueError:
            raise serializers.ValidationError("Keys are question ids (numbers).") from None


class GradeIn(serializers.Serializer):
    scores = ScoresField()
    reason = serializers.CharField(max_length=2000, help_text="Why the score changes; kept in the history.")


class GradeCreateIn(serializers.Serializer):
    student = serializers.CharField(max_length=150, help_text="The student's username.")
    scores = ScoresField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class GradeDetailView(APIView):
    @extend_schema(responses={200: GradeOut, 404: ERROR}, tags=["grades"])
    def get(self, request, grade_id: int):
        grade = access.access_grade(request.user, grade_id)
        return Response(GradeOut(_reload(grade.id)).data)

    @extend_schema(request=GradeIn, responses={200: GradeOut, 400: ERROR, 404: ERROR}, tags=["grades"])
    def patch(self, request, grade_id: int):
        """Change scores (staff); a `reason` is required and kept in the grade's history."""
        data = validated(GradeIn, request.data)
        grade = grades.grade_update(
            acting_user=request.user, grade_id=grade_id, scores=data["scores"], reason=data["reason"]
        )
        return Response(GradeOut(_reload(grade.id)).data)


class AssignmentGradeEntryView(APIView):
    @extend_schema(request=GradeCreateIn, responses={200: GradeOut, 400: ERROR, 404: ERROR}, tags=["grades"])
    def post(self, request, assignment_id: int):
        """Enter scores for one student (staff); creates the grade when it does not exist yet."""
        data = validated(GradeCreateIn, request.data)
        grade = grades.grade_enter(
            acting_user=request.user,
            assignment_id=assignment_id,
            student_username=data["student"],
            scores=data["scores"],
            reason=data.get("reason", ""),
        )
        return Response(GradeOut(_reload(grade.id)).data)


def _reload(grade_id: int):
    return selectors.grade_with_scores(grade_id)


class GradeChangeOut(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField(source="question.label")
    old_score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    new_score = serializers.DecimalField(max_digits=7, decimal_places=2)
    changed_by = serializers.CharField(source="changed_by.username")
    changed_at = InstantField()
    reason = serializers.CharField()
    source = serializers.CharField()


class GradeHistoryView(APIView):
    @extend_schema(responses={200: GradeChangeOut(many=True), 404: ERROR}, tags=["grades"])
    def get(self, request, grade_id: int):
        """Every score change of a grade: who, when, old, new, why (staff, and the student for their own)."""
        grade = access.access_grade(request.user, grade_id)
        return Response(GradeChangeOut(selectors.grade_history(grade), many=True).data)


class ReleaseIn(serializers.Serializer):
    at = InstantField(
        required=False, allow_null=True, validators=[plausible_time], help_text="Empty: release now."
    )


class ReleaseOut(InCourseZone, serializers.Serializer):
    assignment = serializers.IntegerField(source="assignment_id")

    def course_of(self, instance):
        return instance.assignment.course

    scheduled_for = InstantField()
    released_at = InstantField(allow_null=True)


class ReleaseGradesView(APIView):
    @extend_schema(
        request=ReleaseIn, responses={200: ReleaseOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["grades"]
    )
    def post(self, request, assignment_id: int):
        """Release the assignment's grades now, or at `at` (instructors). The regrade window starts then."""
        # A time without an offset is a wall time in the course's zone (the grade grid's input says so).
        assignment = course_access.access_assignment_as_instructor(request.user, assignment_id)
        data = validated(ReleaseIn, request.data, zone=assignment.course.zone)
        release = grades.grades_release(
            acting_user=request.user, assignment_id=assignment_id, at=data.get("at")
        )
        return Response(ReleaseOut(release).data)


# ---- regrade requests --------------------------------------------------------------------------------


_SCORE = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)


def _score(value) -> str | None:
    return None if value is None else _SCORE.to_representation(value)


# A regrade request, from a row of grading.selectors.regrade_rows. The fields are the contract (and the
# schema); to_representation writes them by hand, the same JSON DRF's fields write, several times faster
# for a page of the queue. Times carry the offset of the course's zone (as InCourseZone's do). No
# docstring: the schema's description of the component stays the one it had.
class RegradeOut(InCourseZone, serializers.Serializer):
    id = serializers.IntegerField()
    grade = serializers.IntegerField(source="grade_id")
    assignment = AssignmentRef(source="grade.assignment")
    question = serializers.IntegerField(source="question_id")
    question_label = serializers.CharField(source="question.label")
    student = serializers.CharField(source="student.username")
    section = serializers.CharField(source="section_code", allow_null=True, default=None)
    justification = serializers.CharField()
    state = serializers.CharField()
    is_appeal = serializers.BooleanField()
    appeal_of = serializers.IntegerField(source="appeal_of_id", allow_null=True)
    created_at = InstantField()
    claimed_by = serializers.CharField(source="claimed_by.username", allow_null=True, default=None)
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True, default=None)
    resolved_at = InstantField(allow_null=True)
    old_score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    new_score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    response = serializers.CharField()
    submission = serializers.SerializerMethodField(
        help_text="The student's latest submission of the assignment (its file), or null when none."
    )

    @extend_schema_field(SubmissionRef(allow_null=True))
    def get_submission(self, row) -> dict | None:
        submission_id = row["latest_submission_id"]
        if submission_id is None:
            return None
        return {
            "id": submission_id,
            "original_name": row["latest_submission_name"],
            "file_url": submission_file_url(submission_id),
        }

    def to_representation(self, row) -> dict:
        zone = ZoneInfo(row["course_time_zone"])  # ZoneInfo keeps one instance per zone
        section = row["section_code"]
        return {
            "id": row["id"],
            "grade": row["grade_id"],
            "assignment": {
                "id": row["assignment_id"],
                "code": row["assignment_code"],
                "title": row["assignment_title"],
            },
            "question": row["question_id"],
            "question_label": row["question_label"],
            "student": row["student_username"],
            "section": None if section is None else str(section),
            "justification": row["justification"],
            "state": row["state"],
            "is_appeal": row["appeal_of_id"] is not None,
            "appeal_of": row["appeal_of_id"],
            "created_at": instant_text(row["created_at"], zone),
            "claimed_by": row["claimed_by_username"],
            "resolved_by": row["resolved_by_username"],
            "resolved_at": instant_text(row["resolved_at"], zone),
            "old_score": _score(row["old_score"]),
            "new_score": _score(row["new_score"]),
            "response": row["response"],
            "submission": self.get_submission(row),
        }


class RegradeIn(serializers.Serializer):
    grade = serializers.IntegerField()
    question = serializers.IntegerField()
    justification = serializers.CharField(max_length=5000)


class ResolveIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accepted", "rejected"])
    new_score = ScoreField(required=False, allow_null=True)
    response = serializers.CharField(max_length=5000)


class AppealIn(serializers.Serializer):
    justification = serializers.CharField(max_length=5000)


class RegradePagination(Pagination):
    def django_paginator_class(self, requests, page_size):
        # The count and the page's ids in one query, then only the page's rows (with their subqueries).
        return CountedPagePaginator(
            requests,
            page_size,
            rows=selectors.regrade_page_rows,
        )


class RegradeListView(generics.ListAPIView):
    """Staff: the queue of the courses (and sections) they staff, oldest first. Students: their own."""

    serializer_class = RegradeOut
    pagination_class = RegradePagination
    filterset_class = RegradeRequestFilter

    def filter_queryset(self, queryset):
        # No filter named in the query string: the FilterSet (all its filters optional) would narrow
        # nothing and find nothing to refuse, and building its form cost more than counting the list.
        params = self.request.query_params
        if not any(name in params for name in RegradeRequestFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to ask about
            return RegradeRequest.objects.none()
        request = self.request
        return selectors.regrade_list(request.user, reach=course_access.staff_reach(request))

    # 400: a filter value out of range; 404: a page past the last one.
    @extend_schema(responses={200: RegradeOut, 400: ERROR, 404: ERROR}, tags=["regrades"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=RegradeIn, responses={201: RegradeOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["regrades"]
    )
    def post(self, request):
        """Ask for a regrade of one question, within the window after the grade's release (`window_closed`
        after it). A student no longer enrolled in the course: 403 `not_enrolled`."""
        data = validated(RegradeIn, request.data)
        made = regrades.regrade_request_create(
            acting_user=request.user,
            grade_id=data["grade"],
            question_id=data["question"],
            justification=data["justification"],
        )
        return Response(RegradeOut(_request(request.user, made.id)).data, status=status.HTTP_201_CREATED)


def _request(user, request_id: int):
    return selectors.regrade_rows(access.requests_visible_to(user).filter(pk=request_id)).get()


class RegradeDetailView(APIView):
    @extend_schema(responses={200: RegradeOut, 404: ERROR}, tags=["regrades"])
    def get(self, request, request_id: int):
        access.access_request(request.user, request_id)
        return Response(RegradeOut(_request(request.user, request_id)).data)


class RegradeClaimView(APIView):
    @extend_schema(
        request=None, responses={200: RegradeOut, 403: ERROR, 404: ERROR, 409: ERROR}, tags=["regrades"]
    )
    def post(self, request, request_id: int):
        regrades.regrade_request_claim(acting_user=request.user, request_id=request_id)
        return Response(RegradeOut(_request(request.user, request_id)).data)


class RegradeResolveView(APIView):
    @extend_schema(
        request=ResolveIn,
        responses={200: RegradeOut, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["regrades"],
    )
    def post(self, request, request_id: int):
        data = validated(ResolveIn, request.data)
        regrades.regrade_request_resolve(
            acting_user=request.user,
            request_id=request_id,
            decision=data["decision"],
            new_score=data.get("new_score"),
            response=data["response"],
        )
        return Response(RegradeOut(_request(request.user, request_id)).data)


class RegradeWithdrawView(APIView):
    @extend_schema(request=None, responses={200: RegradeOut, 404: ERROR, 409: ERROR}, tags=["regrades"])
    def post(self, request, request_id: int):
        regrades.regrade_request_withdraw(acting_user=request.user, request_id=request_id)
        return Response(RegradeOut(_request(request.user, request_id)).data)


class RegradeAppealView(APIView):
    @extend_schema(
        request=AppealIn, responses={201: RegradeOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["regrades"]
    )
    def post(self, request, request_id: int):
        """Appeal a resolved request once, to the instructor (403 `not_enrolled` after dropping the course)."""
        data = validated(AppealIn, request.data)
        appeal = regrades.regrade_request_appeal(
            acting_user=request.user, request_id=request_id, justification=data["justification"]
        )
        return Response(RegradeOut(_request(request.user, appeal.id)).data, status=status.HTTP_201_CREATED)


# ---- exports -----------------------------------------------------------------------------------------


class ExportIn(serializers.Serializer):
    format = serializers.ChoiceField(choices=["canvas", "breakdown"])


class ExportOut(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    format = serializers.CharField()
    format_label = serializers.CharField(source="get_format_display")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.IntegerField()
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField()
    attempt = serializers.IntegerField(help_text="Runs so far; above 1: a worker died and another took over.")
    error = serializers.CharField()
    requested_by = serializers.CharField(source="requested_by.username")
    created_at = InstantField()
    finished_at = InstantField(allow_null=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    def get_status_url(self, export) -> str:
        return reverse("api-grade-export", kwargs={"export_id": export.id})

    def get_download_url(self, export) -> str | None:
        if export.status != "done":
            return None
        return reverse("api-grade-export-download", kwargs={"export_id": export.id})


class GradeExportCreateView(APIView):
    @extend_schema(
        request=ExportIn, responses={202: ExportOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["exports"]
    )
    def post(self, request, course_id: int):
        """Start an export (instructors); poll its `progress`, then download it."""
        data = validated(ExportIn, request.data)
        export = exports.grade_export_request(
            acting_user=request.user, course_id=course_id, format=data["format"]
        )
        export.refresh_from_db()
        return Response(ExportOut(export).data, status=status.HTTP_202_ACCEPTED)


class GradeExportDetailView(APIView):
    @extend_schema(responses={200: ExportOut, 404: ERROR}, tags=["exports"])
    def get(self, request, export_id: int):
        return Response(ExportOut(access.access_export(request.user, export_id)).data)


class GradeExportDownloadView(APIView):
    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.BINARY, 404: ERROR, 409: ERROR}, tags=["exports"]
    )
    def get(self, request, export_id: int):
        export = access.access_export(request.user, export_id)
        if export.status != "done":
            raise Conflict(f"The export is {export.status}; download it when its progress reaches 100.")
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=export.file.name.rsplit("/", 1)[-1].split("-", 1)[-1],
            content_type="text/csv; charset=utf-8",
        )


# ---- imports -----------------------------------------------------------------------------------------


class GradeImportIn(serializers.Serializer):
    assignment = serializers.IntegerField()
    file = serializers.FileField(
        help_text="Gradescope-style CSV: SID/Email/Username and 'Q1 (25.0 pts)' columns."
    )


class ParticipationImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="CSV with a username (or email or SID) column and a count column.")
    rule = serializers.ChoiceField(choices=["top_n", "threshold"])
    value = serializers.IntegerField(min_value=1)


class GradeImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": GradeImportIn},
        responses={202: ImportJobOut, 400: ERROR, 404: ERROR, 413: ERROR},
        tags=["grades", "imports"],
    )
    def post(self, request, course_id: int):
        """Import per-question scores for one assignment (staff): answers 202 with a job; when done its
        `result` has rows and scores_changed. All or nothing: a failed job names each bad row by line."""
        data = validated(GradeImportIn, request.data)
        assignment = course_access.access_assignment_as_staff(request.user, data["assignment"])
        if assignment.course_id != course_id:
            raise ObjectNotFound("No such assignment in this course.")
        job = imports.grade_import_request(
            acting_user=request.user, assignment_id=assignment.id, data=data["file"].read()
        )
        job.refresh_from_db()
        return job_response(job, status=status.HTTP_202_ACCEPTED)


class ParticipationImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ParticipationImportIn},
        responses={202: ImportJobOut, 400: ERROR, 403: ERROR, 404: ERROR, 413: ERROR},
        tags=["grades", "imports"],
    )
    def post(self, request, assignment_id: int):
        """Turn contribution counts into the participation bonus (instructors): top N, or a threshold.
        Answers 202 with a job; when done its `result` has rows and qualified."""
        data = validated(ParticipationImportIn, request.data)
        job = imports.participation_import_request(
            acting_user=request.user,
            assignment_id=assignment_id,
            data=data["file"].read(),
            rule=data["rule"],
            value=data["value"],
        )
        job.refresh_from_db()
        return job_response(job, status=status.HTTP_202_ACCEPTED)


class TeamGradeIn(serializers.Serializer):
    team = serializers.IntegerField()
    scores = ScoresField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TeamGradeView(APIView):
    @extend_schema(
        request=TeamGradeIn, responses={200: GradeOut(many=True), 400: ERROR, 404: ERROR}, tags=["grades"]
    )
    def post(self, request, assignment_id: int):
        """Enter a team's grade (staff): it applies to every member, each in their own history."""
        data = validated(TeamGradeIn, request.data)
        made = grades.team_grade_enter(
            acting_user=request.user,
            assignment_id=assignment_id,
            team_id=data["team"],
            scores=data["scores"],
            reason=data.get("reason", ""),
        )
        return Response(GradeOut([selectors.grade_with_scores(g.id) for g in made], many=True).data)
