"""Readiness (PS0/HW0 at or under the course's threshold: "may not be prepared") as the course pages show
it. The rule lives with the grades (`grading.selectors.readiness_by_student`); courses, the lower app,
never imports grading, so grading registers its rule here when the apps load (grading/apps.py)."""

from collections.abc import Callable

_provider: Callable[..., dict] | None = None


def register(provider: Callable[..., dict]) -> None:
    global _provider
    _provider = provider


def readiness_by_student(course, *, student_ids=None, released_only: bool = False) -> dict:
    """Student id → Readiness for the course's preparation work; {} when no grading app is installed."""
    if _provider is None:
        return {}
    return _provider(course, student_ids=student_ids, released_only=released_only)


def flagged_for_student(user, course_ids) -> list[dict]:
    """The courses (among `course_ids`) where the student's own released PS0/HW0 results are at or under
    the threshold: [{"course", "readiness"}], for the notice on home, Join a course and My grades."""
    from courses.models import Course

    out = []
    for course in Course.objects.filter(id__in=list(course_ids)).order_by("code"):
        mine = readiness_by_student(course, student_ids=[user.id], released_only=True).get(user.id)
        if mine is not None and mine.flagged:
            out.append({"course": course, "readiness": mine})
    return out
