"""REST endpoints for an assignment's outline: its questions and their per-section requirements."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access as course_access
from grading import access, selectors
from grading.models import QuestionRequirement
from grading.services import outline
from portal.api import ERROR, validated

REQUIREMENTS_HELP = (
    '{"<section id>": "required" | "extra_credit" | "not_applicable"}; sections not named are unchanged '
    "(on create: required)."
)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "enum": list(QuestionRequirement.Requirement.values)},
    }
)
class RequirementsField(serializers.DictField):
    """The service checks the keys (sections of the course) and the values (the three choices)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(max_length=32), help_text=REQUIREMENTS_HELP, **kwargs)


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField(source="question.id")
    assignment = serializers.IntegerField(source="question.assignment_id")
    label = serializers.CharField(source="question.label")
    title = serializers.CharField(source="question.title")
    points = serializers.DecimalField(max_digits=7, decimal_places=2, source="question.points")
    position = serializers.IntegerField(help_text="1 for the first question of the outline.")
    requirements = serializers.SerializerMethodField()

    @extend_schema_field(RequirementsField())
    def get_requirements(self, line) -> dict[str, str]:
        return {str(section_id): value for section_id, value in line.requirements.items()}


# Points are read as text, so that the service's rule (grading.scores: finite, at most two decimals) says
# what is wrong with "2.555" or "lots", as the CSV imports do.
POINTS_HELP = "More than 0, at most two decimal places, e.g. 12.5."


class QuestionCreateIn(serializers.Serializer):
    label = serializers.CharField(
        max_length=200, allow_blank=True, help_text="e.g. Q1 or 2b; unique per assignment."
    )
    title = serializers.CharField(max_length=400, required=False, allow_blank=True)
    points = serializers.CharField(max_length=40, help_text=POINTS_HELP)
    position = serializers.IntegerField(required=False, min_value=1, help_text="Default: last.")
    requirements = RequirementsField(required=False)


class QuestionUpdateIn(serializers.Serializer):
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=400, required=False, allow_blank=True)
    points = serializers.CharField(max_length=40, required=False, help_text=POINTS_HELP)
    position = serializers.IntegerField(
        required=False, min_value=1, help_text="Move to this place (1: first); the others shift."
    )
    requirements = RequirementsField(required=False)


def _line(question) -> selectors.OutlineQuestion:
    return next(
        line for line in selectors.outline_questions(question.assignment) if line.question.pk == question.pk
    )


class AssignmentQuestionsView(APIView):
    @extend_schema(responses={200: QuestionOut(many=True), 404: ERROR}, tags=["outline"])
    def get(self, request, assignment_id: int):
        """The assignment's questions in order, with each section's requirement (members of the course)."""
        assignment = course_access.access_assignment(request.user, assignment_id)
        return Response(QuestionOut(selectors.outline_questions(assignment), many=True).data)

    @extend_schema(
        request=QuestionCreateIn,
        responses={201: QuestionOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["outline"],
    )
    def post(self, request, assignment_id: int):
        """Add a question (instructors)."""
        course_access.access_assignment_as_instructor(request.user, assignment_id)  # before reading the body
        data = validated(QuestionCreateIn, request.data)
        question = outline.question_create(acting_user=request.user, assignment_id=assignment_id, **data)
        return Response(QuestionOut(_line(question)).data, status=status.HTTP_201_CREATED)


class QuestionDetailView(APIView):
    @extend_schema(
        request=QuestionUpdateIn,
        responses={200: QuestionOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["outline"],
    )
    def patch(self, request, question_id: int):
        """Change label, title, points, place or requirements (instructors). Points below a score already
        entered are refused; scores and their history are kept."""
        access.access_question_as_instructor(request.user, question_id)  # who may, before what was sent
        data = validated(QuestionUpdateIn, request.data)
        question = outline.question_update(acting_user=request.user, question_id=question_id, **data)
        return Response(QuestionOut(_line(question)).data)

    @extend_schema(responses={204: None, 403: ERROR, 404: ERROR, 409: ERROR}, tags=["outline"])
    def delete(self, request, question_id: int):
        """Delete a question without scores (instructors); one with scores: 409 question_has_scores."""
        outline.question_delete(acting_user=request.user, question_id=question_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
