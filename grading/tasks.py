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
