"""Reads for course setup: terms, a course's staff, and its weights by category."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from courses.models import Assignment, Course, StaffRole, Term

HUNDRED = Decimal(100)


def terms() -> QuerySet[Term]:
    return Term.objects.order_by("-starts_on", "name")


def staff_for_course(course: Course) -> QuerySet[StaffRole]:
    """Instructors first, then TAs; by surname."""
    return (
        StaffRole.objects.filter(course=course)
        .select_related("user", "section")
        .order_by("role", "user__last_name", "user__first_name", "user__username", "section__code")
    )


# ---- weights ------------------------------------------------------------------------------------------
# How an assignment's weight counts in a total (grading.totals reads it from here): bonus work adds on top,
# counted work is part of the 100%, the rest (e.g. PS0/HW0) counts nothing.
BONUS, COUNTED, NOT_COUNTED = "bonus", "counted", "not_counted"


def weight_kind(assignment: Assignment) -> str:
    if assignment.is_bonus:
        return BONUS
    return COUNTED if assignment.counts_toward_grade else NOT_COUNTED


@dataclass
class CategoryWeight:
    category: str
    label: str
    weight: Decimal = Decimal(0)
    assignments: list[Assignment] = field(default_factory=list)


@dataclass
class WeightSummary:
    categories: list[CategoryWeight]  # counted work, in the category order of Assignment.Category
    bonus: CategoryWeight
    not_counted: list[Assignment]
    counted_total: Decimal
    bonus_cap: Decimal

    @property
    def adds_up(self) -> bool:
        return self.counted_total == HUNDRED

    @property
    def bonus_over_cap(self) -> bool:
        return self.bonus.weight > self.bonus_cap


def weights_by_category(course: Course) -> WeightSummary:
    """The weight of each category (the sum of its assignments' weights), bonus work apart, and whether
    the counted weights add up to 100%."""
    labels = dict(Assignment.Category.choices)
    categories = {value: CategoryWeight(value, label) for value, label in Assignment.Category.choices}
    bonus = CategoryWeight("bonus", "Bonus")
    not_counted = []
    for assignment in Assignment.objects.filter(course=course).order_by("due_at", "code"):
        kind = weight_kind(assignment)
        if kind == NOT_COUNTED:
            not_counted.append(assignment)
            continue
        group = (
            bonus
            if kind == BONUS
            else categories.setdefault(
                assignment.category, CategoryWeight(assignment.category, labels.get(assignment.category, ""))
            )
        )
        group.weight += assignment.weight
        group.assignments.append(assignment)
    counted = [c for c in categories.values() if c.assignments]
    return WeightSummary(
        categories=counted,
        bonus=bonus,
        not_counted=not_counted,
        counted_total=sum((c.weight for c in counted), Decimal(0)),
        bonus_cap=course.bonus_cap_percent,
    )
