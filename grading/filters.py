"""Query-string filters (django-filter) for the grade list and the regrade queue."""

from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from courses.selectors import in_section_now
from grading.models import Grade, RegradeRequest
from portal.filters import IdFilter


def _attrs_html(attrs: dict) -> str:
    """Django's django/forms/widgets/attrs.html, written in Python."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """forms.Select writing the HTML of Django's select.html and select_option.html in Python: the same
    markup, without a template include per option (the queue's filters offer over a hundred)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs_html(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class GradeFilter(django_filters.FilterSet):
    assignment = IdFilter(field_name="assignment_id")
    student = django_filters.CharFilter(field_name="student__username")
    released = django_filters.BooleanFilter(field_name="released_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Grade
        fields = ["assignment", "student", "released"]


class RegradeRequestFilter(django_filters.FilterSet):
    course = IdFilter(field_name="course_id", label="Course")
    assignment = IdFilter(field_name="assignment_id", label="Assignment")
    question = IdFilter(field_name="question_id", label="Question")
    section = IdFilter(method="filter_section", label="Section")
    state = django_filters.ChoiceFilter(
        # The queue's wording: "Claimed" (the line names who), not the students' "Claimed by a TA".
        choices=[
            ("active", "Open or claimed"),
            *(
                (v, "Claimed" if v == RegradeRequest.State.CLAIMED else t)
                for v, t in RegradeRequest.State.choices
            ),
        ],
        empty_label="Any state",
        method="filter_state",
        widget=QuickSelect,
        label="State",
    )
    older_than_hours = django_filters.NumberFilter(
        method="filter_age", label="Older than (hours)", min_value=0
    )

    class Meta:
        model = RegradeRequest
        fields = ["course", "assignment", "question", "section", "state", "older_than_hours"]

    def filter_state(self, queryset, name, value):
        if value == "active":
            return queryset.filter(state__in=RegradeRequest.ACTIVE)
        return queryset.filter(state=value)

    def filter_section(self, queryset, name, value):
        # The section's own requests (courses.selectors.in_section_now): of its course, by its students now.
        return queryset.filter(in_section_now(value))

    def filter_age(self, queryset, name, value):
        try:
            cutoff = timezone.now() - timedelta(hours=float(value))
        except OverflowError:  # before the first year the calendar can hold: no request is that old
            return queryset.none()
        return queryset.filter(created_at__lte=cutoff)
