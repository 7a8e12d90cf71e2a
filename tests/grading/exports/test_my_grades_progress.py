"""My grades' progress picture (issue 14, Student): per category, what the student earned against the
category's weight, with the same numbers as the breakdown export (grading.totals is their one source)."""

import re
from decimal import Decimal

from django.urls import reverse

from grading.services import exports
from tests.grading.exports.conftest import parse_csv, release


def breakdown_row(scheme, username: str) -> dict[str, str]:
    w = scheme.world
    export = exports.grade_export_request(
        acting_user=w.instructor, course_id=scheme.course.id, format="breakdown"
    )
    exports.grade_export_run(export_id=export.id)
    export.refresh_from_db()
    rows = parse_csv(export.file.read())
    return next(dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[1] == username)


def progress_rows(html: str) -> dict[str, dict[str, str]]:
    """The table beside the picture: category label -> {column label: text}."""
    table = re.search(r"<table[^>]*data-progress-table.*?</table>", html, re.S).group(0)
    out = {}
    for row in re.findall(r"<tr data-category=.*?</tr>", table, re.S):
        label = re.search(r'<th scope="row">([^<]+)</th>', row).group(1)
        cells = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>([^<]*)</td>', row))
        out[label] = cells
    return out


def test_the_picture_has_the_export_numbers(graded, api, client):
    w = graded.world
    for assignment in (graded.ps0, graded.ps1, graded.hw1, graded.project, graded.participation):
        release(api, w.instructor, assignment)
    client.force_login(w.ug1)
    html = client.get(reverse("my-grades")).content.decode()
    shown = progress_rows(html)
    row = breakdown_row(graded, "ug1")

    assert list(shown) == ["Problem set", "Homework", "Final project", "Bonus"]  # PS0 counts nothing
    for label, weight in (("Problem set", 9), ("Homework", 9), ("Final project", 28)):
        assert shown[label]["Earned"] == row[f"{label} (of {weight}.00%)"], label
        assert shown[label]["Weight"] == f"{weight}%"
    assert shown["Bonus"]["Earned"] == row["Bonus"]
    assert shown["Bonus"]["Weight"] == "up to 1%"
    total = re.search(r"<strong data-total-percent>([\d.]+)%</strong>", html).group(1)
    assert total == row["Graded so far %"]
    # ug1: PS1 80 of 100 at 9% -> 7.20; HW1 95 of 100 (extra credit included) at 9% -> 8.55.
    assert shown["Problem set"]["Earned"] == "7.20"
    assert shown["Homework"]["Points"].strip() == "95.00 / 100"
    # Each bar is drawn from the same numbers: earned 7.20 of the category's 9% is 80%.
    bar = re.search(r'<li data-category="problem_set">.*?</li>', html, re.S).group(0)
    assert 'class="earned" x="0" y="0" width="80.00%"' in bar
    assert 'class="graded" x="0" y="0" width="100.00%"' in bar
    assert (
        'role="img" aria-label="Problem set: 7.20% of the course earned out of 9%; 9% graded so far"' in bar
    )


def test_work_not_yet_released_is_not_drawn_as_graded(graded, api, client):
    w = graded.world
    release(api, w.instructor, graded.ps1)  # only PS1 released
    client.force_login(w.ug1)
    shown = progress_rows(client.get(reverse("my-grades")).content.decode())
    assert shown["Problem set"]["Graded so far"] == "9%"
    assert shown["Homework"]["Graded so far"] == "0%"
    assert shown["Homework"]["Points"].strip() == "nothing graded yet"
    assert Decimal(shown["Final project"]["Earned"]) == 0
