"""When a request reached the portal: the time a submission is judged by.

Time a request spends waiting for a busy worker, or uploading a large file, is not the student's delay:
a submission counts from the moment its request arrived. Two sources, in order:

1. A trusted proxy's request-start header (`X-Request-Start: t=<seconds>`, or milliseconds or
   microseconds since the epoch, as nginx's `t=${msec}`, Heroku and Apache write it). It is read only
   when the portal is configured to stand behind proxies of its own (`PORTAL_TRUSTED_PROXIES`, the same
   rule as the client address in `portal.auth`), since anyone can send the header otherwise. A time in
   the future, or older than `PORTAL_REQUEST_START_MAX_AGE_SECONDS`, is a clock problem or a forgery:
   it is ignored.
2. Otherwise the moment the upload began (never more than that same age before the upload finished): `ReceivedAtMiddleware`, first in the stack, stamps it before
   anything reads the body. The WSGI servers the portal runs under (gunicorn, runserver) call the
   application once the request line and headers are in, and Django reads the body lazily from
   `wsgi.input`, so the stamp is when the upload began, not when it finished. Under gunicorn's threaded
   worker of `portal.gunicorn_workers` (docker-compose.yml) the stamp is earlier still: when the request's
   first bytes reached the machine, before it waited in the listen queue or for a free thread (the
   environ's `portal.received_at`).
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from portal.auth import proxies_trusted

HEADER = "HTTP_X_REQUEST_START"
ENVIRON_KEY = "portal.received_at"  # portal.gunicorn_workers; not importable without gunicorn


def _header_time(value: str) -> datetime | None:
    """`t=1700000000.123` (seconds), `t=1700000000123` (ms) or `t=1700000000123456` (µs); None if unreadable."""
    value = value.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number <= 0:  # NaN, or nothing sensible
        return None
    if number > 1e14:
        number /= 1e6
    elif number > 1e11:
        number /= 1e3
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def received_at(request) -> datetime:
    """When `request` reached the portal (see the module's docstring); the current time for a request
    that was not stamped (one built outside the middleware stack).

    Call it once the body has been read: an upload counts from when it began, but at most
    `PORTAL_REQUEST_START_MAX_AGE_SECONDS` before its last byte arrived. Otherwise a client could send
    the headers before the due time and trickle the body in days later."""
    finished = timezone.now()
    max_age = timedelta(seconds=settings.PORTAL_REQUEST_START_MAX_AGE_SECONDS)
    stamped = getattr(request, "received_at", None)
    if stamped is None:
        request = getattr(request, "_request", request)  # a DRF Request wraps Django's
        stamped = getattr(request, "received_at", None) or finished
    moment = stamped
    if proxies_trusted():
        header = request.META.get(HEADER)
        proxy = _header_time(header) if header else None
        if proxy is not None and stamped - max_age <= proxy <= stamped:
            moment = proxy
    return max(moment, finished - max_age)


class ReceivedAtMiddleware:
    """First in MIDDLEWARE: stamps `request.received_at` before the body is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = timezone.now()
        request.received_at = now
        accepted = request.META.get(ENVIRON_KEY)  # set by the server, never from a header
        if isinstance(accepted, float):
            moment = datetime.fromtimestamp(accepted, tz=UTC)
            if now - timedelta(seconds=settings.PORTAL_REQUEST_START_MAX_AGE_SECONDS) <= moment <= now:
                request.received_at = moment
        return self.get_response(request)
