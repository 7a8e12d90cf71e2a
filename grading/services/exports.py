"""Grade exports (instructors only): a Celery job writes the CSV chunk by chunk — constant memory
whatever the class size — reporting progress, then stores the file for download."""

import io
import logging
import tempfile
import time
from datetime import datetime
from itertools import islice

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from courses import access
from courses.models import Enrolment
from courses.services.audit import audit_record
from courses.services.jobs import Claim, JobLost, job_claim, jobs_stale
from grading.models import GradeExport
from grading.selectors import readiness_by_student
from grading.totals import CourseScheme, StudentTotal, totals_for_students, two_places
from portal import csvsafe
from portal.errors import PortalError
from portal.tasking import enqueue_on_commit

logger = logging.getLogger(__name__)
CHUNK = 500


def money(value) -> str:
    return "" if value is None else f"{two_places(value):.2f}"


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
    from grading.tasks import run_grade_export

    enqueue_on_commit(run_grade_export, export_id=export.id)
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


def grade_exports_reclaim(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue the exports whose worker stopped beating (a killed worker); their runs take them over."""
    from grading.tasks import run_grade_export

    stale = jobs_stale(model=GradeExport, now=now)
    for export_id in stale:
        logger.warning("Grade export %s: its worker stopped beating; enqueueing a takeover", export_id)
        enqueue_on_commit(run_grade_export, export_id=export_id)
    return stale


def _write(export: GradeExport, claim: Claim) -> None:
    course = export.course
    scheme = CourseScheme.load(course)
    students = _students(course)
    rows_total = students.count()
    claim.beat(rows_total=rows_total)
    size = getattr(settings, "PORTAL_EXPORT_CHUNK_ROWS", CHUNK)
    pause = getattr(settings, "PORTAL_EXPORT_CHUNK_DELAY_SECONDS", 0)
    writer_for = _canvas_rows if export.format == GradeExport.Format.CANVAS else _breakdown_rows
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csvsafe.writer(text)  # guards formula cells (names, sections, titles)
        header, per_chunk = writer_for(scheme)
        writer.writerows(header)
        done = 0
        for chunk in _chunks(students.iterator(chunk_size=size), size):
            writer.writerows(per_chunk(chunk))
            done += len(chunk)
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


def _canvas_rows(scheme: CourseScheme):
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, one column per
    assignment as "Title (id)", the total; then the "    Points Possible" row.

    How Canvas finds the student of a row: by `ID` first, which it reads as its own user id (so a number
    that is not the student's Canvas id could land the scores on another student); when `ID` is blank or
    unknown, by `SIS User ID`, then by `SIS Login ID`, then by name. So `ID` carries the Canvas user id
    only when the roster import brought it (User.canvas_user_id) and is blank otherwise; the SIS User ID
    (the registrar's id) and the SIS Login ID (the portal's username, the university login) are always
    written."""
    assignments = scheme.assignments
    header = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        + [f"{a.title} ({a.id})" for a in assignments]
        + ["Final Score"],
        ["    Points Possible", "", "", "", ""] + [money(a.points) for a in assignments] + ["(read only)"],
    ]

    def rows(chunk):
        totals = {t.student_id: t for t in totals_for_students(scheme, chunk)}
        for e in chunk:
            t: StudentTotal = totals[e.user_id]
            yield [
                e.user.sortable_name,
                e.user.canvas_user_id,  # blank when unknown: Canvas then matches by the SIS ids
                e.user.sis_id,
                e.user.username,
                e.section.code,
                *[money(r.score_points) for r in t.results],
                money(t.total),
            ]

    return header, rows


def _categories(scheme: CourseScheme) -> list[tuple[str, str, object]]:
    seen: dict[str, list] = {}
    for a in scheme.assignments:
        if a.counts_toward_grade and not a.is_bonus and a.weight:
            entry = seen.setdefault(a.category, [a.get_category_display(), 0])
            entry[1] += a.weight
    return [(category, label, weight) for category, (label, weight) in seen.items()]


def _breakdown_rows(scheme: CourseScheme):
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

    return [head], rows
