"""Jobs (imports, exports) are rows with progress and a heartbeat, taken over when a worker dies.

A run claims its row with one compare-and-set UPDATE: a queued row, or a running row whose heartbeat is
older than PORTAL_JOB_STALE_SECONDS (its worker died), becomes running with `attempt` raised by one. Every
later write of that run (progress, heartbeat, the result) is conditional on the row still carrying its
attempt, so once another worker has taken a job over the first one cannot write a byte more: it stops
(JobLost) and whatever it had made is thrown away. Files are written to a temporary file and saved once,
by the run that finishes, so a job has exactly one file whatever happened on the way.

A periodic task (the `reclaim-stale-jobs` beat entries) re-enqueues the runs of jobs whose heartbeat went
quiet; the broker's own redelivery (its visibility timeout) is only a backstop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from courses.models import ImportJob
from portal.errors import PortalError
from portal.tasking import enqueue_on_commit

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class JobLost(Exception):
    """Another worker took this job over (this one looked dead); stop without writing anything."""


def stale_seconds() -> int:
    return int(getattr(settings, "PORTAL_JOB_STALE_SECONDS", 60))


def _stale_q(now: datetime) -> Q:
    quiet_since = now - timedelta(seconds=stale_seconds())
    return Q(status=RUNNING) & (Q(heartbeat_at__lt=quiet_since) | Q(heartbeat_at__isnull=True))


@dataclass(frozen=True)
class Claim:
    """One run's hold on a job row: every write goes through here and checks the attempt."""

    model: type[models.Model]
    pk: int
    attempt: int

    def _mine(self):
        return self.model.objects.filter(pk=self.pk, attempt=self.attempt, status=RUNNING)

    def beat(self, *, rows_done: int | None = None, rows_total: int | None = None, progress=None) -> None:
        values: dict = {"heartbeat_at": timezone.now()}
        if rows_done is not None:
            values["rows_done"] = rows_done
        if rows_total is not None:
            values["rows_total"] = rows_total
        if progress is not None:
            values["progress"] = max(0, min(99, int(progress)))
        if not self._mine().update(**values):
            raise JobLost(f"{self.model.__name__} {self.pk} attempt {self.attempt} was taken over")

    def finish(self, **values) -> bool:
        now = timezone.now()
        return bool(
            self._mine().update(status=DONE, progress=100, heartbeat_at=now, finished_at=now, **values)
        )

    def fail(self, **values) -> bool:
        now = timezone.now()
        return bool(self._mine().update(status=FAILED, heartbeat_at=now, finished_at=now, **values))


def job_claim(*, model: type[models.Model], job_id: int, now: datetime | None = None) -> Claim | None:
    """Take the job if it is queued or its worker stopped beating; None if another run holds it or it
    is finished (a duplicate delivery, or a takeover that came too late)."""
    now = now or timezone.now()
    with transaction.atomic():
        taken = (
            model.objects.filter(pk=job_id)
            .filter(Q(status=QUEUED) | _stale_q(now))
            .update(
                status=RUNNING,
                attempt=F("attempt") + 1,
                heartbeat_at=now,
                started_at=now,
                progress=0,
                rows_done=0,
            )
        )
        if not taken:
            return None
        attempt = model.objects.filter(pk=job_id).values_list("attempt", flat=True).get()
    if attempt > 1:
        logger.warning("%s %s taken over (attempt %s)", model.__name__, job_id, attempt)
    return Claim(model=model, pk=job_id, attempt=attempt)


def jobs_stale(*, model: type[models.Model], now: datetime | None = None, **filters) -> list[int]:
    """Running jobs whose worker stopped beating (dead, or cut off from the database)."""
    return list(model.objects.filter(_stale_q(now or timezone.now()), **filters).values_list("pk", flat=True))


# ---- import jobs ------------------------------------------------------------------------------------


def import_job_create(
    *, acting_user, course, kind: str, data: bytes, task, params: dict | None = None
) -> ImportJob:
    """Store the upload and enqueue its run (after commit). The caller has checked access and whatever
    needs no parsing; the run parses, validates and applies."""
    job = ImportJob(
        kind=kind, course=course, requested_by=acting_user, params=params or {}, created_at=timezone.now()
    )
    job.file.save(f"{timezone.now():%Y%m%d-%H%M%S}.csv", ContentFile(data), save=False)
    job.save()
    enqueue_on_commit(task, job_id=job.id)
    return job


def import_job_run(
    *,
    job_id: int,
    apply: Callable[..., dict],
    prepare: Callable[..., object] | None = None,
) -> str:
    """Run an import job: `prepare(job=, data=, claim=)` parses and validates outside the transaction
    (beating progress), then `apply(job=, data=, prepared=, claim=)` writes everything in one
    transaction and returns the result counts. A PortalError from either is recorded on the job (the
    API's error shape, row errors in `fields` by line) and nothing is written."""
    claim = job_claim(model=ImportJob, job_id=job_id)
    job = ImportJob.objects.select_related("course", "requested_by").get(pk=job_id)
    if claim is None:
        return job.status
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        prepared = prepare(job=job, data=data, claim=claim) if prepare else None
        with transaction.atomic():
            # Locks the row until commit: a takeover's claim waits for this transaction, then finds the
            # job finished (or, if this worker died, rolled back and claimable).
            claim.beat()
            result = apply(job=job, data=data, prepared=prepared, claim=claim)
            if not claim.finish(result=result, rows_done=F("rows_total")):
                raise JobLost(f"import job {job_id} was taken over")
    except JobLost:
        logger.warning("Import job %s attempt %s stopped: taken over", job_id, claim.attempt)
        return "lost"
    except PortalError as exc:
        claim.fail(error={"detail": str(exc.detail), "code": exc.code, "fields": exc.fields or {}})
        return FAILED
    except Exception as exc:  # the instructor sees the failure on the job; the log keeps the trace
        logger.exception("Import job %s failed", job_id)
        claim.fail(
            error={
                "detail": f"The import failed ({type(exc).__name__}); nothing was imported. Start it again; "
                "if it fails twice, tell the portal's administrators.",
                "code": "job_failed",
                "fields": {},
            }
        )
        return FAILED
    return DONE


def import_jobs_reclaim(*, kinds: dict[str, object], now: datetime | None = None) -> int:
    """Re-enqueue the runs of import jobs of these kinds ({kind: task}) whose worker went quiet."""
    stale = ImportJob.objects.filter(pk__in=jobs_stale(model=ImportJob, now=now, kind__in=list(kinds)))
    count = 0
    for job_id, kind in stale.values_list("pk", "kind"):
        logger.warning("Import job %s: its worker stopped beating; enqueueing a takeover", job_id)
        enqueue_on_commit(kinds[kind], job_id=job_id)
        count += 1
    return count


def progress_of(done: int, total: int, *, start: int = 0, end: int = 100) -> int:
    return start + (end - start) * done // max(total, 1)
