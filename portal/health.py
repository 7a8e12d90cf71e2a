"""/healthz: is the web able to serve (the database), and what is degraded (the broker, the workers, the
outbox backlog). 200 with the details while the database answers, 503 when it does not.

Public and cheap: one `SELECT 1`, one broker connection with a short timeout, two small queries. It names
no user and no course; the errors' text and the processes' host names are for superusers only.
"""

from datetime import timedelta

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import heartbeat, outbox

BROKER_TIMEOUT_SECONDS = 2.0


def _database() -> dict:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "vendor": connection.vendor}


def _broker() -> dict:
    app = outbox._app()
    if app.conf.task_always_eager:
        return {"ok": True, "mode": "eager", "detail": "no broker: tasks run in the web process"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                interval_max=0,
                timeout=BROKER_TIMEOUT_SECONDS,
            )
    except Exception as exc:
        return {"ok": False, "mode": "broker", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "mode": "broker"}


def _heartbeats(kind: str) -> list[dict]:
    from portal.models import ProcessHeartbeat

    now = timezone.now()
    recent = ProcessHeartbeat.objects.filter(
        kind=kind, beat_at__gte=now - timedelta(seconds=heartbeat.STALE_SECONDS)
    ).order_by("-beat_at")
    return [{"host": b.host, "age_seconds": round((now - b.beat_at).total_seconds(), 1)} for b in recent]


def heartbeat_fresh(*, kind: str, host: str) -> bool:
    return any(b["host"] == host for b in _heartbeats(kind))


def health_report() -> tuple[int, dict]:
    database = _database()
    broker = _broker()
    report = {"database": database, "broker": broker}
    if not database["ok"]:
        report.update(status="down", workers={"ok": False, "alive": []}, outbox={"pending": None})
        return 503, report
    eager = broker.get("mode") == "eager"
    alive = [] if eager else _heartbeats("worker")
    report["workers"] = {"ok": eager or bool(alive), "alive": alive}
    report["beat"] = {"alive": [] if eager else _heartbeats("beat")}
    report["relay"] = {"alive": [] if eager else _heartbeats("relay")}
    report["outbox"] = outbox.outbox_backlog()
    backlog_old = (report["outbox"]["oldest_pending_seconds"] or 0) > 60
    degraded = not broker["ok"] or not report["workers"]["ok"] or backlog_old or report["outbox"]["failing"]
    report["status"] = "degraded" if degraded else "ok"
    return 200, report


def public_report(report: dict) -> dict:
    """What anyone may read: every component's state and figures, without the errors' text (addresses,
    the database's user) or the processes' host names. Superusers and `manage.py healthz` see it all."""
    public = {}
    for key, value in report.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "error"}
            if isinstance(value.get("alive"), list):
                value["alive"] = [{k: v for k, v in b.items() if k != "host"} for b in value["alive"]]
        public[key] = value
    return public


@never_cache
@require_GET
def healthz(request):
    status, report = health_report()
    if not (request.user.is_authenticated and request.user.is_superuser):
        report = public_report(report)
    return JsonResponse(report, status=status)
