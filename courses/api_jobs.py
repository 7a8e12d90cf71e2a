"""Import jobs: the status of a roster, grade or participation import, and its row errors as CSV."""

import io

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access
from portal import csvsafe
from portal.api import ERROR, InstantField


class ImportErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), help_text='Row errors by "line N".')


class ImportJobOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    course = serializers.IntegerField(source="course_id")
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    progress = serializers.IntegerField(help_text="0-100.")
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField()
    attempt = serializers.IntegerField(help_text="Runs so far; above 1: a worker died and another took over.")
    result = serializers.DictField(
        help_text="When done: the counts (roster: rows, created, updated, kept; grades: rows, "
        "scores_changed; participation: rows, qualified)."
    )
    error = serializers.SerializerMethodField()
    requested_by = serializers.CharField(source="requested_by.username")
    created_at = InstantField()
    finished_at = InstantField(allow_null=True)
    status_url = serializers.SerializerMethodField()
    errors_csv_url = serializers.SerializerMethodField()

    @extend_schema_field(ImportErrorOut(allow_null=True))
    def get_error(self, job):
        return job.error or None

    def get_status_url(self, job) -> str:
        return reverse("api-import-job", kwargs={"job_id": job.id})

    def get_errors_csv_url(self, job) -> str | None:
        if not (job.error or {}).get("fields"):
            return None
        return reverse("api-import-job-errors", kwargs={"job_id": job.id})


def job_response(job, *, status: int = 200) -> Response:
    return Response(ImportJobOut(job).data, status=status)


class ImportJobDetailView(APIView):
    @extend_schema(responses={200: ImportJobOut, 404: ERROR}, tags=["imports"])
    def get(self, request, job_id: int):
        """An import's status and `progress`; when done its counts, when failed its row errors."""
        return job_response(access.access_import_job(request.user, job_id))


class ImportJobErrorsView(APIView):
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY, 404: ERROR}, tags=["imports"])
    def get(self, request, job_id: int):
        """The row errors of a failed import as CSV (line, message), to fix the file beside it."""
        job = access.access_import_job(request.user, job_id)
        out = io.StringIO()
        writer = csvsafe.writer(out)
        writer.writerow(["line", "message"])
        for where, message in (job.error or {}).get("fields", {}).items():
            line = where.removeprefix("line ")
            writer.writerow([int(line) if line.isdigit() else where, message])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.id}-errors.csv"'
        return response
