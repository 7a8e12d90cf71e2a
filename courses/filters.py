"""Query-string filters (django-filter) for the courses app's lists."""

import django_filters

from courses.models import Extension, Submission
from courses.selectors import filter_by_section
from portal.filters import IdFilter


class SubmissionFilter(django_filters.FilterSet):
    section = IdFilter(method="filter_section", label="Section")
    status = django_filters.ChoiceFilter(
        field_name="timing", choices=Submission.Timing.choices, label="Status (on time, in grace, late)"
    )

    class Meta:
        model = Submission
        fields = ["section", "status"]

    def filter_section(self, queryset, name, value):
        return filter_by_section(queryset, value)


class ExtensionFilter(django_filters.FilterSet):
    assignment = IdFilter(field_name="assignment_id", label="Assignment")
    student = django_filters.CharFilter(field_name="student__username", label="Student (username)")

    class Meta:
        model = Extension
        fields = ["assignment", "student"]
