"""The upload limit (PORTAL_MAX_SUBMISSION_BYTES), enforced before a byte too many is stored.

Two checks, both on the one setting: the middleware refuses a request whose Content-Length already says
it is too large, before the body is read; the upload handler (first in FILE_UPLOAD_HANDLERS) counts the
file bytes as they stream in and stops the upload as soon as they pass the limit, so a temporary file
never holds more than the limit. The services keep their own size check for callers outside HTTP.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse

from portal.errors import TooLarge


def upload_limit() -> int:
    return settings.PORTAL_MAX_SUBMISSION_BYTES


def too_large() -> TooLarge:
    megabytes = upload_limit() / (1024 * 1024)
    shown = f"{megabytes:.0f} MB" if megabytes >= 1 else f"{upload_limit() // 1024} KB"
    return TooLarge(
        f"The file is larger than {shown}; compress it (or split it) and send it again.",
        fields={"file": f"At most {shown}."},
    )


def body_limit() -> int:
    """The largest body a legitimate request sends: one upload at the limit, plus the form fields beside
    it, which Django already bounds by DATA_UPLOAD_MAX_MEMORY_SIZE."""
    return upload_limit() + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


class ContentLengthLimitMiddleware:
    """Refuse a request whose declared Content-Length passes the limit, before reading its body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit():
            error = too_large()
            response = JsonResponse(
                {"detail": error.detail, "code": error.code, "fields": error.fields}, status=error.status_code
            )
            # The unread body stays on the socket: do not try to serve another request on it.
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class LimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of every file in the request and stops at the limit (413, nothing stored)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > upload_limit():
            # The handlers after this one hold a partial file: let them drop it now.
            for handler in getattr(self.request, "upload_handlers", []):
                if handler is not self:
                    handler.upload_interrupted()
            raise too_large()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the uploaded file
