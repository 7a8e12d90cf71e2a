"""Course statistics for the instructor's charts: per assignment and section, the score distribution (with
mean and median) and how the work came in; per section, the category averages.

Reads only. Scores come from grading/totals.py (the one place an assignment's percentage and a student's
category totals are computed), so a chart never disagrees with the exports. A constant number of queries
whatever the course's size.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import mean, median

from django.db.models import Count, Q
from django.utils import timezone

from courses.models import Assignment, Course, EffectiveDeadline, Enrolment, Section
from courses.selectors.setup import COUNTED, weight_kind
from grading.totals import HUNDRED, ZERO, CourseScheme, totals_for_students, two_places

BIN_WIDTH = 10  # percent
BINS = [(low, low + BIN_WIDTH) for low in range(0, 100, BIN_WIDTH)]  # the last bin holds 100% too
Outcome = EffectiveDeadline.Outcome
# How work came in, in the order a timeline shows it. "Not yet" rows are still inside their window.
TIMELINE = [
    ("on_time", "On time", (Outcome.SUBMITTED,)),
    ("in_grace", "In grace", (Outcome.SUBMITTED_IN_GRACE,)),
    ("late", "Late", (Outcome.SUBMITTED_LATE,)),
    ("missing", "Missing", (Outcome.MISSING,)),
    ("open", "Not yet (window open)", (Outcome.PENDING,)),
]


@dataclass
class Distribution:
    """Percentages of one assignment for the graded students of one section."""

    section: Section
    percents: list[Decimal]

    @property
    def count(self) -> int:
        return len(self.percents)

    @property
    def mean(self) -> Decimal | None:
        return two_places(Decimal(mean(self.percents))) if self.percents else None

    @property
    def median(self) -> Decimal | None:
        return two_places(Decimal(median(self.percents))) if self.percents else None

    @property
    def bins(self) -> list[tuple[str, int]]:
        """(label, students) per 10% bin; above 100% (extra credit) joins the last bin."""
        counts = Counter(min(int(p // BIN_WIDTH), len(BINS) - 1) for p in self.percents)
        return [(f"{low}–{high}%", counts.get(i, 0)) for i, (low, high) in enumerate(BINS)]


@dataclass
class AssignmentStatistics:
    assignment: Assignment
    distributions: list[Distribution]
    timeline: dict[str, int]  # key of TIMELINE → students

    @property
    def graded(self) -> int:
        return sum(d.count for d in self.distributions)


@dataclass
class CategoryAverage:
    category: str
    label: str
    by_section: dict[int, Decimal | None] = field(default_factory=dict)  # section id → mean percent


@dataclass
class CourseStatistics:
    course: Course
    sections: list[Section]
    assignments: list[AssignmentStatistics]
    categories: list[CategoryAverage]
    students: int


def course_statistics(course: Course) -> CourseStatistics:
    """Every enrolled student's released and unreleased grades (the instructor sees both)."""
    sections = list(Section.objects.filter(course=course).order_by("code"))
    scheme = CourseScheme.load(course)
    enrolments = list(
        Enrolment.objects.filter(section__course=course, status=Enrolment.Status.ENROLLED).only(
            "id", "user_id", "section_id"
        )
    )
    totals = totals_for_students(scheme, enrolments)

    percents: dict[tuple[int, int], list[Decimal]] = defaultdict(list)  # (assignment, section) → percents
    category_points: dict[tuple[str, int], list[Decimal]] = defaultdict(list)  # (category, section)
    for total in totals:
        weights: dict[str, Decimal] = defaultdict(lambda: ZERO)
        earned: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for result in total.results:
            if result.percent is None:
                continue
            percents[(result.assignment.id, total.section_id)].append(result.percent)
            if result.assignment.weight and weight_kind(result.assignment) == COUNTED:
                weights[result.assignment.category] += result.assignment.weight
                earned[result.assignment.category] += result.assignment.weight * result.percent / HUNDRED
        for category, weight in weights.items():
            category_points[(category, total.section_id)].append(earned[category] * HUNDRED / weight)

    timelines = _timelines(course, [e.user_id for e in enrolments])
    assignments = [
        AssignmentStatistics(
            assignment=a,
            distributions=[Distribution(s, sorted(percents.get((a.id, s.id), []))) for s in sections],
            timeline=timelines.get(a.id, dict.fromkeys((key for key, _, _ in TIMELINE), 0)),
        )
        for a in scheme.assignments
    ]
    labels = dict(Assignment.Category.choices)
    categories = []
    for category in sorted({c for c, _ in category_points}, key=list(labels).index):
        average = CategoryAverage(category, labels[category])
        for s in sections:
            values = category_points.get((category, s.id))
            average.by_section[s.id] = two_places(Decimal(mean(values))) if values else None
        categories.append(average)
    return CourseStatistics(course, sections, assignments, categories, students=len(enrolments))


def _timelines(course: Course, student_ids: list[int]) -> dict[int, dict[str, int]]:
    """assignment id → how many enrolled students' work came in each way (one query)."""
    keys = {outcome: key for key, _, outcomes in TIMELINE for outcome in outcomes}
    nothing_handed_in = Q(last_submitted_at__isnull=True)
    rows = (
        EffectiveDeadline.objects.filter(assignment__course=course, student_id__in=student_ids)
        .values("assignment_id", "outcome")
        .annotate(
            n=Count("id"),
            closed_empty=Count("id", filter=nothing_handed_in & Q(closes_at__lt=timezone.now())),
        )
    )
    result: dict[int, dict[str, int]] = {}
    for row in rows:
        counts = result.setdefault(row["assignment_id"], dict.fromkeys((key for key, _, _ in TIMELINE), 0))
        if row["outcome"] == Outcome.PENDING:
            # Closed with nothing handed in, before the closing task recorded it: missing (as totals say).
            counts["missing"] += row["closed_empty"]
            counts["open"] += row["n"] - row["closed_empty"]
        else:
            counts[keys[row["outcome"]]] += row["n"]
    return result
