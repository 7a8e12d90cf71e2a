"""Section-aware assignment percentages and course totals — the one place these rules live.

- A question is required, extra credit or not applicable per section (default: required). Extra credit
  adds to what a student earned without adding to what they could earn; required counts in both.
- Late outcomes come from the deadline engine: "missing" (nothing in the window) counts 0; a per-day
  penalty (courses using that policy) scales the score.
- Totals come from assignment weights (percent of the course); bonus assignments add up to their weight.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from courses.models import Assignment, Course, EffectiveDeadline, Enrolment
from courses.selectors.setup import BONUS, COUNTED, weight_kind
from grading.models import Question, QuestionRequirement, QuestionScore

ZERO = Decimal(0)
HUNDRED = Decimal(100)
Requirement = QuestionRequirement.Requirement


def two_places(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    points: Decimal
    requirements: dict[int, str]  # section id → requirement

    def requirement_for(self, section_id: int) -> str:
        return self.requirements.get(section_id, Requirement.REQUIRED)


@dataclass(frozen=True)
class CourseScheme:
    """Everything about a course needed to total any student: three queries, loaded once."""

    course: Course
    assignments: list[Assignment]
    questions: dict[int, list[QuestionInfo]]  # assignment id → questions
    # (assignment id, section id) → (possible points, ids of the questions that count, a zero per id: the
    # score of an unscored question): the same for every student of a section, so worked out once per
    # section rather than once per student (a 50,000-student export).
    _per_section: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, course: Course) -> "CourseScheme":
        assignments = list(
            Assignment.objects.filter(course=course).order_by(F("due_at").asc(nulls_last=True), "code")
        )
        requirements: dict[int, dict[int, str]] = defaultdict(dict)
        for question_id, section_id, requirement in QuestionRequirement.objects.filter(
            question__assignment__course=course
        ).values_list("question_id", "section_id", "requirement"):
            requirements[question_id][section_id] = requirement
        questions: dict[int, list[QuestionInfo]] = defaultdict(list)
        for question_id, assignment_id, points in (
            Question.objects.filter(assignment__course=course)
            .order_by("position", "label")
            .values_list("id", "assignment_id", "points")
        ):
            questions[assignment_id].append(
                QuestionInfo(question_id, points, requirements.get(question_id, {}))
            )
        return cls(course, assignments, dict(questions))

    def possible(self, assignment: Assignment, section_id: int) -> Decimal:
        return self._section_rules(assignment, section_id)[0]

    def earned(self, assignment: Assignment, section_id: int, scores: dict[int, Decimal]) -> Decimal:
        """earned_points() for a student of the section, with the section's counted questions worked out once."""
        counted, zeros = self._section_rules(assignment, section_id)[1:]
        if counted is None:
            return sum(scores.values(), ZERO)
        return sum(map(scores.get, counted, zeros), ZERO)  # scores.get(qid, ZERO) for each counted qid

    def _section_rules(self, assignment: Assignment, section_id: int):
        key = (assignment.id, section_id)
        rules = self._per_section.get(key)
        if rules is None:
            questions = self.questions.get(assignment.id)
            counted = counted_question_ids(questions, section_id) if questions else None
            zeros = [ZERO] * len(counted) if counted is not None else None
            rules = (possible_points(questions, section_id, assignment.points), counted, zeros)
            self._per_section[key] = rules
        return rules


def possible_points(
    questions: list[QuestionInfo] | None, section_id: int | None, fallback: Decimal
) -> Decimal:
    """What a student of the section could earn: required questions only (extra credit adds nothing)."""
    if not questions:
        return fallback
    return sum((q.points for q in questions if q.requirement_for(section_id) == Requirement.REQUIRED), ZERO)


def counted_question_ids(questions: list[QuestionInfo], section_id: int | None) -> list[int]:
    """The questions whose scores count for a student of the section: required and extra credit."""
    return [q.id for q in questions if q.requirement_for(section_id) != Requirement.NOT_APPLICABLE]


def earned_points(
    questions: list[QuestionInfo] | None, section_id: int | None, scores: dict[int, Decimal]
) -> Decimal:
    """What the student earned: required and extra-credit questions; not-applicable ones count nothing."""
    if not questions:
        return sum(scores.values(), ZERO)
    return sum((scores.get(qid, ZERO) for qid in counted_question_ids(questions, section_id)), ZERO)


def question_infos(questions) -> list[QuestionInfo]:
    """QuestionInfo from Question objects whose `requirements` are prefetched."""
    return [
        QuestionInfo(q.id, q.points, {r.section_id: r.requirement for r in q.requirements.all()})
        for q in questions
    ]


def grade_points(grade, section_id: int | None) -> tuple[Decimal, Decimal]:
    """(earned, possible) raw points of one grade for a student of `section_id`, by the same rule as the
    totals. Uses the grade's prefetched scores and questions (with their requirements)."""
    questions = question_infos(grade.assignment.questions.all())
    scores = {s.question_id: s.score for s in grade.scores.all()}
    return (
        earned_points(questions, section_id, scores),
        possible_points(questions, section_id, grade.assignment.points),
    )


@dataclass(frozen=True)
class AssignmentResult:
    assignment: Assignment
    earned: Decimal | None  # raw points, extra credit included; None when not graded
    possible: Decimal
    late_outcome: str  # EffectiveDeadline.Outcome value, or "" when there is no deadline
    penalty_percent: Decimal
    percent: Decimal | None  # after late rules; None when not graded and not missing

    @property
    def score_points(self) -> Decimal | None:
        """The final score on the assignment's own point scale (what a gradebook column holds)."""
        return None if self.percent is None else self.percent * self.assignment.points / HUNDRED


@dataclass
class StudentTotal:
    student_id: int
    section_id: int
    results: list[AssignmentResult] = field(default_factory=list)
    category_totals: dict[str, Decimal] = field(default_factory=dict)
    bonus: Decimal = ZERO
    total: Decimal = ZERO  # percent of the course, bonus included
    graded_weight: Decimal = ZERO

    @property
    def running_percent(self) -> Decimal | None:
        """The weighted percentage over what has been graded so far."""
        earned = sum(self.category_totals.values(), ZERO)
        return earned * HUNDRED / self.graded_weight if self.graded_weight else None


def assignment_result(
    scheme: CourseScheme,
    assignment: Assignment,
    section_id: int,
    scores: dict[int, Decimal] | None,
    outcome: tuple[str, Decimal] | None,
) -> AssignmentResult:
    late_outcome, penalty = outcome or ("", ZERO)
    possible = scheme.possible(assignment, section_id)
    earned = None
    if scores is not None:
        earned = scheme.earned(assignment, section_id, scores)
    if late_outcome == EffectiveDeadline.Outcome.MISSING:
        percent = ZERO  # nothing inside the window: 0, whatever was entered
    elif earned is None or not possible:
        percent = None
    else:
        percent = earned * HUNDRED / possible * (HUNDRED - penalty) / HUNDRED
    return AssignmentResult(assignment, earned, possible, late_outcome, penalty, percent)


def student_total(
    scheme: CourseScheme,
    *,
    student_id: int,
    section_id: int,
    scores: dict[int, dict[int, Decimal]],
    outcomes: dict[int, tuple[str, Decimal]],
) -> StudentTotal:
    """`scores`: assignment id → {question id → score} (only graded assignments); `outcomes`: assignment
    id → (late outcome, penalty percent)."""
    total = StudentTotal(student_id=student_id, section_id=section_id)
    for assignment in scheme.assignments:
        result = assignment_result(
            scheme, assignment, section_id, scores.get(assignment.id), outcomes.get(assignment.id)
        )
        total.results.append(result)
        if result.percent is None or not assignment.weight:
            continue
        weighted = assignment.weight * result.percent / HUNDRED
        kind = weight_kind(assignment)  # the setup page's weights by category count the same way
        if kind == BONUS:
            total.bonus += min(assignment.weight, weighted)
        elif kind == COUNTED:
            total.category_totals[assignment.category] = (
                total.category_totals.get(assignment.category, ZERO) + weighted
            )
            total.graded_weight += assignment.weight
    total.bonus = min(total.bonus, scheme.course.bonus_cap_percent)  # all bonus work together, capped
    total.total = sum(total.category_totals.values(), ZERO) + total.bonus
    return total


def totals_for_students(
    scheme: CourseScheme, enrolments: Iterable[Enrolment], *, released_only: bool = False
) -> list[StudentTotal]:
    """Totals for a batch of students: three queries for the batch, whatever its size."""
    enrolments = list(enrolments)
    student_ids = [e.user_id for e in enrolments]
    grade_filter = {"grade__student_id__in": student_ids, "grade__assignment__course": scheme.course}
    if released_only:
        grade_filter["grade__released_at__isnull"] = False
    scores: dict[int, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for student_id, assignment_id, question_id, score in QuestionScore.objects.filter(
        **grade_filter
    ).values_list("grade__student_id", "grade__assignment_id", "question_id", "score"):
        scores[student_id][assignment_id][question_id] = score
    outcomes: dict[int, dict[int, tuple[str, Decimal]]] = defaultdict(dict)
    now = timezone.now()
    # "Closed with nothing submitted" is asked of PostgreSQL as a yes/no rather than by reading two
    # timestamps per row: a large class has a million of them, and parsing them was most of an export.
    passed_unsubmitted = ExpressionWrapper(
        Q(last_submitted_at__isnull=True, closes_at__lt=now), output_field=BooleanField()
    )
    for student_id, assignment_id, outcome, penalty, passed_without_work in (
        EffectiveDeadline.objects.filter(student_id__in=student_ids, assignment__course=scheme.course)
        .annotate(passed_without_work=passed_unsubmitted)
        .values_list("student_id", "assignment_id", "outcome", "penalty_percent", "passed_without_work")
    ):
        if outcome == EffectiveDeadline.Outcome.PENDING and passed_without_work:
            outcome = EffectiveDeadline.Outcome.MISSING  # passed; the closing task has not recorded it yet
        outcomes[student_id][assignment_id] = (outcome, penalty)
    return [
        student_total(
            scheme,
            student_id=e.user_id,
            section_id=e.section_id,
            scores=scores.get(e.user_id, {}),
            outcomes=outcomes.get(e.user_id, {}),
        )
        for e in enrolments
    ]


@dataclass(frozen=True)
class CategoryProgress:
    """One category of a student's total against its weight (My grades' progress picture): the same
    numbers as the breakdown export's category columns, from the same StudentTotal."""

    key: str  # the assignment category, or "bonus"
    label: str
    weight: Decimal  # percent of the course the category is worth (bonus: its weight up to the cap)
    graded_weight: Decimal  # of which graded or missed so far
    earned: Decimal  # percent of the course earned (the export's category column; bonus: the capped bonus)
    points_earned: Decimal  # on the graded assignments' own point scales, late rules applied
    points_possible: Decimal

    def share(self, part: Decimal) -> Decimal:
        """`part` as a percentage of the category's weight, for drawing (0-100)."""
        return two_places(min(HUNDRED, part * HUNDRED / self.weight)) if self.weight else two_places(ZERO)

    @property
    def earned_share(self) -> Decimal:
        return self.share(self.earned)

    @property
    def graded_share(self) -> Decimal:
        return self.share(self.graded_weight)


def category_progress(scheme: CourseScheme, total: StudentTotal) -> list[CategoryProgress]:
    """Counted categories in Assignment.Category order (e.g. problem sets 36%, homework 36%, final project
    28%), then bonus work; categories of weight 0 (PS0/HW0, the proposal) are left out: they count nothing."""
    labels = dict(Assignment.Category.choices)
    order = list(labels)
    groups: dict[str, dict] = {}
    for result in total.results:
        assignment = result.assignment
        kind = weight_kind(assignment)
        if kind not in (BONUS, COUNTED) or not assignment.weight:
            continue
        key = "bonus" if kind == BONUS else assignment.category
        group = groups.setdefault(key, {"weight": ZERO, "graded": ZERO, "points": ZERO, "possible": ZERO})
        group["weight"] += assignment.weight
        if result.percent is not None:
            group["graded"] += assignment.weight
            group["points"] += result.score_points
            group["possible"] += assignment.points
    out = []
    for key in sorted(groups, key=lambda k: order.index(k) if k in order else len(order)):
        group = groups[key]
        bonus = key == "bonus"
        weight = min(group["weight"], scheme.course.bonus_cap_percent) if bonus else group["weight"]
        out.append(
            CategoryProgress(
                key=key,
                label="Bonus" if bonus else labels.get(key, key),
                weight=weight,
                graded_weight=min(group["graded"], weight),
                earned=total.bonus if bonus else total.category_totals.get(key, ZERO),
                points_earned=group["points"],
                points_possible=group["possible"],
            )
        )
    return out
