"""Thin tasks for grading: idempotent, acknowledged late."""

from celery import shared_task

from grading.services import grades

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**TASK_OPTIONS)
def release_scheduled_grades() -> int:
    return grades.grades_release_scheduled()


@shared_task(**TASK_OPTIONS)
def run_grade_export(export_id: int) -> str:
    from grading.services import exports

    return exports.grade_export_run(export_id=export_id)


@shared_task(**TASK_OPTIONS)
def reclaim_stale_jobs() -> int:
    """Exports and grading's import jobs whose worker stopped beating are taken over by another worker."""
    from courses.models import ImportJob
    from courses.services.jobs import import_jobs_reclaim
    from grading.services import exports

    taken = len(exports.grade_exports_reclaim())
    return taken + import_jobs_reclaim(
        kinds={
            ImportJob.Kind.GRADES: run_grade_import,
            ImportJob.Kind.PARTICIPATION: run_participation_import,
        }
    )


@shared_task(**TASK_OPTIONS)
def run_grade_import(job_id: int) -> str:
    from grading.services import imports

    return imports.grade_import_run(job_id=job_id)


@shared_task(**TASK_OPTIONS)
def run_participation_import(job_id: int) -> str:
    from grading.services import imports

    return imports.participation_import_run(job_id=job_id)
