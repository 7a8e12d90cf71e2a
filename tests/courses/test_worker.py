"""With a real Celery worker on Redis (and PostgreSQL shared with it): a committed due-date change reaches
every student's stored deadline, and the recompute task run twice leaves the same rows."""

import pytest
from django.db import transaction
from django.utils import timezone

from courses import tasks
from courses.models import EffectiveDeadline
from courses.services.assignments import assignment_update
from courses.services.extensions import extension_grant
from courses.services.submissions import submission_create
from tests.conftest import wait_for
from tests.courses.helpers import upload
from tests.factories import eastern

pytestmark = pytest.mark.worker

NEW_DUE = eastern(2023, 2, 19)


def rows(assignment) -> list[dict]:
    """The stored rows without the time they were computed at (each run stamps its own)."""
    return [
        {k: v for k, v in row.items() if k != "computed_at"}
        for row in EffectiveDeadline.objects.filter(assignment=assignment).order_by("student_id").values()
    ]


def stamps(assignment) -> list:
    return list(EffectiveDeadline.objects.filter(assignment=assignment).values_list("computed_at", flat=True))


def test_a_committed_due_date_change_reaches_every_student_through_the_worker(celery_worker_process, world):
    hw1 = world.course.assignments.get(code="HW1")
    submission_create(
        acting_user=world.ug1,
        assignment_id=hw1.id,
        file=upload(),
        collaborators=[],
        honor_statement_accepted=True,
        now=eastern(2023, 2, 13, 9, 0),
    )
    assert EffectiveDeadline.objects.get(student=world.ug1, assignment=hw1).outcome == "submitted_in_grace"

    with transaction.atomic():
        assignment_update(acting_user=world.instructor, assignment_id=hw1.id, due_at=NEW_DUE)
        # Nothing reaches the worker before commit.
        assert not EffectiveDeadline.objects.filter(assignment=hw1, due_at=NEW_DUE).exists()

    def all_moved():
        stored = EffectiveDeadline.objects.filter(assignment=hw1)
        return stored.count() == 3 and all(r.due_at == NEW_DUE for r in stored)

    wait_for(all_moved)
    ug1 = EffectiveDeadline.objects.get(student=world.ug1, assignment=hw1)
    assert (ug1.grace_ends_at, ug1.outcome) == (eastern(2023, 2, 21), "submitted")


def test_the_recompute_task_sent_twice_leaves_the_same_rows(celery_worker_process, world):
    hw1 = world.course.assignments.get(code="HW1")
    extension_grant(  # an individual row beside the shared ones; its own recompute goes to the worker
        acting_user=world.instructor,
        student_username="gr1",
        assignment_id=hw1.id,
        due_at=eastern(2023, 2, 22),
        dean_reference="DoS-1",
    )
    wait_for(
        lambda: (
            EffectiveDeadline.objects.get(student=world.gr1, assignment=hw1).due_at == eastern(2023, 2, 22)
        )
    )
    before = rows(hw1)

    results = []
    for _ in range(2):
        sent_at = timezone.now()
        tasks.recompute_deadlines.delay(assignment_id=hw1.id)
        wait_for(lambda sent_at=sent_at: all(stamp > sent_at for stamp in stamps(hw1)))
        results.append(rows(hw1))

    assert results[0] == results[1] == before
    assert len(before) == 3
    assert {r["student_id"]: r["due_at"] for r in before} == {
        world.ug1.id: eastern(2023, 2, 12),
        world.ug2.id: eastern(2023, 2, 12),
        world.gr1.id: eastern(2023, 2, 22),
    }
