"""Errors raised by services and access helpers.

Pages show `detail` to the user; the API renders them in the one error shape of DESIGN.md:
``{"detail": ..., "code": ..., "fields": {...}}``. Every message says what to do next.
"""


class PortalError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.fields = fields or {}


class ObjectNotFound(PortalError):
    """Uniform "not found": a user learns nothing about objects they may not see."""

    status_code = 404
    default_code = "not_found"

    def __init__(self, detail: str = "Not found.", **kwargs):
        super().__init__(detail, **kwargs)


class PermissionDenied(PortalError):
    status_code = 403
    default_code = "permission_denied"


class Conflict(PortalError):
    """The object changed under the request (a lost race); nothing was changed."""

    status_code = 409
    default_code = "conflict"


class TooLarge(PortalError):
    """A request body or upload over the portal's limit; refused before it is read (portal.uploads)."""

    status_code = 413
    default_code = "too_large"


class TooManyAttempts(PortalError):
    status_code = 429
    default_code = "locked"
