"""Fixtures for the courses tests. The project-team tests start from the course's grading scheme (the
teams' project is graded), which the grading tests define."""

from tests.grading.exports.conftest import scheme  # noqa: F401 (fixture)
