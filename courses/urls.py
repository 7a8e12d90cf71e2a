from django.urls import path

from courses import views, views_extensions, views_mail, views_setup

urlpatterns = [
    path("", views.home, name="home"),
    path("courses/<int:course_id>/", views.course_info, name="course-info"),
    path("courses/<int:course_id>/staff/", views.staff_course, name="staff-course"),
    path("courses/new/", views_setup.course_new, name="course-new"),
    path("courses/<int:course_id>/setup/", views_setup.course_setup, name="course-setup"),
    path("deadlines/", views.my_deadlines, name="my-deadlines"),
    path(
        "assignments/<int:assignment_id>/submissions/", views.assignment_overview, name="assignment-overview"
    ),
    path("account/", views.account, name="account"),
    path("join/", views.join, name="join"),
    path("courses/<int:course_id>/teams/", views.teams_page, name="teams"),
    path("courses/<int:course_id>/roster/", views.roster, name="roster"),
    path("courses/<int:course_id>/extensions/", views_extensions.course_extensions, name="course-extensions"),
    path(
        "courses/<int:course_id>/gradescope-requests.csv",
        views.gradescope_requests_csv,
        name="gradescope-requests-csv",
    ),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("reminders/off/<str:token>/", views_mail.RemindersOffView.as_view(), name="reminders-off"),
]
