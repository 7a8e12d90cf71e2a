"""Thin tasks for e-mail (portal.mail): deliver one message, and the sweep that retries what waits."""

from celery import shared_task

from portal import mail

# Acknowledged late: a killed worker's delivery runs again, and the row's state says whether it may send.
TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**TASK_OPTIONS)
def deliver_mail(mail_id: int) -> str:
    return mail.mail_deliver(mail_id=mail_id)


@shared_task(**TASK_OPTIONS)
def deliver_pending_mail() -> int:
    return mail.mail_deliver_pending()
