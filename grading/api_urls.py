from django.urls import path

from grading import api, api_outline

urlpatterns = [
    path("grades/", api.GradeListView.as_view(), name="api-grades"),
    path("grades/<int:grade_id>/", api.GradeDetailView.as_view(), name="api-grade"),
    path("grades/<int:grade_id>/history/", api.GradeHistoryView.as_view(), name="api-grade-history"),
    path(
        "assignments/<int:assignment_id>/grades/",
        api.AssignmentGradeEntryView.as_view(),
        name="api-assignment-grades",
    ),
    path(
        "assignments/<int:assignment_id>/release-grades/",
        api.ReleaseGradesView.as_view(),
        name="api-release-grades",
    ),
    path(
        "assignments/<int:assignment_id>/questions/",
        api_outline.AssignmentQuestionsView.as_view(),
        name="api-assignment-questions",
    ),
    path("questions/<int:question_id>/", api_outline.QuestionDetailView.as_view(), name="api-question"),
    path("regrade-requests/", api.RegradeListView.as_view(), name="api-regrades"),
    path("regrade-requests/<int:request_id>/", api.RegradeDetailView.as_view(), name="api-regrade"),
    path(
        "regrade-requests/<int:request_id>/claim/", api.RegradeClaimView.as_view(), name="api-regrade-claim"
    ),
    path(
        "regrade-requests/<int:request_id>/resolve/",
        api.RegradeResolveView.as_view(),
        name="api-regrade-resolve",
    ),
    path(
        "regrade-requests/<int:request_id>/withdraw/",
        api.RegradeWithdrawView.as_view(),
        name="api-regrade-withdraw",
    ),
    path(
        "regrade-requests/<int:request_id>/appeal/",
        api.RegradeAppealView.as_view(),
        name="api-regrade-appeal",
    ),
    path("assignments/<int:assignment_id>/team-grades/", api.TeamGradeView.as_view(), name="api-team-grades"),
    path("courses/<int:course_id>/grade-imports/", api.GradeImportView.as_view(), name="api-grade-imports"),
    path(
        "assignments/<int:assignment_id>/participation-imports/",
        api.ParticipationImportView.as_view(),
        name="api-participation-imports",
    ),
    path(
        "courses/<int:course_id>/grade-exports/",
        api.GradeExportCreateView.as_view(),
        name="api-grade-exports",
    ),
    path("grade-exports/<int:export_id>/", api.GradeExportDetailView.as_view(), name="api-grade-export"),
    path(
        "grade-exports/<int:export_id>/download/",
        api.GradeExportDownloadView.as_view(),
        name="api-grade-export-download",
    ),
]
