"""REST endpoints for final-project teams and team grades."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access, selectors
from courses.models import Team
from courses.services import teams
from portal.api import ERROR, InstantField, validated
from portal.errors import ObjectNotFound


class MemberOut(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.display_name")
    state = serializers.CharField()


class TeamOut(serializers.Serializer):
    id = serializers.IntegerField(source="team.id")
    name = serializers.CharField(source="team.name")
    status = serializers.CharField()
    members = MemberOut(many=True)
    invited = MemberOut(many=True)
    solo_reason = serializers.CharField(source="team.solo_reason")
    solo_approved_at = InstantField(source="team.solo_approved_at", allow_null=True)


def _team_view(user, team: Team):
    for view in selectors.teams_for_course(team.course, user=user):
        if view.team.id == team.id:
            return view
    raise ObjectNotFound("No such team among yours.")


class TeamIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class TeamListView(APIView):
    @extend_schema(responses={200: TeamOut(many=True), 404: ERROR}, tags=["teams"])
    def get(self, request, course_id: int):
        """Staff: every team with its status. Students: their team and their invitations."""
        course = access.access_course(request.user, course_id)
        return Response(TeamOut(selectors.teams_for_course(course, user=request.user), many=True).data)

    @extend_schema(
        request=TeamIn, responses={201: TeamOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["teams"]
    )
    def post(self, request, course_id: int):
        data = validated(TeamIn, request.data)
        team = teams.team_create(acting_user=request.user, course_id=course_id, name=data["name"])
        return Response(TeamOut(_team_view(request.user, team)).data, status=status.HTTP_201_CREATED)


class InviteIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class SoloIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class TeamInviteView(APIView):
    @extend_schema(
        request=InviteIn, responses={200: TeamOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["teams"]
    )
    def post(self, request, team_id: int):
        data = validated(InviteIn, request.data)
        membership = teams.team_invite(acting_user=request.user, team_id=team_id, username=data["username"])
        return Response(TeamOut(_team_view(request.user, membership.team)).data)


class TeamAcceptView(APIView):
    @extend_schema(request=None, responses={200: TeamOut, 400: ERROR, 404: ERROR}, tags=["teams"])
    def post(self, request, team_id: int):
        membership = teams.team_respond(acting_user=request.user, team_id=team_id, accept=True)
        return Response(TeamOut(_team_view(request.user, membership.team)).data)


class TeamDeclineView(APIView):
    @extend_schema(request=None, responses={200: MemberOut, 400: ERROR, 404: ERROR}, tags=["teams"])
    def post(self, request, team_id: int):
        membership = teams.team_respond(acting_user=request.user, team_id=team_id, accept=False)
        return Response(MemberOut(membership).data)


class TeamSoloRequestView(APIView):
    @extend_schema(request=SoloIn, responses={200: TeamOut, 400: ERROR, 404: ERROR}, tags=["teams"])
    def post(self, request, team_id: int):
        """Ask to do the project alone, with a reason; the instructor approves."""
        data = validated(SoloIn, request.data)
        team = teams.team_request_solo(acting_user=request.user, team_id=team_id, reason=data["reason"])
        return Response(TeamOut(_team_view(request.user, team)).data)


class TeamApproveSoloView(APIView):
    @extend_schema(request=None, responses={200: TeamOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["teams"])
    def post(self, request, team_id: int):
        team = teams.team_approve_solo(acting_user=request.user, team_id=team_id)
        return Response(TeamOut(_team_view(request.user, team)).data)
