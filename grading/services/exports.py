"""Grade exports (instructors only): a Celery job writes the CSV chunk by chunk — constant memory
whatever the class size — reporting progress, then stores the file for download."""

import csv
import gc
import io
import logging
import tempfile
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime
from itertools import islice

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from courses import access
from courses.models import Enrolment, UserNames
from courses.services.audit import audit_record
from courses.services.deadlines import deadline_refresh_stale
from courses.services.jobs import Claim, JobLost, job_claim, jobs_stale
from grading.models import GradeExport
from grading.selectors import readiness_by_student
from grading.totals import CourseScheme, figures_stream, score_points, totals_for_students, two_places
from portal.csvsafe import safe_cell
from portal.errors import PortalError
from portal.tasking import enqueue_on_commit

logger = logging.getLogger(__name__)
CHUNK = 500
CELL_CACHE = 4096


def money(value) -> str:
    # two_places() leaves two decimal places, which str() writes as f"{:.2f}" would (sign of zero included)
    return "" if value is None else str(two_places(value))


@transaction.atomic
def grade_export_request(
    *, acting_user, course_id: int, format: str, now: datetime | None = None
) -> GradeExport:
    course = access.access_course_as_instructor(acting_user, course_id)
    if format not in GradeExport.Format.values:
        raise PortalError(
            "Choose the canvas or the breakdown format.", fields={"format": "canvas or breakdown."}
        )
    export = GradeExport.objects.create(
        course=course, format=format, requested_by=acting_user, created_at=now or timezone.now()
    )
    audit_record(actor=acting_user, course=course, action="grades.export", target=format, export_id=export.id)
    enqueue_on_commit("grading.tasks.run_grade_export", export_id=export.id)
    return export


def _students(course):
    return (
        Enrolment.objects.filter(section__course=course, status=Enrolment.Status.ENROLLED)
        .select_related("user", "section")
        .order_by("user__last_name", "user__first_name", "user__username", "id")
    )


def _chunks(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def grade_export_run(*, export_id: int) -> str:
    """Write the export. Safe to run twice: the run claims the row (courses.services.jobs), so a duplicate
    delivery does nothing, and a takeover of a dead worker's job restarts it cleanly from the first chunk;
    the file is saved once, by the run that finishes."""
    claim = job_claim(model=GradeExport, job_id=export_id)
    export = GradeExport.objects.select_related("course").get(pk=export_id)
    if claim is None:
        return export.status
    try:
        _write(export, claim)
    except JobLost:
        logger.warning("Grade export %s attempt %s stopped: taken over", export_id, claim.attempt)
        return "lost"
    except Exception as exc:  # the instructor sees the failure on the export; the log keeps the trace
        logger.exception("Grade export %s failed", export_id)
        claim.fail(
            error=f"The export failed ({type(exc).__name__}). Start it again; if it fails twice, tell the portal's administrators."
        )
        return GradeExport.Status.FAILED
    return GradeExport.Status.DONE


@contextmanager
def _collector_paused():
    """Python's cycle collector paused while the Canvas rows are written: a large class allocates millions
    of short-lived tuples, lists and dicts, freed by reference counting (the streamed rows are plain values
    and hold no cycles), and the collector scanning the worker's heap for them was about a tenth of a
    50,000-student export. Not for the breakdown: its model instances (prefetched grades) do hold cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def grade_exports_reclaim(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue the exports whose worker stopped beating (a killed worker); their runs take them over."""
    stale = jobs_stale(model=GradeExport, now=now)
    for export_id in stale:
        logger.warning("Grade export %s: its worker stopped beating; enqueueing a takeover", export_id)
        enqueue_on_commit("grading.tasks.run_grade_export", export_id=export_id)
    return stale


def _write(export: GradeExport, claim: Claim) -> None:
    course = export.course
    # The figures read the stored late outcomes: first recompute the course's stale stored deadlines, so
    # that a recompute still waiting in the outbox (an extension, a moved due time) cannot count open work
    # as missing in the file the instructor uploads.
    deadline_refresh_stale(course_id=course.id)
    scheme = CourseScheme.load(course)
    rows_total = _students(course).count()
    claim.beat(rows_total=rows_total)
    size = getattr(settings, "PORTAL_EXPORT_CHUNK_ROWS", CHUNK)
    pause = getattr(settings, "PORTAL_EXPORT_CHUNK_DELAY_SECONDS", 0)
    canvas = export.format == GradeExport.Format.CANVAS
    writer_for = _canvas_rows if canvas else _breakdown_rows
    with tempfile.TemporaryFile() as raw, _collector_paused() if canvas else nullcontext():
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        # Every cell that may hold text goes through csvsafe.safe_cell (formula guard) in the row builders;
        # the numbers come from money(), which a spreadsheet reads as numbers.
        buffer = io.StringIO(newline="")  # a chunk's text, written to the file at once
        writer = csv.writer(buffer)
        header, chunks = writer_for(scheme, size)
        writer.writerows(_safe_rows(header))  # assignment codes and titles are the course's free text
        text.write(buffer.getvalue())
        done = 0
        for rows in chunks:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(rows)
            text.write(buffer.getvalue())
            done += len(rows)
            claim.beat(rows_done=done, progress=done * 100 // max(rows_total, 1))  # JobLost if taken over
            if pause:
                time.sleep(pause)  # tests only: a job slow enough to kill its worker half-way
        text.flush()
        raw.seek(0)
        claim.beat()  # still ours: only now is a file stored
        stamp = timezone.localtime(timezone.now(), course.zone).strftime("%Y%m%d-%H%M")
        export.file.save(f"grades-{export.format}-{stamp}.csv", File(raw), save=False)
        text.detach()
    if not claim.finish(file=export.file.name):
        export.file.delete(save=False)  # taken over between the last beat and now: the other run's file wins
        raise JobLost(f"grade export {export.pk} was taken over")


def _safe_rows(rows):
    return [[safe_cell(cell) for cell in row] for row in rows]


class _Column(dict):
    """A Canvas column's cells: the assignment's final percentage → the cell's text (its points, two
    places), each distinct percentage formatted once and at most CELL_CACHE kept. Zero is never kept: 0
    and -0 are equal keys but print differently."""

    def __init__(self, points):
        super().__init__()
        self.points = points

    def __missing__(self, percent) -> str:
        text = money(score_points(percent, self.points))
        if percent is None or percent:
            if len(self) >= CELL_CACHE:
                self.clear()  # bounded whatever the scores
            self[percent] = text
        return text


def _canvas_rows(scheme: CourseScheme, size: int):
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, one column per
    assignment as "Title (id)", the total; then the "    Points Possible" row.

    How Canvas finds the student of a row: by `ID` first, which it reads as its own user id (so a number
    that is not the student's Canvas id could land the scores on another student); when `ID` is blank or
    unknown, by `SIS User ID`, then by `SIS Login ID`, then by name. So `ID` carries the Canvas user id
    only when the roster import brought it (User.canvas_user_id) and is blank otherwise; the SIS User ID
    (the registrar's id) and the SIS Login ID (the portal's username, the university login) are always
    written.

    The students stream from one server-side cursor as plain values (grading.totals.figures_stream), no
    model instance per student: a 50,000-student class costs one chunk's memory."""
    assignments = scheme.assignments
    header = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        + [f"{a.title} ({a.id})" for a in assignments]
        + ["Final Score"],
        ["    Points Possible", "", "", "", ""] + [money(a.points) for a in assignments] + ["(read only)"],
    ]
    columns = ["u.first_name", "u.last_name", "u.username", "u.canvas_user_id", "u.sis_id", "s.code"]

    # Per assignment, percent → its column's text: a class's percentages repeat (scores take few values),
    # so most cells are one dictionary lookup.
    cells = [_Column(a.points) for a in assignments]
    text_of = _Column.__getitem__

    def chunks():
        for chunk in figures_stream(scheme, columns=columns, chunk_size=size):
            rows = []
            for (first, last, username, canvas_user_id, sis_id, section), figures in chunk:
                rows.append(
                    [
                        safe_cell(
                            UserNames(username=username, first_name=first, last_name=last).sortable_name
                        ),
                        safe_cell(canvas_user_id),  # blank when unknown: Canvas then matches by the SIS ids
                        safe_cell(sis_id),
                        safe_cell(username),
                        safe_cell(section),
                        *map(text_of, cells, [r[4] for r in figures[0]]),
                        money(figures[3]),
                    ]
                )
            yield rows

    return header, chunks()


def _categories(scheme: CourseScheme) -> list[tuple[str, str, object]]:
    seen: dict[str, list] = {}
    for a in scheme.assignments:
        if a.counts_toward_grade and not a.is_bonus and a.weight:
            entry = seen.setdefault(a.category, [a.get_category_display(), 0])
            entry[1] += a.weight
    return [(category, label, weight) for category, (label, weight) in seen.items()]


def _breakdown_rows(scheme: CourseScheme, size: int):
    """Every student, every assignment's raw score, late outcome and final score, category totals,
    bonus, total and the readiness flag."""
    categories = _categories(scheme)
    head = ["Student", "Username", "SIS User ID", "Section"]
    for a in scheme.assignments:
        head += [f"{a.code} raw", f"{a.code} possible", f"{a.code} late", f"{a.code} final %"]
    head += [f"{label} (of {money(weight)}%)" for _, label, weight in categories]
    head += ["Bonus", "Total %", "Graded so far %", "May not be prepared"]

    def rows(chunk):
        totals = {t.student_id: t for t in totals_for_students(scheme, chunk)}
        readiness = readiness_by_student(scheme.course, student_ids=[e.user_id for e in chunk])
        for e in chunk:
            t = totals[e.user_id]
            row = [
                e.user.sortable_name,
                e.user.username,
                e.user.sis_id,
                e.section.code,
            ]
            for r in t.results:
                row += [money(r.earned), money(r.possible), r.late_outcome, money(r.percent)]
            row += [money(t.category_totals.get(category)) or "0.00" for category, _, _ in categories]
            flagged = readiness.get(e.user_id)
            row += [
                money(t.bonus),
                money(t.total),
                money(t.running_percent),
                "yes" if flagged and flagged.flagged else "",
            ]
            yield row

    students = _students(scheme.course).iterator(chunk_size=size)
    return [head], (_safe_rows(rows(chunk)) for chunk in _chunks(students, size))
