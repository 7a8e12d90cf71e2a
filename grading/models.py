"""Questions, grades, the append-only grade history, grade releases and regrade requests."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from courses.models import Assignment, Course, Section


class Question(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(max_length=32, help_text="e.g. 'Q1' or '2b'.")
    title = models.CharField(max_length=200, blank=True)
    points = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("10"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["assignment", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["assignment", "label"], name="question_label_unique")]

    def __str__(self) -> str:
        return f"{self.assignment.code} {self.label}"


class QuestionRequirement(models.Model):
    """How a question counts for one section (default: required)."""

    class Requirement(models.TextChoices):
        REQUIRED = "required", "Required"
        EXTRA_CREDIT = "extra_credit", "Extra credit"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="requirements")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="+")
    requirement = models.CharField(max_length=16, choices=Requirement.choices, default=Requirement.REQUIRED)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "section"], name="requirement_unique")]

    def __str__(self) -> str:
        return f"{self.question} for {self.section}: {self.requirement}"


class Grade(models.Model):
    """One student's grade on one assignment; scores per question live in QuestionScore."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grades")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="grades")
    released_at = models.DateTimeField(null=True, blank=True)
    regrade_deadline = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "assignment"], name="grade_unique")]
        indexes = [models.Index(fields=["assignment", "released_at"])]

    def __str__(self) -> str:
        return f"{self.assignment.code} grade of {self.student}"


class QuestionScore(models.Model):
    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="scores")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="scores")
    score = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grade", "question"], name="score_unique")]

    def __str__(self) -> str:
        return f"{self.question}: {self.score}"


class GradeChangeQuerySet(models.QuerySet):
    """Bulk writes bypass save() and delete(); the history refuses them too."""

    def update(self, **kwargs):
        raise ValueError("Grade history is append-only; record a new change instead.")

    def delete(self):
        raise ValueError("Grade history is append-only and cannot be deleted.")


class GradeChange(models.Model):
    """Append-only: every score change, by anyone, with who, when, old, new and why."""

    class Source(models.TextChoices):
        ENTRY = "entry", "Entered by staff"
        IMPORT = "import", "Imported"
        REGRADE = "regrade", "Regrade request"
        APPEAL = "appeal", "Appeal"

    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="history")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    old_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    new_score = models.DecimalField(max_digits=7, decimal_places=2)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    reason = models.TextField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ENTRY)

    objects = GradeChangeQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.question} {self.old_score} → {self.new_score} by {self.changed_by_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Grade history is append-only; record a new change instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Grade history is append-only and cannot be deleted.")


class GradeRelease(models.Model):
    """An assignment's grade release: now, or scheduled and carried out by a task."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="grade_release")
    scheduled_for = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.assignment.code} release at {self.scheduled_for:%Y-%m-%d %H:%M}"


class RegradeRequest(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed by a TA"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ACTIVE = (State.OPEN, State.CLAIMED)
    RESOLVED = (State.ACCEPTED, State.REJECTED)

    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="regrade_requests")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="regrade_requests")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="regrade_requests"
    )
    # The grade's assignment and its course, copied when the request is made (neither ever changes for a
    # grade): the queue's scope, filters, counts and order read the request's own row, with no join. Their
    # indexes are the two below that start with them.
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="+", db_index=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+", db_index=False)
    justification = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    appeal_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeal",
        help_text="Appeal to the instructor.",
    )
    created_at = models.DateTimeField()
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    old_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    new_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grade", "question"],
                condition=Q(state__in=["open", "claimed"]),
                name="one_active_regrade_per_question",
            )
        ]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            # The queue: a course's open (or claimed) requests, counted and in order, from the index alone.
            models.Index(
                fields=["course", "state", "created_at", "id"], include=["student"], name="regrade_queue_idx"
            ),
            models.Index(fields=["assignment", "state"], name="regrade_assignment_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Regrade of {self.question} for {self.student_id} ({self.state})"

    @property
    def is_appeal(self) -> bool:
        return self.appeal_of_id is not None


def export_upload_to(instance: "GradeExport", filename: str) -> str:
    return f"exports/{instance.course_id}/{instance.pk}-{filename}"


class GradeExport(models.Model):
    """One export job: who asked for which format when, its progress, and the file. Also the audit trail."""

    class Format(models.TextChoices):
        CANVAS = "canvas", "Canvas gradebook import"
        BREAKDOWN = "breakdown", "Full breakdown"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="grade_exports")
    format = models.CharField(max_length=16, choices=Format.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_upload_to, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Each claim raises `attempt`; a worker writes progress and the file only while the row still carries
    # its attempt, and beats `heartbeat_at` each chunk: a job whose worker stops beating is taken over.
    attempt = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="gradeexport_status_beat")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export of {self.course_id} ({self.status})"
