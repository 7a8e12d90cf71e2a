"""deadline_refresh_stale: before a grade export reads a course's stored outcomes, the rows stored from
inputs that changed since (their recompute still waits in the outbox) are recomputed; current rows and
other courses' rows are left alone, and a second run writes nothing."""

from datetime import timedelta

from django.utils import timezone

from courses.models import Assignment, EffectiveDeadline
from courses.services.deadlines import deadline_recompute, deadline_refresh_stale
from tests.courses.helpers import a, grant_extension
from tests.factories import AssignmentFactory, eastern


def stored(student, assignment) -> EffectiveDeadline:
    return EffectiveDeadline.objects.get(student=student, assignment=assignment)


def test_current_rows_are_left_alone(world):
    world.recompute()
    assert deadline_refresh_stale(course_id=world.course.id) == 0


def test_an_extension_whose_recompute_waits_is_stored(world, api, django_capture_on_commit_callbacks):
    world.recompute()
    hw1 = a(world, "HW1")
    later = timezone.now() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=False):  # the recompute waits in the outbox
        grant_extension(api, world.instructor, world.ug2, hw1, later)
    assert stored(world.ug2, hw1).extension_due_at is None
    others = {
        r.pk: r.computed_at for r in EffectiveDeadline.objects.exclude(student=world.ug2, assignment=hw1)
    }

    assert deadline_refresh_stale(course_id=world.course.id) == 1
    row = stored(world.ug2, hw1)
    assert row.extension_due_at == later and row.closes_at >= later
    assert row.outcome == EffectiveDeadline.Outcome.PENDING
    assert {r.pk: r.computed_at for r in EffectiveDeadline.objects.exclude(pk=row.pk)} == others
    assert deadline_refresh_stale(course_id=world.course.id) == 0


def test_a_moved_due_time_restores_the_whole_class_of_that_course_only(world):
    other = AssignmentFactory(course=world.other_course, code="HW1", due_at=eastern(2023, 2, 12))
    world.recompute()
    deadline_recompute(assignment_id=other.id)
    assert EffectiveDeadline.objects.filter(assignment=other).exists()
    hw1 = a(world, "HW1")
    Assignment.objects.filter(pk__in=[hw1.pk, other.pk]).update(due_at=eastern(2023, 2, 19))  # no recompute

    written = deadline_refresh_stale(course_id=world.course.id)
    rows = EffectiveDeadline.objects.filter(assignment=hw1)
    assert written == rows.count() > 0
    assert {r.due_at for r in rows} == {eastern(2023, 2, 19)}
    assert not EffectiveDeadline.objects.filter(assignment=other, due_at=eastern(2023, 2, 19)).exists()
    assert deadline_refresh_stale(course_id=world.course.id) == 0


def test_under_the_late_day_bank_each_students_window_is_checked(
    bank, api, django_capture_on_commit_callbacks
):
    hw2 = a(bank, "HW2")
    later = eastern(2023, 3, 5)
    with django_capture_on_commit_callbacks(execute=False):
        grant_extension(api, bank.instructor, bank.ug1, hw2, later)
    assert stored(bank.ug1, hw2).extension_due_at is None

    assert deadline_refresh_stale(course_id=bank.course.id) == 1
    assert stored(bank.ug1, hw2).extension_due_at == later
    assert deadline_refresh_stale(course_id=bank.course.id) == 0
