"""The staff's home page says, per course, what needs attention (issue 13, item 7), and the navigation
offers each role its own pages.

The scene, at a stopped clock on Tue Feb 14 2023, noon in New York (HW1 was due Sun Feb 12, 11:59 pm; its
grace period ends Tue Feb 14, 11:59 pm):
- regrade requests on PS0: ug1's made 49 hours ago (open), gr1's 72 hours ago (claimed, unanswered),
  ug2's 47 hours ago (too fresh), and one of ug1's 60 hours ago that a TA resolved;
- HW1: ug1 submitted in the grace period, gr1 on time and again in the grace period, ug2 (extension to
  Feb 20) before their own due time;
- teams: ug1 alone asked to work alone (waiting), ug2's solo request approved, gr1 asked and then gr2
  joined (no longer a team of one);
- waitlists: two students on CS 7643-A's, one on CS 4644's;
- extensions: ug2's (HW1) granted 2 days ago, gr1's (HW2) 8 days ago;
- four grade exports, the oldest a breakdown.
"""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Enrolment, Extension, Section, StaffRole, Submission, Team, TeamMembership
from courses.services.extensions import extension_grant
from courses.services.submissions import submission_create
from courses.services.teams import (
    team_approve_solo,
    team_create,
    team_invite,
    team_request_solo,
    team_respond,
)
from grading.models import Grade, GradeExport, RegradeRequest
from grading.services.exports import grade_export_request
from grading.services.grades import grade_enter, grades_release
from grading.services.regrades import regrade_request_claim, regrade_request_create, regrade_request_resolve
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    EnrolmentFactory,
    SectionFactory,
    StaffRoleFactory,
    UserFactory,
    eastern,
)
from tests.grading.factories import QuestionFactory
from tests.helpers import at
from tests.test_pages import links_of, text_of

NOW = eastern(2023, 2, 14, 12, 0)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
REASON = "I care for a family member every evening and cannot meet a team."


def submit(student, assignment, when):
    with at(when):
        submission_create(
            acting_user=student,
            assignment_id=assignment.id,
            file=SimpleUploadedFile("answers.pdf", b"%PDF-1.4\n", "application/pdf"),
            collaborators=[],
            honor_statement_accepted=True,
            now=when,
        )


@pytest.fixture
def scene(world, enrol):
    w = world
    w.gr2 = EnrolmentFactory(user=UserFactory(username="gr2"), section=w.gr_section).user
    w.section_ta = UserFactory(username="ta_ug")
    StaffRoleFactory(user=w.section_ta, course=w.course, role=StaffRole.Role.TA, section=w.ug_section)
    ps0 = w.course.assignments.get(code="PS0")
    hw1 = w.course.assignments.get(code="HW1")
    hw2 = AssignmentFactory(course=w.course, code="HW2", due_at=eastern(2023, 3, 5))
    AssignmentFactory(
        course=w.course,
        code="PROJECT",
        category="project",
        due_at=eastern(2023, 5, 2),
        team_size_min=3,
        team_size_max=4,
    )
    questions = [QuestionFactory(assignment=ps0, label=f"Q{i}", points=Decimal(10)) for i in (1, 2)]

    # PS0 graded and released on Feb 10: the regrade window is open until Feb 17.
    grades = {
        s.username: grade_enter(
            acting_user=w.ta,
            assignment_id=ps0.id,
            student_username=s.username,
            scores={q.id: Decimal(7) for q in questions},
            reason="Graded",
            now=NOW - 5 * DAY,
        )
        for s in (w.ug1, w.ug2, w.gr1)
    }
    grades_release(acting_user=w.instructor, assignment_id=ps0.id, now=NOW - 4 * DAY)

    def ask(student, question, hours_ago):
        return regrade_request_create(
            acting_user=student,
            grade_id=grades[student.username].id,
            question_id=question.id,
            justification="Please look again.",
            now=NOW - hours_ago * HOUR,
        )

    w.old = ask(w.ug1, questions[0], 49)
    w.claimed = ask(w.gr1, questions[0], 72)
    regrade_request_claim(acting_user=w.ta, request_id=w.claimed.id, now=NOW - 70 * HOUR)
    w.fresh = ask(w.ug2, questions[0], 47)
    w.answered = ask(w.ug1, questions[1], 60)
    regrade_request_resolve(
        acting_user=w.ta, request_id=w.answered.id, decision="rejected", response="Correct as graded."
    )

    # Extensions: ug2's on HW1 two days ago, gr1's on HW2 eight days ago.
    with at(NOW - 2 * DAY):
        extension_grant(
            acting_user=w.instructor,
            student_username="ug2",
            assignment_id=hw1.id,
            due_at=eastern(2023, 2, 20),
            dean_reference="DOS-1",
        )
    with at(NOW - 8 * DAY):
        extension_grant(
            acting_user=w.instructor,
            student_username="gr1",
            assignment_id=hw2.id,
            due_at=eastern(2023, 3, 8),
            dean_reference="DOS-2",
        )

    # HW1 submissions.
    submit(w.ug1, hw1, NOW - 26 * HOUR)  # Mon Feb 13, 10 am: in grace
    submit(w.gr1, hw1, hw1.due_at - 4 * HOUR)  # on time
    submit(w.gr1, hw1, NOW - 27 * HOUR)  # resubmitted in grace
    submit(w.ug2, hw1, NOW - 25 * HOUR)  # before their extended due time: on time

    # Teams.
    solo = team_create(acting_user=w.ug1, course_id=w.course.id, name="Ada alone", now=NOW - 3 * DAY)
    team_request_solo(acting_user=w.ug1, team_id=solo.id, reason=REASON)
    approved = team_create(acting_user=w.ug2, course_id=w.course.id, name="Alan alone", now=NOW - 3 * DAY)
    team_request_solo(acting_user=w.ug2, team_id=approved.id, reason=REASON)
    team_approve_solo(acting_user=w.instructor, team_id=approved.id, now=NOW - 2 * DAY)
    grown = team_create(acting_user=w.gr1, course_id=w.course.id, name="Grace and co", now=NOW - 3 * DAY)
    team_request_solo(acting_user=w.gr1, team_id=grown.id, reason=REASON)
    team_invite(acting_user=w.gr1, team_id=grown.id, username="gr2", now=NOW - 2 * DAY)
    team_respond(acting_user=w.gr2, team_id=grown.id, accept=True, now=NOW - 2 * DAY)

    # Waitlists.
    for name in ("wait1", "wait2"):
        enrol(UserFactory(username=name), w.gr_section, status="waitlisted")
    enrol(UserFactory(username="wait3"), w.ug_section, status="waitlisted")

    # Exports: the oldest a breakdown, then three Canvas exports (the last one finished).
    for i, fmt in enumerate(["breakdown", "canvas", "canvas", "canvas"]):
        grade_export_request(
            acting_user=w.instructor, course_id=w.course.id, format=fmt, now=NOW - (4 - i) * HOUR
        )
    latest = GradeExport.objects.filter(course=w.course).order_by("-created_at").first()
    GradeExport.objects.filter(pk=latest.pk).update(status="done", progress=100)
    return w


def home(client, user):
    client.force_login(user)
    with at(NOW):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def item(response, course, name: str) -> str | None:
    """The visible text of one attention item of a course's card (None when the card lacks it)."""
    html = response.content.decode()
    card = re.search(rf'<article id="course-{course.id}".*?</article>', html, re.S)
    assert card, f"no card for {course.code}"
    found = re.search(
        rf'<li data-attention="{name}">(.*?)</li>\s*(?=<li data-attention|</ul>\s*<footer)',
        card.group(0),
        re.S,
    )
    if found is None:
        return None
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()
    return re.sub(r" ([:.,)])", r"\1", text)


def link_pairs(html: str) -> list[tuple[str, str]]:
    """(link text, address) of every link, in page order."""
    return [
        (re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", inner))).strip(), unescape(href))
        for href, inner in re.findall(r'<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    ]


def nav_links(response) -> dict[str, str]:
    """The main navigation's links: text -> address."""
    nav = re.search(r'<nav aria-label="Main"[^>]*>.*?</nav>', response.content.decode(), re.S).group(0)
    return dict(link_pairs(nav))


def nav_menu(response, label: str) -> dict[str, str]:
    """A drop-down menu of the navigation: course code -> address."""
    html = response.content.decode()
    menu = re.search(rf'<details class="dropdown" data-nav-menu="{label}">.*?</details>', html, re.S)
    assert menu, f"no {label} menu"
    return {
        unescape(text).strip(): unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', menu.group(0))
    }


# ---- regrade requests ------------------------------------------------------------------------------------


def test_a_request_waiting_over_48_hours_is_counted_and_a_fresh_one_is_not(scene, client):
    response = home(client, scene.instructor)

    text = item(response, scene.course, "regrades")
    # ug1's (49 h, open) and gr1's (72 h, claimed but unanswered); not ug2's (47 h) nor the answered one.
    assert text.startswith("2 regrade requests waiting more than 48 hours for an answer")
    queue = f"{reverse('regrade-queue')}?course={scene.course.id}&state=active&older_than_hours=48"
    assert links_of(response)[queue] == "answer them in the queue"


def test_the_link_opens_the_queue_on_exactly_those_requests(scene, client):
    response = home(client, scene.instructor)
    queue = f"{reverse('regrade-queue')}?course={scene.course.id}&state=active&older_than_hours=48"
    assert queue in links_of(response)

    with at(NOW):
        page = client.get(queue)

    assert page.status_code == 200
    listed = {int(i) for i in re.findall(r'data-request="(\d+)"', page.content.decode())}
    assert listed == {scene.old.id, scene.claimed.id}
    assert "2 requests, oldest first." in text_of(page)


def test_a_request_turns_48_hours_old_and_appears(scene, client):
    client.force_login(scene.instructor)
    with at(scene.fresh.created_at + 48 * HOUR - timedelta(minutes=1)):
        before = client.get(reverse("home"))
    with at(scene.fresh.created_at + 48 * HOUR):
        after = client.get(reverse("home"))

    assert item(before, scene.course, "regrades").startswith("2 regrade requests")
    assert item(after, scene.course, "regrades").startswith("3 regrade requests")


def test_a_section_ta_counts_only_their_sections_students(scene, client):
    response = home(client, scene.section_ta)

    # ug1's request (CS 4644); gr1's is CS 7643-A's.
    assert item(response, scene.course, "regrades").startswith("1 regrade request waiting more than 48 hours")


def test_nothing_waiting_says_so(scene, client):
    RegradeRequest.objects.filter(pk__in=[scene.old.pk, scene.claimed.pk]).update(state="withdrawn")

    response = home(client, scene.instructor)

    assert item(response, scene.course, "regrades") == "No regrade request has waited more than 48 hours."


# ---- the grace period ------------------------------------------------------------------------------------


def test_students_who_submitted_in_the_running_grace_period_are_counted(scene, client):
    response = home(client, scene.instructor)

    text = item(response, scene.course, "grace")
    # ug1 and gr1 (whose latest is in grace); ug2 submitted before their extended due time.
    assert (
        "HW1: 2 students submitted after the due time; the window closes Tue Feb 14 2023, 11:59 pm EST (UTC-05:00)"
        in text
    ), text
    assert "PS0" not in text and "HW2" not in text
    overview = reverse("assignment-overview", args=[scene.course.assignments.get(code="HW1").id])
    assert links_of(response)[overview] == "Who submitted HW1"


def test_a_section_ta_sees_their_sections_students_only(scene, client):
    text = item(home(client, scene.section_ta), scene.course, "grace")

    assert "HW1: 1 student of your sections submitted after the due time" in text


def test_after_the_grace_period_ends_nothing_is_listed(scene, client):
    client.force_login(scene.instructor)
    hw1 = scene.course.assignments.get(code="HW1")
    with at(eastern(2023, 2, 14, 23, 59)):
        last_minute = client.get(reverse("home"))
    with at(eastern(2023, 2, 15, 0, 0)):
        after = client.get(reverse("home"))

    assert "HW1: 2 students" in item(last_minute, scene.course, "grace")
    assert item(after, scene.course, "grace") == "No assignment is in its grace period now."
    assert reverse("assignment-overview", args=[hw1.id]) not in links_of(after)


def test_under_a_late_day_policy_the_late_window_is_listed(scene, client):
    course = scene.course
    course.late_policy, course.late_days_per_assignment, course.late_day_bank = "late_days", 3, 5
    course.save()
    Submission.objects.filter(assignment__code="HW1", timing="in_grace").update(timing="late")

    text = item(home(client, scene.instructor), course, "grace")

    assert text.startswith("In the late window now: HW1: 2 students submitted after the due time")
    assert "the window closes Wed Feb 15 2023, 11:59 pm EST (UTC-05:00)" in text


# ---- solo projects, waitlists, extensions, exports ------------------------------------------------------


def test_only_the_waiting_solo_request_is_listed(scene, client):
    response = home(client, scene.instructor)

    text = item(response, scene.course, "solo")
    assert text.startswith("1 solo-project request to decide (Ada alone)")
    assert "Alan alone" not in text and "Grace and co" not in text
    assert links_of(response)[reverse("teams", args=[scene.course.id])] == "approve on the teams page"


def test_approving_it_clears_the_item(scene, client):
    team_approve_solo(acting_user=scene.instructor, team_id=Team.objects.get(name="Ada alone").id, now=NOW)

    text = item(home(client, scene.instructor), scene.course, "solo")

    assert text == "No solo-project request is waiting for approval."


def test_each_sections_waitlist_length(scene, client):
    response = home(client, scene.instructor)

    text = item(response, scene.course, "waitlists")
    assert "CS 4644 1 waiting (2 of 20 seats taken)" in text
    assert "CS 7643-A 2 waiting (2 of 20 seats taken)" in text
    assert (
        links_of(response)[reverse("roster", args=[scene.course.id]) + "#waitlists"] == "Roster and waitlists"
    )


def test_a_section_ta_sees_their_sections_waitlist_only(scene, client):
    text = item(home(client, scene.section_ta), scene.course, "waitlists")

    assert text.startswith("Waitlists of your sections: CS 4644 1 waiting")
    assert "CS 7643-A" not in text


def test_extensions_granted_in_the_last_seven_days(scene, client):
    response = home(client, scene.instructor)

    # ug2's two days ago; gr1's eight days ago is not counted.
    assert item(response, scene.course, "extensions").startswith("1 extension granted in the last 7 days.")
    assert ("Extensions", reverse("course-extensions", args=[scene.course.id])) in link_pairs(
        response.content.decode()
    )


def test_an_extension_granted_seven_days_ago_to_the_minute_still_counts(scene, client):
    Extension.objects.filter(student=scene.gr1).update(granted_at=NOW - 7 * DAY)

    assert item(home(client, scene.instructor), scene.course, "extensions").startswith("2 extensions")


def test_the_latest_three_exports_with_their_status(scene, client):
    response = home(client, scene.instructor)

    text = item(response, scene.course, "exports")
    assert text.startswith(
        "Latest grade exports: Canvas gradebook import, done, asked Tue Feb 14 2023, 11:00 am EST (UTC-05:00) · "
        "Canvas gradebook import, queued (0%), asked Tue Feb 14 2023, 10:00 am EST (UTC-05:00) · "
        "Canvas gradebook import, queued (0%), asked Tue Feb 14 2023, 9:00 am EST (UTC-05:00)."
    ), text
    assert "breakdown" not in text
    assert links_of(response)[reverse("grade-exports", args=[scene.course.id])] == "Exports"


# ---- who sees what -----------------------------------------------------------------------------------------


def test_a_ta_sees_no_instructor_items(scene, client):
    for ta in (scene.ta, scene.section_ta):
        response = home(client, ta)
        for name in ("solo", "extensions", "exports"):
            assert item(response, scene.course, name) is None, (ta.username, name)
        for name in ("regrades", "grace", "waitlists"):
            assert item(response, scene.course, name) is not None, (ta.username, name)
        links = links_of(response)
        assert reverse("grade-exports", args=[scene.course.id]) not in links
        assert reverse("teams", args=[scene.course.id]) not in links


def test_a_course_wide_ta_sees_the_whole_course(scene, client):
    response = home(client, scene.ta)

    assert "TA" in text_of(response) and "TA of" not in text_of(response)
    assert item(response, scene.course, "regrades").startswith("2 regrade requests")
    assert "HW1: 2 students submitted" in item(response, scene.course, "grace")


def test_another_courses_staff_see_nothing_of_this_course(scene, client):
    response = home(client, scene.other_ta)

    assert f'id="course-{scene.course.id}"' not in response.content.decode()
    assert (
        item(response, scene.other_course, "regrades") == "No regrade request has waited more than 48 hours."
    )
    assert "HW1" not in text_of(response)


def test_a_student_sees_no_attention_lists(scene, client):
    response = home(client, scene.ug1)

    assert "Needs attention" not in text_of(response)
    assert 'data-attention="' not in response.content.decode()


# ---- the navigation ----------------------------------------------------------------------------------------


def test_nav_of_a_student(world, client):
    links = nav_links(home(client, world.ug1))

    assert set(links) >= {"My deadlines", "My grades", "Join a course"}
    assert not {"Regrade queue", "Roster", "Grades", "Extensions", "Exports"} & set(links)


def test_nav_of_someone_with_no_role_offers_joining(db, client):
    links = nav_links(home(client, UserFactory(username="newcomer")))

    assert links["Join a course"] == reverse("join")
    assert "My deadlines" not in links


def test_nav_of_a_ta(world, client):
    links = nav_links(home(client, world.ta))

    assert links["Regrade queue"] == reverse("regrade-queue")
    assert links["Roster"] == reverse("roster", args=[world.course.id])
    assert links["Grades"] == reverse("staff-course", args=[world.course.id])
    assert not {"Join a course", "Extensions", "Exports", "My deadlines"} & set(links)


def test_nav_of_an_instructor(world, client):
    links = nav_links(home(client, world.instructor))

    assert links["Roster"] == reverse("roster", args=[world.course.id])
    assert links["Grades"] == reverse("staff-course", args=[world.course.id])
    assert links["Extensions"] == reverse("course-extensions", args=[world.course.id])
    assert links["Exports"] == reverse("grade-exports", args=[world.course.id])
    assert "Join a course" not in links
    for url in links.values():
        assert client.get(url).status_code == 200, url


def test_nav_of_an_instructor_of_two_courses_offers_a_choice(world, client):
    second = CourseFactory(code="CS 1111")
    SectionFactory(course=second, code="CS 1111-A")
    StaffRoleFactory(user=world.instructor, course=second, role=StaffRole.Role.INSTRUCTOR)
    # A TA of a third course: that course has Roster and Grades, not Extensions or Exports.
    third = CourseFactory(code="CS 2222")
    StaffRoleFactory(user=world.instructor, course=third, role=StaffRole.Role.TA)

    response = home(client, world.instructor)

    assert nav_menu(response, "Roster") == {
        "CS 1111": reverse("roster", args=[second.id]),
        "CS 2222": reverse("roster", args=[third.id]),
        "CS 4644 / CS 7643-A": reverse("roster", args=[world.course.id]),
    }
    assert nav_menu(response, "Grades")["CS 2222"] == reverse("staff-course", args=[third.id])
    assert nav_menu(response, "Exports") == {
        "CS 1111": reverse("grade-exports", args=[second.id]),
        "CS 4644 / CS 7643-A": reverse("grade-exports", args=[world.course.id]),
    }
    assert set(nav_menu(response, "Extensions")) == {"CS 1111", "CS 4644 / CS 7643-A"}
    # Every course has its card.
    for course in (world.course, second, third):
        assert f'id="course-{course.id}"' in response.content.decode()


def test_a_ta_who_is_a_student_elsewhere_may_still_join_courses(world, client):
    EnrolmentFactory(user=world.ta, section=Section.objects.get(code="CS 9999-A"))

    links = nav_links(home(client, world.ta))

    assert {"Join a course", "Roster", "My deadlines"} <= set(links)


# ---- a constant number of queries ------------------------------------------------------------------------


def _count(client, user) -> int:
    client.force_login(user)
    with at(NOW):
        client.get(reverse("home"))  # warm the session and content types
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


def _grow(world, *, students: int, assignments: int):
    """Many more students (each with a grace submission, a waiting regrade request, a solo request) and
    assignments, written in bulk."""
    from courses.models import User

    users = User.objects.bulk_create(
        [User(username=f"bulk{i}", first_name="B", last_name=f"{i:05d}") for i in range(students)]
    )
    sections = [world.ug_section, world.gr_section]
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                user=u,
                section=sections[i % 2],
                status="waitlisted" if i % 5 == 0 else "enrolled",
                joined_at=NOW - 30 * DAY,
            )
            for i, u in enumerate(users)
        ]
    )
    hw1 = world.course.assignments.get(code="HW1")
    made = [
        AssignmentFactory.build(course=world.course, code=f"X{i}", due_at=NOW - (i % 5) * HOUR - HOUR)
        for i in range(assignments)
    ]
    from courses.models import Assignment

    made = Assignment.objects.bulk_create(made)
    Submission.objects.bulk_create(
        [
            Submission(
                student=u,
                assignment=a,
                file="x.pdf",
                submitted_at=NOW - 10 * 60 * timedelta(seconds=1),
                timing="in_grace",
            )
            for u in users
            for a in [hw1, *made[:5]]
        ]
    )
    ps0 = world.course.assignments.get(code="PS0")
    question = ps0.questions.first()
    grades = Grade.objects.bulk_create(
        [
            Grade(student=u, assignment=ps0, released_at=NOW - 4 * DAY, regrade_deadline=NOW + 3 * DAY)
            for u in users
        ]
    )
    RegradeRequest.objects.bulk_create(
        [
            RegradeRequest(
                grade=g,
                assignment=ps0,
                course=world.course,
                question=question,
                student_id=g.student_id,
                justification="x",
                created_at=NOW - 50 * HOUR,
            )
            for g in grades
        ]
    )
    teams = Team.objects.bulk_create(
        [
            Team(course=world.course, name=f"T{i}", created_by=u, created_at=NOW - DAY, solo_reason=REASON)
            for i, u in enumerate(users)
        ]
    )
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(
                team=t, user=t.created_by, state="accepted", invited_by=t.created_by, created_at=NOW - DAY
            )
            for t in teams
        ]
    )
    Extension.objects.bulk_create(
        [
            Extension(
                student=u,
                assignment=made[-1],
                due_at=NOW + 10 * DAY,
                dean_reference="D",
                granted_by=world.instructor,
                granted_at=NOW - DAY,
            )
            for u in users
        ]
    )


@pytest.mark.parametrize("who", ["instructor", "section_ta"])
def test_the_page_runs_a_constant_number_of_queries(scene, client, django_assert_max_num_queries, who):
    user = getattr(scene, who)
    small = _count(client, user)

    _grow(scene, students=300, assignments=60)
    client.force_login(user)
    with at(NOW), django_assert_max_num_queries(small):
        response = client.get(reverse("home"))

    assert response.status_code == 200
    if who == "instructor":
        assert item(response, scene.course, "regrades").startswith("302 regrade requests")
        assert item(response, scene.course, "solo").startswith("301 solo-project requests")
        assert item(response, scene.course, "extensions").startswith("301 extensions")
        assert "HW1: 302 students submitted" in item(response, scene.course, "grace")
