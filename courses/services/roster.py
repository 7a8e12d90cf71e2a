"""Roster import from the registrar's CSV: all or nothing, every bad row reported with its line."""

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from courses import access
from courses.models import Course, Enrolment, ImportJob, Section, User
from courses.services.audit import audit_record
from courses.services.jobs import import_job_create, import_job_run, progress_of
from courses.services.waitlist import enrolled_user_ids, sections_lock, wrong_course_message
from portal.errors import PortalError
from portal.tasking import enqueue_on_commit

REQUIRED_COLUMNS = ("username", "name", "email", "section", "status", "grading_basis")
OPTIONAL_COLUMNS = ("sis_id", "canvas_user_id")
# A gradebook exported from Canvas names its columns Student, ID, SIS User ID, SIS Login ID, Section
# (Canvas's gradebook import reads the same names). `ID` is Canvas's own user id, the SIS Login ID is the
# university login (the portal's username) and the SIS User ID the registrar's id.
CANVAS_COLUMNS = {
    "student": "name",
    "id": "canvas_user_id",
    "sis user id": "sis_id",
    "sis login id": "username",
    "section": "section",
}
CANVAS_REQUIRED = ("username", "name", "section")
USERNAME = re.compile(r"^[\w.@+-]{1,150}$")
# Canvas's user ids are 64-bit numbers: ASCII digits only (no sign, space, letter or formula), at most 19.
CANVAS_USER_ID = re.compile(r"^[0-9]{1,19}$", re.ASCII)
BASIS_ALIASES = {
    "pass/fail": "pass_fail",
    "pass-fail": "pass_fail",
    "passfail": "pass_fail",
    "letter": "credit",
}
# Rows per `IN (...)` query and per bulk write: well under SQLite's 32,766 variables, few round trips.
BATCH = 2000
PROGRESS_EVERY = 5000


@dataclass(frozen=True)
class RosterRow:
    line: int
    username: str
    first_name: str
    last_name: str
    email: str
    section: Section
    status: str
    grading_basis: str
    sis_id: str
    canvas_user_id: str = ""


def decode_csv(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # Excel writes a BOM; plain UTF-8 has none
    except UnicodeDecodeError:
        raise PortalError(
            "The file is not UTF-8 text. In Excel use “Save as → CSV UTF-8”, then upload again.",
            code="bad_encoding",
            fields={"file": "Not UTF-8."},
        ) from None


def _split_name(name: str) -> tuple[str, str]:
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return first, last
    parts = name.split()
    return (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (name, "")


def _length_problems(**values: str) -> list[str]:
    """The account fields must fit their columns (PostgreSQL refuses a longer value; SQLite would keep it)."""
    labels = {"first": "first name", "last": "last name", "email": "e-mail", "sis_id": "SIS id"}
    columns = {"first": "first_name", "last": "last_name", "email": "email", "sis_id": "sis_id"}
    problems = []
    for key, value in values.items():
        limit = User._meta.get_field(columns[key]).max_length
        if len(value) > limit:
            problems.append(
                f"{labels[key]} is {len(value)} characters long; at most {limit} fit, so shorten it"
            )
    return problems


@dataclass(frozen=True)
class Header:
    columns: list[str]  # each column's name in the portal's terms ("" for a column the import ignores)
    canvas: bool  # a gradebook exported from Canvas (its column names)


def _check_header(fieldnames) -> Header:
    """The file's columns in the portal's terms: its own names (username, name, email, section, status,
    grading_basis, optionally sis_id and canvas_user_id), or Canvas's. A file with Canvas's names (it has
    an "SIS Login ID" column) needs only the login, the name and the section: status and grading basis
    default to enrolled and credit (Canvas lists the students of the course), the e-mail may be absent."""
    names = [re.sub(r"\s+", " ", (h or "").strip().lower()) for h in (fieldnames or [])]
    canvas = "sis login id" in names
    ours = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    columns = [n if n in ours else CANVAS_COLUMNS.get(n, "") if canvas else "" for n in names]
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise PortalError(
            f"The header names {', '.join(twice)} twice (in the portal's and in Canvas's words, say "
            "username and SIS Login ID); keep one column each.",
            code="bad_header",
            fields={"file": f"Columns named twice: {', '.join(twice)}."},
        )
    missing = [c for c in (CANVAS_REQUIRED if canvas else REQUIRED_COLUMNS) if c not in columns]
    if missing:
        raise PortalError(
            f"The header lacks {', '.join(missing)}. Expected columns: {', '.join(REQUIRED_COLUMNS)} (and "
            f"optionally {' and '.join(OPTIONAL_COLUMNS)}), or a gradebook exported from Canvas (Student, ID, "
            "SIS User ID, SIS Login ID, Section).",
            code="bad_header",
            fields={"file": f"Missing columns: {', '.join(missing)}."},
        )
    return Header(columns, canvas)


def _canvas_extra_row(values: dict[str, str]) -> bool:
    """Rows of a Canvas gradebook export that are not students: the "Points Possible" row, the row that
    marks muted or manually posted assignments (no name, no ids), and Canvas's own Test Student (no
    login, no SIS id)."""
    name = values.get("name", "")
    ids = [values.get(c, "") for c in ("username", "sis_id", "canvas_user_id")]
    if "Points Possible" in name or not any([name, *ids]):
        return True
    return name in ("Student, Test", "Test Student") and not any(ids[:2])


def parse_roster(*, course, text: str, progress: Callable[[int], None] | None = None) -> list[RosterRow]:
    """Validate every row; raise one error listing each bad line, or return the rows. `progress` is
    called with the number of rows read so far, every PROGRESS_EVERY rows."""
    reader = csv.DictReader(io.StringIO(text))
    header = _check_header(reader.fieldnames)
    reader.fieldnames = header.columns
    login = "SIS Login ID" if header.canvas else "username"
    canvas_ids: dict[str, tuple[int, str]] = {}  # an id → the first line and login giving it
    sis_ids: dict[str, tuple[int, str]] = {}
    sections = {s.code.replace(" ", "").upper(): s for s in course.sections.all()}
    rows, errors, seen = [], {}, {}
    for count, raw in enumerate(reader, start=1):
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
        line = reader.line_num  # the file's own line number: blank lines are skipped but still counted
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        if header.canvas and _canvas_extra_row(values):
            continue
        problems = []
        if any("\x00" in v for v in values.values()):
            problems.append(
                "a cell holds a NUL character; save the file as plain text (CSV, UTF-8) and upload it again"
            )
            values = {k: v.replace("\x00", "") for k, v in values.items()}
        username = values.get("username", "")
        # One person whatever the letter case (sign-in matches logins without case: courses.sso).
        if not USERNAME.match(username):
            problems.append(f"{login} is empty or has characters other than letters, digits and . @ + - _")
        elif username.lower() in seen:
            problems.append(f"{login} {username} also appears on line {seen[username.lower()]}")
        seen.setdefault(username.lower(), line)
        email = values.get("email", "")
        if email or not header.canvas:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"e-mail {email!r} is not an address")
        canvas_user_id = values.get("canvas_user_id", "")
        if canvas_user_id:
            if not CANVAS_USER_ID.match(canvas_user_id):
                problems.append(
                    f"Canvas user id {canvas_user_id[:40]!r} is not a Canvas user id: digits only (at most "
                    "19), as in Canvas's gradebook export; leave it empty when unknown"
                )
            elif canvas_ids.setdefault(canvas_user_id, (line, username.lower()))[1] != username.lower():
                problems.append(
                    f"Canvas user id {canvas_user_id} is also on line {canvas_ids[canvas_user_id][0]}, "
                    "for another student; one Canvas id is one person"
                )
        sis_id = values.get("sis_id", "")
        if sis_id and sis_ids.setdefault(sis_id, (line, username.lower()))[1] != username.lower():
            problems.append(
                f"SIS id {sis_id[:40]} is also on line {sis_ids[sis_id][0]}, for another student; one SIS id "
                "is one person (the grade import and Canvas match students by it)"
            )
        code = values.get("section", "")
        section = sections.get(code.replace(" ", "").upper())
        if section is None:
            problems.append(
                wrong_course_message(course, code) or f"section {code!r} is not a section of this course"
            )
        status = values.get("status", "").lower() or ("enrolled" if header.canvas else "")
        if status not in Enrolment.Status.values:
            problems.append(f"status {status!r} is not one of enrolled, waitlisted, dropped")
        basis = values.get("grading_basis", "").lower().replace(" ", "") or (
            "credit" if header.canvas else ""
        )
        basis = BASIS_ALIASES.get(basis, basis)
        if basis not in Enrolment.GradingBasis.values:
            problems.append(
                f"grading basis {values.get('grading_basis')!r} is not one of credit, audit, pass_fail"
            )
        first, last = _split_name(values.get("name", ""))
        if not (first or last):
            problems.append("name is empty")
        problems += _length_problems(first=first, last=last, email=email, sis_id=sis_id)
        if problems:
            errors[f"line {line}"] = "; ".join(problems)
            continue
        rows.append(
            RosterRow(
                line,
                username,
                first,
                last,
                email,
                section,
                status,
                basis,
                sis_id,
                canvas_user_id,
            )
        )
    if errors:
        raise PortalError(
            f"Nothing was imported: {len(errors)} row{'s' if len(errors) != 1 else ''} need fixing. "
            f"First: {next(iter(errors))}: {next(iter(errors.values()))}.",
            code="invalid_rows",
            fields=errors,
        )
    if not rows:
        raise PortalError("The file has a header but no rows.", code="empty", fields={"file": "No rows."})
    return rows


def _batches(values: Iterable, size: int = BATCH):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _accounts_named(usernames: Iterable[str]):
    """The accounts whose username is one of these in any letter case (lower-cased names as `lowered`)."""
    return User.objects.annotate(lowered=Lower("username")).filter(lowered__in=[u.lower() for u in usernames])


def _staff_accounts(usernames: list[str]) -> set[str]:
    """Accounts a roster must never touch: superusers, Django staff, and anyone with a staff role anywhere
    (their usernames lower-cased: a row naming one in another case is theirs too)."""
    staff: set[str] = set()
    for batch in _batches(usernames):
        staff.update(
            _accounts_named(batch)
            .filter(Q(is_superuser=True) | Q(is_staff=True) | Q(staff_roles__isnull=False))
            .values_list("lowered", flat=True)
        )
    return staff


def _refuse_staff_rows(rows: list[RosterRow]) -> None:
    staff = _staff_accounts([r.username for r in rows])
    errors = {
        f"line {r.line}": f"{r.username} is course staff; a roster cannot enrol or change staff"
        for r in rows
        if r.username.lower() in staff
    }
    if errors:
        raise PortalError(
            f"Nothing was imported: {len(errors)} row{'s' if len(errors) != 1 else ''} name course staff. "
            f"First: {next(iter(errors))}: {next(iter(errors.values()))}. Remove those rows and upload again; "
            "staff are added on the course's staff page.",
            code="invalid_rows",
            fields=errors,
        )


def _refuse_overfull_sections(rows: list[RosterRow], existing: dict[str, User]) -> None:
    """A roster never puts a section over its capacity: the rows that would are named, nothing changes.

    The file's rows are applied on top of who holds a seat now (a row moving a student elsewhere or to
    the waitlist frees their seat); the first enrolling rows in file order take the free seats.
    """
    sections = sections_lock(row.section.id for row in rows)
    by_user = {existing[r.username].id: r for r in rows if r.username in existing}
    errors = {}
    for section in sections.values():
        seated = {
            user_id
            for user_id in enrolled_user_ids(section)
            if user_id not in by_user
            or (
                by_user[user_id].section.id == section.id
                and by_user[user_id].status == Enrolment.Status.ENROLLED
            )
        }
        free = section.capacity - len(seated)
        for row in rows:
            if row.section.id != section.id or row.status != Enrolment.Status.ENROLLED:
                continue
            user = existing.get(row.username)
            if user is not None and user.id in seated:
                continue  # already holds this seat
            if free > 0:
                free -= 1
                continue
            errors[f"line {row.line}"] = (
                f"{section.code} is full ({section.capacity} seats); enrolling {row.username} would put it over "
                "capacity. List the student as waitlisted, or raise the section's capacity first."
            )
    if errors:
        raise PortalError(
            f"Nothing was imported: {len(errors)} row{'s' if len(errors) != 1 else ''} would overfill a "
            f"section. First: {next(iter(errors))}: {next(iter(errors.values()))}",
            code="section_full",
            fields=dict(sorted(errors.items(), key=lambda item: int(item[0].split()[1]))),
        )


def _kept_values(row: RosterRow, user: User) -> list[dict]:
    """What the file says differently about an existing account: reported, never written.

    The roster manages enrolments, not identities: an account's name, e-mail and SIS id belong to its
    holder (or the university's sign-in), so a file cannot redirect a password reset or rename anyone.
    """
    in_file = {
        "name": f"{row.first_name} {row.last_name}".strip(),
        "email": row.email,
        "sis_id": row.sis_id,
        "canvas_user_id": row.canvas_user_id,
    }
    current = {
        "name": user.get_full_name(),
        "email": user.email,
        "sis_id": user.sis_id,
        "canvas_user_id": user.canvas_user_id,
    }
    kept = []
    for field, value in in_file.items():
        if not value or value.casefold() == (current[field] or "").casefold():
            continue
        if field in ("sis_id", "canvas_user_id") and not current[field]:
            continue  # filled in below: a blank id is not an identity to keep
        kept.append(
            {
                "line": row.line,
                "username": row.username,
                "field": field,
                "in_file": value,
                "kept": current[field],
                "message": f"line {row.line}: {row.username}'s {field.replace('_', ' ')} in the file "
                f"differs; kept the existing value",
            }
        )
    return kept


# The ids that name one person: a second account holding one would let Canvas's gradebook import (and the
# portal's grade import, which matches by SIS id) put one student's scores on another.
_PERSON_IDS = {
    "canvas_user_id": ("Canvas user id", "Check {username}'s id in Canvas, or leave it empty"),
    "sis_id": ("SIS id", "Check {username}'s id with the registrar, or leave it empty"),
}


def _refuse_taken_ids(rows: list[RosterRow], existing: dict[str, User]) -> None:
    """A Canvas user id or a SIS id names one person: a row giving a student an id another account holds
    is refused. Rows whose account keeps a different id of its own are reported as kept instead, so their
    file value is never written (_kept_values)."""
    errors = {}
    for field, (label, advice) in _PERSON_IDS.items():
        wanted = {
            getattr(r, field): r
            for r in rows
            if getattr(r, field) and not (r.username in existing and getattr(existing[r.username], field))
        }
        for batch in _batches(wanted):
            for value, username in User.objects.filter(**{f"{field}__in": batch}).values_list(
                field, "username"
            ):
                row = wanted[value]
                if username != row.username:
                    errors.setdefault(f"line {row.line}", []).append(
                        f"{label} {value} already belongs to another account; one {label} is one person. "
                        + advice.format(username=row.username)
                    )
    if errors:
        fields = {
            line: "; ".join(problems)
            for line, problems in sorted(errors.items(), key=lambda item: int(item[0].split()[1]))
        }
        first = next(iter(fields))
        raise PortalError(
            f"Nothing was imported: {len(fields)} row{'s' if len(fields) != 1 else ''} give an id another "
            f"account holds. First: {first}: {fields[first]}.",
            code="invalid_rows",
            fields=fields,
        )


def roster_import_request(*, acting_user, course_id: int, data: bytes) -> ImportJob:
    """Start a roster import (instructors): what needs no parsing is refused at once (access, encoding,
    the header); the rows are validated and applied by a job (`roster_import_run`)."""
    course = access.access_course_as_instructor(acting_user, course_id)
    text = decode_csv(data)
    _check_header(next(csv.reader(io.StringIO(text[:65536])), []))

    return import_job_create(
        acting_user=acting_user,
        course=course,
        kind=ImportJob.Kind.ROSTER,
        data=data,
        task="courses.tasks.run_roster_import",
    )


def roster_import_run(*, job_id: int) -> str:
    """The job: parse and validate (progress 0-50 %), then apply every row in one transaction."""

    def prepare(*, job, data, claim):
        text = decode_csv(data)
        total = max(text.count("\n") - 1, 1)
        claim.beat(rows_total=total)

        def progress(done: int) -> None:
            claim.beat(rows_done=done, progress=progress_of(done, total, end=50))

        return parse_roster(course=job.course, text=text, progress=progress)

    def apply(*, job, data, prepared, claim):
        return roster_apply(acting_user=job.requested_by, course=job.course, rows=prepared)

    return import_job_run(job_id=job_id, prepare=prepare, apply=apply)


@transaction.atomic
def roster_import(*, acting_user, course_id: int, data: bytes) -> dict:
    """The whole import at once, in the caller's process (scripts and the shell; the API uses the job)."""
    course = access.access_course_as_instructor(acting_user, course_id)
    rows = parse_roster(course=course, text=decode_csv(data))
    return roster_apply(acting_user=acting_user, course=course, rows=rows)


def _existing_accounts(rows: list[RosterRow]) -> tuple[list[RosterRow], dict[str, User]]:
    """The accounts the rows name, locked, by username; a row naming one in another letter case ("UG1" for
    ug1) is that account's, its username as the account spells it (never a second account, which single
    sign-on, matching logins without case, could not tell apart). A name that two accounts share in
    different cases cannot be told: those rows are refused."""
    by_lowered: dict[str, list[User]] = {}
    for batch in _batches(r.username for r in rows):
        for user in _accounts_named(batch).select_for_update():
            by_lowered.setdefault(user.lowered, []).append(user)
    ambiguous = {
        f"line {r.line}": f"{r.username} names {len(by_lowered[r.username.lower()])} accounts that differ only "
        "in letter case; ask the portal's administrators to merge them, then upload again"
        for r in rows
        if len(by_lowered.get(r.username.lower(), [])) > 1
    }
    if ambiguous:
        raise PortalError(
            f"Nothing was imported: {len(ambiguous)} row{'s' if len(ambiguous) != 1 else ''} name more than one "
            f"account. First: {next(iter(ambiguous))}: {next(iter(ambiguous.values()))}.",
            code="invalid_rows",
            fields=ambiguous,
        )
    existing = {users[0].username: users[0] for users in by_lowered.values()}
    named = [
        replace(r, username=by_lowered[r.username.lower()][0].username)
        if r.username.lower() in by_lowered
        else r
        for r in rows
    ]
    return named, existing


@transaction.atomic
def roster_apply(*, acting_user, course: Course, rows: list[RosterRow]) -> dict:
    """Apply validated rows, all or nothing, in bulk: a few queries per 2,000 rows, one audit row, one
    deadline recompute for the course after commit."""
    _refuse_staff_rows(rows)
    rows, existing = _existing_accounts(rows)
    _refuse_taken_ids(rows, existing)
    _refuse_overfull_sections(rows, existing)
    now = timezone.now()
    new_users: list[User] = []
    sis_filled: list[User] = []
    canvas_filled: list[User] = []
    kept: list[dict] = []
    for row in rows:
        user = existing.get(row.username)
        if user is None:
            # No usable password: the account holder signs in through the university, or asks.
            new_users.append(
                User(
                    username=row.username,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    email=row.email,
                    sis_id=row.sis_id,
                    canvas_user_id=row.canvas_user_id,
                    password=make_password(None),
                    date_joined=now,
                )
            )
        else:
            kept += _kept_values(row, user)
            if row.sis_id and not user.sis_id:
                user.sis_id = row.sis_id
                sis_filled.append(user)
            if row.canvas_user_id and not user.canvas_user_id:
                user.canvas_user_id = row.canvas_user_id
                canvas_filled.append(user)
    User.objects.bulk_create(new_users, batch_size=BATCH)
    User.objects.bulk_update(sis_filled, ["sis_id"], batch_size=BATCH)
    User.objects.bulk_update(canvas_filled, ["canvas_user_id"], batch_size=BATCH)
    user_ids = {u.username: u.id for u in [*existing.values(), *new_users]}

    # Where each student of the file stands in this course now.
    current: dict[tuple[int, int], tuple[int, str, str]] = {}
    for batch in _batches(user_ids.values()):
        for enrolment_id, user_id, section_id, status, basis in Enrolment.objects.filter(
            section__course=course, user_id__in=batch
        ).values_list("id", "user_id", "section_id", "status", "grading_basis"):
            current[(user_id, section_id)] = (enrolment_id, status, basis)
    target = {user_ids[r.username]: r.section.id for r in rows}
    # A section change moves the student: their place in any other section of the course is dropped.
    moved_out = {
        enrolment_id: section_id
        for (user_id, section_id), (enrolment_id, status, _) in current.items()
        if section_id != target[user_id] and status != Enrolment.Status.DROPPED
    }
    for batch in _batches(moved_out):
        Enrolment.objects.filter(pk__in=batch).update(status=Enrolment.Status.DROPPED, updated_at=now)
    # An existing enrolment keeps its joined_at, except one put (back) on the waitlist: its place in the
    # queue starts now, as a student joining it would (never ahead of those already waiting).
    upserts: dict[bool, list[Enrolment]] = {True: [], False: []}  # joins the queue now → the rows
    for row in rows:
        user_id = user_ids[row.username]
        held = current.get((user_id, row.section.id))
        if held is not None and held[1:] == (row.status, row.grading_basis):
            continue
        joins_queue = row.status == Enrolment.Status.WAITLISTED and (
            held is None or held[1] != Enrolment.Status.WAITLISTED
        )
        upserts[joins_queue].append(
            Enrolment(
                user_id=user_id,
                section=row.section,
                status=row.status,
                grading_basis=row.grading_basis,
                joined_at=now,
                updated_at=now,
            )
        )
    for joins_queue, batch in upserts.items():
        Enrolment.objects.bulk_create(
            batch,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["user", "section"],
            update_fields=["status", "grading_basis", "updated_at", *(["joined_at"] if joins_queue else [])],
        )
    written = len(upserts[True]) + len(upserts[False])
    created, updated = len(new_users), len(rows) - len(new_users)
    audit_record(
        actor=acting_user,
        course=course,
        action="roster.import",
        created=created,
        updated=updated,
        rows=len(rows),
        kept=len(kept),
        enrolments_written=written,
        moved_out=len(moved_out),
    )

    enqueue_on_commit("courses.tasks.recompute_course_deadlines", course_id=course.id)
    # The sections the file fills and the ones it moved students out of (a freed seat is offered).
    for section_id in sorted({row.section.id for row in rows} | set(moved_out.values())):
        enqueue_on_commit("courses.tasks.promote_from_waitlist", section_id=section_id)
    return {"rows": len(rows), "created": created, "updated": updated, "kept": kept}
