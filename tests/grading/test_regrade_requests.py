"""Regrade requests through the API: the one-week window, one open request per question, claim and
resolve (a score change goes through the grade history), withdraw, and one appeal to the instructor."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from grading.models import GradeChange, QuestionScore, RegradeRequest
from tests.factories import StaffRoleFactory, UserFactory
from tests.grading.conftest import MINUTE, RELEASED_AT, WINDOW_ENDS, at, error_of, score_of

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
URL = "/api/v1/regrade-requests/"


def create(api, user, grade, question, justification="My derivation is correct; see line 3."):
    return api.as_user(user).post(
        URL, {"grade": grade.id, "question": question.id, "justification": justification}, format="json"
    )


def act(api, user, request_id, action, **data):
    return api.as_user(user).post(f"{URL}{request_id}/{action}/", data, format="json")


def state():
    """Everything a regrade action could change."""
    return (
        list(RegradeRequest.objects.order_by("pk").values()),
        list(QuestionScore.objects.order_by("pk").values()),
        list(GradeChange.objects.order_by("pk").values()),
    )


@pytest.fixture
def open_request(graded, api):
    """ug1's open request on PS0 Q2 (score 5/10), asked a day after the release."""
    with at(RELEASED_AT + DAY):
        response = create(api, graded.world.ug1, graded.grade("ug1"), graded.q2)
    assert response.status_code == 201, response.json()
    return RegradeRequest.objects.get(pk=response.json()["id"])


@pytest.fixture
def ta2(world):
    user = UserFactory(username="ta2")
    StaffRoleFactory(user=user, course=world.course)
    return user


# ---- the window -------------------------------------------------------------------------------------


def test_a_request_one_minute_before_the_window_closes_is_accepted(graded, api):
    with at(WINDOW_ENDS - MINUTE):
        response = create(api, graded.world.ug1, graded.grade("ug1"), graded.q2)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "open"
    assert body["student"] == "ug1"
    assert (body["grade"], body["question"], body["question_label"]) == (
        graded.grade("ug1").id,
        graded.q2.id,
        "Q2",
    )
    assert body["old_score"] == "5.00"
    assert body["is_appeal"] is False
    assert body["created_at"] == "2023-02-13T08:59:00-05:00"
    assert body["section"] == "CS 4644"


def test_a_request_one_minute_after_the_window_closes_is_refused(graded, api):
    before = state()
    with at(WINDOW_ENDS + MINUTE):
        response = create(api, graded.world.ug1, graded.grade("ug1"), graded.q2)
    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "window_closed"
    assert "Mon Feb 13 2023, 9:00 am EST" in body["detail"]
    assert state() == before


def test_a_request_needs_a_justification_and_a_question_of_the_assignment(graded, api, world):
    from tests.grading.factories import QuestionFactory

    other_q = QuestionFactory(assignment=world.course.assignments.get(code="HW1"))
    before = state()
    with at(RELEASED_AT + DAY):
        response = create(api, world.ug1, graded.grade("ug1"), graded.q2, justification="  ")
        assert response.status_code == 400
        assert "justification" in error_of(response)["fields"]
        response = create(api, world.ug1, graded.grade("ug1"), other_q)
        assert response.status_code == 400
        assert "question" in error_of(response)["fields"]
    assert state() == before


def test_a_second_open_request_for_the_same_question_is_a_duplicate(graded, api, open_request, world):
    with at(RELEASED_AT + 2 * DAY):
        before = state()
        response = create(api, world.ug1, graded.grade("ug1"), graded.q2)
        assert response.status_code == 400
        assert error_of(response)["code"] == "duplicate"
        assert state() == before

        # Claimed is still open work: still a duplicate.
        assert act(api, world.ta, open_request.id, "claim").status_code == 200
        response = create(api, world.ug1, graded.grade("ug1"), graded.q2)
        assert response.status_code == 400
        assert error_of(response)["code"] == "duplicate"

        # Another question is fine.
        assert create(api, world.ug1, graded.grade("ug1"), graded.q1).status_code == 201


def test_after_a_withdrawal_the_student_may_ask_again(graded, api, open_request, world):
    with at(RELEASED_AT + 2 * DAY):
        assert act(api, world.ug1, open_request.id, "withdraw").status_code == 200
        assert create(api, world.ug1, graded.grade("ug1"), graded.q2).status_code == 201


# ---- claim and resolve ------------------------------------------------------------------------------


def test_claim_then_accept_changes_the_score_once_and_tells_the_student(
    graded, api, open_request, world, django_capture_on_commit_callbacks
):
    with at(RELEASED_AT + 2 * DAY):
        response = act(api, world.ta, open_request.id, "claim")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["claimed_by"]) == ("claimed", "ta1")

    resolved_at = RELEASED_AT + 2 * DAY + HOUR
    with at(resolved_at), django_capture_on_commit_callbacks(execute=True):
        response = act(
            api,
            world.ta,
            open_request.id,
            "resolve",
            decision="accepted",
            new_score="8",
            response="Chain rule is fine.",
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "accepted"
    assert (body["old_score"], body["new_score"]) == ("5.00", "8.00")
    assert body["resolved_by"] == "ta1"
    assert body["response"] == "Chain rule is fine."

    grade = graded.grade("ug1")
    assert score_of(grade, graded.q2) == Decimal(8)
    regrade_rows = GradeChange.objects.filter(grade=grade, source=GradeChange.Source.REGRADE)
    assert regrade_rows.count() == 1
    change = regrade_rows.get()
    assert (change.question, change.old_score, change.new_score) == (graded.q2, Decimal(5), Decimal(8))
    assert change.changed_by == world.ta
    assert change.changed_at == resolved_at
    assert "Chain rule is fine." in change.reason

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ug1@example.edu"]
    # Addressed as every message of the course is (courses.services.course_mail): its code, the name.
    assert message.subject.startswith(f"[{world.course.code}] Regrade of ")
    assert message.body.startswith(f"Hello {world.ug1.display_name},\n\nYour regrade request was accepted")
    assert "accepted" in message.subject
    assert "8.00" in message.body
    assert "Chain rule is fine." in message.body

    # The student sees the new score and the change in the history.
    with at(resolved_at + HOUR):
        grade_body = api.as_user(world.ug1).get(f"/api/v1/grades/{grade.id}/").json()
        history = api.as_user(world.ug1).get(f"/api/v1/grades/{grade.id}/history/").json()
    assert {s["label"]: s["score"] for s in grade_body["scores"]} == {"Q1": "7.00", "Q2": "8.00"}
    assert history[-1]["source"] == "regrade"
    assert (history[-1]["old_score"], history[-1]["new_score"]) == ("5.00", "8.00")

    # Resolving again (even by the instructor) changes nothing: the score changes once.
    before = state()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            api,
            world.instructor,
            open_request.id,
            "resolve",
            decision="accepted",
            new_score="10",
            response="More",
        )
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert state() == before
    assert len(mail.outbox) == 1


def test_reject_keeps_the_score_and_tells_the_student(
    graded, api, open_request, world, django_capture_on_commit_callbacks
):
    history_before = list(GradeChange.objects.values_list("pk", flat=True))
    with at(RELEASED_AT + 2 * DAY), django_capture_on_commit_callbacks(execute=True):
        response = act(
            api,
            world.ta,
            open_request.id,
            "resolve",
            decision="rejected",
            new_score="9",
            response="Q2 asks for the Hessian.",
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "rejected"
    assert body["new_score"] is None
    assert body["claimed_by"] == "ta1"
    assert score_of(graded.grade("ug1"), graded.q2) == Decimal(5)
    assert list(GradeChange.objects.values_list("pk", flat=True)) == history_before
    assert len(mail.outbox) == 1
    assert "rejected" in mail.outbox[0].subject
    assert "Q2 asks for the Hessian." in mail.outbox[0].body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "accepted", "response": "Yes"}, "new_score"),
        ({"decision": "accepted", "new_score": None, "response": "Yes"}, "new_score"),
        ({"decision": "accepted", "new_score": "10.5", "response": "Yes"}, "new_score"),
        ({"decision": "accepted", "new_score": "-1", "response": "Yes"}, "new_score"),
        ({"decision": "accepted", "new_score": "8"}, "response"),
        ({"decision": "maybe", "new_score": "8", "response": "Hm"}, "decision"),
    ],
    ids=["no-score", "null-score", "above-points", "negative", "no-response", "bad-decision"],
)
def test_bad_resolutions_are_field_errors_and_change_nothing(
    graded, api, open_request, world, data, field, django_capture_on_commit_callbacks
):
    act(api, world.ta, open_request.id, "claim")
    before = state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = act(api, world.ta, open_request.id, "resolve", **data)
    assert response.status_code == 400, response.json()
    assert field in error_of(response)["fields"]
    assert state() == before
    assert callbacks == []
    assert mail.outbox == []


def test_withdraw_an_open_request_and_then_resolving_it_is_a_conflict(
    graded, api, open_request, world, django_capture_on_commit_callbacks
):
    response = act(api, world.ug1, open_request.id, "withdraw")
    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"

    before = state()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            api, world.ta, open_request.id, "resolve", decision="accepted", new_score="9", response="ok"
        )
        assert response.status_code == 409
        assert error_of(response)["code"] == "conflict"
        assert act(api, world.ta, open_request.id, "claim").status_code == 409
        assert act(api, world.ug1, open_request.id, "withdraw").status_code == 409
    assert state() == before
    assert score_of(graded.grade("ug1"), graded.q2) == Decimal(5)
    assert mail.outbox == []


def test_only_the_student_withdraws_and_only_an_open_request(graded, api, open_request, world):
    before = state()
    assert act(api, world.ug2, open_request.id, "withdraw").status_code == 404
    assert act(api, world.ta, open_request.id, "withdraw").status_code == 404
    act(api, world.ta, open_request.id, "claim")
    response = act(api, world.ug1, open_request.id, "withdraw")
    assert response.status_code == 409
    error_of(response)
    assert RegradeRequest.objects.get(pk=open_request.pk).state == "claimed"
    assert state()[1:] == before[1:]


def test_claiming_a_claimed_request_is_a_conflict(graded, api, open_request, world, ta2):
    assert act(api, world.ta, open_request.id, "claim").status_code == 200
    before = state()
    for user in (ta2, world.ta, world.instructor):
        response = act(api, user, open_request.id, "claim")
        assert response.status_code == 409
        assert error_of(response)["code"] == "conflict"
    assert state() == before


def test_another_ta_cannot_resolve_a_claimed_request_but_the_instructor_can(
    graded, api, open_request, world, ta2
):
    act(api, world.ta, open_request.id, "claim")
    before = state()
    response = act(api, ta2, open_request.id, "resolve", decision="rejected", response="No")
    assert response.status_code == 409
    assert state() == before
    response = act(api, world.instructor, open_request.id, "resolve", decision="rejected", response="No")
    assert response.status_code == 200
    assert response.json()["resolved_by"] == "instructor"


def test_students_cannot_claim_or_resolve(graded, api, open_request, world):
    before = state()
    assert act(api, world.ug1, open_request.id, "claim").status_code == 403
    response = act(
        api, world.ug1, open_request.id, "resolve", decision="accepted", new_score="10", response="Me"
    )
    assert response.status_code == 403
    assert act(api, world.ug2, open_request.id, "claim").status_code == 404
    assert state() == before


# ---- appeals ----------------------------------------------------------------------------------------


def resolve_at(api, world, request_id, moment, decision="rejected", **extra):
    with at(moment):
        response = act(
            api, world.ta, request_id, "resolve", decision=decision, response="Marked correctly.", **extra
        )
    assert response.status_code == 200, response.json()


def appeal(api, user, request_id, moment, text="The TA missed page 2."):
    with at(moment):
        return act(api, user, request_id, "appeal", justification=text)


def test_appeal_once_to_the_instructor_within_the_window(
    graded, api, open_request, world, ta2, django_capture_on_commit_callbacks
):
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY)
    # Resolved early: the appeal may come until the regrade window closes.
    with django_capture_on_commit_callbacks(execute=True):
        response = appeal(api, world.ug1, open_request.id, WINDOW_ENDS - MINUTE)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["is_appeal"], body["appeal_of"], body["state"]) == (True, open_request.id, "open")
    appeal_id = body["id"]

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["instructor@example.edu"]
    assert "appeal" in mail.outbox[0].subject.lower()
    assert mail.outbox[0].subject.startswith(f"[{world.course.code}] Regrade appeal: ")
    assert mail.outbox[0].body.startswith(f"Hello {world.instructor.display_name},\n\n")
    assert "The TA missed page 2." in mail.outbox[0].body

    # Once only.
    before = state()
    response = appeal(api, world.ug1, open_request.id, WINDOW_ENDS - MINUTE)
    assert response.status_code == 400
    assert error_of(response)["code"] == "duplicate"
    assert state() == before

    # TAs cannot handle appeals.
    for ta in (world.ta, ta2):
        assert act(api, ta, appeal_id, "claim").status_code == 403
        response = act(api, ta, appeal_id, "resolve", decision="accepted", new_score="10", response="ok")
        assert response.status_code == 403
        error_of(response)
    assert state() == before

    with at(WINDOW_ENDS + DAY), django_capture_on_commit_callbacks(execute=True):
        response = act(
            api,
            world.instructor,
            appeal_id,
            "resolve",
            decision="accepted",
            new_score="7.5",
            response="Half credit.",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "accepted"
    assert score_of(graded.grade("ug1"), graded.q2) == Decimal("7.5")
    change = GradeChange.objects.latest("id")
    assert (change.source, change.old_score, change.new_score, change.changed_by) == (
        "appeal",
        Decimal(5),
        Decimal("7.5"),
        world.instructor,
    )
    assert mail.outbox[-1].to == ["ug1@example.edu"]

    # An appeal is final.
    response = appeal(api, world.ug1, appeal_id, WINDOW_ENDS + DAY)
    assert response.status_code == 400
    assert error_of(response)["code"] == "appeal_final"


def test_appeal_after_the_window_when_resolved_early_is_refused(graded, api, open_request, world):
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY)
    before = state()
    response = appeal(api, world.ug1, open_request.id, WINDOW_ENDS + MINUTE)
    assert response.status_code == 400
    assert error_of(response)["code"] == "window_closed"
    assert state() == before


@pytest.mark.parametrize(("offset", "status"), [(-MINUTE, 201), (MINUTE, 400)], ids=["inside", "outside"])
def test_a_late_resolution_leaves_48_hours_to_appeal(graded, api, open_request, world, offset, status):
    resolved = WINDOW_ENDS - HOUR
    resolve_at(api, world, open_request.id, resolved)
    response = appeal(api, world.ug1, open_request.id, resolved + timedelta(hours=48) + offset)
    assert response.status_code == status, response.json()
    if status == 400:
        assert error_of(response)["code"] == "window_closed"
        assert not RegradeRequest.objects.filter(appeal_of=open_request).exists()


def test_only_a_resolved_request_of_ones_own_can_be_appealed(graded, api, open_request, world):
    before = state()
    response = appeal(api, world.ug1, open_request.id, RELEASED_AT + 2 * DAY)
    assert response.status_code == 400
    assert error_of(response)["code"] == "not_resolved"
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY)
    assert appeal(api, world.ug2, open_request.id, RELEASED_AT + 3 * DAY).status_code == 404
    assert appeal(api, world.ta, open_request.id, RELEASED_AT + 3 * DAY).status_code == 404
    assert state()[1:] == before[1:]
    assert RegradeRequest.objects.count() == 1


def test_a_request_accepted_at_full_marks_cannot_be_appealed(graded, api, open_request, world):
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY, decision="accepted", new_score="10")
    before = state()
    response = appeal(api, world.ug1, open_request.id, RELEASED_AT + 3 * DAY)
    body = error_of(response, 400)
    assert body["code"] == "full_marks"
    assert "full marks" in body["detail"]
    assert state() == before


@pytest.mark.parametrize(("new_score", "offered"), [("10", False), ("9.5", True)], ids=["full", "below-full"])
def test_the_answer_by_mail_offers_an_appeal_only_where_one_is_possible(
    graded, api, open_request, world, new_score, offered
):
    from portal.models import SentMail

    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY, decision="accepted", new_score=new_score)
    body = SentMail.objects.get(key=f"regrade-resolved:{open_request.id}").body
    assert ("You may appeal this answer once" in body) is offered


def test_a_request_accepted_below_full_marks_can_be_appealed(graded, api, open_request, world):
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY, decision="accepted", new_score="9.5")
    assert appeal(api, world.ug1, open_request.id, RELEASED_AT + 3 * DAY).status_code == 201


NOT_APPEALED, APPEALED = False, True
RESOLVED = RELEASED_AT + 2 * DAY


def made(state, *, new_score=None, appeal_of_id=None, resolved_at=RESOLVED):
    """A request on a 10-point question (unsaved: the rule is a pure function)."""
    from courses.models import Assignment, Course
    from grading.models import Grade, Question

    assignment = Assignment(code="PS0", course=Course(code="CS 4644", time_zone="America/New_York"))
    return RegradeRequest(
        grade=Grade(assignment=assignment, regrade_deadline=WINDOW_ENDS),
        question=Question(label="Q2", points=Decimal(10)),
        state=state,
        new_score=new_score,
        appeal_of_id=appeal_of_id,
        resolved_at=resolved_at if state in RegradeRequest.RESOLVED else None,
    )


@pytest.mark.parametrize(
    ("request_", "appealed", "moment", "refused"),
    [
        (made("rejected"), NOT_APPEALED, WINDOW_ENDS - MINUTE, None),
        (made("accepted", new_score=Decimal("9.99")), NOT_APPEALED, WINDOW_ENDS - MINUTE, None),
        (made("accepted", new_score=Decimal(10)), NOT_APPEALED, WINDOW_ENDS - MINUTE, "full_marks"),
        (made("accepted", new_score=Decimal(10), appeal_of_id=1), NOT_APPEALED, RESOLVED, "appeal_final"),
        (made("rejected", appeal_of_id=1), NOT_APPEALED, RESOLVED, "appeal_final"),
        (made("open"), NOT_APPEALED, RESOLVED, "not_resolved"),
        (made("claimed"), NOT_APPEALED, RESOLVED, "not_resolved"),
        (made("withdrawn"), NOT_APPEALED, RESOLVED, "not_resolved"),
        (made("rejected"), APPEALED, RESOLVED, "duplicate"),
        (made("rejected"), NOT_APPEALED, WINDOW_ENDS + MINUTE, "window_closed"),
        # Resolved an hour before the window closed: 48 hours from the resolution.
        (made("rejected", resolved_at=WINDOW_ENDS - HOUR), NOT_APPEALED, WINDOW_ENDS + 46 * HOUR, None),
    ],
    ids=[
        "rejected",
        "accepted-below-full",
        "accepted-at-full-marks",
        "an-appeal-at-full-marks",
        "an-appeal",
        "open",
        "claimed",
        "withdrawn",
        "appealed-already",
        "after-the-window",
        "48-hours-after-a-late-answer",
    ],
)
def test_the_appeal_rule_as_cases(request_, appealed, moment, refused):
    """The one rule the appeal service and the My grades page ask."""
    from grading.services.regrades import regrade_appeal_refusal

    refusal = regrade_appeal_refusal(request_, now=moment, appealed=appealed)
    assert (refusal.code if refusal else None) == refused
    if refusal:
        assert refusal.detail.endswith(".")


def test_claiming_and_withdrawing_are_audited(graded, api, open_request, world):
    from courses.models import AuditEvent

    with at(RELEASED_AT + DAY):
        assert act(api, world.ta, open_request.id, "claim").status_code == 200
        second = create(api, world.ug2, graded.grade("ug2"), graded.q1).json()
        assert act(api, world.ug2, second["id"], "withdraw").status_code == 200
    claim = AuditEvent.objects.get(action="regrade.claim")
    assert (claim.actor, claim.course, claim.data["request_id"]) == (world.ta, world.course, open_request.id)
    withdraw = AuditEvent.objects.get(action="regrade.withdraw")
    assert (withdraw.actor, withdraw.data["request_id"]) == (world.ug2, second["id"])


# ---- students who left the course -------------------------------------------------------------------


def drop(user, course):
    from courses.models import Enrolment

    Enrolment.objects.filter(user=user, section__course=course).update(status=Enrolment.Status.DROPPED)


def test_a_student_who_dropped_the_course_cannot_ask_for_a_regrade(graded, api, world):
    drop(world.ug1, world.course)
    before = state()
    with at(RELEASED_AT + DAY):
        response = create(api, world.ug1, graded.grade("ug1"), graded.q2)
    assert response.status_code == 403
    body = error_of(response)
    assert body["code"] == "not_enrolled"
    assert "no longer enrolled" in body["detail"] and "instructor" in body["detail"]
    assert state() == before
    # Their released grade still shows; only the request is refused.
    assert api.as_user(world.ug1).get(f"/api/v1/grades/{graded.grade('ug1').id}/").status_code == 200


def test_a_student_who_dropped_the_course_cannot_appeal(graded, api, open_request, world):
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY)
    drop(world.ug1, world.course)
    before = state()
    response = appeal(api, world.ug1, open_request.id, RELEASED_AT + 3 * DAY)
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_enrolled"
    assert state() == before


def test_a_dropped_student_may_still_withdraw_an_open_request(graded, api, open_request, world):
    drop(world.ug1, world.course)
    with at(RELEASED_AT + 2 * DAY):
        response = act(api, world.ug1, open_request.id, "withdraw")
    assert response.status_code == 200, response.json()
    assert RegradeRequest.objects.get(pk=open_request.id).state == RegradeRequest.State.WITHDRAWN


# ---- one answered request per question ----------------------------------------------------------------


def test_an_answered_question_is_appealed_not_asked_again(graded, api, open_request, world):
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY)
    before = state()
    with at(RELEASED_AT + 3 * DAY):
        response = create(api, world.ug1, graded.grade("ug1"), graded.q2, justification="Asking again.")
    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "already_answered"
    assert "appeal that answer once to the instructor" in body["detail"]
    assert state() == before
    # Another question of the same grade may still be asked about.
    with at(RELEASED_AT + 3 * DAY):
        assert create(api, world.ug1, graded.grade("ug1"), graded.q1).status_code == 201


def test_after_a_final_appeal_no_new_request_reopens_the_question(graded, api, open_request, world):
    resolve_at(api, world, open_request.id, RELEASED_AT + 2 * DAY)
    appeal_id = appeal(api, world.ug1, open_request.id, RELEASED_AT + 3 * DAY).json()["id"]
    with at(RELEASED_AT + 4 * DAY):
        answer = act(api, world.instructor, appeal_id, "resolve", decision="rejected", response="Final.")
    assert answer.status_code == 200, answer.json()
    before = state()
    with at(RELEASED_AT + 5 * DAY):
        response = create(api, world.ug1, graded.grade("ug1"), graded.q2, justification="New request.")
    assert response.status_code == 400
    assert error_of(response)["code"] == "appeal_final"
    assert state() == before
