"""Exports at scale: 2,000 students x 10 assignments, written chunk by chunk (500 students a chunk).

The export's queries depend on the number of chunks, never on the number of students or grades:
queries(n) ≤ A + B x chunks(n). Its memory peak is that of one chunk, plus the file. The figures are
printed (run with -s to see them); DESIGN.md asks for figures, not timed assertions, so the only
time bound is a generous guard against a pathological slowdown.
"""

import math
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Assignment, Course, EffectiveDeadline, Enrolment, Section, StaffRole, User
from courses.windows import Policy, deadline_inputs_key, window_for
from grading.models import Grade, GradeExport, Question, QuestionRequirement, QuestionScore
from grading.services.exports import CHUNK, grade_export_run
from tests.factories import CourseFactory, SectionFactory, UserFactory, eastern
from tests.grading.exports.conftest import parse_csv

# Per chunk: the chunk's scores, its deadline outcomes and a progress update (canvas); the breakdown adds
# the readiness reads (preparation assignments, their questions, grades, scores) and the students'
# extensions (whether a stored row is current). Fixed: the scheme (assignments, requirements, questions),
# the claim, the count, the file and the final update, and first the check for stale stored deadlines
# (the course, its assignments, the rows not holding their class-wide key); the Canvas export also asks
# whether the tables it streams have planner statistics (the first export below gathers them).
A_FIXED = 19
B_PER_CHUNK = {"canvas": 4, "breakdown": 9}
ASSIGNMENTS = 10
QUESTIONS = (("Q1", 30), ("Q2", 30), ("Q3", 40))
HANG_GUARD_SECONDS = 300  # not a speed claim: only catches a pathological slowdown


def build_course(code: str, students: int) -> tuple[Course, User]:
    """A two-section course with `students` students, 10 assignments of 3 questions (Q3 extra credit for
    the undergraduates on homework), every student submitted and graded: bulk writes only."""
    course = CourseFactory(code=code)
    ug = SectionFactory(course=course, code=f"{code} UG", level=Section.Level.UNDERGRADUATE)
    gr = SectionFactory(course=course, code=f"{code} GR", level=Section.Level.GRADUATE)
    instructor = UserFactory(username=f"instructor-{code}")
    StaffRole.objects.create(user=instructor, course=course, role=StaffRole.Role.INSTRUCTOR)

    specs = [("PS0", "preparation", Decimal(0))]
    specs += [(f"PS{i}", "problem_set", Decimal(9)) for i in range(1, 5)]
    specs += [(f"HW{i}", "homework", Decimal(9)) for i in range(1, 5)]
    specs += [("PROJECT", "project", Decimal(28))]
    assert len(specs) == ASSIGNMENTS
    first_due = eastern(2023, 1, 15)
    assignments = Assignment.objects.bulk_create(
        Assignment(
            course=course,
            code=c,
            title=f"{c} title",
            category=cat,
            weight=weight,
            counts_toward_grade=cat != "preparation",
            grace_allowed=cat != "preparation",
            due_at=first_due + timedelta(weeks=i),
        )
        for i, (c, cat, weight) in enumerate(specs)
    )
    assignments = list(Assignment.objects.filter(course=course).order_by("due_at"))
    Question.objects.bulk_create(
        Question(assignment=a, label=label, points=points, position=p)
        for a in assignments
        for p, (label, points) in enumerate(QUESTIONS)
    )
    questions = list(Question.objects.filter(assignment__course=course).order_by("assignment_id", "position"))
    QuestionRequirement.objects.bulk_create(
        QuestionRequirement(question=q, section=ug, requirement=QuestionRequirement.Requirement.EXTRA_CREDIT)
        for q in questions
        if q.label == "Q3" and q.assignment.category == "homework"
    )

    User.objects.bulk_create(
        User(
            username=f"{code}-s{i:05d}",
            first_name=f"First{i}",
            last_name=f"Last{i % 97:02d}",
            email=f"{code}-s{i}@example.edu",
            sis_id=f"{code}-{i:07d}",
            password="!",
        )
        for i in range(students)
    )
    users = list(User.objects.filter(username__startswith=f"{code}-s").order_by("id"))
    now = timezone.now()
    Enrolment.objects.bulk_create(
        Enrolment(user=u, section=gr if i % 3 == 0 else ug, joined_at=now) for i, u in enumerate(users)
    )
    # Stored as the recompute stores them (the window and the inputs key from the rules), so the export
    # finds no stale row to recompute.
    policy = Policy.of(course)
    windows = {
        a.id: window_for(policy=policy, due_at=a.due_at, grace_allowed=a.grace_allowed) for a in assignments
    }
    keys = {
        a.id: deadline_inputs_key(
            policy=policy, due_at=a.due_at, grace_allowed=a.grace_allowed, extension_due_at=None
        )
        for a in assignments
    }
    EffectiveDeadline.objects.bulk_create(
        (
            EffectiveDeadline(
                student=u,
                assignment=a,
                due_at=windows[a.id].due_at,
                grace_ends_at=windows[a.id].grace_ends_at,
                closes_at=windows[a.id].closes_at,
                last_submitted_at=a.due_at - timedelta(hours=1),
                outcome=EffectiveDeadline.Outcome.SUBMITTED,
                closed_at=windows[a.id].closes_at,
                computed_at=now,
                inputs_key=keys[a.id],
            )
            for u in users
            for a in assignments
        ),
        batch_size=5000,
    )
    Grade.objects.bulk_create(
        (Grade(student=u, assignment=a) for u in users for a in assignments), batch_size=5000
    )
    by_assignment: dict[int, list[Question]] = {}
    for q in questions:
        by_assignment.setdefault(q.assignment_id, []).append(q)
    QuestionScore.objects.bulk_create(
        (
            QuestionScore(
                grade_id=grade_id, question=q, score=Decimal((student_id * 7 + q.id) % (q.points + 1))
            )
            for grade_id, student_id, assignment_id in Grade.objects.filter(
                assignment__course=course
            ).values_list("id", "student_id", "assignment_id")
            for q in by_assignment[assignment_id]
        ),
        batch_size=5000,
    )
    return course, instructor


def planner_rows(table: str) -> float:
    """PostgreSQL's estimate of a table's rows (pg_class.reltuples: -1 before any ANALYZE), as this
    transaction sees it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def new_export(course: Course, instructor: User, fmt: str) -> GradeExport:
    return GradeExport.objects.create(
        course=course, format=fmt, requested_by=instructor, created_at=timezone.now()
    )


def counted_run(course: Course, instructor: User, fmt: str) -> tuple[int, float, GradeExport]:
    export = new_export(course, instructor, fmt)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        assert grade_export_run(export_id=export.id) == "done"
        elapsed = time.perf_counter() - started
    export.refresh_from_db()
    return len(queries.captured_queries), elapsed, export


def peak_memory(course: Course, instructor: User, fmt: str) -> int:
    export = new_export(course, instructor, fmt)
    tracemalloc.start()
    try:
        assert grade_export_run(export_id=export.id) == "done"
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_export_queries_and_memory_depend_on_chunks_not_students():
    """One build (2,200 students, bulk writes) serves both measurements."""
    started = time.perf_counter()
    small, small_instructor = build_course("SMALL", 200)
    large, large_instructor = build_course("LARGE", 2000)
    print(f"\nbuilt 2,200 students x {ASSIGNMENTS} assignments in {time.perf_counter() - started:.1f} s")

    # The classes were just bulk-loaded: PostgreSQL has no statistics of these rows yet. The Canvas export
    # gives it some first, or it plans each student's reads as whole-table scans (quadratic: 13 s here).
    scores = QuestionScore.objects.count()
    assert planner_rows("grading_questionscore") < scores / 2
    counted_run(small, small_instructor, "canvas")
    assert planner_rows("grading_questionscore") > scores / 2

    # Queries: a fixed part plus a few per chunk of 500, whatever the number of students.
    chunks = {200: math.ceil(200 / CHUNK), 2000: math.ceil(2000 / CHUNK)}
    assert (chunks[200], chunks[2000]) == (1, 4)
    for fmt in ("canvas", "breakdown"):
        q_small, t_small, e_small = counted_run(small, small_instructor, fmt)
        q_large, t_large, e_large = counted_run(large, large_instructor, fmt)
        per_chunk = (q_large - q_small) / (chunks[2000] - chunks[200])
        print(
            f"{fmt:9}: 200 students {q_small} queries in {t_small:.2f} s; 2,000 students {q_large} queries "
            f"in {t_large:.2f} s; {per_chunk:.1f} queries per chunk of {CHUNK}; "
            f"{2000 * ASSIGNMENTS / t_large:,.0f} student-assignments/s"
        )
        assert q_small <= A_FIXED + B_PER_CHUNK[fmt] * chunks[200]
        assert q_large <= A_FIXED + B_PER_CHUNK[fmt] * chunks[2000]
        assert per_chunk <= B_PER_CHUNK[fmt]
        assert t_large < HANG_GUARD_SECONDS
        for export, n in ((e_small, 200), (e_large, 2000)):
            assert (export.status, export.progress, export.rows_done, export.rows_total) == (
                "done",
                100,
                n,
                n,
            )
            with export.file.open("rb") as f:
                rows = parse_csv(f.read())
            header_rows = 2 if fmt == "canvas" else 1
            assert len(rows) == header_rows + n
            assert len({len(r) for r in rows}) == 1  # every row as wide as the header

    # Memory: ten times the students cost about one chunk's worth more, not ten times as much
    # (2,000 students are 4 chunks of 500; 200 students are 1 chunk of 200).
    small_peak = peak_memory(small, small_instructor, "canvas")
    large_peak = peak_memory(large, large_instructor, "canvas")
    ratio = large_peak / small_peak
    print(
        f"peak traced memory: 200 students {small_peak / 1e6:.1f} MB, 2,000 students "
        f"{large_peak / 1e6:.1f} MB (x {ratio:.2f} for x 10 students)"
    )
    assert ratio < 5
