"""Seat changes at the same moment: a drop, a capacity raise, a join and several promotion runs race
each other. The section never goes over capacity, nobody is promoted twice, and every free seat goes to
the waitlist's best-placed students.

Real threads on PostgreSQL (row locks) and on SQLite (a file database whose transactions take the write
lock when they begin and wait for it: the same settings as the zero-setup `make run`).
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from courses.models import Enrolment, Promotion, Section
from courses.selectors import waitlist_queryset
from courses.services.waitlist import enrolment_drop, section_update, waitlist_join, waitlist_promote
from tests.courses.waitlist.helpers import JOIN_START, submit_prep
from tests.factories import EnrolmentFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

Status = Enrolment.Status
ROUNDS = 4
PROMOTERS = 4


def run_at_once(actions) -> list[BaseException]:
    """Start every action in its own thread behind one barrier; return what they raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action):
        try:
            barrier.wait(timeout=30)
            action()
        except BaseException as exc:  # collected and reported by the test
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; the flush after the test needs them gone

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (a lock never released?)"
    return errors


def build_round(world, n: int) -> tuple[Section, list[Enrolment], list[str]]:
    """A section at 4 of 4 seats (room 10) and 6 waitlisted students of mixed priority."""
    course = world.course
    section = SectionFactory(course=course, code=f"RACE-{n}", capacity=4, room_capacity=10)
    seated = [EnrolmentFactory(user=UserFactory(username=f"r{n}-seat{i}"), section=section) for i in range(4)]
    ps0 = course.assignments.get(code="PS0")
    waiting = [  # (name, basis, submitted PS0)
        ("a", "credit", False),
        ("b", "audit", True),
        ("c", "credit", True),
        ("d", "pass_fail", False),
        ("e", "credit", False),
        ("f", "credit", True),
    ]
    for minute, (name, basis, prep) in enumerate(waiting):
        user = UserFactory(username=f"r{n}-{name}")
        EnrolmentFactory(
            user=user,
            section=section,
            status=Status.WAITLISTED,
            grading_basis=basis,
            joined_at=JOIN_START + timedelta(minutes=minute),
        )
        if prep:
            submit_prep(user, ps0)
    order = list(waitlist_queryset(section).values_list("user__username", flat=True))
    assert order == [f"r{n}-{x}" for x in ("c", "f", "a", "e", "b", "d")]  # credit+PS0, credit, the rest
    return section, seated, order


@pytest.mark.parametrize("round_number", range(1, ROUNDS + 1))
def test_a_drop_a_raise_a_join_and_promotions_at_once(world, round_number):
    world.course.waitlist_allows_audit = True
    world.course.save(update_fields=["waitlist_allows_audit"])
    section, seated, order = build_round(world, round_number)
    joiner = UserFactory(username=f"r{round_number}-late")
    mail.outbox.clear()

    errors = run_at_once(
        [
            lambda: enrolment_drop(acting_user=world.instructor, enrolment_id=seated[0].id),
            lambda: section_update(acting_user=world.instructor, section_id=section.id, capacity=6),
            lambda: waitlist_join(acting_user=joiner, section_id=section.id),
            *[lambda: waitlist_promote(section_id=section.id) for _ in range(PROMOTERS)],
        ]
    )

    assert errors == []
    section.refresh_from_db()
    assert section.capacity == 6
    enrolled = set(
        Enrolment.objects.filter(section=section, status=Status.ENROLLED).values_list(
            "user__username", flat=True
        )
    )
    assert len(enrolled) <= section.capacity
    # 3 seats were taken (one dropped) and 2 added: 3 free, and the three best-placed students got them.
    assert len(enrolled) == section.capacity
    assert enrolled == {s.user.username for s in seated[1:]} | set(order[:3])
    still_waiting = list(waitlist_queryset(section).values_list("user__username", flat=True))
    # The late joiner takes the class for credit: behind e (credit, earlier), ahead of audit and pass/fail.
    assert still_waiting == [order[3], joiner.username, *order[4:]]
    promoted = list(Promotion.objects.filter(section=section).values_list("enrolment_id", flat=True))
    assert len(promoted) == len(set(promoted)) == 3
    assert set(Enrolment.objects.filter(id__in=promoted).values_list("user__username", flat=True)) == set(
        order[:3]
    )
    told = Counter(address for message in mail.outbox for address in message.to)
    assert told == Counter({f"{name}@example.edu": 1 for name in order[:3]})


def test_many_promotion_runs_at_once_promote_each_student_once(world):
    section, _, order = build_round(world, 99)
    Section.objects.filter(pk=section.pk).update(capacity=7)  # 3 free seats, no task of its own
    mail.outbox.clear()
    results: list[list[int]] = []

    errors = run_at_once([lambda: results.append(waitlist_promote(section_id=section.id)) for _ in range(8)])

    assert errors == []
    assert sorted(len(r) for r in results) == [0] * 7 + [3]  # one run filled every seat, the rest found none
    promoted = list(Promotion.objects.filter(section=section).values_list("enrolment_id", flat=True))
    assert len(promoted) == len(set(promoted)) == 3
    assert Enrolment.objects.filter(section=section, status=Status.ENROLLED).count() == 7
    assert set(Enrolment.objects.filter(id__in=promoted).values_list("user__username", flat=True)) == set(
        order[:3]
    )
    assert sorted(address for m in mail.outbox for address in m.to) == sorted(
        f"{name}@example.edu" for name in order[:3]
    )
