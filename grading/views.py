"""Grading pages: the student's grades, the staff grade grid, the TA regrade queue."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from courses import access as course_access
from courses.readiness import flagged_for_student
from courses.selectors.enrolments import enrolments_for_user
from courses.selectors.setup import weight_kind
from grading import charts, selectors, statistics
from grading.filters import RegradeRequestFilter
from grading.models import Question, QuestionRequirement, RegradeRequest
from grading.services.regrades import appeal_deadline, regrade_appeal_refusal
from grading.totals import category_progress
from portal.pages import or_404


@login_required
def my_grades(request):
    now = timezone.now()
    grades = list(selectors.grades_for_user(request.user, student_username=request.user.username))
    requests = list(selectors.regrade_requests_for_user(request.user).filter(student=request.user))
    by_grade: dict[int, list] = {}
    for r in requests:
        r.appeal_until = (
            appeal_deadline(r) if r.state in RegradeRequest.RESOLVED and not r.is_appeal else None
        )
        appealed = any(other.appeal_of_id == r.id for other in requests)
        r.can_appeal = regrade_appeal_refusal(r, now=now, appealed=appealed) is None
        by_grade.setdefault(r.grade_id, []).append(r)
    rows = [
        {
            "grade": g,
            "counts": weight_kind(g.assignment),  # PS0/HW0 say they do not count toward the grade
            "lines": selectors.score_lines(g),
            "total": selectors.grade_total(g),
            "requests": by_grade.get(g.id, []),
            "window_open": g.regrade_deadline is not None and now <= g.regrade_deadline,
            "history": [],
        }
        for g in grades
    ]
    history = selectors.history_for_grades([g.id for g in grades])
    for row in rows:
        row["history"] = history.get(row["grade"].id, [])
    totals = [
        (scheme, t, category_progress(scheme, t)) for scheme, t in selectors.student_totals(request.user)
    ]
    course_ids = {e.section.course_id for e in enrolments_for_user(request.user)}
    return render(
        request,
        "grading/my_grades.html",
        {
            "rows": rows,
            "now": now,
            "totals": totals,
            "readiness": flagged_for_student(request.user, course_ids),
        },
    )


@login_required
def grade_grid(request, assignment_id: int):
    assignment = or_404(course_access.access_assignment_as_staff, request.user, assignment_id)
    grid = selectors.grade_grid(request.user, assignment)
    is_instructor = course_access.is_instructor(request.user, assignment.course_id)
    return render(
        request,
        "grading/grade_grid.html",
        {
            **grid,
            "assignment": assignment,
            "course": assignment.course,
            "is_instructor": is_instructor,
            "release_warnings": selectors.release_warnings(assignment) if is_instructor else [],
        },
    )


@login_required
def assignment_outline(request, assignment_id: int):
    """The outline: the instructor edits it (forms post to the API); the course's TAs read it."""
    assignment = or_404(course_access.access_assignment_as_staff, request.user, assignment_id)
    is_instructor = course_access.is_instructor(request.user, assignment.course_id)
    return render(
        request,
        "grading/outline.html",
        {
            "outline": selectors.outline_for(assignment),
            "assignment": assignment,
            "course": assignment.course,
            "is_instructor": is_instructor,
            "requirement_choices": QuestionRequirement.Requirement.choices,
        },
    )


@login_required
def regrade_queue(request):
    staff_courses = course_access.staff_courses(request.user)
    courses = list(staff_courses.order_by("code"))  # the course filter's choices
    if not courses:
        raise Http404("The regrade queue is for course staff.")
    base = selectors.regrade_queue(request.user, courses=staff_courses)
    params = request.GET.copy()
    if "state" not in params:
        params["state"] = "active"
    filterset = RegradeRequestFilter(params, queryset=base)
    _limit_choices(filterset, request.user, staff_courses, courses)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "grading/regrade_queue.html",
        {
            "filter": filterset,
            "page": page,
            "counts": selectors.open_counts_by_assignment(request.user),
            "query": _without_page(params),
            "filter_summary": _filter_summary(filterset.form),
        },
    )


def _filter_summary(form) -> str:
    """What the queue is narrowed to, in words, for the folded filters' summary line."""
    parts = []
    for name, field in form.fields.items():
        value = form.data.get(name)
        if value in (None, "") or name in form.errors:
            continue
        if name == "older_than_hours":
            parts.append(f"older than {value} hours")
            continue
        label = {str(key): text for key, text in field.choices}.get(str(value))
        if label:
            parts.append(label)
    return " · ".join(parts)


def _without_page(params) -> str:
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


def _limit_choices(filterset, user, staff_courses, courses) -> None:
    """Offer only the user's own courses' assignments, and the sections they staff, in the filter form."""
    from django import forms

    from courses.models import Assignment

    form = filterset.form
    form.fields["course"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[("", "All courses")] + [(c.id, c.code) for c in courses],
        label="Course",
    )
    form.fields["assignment"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[("", "All assignments")]
        + [
            (a.id, a.code)
            for a in Assignment.objects.filter(course__in=staff_courses).order_by("due_at", "code")
        ],
        label="Assignment",
    )
    form.fields["question"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[("", "All questions")]
        + [
            (q.id, f"{q.assignment.code} {q.label}")
            for q in Question.objects.filter(assignment__course__in=staff_courses)
            .select_related("assignment")
            .order_by("assignment__due_at", "assignment__code", "position", "label")
        ],
        label="Question",
    )
    form.fields["section"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[("", "All sections")]
        + [(s.id, s.code) for s in course_access.staff_sections(user).order_by("code")],
        label="Section",
    )


@login_required
def exports_page(request, course_id: int):
    course = or_404(course_access.access_course_as_instructor, request.user, course_id)
    return render(
        request,
        "grading/exports.html",
        {"course": course, "exports": selectors.exports_for_course(course)},
    )


@login_required
def course_statistics(request, course_id: int):
    """Charts for the instructor: score distributions per section, how work came in, category averages."""
    course = or_404(course_access.access_course_as_instructor, request.user, course_id)
    stats = statistics.course_statistics(course)
    codes = {s.id: s.code for s in stats.sections}
    assignments = []
    for a in stats.assignments:
        assignments.append(
            {
                "stats": a,
                "histograms": [
                    (
                        d.section,
                        charts.histogram(
                            f"h{a.assignment.id}-{d.section.id}",
                            d,
                            title=f"{a.assignment.code}, {d.section.code}",
                        ),
                    )
                    for d in a.distributions
                ],
            }
        )
    with_due = [a for a in stats.assignments if a.assignment.due_at]
    not_scored = [a["stats"].assignment for a in assignments if not a["stats"].graded]
    assignments = [a for a in assignments if a["stats"].graded]
    return render(
        request,
        "grading/statistics.html",
        {
            "course": course,
            "stats": stats,
            "assignments": assignments,
            "not_scored": not_scored,
            "timeline_keys": statistics.TIMELINE,
            "with_due": with_due,
            "timeline": charts.timeline(
                "timeline",
                [(a.assignment.code, a.timeline) for a in with_due],
                title="How work came in, per assignment",
            )
            if with_due
            else None,
            "categories": charts.grouped_bars(
                "categories",
                [(c.label, [(codes[sid], v) for sid, v in c.by_section.items()]) for c in stats.categories],
                title="Category averages per section",
            )
            if stats.categories
            else None,
        },
    )
