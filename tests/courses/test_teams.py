"""Final-project teams through the API: teams of 3-4 (counting open invitations), one team per
student, solo only with a stated reason and the instructor's approval; team grades per member."""

import pytest
from django.urls import reverse

from courses.models import AuditEvent, TeamMembership
from grading.models import Grade, GradeChange, QuestionScore
from tests.factories import EnrolmentFactory, UserFactory
from tests.grading.exports.conftest import error_of

LONG_REASON = "I work night shifts and cannot meet a team."  # ≥ 20 characters


@pytest.fixture
def people(scheme):
    """ug1, ug2, gr1 from `world`, plus ug3, ug4 (CS 4644) and gr2 (CS 7643-A)."""
    w = scheme.world
    extra = {
        name: EnrolmentFactory(user=UserFactory(username=name), section=section).user
        for name, section in (("ug3", w.ug_section), ("ug4", w.ug_section), ("gr2", w.gr_section))
    }
    return {"ug1": w.ug1, "ug2": w.ug2, "gr1": w.gr1, **extra}


def create(api, user, course, name: str):
    return api.as_user(user).post(
        reverse("api-course-teams", args=[course.id]), {"name": name}, format="json"
    )


def invite(api, user, team_id: int, username: str):
    return api.as_user(user).post(
        reverse("api-team-invite", args=[team_id]), {"username": username}, format="json"
    )


def respond(api, user, team_id: int, accept: bool):
    name = "api-team-accept" if accept else "api-team-decline"
    return api.as_user(user).post(reverse(name, args=[team_id]), {}, format="json")


def names(members: list[dict]) -> list[str]:
    return sorted(m["username"] for m in members)


def make_team(api, course, owner, name: str, *, accepted=(), invited=()) -> int:
    response = create(api, owner, course, name)
    assert response.status_code == 201, response.content
    team_id = response.json()["id"]
    for user in (*accepted, *invited):
        assert invite(api, owner, team_id, user.username).status_code == 200
    for user in accepted:
        assert respond(api, user, team_id, True).status_code == 200
    return team_id


def test_create_invite_accept_and_decline(scheme, people, api):
    course = scheme.course
    response = create(api, people["ug1"], course, "  Vision  ")
    assert response.status_code == 201, response.content
    team = response.json()
    assert (team["name"], team["status"], names(team["members"]), team["invited"]) == (
        "Vision",
        "forming",
        ["ug1"],
        [],
    )
    team_id = team["id"]

    response = invite(api, people["ug1"], team_id, "ug2")
    assert response.status_code == 200, response.content
    assert names(response.json()["invited"]) == ["ug2"]
    # The invited student sees the team (their invitation) in the course's team list.
    listed = api.as_user(people["ug2"]).get(reverse("api-course-teams", args=[course.id])).json()
    assert [t["id"] for t in listed] == [team_id]

    response = respond(api, people["ug2"], team_id, True)
    assert response.status_code == 200, response.content
    assert names(response.json()["members"]) == ["ug1", "ug2"]

    assert invite(api, people["ug1"], team_id, "gr1").status_code == 200
    response = respond(api, people["gr1"], team_id, False)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "declined"
    # A declined invitation disappears from the student's list; the members still see their team.
    assert api.as_user(people["gr1"]).get(reverse("api-course-teams", args=[course.id])).json() == []
    for member in ("ug1", "ug2"):
        listed = api.as_user(people[member]).get(reverse("api-course-teams", args=[course.id])).json()
        assert [t["id"] for t in listed] == [team_id], member

    assert invite(api, people["ug2"], team_id, "gr2").status_code == 200  # any member invites
    response = respond(api, people["gr2"], team_id, True)
    team = response.json()
    assert (names(team["members"]), team["status"]) == (["gr2", "ug1", "ug2"], "complete")
    assert set(AuditEvent.objects.filter(course=course).values_list("action", flat=True)) >= {
        "team.create",
        "team.invite",
        "team.accept",
        "team.decline",
    }


def test_no_invitation_no_answer_and_outsiders_see_nothing(scheme, people, api):
    team_id = make_team(api, scheme.course, people["ug1"], "Vision")
    response = respond(api, people["ug2"], team_id, True)
    assert response.status_code == 404  # not invited: the team is not among theirs
    w = scheme.world
    response = invite(api, w.other_student, team_id, "ug2")
    assert response.status_code == 404
    response = invite(api, people["ug1"], team_id, "other_student")  # not a student of this course
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"username": "Not in the course."}


def test_at_most_four_members_counting_invitations(scheme, people, api):
    """The project's team size is 3-4: the owner and three invitations fill the team."""
    team_id = make_team(
        api, scheme.course, people["ug1"], "Vision", accepted=[people["ug2"]], invited=[people["ug3"]]
    )
    assert invite(api, people["ug1"], team_id, "gr1").status_code == 200  # 2 members + 2 invitations
    response = invite(api, people["ug1"], team_id, "ug4")
    assert response.status_code == 400
    assert error_of(response)["code"] == "team_full"
    assert not TeamMembership.objects.filter(team_id=team_id, user=people["ug4"]).exists()

    # A declined invitation frees the place.
    assert respond(api, people["gr1"], team_id, False).status_code == 200
    assert invite(api, people["ug1"], team_id, "ug4").status_code == 200
    for name in ("ug3", "ug4"):
        assert respond(api, people[name], team_id, True).status_code == 200
    team = api.as_user(scheme.world.instructor).get(reverse("api-course-teams", args=[scheme.course.id]))
    [row] = team.json()
    assert (len(row["members"]), row["status"]) == (4, "complete")
    response = invite(api, people["ug1"], team_id, "gr2")
    assert error_of(response)["code"] == "team_full"


def test_a_student_is_in_one_team_only(scheme, people, api):
    course = scheme.course
    vision = make_team(api, course, people["ug1"], "Vision")
    speech = make_team(api, course, people["ug2"], "Speech")

    response = invite(api, people["ug1"], vision, "ug2")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"username": "Already in a team."}
    response = create(api, people["ug1"], course, "Another")
    assert error_of(response)["code"] == "already_in_team"

    # Invited by both: accepting one withdraws the other invitation.
    assert invite(api, people["ug1"], vision, "gr1").status_code == 200
    assert invite(api, people["ug2"], speech, "gr1").status_code == 200
    assert respond(api, people["gr1"], vision, True).status_code == 200
    response = respond(api, people["gr1"], speech, True)
    assert response.status_code == 400
    assert error_of(response)["code"] == "no_invitation"
    assert TeamMembership.objects.get(team_id=speech, user=people["gr1"]).state == "declined"
    assert list(
        TeamMembership.objects.filter(user=people["gr1"], state="accepted").values_list("team_id", flat=True)
    ) == [vision]


def test_staff_do_not_form_teams(scheme, api):
    response = create(api, scheme.world.ta, scheme.course, "Staff team")
    assert response.status_code == 403


def test_a_solo_project_needs_a_reason_and_the_instructors_approval(scheme, people, api):
    w = scheme.world
    team_id = make_team(api, scheme.course, people["ug1"], "Just me")
    solo = reverse("api-team-solo", args=[team_id])
    approve = reverse("api-team-approve-solo", args=[team_id])

    response = api.as_user(people["ug1"]).post(solo, {"reason": "x" * 19}, format="json")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"reason"}
    response = api.as_user(w.instructor).post(approve, {}, format="json")
    assert error_of(response)["code"] == "no_reason"  # nothing to approve yet

    response = api.as_user(people["ug1"]).post(solo, {"reason": LONG_REASON}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["solo_reason"]) == ("solo_pending", LONG_REASON)

    for not_instructor in (w.ta, people["ug1"]):
        response = api.as_user(not_instructor).post(approve, {}, format="json")
        assert response.status_code == 403, not_instructor
    assert api.as_user(w.other_ta).post(approve, {}, format="json").status_code == 404

    response = api.as_user(w.instructor).post(approve, {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "solo_approved" and body["solo_approved_at"]
    assert AuditEvent.objects.filter(action="team.approve_solo", actor=w.instructor).exists()


def test_only_a_team_of_one_asks_to_work_alone(scheme, people, api):
    team_id = make_team(api, scheme.course, people["ug1"], "Pair", accepted=[people["ug2"]])
    response = api.as_user(people["ug1"]).post(
        reverse("api-team-solo", args=[team_id]), {"reason": LONG_REASON}, format="json"
    )
    assert error_of(response)["code"] == "not_solo"


# ---- team grades ---------------------------------------------------------------------------------


def test_a_team_grade_goes_to_every_accepted_member(scheme, people, api):
    """ug1, ug2 and gr1 accepted, ug3 only invited: the TA's 88 reaches the three members, each with one
    history row; ug3 gets nothing."""
    w = scheme.world
    project = scheme.project
    question = project.questions.get()
    team_id = make_team(
        api,
        scheme.course,
        people["ug1"],
        "Vision",
        accepted=[people["ug2"], people["gr1"]],
        invited=[people["ug3"]],
    )
    url = reverse("api-team-grades", args=[project.id])
    payload = {"team": team_id, "scores": {str(question.id): "88"}}
    response = api.as_user(w.ta).post(url, payload, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(g["student"] for g in body) == ["gr1", "ug1", "ug2"]
    assert {g["total"] for g in body} == {"88.00"}

    grades = Grade.objects.filter(assignment=project)
    assert sorted(grades.values_list("student__username", flat=True)) == ["gr1", "ug1", "ug2"]
    assert set(QuestionScore.objects.filter(grade__in=grades).values_list("score", flat=True)) == {88}
    changes = GradeChange.objects.filter(grade__assignment=project)
    assert sorted(changes.values_list("grade__student__username", flat=True)) == ["gr1", "ug1", "ug2"]
    assert {(c.old_score, c.new_score, c.changed_by_id, c.reason) for c in changes} == {
        (None, 88, w.ta.id, "Team grade (Vision)")
    }

    # Entering the same grade again writes no history; a change needs a reason and is recorded once each.
    assert api.as_user(w.ta).post(url, payload, format="json").status_code == 200
    assert GradeChange.objects.filter(grade__assignment=project).count() == 3
    response = api.as_user(w.instructor).post(
        url,
        {"team": team_id, "scores": {str(question.id): "91"}, "reason": "Demo day bonus"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert GradeChange.objects.filter(grade__assignment=project, reason="Demo day bonus").count() == 3


def test_only_staff_of_the_course_enter_team_grades(scheme, people, api):
    w = scheme.world
    team_id = make_team(api, scheme.course, people["ug1"], "Vision", accepted=[people["ug2"]])
    question = scheme.project.questions.get()
    url = reverse("api-team-grades", args=[scheme.project.id])
    payload = {"team": team_id, "scores": {str(question.id): "100"}}
    for outsider in (people["ug1"], w.other_ta):
        assert api.as_user(outsider).post(url, payload, format="json").status_code == 404
    assert not Grade.objects.filter(assignment=scheme.project).exists()


def test_an_individual_assignment_refuses_team_grades(scheme, people, api):
    w = scheme.world
    team_id = make_team(api, scheme.course, people["ug1"], "Vision", accepted=[people["ug2"]])
    question = scheme.hw1.questions.get(label="Q1")
    response = api.as_user(w.ta).post(
        reverse("api-team-grades", args=[scheme.hw1.id]),
        {"team": team_id, "scores": {str(question.id): "30"}},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "not_team_work"
    assert not Grade.objects.filter(assignment=scheme.hw1).exists()
    assert not GradeChange.objects.exists()


def test_a_team_of_another_course_is_not_found(scheme, people, api):
    from django.utils import timezone

    from courses.models import Team

    w = scheme.world
    other = Team.objects.create(
        course=w.other_course, name="Elsewhere", created_by=w.other_student, created_at=timezone.now()
    )
    question = scheme.project.questions.get()
    response = api.as_user(w.ta).post(
        reverse("api-team-grades", args=[scheme.project.id]),
        {"team": other.id, "scores": {str(question.id): "50"}},
        format="json",
    )
    assert response.status_code == 404


def test_a_student_who_declined_can_be_invited_again(scheme, people, api):
    team_id = make_team(api, scheme.course, people["ug1"], "Vision", invited=[people["gr1"]])
    assert respond(api, people["gr1"], team_id, False).status_code == 200
    response = invite(api, people["ug1"], team_id, "gr1")
    assert response.status_code == 200, response.content
    assert names(response.json()["invited"]) == ["gr1"]
    response = respond(api, people["gr1"], team_id, True)
    assert names(response.json()["members"]) == ["gr1", "ug1"]


def test_a_solo_project_request_is_audited(scheme, people, api):
    from courses.models import AuditEvent

    team_id = make_team(api, scheme.course, people["ug1"], "Just me")
    response = api.as_user(people["ug1"]).post(
        reverse("api-team-solo", args=[team_id]), {"reason": LONG_REASON}, format="json"
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="team.request_solo")
    assert (event.actor, event.course, event.target) == (people["ug1"], scheme.course, "Just me")


def test_a_student_dropped_after_the_invitation_cannot_accept_but_may_decline(scheme, people, api):
    from courses.models import Enrolment

    w = scheme.world
    team_id = create(api, w.ug1, w.course, "Vision").json()["id"]
    assert invite(api, w.ug1, team_id, "ug2").status_code == 200
    Enrolment.objects.filter(user=w.ug2, section__course=w.course).update(status=Enrolment.Status.DROPPED)

    response = respond(api, w.ug2, team_id, True)

    assert response.status_code == 403
    assert "not enrolled in CS 4644 / CS 7643-A now; decline the invitation" in error_of(response)["detail"]
    assert TeamMembership.objects.get(team_id=team_id, user=w.ug2).state == "invited"
    assert respond(api, w.ug2, team_id, False).status_code == 200
    assert TeamMembership.objects.get(team_id=team_id, user=w.ug2).state == "declined"
