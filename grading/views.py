"""Grading pages: the student's grades, the staff grade grid, the TA regrade queue."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.template.defaultfilters import timesince_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize

from courses import access as course_access
from courses.models import Course, UserNames
from courses.readiness import flagged_for_student
from courses.selectors.enrolments import enrolments_for_user
from courses.selectors.setup import weight_kind
from courses.templatetags.portal_tags import when
from grading import charts, selectors, statistics
from grading.filters import QuickSelect, RegradeRequestFilter
from grading.models import QuestionRequirement, RegradeRequest
from grading.services.regrades import appeal_deadline, regrade_appeal_refusal, regrade_ask_refusal
from grading.totals import category_progress
from portal.fragments import render_rows
from portal.pages import or_404
from portal.paging import CountedPagePaginator


@login_required
def my_grades(request):
    now = timezone.now()
    grades = list(selectors.grades_for_user(request.user, student_username=request.user.username))
    requests = list(selectors.regrade_requests_for_user(request.user).filter(student=request.user))
    # Regrades are for the course's current students (services.regrades.refuse_former_student): in a
    # course they dropped, their grades show without the forms to ask or appeal.
    course_ids = {e.section.course_id for e in enrolments_for_user(request.user)}
    by_grade: dict[int, list] = {}
    for r in requests:
        r.appeal_until = (
            appeal_deadline(r) if r.state in RegradeRequest.RESOLVED and not r.is_appeal else None
        )
        appealed = any(other.appeal_of_id == r.id for other in requests)
        r.can_appeal = (
            r.course_id in course_ids and regrade_appeal_refusal(r, now=now, appealed=appealed) is None
        )
        by_grade.setdefault(r.grade_id, []).append(r)

    def row_of(g) -> dict:
        lines = selectors.score_lines(g)
        asked = by_grade.get(g.id, [])
        return {
            "grade": g,
            "counts": weight_kind(g.assignment),  # PS0/HW0 say they do not count toward the grade
            "lines": lines,
            "total": selectors.grade_total(g),
            "requests": asked,
            "window_open": g.regrade_deadline is not None and now <= g.regrade_deadline,
            "enrolled": g.assignment.course_id in course_ids,
            # The questions still open to a request: an answered one goes on by its appeal.
            "askable": [
                line
                for line in lines
                if regrade_ask_refusal(
                    line.question,
                    [
                        r.appeal_of_id
                        for r in asked
                        if r.question_id == line.question.id and r.state in RegradeRequest.RESOLVED
                    ],
                )
                is None
            ],
            "history": [],
        }

    rows = [row_of(g) for g in grades]
    history = selectors.history_for_grades([g.id for g in grades])
    for row in rows:
        row["history"] = history.get(row["grade"].id, [])
    totals = [
        (scheme, t, category_progress(scheme, t)) for scheme, t in selectors.student_totals(request.user)
    ]
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
    # The user's roles, read once with the page's navigation: the course filter's choices (by code) and
    # the staff scope as values (courses.access.StaffReach), not subqueries on the roles.
    roles = course_access.staff_roles(request)
    courses = sorted(
        {course_id: code for _, course_id, code, *_ in roles}.items(), key=lambda c: (c[1], c[0])
    )
    if not courses:
        raise Http404("The regrade queue is for course staff.")
    course_ids = [course_id for course_id, _ in courses]
    reach = course_access.StaffReach.of(roles)
    base = selectors.regrade_queue(request.user, courses=course_ids, reach=reach)
    params = request.GET.copy()
    if "state" not in params:
        params["state"] = "active"
    filterset = RegradeRequestFilter(params, queryset=base)
    _limit_choices(filterset, reach, course_ids, courses)
    page = CountedPagePaginator(filterset.qs, 50, rows=selectors.regrade_queue_rows).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "grading/regrade_queue.html",
        {
            "filter": filterset,
            "page": page,
            "lines": _queue_lines(request, page),
            "counts": selectors.open_counts_by_assignment(request.user, courses=course_ids, reach=reach),
            "query": _without_page(params),
            "filter_summary": _filter_summary(filterset.form),
        },
    )


class _UrlOf:
    """reverse() for one route with one id argument, worked out once per list: the URL of each id is
    the route's prefix, the id, and its suffix."""

    _MARK = 987654321

    def __init__(self, name: str):
        self.prefix, self.suffix = reverse(name, args=[self._MARK]).split(str(self._MARK))

    def __call__(self, pk: int) -> str:
        return f"{self.prefix}{pk}{self.suffix}"


def _number(value) -> str:
    """A score as the template writes a number, or a dash for none."""
    return "—" if value is None else localize(value)


def _queue_lines(request, page) -> list:
    """The page's requests, each rendered with grading/_regrade_line.html, from the row cache
    (portal.fragments) when nothing a line shows has changed: the key is the request's row (every value
    of selectors.regrade_queue_rows, so a claim, a resolution, a new score or a renamed student gives
    another key), whether the viewer is its claimer (the line opens for them), and its age in words."""
    user_id = request.user.id

    def key_of(r) -> tuple:
        return (
            tuple(r.items()),
            r["state"] == RegradeRequest.State.CLAIMED and r["claimed_by_id"] == user_id,
            timesince_filter(r["created_at"]),
        )

    def contexts_for(rows) -> list[dict]:
        return [{"r": item} for item in _queue_items(rows, request.user)]

    return render_rows(request, "grading/_regrade_line.html", page, key_of=key_of, contexts_for=contexts_for)


def _queue_items(page, user) -> list[dict]:
    """What the queue shows of each request on the page (rows of selectors.regrade_queue_rows), worked
    out here rather than by template lookups (fifty requests with some forty values each)."""
    claim_url, resolve_url = _UrlOf("api-regrade-claim"), _UrlOf("api-regrade-resolve")
    submission_url = _UrlOf("api-submission-file")
    state_labels = dict(RegradeRequest.State.choices)
    courses = {}  # what the time tag needs of a course (its zone), per zone
    items = []
    for r in page:
        rid, state = r["id"], r["state"]
        what = f"{r['assignment_code']} {r['question_label']}"
        claimed_by, resolved_by = r["claimed_by_username"] or "", r["resolved_by_username"] or ""
        if state == RegradeRequest.State.CLAIMED:
            state_text = f"Claimed by {claimed_by}"
        elif state in RegradeRequest.RESOLVED:
            state_text = f"{state_labels.get(state, state)} by {resolved_by}"
        else:
            state_text = state_labels.get(state, state)
        current, points = r["current_score"], localize(r["question_points"])
        score = f"Score now {_number(current)} / {points}"
        if r["old_score"] != current:
            score += f" (was {_number(r['old_score'])} when asked)"
        student = UserNames(
            username=r["student_username"],
            first_name=r["student_first_name"],
            last_name=r["student_last_name"],
        )
        zone = r["course_time_zone"]
        course = courses.get(zone) or courses.setdefault(zone, Course(time_zone=zone))
        submission_id = r["latest_submission_id"]
        items.append(
            {
                "id": rid,
                "open": state == RegradeRequest.State.CLAIMED and r["claimed_by_id"] == user.id,
                "what": what,
                "what_title": f"{what}: {r['question_title']}" if r["question_title"] else what,
                "is_appeal": r["appeal_of_id"] is not None,
                "who": f"{student.sortable_name} ({student.username}, {r['section_code'] or '—'})",
                "state_text": state_text,
                "age": timesince_filter(r["created_at"]),
                "justification": r["justification"],
                "score": score,
                "submission_url": submission_url(submission_id) if submission_id else "",
                "submission_id": submission_id,
                "submission_name": r["latest_submission_name"] or "file",
                "asked": when(r["created_at"], course),
                "claim_url": claim_url(rid) if state == RegradeRequest.State.OPEN else "",
                "resolve_url": resolve_url(rid) if state in RegradeRequest.ACTIVE else "",
                "points": points,
                "response": r["response"],
                "resolved_by": resolved_by,
            }
        )
    return items


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


def _limit_choices(filterset, reach, course_ids, courses) -> None:
    """Offer only the user's own courses' assignments, and the sections they staff, in the filter form."""
    from django import forms

    from courses.models import Assignment

    form = filterset.form
    form.fields["course"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        widget=QuickSelect,
        choices=[("", "All courses"), *courses],
        label="Course",
    )
    # The assignments and their questions in one query, in the questions' order (assignment due time and
    # code, question position and label); an assignment without questions is one row with none.
    assignments: dict[int, str] = {}
    questions: list[tuple[int, str]] = []
    for assignment_id, code, question_id, label in (
        Assignment.objects.filter(course_id__in=course_ids)
        .order_by("due_at", "code", "questions__position", "questions__label")
        .values_list("id", "code", "questions__id", "questions__label")
    ):
        assignments.setdefault(assignment_id, code)
        if question_id is not None:
            questions.append((question_id, f"{code} {label}"))
    form.fields["assignment"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        widget=QuickSelect,
        choices=[("", "All assignments"), *assignments.items()],
        label="Assignment",
    )
    form.fields["question"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        widget=QuickSelect,
        choices=[("", "All questions"), *questions],
        label="Question",
    )
    form.fields["section"] = forms.TypedChoiceField(
        required=False,
        coerce=int,
        widget=QuickSelect,
        choices=[
            ("", "All sections"),
            *course_access.staff_sections(None, reach=reach).order_by("code").values_list("id", "code"),
        ],
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
