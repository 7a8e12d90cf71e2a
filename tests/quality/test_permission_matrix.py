"""A permission matrix generated from the URL conf.

Every route under /api/v1/ and every page of the courses and grading apps, with each of its methods, is
requested by seven roles. `EXPECTED` says what each role gets; a route or method that the URL conf has and
the table lacks fails `test_every_route_and_method_is_in_the_matrix`, so a new endpoint cannot ship
without a decision about who may use it.

The rules (DESIGN.md, "Standards"): a student never sees another student's data, not even that it
exists (404, never 403 and never 200, and never an item of a list); a TA sees only the courses they
staff (another course's objects are 404); a TA with a section role reaches only the students active in
that section (the owner's objects are 404 to the TA of the other section, and no response to them names
the owner); only instructors export. `test_the_matrix_keeps_the_rules`
checks the table itself against those rules, so nobody can make a failing cell pass by writing a
weaker expectation.

Each role gets a fresh world (the function-scoped `world` fixture plus the objects below); each cell runs
inside a savepoint that is rolled back, so cells are independent of their order.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from courses.models import (
    ApiToken,
    Assignment,
    Course,
    Enrolment,
    Extension,
    ImportJob,
    Section,
    StaffRole,
    Submission,
    Team,
    User,
)
from courses.services.accounts import api_token_create
from courses.services.extensions import extension_grant
from courses.services.submissions import submission_create
from courses.services.teams import team_create, team_invite, team_request_solo
from grading.models import Grade, GradeExport, Question, RegradeRequest
from grading.services.exports import grade_export_request
from grading.services.grades import grade_enter, grades_release
from grading.services.regrades import regrade_request_create, regrade_request_resolve
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    EnrolmentFactory,
    SectionFactory,
    StaffRoleFactory,
    UserFactory,
)
from tests.grading.factories import QuestionFactory
from tests.importing import imported, job_error, job_of, post_import

PASSWORD = "pw-portal-test"  # tests.factories.UserFactory

# ---- the routes, from the URL conf -------------------------------------------------------------------

SKIPPED_PREFIXES = ("admin/", "accounts/", "static/", "media/", "api/schema/", "api/docs/")
PAGE_URLCONFS = ("courses.urls", "grading.urls")
ROOT_PAGES = ("healthz",)  # routes of portal.urls itself that the matrix covers
HANDLERS = ("get", "post", "put", "patch", "delete")
KWARG = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    kind: str  # "api" or "page"
    methods: tuple[str, ...]
    kwargs: tuple[str, ...]


def _walk(patterns, prefix: str = "", urlconf: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            included = pattern.urlconf_name
            name = included if isinstance(included, str) else getattr(included, "__name__", urlconf)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), name)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, urlconf


def _methods(callback) -> tuple[str, ...]:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ("GET",)  # a function view: the portal's pages only render
    return tuple(m.upper() for m in HANDLERS if callable(getattr(view_class, m, None)))


def discover_routes() -> list[Route]:
    routes = []
    for route, pattern, urlconf in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if route.startswith("api/v1/"):
            kind = "api"
        elif urlconf in PAGE_URLCONFS or route in ROOT_PAGES:
            kind = "page"
        else:
            continue
        assert pattern.name, f"/{route} has no name; name it so the matrix can refer to it"
        routes.append(
            Route(pattern.name, route, kind, _methods(pattern.callback), tuple(KWARG.findall(route)))
        )
    return routes


# ---- the table ---------------------------------------------------------------------------------------

ANON, OWNER, OTHER, TA, TA_SECTION, TA_OTHER, INSTRUCTOR = (
    "anonymous",
    "student_concerned",
    "other_student",
    "ta_course",
    "ta_other_section",
    "ta_other",
    "instructor",
)
ROLES = (ANON, OWNER, OTHER, TA, TA_SECTION, TA_OTHER, INSTRUCTOR)

D = (401, 403)  # anonymous API call: DRF answers 403 (session auth comes first) or 401 (token auth)
L = 302  # anonymous page visit: redirected to the sign-in page


def row(anonymous, owner, other, ta, ta_section, ta_other, instructor) -> dict[str, int | tuple[int, ...]]:
    return dict(zip(ROLES, (anonymous, owner, other, ta, ta_section, ta_other, instructor), strict=True))


# Columns: anonymous, student_concerned (owner, CS 4644), other_student (same course), ta_course (a TA of
# the whole course), ta_other_section (a TA of CS 7643-A only: the owner is outside their section),
# ta_other (a TA of another course), instructor.
# A 400 appears only where commented: the request reached the object and was refused for a stated reason.
# fmt: off
EXPECTED = {
    # ---- auth and the signed-in user
    ("api-token", "POST"):                  row(200, 200, 200, 200, 200, 200, 200),  # public: each sends their own password
    ("api-me", "GET"):                      row(D,   200, 200, 200, 200, 200, 200),
    ("api-me", "PATCH"):                    row(D,   200, 200, 200, 200, 200, 200),  # one's own zone choice
    ("api-my-deadlines", "GET"):            row(D,   200, 200, 200, 200, 200, 200),  # one's own rows only
    ("api-calendar-token", "POST"):         row(D,   200, 200, 200, 200, 200, 200),  # resets one's own token
    ("api-mail-preferences", "GET"):        row(D,   200, 200, 200, 200, 200, 200),  # one's own reminder choice
    ("api-mail-preferences", "PATCH"):      row(D,   200, 200, 200, 200, 200, 200),  # one's own reminder choice
    ("api-token", "DELETE"):                row(D,   204, 204, 204, 204, 204, 204),  # ends one's own token (or session)
    ("api-tokens", "GET"):                  row(D,   200, 200, 200, 200, 200, 200),  # one's own tokens only
    ("api-tokens", "POST"):                 row(D,   201, 201, 201, 201, 201, 201),  # a token for oneself
    ("api-token-detail", "DELETE"):         row(D,   204, 404, 404, 404, 404, 404),  # only the owner's own
    # ---- courses, sections, assignments
    ("api-courses", "GET"):                 row(D,   200, 200, 200, 200, 200, 200),  # lists are checked for leaks below
    ("api-course", "GET"):                  row(D,   200, 200, 200, 200, 404, 200),
    ("api-course-sections", "GET"):         row(D,   200, 200, 200, 200, 404, 200),
    # The student picker: staff of the course; the TA of CS 7643-A finds that section's students only.
    ("api-course-students", "GET"):         row(D,   404, 404, 200, 200, 404, 200),
    # ---- course setup: superusers create terms and courses (none of these roles is one: see
    # tests/courses/test_course_setup.py); a course's instructors change it; its staff read the staff list.
    ("api-terms", "GET"):                   row(D,   200, 200, 200, 200, 200, 200),  # the choices for a course's term
    ("api-terms", "POST"):                  row(D,   403, 403, 403, 403, 403, 403),
    ("api-term", "PATCH"):                  row(D,   403, 403, 403, 403, 403, 403),
    ("api-courses", "POST"):                row(D,   403, 403, 403, 403, 403, 403),
    ("api-course", "PATCH"):                row(D,   403, 403, 403, 403, 404, 200),
    ("api-course-sections", "POST"):        row(D,   403, 403, 403, 403, 404, 201),
    ("api-course-staff", "GET"):            row(D,   404, 404, 200, 200, 404, 200),
    ("api-course-staff", "POST"):           row(D,   403, 403, 403, 403, 404, 201),
    ("api-staff-role", "DELETE"):           row(D,   403, 403, 403, 403, 404, 204),  # the TA of CS 7643-A's role
    ("api-course-assignments", "GET"):      row(D,   200, 200, 200, 200, 404, 200),
    ("api-course-assignments", "POST"):     row(D,   403, 403, 403, 403, 404, 201),
    ("api-section", "GET"):                 row(D,   200, 200, 200, 200, 404, 200),
    ("api-section", "PATCH"):               row(D,   403, 403, 403, 403, 404, 200),
    ("api-assignment", "GET"):              row(D,   200, 200, 200, 200, 404, 200),
    ("api-assignment", "PATCH"):            row(D,   403, 403, 403, 403, 404, 200),
    # Every student submits their own work (an assignment belongs to the course, not to one student).
    ("api-assignment-submissions", "POST"): row(D,   201, 201, 403, 403, 404, 403),
    ("api-assignment-overview", "GET"):     row(D,   404, 404, 200, 200, 404, 200),
    # Submitted work (HW2: the owner has submitted): staff only, each TA their students' (the list and
    # the zip of the TA of CS 7643-A hold no CS 4644 student); the file: its student and staff reaching them.
    ("api-assignment-submissions", "GET"):  row(D,   404, 404, 200, 200, 404, 200),
    ("api-assignment-submissions-zip", "GET"): row(D, 404, 404, 200, 200, 404, 200),
    ("api-submission-file", "GET"):         row(D,   200, 404, 200, 404, 404, 200),
    ("api-extensions", "GET"):              row(D,   200, 200, 200, 200, 200, 200),
    ("api-extensions", "POST"):             row(D,   403, 403, 403, 403, 404, 201),
    ("api-extension", "DELETE"):            row(D,   404, 404, 404, 404, 404, 204),  # only instructors see extensions to revoke
    # The outline: members read, instructors write (a question without scores here, so DELETE is 204).
    ("api-assignment-questions", "GET"):    row(D,   200, 200, 200, 200, 404, 200),
    ("api-assignment-questions", "POST"):   row(D,   403, 403, 403, 403, 404, 201),
    ("api-question", "PATCH"):              row(D,   403, 403, 403, 403, 404, 200),
    ("api-question", "DELETE"):             row(D,   403, 403, 403, 403, 404, 204),
    # ---- waitlist and enrolments
    ("api-section-waitlist", "GET"):        row(D,   404, 404, 200, 404, 404, 200),
    # Joining is open to anyone signed in (the join page lists every joinable section); students already
    # in the course get 400 already_in_course, its staff 400 is_staff (a course's staff are not its
    # students: tests/grading/test_staff_are_not_students.py); a TA of another course may join.
    ("api-section-waitlist", "POST"):       row(D,   400, 400, 400, 400, 201, 400),
    # Leaving (the owner waits for a section of another course): anyone else is not on it, 400 not_waitlisted.
    ("api-section-waitlist", "DELETE"):     row(D,   200, 400, 400, 400, 400, 400),
    ("api-section-sit-in", "POST"):         row(D,   201, 201, 201, 201, 201, 201),  # open while the room has space
    # Staff who reach the enrolment but are not instructors: 403; the TA of the other section: 404.
    ("api-enrolment-drop", "POST"):         row(D,   404, 404, 403, 404, 404, 200),
    # The owner is enrolled, not dropped: the instructor reaches the enrolment and gets 400 not_dropped.
    ("api-enrolment-reenrol", "POST"):      row(D,   404, 404, 403, 404, 404, 400),
    ("api-gradescope-request", "POST"):     row(D,   200, 404, 404, 404, 404, 404),
    ("api-gradescope-grant", "POST"):       row(D,   404, 404, 200, 404, 404, 200),
    # Imports answer 202 with a job (the rows are checked by the job: see test_*_imports_* below).
    ("api-roster-imports", "POST"):         row(D,   403, 403, 403, 403, 404, 202),
    # ---- teams
    # The owner already has a team: 400 already_in_team. Staff do not form teams.
    ("api-course-teams", "GET"):            row(D,   200, 200, 200, 200, 404, 200),
    ("api-course-teams", "POST"):           row(D,   400, 201, 403, 403, 404, 403),
    ("api-team-invite", "POST"):            row(D,   200, 404, 403, 404, 404, 403),
    # The owner is invited to another team while in their own: accepting is 400 already_in_team; staff
    # reach the team but have no invitation: 400 no_invitation. (That team is gr1's, of CS 7643-A: the TA of
    # that section reaches it too, without seeing the invited owner.)
    ("api-team-accept", "POST"):            row(D,   400, 404, 400, 400, 404, 400),
    ("api-team-decline", "POST"):           row(D,   200, 404, 400, 400, 404, 400),
    # Staff are not the team's one member: 400 not_solo.
    ("api-team-solo", "POST"):              row(D,   200, 404, 400, 404, 404, 400),
    ("api-team-approve-solo", "POST"):      row(D,   403, 404, 403, 404, 404, 200),
    # ---- grades
    ("api-grades", "GET"):                  row(D,   200, 200, 200, 200, 200, 200),
    ("api-grade", "GET"):                   row(D,   200, 404, 200, 404, 404, 200),
    ("api-grade", "PATCH"):                 row(D,   404, 404, 200, 404, 404, 200),
    ("api-grade-history", "GET"):           row(D,   200, 404, 200, 404, 404, 200),
    ("api-assignment-grades", "POST"):      row(D,   404, 404, 200, 404, 404, 200),
    ("api-release-grades", "POST"):         row(D,   403, 403, 403, 403, 404, 200),
    ("api-team-grades", "POST"):            row(D,   404, 404, 200, 404, 404, 200),
    # The file's one row names the owner: for the TA of the other section the job fails on that row, worded
    # like an unknown student's (invalid_rows, nothing imported). See test_grade_imports_reach_only_*.
    ("api-grade-imports", "POST"):          row(D,   404, 404, 202, 202, 404, 202),
    ("api-participation-imports", "POST"):  row(D,   403, 403, 403, 403, 404, 202),
    # An import job is seen by whoever started it (here the instructor) and the course's instructors.
    ("api-import-job", "GET"):              row(D,   404, 404, 404, 404, 404, 200),
    ("api-import-job-errors", "GET"):       row(D,   404, 404, 404, 404, 404, 200),
    # ---- regrade requests
    ("api-regrades", "GET"):                row(D,   200, 200, 200, 200, 200, 200),
    ("api-regrades", "POST"):               row(D,   201, 404, 403, 404, 404, 403),
    ("api-regrade", "GET"):                 row(D,   200, 404, 200, 404, 404, 200),
    ("api-regrade-claim", "POST"):          row(D,   403, 404, 200, 404, 404, 200),
    ("api-regrade-resolve", "POST"):        row(D,   403, 404, 200, 404, 404, 200),
    ("api-regrade-withdraw", "POST"):       row(D,   200, 404, 404, 404, 404, 404),
    ("api-regrade-appeal", "POST"):         row(D,   201, 404, 404, 404, 404, 404),
    # ---- exports: instructors only
    ("api-grade-exports", "POST"):          row(D,   403, 403, 403, 403, 404, 202),
    ("api-grade-export", "GET"):            row(D,   404, 404, 404, 404, 404, 200),
    ("api-grade-export-download", "GET"):   row(D,   404, 404, 404, 404, 404, 200),
    # ---- pages
    ("home", "GET"):                        row(L,   200, 200, 200, 200, 200, 200),
    ("course-info", "GET"):                 row(L,   200, 200, 200, 200, 404, 200),
    ("staff-course", "GET"):                row(L,   404, 404, 200, 200, 404, 200),
    ("course-new", "GET"):                  row(L,   404, 404, 404, 404, 404, 404),  # superusers only
    ("course-setup", "GET"):                row(L,   404, 404, 404, 404, 404, 200),  # instructors (and superusers)
    ("my-deadlines", "GET"):                row(L,   200, 200, 200, 200, 200, 200),
    ("assignment-overview", "GET"):         row(L,   404, 404, 200, 200, 404, 200),
    ("account", "GET"):                     row(L,   200, 200, 200, 200, 200, 200),
    ("join", "GET"):                        row(L,   200, 200, 200, 200, 200, 200),
    ("teams", "GET"):                       row(L,   200, 200, 200, 200, 404, 200),
    ("roster", "GET"):                      row(L,   404, 404, 200, 200, 404, 200),
    ("course-extensions", "GET"):           row(L,   404, 404, 404, 404, 404, 200),  # instructors grant and revoke
    ("gradescope-requests-csv", "GET"):     row(L,   404, 404, 200, 200, 404, 200),
    ("calendar-feed", "GET"):               row(200, 200, 200, 200, 200, 200, 200),  # the secret address is the credential
    ("reminders-off", "GET"):               row(200, 200, 200, 200, 200, 200, 200),  # the signed link is the credential; GET changes nothing
    ("reminders-off", "POST"):              row(200, 200, 200, 200, 200, 200, 200),  # turns off the link's owner's reminders only
    ("my-grades", "GET"):                   row(L,   200, 200, 200, 200, 200, 200),
    ("grade-grid", "GET"):                  row(L,   404, 404, 200, 200, 404, 200),
    ("assignment-outline", "GET"):          row(L,   404, 404, 200, 200, 404, 200),  # TAs read it, instructors edit
    ("regrade-queue", "GET"):               row(L,   404, 404, 200, 200, 200, 200),  # their own course's queue
    ("grade-exports", "GET"):               row(L,   404, 404, 404, 404, 404, 200),
    ("course-statistics", "GET"):           row(L,   404, 404, 404, 404, 404, 200),  # instructors' charts
    ("healthz", "GET"):                     row(200, 200, 200, 200, 200, 200, 200),  # public: components' health, no user data
}
# fmt: on

# Routes that answer every role the same way by design: public, or about the caller only.
PUBLIC = {
    ("api-token", "POST"),
    ("calendar-feed", "GET"),
    ("healthz", "GET"),
    ("reminders-off", "GET"),
    ("reminders-off", "POST"),
}
# Section actions open to anyone signed in (joining a waitlist, asking to sit in): a TA of another course
# may use them like any other person.
OPEN_SECTION_ACTIONS = {
    ("api-section-waitlist", "POST"),
    ("api-section-waitlist", "DELETE"),
    ("api-section-sit-in", "POST"),
}

# Which object each URL kwarg names: an attribute of `Objects`, owned by student_concerned where
# ownership makes sense. A new kwarg fails the test until it is added here.
KWARG_OBJECTS = {
    "course_id": "course",
    "section_id": "section",
    "assignment_id": "ps0",
    "grade_id": "grade",
    "request_id": "request",
    "export_id": "export",
    "enrolment_id": "enrolment",
    "team_id": "team",
    "token": "calendar_token",
    "token_id": "api_token",
    "job_id": "import_job",
    "extension_id": "extension",
    "question_id": "project_question",
    "term_id": "term",
    "staff_role_id": "section_ta_role",
    "submission_id": "submission",
}
# Per (route, method): another object where the default one cannot show the rule.
KWARG_OVERRIDES = {
    ("api-assignment-submissions", "POST"): {"assignment_id": "open_assignment"},
    ("api-assignment-submissions", "GET"): {"assignment_id": "open_assignment"},
    ("api-assignment-submissions-zip", "GET"): {"assignment_id": "open_assignment"},
    ("api-team-grades", "POST"): {"assignment_id": "project"},
    ("api-participation-imports", "POST"): {"assignment_id": "participation"},
    ("api-regrade-appeal", "POST"): {"request_id": "resolved_request"},
    ("api-section-waitlist", "DELETE"): {"section_id": "waiting_section"},
    ("api-gradescope-request", "POST"): {"enrolment_id": "waiting_enrolment"},
    ("api-team-accept", "POST"): {"team_id": "inviting_team"},
    ("api-team-decline", "POST"): {"team_id": "inviting_team"},
    ("reminders-off", "GET"): {"token": "reminders_token"},
    ("reminders-off", "POST"): {"token": "reminders_token"},
}
# Kwargs whose object belongs to student_concerned (or is theirs to act on): other_student gets 404.
OWNED_KWARGS = {"grade_id", "request_id", "enrolment_id", "team_id", "token_id", "submission_id"}
# Objects among those that also belong to a student of CS 7643-A, so the TA of that section reaches them.
IN_OTHER_SECTION_TOO = {"inviting_team"}
# Routes that show the students of the section they name (the owner's section): the TA of the other
# section gets 404.
SECTION_STUDENTS = {("api-section-waitlist", "GET")}
# Kwargs that name an object of a course: a TA of another course gets 404.
COURSE_KWARGS = {
    "course_id",
    "section_id",
    "assignment_id",
    "grade_id",
    "request_id",
    "export_id",
    "enrolment_id",
    "team_id",
    "job_id",
    "question_id",
    "staff_role_id",
    "submission_id",
}


# ---- the world ---------------------------------------------------------------------------------------


@dataclass
class Objects:
    users: dict[str, User | None]
    course: Course
    section: Section
    waiting_section: Section
    ps0: Assignment
    hw1: Assignment
    open_assignment: Assignment
    project: Assignment
    participation: Assignment
    questions: list[Question]
    project_question: Question
    grade: Grade
    other_grade: Grade
    request: RegradeRequest
    resolved_request: RegradeRequest
    other_request: RegradeRequest
    extension: Extension
    export: GradeExport
    enrolment: Enrolment
    waiting_enrolment: Enrolment
    team: Team
    inviting_team: Team
    owner_ids: dict[str, set[int]] = field(default_factory=dict)
    outside_section_ids: dict[str, set[int]] = field(default_factory=dict)
    api_token: ApiToken | None = None  # student_concerned's
    import_job: ImportJob | None = None  # the instructor's failed roster import (it has row errors)
    submission: Submission | None = None  # student_concerned's, to HW2 (open_assignment)

    @property
    def owner(self) -> User:
        return self.users[OWNER]

    @property
    def calendar_token(self) -> str:
        return self.owner.calendar_token

    @property
    def reminders_token(self) -> str:
        from courses.services.mail_preferences import reminders_off_token

        return reminders_off_token(self.owner)

    @property
    def term(self):
        return self.course.term

    @property
    def section_ta_role(self) -> StaffRole:
        return StaffRole.objects.get(user=self.users[TA_SECTION], course=self.course)


@pytest.fixture
def objects(world, django_capture_on_commit_callbacks) -> Objects:
    """The shared `world` (ug1 = student_concerned, ug2 = other_student, ta1, other_ta, instructor), a TA of
    CS 7643-A only (ta_section; the owner is in CS 4644) and one object for each URL kwarg."""
    now = timezone.now()
    w = world
    section_ta = UserFactory(username="ta_section")
    StaffRoleFactory(user=section_ta, course=w.course, role=StaffRole.Role.TA, section=w.gr_section)
    w.ug1.first_name, w.ug1.last_name = "Ulla", "Quarrington"  # a name no other response may show
    w.ug1.save(update_fields=["first_name", "last_name"])
    ps0 = w.course.assignments.get(code="PS0")
    hw1 = w.course.assignments.get(code="HW1")
    open_assignment = AssignmentFactory(course=w.course, code="HW2", due_at=now + timedelta(days=10))
    project = AssignmentFactory(
        course=w.course,
        code="PROJECT",
        category=Assignment.Category.PROJECT,
        due_at=now + timedelta(days=40),
        weight=28,
        team_size_min=3,
        team_size_max=4,
    )
    participation = AssignmentFactory(
        course=w.course,
        code="PARTICIPATION",
        category=Assignment.Category.PARTICIPATION,
        due_at=None,
        points=Decimal(1),
        weight=1,
        is_bonus=True,
        accepts_submissions=False,
    )
    w.recompute()
    questions = [
        QuestionFactory(assignment=ps0, label=f"Q{i}", points=Decimal(10), position=i) for i in (1, 2, 3)
    ]
    project_question = QuestionFactory(assignment=project, label="Total", points=Decimal(100), position=0)

    # PS0 graded for both students and released an hour ago: the regrade window is open.
    grades = {
        username: grade_enter(
            acting_user=w.ta,
            assignment_id=ps0.id,
            student_username=username,
            scores={q.id: Decimal(7) for q in questions},
            reason="Graded",
            now=now - timedelta(days=1),
        )
        for username in ("ug1", "ug2", "gr1")
    }
    grades_release(acting_user=w.instructor, assignment_id=ps0.id, now=now - timedelta(hours=1))
    request = regrade_request_create(
        acting_user=w.ug1, grade_id=grades["ug1"].id, question_id=questions[0].id, justification="Q1 again."
    )
    resolved = regrade_request_create(
        acting_user=w.ug1, grade_id=grades["ug1"].id, question_id=questions[1].id, justification="Q2 again."
    )
    regrade_request_resolve(
        acting_user=w.ta, request_id=resolved.id, decision="rejected", response="Correct as graded."
    )
    other_request = regrade_request_create(
        acting_user=w.ug2, grade_id=grades["ug2"].id, question_id=questions[0].id, justification="Mine."
    )
    extension = extension_grant(
        acting_user=w.instructor,
        student_username="ug1",
        assignment_id=hw1.id,
        due_at=hw1.due_at + timedelta(days=3),
        dean_reference="DOS-2023-0117",
    )
    with django_capture_on_commit_callbacks(execute=True):
        export = grade_export_request(acting_user=w.instructor, course_id=w.course.id, format="canvas")
    export.refresh_from_db()
    assert export.status == GradeExport.Status.DONE, export.error

    # Teams: gr1 invites ug1 first; then ug1 forms a team of one and asks to work alone.
    inviting_team = team_create(acting_user=w.gr1, course_id=w.course.id, name="Gradient descenders")
    team_invite(acting_user=w.gr1, team_id=inviting_team.id, username="ug1")
    team = team_create(acting_user=w.ug1, course_id=w.course.id, name="Lone wolf")
    team_request_solo(
        acting_user=w.ug1, team_id=team.id, reason="I work full time and cannot meet a team weekly."
    )

    enrolment = Enrolment.objects.get(user=w.ug1, section=w.ug_section)
    enrolment.gradescope_requested_at = now  # so that staff can record the grant
    enrolment.save(update_fields=["gradescope_requested_at"])
    waiting_section = SectionFactory(course=CourseFactory(code="CS 7000"), code="CS 7000-A")
    waiting_enrolment = EnrolmentFactory(
        user=w.ug1, section=waiting_section, status=Enrolment.Status.WAITLISTED
    )

    objects = Objects(
        users={
            ANON: None,
            OWNER: w.ug1,
            OTHER: w.ug2,
            TA: w.ta,
            TA_SECTION: section_ta,
            TA_OTHER: w.other_ta,
            INSTRUCTOR: w.instructor,
        },
        course=w.course,
        section=w.ug_section,
        waiting_section=waiting_section,
        ps0=ps0,
        hw1=hw1,
        open_assignment=open_assignment,
        project=project,
        participation=participation,
        questions=questions,
        project_question=project_question,
        grade=grades["ug1"],
        other_grade=grades["ug2"],
        request=request,
        resolved_request=resolved,
        other_request=other_request,
        extension=extension,
        export=export,
        enrolment=enrolment,
        waiting_enrolment=waiting_enrolment,
        team=team,
        inviting_team=inviting_team,
    )
    objects.api_token = api_token_create(user=w.ug1, name="laptop")[0]
    objects.import_job = ImportJob.objects.create(
        kind=ImportJob.Kind.ROSTER,
        course=w.course,
        requested_by=w.instructor,
        file="imports/roster.csv",
        status=ImportJob.Status.FAILED,
        error={"detail": "Nothing was imported.", "code": "invalid_rows", "fields": {"line 2": "bad"}},
        created_at=now,
    )
    objects.submission = submission_create(
        acting_user=w.ug1,
        assignment_id=open_assignment.id,
        file=SimpleUploadedFile("hw2.pdf", b"%PDF-1.4 ug1's answers"),
        collaborators=[],
        honor_statement_accepted=True,
    )[0]
    objects.owner_ids = {
        "submissions": {objects.submission.id},
        "tokens": {objects.api_token.id},
        "grades": set(Grade.objects.filter(student=w.ug1).values_list("id", flat=True)),
        "requests": set(RegradeRequest.objects.filter(student=w.ug1).values_list("id", flat=True)),
        "extensions": {extension.id},
        "teams": {team.id, inviting_team.id},
    }
    # The TA of CS 7643-A reaches gr1's team (ug1 is only invited there, and not shown), not ug1's own.
    objects.outside_section_ids = {**objects.owner_ids, "teams": {team.id}}
    return objects


# ---- request bodies: minimal and valid, so that the status says who may, not what was wrong -----------


def _csv(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _json(data):
    return lambda o: (data(o) if callable(data) else data, "json")


BODIES = {
    ("api-mail-preferences", "PATCH"): _json({"reminders": False}),
    ("api-me", "PATCH"): _json({"time_zone_display": "browser", "browser_time_zone": "America/Los_Angeles"}),
    ("api-course-assignments", "POST"): _json({"code": "HW9", "title": "Homework 9", "category": "homework"}),
    ("api-section", "PATCH"): _json({"capacity": 25}),
    ("api-assignment", "PATCH"): _json({"title": "Problem set 0 (revised)"}),
    ("api-assignment-submissions", "POST"): lambda o: (
        {
            "file": SimpleUploadedFile("hw2.pdf", b"%PDF-1.4 answers", content_type="application/pdf"),
            "collaborators_none": "true",
            "honor_statement_accepted": "true",
        },
        "multipart",
    ),
    ("api-extensions", "POST"): _json(
        lambda o: {
            "student": "ug2",
            "assignment": o.hw1.id,
            "due_at": (o.hw1.due_at + timedelta(days=2)).isoformat(),
            "dean_reference": "DOS-2023-0201",
        }
    ),
    ("api-section-waitlist", "POST"): _json({"grading_basis": "credit"}),
    ("api-roster-imports", "POST"): lambda o: (
        {
            "file": _csv(
                "roster.csv",
                "username,name,email,section,status,grading_basis\n"
                "newbie,Nova Newbie,newbie@example.edu,CS 4644,waitlisted,credit\n",
            )
        },
        "multipart",
    ),
    ("api-course-teams", "POST"): _json({"name": "Fresh team"}),
    ("api-team-invite", "POST"): _json({"username": "ug2"}),
    ("api-team-solo", "POST"): _json({"reason": "My schedule rules out any team meeting this term."}),
    ("api-grade", "PATCH"): _json(lambda o: {"scores": {str(o.questions[2].id): "6"}, "reason": "Re-marked"}),
    ("api-assignment-grades", "POST"): _json(
        lambda o: {"student": "ug1", "scores": {str(o.questions[2].id): "6"}, "reason": "Re-marked"}
    ),
    ("api-release-grades", "POST"): _json({}),
    ("api-team-grades", "POST"): _json(
        lambda o: {"team": o.team.id, "scores": {str(o.project_question.id): "90"}}
    ),
    ("api-grade-imports", "POST"): lambda o: (
        {"assignment": o.ps0.id, "file": _csv("scores.csv", "Username,Q3 (10.0 pts)\nug1,9\n")},
        "multipart",
    ),
    ("api-participation-imports", "POST"): lambda o: (
        {"file": _csv("piazza.csv", "username,count\nug1,4\nug2,1\n"), "rule": "top_n", "value": 1},
        "multipart",
    ),
    ("api-regrades", "POST"): _json(
        lambda o: {"grade": o.grade.id, "question": o.questions[2].id, "justification": "Q3, part b."}
    ),
    ("api-regrade-resolve", "POST"): _json({"decision": "rejected", "response": "Correct as graded."}),
    ("api-regrade-appeal", "POST"): _json({"justification": "The rubric allows the other method."}),
    ("api-grade-exports", "POST"): _json({"format": "canvas"}),
    ("api-assignment-questions", "POST"): _json({"label": "Q9", "points": "5"}),
    ("api-question", "PATCH"): _json({"title": "The whole project"}),
    ("api-terms", "POST"): _json({"name": "Fall 2023", "starts_on": "2023-08-21", "ends_on": "2023-12-15"}),
    ("api-term", "PATCH"): _json({"ends_on": "2023-05-12"}),
    ("api-courses", "POST"): _json(lambda o: {"term": o.course.term_id, "code": "CS 8803", "title": "New"}),
    ("api-course", "PATCH"): _json({"title": "Deep Learning (revised)", "grace_days": 3}),
    ("api-course-sections", "POST"): _json(
        {"code": "CS 4644-B", "level": "undergraduate", "capacity": 10, "room_capacity": 40}
    ),
    ("api-course-staff", "POST"): _json({"username": "other_ta", "role": "ta"}),
}


# ---- running a cell ----------------------------------------------------------------------------------

ROUTES = discover_routes()
OWNER_NAME = re.compile(r"(?<![\w.@-])ug1(?![\w-])|Quarrington")  # student_concerned's username or surname
# Lists that other_student, ta_other_section and ta_other read: none of the owner's items may be in them.
LIST_ITEMS = {
    ("api-grades", "GET"): "grades",
    ("api-regrades", "GET"): "requests",
    ("api-extensions", "GET"): "extensions",
    ("api-course-teams", "GET"): "teams",
    ("api-tokens", "GET"): "tokens",
    ("api-assignment-submissions", "GET"): "submissions",
}


def _url(route: Route, method: str, o: Objects) -> str:
    chosen = {**KWARG_OBJECTS, **KWARG_OVERRIDES.get((route.name, method), {})}
    values = {}
    for kwarg in route.kwargs:
        assert kwarg in chosen, f"/{route.route}: add an object for <{kwarg}> to KWARG_OBJECTS"
        value = getattr(o, chosen[kwarg])
        values[kwarg] = value.pk if isinstance(value, models.Model) else value
    return reverse(route.name, kwargs=values)


def _client(role: str, o: Objects) -> APIClient:
    client = APIClient()
    if o.users[role] is not None:
        client.force_login(o.users[role])
    return client


def _send(client: APIClient, route: Route, method: str, url: str, o: Objects, role: str):
    if (route.name, method) == ("api-token", "POST"):
        user = o.users[role] or o.owner  # anonymous: the owner signing in from a new program
        return client.post(url, {"username": user.username, "password": PASSWORD}, format="json")
    if (route.name, method) == ("api-token", "DELETE"):
        client = _client(role, o)  # a session of its own: it is signed out, the next cells' must not be
    body = BODIES.get((route.name, method))
    if body is None:
        return client.get(url) if method == "GET" else getattr(client, method.lower())(url, format="json")
    data, fmt = body(o)
    return getattr(client, method.lower())(url, data, format=fmt)


def _items(response) -> list[dict]:
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def _check_cell(route: Route, method: str, role: str, response, o: Objects) -> list[str]:
    key = (route.name, method)
    expected = EXPECTED[key][role]
    allowed = expected if isinstance(expected, tuple) else (expected,)
    where = f"{method} /{route.route} as {role}"
    problems = []
    if response.status_code not in allowed:
        body = response.content[:300].decode(errors="replace")
        problems.append(f"{where}: {response.status_code}, expected {expected}: {body}")
        return problems
    if response.status_code == 302 and not response.url.startswith(reverse("login")):
        problems.append(f"{where}: redirected to {response.url}, not to the sign-in page")
    if response.status_code >= 400 and route.kind == "api" and role != ANON:
        body = response.json()
        if set(body) != {"detail", "code", "fields"}:
            problems.append(f"{where}: the error is not in the portal's shape: {body}")
    if role in (OTHER, TA_SECTION, TA_OTHER) and 200 <= response.status_code < 300 and key not in PUBLIC:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if OWNER_NAME.search(content.decode(errors="replace")):
            problems.append(f"{where}: the response names student_concerned (ug1 Quarrington)")
        if key in LIST_ITEMS:
            ids = {item["id"] for item in _items(response)}
            owned = o.outside_section_ids if role == TA_SECTION else o.owner_ids
            if leaked := ids & owned[LIST_ITEMS[key]]:
                problems.append(f"{where}: lists student_concerned's {LIST_ITEMS[key]} {sorted(leaked)}")
        courses = {c["id"] for c in _items(response)} if key == ("api-courses", "GET") else set()
        if role == TA_OTHER and o.course.id in courses:
            problems.append(f"{where}: lists a course they do not staff")
    return problems


def _run(client: APIClient, route: Route, method: str, role: str, o: Objects) -> list[str]:
    """One cell, in a savepoint that is rolled back: no cell sees another cell's writes."""
    url = _url(route, method, o)
    with transaction.atomic():
        try:
            response = _send(client, route, method, url, o, role)
        except Exception as exc:  # a 5xx: report it with the rest instead of stopping at the first
            return [f"{method} /{route.route} as {role}: server error {exc!r}"]
        finally:
            transaction.set_rollback(True)
    return _check_cell(route, method, role, response, o)


# ---- the tests ---------------------------------------------------------------------------------------


def test_every_route_and_method_is_in_the_matrix():
    found = {(r.name, m) for r in ROUTES for m in r.methods}
    missing = sorted(found - set(EXPECTED))
    stale = sorted(set(EXPECTED) - found)
    assert not missing, (
        f"Add these (route name, method) pairs to EXPECTED, with a decision per role: {missing}"
    )
    assert not stale, f"EXPECTED lists (route name, method) pairs the URL conf no longer has: {stale}"
    assert {r.kind for r in ROUTES} == {"api", "page"}
    assert len({r.name for r in ROUTES}) == len(ROUTES), "two routes share a name"


def test_the_matrix_keeps_the_rules():
    """The table itself follows DESIGN.md: a cell can't be made to pass by weakening its expectation."""
    routes = {r.name: r for r in ROUTES}
    for (name, method), cells in EXPECTED.items():
        assert set(cells) == set(ROLES)
        route = routes.get(name)
        if route is None:
            continue  # reported by the test above
        kwargs = set(route.kwargs) | set(KWARG_OVERRIDES.get((name, method), {}))
        if (name, method) not in PUBLIC:
            assert cells[ANON] == (D if route.kind == "api" else L), (name, method)
        if kwargs & OWNED_KWARGS and (name, method) not in OPEN_SECTION_ACTIONS:
            assert cells[OTHER] == 404, f"{name} {method}: another student's object must be 404"
        if kwargs & COURSE_KWARGS and (name, method) not in OPEN_SECTION_ACTIONS | PUBLIC:
            assert cells[TA_OTHER] == 404, f"{name} {method}: another course's object must be 404 to a TA"
        chosen = {**KWARG_OBJECTS, **KWARG_OVERRIDES.get((name, method), {})}
        owned = {chosen[k] for k in kwargs & OWNED_KWARGS} - IN_OTHER_SECTION_TOO
        if owned or (name, method) in SECTION_STUDENTS:
            assert cells[TA_SECTION] == 404, f"{name} {method}: another section's student must be 404 to a TA"
        # A TA of one section never reaches more than a TA of the whole course.
        if cells[TA] == 404:
            assert cells[TA_SECTION] == 404, (name, method)
        if cells[TA] == 403:
            assert cells[TA_SECTION] in (403, 404), (name, method)
        if "export" in name:
            for role in (OWNER, OTHER, TA, TA_SECTION, TA_OTHER):
                assert cells[role] in (403, 404), f"{name} {method}: only instructors export"
        for role in ROLES:
            codes = cells[role] if isinstance(cells[role], tuple) else (cells[role],)
            assert all(code < 500 for code in codes)
    assert EXPECTED[("api-grade-exports", "POST")][INSTRUCTOR] == 202


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(objects, role):
    client = _client(role, objects)  # signed in once, outside the cells' savepoints
    problems = []
    for route in ROUTES:
        for method in route.methods:
            if (route.name, method) in EXPECTED:
                problems += _run(client, route, method, role, objects)
    assert not problems, f"{len(problems)} cell(s) differ from the matrix:\n" + "\n".join(problems)


def test_other_student_lists_hold_their_own_items_only(objects):
    """The lists other_student reads are not empty by accident: their own items are there, the owner's not."""
    client = _client(OTHER, objects)
    grades = {g["id"] for g in _items(client.get(reverse("api-grades")))}
    requests = {r["id"] for r in _items(client.get(reverse("api-regrades")))}
    assert grades == {objects.other_grade.id}
    assert requests == {objects.other_request.id}
    owner = _client(OWNER, objects)
    assert objects.grade.id in {g["id"] for g in _items(owner.get(reverse("api-grades")))}
    extensions = {e["id"] for e in _items(owner.get(reverse("api-extensions")))}
    assert extensions == {objects.extension.id}
    teams = {t["id"] for t in _items(owner.get(reverse("api-course-teams", args=[objects.course.id])))}
    assert teams == {objects.team.id, objects.inviting_team.id}
    # The leak check would see the owner: staff responses do name them.
    assert OWNER_NAME.search(_client(TA, objects).get(reverse("api-grades")).content.decode())
    roster = _client(TA, objects).get(reverse("roster", args=[objects.course.id])).content.decode()
    assert "Quarrington" in roster


def test_a_revoked_or_made_up_calendar_address_is_not_found(objects):
    assert APIClient().get(reverse("calendar-feed", args=["not-a-token"])).status_code == 404


def test_matrix_size():
    cells = sum(len(r.methods) for r in ROUTES) * len(ROLES)
    assert cells == len(EXPECTED) * len(ROLES)
    print(json.dumps({"routes": len(ROUTES), "route_methods": len(EXPECTED), "roles": len(ROLES)}))


def test_the_other_sections_ta_lists_hold_their_sections_items_only(objects):
    """The TA of CS 7643-A: gr1's items are in their lists and pages, the CS 4644 students' are not."""
    client = _client(TA_SECTION, objects)
    grades = {g["student"] for g in _items(client.get(reverse("api-grades")))}
    assert grades == {"gr1"}
    assert {r["student"] for r in _items(client.get(reverse("api-regrades")))} == set()
    roster = client.get(reverse("roster", args=[objects.course.id])).content.decode()
    assert 'data-student="gr1"' in roster and 'data-student="ug2"' not in roster
    grid = client.get(reverse("grade-grid", args=[objects.ps0.id]))
    assert [r["student"].username for r in grid.context["rows"]] == ["gr1"]
    teams = _items(client.get(reverse("api-course-teams", args=[objects.course.id])))
    assert [(t["id"], [m["username"] for m in t["members"]], t["invited"]) for t in teams] == [
        (objects.inviting_team.id, ["gr1"], [])
    ]


IMPORT_ROWS = "Username,Q3 (10.0 pts)\ngr1,9\nug1,8\n"  # gr1: CS 7643-A; ug1: CS 4644


@pytest.mark.parametrize(
    ("role", "rows", "status", "changed"),
    [
        (TA, IMPORT_ROWS, "done", {"gr1", "ug1"}),
        (INSTRUCTOR, IMPORT_ROWS, "done", {"gr1", "ug1"}),
        (TA_SECTION, IMPORT_ROWS, "failed", set()),  # ug1's line is an error: all or nothing
        (TA_SECTION, "Username,Q3 (10.0 pts)\ngr1,9\n", "done", {"gr1"}),
        (TA_SECTION, "Username,Q3 (10.0 pts)\nug2,9\n", "failed", set()),
        (TA_OTHER, IMPORT_ROWS, 404, set()),
        (OWNER, IMPORT_ROWS, 404, set()),
    ],
)
def test_grade_imports_reach_only_the_students_in_scope(objects, role, rows, status, changed):
    from grading.models import QuestionScore

    question = objects.questions[2]
    before = dict(
        QuestionScore.objects.filter(question=question).values_list("grade__student__username", "score")
    )
    response = post_import(
        _client(role, objects),
        reverse("api-grade-imports", args=[objects.course.id]),
        {"assignment": objects.ps0.id, "file": _csv("scores.csv", rows)},
    )
    if status == 404:
        assert response.status_code == 404, response.content
    else:
        assert job_of(response)["status"] == status
    after = dict(
        QuestionScore.objects.filter(question=question).values_list("grade__student__username", "score")
    )
    assert {u for u in after if after[u] != before.get(u)} == changed
    if status == "failed":  # the line of the student out of reach, worded like an unknown student's
        body = job_error(response)
        assert body["code"] == "invalid_rows"
        assert list(body["fields"]) == [f"line {rows.count(chr(10))}"]
        assert "no student of this course matches" in body["fields"][f"line {rows.count(chr(10))}"]


@pytest.mark.parametrize(
    ("role", "status"), [(INSTRUCTOR, 202), (TA, 403), (TA_SECTION, 403), (TA_OTHER, 404), (OWNER, 403)]
)
def test_participation_imports_are_the_instructors(objects, role, status):
    before = Grade.objects.filter(assignment=objects.participation).count()
    response = post_import(
        _client(role, objects),
        reverse("api-participation-imports", args=[objects.participation.id]),
        {"file": _csv("piazza.csv", "username,count\nug1,4\ngr1,1\n"), "rule": "top_n", "value": 1},
    )
    assert response.status_code == status, response.content
    if status == 202:
        imported(response)
    created = Grade.objects.filter(assignment=objects.participation).count() - before
    assert created == (2 if status == 202 else 0)
