"""Helpers for the waitlist tests: joins at a stopped clock, PS0/HW0 submissions, and the API calls the
tests make over and over."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from courses.models import Assignment, Enrolment, Section, Submission, Term, User
from tests.helpers import error_of  # noqa: F401 (re-exported for the tests here)

NY = ZoneInfo("America/New_York")
# Waitlist joins happen a minute apart from here on, so "join time" is never a tie.
JOIN_START = datetime(2023, 1, 10, 9, 0, tzinfo=NY)

Status = Enrolment.Status


def join(api, user: User, section: Section, basis: str | None = "credit", *, at: datetime | None = None):
    """POST /api/v1/sections/{id}/waitlist/ as `user` (at a stopped clock when `at` is given)."""
    data = {} if basis is None else {"grading_basis": basis}
    url = reverse("api-section-waitlist", args=[section.id])
    if at is None:
        return api.as_user(user).post(url, data, format="json")
    with time_machine.travel(at, tick=False):
        return api.as_user(user).post(url, data, format="json")


def leave(api, user: User, section: Section):
    return api.as_user(user).delete(reverse("api-section-waitlist", args=[section.id]))


def waitlist_usernames(api, staff: User, section: Section) -> list[str]:
    response = api.as_user(staff).get(reverse("api-section-waitlist", args=[section.id]))
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [row["waitlist_position"] for row in rows] == list(range(1, len(rows) + 1))
    assert all(row["status"] == "waitlisted" for row in rows)
    return [row["username"] for row in rows]


def my_enrolments(api, user: User) -> dict[str, dict]:
    """GET /api/v1/me/ as `user`: the enrolments keyed by section code."""
    response = api.as_user(user).get(reverse("api-me"))
    assert response.status_code == 200, response.content
    return {row["section"]: row for row in response.json()["enrolments"]}


def my_position(api, user: User, section: Section) -> int | None:
    return my_enrolments(api, user)[section.code]["waitlist_position"]


def submit_prep(user: User, assignment: Assignment) -> Submission:
    """A PS0/HW0 (or any) submission, stored directly: the preparation work's window is long closed."""
    return Submission.objects.create(
        student=user,
        assignment=assignment,
        file=f"submissions/{assignment.id}/{user.id}/answers.pdf",
        submitted_at=assignment.due_at - timedelta(hours=1),
        timing=Submission.Timing.ON_TIME,
        honor_statement_accepted=True,
    )


def enrolled_count(section: Section) -> int:
    return Enrolment.objects.filter(section=section, status=Status.ENROLLED).count()


def status_of(user: User, section: Section) -> str:
    return Enrolment.objects.get(user=user, section=section).status


def open_term_for_joining(course) -> None:
    """The world's term (Spring 2023) is over; pages list only sections of current and future terms."""
    Term.objects.filter(pk=course.term_id).update(starts_on=date(2020, 1, 6), ends_on=date(2099, 5, 5))


def minutes_after_start(n: int) -> datetime:
    return JOIN_START + timedelta(minutes=n)
