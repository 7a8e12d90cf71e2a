"""Server-rendered pages from the user's side: home, course information, sign-in."""

import io
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses.models import Course, User
from tests.factories import UserFactory


def text_of(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def links_of(response) -> dict[str, str]:
    """href -> link text."""
    found = {}
    for href, inner in re.findall(r'<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', response.content.decode(), re.S):
        found[unescape(href)] = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", inner))).strip()
    return found


# ---- home -------------------------------------------------------------------------------------------


def test_home_for_a_student(world, client):
    client.force_login(world.ug1)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    text = text_of(response)
    assert "CS 4644" in text
    assert "Enrolled" in text
    links = links_of(response)
    info = reverse("course-info", args=[world.course.id])
    assert links.get(info) == "Course information"
    assert reverse("staff-course", args=[world.course.id]) not in links
    assert "CS 9999" not in text


def test_home_shows_a_waitlisted_students_place(world, client, enrol):
    enrol(UserFactory(username="wait1"), world.ug_section, status="waitlisted")
    waiting = UserFactory(username="wait2")
    enrol(waiting, world.ug_section, status="waitlisted")
    client.force_login(waiting)
    text = text_of(client.get(reverse("home")))
    assert "Waitlisted" in text
    assert "place 2 on the waitlist" in text


@pytest.mark.parametrize("who", ["ta", "instructor"])
def test_home_for_staff(world, client, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    text = text_of(response)
    assert world.course.code in text
    assert ("Courses you teach" if who == "instructor" else "Courses you assist") in text
    links = links_of(response)
    assert reverse("staff-course", args=[world.course.id]) in links
    assert reverse("course-info", args=[world.course.id]) in links
    assert "CS 9999" not in text
    staff_page = client.get(reverse("staff-course", args=[world.course.id]))
    assert staff_page.status_code == 200
    assert "HW1" in text_of(staff_page)


def test_home_for_someone_in_no_course(db, client):
    client.force_login(UserFactory(username="newcomer"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "not in any course yet" in text_of(response)


@pytest.mark.parametrize("name", ["home", "my-deadlines", "account"])
def test_anonymous_is_sent_to_sign_in(db, client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_anonymous_course_page_is_sent_to_sign_in(world, client):
    url = reverse("course-info", args=[world.course.id])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# ---- course information -----------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    """The demo course of the slides, as `make run` shows it."""
    call_command("seed_demo", stdout=io.StringIO())
    return Course.objects.get(code="CS 4644 / CS 7643-A")


@pytest.fixture
def demo_page(demo, client):
    client.force_login(User.objects.get(username="ug1"))
    response = client.get(reverse("course-info", args=[demo.id]))
    assert response.status_code == 200
    return text_of(response)


def test_course_page_shows_the_sections_and_how_they_differ(demo_page):
    assert "Sections and how they differ" in demo_page
    assert "CS 4644" in demo_page and "CS 7643-A" in demo_page
    assert "Undergraduate" in demo_page and "Graduate" in demo_page
    assert "extra credit" in demo_page
    assert "required here" in demo_page
    assert "you are enrolled in CS 4644" in demo_page


def test_course_page_shows_delivery(demo_page):
    assert "Clough UG Learning Commons 152" in demo_page
    assert "Tue & Thu" in demo_page
    assert "Streaming:" in demo_page and "Zoom" in demo_page
    assert "Recordings:" in demo_page and "recorded" in demo_page


def test_course_page_shows_office_hours_and_where_questions_go(demo_page):
    assert "Office hours:" in demo_page
    assert "Piazza" in demo_page


def test_course_page_shows_the_policies(demo_page):
    # Grace: two days, not for PS0/HW0.
    assert "2-day grace period" in demo_page
    assert "not a second due date" in demo_page
    assert re.search(r"No grace period for [^.]*PS0[^.]*HW0|No grace period for [^.]*HW0[^.]*PS0", demo_page)
    # Collaboration: declared; none on PS0/HW0; the honor statement.
    assert "lists everyone they worked with" in demo_page
    assert re.search(r"No collaboration at all on [^.]*PS0", demo_page)
    assert "ChatGPT" in demo_page
    # Regrades within a week; waitlist, audit and pass/fail.
    assert "Ask within 7 days" in demo_page
    assert "audit and pass/fail requests are declined" in demo_page
    assert "Waitlisted students should do PS0/HW0" in demo_page
    assert "Dean of Students" in demo_page


def test_course_page_shows_what_counts(demo_page):
    assert "Problem set (PS1, PS2, PS3, PS4): 36% of the grade" in demo_page
    assert "Homework (HW1, HW2, HW3, HW4): 36% of the grade" in demo_page
    assert "Final project (PROJECT): 28% of the grade" in demo_page
    assert "bonus of up to 1%" in demo_page


def test_course_page_tells_online_students_they_are_elsewhere(demo_page):
    assert "Are you in the right place?" in demo_page
    for code in ("CS 7643-O01", "CS 7643-OAN", "CS 7643-Q", "CS 7643-R"):
        assert code in demo_page
    assert "different course" in demo_page


@pytest.mark.parametrize("username", ["ta1", "instructor", "gr1", "wait1"])
def test_every_member_sees_the_course_page(demo, client, username):
    client.force_login(User.objects.get(username=username))
    assert client.get(reverse("course-info", args=[demo.id])).status_code == 200


@pytest.mark.parametrize("who", ["other_student", "other_ta"])
def test_a_non_member_gets_404_for_another_course(world, client, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("course-info", args=[world.course.id]))
    assert response.status_code == 404
    assert world.course.code not in response.content.decode()
    assert client.get(reverse("staff-course", args=[world.course.id])).status_code == 404


def test_a_student_gets_404_for_the_staff_page(world, client):
    client.force_login(world.ug1)
    assert client.get(reverse("staff-course", args=[world.course.id])).status_code == 404


def test_a_missing_course_is_404(world, client):
    client.force_login(world.ug1)
    assert client.get(reverse("course-info", args=[999999])).status_code == 404


# ---- sign in ----------------------------------------------------------------------------------------


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.labels: dict[str, str] = {}
        self.inputs: dict[str, dict] = {}
        self._label_for = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._label_for = attrs.get("for")
            self.labels[self._label_for] = ""
        elif tag == "input" and attrs.get("type") != "hidden":
            self.inputs[attrs.get("id")] = attrs

    def handle_data(self, data):
        if self._label_for is not None:
            self.labels[self._label_for] += data

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None


def test_login_page_has_labelled_inputs(db, client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    form = FormParser()
    form.feed(response.content.decode())
    assert set(form.inputs) == {"id_username", "id_password"}
    for input_id, attrs in form.inputs.items():
        assert input_id in form.labels, f"{input_id} has no <label for>"
        assert form.labels[input_id].strip()
        assert "required" in attrs
    assert form.labels["id_username"].strip() == "Username"
    assert form.labels["id_password"].strip() == "Password"
    assert form.inputs["id_password"]["type"] == "password"
    assert form.inputs["id_username"]["autocomplete"] == "username"
    assert form.inputs["id_password"]["autocomplete"] == "current-password"


def test_signing_in_with_a_wrong_password_says_what_to_do(world, client):
    response = client.post(reverse("login"), {"username": "ug1", "password": "nope"})
    assert response.status_code == 200
    text = text_of(response)
    assert "do not match" in text
    assert "try again" in text


def test_signing_in_goes_home(world, client):
    response = client.post(reverse("login"), {"username": "ug1", "password": "pw-portal-test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
