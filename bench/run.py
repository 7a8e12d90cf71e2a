"""The portal's benchmark: query counts, latency under load, deadline recompute and the grade export.

    make bench                                # the full run (under 10 minutes on a 2-core machine)
    .venv/bin/python bench/run.py --quick     # a smaller variant while developing
    .venv/bin/python bench/run.py --keep      # leave the bench database in place afterwards

It creates its own PostgreSQL database (`portal_bench`, dropped at the end), migrates it, loads synthetic
courses with bulk_create and COPY (not the services, for speed), serves the portal with gunicorn on
loopback under the production settings, drives it from a second process, and writes bench/results.json.
Nothing here passes or fails: it prints figures.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"

FULL = {
    "small_students": 10,
    "small_assignments": 1,
    "large_students": 10_000,
    "large_assignments": 100,
    "small_regrades": 10,
    "large_regrades": 5_000,
    "export_students": 10_000,
    "export_assignments": 25,
    "export_big_students": 50_000,
    "export_big_assignments": 5,  # 50,000 x 5: the same 250,000 cells as 10,000 x 25, loaded in time
    "export_questions": 3,
    "clients": 8,
    "requests_per_client": 20,
    "seconds_per_endpoint": 8,  # a client stops early (after 3 requests at least) past this budget
    "recompute_repeats": 6,
    "roster_rows": 50_000,
    "wrk_seconds": 6,  # per path, at the LARGE size
}
QUICK = {
    **FULL,
    "large_students": 1_000,
    "large_assignments": 20,
    "large_regrades": 500,
    "export_students": 1_000,
    "export_assignments": 5,
    "export_big_students": 5_000,
    "export_big_assignments": 2,
    "clients": 4,
    "requests_per_client": 5,
    "seconds_per_endpoint": 3,
    "recompute_repeats": 2,
    "roster_rows": 5_000,
    "wrk_seconds": 3,
}

FIRST_NAMES = ["Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Radia", "Ken", "Margaret"]
SESSION_COOKIE = "sessionid"


STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench +{time.perf_counter() - STARTED:5.0f} s] {message}", flush=True)


def ts(moment: datetime | None) -> str:
    """A timestamptz in COPY text format (\\N for NULL)."""
    return r"\N" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")


class Clock:
    """Wall-clock seconds per phase."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.phases: dict[str, float] = {}

    def phase(self, name: str):
        clock = self

        class _Phase:
            def __enter__(self):
                self.t = time.perf_counter()
                log(f"{name} …")

            def __exit__(self, *exc):
                clock.phases[name] = round(time.perf_counter() - self.t, 2)
                log(f"{name}: {clock.phases[name]:.1f} s")

        return _Phase()

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 1)


# ---- the database ---------------------------------------------------------------------------------


def admin_sql(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def configure_environment(server: str, name: str, work: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{server}/{name}",
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_STATIC_ROOT": str(work / "static"),
            "DJANGO_MEDIA_ROOT": str(work / "media"),
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    # No broker: nothing measured here enqueues a task, and the bench must not feed a shared Redis.
    os.environ.pop("REDIS_URL", None)


def sql(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def copy_lines(table: str, columns: list[str], lines) -> int:
    """COPY text-format lines (tab-separated, newline-terminated) into a table."""
    from django.db import connection

    count = 0
    started = time.perf_counter()
    batch: list[str] = []
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as cp:
        for line in lines:
            batch.append(line)
            if len(batch) >= 50_000:
                cp.write("".join(batch))
                count += len(batch)
                batch.clear()
        if batch:
            cp.write("".join(batch))
            count += len(batch)
    if count >= 100_000:
        log(f"  {table}: {count} rows in {time.perf_counter() - started:.1f} s")
    return count


def next_id(table: str) -> int:
    return sql(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")[0][0]


BULK_TABLES = [
    "courses_user",
    "courses_enrolment",
    "courses_effectivedeadline",
    "grading_grade",
    "grading_questionscore",
]


@contextmanager
def bulk_load(tables: list[str]):
    """The usual bulk-load setup: secondary indexes and unique constraints dropped and rebuilt at the end
    (one sort per index instead of millions of inserts), and foreign-key triggers off for this session
    (session_replication_role = replica; the generated rows are consistent by construction)."""
    saved = []
    for table in tables:
        for index, index_def, constraint, constraint_def in sql(
            """
            SELECT i.relname, pg_get_indexdef(i.oid), c.conname, pg_get_constraintdef(c.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype = 'u'
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
            """,
            [table],
        ):
            sql(
                f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"'
                if constraint
                else f'DROP INDEX "{index}"'
            )
            saved.append((table, index_def, constraint, constraint_def))
    try:
        sql("SET session_replication_role = replica")
        replica = True
    except Exception:  # not a superuser: keep the triggers, only slower
        replica = False
    t = time.perf_counter()
    try:
        yield
    finally:
        log(f"  rows loaded in {time.perf_counter() - t:.1f} s; rebuilding {len(saved)} indexes")
        t = time.perf_counter()
        if replica:
            sql("SET session_replication_role = DEFAULT")
        for table, index_def, constraint, constraint_def in saved:
            sql(
                f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_def}'
                if constraint
                else index_def
            )
        log(f"  indexes rebuilt in {time.perf_counter() - t:.1f} s")
        sql("ANALYZE")


def reset_sequence(table: str) -> None:
    sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


# ---- the synthetic data ---------------------------------------------------------------------------


def make_users(prefix: str, count: int, now: datetime) -> list[int]:
    from courses.models import User

    joined = ts(now - timedelta(days=200))
    columns = "password is_superuser username first_name last_name email is_staff is_active date_joined"
    columns = [*columns.split(), "sis_id", "calendar_token"]
    # Any other required column (fields added since) gets its model default, as a save would give it.
    rest = [
        f for f in User._meta.concrete_fields if f.column not in columns and not f.primary_key and not f.null
    ]
    tail = "".join(f"\t{f.get_prep_value(f.get_default())}" for f in rest)

    def lines():
        for i in range(count):
            username = f"{prefix}{i:05d}"
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = f"Student{(i * 7919) % count:05d}"
            yield (
                f"!\tf\t{username}\t{first}\t{last}\t{username}@example.edu\tf\tt\t{joined}\t"
                f"S{username}\tbench-{username}{tail}\n"  # the SIS id: unique, like the registrar's
            )

    copy_lines("courses_user", [*columns, *(f.column for f in rest)], lines())
    return list(User.objects.filter(username__startswith=prefix).order_by("id").values_list("id", flat=True))


def make_course(
    term, code: str, students: list[int], *, assignments: int, first_due: datetime, now: datetime
):
    """A course with two sections (students alternate between them) and `assignments` homeworks due one
    day apart from `first_due`."""
    from courses.models import Assignment, Course, Section

    course = Course.objects.create(term=term, code=code, title=f"Benchmark course {code}")
    sections = Section.objects.bulk_create(
        [
            Section(
                course=course,
                code=f"{code}-UG",
                level=Section.Level.UNDERGRADUATE,
                capacity=len(students),
                room_capacity=max(len(students), 1),
            ),
            Section(
                course=course,
                code=f"{code}-GR",
                level=Section.Level.GRADUATE,
                capacity=len(students),
                room_capacity=max(len(students), 1),
            ),
        ]
    )
    weight = Decimal(100) / max(assignments, 1)
    made = Assignment.objects.bulk_create(
        [
            Assignment(
                course=course,
                code=f"A{i:03d}",
                title=f"Homework {i}",
                category=Assignment.Category.HOMEWORK,
                weight=weight.quantize(Decimal("0.001")),
                release_at=first_due + timedelta(days=i) - timedelta(days=14),
                due_at=first_due + timedelta(days=i),
            )
            for i in range(assignments)
        ]
    )
    joined = ts(now - timedelta(days=120))
    copy_lines(
        "courses_enrolment",
        ["user_id", "section_id", "status", "grading_basis", "joined_at", "updated_at"],
        (
            f"{student}\t{sections[i % 2].id}\tenrolled\tcredit\t{joined}\t{joined}\n"
            for i, student in enumerate(students)
        ),
    )
    return course, sections, made


def load_deadlines(course, students: list[int], assignments, now: datetime) -> int:
    """One EffectiveDeadline per student and assignment, as the deadline task would have stored them: closed
    windows are submitted (9 in 10) or missing, the rest pending."""
    from courses.windows import Policy, deadline_inputs_key, window_for

    policy = Policy.of(course)
    variants = []
    for a in assignments:
        w = window_for(policy=policy, due_at=a.due_at, grace_allowed=a.grace_allowed)
        key = deadline_inputs_key(
            policy=policy, due_at=a.due_at, grace_allowed=a.grace_allowed, extension_due_at=None
        )
        head = f"{a.id}\t{ts(w.due_at)}\t{ts(w.grace_ends_at)}\t{ts(w.closes_at)}\t\\N"
        closed = w.closes_at < now
        submitted_at = w.due_at - timedelta(hours=3)
        closed_at = ts(w.closes_at if closed else None)
        done = f"{head}\t{ts(submitted_at)}\t0\t0\tsubmitted\t{closed_at}\t{ts(now)}\t{key}\n"
        outcome = "missing" if closed else "pending"
        missing = f"{head}\t{ts(None)}\t0\t0\t{outcome}\t{closed_at}\t{ts(now)}\t{key}\n"
        variants.append((a.id, done if closed else None, missing))

    def lines():
        for s in students:
            for aid, done, missing in variants:
                yield f"{s}\t{done if done and (s + aid) % 10 else missing}"

    columns = "student_id assignment_id due_at grace_ends_at closes_at extension_due_at last_submitted_at"
    columns += " late_days_used penalty_percent outcome closed_at computed_at inputs_key"
    return copy_lines("courses_effectivedeadline", columns.split(), lines())


def load_grades(
    course, sections, students: list[int], assignments, questions_per: int, now: datetime
) -> dict:
    """Questions (the last one extra credit for the undergraduate section), released grades and a score
    for every student and question."""
    from grading.models import Question, QuestionRequirement

    questions = Question.objects.bulk_create(
        [
            Question(assignment=a, label=f"Q{q + 1}", points=Decimal(10), position=q)
            for a in assignments
            for q in range(questions_per)
        ]
    )
    QuestionRequirement.objects.bulk_create(
        [
            QuestionRequirement(
                question=q, section=sections[0], requirement=QuestionRequirement.Requirement.EXTRA_CREDIT
            )
            for q in questions
            if q.position == questions_per - 1 and questions_per > 1
        ]
    )
    by_assignment: dict[int, list[int]] = {}
    for q in questions:
        by_assignment.setdefault(q.assignment_id, []).append(q.id)
    released = ts(now - timedelta(days=3))
    regrade_deadline = ts(now + timedelta(days=4))
    first = next_id("grading_grade")
    grade_count = copy_lines(
        "grading_grade",
        ["id", "student_id", "assignment_id", "released_at", "regrade_deadline", "created_at", "updated_at"],
        (
            f"{first + i * len(assignments) + j}\t{s}\t{a.id}\t{released}\t{regrade_deadline}\t{released}\t{released}\n"
            for i, s in enumerate(students)
            for j, a in enumerate(assignments)
        ),
    )
    reset_sequence("grading_grade")
    score_count = copy_lines(
        "grading_questionscore",
        ["grade_id", "question_id", "score"],
        (
            f"{first + i * len(assignments) + j}\t{qid}\t{(s * 7 + k * 13 + j) % 11}.{(s + k) % 2 * 5}0\n"
            for i, s in enumerate(students)
            for j, a in enumerate(assignments)
            for k, qid in enumerate(by_assignment[a.id])
        ),
    )
    return {"questions": len(questions), "grades": grade_count, "scores": score_count}


def add_staff(course, username: str, role: str):
    from courses.models import StaffRole, User

    user = User.objects.create(username=username, first_name="Staff", last_name=username, password="!")
    StaffRole.objects.create(user=user, course=course, role=role)
    return user


def load_regrades(course, students: list[int], assignment, count: int, now: datetime) -> int:
    """`count` open regrade requests on the assignment's first question, one per student, oldest first."""
    from grading.models import Grade, Question, QuestionScore, RegradeRequest

    question = Question.objects.create(assignment=assignment, label="Q1", points=Decimal(10))
    grades = Grade.objects.bulk_create(
        [
            Grade(student_id=s, assignment=assignment, released_at=now - timedelta(days=2))
            for s in students[:count]
        ],
        batch_size=2000,
    )
    QuestionScore.objects.bulk_create(
        [QuestionScore(grade=g, question=question, score=Decimal("6.50")) for g in grades], batch_size=2000
    )
    RegradeRequest.objects.bulk_create(
        [
            RegradeRequest(
                grade=g,
                assignment=assignment,
                course=course,
                question=question,
                student_id=g.student_id,
                justification="Part (b) follows the rubric's second approach; please look again.",
                created_at=now - timedelta(hours=48) + timedelta(seconds=i),
                old_score=Decimal("6.50"),
            )
            for i, g in enumerate(grades)
        ],
        batch_size=2000,
    )
    return len(grades)


def build_http_data(sizes: dict, now: datetime) -> dict:
    """SMALL and LARGE courses for the deadline endpoints and the regrade queue, plus the people who use them."""
    from django.test import Client

    from courses.models import StaffRole, Term, User
    from courses.services.accounts import api_token_create

    term = Term.objects.create(
        name="Bench term",
        starts_on=(now - timedelta(days=120)).date(),
        ends_on=(now + timedelta(days=120)).date(),
    )
    out: dict = {"term": term}
    for size in ("small", "large"):
        students = make_users(f"{size[0]}-", sizes[f"{size}_students"], now)
        n = sizes[f"{size}_assignments"]
        # Half of the windows have passed, one is in its grace period, the rest are open.
        first_due = now - timedelta(days=n // 2 + 1) if n > 1 else now + timedelta(days=3)
        course, _sections, assignments = make_course(
            term, size.upper(), students, assignments=n, first_due=first_due, now=now
        )
        deadlines = load_deadlines(course, students, assignments, now)
        ta = add_staff(course, f"ta-{size}", StaffRole.Role.TA)
        regrades = load_regrades(course, students, assignments[0], sizes[f"{size}_regrades"], now)
        student = User.objects.get(pk=students[-1])
        users = {"student": student, "ta": ta}
        tokens = {k: api_token_create(user=u, name="bench")[1] for k, u in users.items()}
        cookies = {}
        for k, u in users.items():
            client = Client()
            client.force_login(u)
            cookies[k] = client.cookies[SESSION_COOKIE].value
        out[size] = {
            "course": course,
            "students": students,
            "assignments": assignments,
            "users": users,
            "tokens": tokens,
            "cookies": cookies,
            "rows": {
                "students": len(students),
                "assignments": n,
                "deadlines": deadlines,
                "regrades": regrades,
            },
        }
    return out


def build_export_data(term, label: str, students_n: int, assignments_n: int, questions: int, now: datetime):
    from courses.models import StaffRole
    from grading.models import GradeExport

    students = make_users(f"{label}-", students_n, now)
    first_due = now - timedelta(days=assignments_n + 10)
    course, sections, assignments = make_course(
        term, label.upper(), students, assignments=assignments_n, first_due=first_due, now=now
    )
    deadlines = load_deadlines(course, students, assignments, now)
    counts = load_grades(course, sections, students, assignments, questions, now)
    instructor = add_staff(course, f"instructor-{label}", StaffRole.Role.INSTRUCTOR)
    export = GradeExport.objects.create(
        course=course, format=GradeExport.Format.CANVAS, requested_by=instructor, created_at=now
    )
    return {
        "course": course,
        "export_id": export.id,
        "rows": {"students": students_n, "assignments": assignments_n, "deadlines": deadlines, **counts},
    }


# ---- query counts (in-process, Django test client on the same database) ------------------------------


def count_queries(path: str, *, token: str | None = None, cookie_user=None) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    extra = {}
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Token {token}"
    if cookie_user is not None:
        client.force_login(cookie_user)
    client.get(path, **extra)  # warm caches (content types, templates) so the count is a steady state
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **extra)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
    return {"queries": len(captured.captured_queries), "bytes": len(response.content)}


# ---- load (a second process: threads with keep-alive http.client connections) -------------------------


MIN_REQUESTS = 3  # per client, even when an endpoint is slower than its time budget


def load_worker() -> None:
    """Run in a child process: read a plan on stdin, print latencies as JSON."""
    plan = json.load(sys.stdin)
    out = {}
    for job in plan["jobs"]:
        out[job["name"]] = run_job(plan["port"], job)
    json.dump(out, sys.stdout)


def run_job(port: int, job: dict) -> dict:
    clients, per_client = job["clients"], job["per_client"]
    started: list[float] = []
    barrier = threading.Barrier(clients, action=lambda: started.append(time.perf_counter()))

    def one(conn) -> tuple[int, int]:
        conn.request("GET", job["path"], headers=job["headers"])
        response = conn.getresponse()
        body = response.read()
        if response.will_close:  # gunicorn's sync workers close after each response; reconnect next time
            conn.close()
        return response.status, len(body)

    def client(index: int) -> tuple[list[float], list[int], int, int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies, statuses, size, errors = [], [], 0, 0
        if index < job["warmup"]:  # one request per server worker, not recorded
            try:
                one(conn)
            except (OSError, http.client.HTTPException):
                conn.close()
        barrier.wait()
        stop_at = started[0] + job["max_seconds"]
        for done in range(per_client):
            if done >= MIN_REQUESTS and time.perf_counter() > stop_at:
                break  # a slow endpoint on a busy machine: enough samples, keep the run short
            t = time.perf_counter()
            try:
                status, size = one(conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                errors += 1
                continue
            latencies.append((time.perf_counter() - t) * 1000)
            statuses.append(status)
        conn.close()
        return latencies, statuses, size, errors

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    wall = time.perf_counter() - started[0]
    latencies = sorted(x for r in results for x in r[0])
    statuses = [s for r in results for s in r[1]]
    return {
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "requests": len(latencies),
        "non_200": sum(1 for s in statuses if s != 200),
        "errors": sum(r[3] for r in results),
        "rps": round(len(latencies) / wall, 1) if wall else None,
        "bytes": results[0][2],
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int, logfile: Path) -> subprocess.Popen:
    log_handle = logfile.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log_handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"gunicorn exited ({proc.returncode}); see {logfile}:\n{logfile.read_text()[-2000:]}"
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return proc
            proc.terminate()
            raise SystemExit(f"gunicorn answered {status}; see {logfile}:\n{logfile.read_text()[-3000:]}")
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"gunicorn did not answer within 60 s; see {logfile}")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- the floor with a native load generator (wrk), so the Python client's own CPU hides nothing ------------


def ensure_wrk() -> str | None:
    """wrk (the Debian package), installed with apt-get when missing and possible (root); None otherwise."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("installing wrk (Debian package) …")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True, check=False, timeout=600).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False, timeout=600)
        subprocess.run(install, capture_output=True, check=False, timeout=600)
    return shutil.which("wrk")


def _wrk_ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)):
        if text.endswith(unit):
            return round(float(text[: -len(unit)]) * factor, 2)
    return float(text)


def run_wrk(wrk: str, port: int, path: str, headers: dict, connections: int, seconds: int) -> dict:
    """`wrk -t2 -c<connections> -d<seconds>s --latency`: requests/s and latency percentiles."""
    command = [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    out: dict = {"requests": None, "rps": None, "non_2xx": 0, "socket_errors": 0}
    for line in result.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            out["rps"] = float(words[1])
        elif " requests in " in line:
            out["requests"] = int(words[0])
        elif line.startswith("  Non-2xx or 3xx responses:"):
            out["non_2xx"] = int(words[-1])
        elif line.startswith("  Socket errors:"):
            out["socket_errors"] = sum(int(w.rstrip(",")) for w in words if w.rstrip(",").isdigit())
        elif len(words) == 2 and words[0] in ("50%", "75%", "90%", "99%"):
            out[f"p{words[0][:-1]}_ms"] = _wrk_ms(words[1])
    if out["rps"] is None:
        out["error"] = (result.stderr or result.stdout)[-500:]
    return out


def run_load(port: int, jobs: list[dict]) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--load-worker"],
        input=json.dumps({"port": port, "jobs": jobs}),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the load process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


# ---- deadline recompute -------------------------------------------------------------------------------


def bench_recompute(data: dict, repeats: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from courses.models import Assignment, EffectiveDeadline
    from courses.services.deadlines import deadline_recompute
    from courses.windows import Policy, window_for

    course = data["course"]
    # An assignment whose window is still open (the common case: the instructor moves a coming due date).
    assignment = data["assignments"][-1]
    policy = Policy.of(course)
    rows = EffectiveDeadline.objects.filter(assignment=assignment).count()
    service, raw, queries, query_ms = [], [], None, []
    due = assignment.due_at

    def same_start() -> None:
        # Both statements start alike: tidy pages (no dead rows left by the other to clean up) and a fresh
        # checkpoint (each pays the full-page images of the first write after one).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM courses_effectivedeadline")
            # CHECKPOINT needs a superuser (or pg_checkpoint): without one, skipped for both alike.
            with contextlib.suppress(Exception):
                cursor.execute("CHECKPOINT")

    def run_service(due) -> None:
        nonlocal queries, query_ms
        Assignment.objects.filter(pk=assignment.pk).update(due_at=due)
        same_start()
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            written = deadline_recompute(assignment_id=assignment.pk)
            service.append(time.perf_counter() - t)
        queries = len(captured.captured_queries)
        if not query_ms:
            query_ms = [
                {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:90]}
                for q in captured.captured_queries
            ]
        if written != rows:
            raise SystemExit(f"deadline_recompute wrote {written} rows, expected {rows}")
        stored = EffectiveDeadline.objects.filter(assignment=assignment).values_list("due_at", flat=True)
        if set(stored) != {due}:
            raise SystemExit("deadline_recompute did not store the new due date on every row")

    def run_raw(due) -> None:
        # The floor: the same change written by hand, one UPDATE of the same rows.
        w = window_for(policy=policy, due_at=due, grace_allowed=assignment.grace_allowed)
        same_start()
        with connection.cursor() as cursor:
            t = time.perf_counter()
            cursor.execute(
                "UPDATE courses_effectivedeadline SET due_at = %s, grace_ends_at = %s, closes_at = %s "
                "WHERE assignment_id = %s",
                [w.due_at, w.grace_ends_at, w.closes_at, assignment.pk],
            )
            raw.append(time.perf_counter() - t)
            if cursor.rowcount != rows:
                raise SystemExit(f"the raw UPDATE touched {cursor.rowcount} rows, expected {rows}")

    # Alternate which goes first, so neither always writes right after the other.
    for i in range(repeats):
        due = due + timedelta(hours=1 + i)
        first, second = (run_service, run_raw) if i % 2 == 0 else (run_raw, run_service)
        first(due)
        second(due + timedelta(minutes=1))
    s, r = statistics.median(service), statistics.median(raw)
    return {
        "students": rows,
        "repeats": repeats,
        "service_s": round(s, 3),
        "raw_update_s": round(r, 3),
        "ratio": round(s / r, 2) if r else None,
        "service_queries": queries,
        "service_query_ms_first_run": query_ms,
        "service_all_s": [round(x, 3) for x in service],
        "raw_all_s": [round(x, 3) for x in raw],
    }


# ---- grade export -------------------------------------------------------------------------------------

EXPORT_CHILD = """
import json, resource, sys, time
def peak_kb():
    # VmHWM: this process's own peak RSS. ru_maxrss would also carry the parent's RSS at fork/exec.
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import django
django.setup()
from grading.models import GradeExport
from grading.services.exports import grade_export_run
base = peak_kb()
t = time.perf_counter()
status = grade_export_run(export_id=int(sys.argv[1]))
seconds = time.perf_counter() - t
export = GradeExport.objects.get(pk=int(sys.argv[1]))
peak = peak_kb()
print(json.dumps({"status": status, "seconds": seconds, "file": export.file.path, "error": export.error,
                  "base_kb": base, "peak_kb": peak}))
"""

RAW_EXPORT_SQL = """
COPY (
  SELECT u.last_name, u.first_name, u.id, u.sis_id, u.username, s.code, g.assignment_id, qs.question_id, qs.score
  FROM grading_questionscore qs
  JOIN grading_grade g ON g.id = qs.grade_id
  JOIN courses_assignment a ON a.id = g.assignment_id
  JOIN courses_user u ON u.id = g.student_id
  JOIN courses_enrolment e ON e.user_id = u.id AND e.status = 'enrolled'
  JOIN courses_section s ON s.id = e.section_id AND s.course_id = a.course_id
  WHERE a.course_id = {course}
  ORDER BY u.last_name, u.first_name, u.username, g.assignment_id, qs.question_id
) TO STDOUT WITH CSV
"""


def raw_copy_seconds(course_id: int) -> tuple[float, int]:
    """The floor: PostgreSQL writing the same score rows, joined to the students, as CSV to a file."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn, tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        with conn.cursor().copy(RAW_EXPORT_SQL.format(course=int(course_id))) as cp:
            for block in cp:
                out.write(block)
        seconds = time.perf_counter() - t
        out.seek(0)
        lines = sum(1 for _ in out)
    return seconds, lines


EXPORT_REPEATS = 3  # COPY and the export each, alternating: one run's ratio swings with the machine


def export_once(export_id: int) -> dict:
    """One run of the export in a fresh process, the job row queued again first (a finished job is not
    run twice)."""
    from grading.models import GradeExport

    GradeExport.objects.filter(pk=export_id).update(status=GradeExport.Status.QUEUED, file="")
    result = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, str(export_id)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the export process failed:\n{result.stderr[-3000:]}")
    child = json.loads(result.stdout.strip().splitlines()[-1])
    if child["status"] != "done":
        raise SystemExit(f"the export ended {child['status']}: {child['error']}")
    return child


def bench_export(info: dict, repeats: int = EXPORT_REPEATS) -> dict:
    """COPY and the export `repeats` times each, alternating (so a busy moment of the machine falls on
    both); the ratio is that of the two medians. Memory: the highest peak of the runs."""
    raw_runs, runs = [], []
    for _ in range(repeats):
        raw_s, raw_lines = raw_copy_seconds(info["course"].id)
        raw_runs.append(raw_s)
        runs.append(export_once(info["export_id"]))
    with open(runs[-1]["file"], encoding="utf-8") as f:
        csv_rows = sum(1 for _ in f) - 2  # the header and the "Points Possible" row
    if csv_rows != info["rows"]["students"]:
        raise SystemExit(f"the export has {csv_rows} student rows, expected {info['rows']['students']}")
    export_s = statistics.median(r["seconds"] for r in runs)
    raw_s = statistics.median(raw_runs)
    return {
        **info["rows"],
        "export_s": round(export_s, 2),  # median of `repeats`
        "raw_copy_s": round(raw_s, 2),  # median of `repeats`
        "raw_copy_rows": raw_lines,
        "ratio": round(export_s / raw_s, 2) if raw_s else None,  # of the medians
        "worker_peak_mb": round(max(r["peak_kb"] for r in runs) / 1024, 1),
        "worker_after_setup_mb": round(max(r["base_kb"] for r in runs) / 1024, 1),
        "csv_rows": csv_rows,
        "repeats": repeats,
        "export_runs_s": [round(r["seconds"], 2) for r in runs],
        "raw_copy_runs_s": [round(x, 2) for x in raw_runs],
        "ratio_runs": [
            round(r["seconds"] / x, 2) if x else None for r, x in zip(runs, raw_runs, strict=True)
        ],
    }


# ---- roster import ------------------------------------------------------------------------------------


def bench_roster_import(term, rows: int) -> dict:
    """A roster import job of `rows` new students (then the same file again: every account exists),
    run as the worker runs it; its time is the job's own started_at → finished_at."""
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from courses.models import Course, ImportJob, Section, StaffRole, User
    from courses.services.roster import roster_import_run

    course = Course.objects.create(term=term, code="ROSTER", title="Benchmark roster import")
    # Every tenth student waitlisted; the sections hold exactly the enrolled ones (nobody to promote).
    seats = [sum(1 for i in range(rows) if i % 2 == half and i % 10) for half in (0, 1)]
    sections = [
        Section.objects.create(
            course=course, code=f"ROSTER-{i}", level=level, capacity=seats[i], room_capacity=max(seats[i], 1)
        )
        for i, level in enumerate((Section.Level.UNDERGRADUATE, Section.Level.GRADUATE))
    ]
    instructor = User.objects.create(username="roster-instructor", password="!")
    StaffRole.objects.create(user=instructor, course=course, role=StaffRole.Role.INSTRUCTOR)
    lines = ["username,name,email,section,status,grading_basis,sis_id"]
    for i in range(rows):
        status = "enrolled" if i % 10 else "waitlisted"
        lines.append(
            f"rs{i:06d},Student {i:06d},rs{i:06d}@example.edu,{sections[i % 2].code},{status},credit,9{i:08d}"
        )
    data = ("\r\n".join(lines) + "\r\n").encode()

    runs = []
    for label in ("new students", "same file again"):
        # The job row as roster_import_request stores it; run below in this process, not via the broker.
        job = ImportJob(
            kind=ImportJob.Kind.ROSTER, course=course, requested_by=instructor, created_at=timezone.now()
        )
        job.file.save("roster.csv", ContentFile(data))
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            status = roster_import_run(job_id=job.id)
        wall = time.perf_counter() - t
        job.refresh_from_db()
        if status != "done":
            raise SystemExit(f"the roster import ended {status}: {job.error}")
        seconds = (job.finished_at - job.started_at).total_seconds()
        runs.append(
            {
                "run": label,
                "rows": rows,
                "job_s": round(seconds, 2),
                "wall_s": round(wall, 2),
                "rows_per_s": round(rows / seconds) if seconds else None,
                "queries": len(queries),
                "created": job.result["created"],
                "updated": job.result["updated"],
            }
        )
    if User.objects.filter(username__startswith="rs").count() != rows:
        raise SystemExit("the roster import did not create every account")
    return {"runs": runs}


# ---- report -------------------------------------------------------------------------------------------


def git_commit() -> str | None:
    """Read the checked-out commit from .git without running git."""
    head = ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        name = ref[5:]
        loose = ROOT / ".git" / name
        if loose.exists():
            return loose.read_text().strip()
        for line in (ROOT / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + name):
                return line.split()[0]
    except OSError:
        return None
    return None


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def numeric(i: int) -> bool:
        return all(
            r[i].replace(".", "", 1).replace(" / ", "").lstrip("-").isdigit() or not r[i] for r in cells
        )

    right = [i > 0 and numeric(i) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if right[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def report(results: dict) -> str:
    load = results["load"]
    out = [
        "",
        f"Portal benchmark ({results['mode']}) — {results['date']} — {results['cpu_count']} CPUs, "
        f"load average at start {results['load_average_at_start']}",
        f"Load: {load['clients']} concurrent clients × {load['requests_per_client']} requests per endpoint, "
        f"gunicorn -w {load['gunicorn_workers']} (production settings), token auth for the API, "
        "session cookie for pages. Floor: " + load["floor"],
        "",
    ]
    rows = []
    for e in results["endpoints"]:
        rows.append(
            [
                e["name"],
                f"{e['queries_small']} / {e['queries_large']}",
                e["small"]["p50_ms"] if e.get("small") else "",
                e["large"]["p50_ms"],
                e["large"]["p95_ms"],
                e["large"]["rps"],
                e["ratio_p50_to_floor"],
                round(e["large"]["bytes"] / 1024, 1),
            ]
        )
    out.append(
        table(
            [
                "endpoint",
                "queries S / L",
                "p50 S ms",
                "p50 L ms",
                "p95 L ms",
                "req/s L",
                "p50 L / floor",
                "KB L",
            ],
            rows,
        )
    )
    wrk = results.get("wrk") or {}
    if wrk.get("endpoints"):
        out += ["", f"The same paths with wrk ({wrk['what']}):"]
        out.append(
            table(
                ["endpoint", "req/s", "p50 ms", "p99 ms", "non-2xx", "p50 / floor", "floor req/s / req/s"],
                [
                    [
                        w["name"],
                        w.get("rps"),
                        w.get("p50_ms"),
                        w.get("p99_ms"),
                        w.get("non_2xx"),
                        w.get("ratio_p50_to_floor"),
                        w.get("floor_rps_over_rps"),
                    ]
                    for w in wrk["endpoints"]
                ],
            )
        )
    elif wrk:
        out += [
            "",
            "wrk: not installed and could not be installed (not root, or no apt-get); Python client only",
        ]
    r = results["deadline_recompute"]
    out += [
        "",
        f"Deadline recompute after one due-date change ({r['students']} students, median of {r['repeats']}):",
        f"  deadline_recompute {r['service_s']} s ({r['service_queries']} queries)   raw UPDATE {r['raw_update_s']} s"
        f"   ratio {r['ratio']}",
        "",
        "Canvas grade export (grade_export_run in a separate process) vs raw COPY of the same score rows "
        f"(each {EXPORT_REPEATS} times, alternating; medians, ratio of the medians; the highest peak):",
    ]
    out.append(
        table(
            [
                "students",
                "assignments",
                "score rows",
                "export s",
                "COPY s",
                "ratio",
                "peak MB",
                "after setup MB",
                "run for",
            ],
            [
                [
                    x["students"],
                    x["assignments"],
                    x["scores"],
                    x["export_s"],
                    x["raw_copy_s"],
                    x["ratio"],
                    x["worker_peak_mb"],
                    x["worker_after_setup_mb"],
                    x["purpose"],
                ]
                for x in results["export"]
            ],
        )
    )
    if results.get("roster_import"):
        out += [
            "",
            "Roster import as a job (parse, validate, apply in one transaction; job started → finished):",
        ]
        out.append(
            table(
                ["run", "rows", "job s", "rows/s", "queries", "created", "updated"],
                [
                    [
                        x["run"],
                        x["rows"],
                        x["job_s"],
                        x["rows_per_s"],
                        x["queries"],
                        x["created"],
                        x["updated"],
                    ]
                    for x in results["roster_import"]["runs"]
                ],
            )
        )
    for note in results.get("notes", []):
        out.append(f"Note: {note}")
    out.append(f"\nTotal {results['total_s']} s; results in {results['output']}")
    return "\n".join(out)


# ---- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for development")
    parser.add_argument("--keep", action="store_true", help="do not drop the bench database at the end")
    parser.add_argument(
        "--db", default="portal_bench", help="database to create (dropped first if it exists)"
    )
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 8; 4 with --quick)")
    parser.add_argument("--requests", type=int, help="requests per client per endpoint")
    parser.add_argument("--no-export-big", action="store_true", help="skip the 50,000-student export")
    parser.add_argument("--output", default=str(RESULTS), help="where to write the JSON results")
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_worker:
        load_worker()
        return

    sizes = dict(QUICK if args.quick else FULL)
    if args.clients:
        sizes["clients"] = args.clients
    if args.requests:
        sizes["requests_per_client"] = args.requests
    clock = Clock()
    load_average = [round(x, 2) for x in os.getloadavg()]
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    configure_environment(args.server, args.db, work)
    gunicorn = None
    results: dict = {}
    try:
        with clock.phase("create database, migrate, collectstatic"):
            admin_sql(args.server, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
            admin_sql(args.server, f'CREATE DATABASE "{args.db}"')
            import django

            django.setup()
            from django.core.management import call_command

            t = time.perf_counter()
            call_command("migrate", verbosity=0, interactive=False)
            log(f"  migrated in {time.perf_counter() - t:.1f} s")
            call_command("collectstatic", verbosity=0, interactive=False)
        from django.db import connections
        from django.utils import timezone

        now = timezone.now().replace(microsecond=0)
        es, ea = sizes["export_students"], sizes["export_assignments"]
        bs, ba = sizes["export_big_students"], sizes["export_big_assignments"]
        specs = [("x10", es, ea, "timing")]
        if not args.no_export_big:
            if ba != ea:  # the same width at both class sizes, so the two memory figures compare
                specs.append(("x10w", es, ba, f"memory at {es} students, same width as {bs}"))
            specs.append(("x50", bs, ba, "timing and memory"))
        export_data = []
        with (
            clock.phase("load all data (COPY and bulk_create), rebuild indexes, ANALYZE"),
            bulk_load(BULK_TABLES),
        ):
            data = build_http_data(sizes, now)
            for label, n_students, n_assignments, purpose in specs:
                info = build_export_data(
                    data["term"], label, n_students, n_assignments, sizes["export_questions"], now
                )
                export_data.append({**info, "purpose": purpose})
        connections.close_all()

        small, large = data["small"], data["large"]
        floor_path = "/api/v1/courses/"
        endpoints = [
            ("floor: GET /api/v1/courses/", floor_path, "student", "token"),
            ("GET /api/v1/me/", "/api/v1/me/", "student", "token"),
            ("GET /api/v1/me/deadlines/", "/api/v1/me/deadlines/", "student", "token"),
            ("GET /deadlines/ (page)", "/deadlines/", "student", "cookie"),
            ("GET /regrades/ (TA page)", "/regrades/", "ta", "cookie"),
            ("GET /api/v1/regrade-requests/ (TA)", "/api/v1/regrade-requests/", "ta", "token"),
        ]
        with clock.phase("query counts (in-process test client)"):
            counts = {}
            for name, path, who, auth in endpoints:
                for size in ("small", "large"):
                    d = data[size]
                    if auth == "token":
                        counts[name, size] = count_queries(path, token=d["tokens"][who])
                    else:
                        counts[name, size] = count_queries(path, cookie_user=d["users"][who])

        def job(name: str, path: str, who: str, auth: str, size: str) -> dict:
            d = data[size]
            headers = (
                {"Authorization": f"Token {d['tokens'][who]}"}
                if auth == "token"
                else {"Cookie": f"{SESSION_COOKIE}={d['cookies'][who]}"}
            )
            return {
                "name": f"{name}|{size}",
                "path": path,
                "headers": headers,
                "clients": sizes["clients"],
                # SMALL is the reference point for query counts; its latency gets a shorter run.
                "per_client": sizes["requests_per_client"] // (2 if size == "small" else 1),
                "max_seconds": sizes["seconds_per_endpoint"] / (2 if size == "small" else 1),
                "warmup": args.workers,
            }

        connections.close_all()
        with clock.phase("latency under load (gunicorn)"):
            port = free_port()
            gunicorn = start_gunicorn(port, args.workers, work / "gunicorn.log")
            jobs = [job(*endpoints[0], "large")]
            for e in endpoints[1:]:
                jobs += [job(*e, "small"), job(*e, "large")]
            jobs.append({**job(*endpoints[0], "large"), "name": f"{endpoints[0][0]}|large-again"})
            measured = run_load(port, jobs)
            wrk = ensure_wrk()
            wrk_runs = []
            if wrk:
                log("  the same paths with wrk (a native load generator, same connections)")
                for name, path, who, auth in endpoints:
                    j = job(name, path, who, auth, "large")
                    wrk_runs.append(
                        {
                            "name": name,
                            **run_wrk(wrk, port, path, j["headers"], sizes["clients"], sizes["wrk_seconds"]),
                        }
                    )
            stop(gunicorn)
            gunicorn = None
        wrk_floor = wrk_runs[0] if wrk_runs and wrk_runs[0].get("rps") else None
        for r in wrk_runs:
            if wrk_floor and r.get("rps"):
                r["ratio_p50_to_floor"] = round(r["p50_ms"] / wrk_floor["p50_ms"], 2)
                r["floor_rps_over_rps"] = round(wrk_floor["rps"] / r["rps"], 2)
        floor_runs = [measured[f"{endpoints[0][0]}|large"], measured[f"{endpoints[0][0]}|large-again"]]
        floor_p50 = statistics.fmean(r["p50_ms"] for r in floor_runs)
        endpoint_results = []
        for name, path, who, auth in endpoints:
            big = measured[f"{name}|large"]
            if name == endpoints[0][0]:
                big = {
                    **big,
                    "p50_ms": round(floor_p50, 1),
                    "p95_ms": round(statistics.fmean(r["p95_ms"] for r in floor_runs), 1),
                    "runs": floor_runs,
                }
            endpoint_results.append(
                {
                    "name": name,
                    "path": path,
                    "user": who,
                    "auth": auth,
                    "queries_small": counts[name, "small"]["queries"],
                    "queries_large": counts[name, "large"]["queries"],
                    "bytes_small": counts[name, "small"]["bytes"],
                    "bytes_large": counts[name, "large"]["bytes"],
                    "small": measured.get(f"{name}|small"),
                    "large": big,
                    "ratio_p50_to_floor": round(big["p50_ms"] / floor_p50, 2),
                }
            )
        bad = [(k, v) for k, v in measured.items() if v["non_200"] or v["errors"]]
        if bad:
            raise SystemExit(f"some requests failed: {bad}; see {work / 'gunicorn.log'}")

        with clock.phase(f"roster import of {sizes['roster_rows']} rows"):
            roster_import = bench_roster_import(data["term"], sizes["roster_rows"])
            for run in roster_import["runs"]:
                log(
                    f"  roster import ({run['run']}): {run['rows']} rows in {run['job_s']} s, {run['rows_per_s']} rows/s"
                )

        with clock.phase("deadline recompute"):
            recompute = bench_recompute(large, sizes["recompute_repeats"])

        exports = []
        notes = []
        for info in export_data:
            rows = info["rows"]
            with clock.phase(f"export {rows['students']} x {rows['assignments']}"):
                exports.append({**bench_export(info), "purpose": info["purpose"]})
        if ba != ea and not args.no_export_big:
            same = (
                "the same number of student x assignment cells as"
                if bs * ba == es * ea
                else "fewer cells than"
            )
            notes.append(
                f"the {bs}-student export uses {ba} assignments, not {ea} ({same} {es} x {ea}) to stay within "
                f"the time budget; its memory compares with the {es} x {ba} run"
            )
        server_version = sql("SHOW server_version")[0][0]
        results = {
            "mode": "quick" if args.quick else "full",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpu_count": os.cpu_count(),
            "load_average_at_start": load_average,
            "machine": platform.platform(),
            "python": platform.python_version(),
            "postgresql": server_version,
            "git_commit": git_commit(),
            "command": "make bench" if not args.quick else ".venv/bin/python bench/run.py --quick",
            "sizes": {
                "small": small["rows"],
                "large": large["rows"],
                "export_questions_per_assignment": sizes["export_questions"],
            },
            "load": {
                "clients": sizes["clients"],
                "requests_per_client": sizes["requests_per_client"],
                "gunicorn_workers": args.workers,
                "settings": "portal.settings.production",
                "floor": f"GET {floor_path} (token auth, {counts[endpoints[0][0], 'large']['queries']} queries; "
                "p50 is the mean of a run before and a run after the others)",
                "client": "a separate Python process, one thread and http.client connection per client",
            },
            "endpoints": endpoint_results,
            "wrk": {
                "available": bool(wrk_runs),
                "what": f"wrk -t2 -c{sizes['clients']} -d{sizes['wrk_seconds']}s --latency against the same "
                "gunicorn right after the Python client, LARGE paths, the same auth",
                "endpoints": wrk_runs,
            },
            "deadline_recompute": recompute,
            "export": exports,
            "roster_import": roster_import,
            "notes": notes,
            "phases_s": clock.phases,
        }
    finally:
        stop(gunicorn)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        if not args.keep:
            admin_sql(args.server, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    results["total_s"] = clock.total()
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["output"] = os.path.relpath(Path(args.output).resolve(), ROOT)
    if Path(args.output).exists():  # the deadline spike (bench/spike.py) keeps its own figures here
        earlier = json.loads(Path(args.output).read_text())
        if "spike" in earlier:
            results["spike"] = earlier["spike"]
    Path(args.output).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report(results))
    if args.keep:
        print(f"Kept database {args.db}.")


if __name__ == "__main__":
    main()
