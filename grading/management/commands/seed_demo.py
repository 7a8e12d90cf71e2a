"""The Spring 2023 Deep Learning course (CS 4644 / CS 7643-A) from the first lecture's slides.

Idempotent: running it twice changes nothing. `--relative` shifts every date so that today falls in
week 5 of the term (upcoming, in-grace and closed work all show on a first look).
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from courses.models import Assignment, Course, Enrolment, Section, StaffRole, Submission, Term, User
from courses.services.enrolments import enrolment_set
from courses.tasks import recompute_deadlines
from grading.demo import seed_grades
from portal.tasking import enqueue_on_commit

PASSWORD = "portal-demo"
ZONE = ZoneInfo("America/New_York")
TERM_START = date(2023, 1, 9)  # Monday of week 1
TERM_END = date(2023, 5, 5)
COURSE_CODE = "CS 4644 / CS 7643-A"
SEASONS = {12: "Winter", 1: "Winter", 2: "Winter", 3: "Spring", 4: "Spring", 5: "Spring",
           6: "Summer", 7: "Summer", 8: "Summer", 9: "Fall", 10: "Fall", 11: "Fall"}  # fmt: skip
WEEK5_ANCHOR = date(2023, 2, 9)  # "today" in relative mode: Thursday of week 5
DUE = time(23, 59)

FIRST = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy", "Jordan",
         "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Riley", "Sage", "Taylor"]  # fmt: skip
LAST = ["Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Huang", "Iyer", "Jones",
        "Kim", "Lopez", "Mehta", "Nguyen", "Okafor", "Patel", "Quintero", "Rossi", "Singh", "Tanaka"]  # fmt: skip


@dataclass(frozen=True)
class Spec:
    code: str
    title: str
    category: str
    due: date | None
    weight: Decimal
    grace: bool = True
    collaboration: bool = True
    counts: bool = True
    bonus: bool = False
    submissions: bool = True
    team: tuple[int, int] = (1, 1)


ASSIGNMENTS = [
    Spec("PS0", "Problem set 0: probability, calculus, convexity", "preparation", date(2023, 1, 15), Decimal(0),
         grace=False, collaboration=False, counts=False),
    Spec("HW0", "Homework 0: Python and NumPy", "preparation", date(2023, 1, 15), Decimal(0),
         grace=False, collaboration=False, counts=False),
    Spec("PS1", "Problem set 1", "problem_set", date(2023, 2, 8), Decimal(9)),
    Spec("HW1", "Homework 1: neural networks in pure Python", "homework", date(2023, 2, 12), Decimal(9)),
    Spec("PS2", "Problem set 2", "problem_set", date(2023, 3, 1), Decimal(9)),
    Spec("HW2", "Homework 2: CNNs in PyTorch", "homework", date(2023, 3, 12), Decimal(9)),
    Spec("PROPOSAL", "Final project proposal", "proposal", date(2023, 3, 17), Decimal(0), counts=False, team=(3, 4)),
    Spec("PS3", "Problem set 3", "problem_set", date(2023, 4, 2), Decimal(9)),
    Spec("HW3", "Homework 3: RNNs and Transformers", "homework", date(2023, 4, 9), Decimal(9)),
    Spec("PS4", "Problem set 4", "problem_set", date(2023, 4, 19), Decimal(9)),
    Spec("HW4", "Homework 4: generative models and deep RL", "homework", date(2023, 4, 23), Decimal(9)),
    Spec("PROJECT", "Final project", "project", date(2023, 5, 2), Decimal(28), team=(3, 4)),
    Spec("PARTICIPATION", "Class participation (top endorsed Piazza contributors)", "participation", None,
         Decimal(1), bonus=True, submissions=False),
]  # fmt: skip

COURSE_TEXT = {
    "description": (
        "Introduction to deep learning: CNNs, RNNs and Transformers, deep reinforcement learning and generative "
        "models. After this class you should be ready to start your first deep learning research project. "
        "Content is free online: you are here for the interaction and the insight."
    ),
    "prerequisites": (
        "An introductory machine learning class (CS 7641, ISYE 6740, CSE 6740 or equivalent), linear algebra, "
        "multivariate calculus, basic probability and statistics, and Python. Homeworks use Python and PyTorch."
    ),
    "instructor_contact": "Instructor: Zsolt Kira. Use Piazza (public or private posts) rather than e-mail.",
    "communication": (
        "Piazza is the primary means of communication: the instructor and TAs answer everyone there. No direct "
        "e-mails to the instructor unless the matter is private. Endorsed answers earn participation credit."
    ),
    "office_hours": "Office hours are held online; times and links are on the class webpage.",
    "other_courses_notice": (
        "This is CS 4644 / CS 7643-A, the on-campus class. CS 7643-O01, OAN, Q and R are the online class for "
        "the OMSCS program: a different course with its own staff, schedule and Canvas site. If you are "
        "registered in one of those sections, use that course's site instead."
    ),
    "other_course_section_codes": "CS 7643-O01, CS 7643-OAN, CS 7643-Q, CS 7643-R",
    "honor_statement": (
        "This is my own work: I wrote my own answers and my own code, I listed everyone I discussed it with, "
        "I credited every source, and I did not use AI assistants such as ChatGPT or Copilot."
    ),
    "readiness_advice": (
        "A PS0/HW0 score at or under 75% means you might not be prepared for this class. Review the "
        "prerequisites and talk to the instructor or your advisor before the registration deadline."
    ),
}


def term_name(starts_on: date, ends_on: date) -> str:
    """A shifted term is named for its dates (e.g. Fall 2026 to Winter 2027), not for the slides' Spring 2023."""
    first = f"{SEASONS[starts_on.month]} {starts_on.year}"
    last = f"{SEASONS[ends_on.month]} {ends_on.year}"
    return first if first == last else f"{first} – {last}"


class Command(BaseCommand):
    help = "Create (or bring up to date) the Spring 2023 Deep Learning demo course and its accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--relative",
            action="store_true",
            help="Shift every date so that today falls in week 5 of the term.",
        )

    def handle(self, *args, relative: bool = False, **options):
        shift = timedelta(0)
        if relative:
            shift = timezone.localdate(timezone=ZONE) - WEEK5_ANCHOR
        self.password_hash = make_password(PASSWORD)
        with transaction.atomic():
            course = self._course(shift)
            self._people(course)
            self._assignments(course, shift)
        with transaction.atomic():
            seed_grades(course, shift)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo course ready: {course} — sign in as instructor, ta1, ug1 or gr1 with password {PASSWORD!r}."
            )
        )

    def _course(self, shift: timedelta) -> Course:
        starts_on, ends_on = TERM_START + shift, TERM_END + shift
        name = term_name(starts_on, ends_on) if shift else "Spring 2023"
        term, _ = Term.objects.update_or_create(
            name=name, defaults={"starts_on": starts_on, "ends_on": ends_on}
        )
        existing = Course.objects.filter(code=COURSE_CODE).select_related("term").first()
        course, _ = Course.objects.update_or_create(
            code=COURSE_CODE,
            defaults={"term": term, "title": "Deep Learning", "time_zone": "America/New_York", **COURSE_TEXT},
        )
        if existing and existing.term_id != term.id and not existing.term.courses.exists():
            existing.term.delete()  # the demo's term of the other mode, left empty
        shared = {
            "delivery": Section.Delivery.IN_PERSON,
            "meeting_times": "Tue & Thu, 12:30–1:45 pm",
            "room": "Clough UG Learning Commons 152",
            "stream_info": "Streamed over Zoom (the link is on Canvas); please attend in person",
            "recordings_info": "Lectures are recorded and available for viewing",
        }
        Section.objects.update_or_create(
            course=course,
            code="CS 4644",
            defaults={
                **shared,
                "level": Section.Level.UNDERGRADUATE,
                "capacity": 20,
                "room_capacity": 24,
                "notes": "Undergraduate section. Some homework questions are extra credit here.",
            },
        )
        Section.objects.update_or_create(
            course=course,
            code="CS 7643-A",
            defaults={
                **shared,
                "level": Section.Level.GRADUATE,
                "capacity": 20,
                "room_capacity": 24,
                "notes": "Graduate section. Questions that are extra credit for CS 4644 are required here, "
                "and the project is held to higher expectations.",
            },
        )
        return course

    def _user(self, username: str, first: str, last: str, sis_id: str = "") -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.edu",
                "sis_id": sis_id,
            },
        )
        if created:
            user.password = self.password_hash  # hashed once: hashing 48 times would take half a minute
            user.save(update_fields=["password"])
        return user

    def _people(self, course: Course) -> None:
        ug, gr = course.sections.get(code="CS 4644"), course.sections.get(code="CS 7643-A")
        instructor = self._user("instructor", "Zsolt", "Kira")
        instructor.is_staff = True
        instructor.is_superuser = True
        instructor.save(update_fields=["is_staff", "is_superuser"])
        StaffRole.objects.get_or_create(
            user=instructor, course=course, section=None, role=StaffRole.Role.INSTRUCTOR
        )
        StaffRole.objects.get_or_create(
            user=self._user("ta1", "Robin", "Alvarez"), course=course, section=None, role=StaffRole.Role.TA
        )
        StaffRole.objects.get_or_create(
            user=self._user("ta2", "Sam", "Okoro"), course=course, section=gr, role=StaffRole.Role.TA
        )
        people = [(f"ug{i}", ug, Enrolment.Status.ENROLLED, 1000 + i) for i in range(1, 21)]
        people += [(f"gr{i}", gr, Enrolment.Status.ENROLLED, 2000 + i) for i in range(1, 21)]
        people += [
            (f"wait{i}", gr if i <= 3 else ug, Enrolment.Status.WAITLISTED, 3000 + i) for i in range(1, 6)
        ]
        for index, (username, section, status, number) in enumerate(people):
            user = self._user(
                username, FIRST[index % 20], LAST[(index * 7 + index // 20) % 20], sis_id=f"0903{number:05d}"
            )
            enrolment_set(acting_user=instructor, user=user, section=section, status=status, recompute=False)

    def _assignments(self, course: Course, shift: timedelta) -> None:
        """Each assignment's recompute (after commit) covers every student of the course."""
        for spec in ASSIGNMENTS:
            due_at = release_at = None
            if spec.due:
                due_at = datetime.combine(spec.due + shift, DUE, tzinfo=ZONE)
                opens = TERM_START if spec.category == "preparation" else spec.due - timedelta(days=14)
                release_at = datetime.combine(opens + shift, time(9, 0), tzinfo=ZONE)
            assignment, _ = Assignment.objects.update_or_create(
                course=course,
                code=spec.code,
                defaults={
                    "title": spec.title,
                    "category": spec.category,
                    "points": Decimal(100),
                    "weight": spec.weight,
                    "is_bonus": spec.bonus,
                    "release_at": release_at,
                    "due_at": due_at,
                    "grace_allowed": spec.grace,
                    "collaboration_allowed": spec.collaboration,
                    "counts_toward_grade": spec.counts,
                    "accepts_submissions": spec.submissions,
                    "team_size_min": spec.team[0],
                    "team_size_max": spec.team[1],
                },
            )
            self._submissions(assignment, course)
            enqueue_on_commit(recompute_deadlines, assignment_id=assignment.id, resync_submissions=True)

    def _submissions(self, assignment: Assignment, course: Course) -> None:
        """PS0/HW0 were submitted by every enrolled student (and wait2, who gains waitlist priority); PS1 by
        ug2 to ug10 on time. ug1 has not submitted PS1, so its grace period shows."""
        if assignment.code in ("PS0", "HW0"):
            usernames = [f"ug{i}" for i in range(1, 21)] + [f"gr{i}" for i in range(1, 21)] + ["wait2"]
        elif assignment.code == "PS1":
            usernames = [f"ug{i}" for i in range(2, 11)]
        else:
            return
        collaborators_allowed = assignment.collaboration_allowed
        for user in User.objects.filter(username__in=usernames):
            if Submission.objects.filter(student=user, assignment=assignment).exists():
                continue
            content = f"{assignment.code} by {user.username}\n".encode()
            submission = Submission.objects.create(
                student=user,
                assignment=assignment,
                file=ContentFile(content, name=f"{assignment.code}.txt"),
                submitted_at=assignment.due_at - timedelta(hours=5),
                timing=Submission.Timing.ON_TIME,
                honor_statement_accepted=True,
                original_name=f"{assignment.code}.txt",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
            if collaborators_allowed and user.username == "ug2":
                submission.collaborators.set(User.objects.filter(username="ug3"))
