"""Grade imports (Gradescope-style CSV) and participation imports: all or nothing, with row-level
errors; every score is written through the grade history."""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from courses import access as course_access
from courses.models import Assignment, Enrolment, ImportJob, User
from courses.services.audit import audit_record
from courses.services.jobs import import_job_create, import_job_run
from courses.services.roster import decode_csv
from grading.models import GradeChange, Question
from grading.scores import ScoreError, score_parse
from grading.services.grades import (
    graded_row,
    questions_ensure,
    regrade_deadline_for,
    score_change,
    scores_lock,
)
from portal.errors import PortalError

QUESTION_COLUMN = re.compile(
    r"^(?:\d+:\s*)?(?P<label>.+?)\s*\((?P<points>[\d.]+)\s*pts?\)\s*$", re.IGNORECASE
)
EXCEL_TEXT = re.compile(r'^="(.*)"$')  # Excel's way of keeping leading zeros: ="0901234"
WHOLE_COUNT = re.compile(r"^(\d{1,9})(?:\.0*)?$", re.ASCII)  # "3" or a spreadsheet's "3.0"
NEGATIVE_COUNT = re.compile(r"^-\d+(?:\.\d*)?$", re.ASCII)
DECIMAL_COUNT = re.compile(r"^\d*\.\d+$", re.ASCII)
AMBIGUOUS_COMMA = re.compile(r"^[+-]?\d{1,3},\d{3}$", re.ASCII)  # a thousands separator, or 3 decimals


def _cell(value: str | None) -> str:
    value = (value or "").strip()
    match = EXCEL_TEXT.match(value)
    return match.group(1) if match else value


def _number(value: str) -> Decimal | None:
    """A score cell: empty is None; otherwise grading.scores' rule (the JSON API's too), or ScoreError."""
    value = value.replace("\u00a0", "").replace(" ", "")
    if value == "":
        return None
    if value.count(",") == 1 and "." not in value:
        if AMBIGUOUS_COMMA.match(value):  # "1,000": one thousand, or 1.000 with a decimal comma?
            raise ScoreError(f"{value!r} could be read two ways: write it without the comma, or with a point")
        value = value.replace(",", ".")  # a decimal comma from a European spreadsheet
    return score_parse(value)


def _count(value: str) -> int:
    """A contribution count: a whole number, not negative (empty is 0)."""
    value = value.replace("\u00a0", "").replace(" ", "")
    if not value:
        return 0
    match = WHOLE_COUNT.match(value)
    if match:
        return int(match.group(1))
    if NEGATIVE_COUNT.match(value):
        raise ValueError("count is negative")
    if DECIMAL_COUNT.match(value):
        raise ValueError(f"count {value!r} is not a whole number of contributions")
    raise ValueError(
        f"count {value[:40]!r} is not a number: give a whole number of contributions (0, 1, 2, …)"
    )


@dataclass(frozen=True)
class ImportRow:
    line: int
    student: User
    scores: dict[int, Decimal]


def _rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip() for h in next(reader, [])]
    while header and header[-1] == "":
        header.pop()  # Excel's trailing empty columns
    rows, overflowing = [], {}
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue  # blank lines at the end
        if any(v.strip() for v in values[len(header) :]):
            # More cells than columns: every cell after a stray separator (an unquoted decimal comma,
            # "7,5") would land in the wrong column, so the row is refused rather than read shifted.
            overflowing[f"line {line}"] = (
                f"the row has {len(values)} cells and the header {len(header)} columns; a decimal comma in "
                "a comma-separated file splits a score in two: write 7.5, or quote the cell"
            )
            continue
        rows.append((line, {h: _cell(values[i]) if i < len(values) else "" for i, h in enumerate(header)}))
    if overflowing:
        raise PortalError(
            f"Nothing was imported: {len(overflowing)} row{'s' if len(overflowing) != 1 else ''} have more "
            f"cells than the header. First: {next(iter(overflowing))}: {next(iter(overflowing.values()))}.",
            code="invalid_rows",
            fields=overflowing,
        )
    return header, rows


def parse_grade_import(*, acting_user, assignment: Assignment, text: str) -> list[ImportRow]:
    """The rows of a grade import, or a PortalError naming every bad line. A student the acting staff
    member may not act on (another section's, a dropped one) is a bad line, worded like an unknown one."""
    header, rows = _rows(text)
    lowered = {h.lower(): h for h in header}
    questions = {q.label.lower(): q for q in questions_ensure(assignment=assignment)}
    columns: dict[str, Question] = {}
    unknown = []
    for h in header:
        match = QUESTION_COLUMN.match(h)
        if match:
            question = questions.get(match.group("label").strip().lower())
            if question is None:
                unknown.append(match.group("label"))
            else:
                columns[h] = question
    if not columns and "total score" in lowered and len(questions) == 1:
        columns[lowered["total score"]] = next(iter(questions.values()))
    # Two columns of one question (a repeated header, or "Q1 (5 pts)" beside "1: Q1 (5 pts)"): which score
    # counts cannot be told, so the file is refused rather than the last column silently winning.
    seen: dict[int, str] = {}
    repeated = []
    for h in header:
        question = columns.get(h)
        if question is not None and (question.id in seen or header.count(h) > 1):
            repeated.append(question.label)
        elif question is not None:
            seen[question.id] = h
    if repeated:
        raise PortalError(
            f"The file has more than one column for {', '.join(sorted(set(repeated)))}: keep one column per "
            "question and upload again.",
            code="bad_header",
            fields={"file": "A question has two columns."},
        )
    if unknown or not columns:
        what = (
            f"columns for questions that {assignment.code} does not have: {', '.join(unknown)}"
            if unknown
            else "no question columns"
        )
        raise PortalError(
            f"The file has {what}. Question columns look like “Q1 (25.0 pts)”; {assignment.code} has "
            f"{', '.join(q.label for q in questions.values())}.",
            code="bad_header",
            fields={"file": "Question columns do not match."},
        )
    id_columns = [lowered[c] for c in ("sid", "email", "username") if c in lowered]
    if not id_columns:
        raise PortalError(
            "The file needs a SID, Email or Username column to find each student.",
            code="bad_header",
            fields={"file": "No student column."},
        )
    # Each column is looked up among its own kind of id (a SID never matches someone's username): the
    # SID as written (leading zeros matter), the e-mail and the username in any letter case.
    users = list(course_access.staff_students(acting_user, assignment.course_id))
    shared = {e for e, n in Counter(u.email.lower() for u in users if u.email).items() if n > 1}
    by_kind = {
        "sid": {u.sis_id: u for u in users if u.sis_id},
        # An address two students share finds neither: the row then names its SID or username instead.
        "email": {u.email.lower(): u for u in users if u.email and u.email.lower() not in shared},
        "username": {u.username.lower(): u for u in users},
    }
    parsed, errors, seen = [], {}, {}
    for line, values in rows:
        problems = []
        keys = {
            column: values.get(column, "") if column.lower() == "sid" else values.get(column, "").lower()
            for column in id_columns
        }
        found = {column: by_kind[column.lower()].get(key) for column, key in keys.items() if key}
        student = next((u for u in found.values() if u is not None), None)
        # The row's ids must not name two people (a SID of one student beside another's e-mail).
        conflicting = [
            column
            for column, key in keys.items()
            if key
            and student is not None
            and (
                found[column] not in (None, student)
                or (column.lower() == "sid" and student.sis_id and key != student.sis_id)
            )
        ]
        if student is None:
            shown = ", ".join(f"{c} {values.get(c)!r}" for c in id_columns)
            problems.append(f"no student of this course matches {shown}")
        elif conflicting:
            shown = ", ".join(f"{c} {values.get(c)!r}" for c in id_columns if values.get(c))
            problems.append(f"{shown} do not name one student; correct the row's ids")
        elif student.id in seen:
            problems.append(f"{student.username} also appears on line {seen[student.id]}")
        else:
            seen[student.id] = line
        scores = {}
        for column, question in columns.items():
            try:
                score = _number(values.get(column, ""))
            except ScoreError as exc:
                problems.append(f"{question.label} score {exc}")
                continue
            if score is None:
                continue
            if score < 0 or score > question.points:
                problems.append(f"{question.label} score {score} is outside 0–{question.points}")
            scores[question.id] = score
        if problems:
            errors[f"line {line}"] = "; ".join(problems)
        elif scores:
            parsed.append(ImportRow(line, student, scores))
    if errors:
        raise PortalError(
            f"Nothing was imported: {len(errors)} row{'s' if len(errors) != 1 else ''} need fixing. "
            f"First: {next(iter(errors))}: {next(iter(errors.values()))}.",
            code="invalid_rows",
            fields=errors,
        )
    return parsed


def grade_import_request(*, acting_user, assignment_id: int, data: bytes) -> ImportJob:
    """Start a grade import (staff): access and the encoding are checked at once; a job parses,
    validates and applies the rows (`grade_import_run`)."""
    assignment = course_access.access_assignment_as_staff(acting_user, assignment_id)
    decode_csv(data)

    return import_job_create(
        acting_user=acting_user,
        course=assignment.course,
        kind=ImportJob.Kind.GRADES,
        data=data,
        task="grading.tasks.run_grade_import",
        params={"assignment": assignment.id, "assignment_code": assignment.code},
    )


def _line_count(data: bytes) -> int:
    return max(data.count(b"\n") - 1, 1)


def grade_import_run(*, job_id: int) -> str:
    def apply(*, job, data, prepared, claim):
        claim.beat(rows_total=_line_count(data))
        return grade_import(acting_user=job.requested_by, assignment_id=job.params["assignment"], data=data)

    return import_job_run(job_id=job_id, apply=apply)


def _participation_columns(header: list[str]) -> tuple[str, str]:
    lowered = {h.lower(): h for h in header}
    id_column = next((lowered[c] for c in ("username", "email", "sid") if c in lowered), None)
    count_column = next(
        (lowered[c] for c in ("count", "contributions", "endorsed answers", "endorsed") if c in lowered), None
    )
    if not id_column or not count_column:
        raise PortalError(
            "The file needs a username (or email or SID) column and a count column.",
            code="bad_header",
            fields={"file": "Columns: username, count."},
        )
    return id_column, count_column


def _participation_assignment(assignment: Assignment) -> None:
    """Contribution counts become a class-participation grade, never another assignment's scores."""
    if assignment.category != Assignment.Category.PARTICIPATION:
        raise PortalError(
            f"{assignment.code} is not a class-participation assignment, and a participation import would "
            "overwrite its scores with full marks or 0. Choose the course's participation assignment.",
            code="not_participation",
            fields={"assignment": "Not a class-participation assignment."},
        )


def _participation_rule(rule: str, value: int) -> None:
    if rule not in ("top_n", "threshold") or value < 1:
        raise PortalError(
            "Choose a rule: top_n (the N best contributors) or threshold (at least N contributions), with N ≥ 1.",
            fields={"rule": "top_n or threshold.", "value": "A whole number ≥ 1."},
        )


def participation_import_request(
    *, acting_user, assignment_id: int, data: bytes, rule: str, value: int
) -> ImportJob:
    """Start a participation import (instructors): access, the rule, the encoding and the header are
    checked at once; a job validates the rows and applies them (`participation_import_run`)."""
    assignment = course_access.access_assignment_as_instructor(acting_user, assignment_id)
    _participation_assignment(assignment)
    _participation_rule(rule, value)
    header, _ = _rows(decode_csv(data).split("\n", 1)[0])
    _participation_columns(header)

    return import_job_create(
        acting_user=acting_user,
        course=assignment.course,
        kind=ImportJob.Kind.PARTICIPATION,
        data=data,
        task="grading.tasks.run_participation_import",
        params={"assignment": assignment.id, "rule": rule, "value": value},
    )


def participation_import_run(*, job_id: int) -> str:
    def apply(*, job, data, prepared, claim):
        claim.beat(rows_total=_line_count(data))
        return participation_import(
            acting_user=job.requested_by,
            assignment_id=job.params["assignment"],
            data=data,
            rule=job.params["rule"],
            value=job.params["value"],
        )

    return import_job_run(job_id=job_id, apply=apply)


@transaction.atomic
def grade_import(*, acting_user, assignment_id: int, data: bytes, now: datetime | None = None) -> dict:
    """Import per-question scores for one assignment (staff). Scores go through the history."""
    now = now or timezone.now()
    assignment = course_access.access_assignment_as_staff(acting_user, assignment_id)
    rows = parse_grade_import(acting_user=acting_user, assignment=assignment, text=decode_csv(data))
    changed = 0
    scores_lock(assignment.id)
    questions = {q.id: q for q in questions_ensure(assignment=assignment)}
    released = assignment.grade_release.released_at if hasattr(assignment, "grade_release") else None
    for row in rows:
        grade = graded_row(student=row.student, assignment=assignment)
        if released and grade.released_at is None:
            grade.released_at, grade.regrade_deadline = (
                now,
                regrade_deadline_for(released_at=now, assignment=assignment),
            )
            grade.save(update_fields=["released_at", "regrade_deadline"])
        for question_id, score in row.scores.items():
            change = score_change(
                grade=grade,
                question=questions[question_id],
                new_score=score,
                changed_by=acting_user,
                reason=f"Imported from CSV (line {row.line})",
                source=GradeChange.Source.IMPORT,
                now=now,
            )
            changed += change is not None
    audit_record(
        actor=acting_user,
        course=assignment.course,
        action="grades.import",
        target=assignment.code,
        rows=len(rows),
    )
    return {"rows": len(rows), "scores_changed": changed}


@transaction.atomic
def participation_import(
    *, acting_user, assignment_id: int, data: bytes, rule: str, value: int, now: datetime | None = None
) -> dict:
    """Turn contribution counts (e.g. endorsed Piazza answers) into the participation bonus: the top
    `value` contributors, or everyone with at least `value` contributions, get full points; others 0."""
    now = now or timezone.now()
    assignment = course_access.access_assignment_as_instructor(acting_user, assignment_id)
    _participation_assignment(assignment)
    _participation_rule(rule, value)
    header, rows = _rows(decode_csv(data))
    id_column, count_column = _participation_columns(header)
    students = {
        key: u
        for u in course_access.staff_students(
            acting_user, assignment.course_id, statuses=(Enrolment.Status.ENROLLED,)
        )
        for key in (u.username.lower(), u.email.lower(), u.sis_id)
        if key
    }
    counts, errors, seen = {}, {}, {}
    for line, values in rows:
        student = students.get(
            values.get(id_column, "").lower() if id_column.lower() != "sid" else values.get(id_column, "")
        )
        try:
            count = _count(values.get(count_column, ""))
        except ValueError as exc:
            errors[f"line {line}"] = str(exc)
            continue
        if student is None:
            errors[f"line {line}"] = f"no enrolled student matches {values.get(id_column)!r}"
        elif student.id in seen:
            # Which count is right is the instructor's call, not the last line's.
            errors[f"line {line}"] = (
                f"{student.username} also appears on line {seen[student.id]}: keep one line per student"
            )
        else:
            seen[student.id] = line
            counts[student.id] = count
    if errors:
        raise PortalError(
            f"Nothing was imported: {len(errors)} row(s) need fixing.", code="invalid_rows", fields=errors
        )
    if rule == "top_n":
        ranked = sorted((c for c in counts.values() if c > 0), reverse=True)
        cutoff = ranked[value - 1] if len(ranked) >= value else (ranked[-1] if ranked else 1)
        qualifies = {
            sid for sid, c in counts.items() if c >= cutoff and c > 0
        }  # ties at the cutoff all qualify
    else:
        qualifies = {sid for sid, c in counts.items() if c >= value}
    scores_lock(assignment.id)
    question = questions_ensure(assignment=assignment)[0]
    released = assignment.grade_release.released_at if hasattr(assignment, "grade_release") else None
    for user in User.objects.filter(id__in=counts):
        grade = graded_row(student=user, assignment=assignment)
        if released and grade.released_at is None:  # after the release: released at once, as in grade_import
            grade.released_at, grade.regrade_deadline = (
                now,
                regrade_deadline_for(released_at=now, assignment=assignment),
            )
            grade.save(update_fields=["released_at", "regrade_deadline"])
        score_change(
            grade=grade,
            question=question,
            new_score=question.points if user.id in qualifies else Decimal(0),
            changed_by=acting_user,
            reason=f"Participation: {counts[user.id]} contributions ({rule.replace('_', ' ')} {value})",
            source=GradeChange.Source.IMPORT,
            now=now,
        )
    audit_record(
        actor=acting_user, course=assignment.course, action="participation.import", qualified=len(qualifies)
    )
    return {"rows": len(counts), "qualified": len(qualifies)}
