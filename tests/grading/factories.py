"""factory_boy factories for the grading app (questions, grades, scores, regrade requests)."""

from decimal import Decimal

import factory
from django.utils import timezone

from grading.models import Grade, Question, QuestionScore, RegradeRequest
from tests.factories import AssignmentFactory, UserFactory


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    assignment = factory.SubFactory(AssignmentFactory)
    label = factory.Sequence(lambda n: f"Q{n + 1}")
    title = ""
    points = Decimal(10)
    position = factory.Sequence(lambda n: n)


class GradeFactory(factory.django.DjangoModelFactory):
    """A grade row without scores or history; enter scores through the service or the API."""

    class Meta:
        model = Grade

    student = factory.SubFactory(UserFactory)
    assignment = factory.SubFactory(AssignmentFactory)
    released_at = None
    regrade_deadline = None


class QuestionScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionScore

    grade = factory.SubFactory(GradeFactory)
    question = factory.SubFactory(QuestionFactory)
    score = Decimal(5)


class RegradeRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegradeRequest

    grade = factory.SubFactory(GradeFactory)
    question = factory.SubFactory(QuestionFactory, assignment=factory.SelfAttribute("..grade.assignment"))
    student = factory.SelfAttribute("grade.student")
    assignment = factory.SelfAttribute("grade.assignment")
    course = factory.SelfAttribute("grade.assignment.course")
    justification = "Please look at this again."
    state = RegradeRequest.State.OPEN
    created_at = factory.LazyFunction(timezone.now)
