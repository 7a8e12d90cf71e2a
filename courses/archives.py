"""An assignment's latest submissions as one zip archive, streamed: each file is read chunk by chunk while
the archive is sent, so memory stays that of one chunk however many files there are (zipstream-ng).

Entries are `<section>/<username>/<file name>` (every part through portal.downloads.safe_name: no path
traversal, nothing a zip reader would refuse), plus `manifest.csv` at the top, written last so that it can
say which files were missing from storage or changed since they were submitted."""

import hashlib
import io
from collections.abc import Iterable, Iterator

from zipstream import ZIP_STORED, ZipStream

from courses.models import Submission
from portal import csvsafe
from portal.downloads import safe_name
from portal.zones import in_zone

CHUNK = 256 * 1024
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = [
    "username",
    "name",
    "section",
    "submitted_at",
    "status",
    "original_name",
    "size",
    "sha256",
    "path",
    "note",
]


def entry_paths(submissions: Iterable[Submission]) -> dict[int, str]:
    """A unique, safe path in the archive for each submission (id -> path)."""
    paths: dict[int, str] = {}
    taken = {MANIFEST}
    for s in submissions:
        name = safe_name(s.original_name or s.file.name.rsplit("/", 1)[-1], fallback=f"submission-{s.id}")
        section = (s.section_code or "").replace("/", "-")  # a code like "CS 4644/7643" is one folder
        folder = f"{safe_name(section, fallback='no section')}/{safe_name(s.student.username)}"
        path, n = f"{folder}/{name}", 1
        while path.casefold() in taken:  # case-insensitive file systems would merge the two
            n += 1
            stem, dot, extension = name.rpartition(".")
            path = f"{folder}/{stem} ({n}).{extension}" if dot and stem else f"{folder}/{name} ({n})"
        taken.add(path.casefold())
        paths[s.id] = path
    return paths


class _Read:
    """What reading one file found: its digest and size, or that it was missing."""

    def __init__(self):
        self.digest = hashlib.sha256()
        self.size = 0
        self.missing = False


def _chunks(submission: Submission, read: _Read) -> Iterator[bytes]:
    """The file's bytes, opened only when the archive reaches it and closed right after."""
    storage = submission.file.storage
    try:
        file = storage.open(submission.file.name, "rb")
    except (OSError, ValueError):
        read.missing = True
        return
    with file:
        while chunk := file.read(CHUNK):
            read.digest.update(chunk)
            read.size += len(chunk)
            yield chunk


def _note(submission: Submission, read: _Read) -> str:
    if read.missing:
        return "missing from storage: the entry is empty"
    if submission.sha256 and read.digest.hexdigest() != submission.sha256:
        return f"changed since it was submitted: SHA-256 in this archive {read.digest.hexdigest()}"
    return ""


def _manifest(submissions: list[Submission], paths: dict[int, str], reads: dict[int, _Read], zone):
    """The manifest's bytes; a generator, so it runs after every file has been read."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(MANIFEST_COLUMNS)
    for s in submissions:
        writer.writerow(
            [
                s.student.username,
                s.student.display_name,
                s.section_code or "",
                in_zone(s.submitted_at, zone).isoformat(),
                s.timing,
                s.original_name,
                s.size,
                s.sha256,
                paths[s.id],
                _note(s, reads[s.id]),
            ]
        )
    yield out.getvalue().encode("utf-8")


def submissions_zip(submissions: list[Submission], *, zone) -> Iterator[bytes]:
    """The archive's bytes, produced as they are sent. `submissions` come from
    courses.selectors.latest_submissions_for_staff (with `section_code`); times are written in `zone`."""
    archive = ZipStream(compress_type=ZIP_STORED)  # submissions are mostly compressed already (pdf, zip)
    paths = entry_paths(submissions)
    reads = {s.id: _Read() for s in submissions}
    for s in submissions:
        archive.add(_chunks(s, reads[s.id]), paths[s.id])
    archive.add(_manifest(submissions, paths, reads, zone), MANIFEST)
    return iter(archive)


__all__ = ["MANIFEST", "MANIFEST_COLUMNS", "entry_paths", "submissions_zip"]
