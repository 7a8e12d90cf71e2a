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
