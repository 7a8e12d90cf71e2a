"""factory_boy factories for the domain. Times are aware and defined in America/New_York."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from courses.models import Assignment, Course, Enrolment, Section, StaffRole, Term, User

NY = ZoneInfo("America/New_York")


def eastern(year: int, month: int, day: int, hour: int = 23, minute: int = 59) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu")
    sis_id = factory.Sequence(lambda n: f"09{n:07d}")
    password = factory.django.Password("pw-portal-test")


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term
        django_get_or_create = ("name",)

    name = "Spring 2023"
    starts_on = date(2023, 1, 9)
    ends_on = date(2023, 5, 5)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    term = factory.SubFactory(TermFactory)
    code = factory.Sequence(lambda n: f"CS {4644 + n}")
    title = "Deep Learning"
    time_zone = "America/New_York"
    other_course_section_codes = "CS 7643-O01, CS 7643-OAN, CS 7643-Q, CS 7643-R"
    honor_statement = "This is my own work."


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    course = factory.SubFactory(CourseFactory)
    code = factory.Sequence(lambda n: f"SEC {n}")
    level = Section.Level.UNDERGRADUATE
    capacity = 20
    room_capacity = 30


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    role = StaffRole.Role.TA


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    user = factory.SubFactory(UserFactory)
    section = factory.SubFactory(SectionFactory)
    status = Enrolment.Status.ENROLLED
    grading_basis = Enrolment.GradingBasis.CREDIT
    joined_at = factory.LazyFunction(timezone.now)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    course = factory.SubFactory(CourseFactory)
    code = factory.Sequence(lambda n: f"HW{n + 1}")
    title = factory.LazyAttribute(lambda a: f"Homework {a.code}")
    category = Assignment.Category.HOMEWORK
    points = Decimal(100)
    weight = Decimal(9)
    due_at = eastern(2023, 2, 12)
    grace_allowed = True
    collaboration_allowed = True
