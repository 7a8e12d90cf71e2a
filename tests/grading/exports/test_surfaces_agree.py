"""Property test (issue 11): whatever the scores and the per-section requirements, every surface shows the
same numbers: the grades API, the grade grid, My grades, the breakdown export, the Canvas export and the
readiness flag. Derandomized: the same examples every run."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from grading.selectors import readiness_by_student
from grading.services import exports
from grading.totals import two_places
from tests.grading.exports.conftest import Requirement, enter, parse_csv, release, requirement, submit_on_time

REQUIREMENTS = st.sampled_from([Requirement.REQUIRED, Requirement.EXTRA_CREDIT, Requirement.NOT_APPLICABLE])


def score_for(points: int):
    return st.integers(min_value=0, max_value=points * 100).map(lambda cents: Decimal(cents) / 100)


HW1_POINTS = {"Q1": 30, "Q2": 30, "Q3": 40, "Q4": 10}
PS0_POINTS = {"Q1": 50, "Q2": 50}
CASE = st.fixed_dictionaries(
    {
        "hw1_req": st.fixed_dictionaries(
            {label: st.tuples(REQUIREMENTS, REQUIREMENTS) for label in HW1_POINTS}
        ),
        "ps0_req": st.tuples(REQUIREMENTS, REQUIREMENTS),  # PS0 Q2 for (CS 4644, CS 7643-A)
        "ug1": st.fixed_dictionaries({label: score_for(p) for label, p in HW1_POINTS.items()}),
        "gr1": st.fixed_dictionaries({label: score_for(p) for label, p in HW1_POINTS.items()}),
        "ug1_ps0": st.fixed_dictionaries({label: score_for(p) for label, p in PS0_POINTS.items()}),
        "gr1_ps0": st.fixed_dictionaries({label: score_for(p) for label, p in PS0_POINTS.items()}),
    }
)


class Rollback(Exception):
    pass


@pytest.fixture
def submitted(scheme, api):
    w = scheme.world
    for user in (w.ug1, w.gr1):
        submit_on_time(api, user, scheme.hw1)
        submit_on_time(api, user, scheme.ps0)
    return scheme


def money(value) -> str:
    return f"{two_places(Decimal(value)):.2f}"


@settings(
    max_examples=20,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a failure prints its case
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=CASE)
def test_every_surface_shows_the_same_numbers(submitted, api, client, case):
    try:
        with transaction.atomic():
            _check(submitted, api, client, case)
            raise Rollback
    except Rollback:
        pass


def _check(scheme, api, client, case):
    w = scheme.world
    sections = (w.ug_section, w.gr_section)
    for label, pair in case["hw1_req"].items():
        for section, value in zip(sections, pair, strict=True):
            requirement(scheme.q(scheme.hw1, label), section, value)
    for section, value in zip(sections, case["ps0_req"], strict=True):
        requirement(scheme.q(scheme.ps0, "Q2"), section, value)
    students = {"ug1": w.ug1, "gr1": w.gr1}
    for username, user in students.items():
        enter(api, w.ta, scheme.hw1, user, case[username])
        enter(api, w.ta, scheme.ps0, user, case[f"{username}_ps0"])
    release(api, w.instructor, scheme.hw1)

    # The grades API (staff list) is the reference.
    listed = api.as_user(w.instructor).get(reverse("api-grades"), {"assignment": scheme.hw1.id}).json()
    api_points = {g["student"]: (g["total"], g["points_possible"]) for g in listed["results"]}

    # The breakdown export: HW1 raw and possible, PS0 raw and possible, the readiness flag.
    export = exports.grade_export_request(
        acting_user=w.instructor, course_id=scheme.course.id, format="breakdown"
    )
    exports.grade_export_run(export_id=export.id)
    export.refresh_from_db()
    rows = parse_csv(export.file.read())
    head = rows[0]
    col = {name: i for i, name in enumerate(head)}
    breakdown = {row[col["Username"]]: row for row in rows[1:]}

    canvas = exports.grade_export_request(
        acting_user=w.instructor, course_id=scheme.course.id, format="canvas"
    )
    exports.grade_export_run(export_id=canvas.id)
    canvas.refresh_from_db()
    canvas_rows = parse_csv(canvas.file.read())
    hw1_column = canvas_rows[0].index(f"{scheme.hw1.title} ({scheme.hw1.id})")
    canvas_by_login = {row[3]: row for row in canvas_rows[2:]}

    readiness = readiness_by_student(scheme.course)

    client.force_login(w.ta)
    grid = client.get(reverse("grade-grid", args=[scheme.hw1.id])).content.decode()

    for username, user in students.items():
        earned, possible = api_points[username]
        row = breakdown[username]
        assert (row[col["HW1 raw"]], row[col["HW1 possible"]]) == (earned, possible)
        # Canvas: the HW1 column is the score on HW1's own point scale.
        expected_column = (
            money(Decimal(earned) / Decimal(possible) * scheme.hw1.points) if Decimal(possible) else ""
        )
        assert canvas_by_login[username][hw1_column] == expected_column
        # The grade grid shows the same earned / possible.
        assert f"{earned} / {possible}" in grid
        # The student's own My grades page.
        client.force_login(user)
        assert f"{earned} / {possible}" in client.get(reverse("my-grades")).content.decode()
        # Readiness is PS0's raw / possible, by the same section rule.
        ps0_raw, ps0_possible = Decimal(row[col["PS0 raw"]]), Decimal(row[col["PS0 possible"]])
        if ps0_possible:
            shown = dict(readiness[user.id].results)["PS0"]
            percent = ps0_raw * 100 / ps0_possible
            assert shown == percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # as every figure
            flagged = percent <= scheme.course.readiness_threshold_percent
            assert readiness[user.id].flagged == flagged  # PS0 is the only preparation graded here
            assert (row[col["May not be prepared"]] == "yes") == flagged
        client.force_login(w.ta)
