"""`manage.py seed_demo` builds the course of the first lecture's slides, and running it again changes
nothing."""

import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone

from courses.models import Assignment, Course, EffectiveDeadline, Enrolment, Section, StaffRole, Term, User
from courses.selectors import deadlines_for_student

NY = ZoneInfo("America/New_York")
PASSWORD = "portal-demo"
# Columns that record when something was (re)computed, not what it is.
VOLATILE = {"last_login", "computed_at"}


def seed(capture, *args) -> str:
    """Run the command as `make run` does: its after-commit tasks run too."""
    out = io.StringIO()
    with capture(execute=True):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the portal's apps (and its users), without the volatile columns."""
    tables = {}
    for label in ("courses", "grading"):
        for model in apps.get_app_config(label).get_models():
            rows = model.objects.order_by("pk").values()
            tables[model._meta.label] = [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]
            for field in model._meta.many_to_many:
                through = getattr(model, field.name).through
                tables[through._meta.label] = list(through.objects.order_by("pk").values())
    return tables


class SeededCase(TestCase):
    """The command runs once per class (setUpTestData); each test sees its result in a savepoint."""

    args: tuple[str, ...] = ()

    @classmethod
    def setUpTestData(cls):
        cls.output = seed(cls.captureOnCommitCallbacks, *cls.args)

    def setUp(self):
        self.course = Course.objects.get(code="CS 4644 / CS 7643-A")

    def seed_again(self, *args) -> str:
        return seed(self.captureOnCommitCallbacks, *args)


# ---- the course of the slides ----------------------------------------------------------------------


class TestTheCourseOfTheSlides(SeededCase):
    def test_the_command_says_how_to_sign_in(self):
        assert "portal-demo" in self.output
        assert "ug1" in self.output

    def test_term_course_and_sections(self):
        course = self.course
        assert course.title == "Deep Learning"
        assert course.time_zone == "America/New_York"
        assert course.term == Term.objects.get(name="Spring 2023")
        assert course.term.starts_on.isoformat() == "2023-01-09"
        assert (course.late_policy, course.grace_days, course.regrade_window_days) == ("grace", 2, 7)
        assert course.waitlist_allows_audit is False
        sections = {s.code: s for s in course.sections.all()}
        assert set(sections) == {"CS 4644", "CS 7643-A"}
        assert sections["CS 4644"].level == Section.Level.UNDERGRADUATE
        assert sections["CS 7643-A"].level == Section.Level.GRADUATE
        for section in sections.values():
            assert section.delivery == Section.Delivery.IN_PERSON
            assert section.room and section.stream_info and section.recordings_info
            assert section.capacity <= section.room_capacity
        assert course.other_section_codes == ["CS 7643-O01", "CS 7643-OAN", "CS 7643-Q", "CS 7643-R"]

    def test_preparation_due_sunday_jan_15_with_no_grace_and_no_collaboration(self):
        for code in ("PS0", "HW0"):
            a = self.course.assignments.get(code=code)
            local = a.due_at.astimezone(NY)
            assert local == datetime(2023, 1, 15, 23, 59, tzinfo=NY), code
            assert local.strftime("%A") == "Sunday"
            assert a.category == Assignment.Category.PREPARATION
            assert a.grace_allowed is False, code
            assert a.collaboration_allowed is False, code
            assert a.counts_toward_grade is False, code
            assert a.weight == 0

    def test_weights_of_the_slides(self):
        assignments = {a.code: a for a in self.course.assignments.all()}
        graded = [f"PS{i}" for i in range(1, 5)] + [f"HW{i}" for i in range(1, 5)]
        assert set(graded) <= set(assignments)
        assert sum(assignments[c].weight for c in graded) == Decimal(72)
        for code in graded:
            assert assignments[code].grace_allowed and assignments[code].collaboration_allowed
            assert assignments[code].counts_toward_grade
        project = assignments["PROJECT"]
        assert project.weight == Decimal(28)
        assert (project.team_size_min, project.team_size_max) == (3, 4)
        participation = assignments["PARTICIPATION"]
        assert participation.weight == Decimal(1)
        assert participation.is_bonus
        assert "PROPOSAL" in assignments
        assert assignments["PROPOSAL"].category == Assignment.Category.PROPOSAL
        assert assignments["PROJECT"].due_at > assignments["PROPOSAL"].due_at > assignments["PS1"].due_at
        # Everything that is not a bonus adds up to 100%.
        counted = self.course.assignments.filter(counts_toward_grade=True, is_bonus=False)
        assert counted.aggregate(w=Sum("weight"))["w"] == Decimal(100)

    def test_accounts(self):
        ug = [f"ug{i}" for i in range(1, 21)]
        gr = [f"gr{i}" for i in range(1, 21)]
        wait = [f"wait{i}" for i in range(1, 6)]
        expected = {"instructor", "ta1", "ta2", *ug, *gr, *wait}
        assert set(User.objects.values_list("username", flat=True)) == expected
        for user in User.objects.all():
            assert user.check_password(PASSWORD), user.username
            assert user.is_active

        def members(section, status):
            return set(
                Enrolment.objects.filter(
                    section__course=self.course, section__code=section, status=status
                ).values_list("user__username", flat=True)
            )

        assert members("CS 4644", "enrolled") == set(ug)
        assert members("CS 7643-A", "enrolled") == set(gr)
        waiting = set(Enrolment.objects.filter(status="waitlisted").values_list("user__username", flat=True))
        assert waiting == set(wait)
        assert not Enrolment.objects.filter(status="dropped").exists()

        roles = {
            (r.user.username, r.role)
            for r in StaffRole.objects.filter(course=self.course).select_related("user")
        }
        assert roles == {("instructor", "instructor"), ("ta1", "ta"), ("ta2", "ta")}
        assert User.objects.get(username="instructor").is_staff

    def test_stored_deadlines_cover_every_active_student(self):
        dated = self.course.assignments.filter(due_at__isnull=False).count()
        active = Enrolment.objects.filter(section__course=self.course, status__in=("enrolled", "waitlisted"))
        assert active.count() == 45
        assert EffectiveDeadline.objects.filter(assignment__course=self.course).count() == dated * 45

    # ---- idempotent ---------------------------------------------------------------------------------

    def test_running_it_twice_changes_nothing(self):
        first = snapshot()
        assert first["courses.User"] and first["courses.Assignment"]
        self.seed_again()
        second = snapshot()
        assert second.keys() == first.keys()
        for table in first:
            assert second[table] == first[table], f"seed_demo changed {table} on a second run"

    def test_it_puts_back_what_someone_changed(self):
        Assignment.objects.filter(course=self.course, code="PS0").update(grace_allowed=True, weight=5)
        self.seed_again()
        ps0 = self.course.assignments.get(code="PS0")
        assert (ps0.grace_allowed, ps0.weight) == (False, 0)


# ---- --relative: today is in week 5 -----------------------------------------------------------------


class TestRelative(SeededCase):
    args = ("--relative",)

    def test_today_is_in_week_5(self):
        today = timezone.localdate(timezone=NY)
        term = self.course.term
        assert term.starts_on <= today - timedelta(days=28)
        assert today < term.starts_on + timedelta(days=35)

        # Every date moves with the term: PS0 is still due 11:59 pm local, six days after the term starts.
        local = self.course.assignments.get(code="PS0").due_at.astimezone(NY)
        assert (local.hour, local.minute) == (23, 59)
        assert local.date() == term.starts_on + timedelta(days=6)

    def test_the_term_is_named_for_its_dates(self):
        """Not "Spring 2023": the shifted term runs from about a month ago for seventeen weeks."""
        term = self.course.term
        seasons = {12: "Winter", 1: "Winter", 2: "Winter", 3: "Spring", 4: "Spring", 5: "Spring",
                   6: "Summer", 7: "Summer", 8: "Summer", 9: "Fall", 10: "Fall", 11: "Fall"}  # fmt: skip
        first = f"{seasons[term.starts_on.month]} {term.starts_on.year}"
        last = f"{seasons[term.ends_on.month]} {term.ends_on.year}"
        assert term.name == (first if first == last else f"{first} – {last}")
        assert list(Term.objects.values_list("name", flat=True)) == [term.name]

    def test_ps0_is_closed_and_ps1_in_grace_for_ug1(self):
        now = timezone.now()
        rows = {row.assignment.code: row for row in deadlines_for_student(User.objects.get(username="ug1"))}
        for code in ("PS0", "HW0"):  # closed: no grace period, and long past
            assert rows[code].grace_ends_at is None
            assert rows[code].closes_at < now
            assert rows[code].status in ("closed", "submitted")
        assert rows["PS1"].status == "grace"
        assert rows["PS1"].due_at < now < rows["PS1"].grace_ends_at
        assert rows["HW1"].status == "open"
        assert rows["PROJECT"].status == "open"
        assert "PARTICIPATION" not in rows  # no due time

        # A waitlisted student who did not hand in PS0 finds it closed, and sees PS1 in grace too.
        waiting = {
            r.assignment.code: r.status for r in deadlines_for_student(User.objects.get(username="wait1"))
        }
        assert waiting["PS0"] == "closed"
        assert waiting["PS1"] == "grace"

    def test_seeded_submissions_reach_the_stored_deadlines(self):
        """The seed writes PS0/HW0 and some PS1 submissions directly; the recompute re-reads them."""
        ug1 = {r.assignment.code: r.status for r in deadlines_for_student(User.objects.get(username="ug1"))}
        ug2 = {r.assignment.code: r.status for r in deadlines_for_student(User.objects.get(username="ug2"))}
        assert ug1["PS0"] == ug1["HW0"] == "submitted"
        assert ug2["PS1"] == "submitted"

    def test_running_it_twice_changes_nothing(self):
        first = snapshot()
        self.seed_again("--relative")
        second = snapshot()
        for table in first:
            assert second[table] == first[table], f"seed_demo --relative changed {table} on a second run"

    def test_then_plain_goes_back_to_2023(self):
        self.seed_again()
        course = Course.objects.get(code="CS 4644 / CS 7643-A")
        assert course.term.starts_on.isoformat() == "2023-01-09"
        assert list(Term.objects.values_list("name", flat=True)) == ["Spring 2023"]  # the shifted one is gone
        assert course.assignments.get(code="PS0").due_at == datetime(2023, 1, 15, 23, 59, tzinfo=NY)
        rows = EffectiveDeadline.objects.filter(assignment__code="PS0", assignment__course=course)
        assert {r.due_at for r in rows} == {datetime(2023, 1, 15, 23, 59, tzinfo=NY)}
