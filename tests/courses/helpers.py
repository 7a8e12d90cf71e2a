"""Helpers for the deadline-engine tests: a stopped clock, submissions through the API, bigger courses."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Assignment, Course, EffectiveDeadline, User
from courses.services.deadlines import deadline_recompute
from tests.factories import AssignmentFactory, CourseFactory, EnrolmentFactory, SectionFactory, UserFactory
from tests.helpers import at  # noqa: F401 (re-exported for the tests here)

NY = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def utc(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def upload(name: str = "answers.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% my answers\n", content_type="application/pdf")


def submit(
    api,
    user: User,
    assignment: Assignment,
    *,
    collaborators=None,
    alone: bool = True,
    honor: bool | None = True,
    file: bool = True,
):
    """POST a multipart submission like the page's form does.

    `collaborators` is a list (repeated fields) or a comma-separated string; without it `alone=True`
    sends `collaborators_none=true` (the explicit "I worked alone"), `alone=False` declares nothing.
    """
    data: dict = {}
    if file:
        data["file"] = upload()
    if collaborators is not None:
        data["collaborators"] = collaborators
    elif alone:
        data["collaborators_none"] = "true"
    if honor is not None:
        data["honor_statement_accepted"] = "true" if honor else "false"
    url = reverse("api-assignment-submissions", args=[assignment.id])
    return api.as_user(user).post(url, data, format="multipart")


def my_deadlines(api, user: User) -> dict[str, dict]:
    """GET /api/v1/me/deadlines/ as `user`, keyed by assignment code."""
    response = api.as_user(user).get(reverse("api-my-deadlines"))
    assert response.status_code == 200, response.content
    return {row["assignment"]["code"]: row for row in response.json()}


def row_of(user: User, assignment: Assignment) -> EffectiveDeadline:
    return EffectiveDeadline.objects.get(student=user, assignment=assignment)


def snapshot(assignment: Assignment) -> list[dict]:
    """Every stored deadline row of an assignment, as plain values, in a stable order."""
    return list(EffectiveDeadline.objects.filter(assignment=assignment).order_by("student_id").values())


def build_course(*, assignments: int, students: int, code: str | None = None) -> tuple[Course, list[User]]:
    """A course with `assignments` homeworks (a week apart from Jan 22 2023) and `students` students,
    every deadline stored."""
    course = CourseFactory(**({"code": code} if code else {}))
    section = SectionFactory(course=course)
    people = [
        EnrolmentFactory(user=UserFactory(username=f"{course.pk}-s{i}"), section=section).user
        for i in range(students)
    ]
    first_due = datetime(2023, 1, 22, 23, 59, tzinfo=NY)
    for i in range(assignments):
        local = first_due.replace(tzinfo=None) + timedelta(weeks=i)
        AssignmentFactory(course=course, code=f"A{i + 1:02d}", due_at=local.replace(tzinfo=NY))
    for assignment in course.assignments.all():
        deadline_recompute(assignment_id=assignment.id)
    return course, people


DEADLINE_ROW = r'<li id="a-{code}" class="deadline"(.*?)</details>\s*</li>'


def deadline_row_html(html: str, code: str) -> str:
    """One assignment's row of My deadlines (templates/courses/_deadline_row.html), its opened part included."""
    match = re.search(DEADLINE_ROW.format(code=re.escape(code)), html, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


def deadline_row_codes(html: str) -> list[str]:
    """The assignment codes of My deadlines' rows, in page order."""
    return re.findall(r'<li id="a-([^"]+)" class="deadline"', html)


def grant_extension(api, instructor: User, student: User, assignment: Assignment, due_at: datetime) -> None:
    """POST /api/v1/extensions/ as the instructor (a Dean of Students reference given); asserts 201."""
    response = api.as_user(instructor).post(
        reverse("api-extensions"),
        {
            "student": student.username,
            "assignment": assignment.id,
            "due_at": due_at.isoformat(),
            "dean_reference": "DoS-1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content


def a(world, code: str) -> Assignment:
    """The world's course's assignment with this code."""
    return world.course.assignments.get(code=code)
