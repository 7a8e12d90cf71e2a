from django.urls import path

from courses import (
    api,
    api_assignments,
    api_extensions,
    api_jobs,
    api_mail,
    api_setup,
    api_students,
    api_submissions,
    api_teams,
    api_tokens,
    api_waitlist,
)

urlpatterns = [
    path("auth/token/", api_tokens.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", api_tokens.TokensView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:token_id>/", api_tokens.TokenDetailView.as_view(), name="api-token-detail"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/deadlines/", api.MyDeadlinesView.as_view(), name="api-my-deadlines"),
    path("me/calendar-token/", api.CalendarTokenResetView.as_view(), name="api-calendar-token"),
    path("me/mail-preferences/", api_mail.MailPreferencesView.as_view(), name="api-mail-preferences"),
    path("courses/", api_setup.CourseListView.as_view(), name="api-courses"),
    path("courses/<int:course_id>/", api_setup.CourseDetailView.as_view(), name="api-course"),
    path(
        "courses/<int:course_id>/sections/", api_setup.SectionListView.as_view(), name="api-course-sections"
    ),
    path(
        "courses/<int:course_id>/students/",
        api_students.CourseStudentListView.as_view(),
        name="api-course-students",
    ),
    path("courses/<int:course_id>/staff/", api_setup.CourseStaffView.as_view(), name="api-course-staff"),
    path("staff-roles/<int:staff_role_id>/", api_setup.StaffRoleDetailView.as_view(), name="api-staff-role"),
    path("terms/", api_setup.TermListView.as_view(), name="api-terms"),
    path("terms/<int:term_id>/", api_setup.TermDetailView.as_view(), name="api-term"),
    path(
        "courses/<int:course_id>/assignments/",
        api_assignments.AssignmentListView.as_view(),
        name="api-course-assignments",
    ),
    path("sections/<int:section_id>/", api.SectionDetailView.as_view(), name="api-section"),
    path(
        "assignments/<int:assignment_id>/",
        api_assignments.AssignmentDetailView.as_view(),
        name="api-assignment",
    ),
    path(
        "assignments/<int:assignment_id>/submissions/",
        api_assignments.SubmissionCreateView.as_view(),
        name="api-assignment-submissions",
    ),
    path(
        "assignments/<int:assignment_id>/submissions.zip",
        api_submissions.SubmissionZipView.as_view(),
        name="api-assignment-submissions-zip",
    ),
    path(
        "submissions/<int:submission_id>/file/",
        api_submissions.SubmissionFileView.as_view(),
        name="api-submission-file",
    ),
    path(
        "assignments/<int:assignment_id>/submission-overview/",
        api_assignments.SubmissionOverviewView.as_view(),
        name="api-assignment-overview",
    ),
    path("extensions/", api_extensions.ExtensionListView.as_view(), name="api-extensions"),
    path(
        "extensions/<int:extension_id>/",
        api_extensions.ExtensionDetailView.as_view(),
        name="api-extension",
    ),
    path(
        "sections/<int:section_id>/waitlist/",
        api_waitlist.WaitlistView.as_view(),
        name="api-section-waitlist",
    ),
    path("sections/<int:section_id>/sit-in/", api_waitlist.SitInView.as_view(), name="api-section-sit-in"),
    path("enrolments/<int:enrolment_id>/drop/", api_waitlist.DropView.as_view(), name="api-enrolment-drop"),
    path(
        "enrolments/<int:enrolment_id>/re-enrol/",
        api_waitlist.ReenrolView.as_view(),
        name="api-enrolment-reenrol",
    ),
    path(
        "enrolments/<int:enrolment_id>/gradescope-request/",
        api_waitlist.GradescopeRequestView.as_view(),
        name="api-gradescope-request",
    ),
    path(
        "enrolments/<int:enrolment_id>/gradescope-grant/",
        api_waitlist.GradescopeGrantView.as_view(),
        name="api-gradescope-grant",
    ),
    path(
        "courses/<int:course_id>/roster-imports/",
        api_waitlist.RosterImportView.as_view(),
        name="api-roster-imports",
    ),
    path("import-jobs/<int:job_id>/", api_jobs.ImportJobDetailView.as_view(), name="api-import-job"),
    path(
        "import-jobs/<int:job_id>/errors.csv",
        api_jobs.ImportJobErrorsView.as_view(),
        name="api-import-job-errors",
    ),
    path("courses/<int:course_id>/teams/", api_teams.TeamListView.as_view(), name="api-course-teams"),
    path("teams/<int:team_id>/invite/", api_teams.TeamInviteView.as_view(), name="api-team-invite"),
    path("teams/<int:team_id>/accept/", api_teams.TeamAcceptView.as_view(), name="api-team-accept"),
    path("teams/<int:team_id>/decline/", api_teams.TeamDeclineView.as_view(), name="api-team-decline"),
    path("teams/<int:team_id>/solo-request/", api_teams.TeamSoloRequestView.as_view(), name="api-team-solo"),
    path(
        "teams/<int:team_id>/approve-solo/",
        api_teams.TeamApproveSoloView.as_view(),
        name="api-team-approve-solo",
    ),
]
