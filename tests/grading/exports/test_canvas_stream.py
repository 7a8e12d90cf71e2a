"""The Canvas export reads the class as one stream of plain values (issue 15): no model instance per
student, one query for all the students (the queries per chunk are only the progress beats), and the
same numbers as grading.totals gives every other surface: late outcomes, a penalty, extra credit, a
student with nothing graded, the bonus.

The class is the `graded` fixture's (tests/grading/exports/conftest.py), with a penalty policy and a
fourth student who has nothing graded."""

import threading
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Course, EffectiveDeadline, Enrolment, User
from grading.models import Grade, GradeExport, QuestionScore
from grading.services import exports
from grading.services.exports import grade_export_run
from grading.totals import CourseScheme, totals_for_students, two_places
from tests.factories import EnrolmentFactory, UserFactory
from tests.grading.exports.conftest import enter, parse_csv, submit


@pytest.fixture
def late_class(graded, api):
    """gr1 resubmits HW1 1½ days late in a course that takes 10 % a day off (20 % off); ug2's HW1 window
    passed with nothing submitted (pending: the closing task has not run); nobody graded ug3."""
    w = graded.world
    Course.objects.filter(pk=w.course.pk).update(
        late_policy=Course.LatePolicy.PENALTY, penalty_percent_per_day=10, penalty_floor_percent=50
    )
    w.recompute()
    submit(api, w.gr1, graded.hw1, when=graded.hw1.due_at + timedelta(days=1, hours=12))
    enter(api, w.ta, graded.hw1, w.gr1, {"Q1": 29, "Q2": 23.5, "Q3": 31, "Q4": 7}, "resubmitted")
    ug3 = EnrolmentFactory(
        user=UserFactory(username="ug3", first_name="Barbara", last_name="Liskov"), section=w.ug_section
    ).user
    w.recompute()
    assert EffectiveDeadline.objects.get(student=w.gr1, assignment=graded.hw1).penalty_percent == 20
    assert EffectiveDeadline.objects.get(student=w.ug2, assignment=graded.hw1).outcome == "pending"
    return graded, ug3


def run_canvas(course, user) -> GradeExport:
    export = GradeExport.objects.create(
        course=course, format=GradeExport.Format.CANVAS, requested_by=user, created_at=timezone.now()
    )
    assert grade_export_run(export_id=export.id) == GradeExport.Status.DONE
    export.refresh_from_db()
    return export


def rows_of(export: GradeExport) -> dict[str, list[str]]:
    with export.file.open("rb") as f:
        rows = parse_csv(f.read())
    return {row[3]: row for row in rows[2:]}  # by SIS Login ID, after the header and Points Possible


def money(value) -> str:
    return "" if value is None else f"{two_places(value):.2f}"


def test_the_canvas_export_has_the_totals_numbers_in_every_case(late_class):
    graded, _ = late_class
    w = graded.world
    scheme = CourseScheme.load(w.course)
    enrolments = Enrolment.objects.filter(section__course=w.course).select_related("user")
    expected = {
        e.user.username: [money(r.score_points) for r in t.results] + [money(t.total)]
        for e, t in zip(enrolments, totals_for_students(scheme, enrolments), strict=True)
    }

    rows = rows_of(run_canvas(w.course, w.instructor))

    assert {login: row[5:] for login, row in rows.items()} == expected
    column = {a.code: 5 + i for i, a in enumerate(scheme.assignments)}
    hw1, participation = column["HW1"], column["PARTICIPATION"]
    # gr1: 90.5 of 110 = 82.27 %, 20 % off = 65.82 % of 100 points; ug2 never submitted: missing, 0.
    # ug3: nothing graded; HW1's window passed without a submission (0), participation has no deadline.
    assert (rows["gr1"][hw1], rows["ug2"][hw1], rows["ug3"][hw1]) == ("65.82", "0.00", "0.00")
    assert (rows["gr1"][participation], rows["ug3"][participation]) == ("1.00", "")
    assert rows["ug3"][0] == "Liskov, Barbara" and rows["ug3"][-1] == "0.00"


def test_the_canvas_export_builds_no_model_instance_per_student(late_class):
    graded, _ = late_class
    w = graded.world
    made: list[str] = []

    def count(sender, **kwargs):
        if sender in (Enrolment, User, Grade, QuestionScore, EffectiveDeadline):
            made.append(sender.__name__)

    post_init.connect(count)
    try:
        rows = rows_of(run_canvas(w.course, w.instructor))
    finally:
        post_init.disconnect(count)

    assert len(rows) == 4
    assert made == []


def test_the_canvas_exports_queries_per_chunk_are_its_progress_beats(late_class, settings):
    """Four students: one chunk of 100, or four chunks of one. The extra queries are the three extra
    progress updates; the students, their scores and their deadlines come in one query either way."""
    graded, _ = late_class
    w = graded.world

    def queries(chunk_rows: int) -> int:
        settings.PORTAL_EXPORT_CHUNK_ROWS = chunk_rows
        with CaptureQueriesContext(connection) as captured:
            run_canvas(w.course, w.instructor)
        return len(captured.captured_queries)

    queries(100)  # the first export gives PostgreSQL statistics of the tables it streams
    assert queries(1) - queries(100) == 3


def test_a_class_of_decimal_scores_is_written_to_the_cent(late_class, api):
    """Scores with cents and thirds of a point: every cell is the totals' value rounded half up."""
    graded, ug3 = late_class
    w = graded.world
    submit(api, ug3, graded.ps1, when=graded.ps1.due_at - timedelta(hours=1))
    enter(api, w.ta, graded.ps1, ug3, {"Total": Decimal("66.67")})
    scheme = CourseScheme.load(w.course)
    enrolment = Enrolment.objects.filter(user=ug3).select_related("user")
    total = totals_for_students(scheme, enrolment)[0]

    row = rows_of(run_canvas(w.course, w.instructor))["ug3"]

    assert row[5:] == [money(r.score_points) for r in total.results] + [money(total.total)]
    assert row[5 + [a.id for a in scheme.assignments].index(graded.ps1.id)] == "66.67"


def reader_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "figures-read-ahead"]


def open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_run_as_the_worker_runs_it_the_class_is_read_ahead_on_a_connection_of_its_own(late_class):
    """Outside a transaction (a worker's run), the students are read by a thread on its own connection
    while the rows are written: the same numbers, and the thread and its connection gone afterwards."""
    graded, _ = late_class
    w = graded.world
    scheme = CourseScheme.load(w.course)
    enrolments = Enrolment.objects.filter(section__course=w.course).select_related("user")
    expected = {
        e.user.username: [money(r.score_points) for r in t.results] + [money(t.total)]
        for e, t in zip(enrolments, totals_for_students(scheme, enrolments), strict=True)
    }
    connections_before = open_connections()

    with CaptureQueriesContext(connection) as captured:
        rows = rows_of(run_canvas(w.course, w.instructor))

    assert {login: row[5:] for login, row in rows.items()} == expected
    assert not [q for q in captured.captured_queries if "LATERAL" in q["sql"]]  # read elsewhere
    assert reader_threads() == []
    assert open_connections() == connections_before


@pytest.mark.django_db(transaction=True)
def test_a_canvas_export_taken_over_half_way_stops_reading_and_stores_nothing(
    late_class, settings, monkeypatch
):
    """Another worker takes the job over after the first student: this run stops at its next beat, and
    its reading thread and that thread's connection stop with it."""
    graded, _ = late_class
    w = graded.world
    settings.PORTAL_EXPORT_CHUNK_ROWS = 1
    settings.PORTAL_EXPORT_CHUNK_DELAY_SECONDS = 0.01
    export = GradeExport.objects.create(
        course=w.course,
        format=GradeExport.Format.CANVAS,
        requested_by=w.instructor,
        created_at=timezone.now(),
    )

    def taken_over(_seconds):  # the delay after each chunk: another run claims the job meanwhile
        GradeExport.objects.filter(pk=export.pk).update(attempt=F("attempt") + 1)

    monkeypatch.setattr(exports, "time", SimpleNamespace(sleep=taken_over))
    connections_before = open_connections()

    assert grade_export_run(export_id=export.id) == "lost"

    export.refresh_from_db()
    assert (export.status, export.rows_done, export.file.name) == ("running", 1, "")  # the first beat
    assert reader_threads() == []
    assert open_connections() == connections_before
