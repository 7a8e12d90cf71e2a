"""Section-aware assignment percentages and course totals — the one place these rules live.

- A question is required, extra credit or not applicable per section (default: required). Extra credit
  adds to what a student earned without adding to what they could earn; required counts in both.
- Late outcomes come from the deadline engine: "missing" (nothing in the window) counts 0; a per-day
  penalty (courses using that policy) scales the score.
- Totals come from assignment weights (percent of the course); bonus assignments add up to their weight.
"""

import queue
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from courses.models import Assignment, Course, EffectiveDeadline, Enrolment
from courses.selectors.deadlines import deadline_rows_refresh_any, deadline_rows_stale
from courses.selectors.setup import BONUS, COUNTED, weight_kind
from grading.models import Question, QuestionRequirement, QuestionScore

ZERO = Decimal(0)
HUNDRED = Decimal(100)
Requirement = QuestionRequirement.Requirement
MISSING, PENDING = EffectiveDeadline.Outcome.MISSING.value, EffectiveDeadline.Outcome.PENDING.value


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

    @property
    def ids(self) -> list[int]:
        return [a.id for a in self.assignments]

    def plan(self, section_id: int | None) -> tuple[tuple, ...]:
        """Per assignment, in order: (assignment, id, possible points, ids of the questions that count or
        None when it has none, a zero per counted id, weight, weight kind, category). The same for every
        student of a section: worked out once per section, not once per student (a 50,000-student export)."""
        plan = self._per_section.get(section_id)
        if plan is None:
            rows = []
            for assignment in self.assignments:
                questions = self.questions.get(assignment.id)
                counted = tuple(counted_question_ids(questions, section_id)) if questions else None
                rows.append(
                    (
                        assignment,
                        assignment.id,
                        possible_points(questions, section_id, assignment.points),
                        counted,
                        (ZERO,) * len(counted) if counted is not None else None,
                        assignment.weight,
                        weight_kind(assignment),  # the setup page's weights by category count the same way
                        assignment.category,
                    )
                )
            plan = self._per_section[section_id] = tuple(rows)
        return plan


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
        return score_points(self.percent, self.assignment.points)


def score_points(percent: Decimal | None, points: Decimal) -> Decimal | None:
    return None if percent is None else percent * points / HUNDRED


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


NO_OUTCOME = ("", ZERO)


def student_figures(
    scheme: CourseScheme,
    section_id: int,
    scores: dict[int, Decimal],
    graded,
    outcomes: dict[int, tuple[str, Decimal]],
) -> tuple[list[tuple], dict[str, Decimal], Decimal, Decimal, Decimal]:
    """The totals rule, on plain values. `scores`: question id → score over all the student's graded
    assignments (question ids are unique across a course); `graded`: assignment id → that assignment's
    own {question id → score}, for the assignments with at least one score (only an assignment without
    questions reads it: its scores all count); `outcomes`: assignment id → (late outcome, penalty
    percent), see late_outcome().

    Returns ([(earned, possible, late outcome, penalty, percent) per assignment, in the scheme's order],
    category totals, bonus (capped), total, graded weight). StudentTotal and AssignmentResult are built
    from it, and the Canvas export reads it directly: every surface computes the same numbers."""
    results = []
    category_totals: dict[str, Decimal] = {}
    bonus = graded_weight = ZERO
    for _, aid, possible, counted, zeros, weight, kind, category in scheme.plan(section_id):
        late, penalty = outcomes.get(aid, NO_OUTCOME)
        earned = None
        if aid in graded:
            if counted is None:  # an assignment without questions
                earned = sum(graded[aid].values(), ZERO)
            else:  # scores.get(qid, ZERO) for each counted question
                earned = sum(map(scores.get, counted, zeros), ZERO)
        if late == MISSING:
            percent = ZERO  # nothing inside the window: 0, whatever was entered
        elif earned is None or not possible:
            percent = None
        else:
            percent = earned * HUNDRED / possible * (HUNDRED - penalty) / HUNDRED
        results.append((earned, possible, late, penalty, percent))
        if percent is None or not weight:
            continue
        weighted = weight * percent / HUNDRED
        if kind == BONUS:
            bonus += min(weight, weighted)
        elif kind == COUNTED:
            category_totals[category] = category_totals.get(category, ZERO) + weighted
            graded_weight += weight
    bonus = min(bonus, scheme.course.bonus_cap_percent)  # all bonus work together, capped
    return results, category_totals, bonus, sum(category_totals.values(), ZERO) + bonus, graded_weight


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
    flat: dict[int, Decimal] = {}
    for by_question in scores.values():
        flat.update(by_question)
    return _student_total(scheme, student_id, section_id, flat, scores, outcomes)


def _student_total(scheme, student_id, section_id, scores, graded, outcomes) -> StudentTotal:
    results, category_totals, bonus, total, graded_weight = student_figures(
        scheme, section_id, scores, graded, outcomes
    )
    return StudentTotal(
        student_id=student_id,
        section_id=section_id,
        results=[AssignmentResult(a, *r) for a, r in zip(scheme.assignments, results, strict=True)],
        category_totals=category_totals,
        bonus=bonus,
        total=total,
        graded_weight=graded_weight,
    )


def late_outcome(outcome: str, passed_without_work: bool) -> str:
    """The deadline engine's outcome; a window that has passed with nothing submitted is missing even
    before the closing task has recorded it."""
    return MISSING if outcome == PENDING and passed_without_work else outcome


def totals_for_students(
    scheme: CourseScheme, enrolments: Iterable[Enrolment], *, released_only: bool = False
) -> list[StudentTotal]:
    """Totals for a batch of students: three queries for the batch, whatever its size."""
    enrolments = list(enrolments)
    student_ids = [e.user_id for e in enrolments]
    grade_filter = {"grade__student_id__in": student_ids, "grade__assignment__course": scheme.course}
    if released_only:
        grade_filter["grade__released_at__isnull"] = False
    scores: dict[int, dict[int, Decimal]] = defaultdict(dict)  # student → question → score
    graded: dict[int, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for student_id, assignment_id, question_id, score in QuestionScore.objects.filter(
        **grade_filter
    ).values_list("grade__student_id", "grade__assignment_id", "question_id", "score"):
        scores[student_id][question_id] = graded[student_id][assignment_id][question_id] = score
    outcomes: dict[int, dict[int, tuple[str, Decimal]]] = defaultdict(dict)
    now = timezone.now()
    # "Closed with nothing submitted" is asked of PostgreSQL as a yes/no rather than by reading two
    # timestamps per row: a large class has a million of them, and parsing them was most of an export.
    passed_unsubmitted = ExpressionWrapper(
        Q(last_submitted_at__isnull=True, closes_at__lt=now), output_field=BooleanField()
    )
    stored = EffectiveDeadline.objects.filter(student_id__in=student_ids, assignment__course=scheme.course)
    keys = []
    for student_id, assignment_id, outcome, penalty, passed_without_work, key, used in stored.annotate(
        passed_without_work=passed_unsubmitted
    ).values_list(
        "student_id",
        "assignment_id",
        "outcome",
        "penalty_percent",
        "passed_without_work",
        "inputs_key",
        "late_days_used",
    ):
        outcomes[student_id][assignment_id] = (late_outcome(outcome, passed_without_work), penalty)
        keys.append((student_id, assignment_id, key, used))
    # A row stored from inputs that changed since (an extension or a new due time whose recompute still
    # waits in the outbox) counts with the window and outcome the rules give today, as the student's own
    # deadline list shows it: never "missing" for a window that is open again.
    stale = deadline_rows_stale(scheme.course, scheme.assignments, keys)
    if stale:
        rows = [
            row
            for row in stored.filter(
                student_id__in={s for s, _ in stale}, assignment_id__in={a for _, a in stale}
            ).select_related("assignment__course")
            if (row.student_id, row.assignment_id) in stale
        ]
        for row in deadline_rows_refresh_any(rows, now):
            passed = row.last_submitted_at is None and row.closes_at < now
            outcomes[row.student_id][row.assignment_id] = (
                late_outcome(row.outcome, passed),
                row.penalty_percent,
            )
    return [
        _student_total(
            scheme,
            e.user_id,
            e.section_id,
            scores.get(e.user_id, {}),
            graded.get(e.user_id, {}),
            outcomes.get(e.user_id, {}),
        )
        for e in enrolments
    ]


# The export's read: one row per enrolled student, in the export's order, carrying the student's scores
# and deadline outcomes as arrays, read through one server-side cursor chunk by chunk. Only raw values come
# back; the rule above computes every number. The arrays are gathered per student (LATERAL, through the
# student indexes) as the rows are fetched, rather than for the whole class before the first row: only the
# roster is sorted up front (in its own subquery, which the planner keeps below the per-student reads and
# whose order the outer ORDER BY reuses), so PostgreSQL works on the next chunk while Python totals this one.
STREAM_WORK_MEM = "64MB"
PREFETCH_CHUNKS = 1  # chunks read ahead of the one being totalled: memory stays one chunk's, a few times
_STREAM_SQL = """
SELECT {outer}, r.section_id, sc.qids, sc.scores, d.aids, d.outcomes, d.penalties, d.passed
FROM (
    SELECT {columns}, e.section_id, e.user_id,
           u.last_name AS k1, u.first_name AS k2, u.username AS k3, e.id AS k4
    FROM courses_enrolment e
    JOIN courses_section s ON s.id = e.section_id
    JOIN courses_user u ON u.id = e.user_id
    WHERE s.course_id = %(course)s AND e.status = %(enrolled)s
    ORDER BY k1, k2, k3, k4
) r
LEFT JOIN LATERAL (
    SELECT array_agg(qs.question_id) AS qids, array_agg((qs.score * {score_scale})::bigint) AS scores
    FROM grading_grade g JOIN grading_questionscore qs ON qs.grade_id = g.id
    WHERE g.student_id = r.user_id AND g.assignment_id = ANY(%(assignments)s)
) sc ON true
LEFT JOIN LATERAL (
    SELECT array_agg(assignment_id) AS aids, array_agg(outcome) AS outcomes,
           array_agg((penalty_percent * {penalty_scale})::bigint) AS penalties,
           array_agg(last_submitted_at IS NULL AND closes_at < %(now)s) AS passed
    FROM courses_effectivedeadline
    WHERE student_id = r.user_id AND assignment_id = ANY(%(assignments)s)
) d ON true
ORDER BY r.k1, r.k2, r.k3, r.k4
"""


def _read_chunks(connection, sql: str, params: dict, size: int) -> Iterator[list[tuple]]:
    """The query's rows, `size` at a time, through a server-side cursor on `connection`, which must be in
    a transaction: a cursor outside one is WITH HOLD, which PostgreSQL runs to the end before the first
    row. With room to sort the roster in memory and without JIT compilation (which costs more than it
    saves here), both for as long as the cursor is read (PostgreSQL runs the query as it is fetched); then
    the session's settings back."""
    with connection.cursor() as session:
        session.execute(
            "SELECT set_config('work_mem', %s, false), set_config('jit', 'off', false)", [STREAM_WORK_MEM]
        )
    try:
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(size):
                yield rows
    finally:
        if connection.is_usable():
            with connection.cursor() as session:
                session.execute("RESET work_mem; RESET jit")


# The tables the stream reads, and how far their writes may run ahead of PostgreSQL's statistics before an
# export analyses them itself (autovacuum's default threshold).
_STREAM_TABLES = [
    "courses_enrolment",
    "courses_section",
    "courses_user",
    "grading_grade",
    "grading_questionscore",
    "courses_effectivedeadline",
]
_STALE_STATISTICS = 0.1
_STALE_STATISTICS_SQL = """
SELECT t.relname FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
WHERE t.relname = ANY(%(tables)s) AND (
    NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = t.schemaname AND s.tablename = t.relname)
    OR t.n_mod_since_analyze > %(share)s * GREATEST(t.n_live_tup, 1000)
    OR pg_relation_size(c.oid) / current_setting('block_size')::int > (1 + %(share)s) * c.relpages + 8
)
"""


def _statistics_fresh(connection) -> list[str]:
    """ANALYZE those of the stream's tables that have no column statistics (`pg_stats`) yet, or whose
    writes since the last ANALYZE pass a tenth of their rows or grew them by a tenth (pages on disk, which
    also counts rows this transaction wrote), as autovacuum would a minute or so later. Without them
    PostgreSQL plans each student's reads as scans of whole tables: a class whose roster or grades were
    just bulk-imported exported in quadratic time (2,000 students: 13 s, against 0.3 s once analysed).
    Returns the tables analysed."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(_STALE_STATISTICS_SQL, {"tables": _STREAM_TABLES, "share": _STALE_STATISTICS})
        stale = sorted(name for (name,) in cursor.fetchall())
        for name in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return stale


_END = object()


def _read_ahead(sql: str, params: dict, size: int) -> Iterator[list[tuple]]:
    """_read_chunks() on a connection of its own, in a thread that stays up to PREFETCH_CHUNKS chunks
    ahead: the thread waits for PostgreSQL with the GIL released while the caller works on the chunk it
    has. Its own transaction (on its own connection) leaves the caller's connection in autocommit, so the
    caller's progress writes are seen at once (the heartbeat). Stopping early (a job taken over, an error)
    stops the thread and closes its connection before returning."""
    ahead: queue.Queue = queue.Queue(maxsize=PREFETCH_CHUNKS)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        from django.db import connection, connections

        try:
            with transaction.atomic():
                for rows in _read_chunks(connection, sql, params, size):
                    if not hand_over(rows):
                        return
            hand_over(_END)
        except BaseException as exc:  # handed to the caller, which raises it
            hand_over(exc)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=read, name="figures-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


class _FixedPoint(dict):
    """Whole units of 10**-places → the Decimal with `places` decimal places (as a numeric column reads)."""

    def __init__(self, places: int):
        super().__init__()
        self.exponent = -places

    def __missing__(self, units: int) -> Decimal:
        if len(self) >= 65536:
            self.clear()  # bounded whatever the scores
        value = self[units] = Decimal(units).scaleb(self.exponent)
        return value


def figures_stream(scheme: CourseScheme, *, columns: list[str], chunk_size: int) -> Iterator[list[tuple]]:
    """The enrolled students of the course (ordered by last name, first name, username), `chunk_size` at a
    time: per student (the values of `columns`, SQL over the user `u` and the section `s`; then
    student_figures()'s result). One query through a server-side cursor, read a chunk ahead by a thread of
    its own (_read_ahead) when the caller is not in a transaction, as a worker's run is not; memory is a few
    chunks'."""
    from django.db import connection

    # Which assignments a student's scores are on, from their questions: scores are entered per question
    # of the grade's own assignment (grading.services.grades), so an assignment without questions has none.
    assignment_of = {q.id: aid for aid, questions in scheme.questions.items() for q in questions}.get
    params = {
        "assignments": scheme.ids,
        "now": timezone.now(),
        "course": scheme.course.pk,
        "enrolled": Enrolment.Status.ENROLLED,
    }
    width = len(columns)
    # Scores and penalties come as whole hundredths (integers parse faster than numerics) and turn back
    # into the very Decimals the columns hold (same value, same two places), each distinct one made once.
    score_of = _FixedPoint(QuestionScore._meta.get_field("score").decimal_places).__getitem__
    penalty_of = _FixedPoint(EffectiveDeadline._meta.get_field("penalty_percent").decimal_places).__getitem__
    sql = _STREAM_SQL.format(
        columns=", ".join(f"{column} AS c{i}" for i, column in enumerate(columns)),
        outer=", ".join(f"r.c{i}" for i in range(width)),
        score_scale=10 ** QuestionScore._meta.get_field("score").decimal_places,
        penalty_scale=10 ** EffectiveDeadline._meta.get_field("penalty_percent").decimal_places,
    )
    _statistics_fresh(connection)
    if connection.in_atomic_block:  # the caller's transaction (a test's): its rows, on its connection
        chunks = _read_chunks(connection, sql, params, chunk_size)
    else:
        chunks = _read_ahead(sql, params, chunk_size)
    try:
        for rows in chunks:
            chunk = []
            for row in rows:
                section_id, qids, values, aids, outcomes, penalties, passed = row[width:]
                if qids is None:
                    scores = graded = {}
                else:  # `graded`'s values are read only for an assignment without questions: none here
                    scores = dict(zip(qids, map(score_of, values), strict=True))
                    graded = dict.fromkeys(map(assignment_of, qids))
                if aids is None:
                    late = {}
                else:
                    penalties = list(map(penalty_of, penalties))
                    late = dict(zip(aids, zip(outcomes, penalties, strict=True), strict=True))
                    if True in passed:  # windows that passed with nothing submitted
                        for aid, outcome, penalty, gone in zip(
                            aids, outcomes, penalties, passed, strict=True
                        ):
                            if gone:
                                late[aid] = (late_outcome(outcome, gone), penalty)
                chunk.append((row[:width], student_figures(scheme, section_id, scores, graded, late)))
            yield chunk
    finally:
        chunks.close()  # a caller that stops early (a job taken over) stops the reading


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
