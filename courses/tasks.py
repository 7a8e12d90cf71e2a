"""Thin Celery tasks: fetch by id, call a service. All are idempotent and acknowledged late, so a
killed worker's task runs again and changes nothing the second time."""

from celery import shared_task

from courses.services import deadlines, reminders

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "max_retries": 3}


@shared_task(**TASK_OPTIONS)
def recompute_deadlines(
    assignment_id: int, student_ids: list[int] | None = None, resync_submissions: bool = False
) -> int:
    return deadlines.deadline_recompute(
        assignment_id=assignment_id, student_ids=student_ids, resync_submissions=resync_submissions
    )


@shared_task(**TASK_OPTIONS)
def recompute_course_deadlines(course_id: int, student_ids: list[int] | None = None) -> int:
    return deadlines.deadline_recompute_course(course_id=course_id, student_ids=student_ids)


@shared_task(**TASK_OPTIONS)
def send_submission_receipt(submission_id: int) -> bool:
    from courses.services.submissions import submission_receipt_send

    return submission_receipt_send(submission_id=submission_id)


@shared_task(**TASK_OPTIONS)
def close_passed_windows() -> int:
    return deadlines.deadline_close_passed()


@shared_task(**TASK_OPTIONS)
def reconcile_deadlines() -> int:
    return deadlines.deadline_reconcile()


@shared_task(**TASK_OPTIONS)
def send_deadline_reminders() -> int:
    return reminders.reminders_send_due()


@shared_task(**TASK_OPTIONS)
def promote_from_waitlist(section_id: int) -> list[int]:
    from courses.services import waitlist

    return waitlist.waitlist_promote(section_id=section_id)


@shared_task(**TASK_OPTIONS)
def run_roster_import(job_id: int) -> str:
    from courses.services import roster

    return roster.roster_import_run(job_id=job_id)


@shared_task(**TASK_OPTIONS)
def reclaim_stale_import_jobs() -> int:
    """Roster import jobs whose worker stopped beating are taken over (grading reclaims its own kinds)."""
    from courses.models import ImportJob
    from courses.services import jobs

    return jobs.import_jobs_reclaim(kinds={ImportJob.Kind.ROSTER: run_roster_import})
