"""A course's e-mail to one person, sent once through portal.mail: its subject names the course and its
body greets the reader by name, the same in every message the course sends (receipts, reminders,
waitlist seats, regrade answers and appeals)."""

from portal.mail import mail_queue


def course_mail_queue(*, key: str, course, to, subject: str, body: str, **options):
    """`mail_queue` for a message of `course` to the user `to`: the subject is "[<course code>] <subject>",
    the body "Hello <their name>," and a blank line before `body`. `options` are mail_queue's (`headers`,
    `send_here`). A user without an address gets nothing (None)."""
    return mail_queue(
        key=key,
        to=to.email,
        subject=f"[{course.code}] {subject}",
        body=f"Hello {to.display_name},\n\n{body}",
        **options,
    )
