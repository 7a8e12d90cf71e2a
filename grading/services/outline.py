"""An assignment's outline: its questions (label, title, points, position) and how each counts per section.

Only the course's instructors change it. Scores and their history are never touched: a change that would
leave a score above its question's points, or a question's scores without their question, is refused.
Totals are computed on read (grading.totals), so nothing stored needs recomputing.
"""

from decimal import Decimal

from django.db import transaction

from courses import access as course_access
from courses.models import Assignment, AuditEvent, Section
from courses.services.audit import audit_record
from grading import access
from grading.models import GradeChange, Question, QuestionRequirement, QuestionScore
from grading.scores import ScoreError, score_parse
from portal.errors import Conflict, PortalError

Action = AuditEvent.Action

Requirement = QuestionRequirement.Requirement
LABEL_MAX = Question._meta.get_field("label").max_length
TITLE_MAX = Question._meta.get_field("title").max_length


def _clean_label(assignment: Assignment, label: str, *, exclude_id: int | None = None) -> str:
    label = (label or "").strip()
    if not label:
        raise PortalError("Give the question a label such as Q1 or 2b.", fields={"label": "Required."})
    if len(label) > LABEL_MAX:
        raise PortalError(
            f"A label has at most {LABEL_MAX} characters.",
            fields={"label": f"At most {LABEL_MAX} characters."},
        )
    # Imports match columns to labels without regard to case, so Q1 and q1 would be the same question there.
    taken = Question.objects.filter(assignment=assignment, label__iexact=label)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise PortalError(
            f"{assignment.code} already has a question labelled {label!r}; choose another label.",
            code="label_taken",
            fields={"label": "Already used in this assignment."},
        )
    return label


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise PortalError(
            f"A title has at most {TITLE_MAX} characters.",
            fields={"title": f"At most {TITLE_MAX} characters."},
        )
    return title


def _clean_points(points) -> Decimal:
    try:
        value = score_parse(points)
    except ScoreError as exc:
        raise PortalError(f"Points: {exc}", fields={"points": str(exc)}) from None
    if value <= 0:
        raise PortalError(
            "A question is worth more than 0 points.", fields={"points": "Give a number above 0, such as 10."}
        )
    return value


def _clean_requirements(assignment: Assignment, requirements: dict | None) -> dict[int, str]:
    """{section id: requirement} from {"<section id>": "required" | "extra_credit" | "not_applicable"}."""
    if not requirements:
        return {}
    sections = set(Section.objects.filter(course_id=assignment.course_id).values_list("id", flat=True))
    choices = ", ".join(Requirement.values)
    clean: dict[int, str] = {}
    errors: dict[str, str] = {}
    for key, value in requirements.items():
        field = f"requirements.{key}"
        try:
            section_id = int(str(key))
        except ValueError:
            errors[field] = "Not a section id."
            continue
        if section_id not in sections:
            errors[field] = f"Not a section of {assignment.course.code}."
        elif value not in Requirement.values:
            errors[field] = f"One of {choices}."
        else:
            clean[section_id] = value
    if errors:
        field, message = next(iter(errors.items()))
        raise PortalError(f"{field}: {message}", fields=errors)
    return clean


def _set_requirements(question: Question, requirements: dict[int, str]) -> None:
    for section_id, requirement in requirements.items():
        QuestionRequirement.objects.update_or_create(
            question=question, section_id=section_id, defaults={"requirement": requirement}
        )


def _ordered(assignment: Assignment) -> list[Question]:
    return list(
        Question.objects.select_for_update().filter(assignment=assignment).order_by("position", "label", "id")
    )


def _place(questions: list[Question], question: Question, position: int | None) -> None:
    """Put `question` at 1-based `position` (None or past the end: last) and number the outline 1..n."""
    rest = [q for q in questions if q.pk != question.pk]
    index = len(rest) if position is None else max(0, min(position - 1, len(rest)))
    rest.insert(index, question)
    for number, q in enumerate(rest, start=1):
        if q.position != number:
            Question.objects.filter(pk=q.pk).update(position=number)
            q.position = number


def _target(question: Question) -> str:
    return f"{question.assignment.code} {question.label}"


@transaction.atomic
def question_create(
    *,
    acting_user,
    assignment_id: int,
    label: str,
    points,
    title: str = "",
    position: int | None = None,
    requirements: dict | None = None,
) -> Question:
    """Add a question (last, or at `position`); sections not named in `requirements` count it as required."""
    assignment = course_access.access_assignment_as_instructor(acting_user, assignment_id)
    Assignment.objects.select_for_update().filter(pk=assignment.pk).first()  # one outline change at a time
    clean_label = _clean_label(assignment, label)
    clean_title = _clean_title(title)
    clean_points = _clean_points(points)
    clean_requirements = _clean_requirements(assignment, requirements)
    questions = _ordered(assignment)
    question = Question.objects.create(
        assignment=assignment, label=clean_label, title=clean_title, points=clean_points, position=0
    )
    _place(questions, question, position)
    _set_requirements(question, clean_requirements)
    audit_record(
        actor=acting_user,
        course=assignment.course,
        action=Action.QUESTION_CREATE,
        target=_target(question),
        points=str(clean_points),
        position=question.position,
        requirements={str(k): v for k, v in clean_requirements.items()},
    )
    return question


@transaction.atomic
def question_update(
    *,
    acting_user,
    question_id: int,
    label: str | None = None,
    title: str | None = None,
    points=None,
    position: int | None = None,
    requirements: dict | None = None,
) -> Question:
    """Change what is given (None: unchanged). Lowering points below a score already entered is refused."""
    question = access.access_question_as_instructor(acting_user, question_id)
    assignment = question.assignment
    Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    question = Question.objects.select_for_update().select_related("assignment__course").get(pk=question.pk)
    changes: dict[str, list] = {}
    if label is not None:
        new = _clean_label(assignment, label, exclude_id=question.pk)
        if new != question.label:
            changes["label"] = [question.label, new]
            question.label = new
    if title is not None:
        new = _clean_title(title)
        if new != question.title:
            changes["title"] = [question.title, new]
            question.title = new
    if points is not None:
        new = _clean_points(points)
        if new != question.points:
            above = QuestionScore.objects.filter(question=question, score__gt=new).count()
            if above:
                raise PortalError(
                    f"{question.label} cannot be worth {new} points: {above} "
                    f"score{'s are' if above != 1 else ' is'} above {new}. Change those scores first "
                    "(each change is kept in the grade's history), or keep the points.",
                    code="scores_above_points",
                    fields={"points": f"{above} score{'s' if above != 1 else ''} above {new}."},
                )
            changes["points"] = [str(question.points), str(new)]
            question.points = new
    clean_requirements = _clean_requirements(assignment, requirements)
    question.save(update_fields=["label", "title", "points"])
    if position is not None:
        questions = _ordered(assignment)
        old = next(i for i, q in enumerate(questions, start=1) if q.pk == question.pk)
        _place(questions, question, position)
        if question.position != old:
            changes["position"] = [old, question.position]
    if clean_requirements:
        current = dict(
            QuestionRequirement.objects.filter(question=question).values_list("section_id", "requirement")
        )
        changed = {
            str(sid): [current.get(sid, Requirement.REQUIRED), req]
            for sid, req in clean_requirements.items()
            if current.get(sid, Requirement.REQUIRED) != req
        }
        _set_requirements(question, clean_requirements)
        if changed:
            changes["requirements"] = changed
    if changes:
        audit_record(
            actor=acting_user,
            course=assignment.course,
            action=Action.QUESTION_UPDATE,
            target=_target(question),
            changes=changes,
        )
    return question


@transaction.atomic
def questions_reorder(*, acting_user, assignment_id: int, order: list[int]) -> list[Question]:
    """Put the assignment's questions in the given order (every question id, once)."""
    assignment = course_access.access_assignment_as_instructor(acting_user, assignment_id)
    Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    questions = _ordered(assignment)
    by_id = {q.pk: q for q in questions}
    if sorted(order) != sorted(by_id):
        raise PortalError(
            f"List every question of {assignment.code} once, in the new order.",
            fields={"order": "Every question id of the assignment, once."},
        )
    before = [q.label for q in questions]
    for number, question_id in enumerate(order, start=1):
        if by_id[question_id].position != number:
            Question.objects.filter(pk=question_id).update(position=number)
            by_id[question_id].position = number
    after = [by_id[qid].label for qid in order]
    if after != before:
        audit_record(
            actor=acting_user,
            course=assignment.course,
            action=Action.QUESTION_REORDER,
            target=assignment.code,
            old=before,
            new=after,
        )
    return [by_id[qid] for qid in order]


@transaction.atomic
def question_delete(*, acting_user, question_id: int) -> None:
    """Delete a question that has no scores; one with scores is refused (they and their history stay)."""
    question = access.access_question_as_instructor(acting_user, question_id)
    assignment = question.assignment
    Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    scores = QuestionScore.objects.filter(question=question).count()
    if scores or GradeChange.objects.filter(question=question).exists():
        raise Conflict(
            f"{question.label} has {scores} score{'s' if scores != 1 else ''} entered, so it cannot be deleted: "
            "scores and their history are kept. Mark it not applicable for a section instead, or keep it.",
            code="question_has_scores",
        )
    target = _target(question)
    points = str(question.points)
    question.delete()
    _renumber(assignment)
    audit_record(
        actor=acting_user,
        course=assignment.course,
        action=Action.QUESTION_DELETE,
        target=target,
        points=points,
    )


def _renumber(assignment: Assignment) -> None:
    for number, q in enumerate(_ordered(assignment), start=1):
        if q.position != number:
            Question.objects.filter(pk=q.pk).update(position=number)
