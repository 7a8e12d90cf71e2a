from django.urls import path

from grading import views

urlpatterns = [
    path("grades/", views.my_grades, name="my-grades"),
    path("assignments/<int:assignment_id>/grades/", views.grade_grid, name="grade-grid"),
    path("assignments/<int:assignment_id>/outline/", views.assignment_outline, name="assignment-outline"),
    path("regrades/", views.regrade_queue, name="regrade-queue"),
    path("courses/<int:course_id>/exports/", views.exports_page, name="grade-exports"),
    path("courses/<int:course_id>/statistics/", views.course_statistics, name="course-statistics"),
]
