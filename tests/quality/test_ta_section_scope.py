"""Issue 10, part 2: a TA with a section role reaches only the students active in that section.

`ta2` is a TA of CS 7643-A only (as in the demo data). ug1 and ug2 are CS 4644 students; gr1 is in
CS 7643-A. Every route, page, import and CSV answers a student outside ta2's section the way it answers
an unknown one (404, a row error, absent from a list), and a student who left ta2's section (dropped)
is outside it too. The course-wide TA and the instructor keep the whole course.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, StaffRole, Team
from courses.services.teams import team_create, team_invite
from courses.services.waitlist import waitlist_join, waitlist_leave
from grading.models import Grade, GradeChange, QuestionScore
from grading.services.grades import grade_enter, grades_release
from tests.factories import EnrolmentFactory, StaffRoleFactory, UserFactory
from tests.grading.factories import QuestionFactory
from tests.importing import imported, job_error, post_import

OUTSIDE = "Outerbridge"  # the surname of every student outside ta2's section: no response to ta2 shows it


@pytest.fixture
def scope(world):
    """ta2 (CS 7643-A only), PS0 graded and released for ug1, ug2, gr1 and wait3; waitlists with
    Gradescope requests in both sections; wait3 waited for CS 7643-A, left, and joined CS 4644."""
    w = world
    ta2 = UserFactory(username="ta2", first_name="Sam", last_name="Okoro")
    StaffRoleFactory(user=ta2, course=w.course, role=StaffRole.Role.TA, section=w.gr_section)
    for user in (w.ug1, w.ug2):
        user.last_name = OUTSIDE
        user.save(update_fields=["last_name"])
    now = timezone.now()
    waiting_ug = EnrolmentFactory(
        user=UserFactory(username="waitug", last_name=OUTSIDE, sis_id="0904644"),
        section=w.ug_section,
        status=Enrolment.Status.WAITLISTED,
        gradescope_requested_at=now,
    )
    waiting_gr = EnrolmentFactory(
        user=UserFactory(username="waitgr", last_name="Inside", sis_id="0907643"),
        section=w.gr_section,
        status=Enrolment.Status.WAITLISTED,
        gradescope_requested_at=now,
    )
    # wait3 waits for CS 7643-A, leaves that waitlist and joins CS 4644's: their CS 7643-A row stays, dropped.
    wait3 = UserFactory(username="wait3", last_name=OUTSIDE)
    # (Promotion runs after commit, which never comes inside the test's transaction: wait3 stays waiting.)
    waitlist_join(acting_user=wait3, section_id=w.gr_section.id)
    waitlist_leave(acting_user=wait3, section_id=w.gr_section.id)
    waitlist_join(acting_user=wait3, section_id=w.ug_section.id)
    assert Enrolment.objects.get(user=wait3, section=w.gr_section).status == Enrolment.Status.DROPPED
    assert Enrolment.objects.get(user=wait3, section=w.ug_section).status == Enrolment.Status.WAITLISTED

    ps0 = w.course.assignments.get(code="PS0")
    q1 = QuestionFactory(assignment=ps0, label="Q1", points=Decimal(25), position=0)
    grades = {
        user.username: grade_enter(
            acting_user=w.ta,
            assignment_id=ps0.id,
            student_username=user.username,
            scores={q1.id: Decimal(20)},
            reason="Graded",
            now=now - timedelta(days=1),
        )
        for user in (w.ug1, w.ug2, w.gr1, wait3)
    }
    grades_release(acting_user=w.instructor, assignment_id=ps0.id, now=now - timedelta(hours=1))
    w.recompute()
    return type(
        "Scope",
        (),
        {
            "world": w,
            "ta2": ta2,
            "ps0": ps0,
            "q1": q1,
            "grades": grades,
            "wait3": wait3,
            "waiting_ug": waiting_ug,
            "waiting_gr": waiting_gr,
        },
    )


def _score(grade: Grade, question) -> Decimal:
    return QuestionScore.objects.get(grade=grade, question=question).score


def _import(api, user, scope, text: str):
    return post_import(
        api.as_user(user),
        reverse("api-grade-imports", args=[scope.world.course.id]),
        {
            "assignment": scope.ps0.id,
            "file": SimpleUploadedFile("scores.csv", text.encode(), content_type="text/csv"),
        },
    )


# ---- grades and grade imports -----------------------------------------------------------------------


def test_a_grade_import_row_of_another_sections_student_is_a_row_error(api, scope):
    response = _import(api, scope.ta2, scope, "Username,Q1 (25.0 pts)\nug1,1\n")
    body = job_error(response)
    assert body["code"] == "invalid_rows"
    assert set(body["fields"]) == {"line 2"}
    # The same words as for a student who does not exist: the row tells nothing about ug1.
    unknown = job_error(_import(api, scope.ta2, scope, "Username,Q1 (25.0 pts)\nnobody,1\n"))
    assert body["fields"]["line 2"] == unknown["fields"]["line 2"].replace("nobody", "ug1")
    assert _score(scope.grades["ug1"], scope.q1) == Decimal(20)
    assert not GradeChange.objects.filter(changed_by=scope.ta2).exists()


def test_a_grade_import_with_one_row_outside_the_section_changes_nothing(api, scope):
    response = _import(api, scope.ta2, scope, "Username,Q1 (25.0 pts)\ngr1,24\nug1,1\n")
    assert set(job_error(response)["fields"]) == {"line 3"}
    assert _score(scope.grades["gr1"], scope.q1) == Decimal(20)
    assert _score(scope.grades["ug1"], scope.q1) == Decimal(20)


def test_a_grade_import_of_the_tas_own_section_works(api, scope):
    response = _import(api, scope.ta2, scope, "Username,Q1 (25.0 pts)\ngr1,24\n")
    imported(response)
    assert _score(scope.grades["gr1"], scope.q1) == Decimal(24)


def test_a_dropped_student_is_outside_the_tas_section_in_an_import(api, scope):
    response = _import(api, scope.ta2, scope, "Username,Q1 (25.0 pts)\nwait3,1\n")
    job_error(response)
    assert _score(scope.grades["wait3"], scope.q1) == Decimal(20)


def test_a_course_wide_ta_imports_for_every_section(api, scope):
    response = _import(api, scope.world.ta, scope, "Username,Q1 (25.0 pts)\ngr1,24\nug1,23\nwait3,22\n")
    imported(response)
    assert _score(scope.grades["ug1"], scope.q1) == Decimal(23)
    assert _score(scope.grades["wait3"], scope.q1) == Decimal(22)


def test_a_student_who_left_the_tas_section_is_out_of_reach(api, scope):
    """wait3 left CS 7643-A's waitlist (dropped there) and joined CS 4644's: not ta2's any more."""
    grade = scope.grades["wait3"]
    client = api.as_user(scope.ta2)
    assert client.get(reverse("api-grade", args=[grade.id])).status_code == 404
    assert client.get(reverse("api-grade-history", args=[grade.id])).status_code == 404
    response = client.patch(
        reverse("api-grade", args=[grade.id]),
        {"scores": {str(scope.q1.id): "1"}, "reason": "Re-marked"},
        format="json",
    )
    assert response.status_code == 404, response.content
    response = client.post(
        reverse("api-assignment-grades", args=[scope.ps0.id]),
        {"student": "wait3", "scores": {str(scope.q1.id): "1"}, "reason": "Re-marked"},
        format="json",
    )
    assert response.status_code == 404, response.content
    listed = {g["student"] for g in client.get(reverse("api-grades")).json()["results"]}
    assert listed == {"gr1"}
    assert _score(grade, scope.q1) == Decimal(20)


def test_the_grade_grid_and_submission_overview_show_the_tas_section_only(api, client, scope):
    client.force_login(scope.ta2)
    grid = client.get(reverse("grade-grid", args=[scope.ps0.id]))
    assert grid.status_code == 200
    assert {r["student"].username for r in grid.context["rows"]} == {"gr1"}
    overview = api.as_user(scope.ta2).get(reverse("api-assignment-overview", args=[scope.ps0.id]))
    assert overview.status_code == 200
    assert OUTSIDE not in overview.content.decode()
    named = {
        s["username"] for part in ("on_time", "in_grace", "not_yet", "missing") for s in overview.json()[part]
    }
    assert "gr1" in named and "wait3" not in named and "ug1" not in named
    page = client.get(reverse("assignment-overview", args=[scope.ps0.id]))
    assert page.status_code == 200
    assert OUTSIDE not in page.content.decode()


# ---- roster, waitlist, Gradescope ------------------------------------------------------------------------


def test_the_roster_page_shows_the_tas_section_only(client, scope):
    client.force_login(scope.ta2)
    response = client.get(reverse("roster", args=[scope.world.course.id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert OUTSIDE not in html
    assert 'data-student="gr1"' in html and 'data-waiting="waitgr"' in html
    assert 'data-student="ug1"' not in html and "waitug" not in html
    # The course-wide TA still reads the whole roster.
    client.force_login(scope.world.ta)
    html = client.get(reverse("roster", args=[scope.world.course.id])).content.decode()
    assert 'data-student="ug1"' in html and 'data-waiting="waitug"' in html


def test_the_staff_course_page_lists_the_tas_sections_only(client, scope):
    client.force_login(scope.ta2)
    response = client.get(reverse("staff-course", args=[scope.world.course.id]))
    assert response.status_code == 200
    assert [s.code for s in response.context["sections"]] == ["CS 7643-A"]


def test_the_waitlist_of_another_section_is_not_found(api, scope):
    client = api.as_user(scope.ta2)
    response = client.get(reverse("api-section-waitlist", args=[scope.world.ug_section.id]))
    assert response.status_code == 404, response.content
    response = client.get(reverse("api-section-waitlist", args=[scope.world.gr_section.id]))
    assert response.status_code == 200
    assert [e["username"] for e in response.json()] == ["waitgr"]


def test_gradescope_access_is_granted_in_the_tas_section_only(api, scope):
    client = api.as_user(scope.ta2)
    response = client.post(reverse("api-gradescope-grant", args=[scope.waiting_ug.id]))
    assert response.status_code == 404, response.content
    scope.waiting_ug.refresh_from_db()
    assert scope.waiting_ug.gradescope_granted_at is None
    response = client.post(reverse("api-gradescope-grant", args=[scope.waiting_gr.id]))
    assert response.status_code == 200, response.content


def test_the_gradescope_requests_csv_lists_the_tas_section_only(client, scope):
    client.force_login(scope.ta2)
    response = client.get(reverse("gradescope-requests-csv", args=[scope.world.course.id]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "waitgr@example.edu" in text and "0907643" in text
    assert "waitug" not in text and "0904644" not in text and OUTSIDE not in text


def test_dropping_a_student_of_another_section_is_not_found(api, scope):
    enrolment = Enrolment.objects.get(user=scope.world.ug1)
    response = api.as_user(scope.ta2).post(reverse("api-enrolment-drop", args=[enrolment.id]))
    assert response.status_code == 404, response.content


# ---- teams ---------------------------------------------------------------------------------------------


@pytest.fixture
def teams(scope):
    w = scope.world
    ug_team = team_create(acting_user=w.ug1, course_id=w.course.id, name="Undergrads")
    team_invite(acting_user=w.ug1, team_id=ug_team.id, username="ug2")
    mixed = team_create(acting_user=w.gr1, course_id=w.course.id, name="Mixed")
    team_invite(acting_user=w.gr1, team_id=mixed.id, username="ug2")  # ug2 is invited to both
    return ug_team, mixed


def test_teams_of_another_section_are_not_listed(api, client, scope, teams):
    response = api.as_user(scope.ta2).get(reverse("api-course-teams", args=[scope.world.course.id]))
    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["Mixed"]
    assert OUTSIDE not in response.content.decode() and "ug2" not in response.content.decode()
    client.force_login(scope.ta2)
    html = client.get(reverse("teams", args=[scope.world.course.id])).content.decode()
    assert "Undergrads" not in html and "ug2" not in html and OUTSIDE not in html
    assert Team.objects.count() == 2
    # The course-wide TA sees both.
    response = api.as_user(scope.world.ta).get(reverse("api-course-teams", args=[scope.world.course.id]))
    assert {t["name"] for t in response.json()} == {"Mixed", "Undergrads"}


def test_a_team_of_another_section_is_not_found(api, scope, teams):
    ug_team, _ = teams
    project_free = api.as_user(scope.ta2).post(reverse("api-team-approve-solo", args=[ug_team.id]))
    assert project_free.status_code == 404, project_free.content
