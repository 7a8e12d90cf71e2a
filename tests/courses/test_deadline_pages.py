"""The server-rendered pages: a student's "My deadlines" and the staff's who-submitted overview."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import StaffRole
from courses.services.deadlines import deadline_close_passed
from tests.courses.helpers import MINUTE, at, build_course, deadline_row_codes, deadline_row_html, submit
from tests.factories import EnrolmentFactory, StaffRoleFactory, UserFactory, eastern

HW1_DUE, HW1_GRACE_END = eastern(2023, 2, 12), eastern(2023, 2, 14)


def row_html(html: str, code: str) -> str:
    return deadline_row_html(html, code)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def group_html(html: str, gid: str) -> str:
    match = re.search(rf'<section aria-labelledby="{gid}">(.*?)</section>', html, re.S)
    assert match, f"no group {gid}"
    return match.group(1)


# ---- My deadlines --------------------------------------------------------------------------------------


def test_my_deadlines_shows_each_assignment_with_status_and_grace_end(world, client):
    client.force_login(world.ug1)
    with at(HW1_DUE + MINUTE):
        response = client.get(reverse("my-deadlines"))
    assert response.status_code == 200
    html = response.content.decode()
    hw1, ps0 = row_html(html, "HW1"), row_html(html, "PS0")
    assert 'data-status="grace"' in hw1
    assert "In grace period" in hw1
    assert "Sun Feb 12 2023, 11:59 pm EST" in hw1
    assert "Tue Feb 14 2023, 11:59 pm EST (UTC-05:00)" in hw1
    assert (
        '<time datetime="2023-02-15T04:59:00+00:00" data-shown-zone="America/New_York"' in hw1
    )  # for the script
    assert 'data-status="closed"' in ps0
    assert "No grace period" in ps0
    assert "Closed; PS0 does not count toward your grade." in ps0  # PS0/HW0 are ungraded
    assert "Submit PS0" not in ps0  # no form for a closed window
    assert "Submit HW1" in hw1


def test_my_deadlines_reflects_a_submission(world, api, client):
    hw1 = world.course.assignments.get(code="HW1")
    with at(HW1_DUE - MINUTE):
        submit(api, world.ug1, hw1)
    client.force_login(world.ug1)
    with at(HW1_DUE + MINUTE):
        hw1_row = row_html(client.get(reverse("my-deadlines")).content.decode(), "HW1")
    assert 'data-status="submitted"' in hw1_row
    assert "Sun Feb 12 2023, 11:58 pm EST (UTC-05:00): On time" in text(hw1_row)  # the receipt
    assert "Submit HW1 again" in hw1_row


def test_my_deadlines_shows_only_the_students_own_courses(world, client):
    client.force_login(world.other_student)
    html = client.get(reverse("my-deadlines")).content.decode()
    assert 'id="a-HW1"' not in html
    assert 'id="a-PS0"' not in html
    assert "No deadlines yet" in html


def test_my_deadlines_needs_a_sign_in(world, client):
    response = client.get(reverse("my-deadlines"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_my_deadlines_runs_a_fixed_number_of_queries(db, client, django_assert_max_num_queries):
    counts = {}
    for n in (2, 30):
        _, people = build_course(assignments=n, students=3, code=f"Course with {n}")
        client.force_login(people[0])
        with at(eastern(2023, 1, 1)), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("my-deadlines"))
        assert response.status_code == 200
        assert len(deadline_row_codes(response.content.decode())) == n
        counts[n] = len(queries)
    assert counts[2] == counts[30]
    with at(eastern(2023, 1, 1)), django_assert_max_num_queries(counts[2]):
        client.get(reverse("my-deadlines"))
    assert counts[2] <= 12


def test_my_deadlines_with_nothing_left_to_hand_in(world, client):
    """The rows are put in after the page is rendered (portal.fragments.render_with_rows): a group with no
    rows says so, and every row is in the other group, once, in order."""
    client.force_login(world.ug1)
    with at(eastern(2024, 1, 1)):
        html = client.get(reverse("my-deadlines")).content.decode()
    due_next = re.search(r'<section aria-labelledby="due-next".*?</section>', html, re.S).group(0)
    done = re.search(r'<section aria-labelledby="done".*?</section>', html, re.S).group(0)
    assert "Nothing to hand in right now." in due_next
    assert not deadline_row_codes(due_next)
    assert deadline_row_codes(done) == deadline_row_codes(html) == ["PS0", "HW1"]
    assert "<!--" not in html


def _nav(response) -> str:
    """The main navigation, without what differs from page to page (the current page, the CSRF token)."""
    nav = re.search(r'<nav aria-label="Main".*?</nav>', response.content.decode(), re.S).group(0)
    return re.sub(r' aria-current="page"|value="[^"]*"', "", nav)


def test_my_deadlines_shows_the_navigation_of_every_other_page(world, client):
    """My deadlines reads the navigation's roles with the student's courses (one query fewer): the same
    links and menus as any other page, for a student, a TA, a TA enrolled in another course, and a user
    with no role."""
    StaffRoleFactory(user=world.ug2, course=world.other_course, role=StaffRole.Role.TA)
    EnrolmentFactory(user=world.other_ta, section=world.ug_section)
    nobody = UserFactory(username="nobody")
    people = [world.ug1, world.ug2, world.ta, world.instructor, world.other_ta, nobody]
    navs = {}
    for person in people:
        client.force_login(person)
        with at(HW1_DUE - MINUTE):
            mine, account = client.get(reverse("my-deadlines")), client.get(reverse("account"))
        assert _nav(mine) == _nav(account), person.username
        navs[person.username] = _nav(mine)
    assert "My deadlines" in navs["ug2"] and 'data-nav-menu="Roster"' not in navs["ug2"]
    assert "Roster" in navs["ug2"] and reverse("roster", args=[world.other_course.id]) in navs["ug2"]
    assert "My deadlines" in navs["other_ta"] and "Regrade queue" in navs["other_ta"]
    assert "My deadlines" not in navs["ta1"] and "Roster" in navs["ta1"]
    assert "My deadlines" not in navs["nobody"] and "Join a course" in navs["nobody"]


def _row_renders(response) -> int:
    return sum(1 for t in response.templates if t.name == "courses/_deadline_row.html")


def test_rows_come_from_the_row_cache_until_something_they_show_changes(world, api, client):
    """My deadlines renders a row again only when what it shows changes (portal.fragments): a second view
    renders nothing, a minute later only rows whose countdown moved, and a submission, a zone choice or an
    extension redraws the row with the new facts."""
    hw1 = world.course.assignments.get(code="HW1")
    client.force_login(world.ug1)
    url = reverse("my-deadlines")
    with at(HW1_DUE - MINUTE * 30):
        first = client.get(url)
        again = client.get(url)
    rows = len(deadline_row_codes(first.content.decode()))
    assert rows >= 2
    assert _row_renders(first) == rows
    assert _row_renders(again) == 0
    assert again.content.decode().count('class="deadline"') == rows
    assert "due in 30 min" in row_html(again.content.decode(), "HW1")

    with at(HW1_DUE - MINUTE * 29):
        later = client.get(url)
    assert "due in 29 min" in row_html(later.content.decode(), "HW1")
    assert 1 <= _row_renders(later) < rows  # the closed PS0 row did not change

    with at(HW1_DUE - MINUTE * 29):
        submit(api, world.ug1, hw1)
        submitted = client.get(url)
    assert 'data-status="submitted"' in row_html(submitted.content.decode(), "HW1")
    assert "Receipt" in row_html(submitted.content.decode(), "HW1")

    api.as_user(world.ug1).patch(
        reverse("api-me"),
        {"time_zone_display": "browser", "browser_time_zone": "Asia/Kolkata"},
        format="json",
    )
    with at(HW1_DUE - MINUTE * 29):
        in_kolkata = client.get(url)
    assert "IST" in row_html(in_kolkata.content.decode(), "HW1")


def test_students_share_rows_with_nothing_of_their_own_and_never_a_receipt(world, api, client):
    """Rows with nothing submitted show the same to every student with the same window and zone choice,
    so they are rendered once for all; a row with work in it is the student's own."""
    from django.test import Client

    hw1 = world.course.assignments.get(code="HW1")
    with at(HW1_DUE - MINUTE * 10):
        submit(api, world.ug1, hw1)
    first, second = Client(), Client()
    first.force_login(world.ug1)
    second.force_login(world.ug2)
    with at(HW1_DUE - MINUTE * 5):
        mine = first.get(reverse("my-deadlines"))
        theirs = second.get(reverse("my-deadlines"))
    their_hw1 = row_html(theirs.content.decode(), "HW1")
    assert "Receipt" in row_html(mine.content.decode(), "HW1")
    assert "Receipt" not in their_hw1 and 'data-status="open"' in their_hw1
    assert _row_renders(theirs) == 1  # only HW1 (open, nothing submitted, for ug2); PS0 came from ug1's view


def test_a_cached_row_carries_this_browsers_csrf_token(world, api, client):
    """Rows are cached without the CSRF token: each browser's page has a token its own cookie accepts, so
    a form rendered for one session and served from the cache to another still submits."""
    from django.test import Client

    hw1 = world.course.assignments.get(code="HW1")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for c in (first, second):
        c.force_login(world.ug1)
    with at(HW1_DUE - MINUTE):
        first.get(reverse("my-deadlines"))
        page = second.get(reverse("my-deadlines"))
    assert _row_renders(page) == 0  # every row came from the cache
    tokens = set(
        re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', row_html(page.content.decode(), "HW1"))
    )
    assert len(tokens) == 1
    with at(HW1_DUE - MINUTE):
        from tests.courses.helpers import upload

        response = second.post(
            reverse("api-assignment-submissions", args=[hw1.id]),
            {
                "file": upload(),
                "collaborators_none": "true",
                "honor_statement_accepted": "true",
                "csrfmiddlewaretoken": tokens.pop(),
            },
        )
    assert response.status_code == 201, response.content


# ---- staff overview ------------------------------------------------------------------------------------


@pytest.fixture
def mixed(world, api, django_capture_on_commit_callbacks):
    """HW1 in its grace period: ug1 on time, ug2 in grace, gr1 (with an extension) and ug3 not yet."""
    EnrolmentFactory(
        user=UserFactory(username="ug3", first_name="Uma", last_name="Three"), section=world.ug_section
    )
    world.recompute()
    hw1 = world.course.assignments.get(code="HW1")
    with at(eastern(2023, 2, 12, 20, 0)):
        submit(api, world.ug1, hw1)
    with at(eastern(2023, 2, 13, 10, 0)):
        submit(api, world.ug2, hw1)
        with django_capture_on_commit_callbacks(execute=True):
            api.as_user(world.instructor).post(
                reverse("api-extensions"),
                {
                    "student": "gr1",
                    "assignment": hw1.id,
                    "due_at": "2023-02-19T23:59:00-05:00",
                    "dean_reference": "DoS-42",
                },
                format="json",
            )
    return hw1


def overview(client, user, assignment):
    client.force_login(user)
    return client.get(reverse("assignment-overview", args=[assignment.id]))


@pytest.mark.parametrize("who", ["instructor", "ta"])
def test_staff_page_groups_on_time_in_grace_not_yet_and_extensions(world, client, mixed, who):
    with at(eastern(2023, 2, 13, 12, 0)):
        response = overview(client, getattr(world, who), mixed)
    assert response.status_code == 200
    html = response.content.decode()
    on_time, in_grace = group_html(html, "on-time"), group_html(html, "in-grace")
    not_yet, missing, extensions = (
        group_html(html, "not-yet"),
        group_html(html, "missing"),
        group_html(html, "extensions"),
    )
    assert "(ug1)" in on_time and "(ug2)" not in on_time
    assert "(ug2)" in in_grace and "(ug1)" not in in_grace
    assert "(gr1)" in not_yet and "(ug3)" in not_yet
    assert "Nobody." in missing
    assert "(gr1)" in extensions and "granted by instructor" in extensions
    # The Dean's reference (a student's circumstances) is shown to the instructors only.
    assert ("DoS-42" in extensions) == (who == "instructor")
    assert "Sun Feb 19 2023, 11:59 pm EST" in extensions
    assert "On time (1)" in html and "In the grace period (1)" in html and "Not yet submitted (2)" in html


def test_after_the_window_closes_the_unsubmitted_are_missing_but_the_extension_is_not(world, client, mixed):
    with at(HW1_GRACE_END + MINUTE):
        deadline_close_passed()
        html = overview(client, world.instructor, mixed).content.decode()
    assert "(ug3)" in group_html(html, "missing")
    assert "(gr1)" in group_html(html, "not-yet")


def test_the_overview_api_matches_the_page(world, api, mixed):
    with at(eastern(2023, 2, 13, 12, 0)):
        data = api.as_user(world.ta).get(reverse("api-assignment-overview", args=[mixed.id])).json()
    names = {
        group: sorted(s["username"] for s in data[group])
        for group in ("on_time", "in_grace", "not_yet", "missing")
    }
    assert names == {"on_time": ["ug1"], "in_grace": ["ug2"], "not_yet": ["gr1", "ug3"], "missing": []}
    assert [e["student"] for e in data["extensions"]] == ["gr1"]
    assert "dean_reference" not in data["extensions"][0]  # the instructors read it in /api/v1/extensions/


def test_a_section_ta_sees_only_their_sections_students(world, client, mixed):
    section_ta = StaffRoleFactory(
        user=UserFactory(username="ta_gr"),
        course=world.course,
        section=world.gr_section,
        role=StaffRole.Role.TA,
    ).user
    with at(eastern(2023, 2, 13, 12, 0)):
        html = overview(client, section_ta, mixed).content.decode()
    assert "(gr1)" in html
    for other in ("ug1", "ug2", "ug3"):
        assert f"({other})" not in html


@pytest.mark.parametrize("who", ["ug1", "ug2", "other_ta", "other_student"])
def test_students_and_other_courses_staff_get_404(world, client, mixed, who):
    response = overview(client, getattr(world, who), mixed)
    assert response.status_code == 404
    assert "DoS-42" not in response.content.decode()
