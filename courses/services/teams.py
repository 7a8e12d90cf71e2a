"""Final-project teams: create, invite, accept or decline, and solo requests approved by the instructor.

Writes lock the team row, so two acceptances at once cannot push a team past its maximum size.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from courses import access
from courses.models import Course, Enrolment, Team, TeamMembership, User
from courses.selectors.teams import team_size_for
from courses.services.audit import audit_record
from portal.errors import ObjectNotFound, PermissionDenied, PortalError

State = TeamMembership.State


def _student_of(course: Course, user) -> bool:
    return Enrolment.objects.filter(
        user=user, section__course=course, status=Enrolment.Status.ENROLLED
    ).exists()


def _current_team(course: Course, user) -> Team | None:
    return Team.objects.filter(
        course=course, memberships__user=user, memberships__state=State.ACCEPTED
    ).first()


@transaction.atomic
def team_create(*, acting_user, course_id: int, name: str, now: datetime | None = None) -> Team:
    now = now or timezone.now()
    course = access.access_course(acting_user, course_id)
    if not _student_of(course, acting_user):
        raise PermissionDenied("Only enrolled students form project teams.")
    if not name.strip():
        raise PortalError("Give the team a name.", fields={"name": "Required."})
    if current := _current_team(course, acting_user):
        raise PortalError(f"You are already in team {current.name}.", code="already_in_team")
    if Team.objects.filter(course=course, name=name.strip()).exists():
        raise PortalError(
            f"A team called {name.strip()!r} exists; choose another name.", fields={"name": "Taken."}
        )
    team = Team.objects.create(course=course, name=name.strip(), created_by=acting_user, created_at=now)
    TeamMembership.objects.create(
        team=team,
        user=acting_user,
        state=State.ACCEPTED,
        invited_by=acting_user,
        created_at=now,
        responded_at=now,
    )
    audit_record(actor=acting_user, course=course, action="team.create", target=team.name)
    return team


def _locked_team(user, team_id: int) -> Team:
    team = Team.objects.select_for_update().select_related("course").filter(pk=team_id).first()
    if team is None or not (
        team.memberships.filter(user=user).exists()
        or access.staff_teams(user, team.course_id).filter(pk=team.pk).exists()
    ):
        raise ObjectNotFound("No such team among yours.")
    return team


@transaction.atomic
def team_invite(*, acting_user, team_id: int, username: str, now: datetime | None = None) -> TeamMembership:
    now = now or timezone.now()
    team = _locked_team(acting_user, team_id)
    if not team.memberships.filter(user=acting_user, state=State.ACCEPTED).exists():
        raise PermissionDenied("Only members of the team invite others.")
    size = team_size_for(team.course)
    invitee = User.objects.filter(username=username.strip()).first()
    if invitee is None or not _student_of(team.course, invitee):
        raise PortalError(
            f"{username!r} is not a student of this course.", fields={"username": "Not in the course."}
        )
    if other := _current_team(team.course, invitee):
        raise PortalError(
            f"{invitee.username} is already in team {other.name}.", fields={"username": "Already in a team."}
        )
    open_places = size.maximum - team.memberships.filter(state__in=(State.ACCEPTED, State.INVITED)).count()
    if open_places <= 0:
        raise PortalError(
            f"A team has at most {size.maximum} members, counting open invitations.", code="team_full"
        )
    membership, created = TeamMembership.objects.get_or_create(
        team=team, user=invitee, defaults={"invited_by": acting_user, "created_at": now}
    )
    if not created and membership.state == State.DECLINED:
        membership.state, membership.invited_by, membership.created_at = State.INVITED, acting_user, now
        membership.responded_at = None
        membership.save()
    audit_record(
        actor=acting_user, course=team.course, action="team.invite", target=f"{team.name}/{invitee.username}"
    )
    return membership


@transaction.atomic
def team_respond(*, acting_user, team_id: int, accept: bool, now: datetime | None = None) -> TeamMembership:
    now = now or timezone.now()
    team = _locked_team(acting_user, team_id)
    membership = team.memberships.select_for_update().filter(user=acting_user, state=State.INVITED).first()
    if membership is None:
        raise PortalError("You have no open invitation from this team.", code="no_invitation")
    if accept:
        if not _student_of(
            team.course, acting_user
        ):  # dropped (or back on the waitlist) since the invitation
            raise PermissionDenied(
                f"Only enrolled students join project teams, and you are not enrolled in {team.course.code} "
                "now; decline the invitation, or ask the instructor about your enrolment."
            )
        if other := _current_team(team.course, acting_user):
            raise PortalError(
                f"You are already in team {other.name}; you can be in one team.", code="already_in_team"
            )
        size = team_size_for(team.course)
        if team.memberships.filter(state=State.ACCEPTED).count() >= size.maximum:
            raise PortalError(f"The team already has {size.maximum} members.", code="team_full")
        # Accepting one team withdraws the student's other invitations.
        TeamMembership.objects.filter(
            user=acting_user, team__course=team.course, state=State.INVITED
        ).exclude(pk=membership.pk).update(state=State.DECLINED, responded_at=now)
    membership.state = State.ACCEPTED if accept else State.DECLINED
    membership.responded_at = now
    membership.save(update_fields=["state", "responded_at"])
    audit_record(
        actor=acting_user,
        course=team.course,
        action="team.accept" if accept else "team.decline",
        target=team.name,
    )
    return membership


@transaction.atomic
def team_request_solo(*, acting_user, team_id: int, reason: str) -> Team:
    team = _locked_team(acting_user, team_id)
    if (
        team.memberships.filter(state=State.ACCEPTED).count() != 1
        or not team.memberships.filter(user=acting_user, state=State.ACCEPTED).exists()
    ):
        raise PortalError("A solo project is for a team of one: you alone.", code="not_solo")
    if len(reason.strip()) < 20:
        raise PortalError(
            "Explain why you need to work alone (a sentence or two); the instructor decides.",
            fields={"reason": "At least 20 characters."},
        )
    team.solo_reason = reason.strip()
    team.solo_approved_by, team.solo_approved_at = None, None
    team.save(update_fields=["solo_reason", "solo_approved_by", "solo_approved_at"])
    audit_record(actor=acting_user, course=team.course, action="team.request_solo", target=team.name)
    return team


@transaction.atomic
def team_approve_solo(*, acting_user, team_id: int, now: datetime | None = None) -> Team:
    team = _locked_team(acting_user, team_id)
    if not access.is_instructor(acting_user, team.course_id):
        raise PermissionDenied("Only the instructor approves solo projects.")
    if not team.solo_reason:
        raise PortalError("The student has not stated a reason for a solo project.", code="no_reason")
    team.solo_approved_by, team.solo_approved_at = acting_user, now or timezone.now()
    team.save(update_fields=["solo_approved_by", "solo_approved_at"])
    audit_record(actor=acting_user, course=team.course, action="team.approve_solo", target=team.name)
    return team
