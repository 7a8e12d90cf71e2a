"""The Canvas export identifies students the way Canvas's gradebook import matches them (issue 13,
item 8).

Canvas reads `ID` as its own user id and tries it first: a portal id there (4, 41, …) could be some
other student's Canvas id, and the scores would land on that student. So `ID` holds the Canvas user id
when the roster brought it and is blank otherwise, and Canvas then matches by `SIS User ID` (the
registrar's id) and `SIS Login ID` (the university login, the portal's username), which are always
written.
"""

from courses.models import User
from tests.courses.waitlist.test_roster_import import csv_bytes, upload
from tests.grading.exports.test_export import export_csv
from tests.importing import imported

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def identities(rows) -> dict[str, list[str]]:
    """SIS Login ID -> the row's first five cells."""
    assert rows[0][:5] == IDENTITY
    assert rows[1][0] == "    Points Possible" and rows[1][1:5] == ["", "", "", ""]
    return {row[3]: row[:5] for row in rows[2:]}


def test_the_canvas_id_when_known_blank_otherwise_and_the_sis_ids_always(
    world, api, django_capture_on_commit_callbacks
):
    users = {u.username: u for u in (world.ug1, world.ug2, world.gr1)}
    users["ug1"].canvas_user_id = "104233"
    users["gr1"].sis_id = ""  # no registrar id either: the login still identifies them
    for user in users.values():
        user.save()

    rows = export_csv(api, world.instructor, world.course, "canvas", django_capture_on_commit_callbacks)

    found = identities(rows)
    assert set(found) == {"ug1", "ug2", "gr1"}
    assert found["ug1"][1:4] == ["104233", users["ug1"].sis_id, "ug1"]
    assert found["ug2"][1:4] == ["", users["ug2"].sis_id, "ug2"]
    assert found["gr1"][1:4] == ["", "", "gr1"]
    assert users["ug2"].sis_id  # written whenever known
    # The portal's own ids never stand in for Canvas's.
    portal_ids = {str(u.id) for u in users.values()}
    assert not portal_ids & {row[1] for row in found.values()}


def test_ids_from_a_canvas_gradebook_export_come_back_in_the_export(
    world, api, django_capture_on_commit_callbacks
):
    """The round trip an instructor makes: export the gradebook from Canvas, import it as the roster here
    (it fills the Canvas ids), grade, export for Canvas: every row carries the id Canvas gave it."""
    canvas_gradebook = csv_bytes(
        "Student,ID,SIS User ID,SIS Login ID,Section",
        "    Points Possible,,,,",
        f'"{world.ug1.sortable_name}",2001,{world.ug1.sis_id},ug1,CS 4644',
        f'"{world.gr1.sortable_name}",2002,{world.gr1.sis_id},gr1,CS 7643-A',
    )
    body = imported(upload(api, world.instructor, world.course, canvas_gradebook, "canvas.csv"))
    assert body["kept"] == []

    rows = export_csv(api, world.instructor, world.course, "canvas", django_capture_on_commit_callbacks)

    found = identities(rows)
    assert found["ug1"][1:4] == ["2001", world.ug1.sis_id, "ug1"]
    assert found["gr1"][1:4] == ["2002", world.gr1.sis_id, "gr1"]
    assert found["ug2"][1:4] == ["", world.ug2.sis_id, "ug2"]  # not in Canvas's file: no Canvas id
    assert User.objects.get(username="ug2").canvas_user_id == ""
