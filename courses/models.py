"""Terms, courses, sections, people, assignments, policies, extensions, submissions, deadlines.

Every datetime is aware and stored in UTC; each course names the zone its deadlines are defined in.
Rules live in services.py and selectors.py, not here.
"""

import secrets
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


def _new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not a time zone name; use an IANA name such as America/New_York."
        )


class User(AbstractUser):
    """A person. `sis_id` is the registrar's ID (kept as text: leading zeros matter)."""

    sis_id = models.CharField("SIS user ID", max_length=32, blank=True)
    canvas_user_id = models.CharField(
        "Canvas user ID",
        max_length=32,
        blank=True,
        help_text="Canvas's own id for the person (digits), from a roster exported by Canvas; blank when unknown.",
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=_new_calendar_token)

    class TimeZoneDisplay(models.TextChoices):
        COURSE = "course", "The course's time zone"
        BROWSER = "browser", "My browser's time zone"

    time_zone_display = models.CharField(
        max_length=16,
        choices=TimeZoneDisplay.choices,
        default=TimeZoneDisplay.COURSE,
        help_text="Which zone deadlines are shown in; the other one is on hover or when a row is opened.",
    )
    browser_time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="The IANA zone the person's browser reported when they chose to see times in it.",
    )

    class Meta(AbstractUser.Meta):
        # A login is one person in any letter case (courses.sso, the roster import): looked up lower-cased.
        indexes = [models.Index(Lower("username"), name="user_username_lower")]
        # The registrar's id and Canvas's id each name one person (the roster import says which row gives
        # a taken one; the grade import and Canvas's gradebook match students by them). Blank: unknown.
        constraints = [
            models.UniqueConstraint(fields=["sis_id"], condition=~Q(sis_id=""), name="user_sis_id_unique"),
            models.UniqueConstraint(
                fields=["canvas_user_id"], condition=~Q(canvas_user_id=""), name="user_canvas_user_id_unique"
            ),
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def sortable_name(self) -> str:
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.display_name


class UserNames:
    """A person's names read by User's own rules (display_name, sortable_name), from plain values: for
    long lists and exports, where a model instance per row costs more than the rest of the row."""

    __slots__ = ("first_name", "last_name", "username")
    get_full_name = User.get_full_name
    display_name = User.display_name
    sortable_name = User.sortable_name

    def __init__(self, *, username: str, first_name: str, last_name: str):
        self.username, self.first_name, self.last_name = username, first_name, last_name


class Term(models.Model):
    name = models.CharField(max_length=64, unique=True)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    class LatePolicy(models.TextChoices):
        GRACE = "grace", "Grace period (no penalty, then closed)"
        LATE_DAYS = "late_days", "Late-day bank"
        PENALTY = "penalty", "Per-day percentage penalty"

    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="courses")
    code = models.CharField(max_length=64, help_text="Short name shown in menus, e.g. 'CS 4644 / CS 7643-A'.")
    title = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    description = models.TextField(blank=True)
    instructor_contact = models.TextField(blank=True)
    communication = models.TextField(blank=True, help_text="Where questions go (e.g. Piazza).")
    office_hours = models.TextField(blank=True)
    prerequisites = models.TextField(blank=True)
    other_courses_notice = models.TextField(
        blank=True,
        help_text="Sections that look like this course but are a different one, and where their students go.",
    )
    other_course_section_codes = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated section codes of the different course."
    )
    honor_statement = models.TextField(blank=True)

    # Late work. The course's own rule (2-day grace, then 0) is the default.
    late_policy = models.CharField(max_length=16, choices=LatePolicy.choices, default=LatePolicy.GRACE)
    grace_days = models.PositiveSmallIntegerField(default=2, validators=[MaxValueValidator(30)])
    late_day_bank = models.PositiveSmallIntegerField(default=0, help_text="Late days per student per term.")
    late_days_per_assignment = models.PositiveSmallIntegerField(default=2)
    penalty_percent_per_day = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("10"))
    penalty_floor_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("50"))
    penalty_max_days = models.PositiveSmallIntegerField(default=5)

    # Other rules, with the course's behaviour as the default.
    regrade_window_days = models.PositiveSmallIntegerField(default=7)
    bonus_cap_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The most that bonus work (class participation) adds to a student's total, in percent.",
    )
    readiness_threshold_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("75"))
    readiness_advice = models.TextField(blank=True)
    waitlist_allows_audit = models.BooleanField(
        default=False, help_text="Accept audit and pass/fail waitlist requests (at lowest priority)."
    )
    reminder_hours = models.CharField(
        max_length=64, default="48,24", help_text="Hours before the due time at which reminders go out."
    )

    class Meta:
        ordering = ["term", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.term})"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def other_section_codes(self) -> list[str]:
        return [c.strip() for c in self.other_course_section_codes.split(",") if c.strip()]


class Section(models.Model):
    class Level(models.TextChoices):
        UNDERGRADUATE = "undergraduate", "Undergraduate"
        GRADUATE = "graduate", "Graduate"

    class Delivery(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        HYBRID = "hybrid", "Hybrid"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(max_length=32)
    level = models.CharField(max_length=16, choices=Level.choices)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IN_PERSON)
    meeting_times = models.CharField(max_length=200, blank=True)
    room = models.CharField(max_length=200, blank=True)
    capacity = models.PositiveIntegerField(default=0)
    room_capacity = models.PositiveIntegerField(default=1)
    stream_url = models.URLField(blank=True)
    stream_info = models.CharField(
        max_length=200, blank=True, help_text="e.g. 'Zoom; the link is on Canvas'."
    )
    recordings_url = models.URLField(blank=True)
    recordings_info = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True, help_text="How this section differs from the others.")

    class Meta:
        ordering = ["course", "code"]
        constraints = [
            models.UniqueConstraint(fields=["course", "code"], name="section_code_unique_in_course"),
            models.CheckConstraint(
                condition=Q(capacity__lte=models.F("room_capacity")), name="section_capacity_within_room"
            ),
            # A room has a seat: the services refused 0 already; now the database does too.
            models.CheckConstraint(condition=Q(room_capacity__gte=1), name="section_room_has_a_seat"),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        """A section's seats, for any `full_clean` (the section services run it after their own checks)."""
        errors = {}
        if self.room_capacity < 1:
            errors["room_capacity"] = "A room has at least 1 seat; give the room's size."
        elif self.capacity > self.room_capacity:
            errors["capacity"] = f"At most the room's {self.room_capacity} seats."
        if errors:
            raise ValidationError(errors)


class StaffRole(models.Model):
    class Role(models.TextChoices):
        INSTRUCTOR = "instructor", "Instructor"
        TA = "ta", "Teaching assistant"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="staff_roles")
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: the whole course."
    )
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course", "section", "role"],
                name="staff_role_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        where = self.section or self.course
        return f"{self.user} — {self.get_role_display()} of {where}"


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        WAITLISTED = "waitlisted", "Waitlisted"
        DROPPED = "dropped", "Dropped"

    # An active enrolment holds a seat or a place in line: the one spelling of "not dropped".
    ACTIVE = (Status.ENROLLED, Status.WAITLISTED)

    class GradingBasis(models.TextChoices):
        CREDIT = "credit", "Letter grade (credit)"
        AUDIT = "audit", "Audit"
        PASS_FAIL = "pass_fail", "Pass/fail"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="enrolments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENROLLED)
    grading_basis = models.CharField(max_length=16, choices=GradingBasis.choices, default=GradingBasis.CREDIT)
    joined_at = models.DateTimeField(help_text="When the student enrolled or joined the waitlist.")
    updated_at = models.DateTimeField(auto_now=True)
    gradescope_requested_at = models.DateTimeField(null=True, blank=True)
    gradescope_granted_at = models.DateTimeField(null=True, blank=True)
    gradescope_granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["section", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "section"], name="enrolment_unique")]
        indexes = [models.Index(fields=["section", "status"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.section} ({self.status})"


class Promotion(models.Model):
    """The log of waitlist promotions: who moved into which section, why and when."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="promotions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="promotions")
    promoted_at = models.DateTimeField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["-promoted_at"]

    def __str__(self) -> str:
        return f"{self.enrolment.user} into {self.section} at {self.promoted_at:%Y-%m-%d %H:%M}"


class SitInRequest(models.Model):
    """A request to sit in on lectures, recorded only while the room has space."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sit_in_requests"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="sit_in_requests")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "section"], name="sit_in_once")]

    def __str__(self) -> str:
        return f"{self.user} sits in on {self.section}"


class Assignment(models.Model):
    class Category(models.TextChoices):
        PREPARATION = "preparation", "Preparation (PS0/HW0)"
        PROBLEM_SET = "problem_set", "Problem set"
        HOMEWORK = "homework", "Homework"
        PROPOSAL = "proposal", "Project proposal"
        PROJECT = "project", "Final project"
        PARTICIPATION = "participation", "Class participation"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    code = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=Category.choices)
    points = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("100"))
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent of the course total.",
    )
    is_bonus = models.BooleanField(
        default=False, help_text="Adds to the total without raising what it is out of."
    )
    release_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    grace_allowed = models.BooleanField(default=True)
    collaboration_allowed = models.BooleanField(default=True)
    counts_toward_grade = models.BooleanField(default=True)
    accepts_submissions = models.BooleanField(default=True)
    team_size_min = models.PositiveSmallIntegerField(default=1)
    team_size_max = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["course", "due_at", "code"]
        constraints = [
            models.UniqueConstraint(fields=["course", "code"], name="assignment_code_unique_in_course"),
            models.CheckConstraint(
                condition=Q(team_size_min__lte=models.F("team_size_max")), name="assignment_team_size_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class Extension(models.Model):
    """More time for one student on one assignment.

    Granted on confirmation from the Dean of Students; there is deliberately no field for medical details.
    """

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    due_at = models.DateTimeField(help_text="The student's new due time.")
    dean_reference = models.CharField(
        max_length=120, help_text="Reference of the Dean of Students' confirmation."
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="extensions_granted"
    )
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "assignment"], name="extension_unique")]

    def __str__(self) -> str:
        return f"{self.assignment.code} extension for {self.student}"


def submission_upload_to(instance: "Submission", filename: str) -> str:
    return f"submissions/{instance.assignment_id}/{instance.student_id}/{secrets.token_hex(8)}-{filename}"


class Submission(models.Model):
    class Timing(models.TextChoices):
        ON_TIME = "on_time", "On time"
        IN_GRACE = "in_grace", "In the grace period"
        LATE = "late", "Late (late days or penalty)"

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    file = models.FileField(upload_to=submission_upload_to)
    submitted_at = models.DateTimeField()
    timing = models.CharField(max_length=16, choices=Timing.choices)
    collaborators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    honor_statement_accepted = models.BooleanField(default=False)
    original_name = models.CharField(max_length=255, blank=True, help_text="The file's name as uploaded.")
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file, hex.")
    receipt_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the e-mail receipt went out (it goes out once)."
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["assignment", "student", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.assignment.code} by {self.student} at {self.submitted_at:%Y-%m-%d %H:%M}"


class EffectiveDeadline(models.Model):
    """One student's computed deadline for one assignment; written only by the deadline services."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Window open"
        SUBMITTED = "submitted", "Submitted on time"
        SUBMITTED_IN_GRACE = "submitted_in_grace", "Submitted in the grace period"
        SUBMITTED_LATE = "submitted_late", "Submitted late"
        MISSING = "missing", "Missing (counts 0)"

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deadlines")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="deadlines")
    due_at = models.DateTimeField()
    grace_ends_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField()
    extension_due_at = models.DateTimeField(null=True, blank=True)
    last_submitted_at = models.DateTimeField(null=True, blank=True)
    late_days_used = models.PositiveSmallIntegerField(default=0)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    outcome = models.CharField(max_length=24, choices=Outcome.choices, default=Outcome.PENDING)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the closing task recorded the outcome."
    )
    computed_at = models.DateTimeField()
    inputs_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="Which inputs (due time, grace, policy, extension, enrolment) the row was computed from; "
        "empty or different from today's inputs: stale, and reads compute the window from the rules.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "assignment"], name="deadline_unique")]
        indexes = [models.Index(fields=["closes_at", "closed_at"]), models.Index(fields=["due_at"])]

    def __str__(self) -> str:
        return f"{self.assignment_id}/{self.student_id}: closes {self.closes_at:%Y-%m-%d %H:%M} UTC"


class ReminderSent(models.Model):
    """One row per reminder e-mail, so each goes out exactly once."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="+")
    hours_before = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField(help_text="The due time the reminder was about.")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "assignment", "hours_before", "due_at"], name="reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hours_before} h reminder to {self.student_id} for {self.assignment_id}"


class AuditEvent(models.Model):
    """Who did what to which object, when: written by services, never edited."""

    class Action(models.TextChoices):
        """Every action the services record; `audit_record` refuses any other."""

        ACCOUNT_REMINDERS = "account.reminders", "Reminder e-mails turned on or off"
        ACCOUNT_SSO_CREATE = "account.sso_create", "Account created at a first single sign-on"
        ACCOUNT_TIME_ZONE = "account.time_zone", "Time zone for showing times chosen"
        ASSIGNMENT_CREATE = "assignment.create", "Assignment created"
        ASSIGNMENT_UPDATE = "assignment.update", "Assignment changed"
        COURSE_CREATE = "course.create", "Course created"
        COURSE_UPDATE = "course.update", "Course settings changed"
        ENROLMENT_SET = "enrolment.set", "Enrolment set"
        ENROLMENT_DROP = "enrolment.drop", "Student dropped"
        ENROLMENT_REENROL = "enrolment.reenrol", "Dropped student re-enrolled"
        EXTENSION_GRANT = "extension.grant", "Extension granted"
        EXTENSION_CHANGE = "extension.change", "Extension changed"
        EXTENSION_REVOKE = "extension.revoke", "Extension revoked"
        GRADES_EXPORT = "grades.export", "Grades exported"
        GRADES_IMPORT = "grades.import", "Grades imported"
        GRADES_RELEASE = "grades.release", "Grades released"
        GRADESCOPE_REQUEST = "gradescope.request", "Gradescope access requested"
        GRADESCOPE_GRANT = "gradescope.grant", "Gradescope access granted"
        PARTICIPATION_IMPORT = "participation.import", "Participation imported"
        QUESTION_CREATE = "question.create", "Question added"
        QUESTION_UPDATE = "question.update", "Question changed"
        QUESTION_REORDER = "question.reorder", "Questions reordered"
        QUESTION_DELETE = "question.delete", "Question deleted"
        REGRADE_CREATE = "regrade.create", "Regrade requested"
        REGRADE_CLAIM = "regrade.claim", "Regrade request claimed"
        REGRADE_RESOLVE = "regrade.resolve", "Regrade request resolved"
        REGRADE_WITHDRAW = "regrade.withdraw", "Regrade request withdrawn"
        REGRADE_APPEAL = "regrade.appeal", "Regrade appealed"
        ROSTER_IMPORT = "roster.import", "Roster imported"
        SECTION_CAPACITY = "section.capacity", "Section capacity changed"
        SECTION_CREATE = "section.create", "Section added"
        SECTION_UPDATE = "section.update", "Section changed"
        SIT_IN_REQUEST = "sit_in.request", "Sit-in requested"
        STAFF_ADD = "staff.add", "Staff role added"
        STAFF_REMOVE = "staff.remove", "Staff role removed"
        SUBMISSION_CREATE = "submission.create", "Work submitted"
        TEAM_CREATE = "team.create", "Team created"
        TEAM_INVITE = "team.invite", "Team invitation"
        TEAM_ACCEPT = "team.accept", "Team invitation accepted"
        TEAM_DECLINE = "team.decline", "Team invitation declined"
        TEAM_REQUEST_SOLO = "team.request_solo", "Solo project requested"
        TEAM_APPROVE_SOLO = "team.approve_solo", "Solo project approved"
        TERM_CREATE = "term.create", "Term created"
        TERM_UPDATE = "term.update", "Term changed"
        WAITLIST_JOIN = "waitlist.join", "Joined the waitlist"
        WAITLIST_LEAVE = "waitlist.leave", "Left the waitlist"
        WAITLIST_PROMOTE = "waitlist.promote", "Promoted from the waitlist"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    course = models.ForeignKey(Course, null=True, on_delete=models.CASCADE, related_name="audit_events")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class Team(models.Model):
    """A final-project team: 3 to 4 members by the project's team size; solo only with a stated reason and
    the instructor's approval."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    solo_reason = models.TextField(blank=True)
    solo_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    solo_approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["course", "name"]
        constraints = [models.UniqueConstraint(fields=["course", "name"], name="team_name_unique_in_course")]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    class State(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.INVITED)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.state})"


class ApiToken(models.Model):
    """A key another program signs its API requests with (`Authorization: Token <key>`), one per program
    or device. Only a digest of the key is stored: the key is shown once, when it is made. A token stops
    working when revoked (deleted), when it expires, when its owner's password changes (the password it
    was issued under is remembered as a fingerprint, as Django does for sessions), or when the account is
    deactivated."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the key, hex
    prefix = models.CharField(max_length=8)  # the key's first characters, to tell tokens apart
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"


def import_upload_to(instance: "ImportJob", filename: str) -> str:
    return f"imports/{instance.course_id}/{instance.kind}-{filename}"


class ImportJob(models.Model):
    """One CSV import (roster, grades, participation) run by a worker: the uploaded file, progress, a
    heartbeat (a job whose worker stops beating is taken over), then the counts or the row errors.

    All or nothing: the worker applies every row in one transaction, or records the errors and nothing.
    """

    class Kind(models.TextChoices):
        ROSTER = "roster", "Roster"
        GRADES = "grades", "Grades"
        PARTICIPATION = "participation", "Participation"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="import_jobs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=import_upload_to)
    params = models.JSONField(default=dict, blank=True, help_text="The kind's options (assignment, rule).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    attempt = models.PositiveIntegerField(
        default=0, help_text="Raised by each claim; a worker writes only its own."
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.JSONField(
        default=dict,
        blank=True,
        help_text='The failure in the API\'s error shape: detail, code, fields by "line N".',
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="importjob_status_beat")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import into {self.course_id} ({self.status})"
