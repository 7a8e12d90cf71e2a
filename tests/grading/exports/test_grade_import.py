"""Gradescope-style grade imports through POST /api/v1/courses/{id}/grade-imports/: every real-world
CSV quirk accepted, every score written through the grade history, all or nothing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import AuditEvent
from grading.models import Grade, GradeChange, Question, QuestionScore
from tests.factories import AssignmentFactory, eastern
from tests.grading.factories import QuestionFactory
from tests.importing import imported, job_error, post_import

HEADER = [
    "Name",
    "SID",
    "Email",
    "Total Score",
    "Max Points",
    "Status",
    "Submission ID",
    "Submission Time",
    "Lateness (H:M:S)",
    "1: Q1 (25.0 pts)",
    "2: Q2 (25.0 pts)",
]
SIS = {"ug1": "0901234", "ug2": "0901235", "gr1": "0907643"}


def gradescope(rows: list[list[str]], *, delimiter=",", header=HEADER, trailing=2) -> bytes:
    """A file the way Excel saves Gradescope's export: a BOM, CRLF line ends, IDs as ="0901234" text and
    empty columns after the last one."""
    lines = [delimiter.join(header + [""] * trailing)]
    lines += [delimiter.join(row + [""] * trailing) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def row(name, username, q1, q2, *, sid=None, status="Graded", sep="."):
    """One student's line; "Total Score" is informational (the import reads the question columns)."""
    sid = SIS.get(username, "") if sid is None else sid
    return [
        name,
        f'="{sid}"',
        f"{username}@example.edu",
        "" if q1 == "" else f"45{sep}5",
        f"50{sep}0",
        status,
        "123456",
        "2023-03-01 21:14:03 -0500",
        "0:00:00",
        q1,
        q2,
    ]


@pytest.fixture
def ps2(scheme):
    w = scheme.world
    for username, sis_id in SIS.items():
        user = getattr(w, username)
        user.sis_id = sis_id
        user.save(update_fields=["sis_id"])
    assignment = AssignmentFactory(
        course=scheme.course,
        code="PS2",
        title="Problem set 2",
        category="problem_set",
        due_at=eastern(2023, 3, 1),
    )
    QuestionFactory(assignment=assignment, label="Q1", points=25, position=0)
    QuestionFactory(assignment=assignment, label="Q2", points=25, position=1)
    return assignment


def post(api, user, course, assignment, content: bytes, name="ps2_scores.csv"):
    return post_import(
        api.as_user(user),
        reverse("api-grade-imports", args=[course.id]),
        {"assignment": assignment.id, "file": SimpleUploadedFile(name, content, "text/csv")},
    )


def scores_of(assignment) -> dict[tuple[str, str], Decimal]:
    return {
        (s.grade.student.username, s.question.label): s.score
        for s in QuestionScore.objects.filter(grade__assignment=assignment).select_related(
            "grade__student", "question"
        )
    }


def nothing_written():
    return (Grade.objects.count(), QuestionScore.objects.count(), GradeChange.objects.count()) == (0, 0, 0)


GOOD = [
    row("Ada Lovelace", "ug1", "22.5", "23.0"),
    row("Alan Turing", "ug2", "25.0", "0.0"),
    row("Grace Hopper", "gr1", "", "", status="Missing"),  # no submission on Gradescope: skipped
]
EXPECTED = {
    ("ug1", "Q1"): Decimal("22.5"),
    ("ug1", "Q2"): Decimal("23"),
    ("ug2", "Q1"): Decimal("25"),
    ("ug2", "Q2"): Decimal("0"),
}


def test_a_gradescope_export_imports_through_the_history(scheme, ps2, api):
    w = scheme.world
    content = gradescope(GOOD)
    assert content.startswith(b"\xef\xbb\xbf") and b'="0901234"' in content and b",,\r\n" in content
    response = post(api, w.ta, scheme.course, ps2, content)
    assert imported(response) == {"rows": 2, "scores_changed": 4}
    assert scores_of(ps2) == EXPECTED

    changes = GradeChange.objects.filter(grade__assignment=ps2).select_related("grade__student", "question")
    assert len(changes) == 4
    assert {(c.source, c.changed_by_id, c.old_score) for c in changes} == {("import", w.ta.id, None)}
    assert {c.reason for c in changes if c.grade.student == w.ug1} == {"Imported from CSV (line 2)"}
    assert not Grade.objects.filter(assignment=ps2, student=w.gr1).exists()
    assert AuditEvent.objects.filter(action="grades.import", actor=w.ta, target="PS2").count() == 1


def test_importing_the_same_file_again_changes_nothing(scheme, ps2, api):
    w = scheme.world
    content = gradescope(GOOD)
    imported(post(api, w.ta, scheme.course, ps2, content))
    history = list(GradeChange.objects.values_list("id", flat=True))
    response = post(api, w.instructor, scheme.course, ps2, content)
    assert imported(response) == {"rows": 2, "scores_changed": 0}
    assert list(GradeChange.objects.values_list("id", flat=True)) == history
    assert scores_of(ps2) == EXPECTED

    # One corrected score: exactly one new history row, from the old value to the new one.
    fixed = [row("Ada Lovelace", "ug1", "24.0", "23.0"), *GOOD[1:]]
    response = post(api, w.ta, scheme.course, ps2, gradescope(fixed))
    assert imported(response) == {"rows": 2, "scores_changed": 1}
    change = GradeChange.objects.exclude(id__in=history).get()
    assert (change.question.label, change.old_score, change.new_score, change.source) == (
        "Q1",
        Decimal("22.5"),
        Decimal("24"),
        "import",
    )


def test_a_semicolon_file_with_decimal_commas_imports_the_same(scheme, ps2, api):
    """Excel in a European locale saves with ";" between cells and "22,5" for 22.5."""
    w = scheme.world
    rows = [
        row("Ada Lovelace", "ug1", "22,5", "23,0", sep=","),
        row("Alan Turing", "ug2", "25,0", "0,0", sep=","),
        row("Grace Hopper", "gr1", "", "", status="Missing", sep=","),
    ]
    content = gradescope(rows, delimiter=";")
    assert b";22,5;23,0;" in content
    response = post(api, w.ta, scheme.course, ps2, content)
    assert imported(response) == {"rows": 2, "scores_changed": 4}
    assert scores_of(ps2) == EXPECTED


def test_students_are_found_by_email_when_the_sid_is_empty(scheme, ps2, api):
    w = scheme.world
    content = gradescope([row("Ada Lovelace", "ug1", "20", "21", sid="")])
    response = post(api, w.ta, scheme.course, ps2, content)
    imported(response)
    assert scores_of(ps2) == {("ug1", "Q1"): Decimal(20), ("ug1", "Q2"): Decimal(21)}


def test_a_malformed_import_names_every_bad_line_and_changes_nothing(scheme, ps2, api):
    w = scheme.world
    rows = [
        row("Ada Lovelace", "ug1", "22.5", "23.0"),  # line 2: fine
        row("Nobody Known", "nobody", "10", "10", sid="0999999"),  # line 3: unknown student
        row("Alan Turing", "ug2", "26.0", "0.0"),  # line 4: above Q1's 25 points
        row("Grace Hopper", "gr1", "25", "n/a"),  # line 5: not a number
        row("Ada Lovelace", "ug1", "1", "1"),  # line 6: ug1 again
    ]
    response = post(api, w.ta, scheme.course, ps2, gradescope(rows))
    body = job_error(response)
    assert body["code"] == "invalid_rows"
    assert set(body["fields"]) == {"line 3", "line 4", "line 5", "line 6"}
    assert "0999999" in body["fields"]["line 3"]
    assert "Q1" in body["fields"]["line 4"] and "25" in body["fields"]["line 4"]
    assert "'n/a' is not a number" in body["fields"]["line 5"]
    assert "line 2" in body["fields"]["line 6"]
    assert "Nothing was imported" in body["detail"]
    assert nothing_written()
    assert not AuditEvent.objects.filter(action="grades.import").exists()


def test_a_negative_score_is_refused(scheme, ps2, api):
    response = post(api, scheme.world.ta, scheme.course, ps2, gradescope([row("Ada", "ug1", "-1", "3")]))
    assert job_error(response)["fields"].keys() == {"line 2"}
    assert nothing_written()


def test_an_unknown_question_column_is_a_bad_header(scheme, ps2, api):
    w = scheme.world
    header = [*HEADER, "3: Q3 (10.0 pts)"]
    content = gradescope([[*row("Ada Lovelace", "ug1", "20", "20"), "5"]], header=header)
    response = post(api, w.ta, scheme.course, ps2, content)
    body = job_error(response)
    assert body["code"] == "bad_header"
    assert "Q3" in body["detail"]
    assert nothing_written()


def test_a_bad_header_leaves_even_an_ungraded_assignment_untouched(scheme, api):
    """PS3 has no questions yet (an import would give it one "Total" question): a refused import leaves
    it without any."""
    ps3 = AssignmentFactory(course=scheme.course, code="PS3", category="problem_set")
    response = post(api, scheme.world.ta, scheme.course, ps3, gradescope([row("Ada", "ug1", "1", "2")]))
    assert job_error(response)["code"] == "bad_header"
    assert not Question.objects.filter(assignment=ps3).exists()
    assert nothing_written()


def test_a_file_without_a_student_column_is_a_bad_header(scheme, ps2, api):
    content = b"Name,1: Q1 (25.0 pts),2: Q2 (25.0 pts)\r\nAda,1,2\r\n"
    response = post(api, scheme.world.ta, scheme.course, ps2, content)
    assert job_error(response)["code"] == "bad_header"
    assert nothing_written()


def test_only_the_courses_staff_import(scheme, ps2, api):
    w = scheme.world
    content = gradescope(GOOD)
    response = post(api, w.ug1, scheme.course, ps2, content)
    assert response.status_code in (403, 404)
    assert post(api, w.other_ta, scheme.course, ps2, content).status_code == 404
    assert post(api, w.other_student, scheme.course, ps2, content).status_code == 404
    # The assignment must belong to the course in the URL.
    assert post(api, w.ta, w.other_course, ps2, content).status_code == 404
    assert nothing_written()


def test_scores_imported_after_the_release_are_released_at_once(scheme, ps2, api):
    """PS2's grades were released before the import: the imported grades are released too, with the
    week-long regrade window starting at the import, and the student sees them."""
    w = scheme.world
    response = api.as_user(w.instructor).post(reverse("api-release-grades", args=[ps2.id]), {}, format="json")
    assert response.status_code == 200, response.content
    imported(post(api, w.ta, scheme.course, ps2, gradescope(GOOD)))
    grade = Grade.objects.get(assignment=ps2, student=w.ug1)
    assert grade.released_at is not None
    assert (grade.regrade_deadline - grade.released_at).days == 7
    mine = api.as_user(w.ug1).get(reverse("api-grades"), {"assignment": ps2.id}).json()
    rows = mine["results"] if isinstance(mine, dict) else mine
    assert [(g["student"], g["total"]) for g in rows] == [("ug1", "45.50")]


# ---- rows that cannot be read one way ------------------------------------------------------------------


def test_a_row_with_more_cells_than_the_header_is_refused(scheme, ps2, api):
    """An unquoted decimal comma in a comma-separated file ("22,5") splits a score in two and shifts every
    later cell: the row is refused, never read shifted (Q1 22, Q2 5 and the real Q2 score dropped)."""
    w = scheme.world
    text = "Username,Q1 (25.0 pts),Q2 (25.0 pts)\r\nug1,22,5,23\r\nug2,25,0\r\n"
    body = job_error(post(api, w.ta, scheme.course, ps2, text.encode()))
    assert body["code"] == "invalid_rows"
    assert list(body["fields"]) == ["line 2"]
    assert "4 cells and the header 3 columns" in body["fields"]["line 2"]
    assert "write 7.5, or quote the cell" in body["fields"]["line 2"]
    assert nothing_written()
    # Quoted, the same score reads as 22.5; trailing empty cells (Excel's) are fine.
    text = 'Username,Q1 (25.0 pts),Q2 (25.0 pts)\r\nug1,"22,5",23,,\r\n'
    imported(post(api, w.ta, scheme.course, ps2, text.encode()))
    assert scores_of(ps2) == {("ug1", "Q1"): Decimal("22.5"), ("ug1", "Q2"): Decimal(23)}


@pytest.mark.parametrize("cell", ["1,000", "2,500", "-1,250"])
def test_a_comma_before_three_digits_is_refused_as_ambiguous(scheme, ps2, api, cell):
    w = scheme.world
    text = f'Username,Q1 (25.0 pts)\r\nug1,"{cell}"\r\n'
    body = job_error(post(api, w.ta, scheme.course, ps2, text.encode()))
    assert body["fields"] == {
        "line 2": f"Q1 score {cell!r} could be read two ways: write it without the comma, or with a point"
    }
    assert nothing_written()


def test_each_id_column_finds_students_by_its_own_kind_of_id(scheme, ps2, api):
    """A SID cell never matches a username (nor an e-mail a SID): a student whose login happens to look
    like a registrar's id is not the student a SID names."""
    w = scheme.world
    w.ug2.username = "0905555"  # a login that looks like a registrar's id; no student has that SID
    w.ug2.save(update_fields=["username"])
    text = "SID,Q1 (25.0 pts)\r\n0905555,20\r\n"
    body = job_error(post(api, w.ta, scheme.course, ps2, text.encode()))
    assert body["fields"] == {"line 2": "no student of this course matches SID '0905555'"}
    assert nothing_written()
    text = "Username,Q1 (25.0 pts)\r\n0905555,20\r\n"
    imported(post(api, w.ta, scheme.course, ps2, text.encode()))
    assert scores_of(ps2) == {("0905555", "Q1"): Decimal(20)}


def test_ids_naming_two_students_are_refused(scheme, ps2, api):
    w = scheme.world
    content = gradescope([row("Ada Lovelace", "ug1", "20", "21", sid=SIS["ug2"])])  # ug2's SID, ug1's e-mail
    body = job_error(post(api, w.ta, scheme.course, ps2, content))
    assert body["fields"]["line 2"] == (
        "SID '0901235', Email 'ug1@example.edu' do not name one student; correct the row's ids"
    )
    assert nothing_written()
    # A SID the portal does not know beside the e-mail of a student without a SID finds that student.
    type(w.ug1).objects.filter(pk=w.ug1.pk).update(sis_id="")
    imported(post(api, w.ta, scheme.course, ps2, gradescope([row("Ada", "ug1", "20", "21", sid="0909999")])))
    assert scores_of(ps2) == {("ug1", "Q1"): Decimal(20), ("ug1", "Q2"): Decimal(21)}
