"""Files handed out as downloads: a name that is safe in a header and as a path inside an archive, and a
response that no browser runs in the portal's origin (an uploaded HTML page is a file, never a page)."""

import re
import unicodedata

from django.http import FileResponse

# Characters that end a path component or are not allowed in a Windows file name, plus the quote and
# semicolon that a naive Content-Disposition reader would take for the end of the name.
_UNSAFE = re.compile(r'[\\/:*?"<>|;\x00-\x1f\x7f]')
MAX_NAME_LENGTH = 150  # characters; a zip entry is <section>/<username>/<name> and must stay short


def safe_name(name: str, *, fallback: str = "file") -> str:
    """`name` as one path component that every zip reader and browser keeps as it is: the last part of a
    path ("../../etc/passwd" -> "passwd", as a browser saves it), no control or invisible characters (a
    right-to-left override could show "gpj.exe" as "exe.jpg"), no leading dots ("..", ".bashrc" ->
    "bashrc"), never empty. The extension survives shortening."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")  # control, format, unassigned
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    name = name.rstrip(". ")  # Windows drops trailing dots and spaces; keep the name as shown
    if not name.strip("_"):
        return fallback
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def harden(response):
    """Headers for any response carrying a user's file: never sniffed into HTML or script, and if it is
    opened anyway, sandboxed with nothing allowed."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def file_download(file, *, filename: str) -> FileResponse:
    """Stream an open binary file as an attachment named `filename` (made safe here; Django quotes it,
    or writes RFC 5987's filename* for names that are not ASCII)."""
    response = FileResponse(
        file, as_attachment=True, filename=safe_name(filename), content_type="application/octet-stream"
    )
    return harden(response)


__all__ = ["MAX_NAME_LENGTH", "file_download", "harden", "safe_name"]
