"""The deadline spike: a course's students loading their deadlines and uploading work around the due time.

    make bench-spike                                   # 5,000 students: 10,000 loads, 3,000 x 1 MB uploads
    .venv/bin/python bench/spike.py --quick            # 1,000 students: 2,000 loads, 600 uploads
    .venv/bin/python bench/spike.py --worker-class sync --threads 1   # compare worker classes

The portal runs as docker-compose.yml runs it: production settings, PostgreSQL, Redis as broker and cache
(a database of its own, `--redis-url`), gunicorn with the compose file's worker count and class, and a
Celery worker beside it. A separate client process opens one connection per request (each student is a
different client) on a fixed schedule, whatever the server's speed (an open loop, as a class is): the
two minutes around the due time, a third of the uploads in the last 10 s before it and a few after it
(in the grace period). It prints p50/p99 per path, errors, the submissions stored by status, the server's
CPU, and checks that every upload the client started at least 1 s before the due time was recorded on
time. The figures are merged into bench/results.json under "spike". Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # the bench's database, data and server helpers

ROOT = bench.ROOT
FULL = {"students": 5_000, "loads": 10_000, "uploads": 3_000, "window": 120}
QUICK = {"students": 1_000, "loads": 2_000, "uploads": 600, "window": 120}
UPLOAD_BYTES = 1024 * 1024
LAST_SECONDS = 10  # a third of the uploads arrive in the last 10 s before the due time
AFTER_SECONDS = 20  # the window runs on this long past the due time (uploads in the grace period)
BOUNDARY = "----portal-spike-boundary"


def log(message: str) -> None:
    bench.log(message)


# ---- the client (its own process) ------------------------------------------------------------------


def upload_body() -> bytes:
    data = random.Random(15).randbytes(UPLOAD_BYTES)
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="collaborators_none"\r\n\r\ntrue\r\n',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="honor_statement_accepted"\r\n\r\ntrue\r\n',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="answers.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n",
    ]
    return "".join(parts).encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def client_main() -> None:
    """Read the plan on stdin; send every request at its time; print the records (one per request), the
    client's CPU and how many requests it had in flight at most, as JSON."""
    import asyncio
    import resource

    plan = json.load(sys.stdin)
    # The client stands for thousands of students' own machines: the server it measures must not starve
    # it of the CPU they share here, or its requests go out late (it needs a few percent of one core).
    with contextlib.suppress(OSError):
        os.nice(-10)
    # Thousands of sockets at once when the server falls behind.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port, due = plan["port"], plan["due_epoch"]
    body = upload_body()
    events = sorted(plan["events"], key=lambda e: e[0])
    out: list[dict] = []
    in_flight = [0, 0]  # now, most
    usage0 = resource.getrusage(resource.RUSAGE_SELF)

    async def read_response(reader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            return status, await reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            payload = bytearray()
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    return status, bytes(payload)
                payload += await reader.readexactly(size)
                await reader.readexactly(2)
        return status, await reader.read()  # Connection: close ends the body

    async def send(event) -> None:
        offset, kind, token, path = event
        started = time.time()
        record = {"kind": kind, "offset": offset, "started": started}
        in_flight[0] += 1
        in_flight[1] = max(in_flight[1], in_flight[0])
        writer = None
        try:
            async with asyncio.timeout(120):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                record["sent"] = time.time()  # connected: the request's first bytes go out now
                # One request per connection (every student is a different client), so it says so.
                head = f"Host: 127.0.0.1\r\nAuthorization: Token {token}\r\nConnection: close\r\n"
                if kind == "upload":
                    writer.write(
                        f"POST {path} HTTP/1.1\r\n{head}"
                        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n".encode()
                    )
                    view = memoryview(body)
                    for at in range(0, len(body), 256 * 1024):  # a bounded buffer per connection
                        writer.write(view[at : at + 256 * 1024])
                        await writer.drain()
                else:
                    writer.write(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode())
                    await writer.drain()
                status, payload = await read_response(reader)
            record["status"] = status
            if kind == "upload" and status == 201:
                answer = json.loads(payload)
                record["id"], record["timing"] = answer["id"], answer["timing"]
            elif status >= 400:
                record["body"] = payload[:300].decode(errors="replace")
        except (OSError, EOFError, TimeoutError, ValueError, asyncio.LimitOverrunError) as exc:
            record["status"] = None
            record["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            if writer is not None:
                writer.close()
            in_flight[0] -= 1
        record["ms"] = (time.time() - started) * 1000
        out.append(record)

    async def run() -> None:
        # Each request starts at its time whatever the earlier ones are doing: a slow server shows as
        # latency, never as requests sent late. One event loop keeps thousands in flight cheaply.
        tasks = []
        for event in events:
            wait = due + event[0] - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(send(event)))
        await asyncio.gather(*tasks)

    asyncio.run(run())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - usage0.ru_utime - usage0.ru_stime
    json.dump(
        {"records": out, "cpu_s": round(cpu, 2), "max_in_flight": in_flight[1], "nice": os.nice(0)},
        sys.stdout,
    )


# ---- the server side -------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes and their children (gunicorn's workers, Celery's pool)."""
    ticks = os.sysconf("SC_CLK_TCK")
    wanted = set(pids)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in pids:
                wanted.add(int(entry.name))
    total = 0
    for pid in wanted:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def postgres_cpu_seconds() -> float:
    """CPU of the PostgreSQL server on this machine: its processes, and the backends it has already
    reaped (the postmaster's children's time). Every database's work counts, not only the spike's."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                head, rest = (entry / "stat").read_text().rsplit(")", 1)
            except OSError:
                continue
            if head.split("(", 1)[1] == "postgres":
                stats[int(entry.name)] = rest.split()
    total = 0
    for fields in stats.values():
        total += int(fields[11]) + int(fields[12])
        if int(fields[1]) not in stats:  # the postmaster
            total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def listen_overflows() -> int:
    """The kernel's count of connections it could not queue for accept (TcpExt ListenOverflows and
    ListenDrops), machine-wide."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            row = dict(zip(names.split()[1:], (int(v) for v in values.split()[1:]), strict=False))
            return row.get("ListenOverflows", 0) + row.get("ListenDrops", 0)
    return 0


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def start_gunicorn(port: int, workers: int, worker_class: str, threads: int, logfile: Path):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--backlog",
        "2048",  # gunicorn's default, as the compose file runs it
        "--access-logfile",
        "-",  # as the compose file runs it: a line per request (to this log file here)
    ]
    handle = logfile.open("w")
    proc = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {logfile}:\n{logfile.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return proc
        except OSError:
            time.sleep(0.3)
    bench.stop(proc)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {logfile}")


def start_celery(logfile: Path, nice: int) -> subprocess.Popen:
    handle = logfile.open("w")
    return subprocess.Popen(
        [
            "nice",
            "-n",
            str(nice),
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel=info",  # as the compose file runs it
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def build(sizes: dict, now: datetime) -> dict:
    """A 5,000-student course (two sections) with 8 homeworks; the last is the one due in the spike."""
    from courses.models import ApiToken, Term, User
    from courses.selectors.accounts import api_token_digest, password_fingerprint

    term = Term.objects.create(
        name="Spike term",
        starts_on=(now - timedelta(days=60)).date(),
        ends_on=(now + timedelta(days=60)).date(),
    )
    students = bench.make_users("sp-", sizes["students"], now)
    course, _sections, assignments = bench.make_course(
        term, "SPIKE", students, assignments=8, first_due=now - timedelta(days=6), now=now
    )
    bench.load_deadlines(course, students, assignments, now)
    tokens: dict[int, str] = {}
    rows = []
    expires = now + timedelta(days=30)
    for user in User.objects.filter(pk__in=students).only("id", "password"):
        key = f"spike-{user.id}-{os.urandom(12).hex()}"
        tokens[user.id] = key
        rows.append(
            ApiToken(
                user=user,
                name="spike",
                digest=api_token_digest(key),
                prefix=key[:8],
                password_fingerprint=password_fingerprint(user),
                created_at=now,
                expires_at=expires,
            )
        )
    ApiToken.objects.bulk_create(rows, batch_size=2000)
    return {"course": course, "assignment": assignments[-1], "students": students, "tokens": tokens}


def set_due(assignment, due: datetime) -> None:
    """Move the spike's assignment to its due time and store every student's window, as a due-date
    change does (the deadline service, so the deadline pages' cache keys change too)."""
    from courses.models import Assignment
    from courses.services.deadlines import deadline_recompute

    Assignment.objects.filter(pk=assignment.pk).update(due_at=due, release_at=due - timedelta(days=7))
    deadline_recompute(assignment_id=assignment.pk)


def schedule(sizes: dict, data: dict, seed: int = 15) -> list:
    """(seconds from the due time, kind, token, path) for every request of the window."""
    rng = random.Random(seed)
    window = sizes["window"]
    start = -(window - AFTER_SECONDS)
    students = data["students"]
    tokens = data["tokens"]
    upload_path = f"/api/v1/assignments/{data['assignment'].id}/submissions/"
    events = []
    n = sizes["uploads"]
    last = n // 3
    after = n // 20
    for k in range(n):
        if k < last:
            offset = rng.uniform(-LAST_SECONDS, 0)
        elif k < last + after:
            offset = rng.uniform(0, AFTER_SECONDS)
        else:
            offset = rng.uniform(start, -LAST_SECONDS)
        student = students[k % len(students)]
        events.append((round(offset, 4), "upload", tokens[student], upload_path))
    for k in range(sizes["loads"]):
        # Half spread over the window, half in the 30 s around the due time (everyone checks at the end).
        offset = rng.uniform(start, AFTER_SECONDS) if k % 2 else rng.uniform(-20, 10)
        student = rng.choice(students)
        events.append((round(offset, 4), "load", tokens[student], "/api/v1/me/deadlines/"))
    return events


def summarize(records: list[dict], due_epoch: float, stored: dict) -> dict:
    out: dict = {}
    for kind, path in (("load", "GET /api/v1/me/deadlines/"), ("upload", "POST submissions (1 MB)")):
        mine = [r for r in records if r["kind"] == kind]
        latencies = sorted(r["ms"] for r in mine if r["status"] and r["status"] < 400)
        out[kind] = {
            "path": path,
            "requests": len(mine),
            "p50_ms": round(bench.percentile(latencies, 50), 1),
            "p99_ms": round(bench.percentile(latencies, 99), 1),
            "max_ms": round(latencies[-1], 1) if latencies else None,
            "errors": sum(1 for r in mine if r["status"] is None or r["status"] >= 400),
            "error_samples": sorted(
                {
                    r.get("error") or f"{r['status']} {r.get('body', '')}"
                    for r in mine
                    if r["status"] is None or r["status"] >= 400
                }
            )[:5],
        }
    uploads = [r for r in records if r["kind"] == "upload" and r.get("id")]
    early = [r for r in uploads if r["started"] <= due_epoch - 1]
    late_marked = [r for r in early if stored.get(r["id"], {}).get("timing") != "on_time"]
    lags = sorted(
        (stored[r["id"]]["submitted_epoch"] - r["started"]) * 1000 for r in uploads if r["id"] in stored
    )
    started_late = [r["started"] - (due_epoch + r["offset"]) for r in records]
    connecting = sorted((r["sent"] - r["started"]) * 1000 for r in records if "sent" in r)
    out["client_connect_ms"] = {
        "p50": round(bench.percentile(connecting, 50), 1),
        "p99": round(bench.percentile(connecting, 99), 1),
        "max": round(connecting[-1], 1) if connecting else None,
    }
    sent_lags = sorted(
        (stored[r["id"]]["submitted_epoch"] - r["sent"]) * 1000 for r in uploads if r["id"] in stored
    )
    out["recorded_minus_client_send_ms"] = {
        "p50": round(bench.percentile(sent_lags, 50), 1),
        "p99": round(bench.percentile(sent_lags, 99), 1),
        "max": round(sent_lags[-1], 1) if sent_lags else None,
    }
    out["on_time_check"] = {
        "started_at_least_1s_before_due": len(early),
        "recorded_on_time": len(early) - len(late_marked),
        "recorded_otherwise": len(late_marked),
        "started_in_last_10s": sum(
            1
            for r in records
            if r["kind"] == "upload" and due_epoch - LAST_SECONDS <= r["started"] < due_epoch
        ),
        "stored_of_those": sum(1 for r in uploads if due_epoch - LAST_SECONDS <= r["started"] < due_epoch),
    }
    out["recorded_minus_client_start_ms"] = {
        "p50": round(bench.percentile(lags, 50), 1),
        "p99": round(bench.percentile(lags, 99), 1),
        "max": round(lags[-1], 1) if lags else None,
    }
    out["client_schedule_lag_ms"] = {
        "p99": round(bench.percentile(sorted(x * 1000 for x in started_late), 99), 1),
        "max": round(max(started_late) * 1000, 1) if started_late else None,
    }
    # The last 10 s before the due time, the busiest of the schedule: what the server must keep up with.
    last = [r for r in records if -LAST_SECONDS <= r["offset"] < 0]
    out["last_10s"] = {
        "loads": sum(1 for r in last if r["kind"] == "load"),
        "uploads": sum(1 for r in last if r["kind"] == "upload"),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 students, 2,000 loads, 600 uploads")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default="portal_spike")
    parser.add_argument("--redis-url", default=os.environ.get("SPIKE_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: docker-compose.yml's)")
    parser.add_argument("--worker-class", help="sync or gthread (default: docker-compose.yml's)")
    parser.add_argument(
        "--threads", type=int, help="threads per gthread worker (default: the compose file's)"
    )
    parser.add_argument("--window", type=int, help="seconds of the spike (default 120)")
    parser.add_argument("--no-celery", action="store_true", help="no Celery worker beside the web")
    parser.add_argument(
        "--celery-nice",
        type=int,
        help="the Celery worker's nice value (default: the compose file's cpu_shares for it, as a nice value)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--output", default=str(bench.RESULTS), help="results file (the 'spike' key)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main()
        return

    sizes = dict(QUICK if args.quick else FULL)
    if args.window:
        sizes["window"] = args.window
    compose = compose_web_settings()
    workers = args.workers or compose["workers"]
    worker_class = args.worker_class or compose["worker_class"]
    threads = args.threads or compose["threads"]
    celery_nice = compose["worker_nice"] if args.celery_nice is None else args.celery_nice
    load_before = [round(x, 2) for x in os.getloadavg()]
    work = Path(tempfile.mkdtemp(prefix="portal-spike-"))
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    bench.configure_environment(args.server, args.db, work)
    # The compose topology: Redis as broker and cache, the console e-mail backend's work done by a worker.
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    gunicorn = celery = None
    try:
        log(f"spike: {sizes}, gunicorn {workers} x {worker_class} ({threads} threads); load {load_before}")
        bench.admin_sql(args.server, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        bench.admin_sql(args.server, f'CREATE DATABASE "{args.db}"')
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        now = timezone.now().replace(microsecond=0)
        with bench.bulk_load(["courses_user", "courses_enrolment", "courses_effectivedeadline"]):
            data = build(sizes, now)
        log(f"loaded {len(data['students'])} students")
        port = bench.free_port()
        gunicorn = start_gunicorn(port, workers, worker_class, threads, work / "gunicorn.log")
        if not args.no_celery:
            celery = start_celery(work / "celery.log", celery_nice)
        # The due time: the window's first request goes out a few seconds after the plan is handed over.
        due = datetime.now(UTC) + timedelta(seconds=sizes["window"] - AFTER_SECONDS + 8)
        set_due(data["assignment"], due)
        connections.close_all()
        due_epoch = due.timestamp()
        events = schedule(sizes, data)
        plan = {"port": port, "due_epoch": due_epoch, "events": events}
        pids = [gunicorn.pid]
        cpu0, busy0, pg0 = cpu_seconds(pids), machine_busy(), postgres_cpu_seconds()
        overflows0 = listen_overflows()
        celery_cpu0 = cpu_seconds([celery.pid]) if celery else 0.0
        log(f"spike from {sizes['window'] - AFTER_SECONDS} s before the due time to {AFTER_SECONDS} s after")
        t0 = time.time()
        result = subprocess.run(
            [sys.executable, __file__, "--client"],
            input=json.dumps(plan),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.time() - t0
        cpu1, busy1, pg1 = cpu_seconds(pids), machine_busy(), postgres_cpu_seconds()
        overflows = listen_overflows() - overflows0
        celery_cpu1 = cpu_seconds([celery.pid]) if celery else 0.0
        if result.returncode != 0:
            raise SystemExit(f"the client failed:\n{result.stderr[-3000:]}")
        client = json.loads(result.stdout)
        records = client["records"]
        stored = stored_submissions(data["assignment"])
        summary = summarize(records, due_epoch, stored)
        by_timing: dict[str, int] = {}
        for row in stored.values():
            by_timing[row["timing"]] = by_timing.get(row["timing"], 0) + 1
        machine_cpus = os.cpu_count() or 1
        spike = {
            "mode": "quick" if args.quick else "full",
            **sizes,
            "upload_bytes": UPLOAD_BYTES,
            "gunicorn": {"workers": workers, "worker_class": worker_class, "threads": threads},
            "celery_worker": not args.no_celery,
            "celery_nice": None if args.no_celery else celery_nice,
            **summary,
            "submissions_stored": len(stored),
            "submissions_by_timing": by_timing,
            "server_cpu_s": round(cpu1 - cpu0, 1),
            "server_cpu_percent_of_one_core": round((cpu1 - cpu0) / wall * 100, 1),
            "server_cpu_ms_per_request": round((cpu1 - cpu0) * 1000 / len(records), 1),
            "celery_cpu_s": round(celery_cpu1 - celery_cpu0, 1),
            "postgres_cpu_s": round(pg1 - pg0, 1),
            "machine_busy_percent": round((busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) * 100, 1),
            "machine_cpus": machine_cpus,
            "client_wall_s": round(wall, 1),
            "client_cpu_s": client["cpu_s"],
            "client_max_in_flight": client["max_in_flight"],
            "client_nice": client["nice"],
            "listen_queue_overflows": overflows,
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    finally:
        bench.stop(gunicorn)
        bench.stop(celery)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            bench.admin_sql(args.server, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        redis.Redis.from_url(args.redis_url).flushdb()
    print(report(spike))
    path = Path(args.output)
    results = json.loads(path.read_text()) if path.exists() else {}
    results.setdefault("spike", {})[spike["mode"]] = spike
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    log(f"written to {os.path.relpath(path, ROOT)} (spike.{spike['mode']})")


def stored_submissions(assignment) -> dict:
    from courses.models import Submission

    return {
        pk: {"timing": timing, "submitted_epoch": at.timestamp()}
        for pk, timing, at in Submission.objects.filter(assignment=assignment).values_list(
            "id", "timing", "submitted_at"
        )
    }


def compose_web_settings() -> dict:
    """The web service's worker count, class and threads, read from docker-compose.yml's defaults."""
    import re

    text = (ROOT / "docker-compose.yml").read_text()

    def default(name: str, fallback: str) -> str:
        found = re.search(r"\$\$\{" + name + r":-([^}]+)\}", text)
        return found.group(1) if found else fallback

    # The worker service's CPU weight against the web's (docker's default 1024). Here the processes share
    # one kernel without containers, so the same weight is a nice value: each step is a factor of 1.25.
    worker = re.search(r"\n  worker:\n(.*?)\n  \w+:\n", text, re.S)
    shares = re.search(r"\n    cpu_shares: (\d+)", worker.group(1)) if worker else None
    nice = round(math.log(1024 / int(shares.group(1)), 1.25)) if shares else 0
    return {
        "workers": int(default("WEB_CONCURRENCY", "3")),
        "worker_class": default("WEB_WORKER_CLASS", "sync"),
        "threads": int(default("WEB_THREADS", "1")),
        "worker_nice": max(0, min(nice, 19)),
    }


def report(spike: dict) -> str:
    lines = [
        f"Deadline spike ({spike['mode']}): {spike['students']} students, {spike['loads']} deadline loads and "
        f"{spike['uploads']} x 1 MB uploads in {spike['window']} s; gunicorn {spike['gunicorn']['workers']} x "
        f"{spike['gunicorn']['worker_class']} ({spike['gunicorn']['threads']} threads)",
    ]
    for kind in ("load", "upload"):
        s = spike[kind]
        lines.append(
            f"  {s['path']:<28} {s['requests']:>6} requests  p50 {s['p50_ms']:>7} ms  p99 {s['p99_ms']:>7} ms  "
            f"max {s['max_ms']} ms  errors {s['errors']} {s['error_samples'] or ''}"
        )
    check = spike["on_time_check"]
    lines += [
        f"  submissions stored: {spike['submissions_stored']} {spike['submissions_by_timing']}",
        f"  started >= 1 s before the due time: {check['started_at_least_1s_before_due']}, recorded on time "
        f"{check['recorded_on_time']}, otherwise {check['recorded_otherwise']} "
        f"({check['started_in_last_10s']} uploads started in the last 10 s, {check['stored_of_those']} of them stored)",
        f"  recorded time minus the client's start: {spike['recorded_minus_client_start_ms']} ms",
        f"  client schedule lag: {spike['client_schedule_lag_ms']} ms; client CPU {spike['client_cpu_s']} s, "
        f"{spike['client_max_in_flight']} requests in flight at most (nice {spike['client_nice']}); connecting "
        f"{spike['client_connect_ms']} ms",
        f"  recorded time minus the client's first byte: {spike['recorded_minus_client_send_ms']} ms; "
        f"listen queue overflows {spike['listen_queue_overflows']}",
        f"  the last 10 s before the due time: {spike['last_10s']['loads']} loads, "
        f"{spike['last_10s']['uploads']} uploads",
        f"  server CPU {spike['server_cpu_s']} s ({spike['server_cpu_percent_of_one_core']}% of one core, "
        f"{spike['server_cpu_ms_per_request']} ms a request), "
        f"Celery {spike['celery_cpu_s']} s (nice {spike['celery_nice']}), PostgreSQL {spike['postgres_cpu_s']} s "
        f"(every database); machine busy {spike['machine_busy_percent']}% of "
        f"{spike['machine_cpus']} CPUs; load average {spike['load_average_before']} -> {spike['load_average_after']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
