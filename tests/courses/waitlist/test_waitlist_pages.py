"""The pages: /join/ tells a waitlisted student their place and who is ahead (in groups, never by name)
and warns students of the online sections; the staff roster shows each waitlist in priority order and
the promotions; both the roster page and the waitlist API run a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, Promotion, Section, SitInRequest
from courses.services.waitlist import waitlist_promote
from tests.courses.waitlist.helpers import (
    JOIN_START,
    join,
    minutes_after_start,
    open_term_for_joining,
    submit_prep,
)
from tests.factories import EnrolmentFactory, UserFactory

Status = Enrolment.Status


@pytest.fixture
def joinable(full):
    open_term_for_joining(full.world.course)
    return full


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" .", ".")


def card(html: str, section_code: str) -> str:
    match = re.search(rf'<article data-section="{re.escape(section_code)}">(.*?)</article>', html, re.S)
    assert match, f"no card for {section_code}"
    return text_of(match.group(1))


# ---- /join/ ------------------------------------------------------------------------------------------------


def test_join_shows_the_place_and_the_groups_ahead(joinable, api, client):
    people = {n: joinable.student(n) for n in ("early", "prepared", "me", "later")}
    submit_prep(people["prepared"], joinable.ps0)
    for minute, user in enumerate(people.values()):
        assert join(api, user, joinable.section, at=minutes_after_start(minute)).status_code == 201

    mine = card(page(client, people["me"], reverse("join")), "CS 7643-A")

    assert "You are number 3 on the waitlist." in mine
    assert "Ahead of you: 1 who submitted PS0/HW0 and 1 who joined earlier." in mine
    assert "early" not in mine and "prepared" not in mine  # groups, never names
    assert "Request Gradescope access" in mine
    assert "Leave the waitlist" in mine

    first = card(page(client, people["prepared"], reverse("join")), "CS 7643-A")
    assert "You are number 1 on the waitlist." in first
    assert "Ahead of you: 0 who submitted PS0/HW0." in first


def test_join_tells_an_auditor_that_credit_students_come_first(joinable, api, client):
    course = joinable.world.course
    course.waitlist_allows_audit = True
    course.save(update_fields=["waitlist_allows_audit"])
    auditor, credit = joinable.student("auditor"), joinable.student("credit")
    assert join(api, auditor, joinable.section, "audit", at=minutes_after_start(0)).status_code == 201
    assert join(api, credit, joinable.section, "credit", at=minutes_after_start(5)).status_code == 201

    mine = card(page(client, auditor, reverse("join")), "CS 7643-A")

    assert "You are number 2 on the waitlist." in mine
    # The one ahead joined later: they are ahead because they take the class for credit.
    assert "who joined earlier" not in mine
    assert "1 taking the class for credit" in mine


def test_join_shows_seats_and_the_join_forms_to_a_newcomer(joinable, client):
    html = page(client, joinable.student("newcomer"), reverse("join"))

    full_card = card(html, "CS 7643-A")
    assert "3 of 3 seats taken" in full_card
    assert "Join the CS 7643-A waitlist" in full_card
    assert "Ask to sit in" in full_card
    assert "Audit (declined by this course)" in full_card


def test_join_shows_an_enrolled_student_their_seat(joinable, client):
    mine = card(page(client, joinable.world.gr1, reverse("join")), "CS 7643-A")
    assert "You are enrolled in CS 7643-A." in mine
    assert "Join the" not in mine


def test_join_warns_students_of_the_online_sections(joinable, client):
    text = text_of(page(client, joinable.student("online"), reverse("join")))

    assert "Are you in the right place?" in text
    for code in ("CS 7643-O01", "CS 7643-OAN", "CS 7643-Q", "CS 7643-R"):
        assert code in text
    assert "different course" in text


def test_join_shows_the_courses_own_wrong_course_notice(joinable, client):
    course = joinable.world.course
    course.other_courses_notice = "CS 7643-O01 and friends are the OMSCS class: use its own site."
    course.save(update_fields=["other_courses_notice"])

    text = text_of(page(client, joinable.student("online"), reverse("join")))

    assert "CS 7643-O01 and friends are the OMSCS class: use its own site." in text


# ---- the roster ------------------------------------------------------------------------------------------


def waiting_order(html: str) -> list[str]:
    return re.findall(r'<li data-waiting="([^"]+)"', html)


def test_the_roster_shows_waitlists_in_priority_order_and_promotions(
    full, api, client, django_capture_on_commit_callbacks
):
    course = full.world.course
    course.waitlist_allows_audit = True
    course.save(update_fields=["waitlist_allows_audit"])
    joins = [("auditor", "audit"), ("early", "credit"), ("prepared", "credit"), ("late", "credit")]
    people = {}
    for minute, (name, basis) in enumerate(joins):
        people[name] = full.student(name)
        assert join(api, people[name], full.section, basis, at=minutes_after_start(minute)).status_code == 201
    submit_prep(people["prepared"], full.ps0)
    url = reverse("roster", args=[course.id])

    html = page(client, full.world.instructor, url)
    assert waiting_order(html) == ["prepared", "early", "late", "auditor"]
    assert "CS 7643-A (4)" in text_of(html)
    assert "None yet." in text_of(html)

    seat = Enrolment.objects.get(user=full.world.gr1, section=full.section)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            api.as_user(full.world.instructor).post(reverse("api-enrolment-drop", args=[seat.id])).status_code
            == 200
        )

    html = page(client, full.world.ta, url)  # the TA sees it too, without the instructor's forms
    assert waiting_order(html) == ["early", "late", "auditor"]
    assert "prepared into CS 7643-A" in text_of(html)
    assert "Save capacity" not in html and "Import the roster" not in html
    assert "Save capacity" in page(client, full.world.instructor, url)


@pytest.mark.parametrize("who", ["ug1", "gr1", "other_ta", "other_student"])
def test_students_and_outsiders_get_404_on_the_roster(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("roster", args=[world.course.id])).status_code == 404
    assert client.get(reverse("gradescope-requests-csv", args=[world.course.id])).status_code == 404


def test_a_waitlisted_student_gets_404_on_the_roster(full, api, client):
    student = full.student("waiting")
    assert join(api, student, full.section).status_code == 201
    client.force_login(student)
    assert client.get(reverse("roster", args=[full.world.course.id])).status_code == 404


# ---- query counts do not grow with the waitlist ----------------------------------------------------


def grow(full, start: int, stop: int) -> None:
    """Waitlisted students start..stop-1 of every kind: audit, PS0 done, Gradescope asked and granted, a
    sit-in; and for each fifth one an enrolled, promoted student in CS 4644."""
    course = full.world.course
    ug = full.world.ug_section
    Section.objects.filter(pk=ug.pk).update(capacity=200, room_capacity=500)
    Section.objects.filter(pk=full.section.pk).update(room_capacity=500)
    now = timezone.now()
    for i in range(start, stop):
        user = UserFactory(username=f"q{i:03d}")
        EnrolmentFactory(
            user=user,
            section=full.section,
            status=Status.WAITLISTED,
            grading_basis="audit" if i % 4 == 0 else "credit",
            joined_at=JOIN_START + timedelta(minutes=i),
            gradescope_requested_at=now if i % 3 == 0 else None,
            gradescope_granted_at=now if i % 6 == 0 else None,
            gradescope_granted_by=full.world.ta if i % 6 == 0 else None,
        )
        if i % 2 == 0:
            submit_prep(user, full.ps0)
        if i % 5 == 0:
            SitInRequest.objects.create(
                user=UserFactory(username=f"sit{i:03d}"), section=full.section, created_at=now
            )
            EnrolmentFactory(user=UserFactory(username=f"p{i:03d}"), section=ug, status=Status.WAITLISTED)
    course.waitlist_allows_audit = True
    course.save(update_fields=["waitlist_allows_audit"])
    waitlist_promote(section_id=ug.id)
    assert Promotion.objects.exists()


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_the_roster_page_runs_the_same_queries_for_5_and_60_waitlisted(
    full, client, django_assert_num_queries
):
    url = reverse("roster", args=[full.world.course.id])
    client.force_login(full.world.instructor)

    def get():
        response = client.get(url)
        assert response.status_code == 200
        return response

    grow(full, 0, 5)
    few = count_queries(get)
    with django_assert_num_queries(few):
        assert len(waiting_order(get().content.decode())) == 5

    grow(full, 5, 60)
    with django_assert_num_queries(few):
        assert len(waiting_order(get().content.decode())) == 60
    many = count_queries(get)
    assert many == few, f"roster page: {few} queries for 5 waitlisted, {many} for 60"
    print(f"\nroster page queries: 5 waitlisted -> {few}, 60 waitlisted -> {many}")


def test_the_waitlist_api_runs_the_same_queries_for_5_and_60_waitlisted(full, api, django_assert_num_queries):
    url = reverse("api-section-waitlist", args=[full.section.id])
    client = api.as_user(full.world.instructor)

    def get():
        response = client.get(url)
        assert response.status_code == 200
        return response.json()

    grow(full, 0, 5)
    few = count_queries(get)
    with django_assert_num_queries(few):
        rows = get()
    assert [r["waitlist_position"] for r in rows] == [1, 2, 3, 4, 5]
    assert all(r["section"] == "CS 7643-A" for r in rows)

    grow(full, 5, 60)
    with django_assert_num_queries(few):
        rows = get()
    assert len(rows) == 60
    many = count_queries(get)
    assert many == few, f"waitlist API: {few} queries for 5 waitlisted, {many} for 60"
    print(f"\nwaitlist API queries: 5 waitlisted -> {few}, 60 waitlisted -> {many}")
