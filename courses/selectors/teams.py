"""Reads of project teams as a student or a staff member may see them."""

from dataclasses import dataclass

from django.db.models import (
    Prefetch,
)

from courses import access
from courses.models import (
    Assignment,
    Course,
)


@dataclass(frozen=True)
class TeamSize:
    minimum: int
    maximum: int


def team_size_for(course: Course) -> TeamSize:
    """The final project's team size (the course's rule: 3 to 4)."""
    project = (
        Assignment.objects.filter(course=course, category=Assignment.Category.PROJECT)
        .order_by("-team_size_max")
        .first()
    )
    if project is None:
        return TeamSize(3, 4)
    return TeamSize(project.team_size_min, project.team_size_max)


@dataclass(frozen=True)
class TeamView:
    team: object
    members: list
    invited: list
    status: str  # "complete", "forming", "solo_pending", "solo_approved"


def solo_status(team, accepted: int) -> str | None:
    """A team of one whose member stated a reason: "solo_approved" once the instructor approved it,
    "solo_pending" until then; None for any other team (the home page's approvals count by this rule)."""
    if accepted == 1 and team.solo_reason:
        return "solo_approved" if team.solo_approved_at else "solo_pending"
    return None


def _team_status(team, accepted: int, size) -> str:
    return solo_status(team, accepted) or (
        "complete" if size.minimum <= accepted <= size.maximum else "forming"
    )


def teams_for_course(course: Course, *, user=None) -> list[TeamView]:
    """The teams `user` may see. Staff: the teams with a student they may act on (courses.access), showing
    only those students, so a TA of one section never sees another section's students, even in a mixed
    team; a student: the teams they belong to or are invited to. `user=None`: every team, unfiltered."""
    from courses.models import Team, TeamMembership

    size = team_size_for(course)
    teams = Team.objects.filter(course=course)
    shown = None  # the student ids a staff member limited to sections may see; None: everyone
    if user is not None and access.is_staff_of(user, course.id):
        teams = access.staff_teams(user, course.id)
        if not access.is_whole_course_staff(user, course.id):
            shown = set(access.staff_students(user, course.id).values_list("id", flat=True))
        user = None
    teams = teams.prefetch_related(
        Prefetch("memberships", queryset=TeamMembership.objects.select_related("user").order_by("created_at"))
    )
    if user is not None:
        # One filter() call: both conditions apply to the same membership (the user's own). An exclude()
        # over the relation would drop a team as soon as anyone in it had declined.
        teams = teams.filter(
            memberships__user=user,
            memberships__state__in=(TeamMembership.State.ACCEPTED, TeamMembership.State.INVITED),
        ).distinct()
    out = []
    for team in teams.order_by("name"):
        members = [m for m in team.memberships.all() if m.state == TeamMembership.State.ACCEPTED]
        invited = [m for m in team.memberships.all() if m.state == TeamMembership.State.INVITED]
        status = _team_status(team, len(members), size)  # from every member, shown or not
        if shown is not None:
            members = [m for m in members if m.user_id in shown]
            invited = [m for m in invited if m.user_id in shown]
        out.append(TeamView(team, members, invited, status))
    return out
