"""Two late submissions of one student at the same moment (two tabs, a double-click, a script) spend the
late-day bank once: of two assignments due together, each 2 days late with 3 days in the bank, one is
accepted and the other refused `window_closed`, exactly as one after the other. Before, both were
accepted (each read the bank before the other committed) and the recompute after the commit then turned
one of them into "missing" while the student had been told "submitted late".

Each submission waits for the other inside its audit write (after the rule was checked and the rows
written, before the commit), so without the lock both transactions overlap where the rule is decided."""

import contextlib
import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from courses.models import EffectiveDeadline, Submission
from courses.services import submissions as submissions_service
from portal.errors import PortalError
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(monkeypatch, actions):
    barrier = threading.Barrier(len(actions))
    real = submissions_service.audit_record

    def audit_then_wait(**kwargs):
        real(**kwargs)
        # With the lock, the other one waits for this commit: the barrier breaks after its timeout.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)

    monkeypatch.setattr(submissions_service, "audit_record", audit_then_wait)
    results: list = [None] * len(actions)

    def run(i, action):
        try:
            results[i] = action()
        except PortalError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_late_submissions_at_once_spend_the_bank_once(bank, monkeypatch):
    world = bank
    hw1 = world.course.assignments.get(code="HW1")
    twin = AssignmentFactory(course=world.course, code="HW1b", due_at=hw1.due_at)
    world.recompute()
    moment = hw1.due_at + timedelta(days=1, hours=1)  # 2 local days late on either

    def submit(assignment):
        return lambda: submissions_service.submission_create(
            acting_user=world.ug1,
            assignment_id=assignment.id,
            file=SimpleUploadedFile("a.pdf", b"%PDF-1.4 answers"),
            collaborators=[],
            honor_statement_accepted=True,
            now=moment,
        )

    results = run_together(monkeypatch, [submit(hw1), submit(twin)])

    accepted = [code for code, r in zip(("HW1", "HW1b"), results, strict=True) if isinstance(r, tuple)]
    refused = [r.code for r in results if isinstance(r, PortalError)]
    assert len(accepted) == 1 and refused == ["window_closed"], results
    assert [r[1] for r in results if isinstance(r, tuple)] == ["submitted_late"]
    assert Submission.objects.filter(student=world.ug1).count() == 1
    # What the student was told stays true after the commit's recompute.
    world.recompute()
    stored = EffectiveDeadline.objects.get(student=world.ug1, assignment__code=accepted[0])
    assert (stored.outcome, stored.late_days_used) == ("submitted_late", 2)
