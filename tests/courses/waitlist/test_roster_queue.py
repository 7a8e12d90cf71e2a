"""What a roster import does to the waitlist of the course's sections:

- a student it moves out of a full section frees a seat, and that section's waitlist is promoted (before,
  only the sections the file names were, so the seat stayed empty with students waiting);
- a student it puts (back) on a waitlist joins the queue now, behind those already waiting (before, an
  existing enrolment kept its old joined_at and jumped the queue); one already waiting keeps their place.
"""

from datetime import timedelta

from django.utils import timezone

from courses.models import Enrolment
from courses.services.roster import roster_import
from tests.courses.waitlist.test_roster_import import HEADER, csv_bytes
from tests.factories import EnrolmentFactory, UserFactory


def run(full, data, capture):
    with capture(execute=True):
        return roster_import(acting_user=full.world.instructor, course_id=full.world.course.id, data=data)


def test_moving_a_student_out_of_a_full_section_promotes_its_waitlist(
    full, django_capture_on_commit_callbacks
):
    waiter = EnrolmentFactory(user=UserFactory(username="gr9"), section=full.section, status="waitlisted")
    data = csv_bytes(HEADER, "gr2,Grad Two,gr2@example.edu,CS 4644,enrolled,credit,")  # gr2 moves to CS 4644

    run(full, data, django_capture_on_commit_callbacks)

    assert Enrolment.objects.get(user__username="gr2", section=full.section).status == "dropped"
    waiter.refresh_from_db()
    assert waiter.status == "enrolled"
    assert Enrolment.objects.filter(section=full.section, status="enrolled").count() == full.section.capacity


def test_a_student_put_back_on_the_waitlist_joins_the_queue_at_its_end(
    full, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(days=60)
    early = EnrolmentFactory(user=UserFactory(username="gr8"), section=full.section, status="waitlisted")
    Enrolment.objects.filter(pk=early.pk).update(joined_at=long_ago + timedelta(days=1))
    # gr3 has held a seat since long ago; the registrar now lists them as waitlisted.
    Enrolment.objects.filter(user__username="gr3", section=full.section).update(joined_at=long_ago)
    data = csv_bytes(
        HEADER,
        "gr3,Grad Three,gr3@example.edu,CS 7643-A,waitlisted,credit,",
        "gr8,Grad Eight,gr8@example.edu,CS 7643-A,waitlisted,credit,",
    )

    run(full, data, django_capture_on_commit_callbacks)

    queue = list(
        Enrolment.objects.filter(section=full.section, status="waitlisted")
        .order_by("joined_at", "id")
        .values_list("user__username", flat=True)
    )
    # gr3's seat was freed and gr8, first in the queue, took it; gr3 waits behind anyone already waiting.
    assert Enrolment.objects.get(user__username="gr8", section=full.section).status == "enrolled"
    assert queue == ["gr3"]
    assert Enrolment.objects.get(user__username="gr3", section=full.section).joined_at > long_ago + timedelta(
        days=1
    )


def test_a_student_already_waiting_keeps_their_place(full, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timedelta(days=60)
    first = EnrolmentFactory(user=UserFactory(username="gr8"), section=full.section, status="waitlisted")
    EnrolmentFactory(user=UserFactory(username="gr9"), section=full.section, status="waitlisted")
    Enrolment.objects.filter(pk=first.pk).update(joined_at=long_ago)
    data = csv_bytes(
        HEADER, "gr8,Grad Eight,gr8@example.edu,CS 7643-A,waitlisted,audit,"
    )  # the basis changes

    run(full, data, django_capture_on_commit_callbacks)

    first.refresh_from_db()
    assert (first.status, first.grading_basis, first.joined_at) == ("waitlisted", "audit", long_ago)
