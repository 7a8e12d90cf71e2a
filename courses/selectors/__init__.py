"""Reads for the courses app: what pages and the API show. Query counts do not grow with the data.

One module per concept; the package re-exports their functions, so callers write `selectors.name`.
"""

from courses.selectors.accounts import (  # noqa: F401
    api_token_by_key,
    api_token_digest,
    api_token_is_current,
    api_tokens_for_user,
    me_summary,
    password_fingerprint,
    user_by_calendar_token,
)
from courses.selectors.courses import (  # noqa: F401
    assignments_for_course,
    course_information,
    courses_for_user,
    sections_for_course,
)
from courses.selectors.deadlines import (  # noqa: F401
    DeadlineRow,
    SubmissionOverview,
    deadlines_for_student,
    submission_overview,
)
from courses.selectors.enrolments import (  # noqa: F401
    WaitlistStanding,
    enrolments_for_user,
    in_section_now,
    joinable_sections,
    roster_for_course,
    staff_roles_for_user,
    waitlist_position,
    waitlist_queryset,
    waitlist_standing,
)
from courses.selectors.extensions import (  # noqa: F401
    ExtensionLine,
    course_students_search,
    extensions_for_course,
)
from courses.selectors.submissions import (  # noqa: F401
    filter_by_section,
    latest_submission,
    latest_submissions_for_staff,
    latest_submissions_of_student,
)
from courses.selectors.teams import (  # noqa: F401
    TeamView,
    teams_for_course,
)
