"""Timestamps read from PostgreSQL with psycopg's C parser.

Django (5.2) reads every `timestamptz` through a Python subclass of psycopg's pure-Python loader, so that the
result carries Django's connection zone. When that zone is UTC (USE_TZ with no DATABASES TIME_ZONE, as here)
and the session's TimeZone is UTC too, psycopg's C loader returns the very same values (`datetime` in
`datetime.timezone.utc`) about three times faster; a student's deadline list reads some 600 of them.
Any other setup keeps Django's loader.
"""

from datetime import UTC

from psycopg import adapt

try:  # the C implementation ships with psycopg[binary] (or psycopg[c])
    from psycopg_binary._psycopg import TimestamptzLoader as _CTimestamptzLoader
except ImportError:  # pragma: no cover - pure-Python psycopg: keep Django's loader
    _CTimestamptzLoader = None


class UtcTimestamptzLoader(adapt.Loader):
    """psycopg's C `timestamptz` loader, with the `timezone` attribute Django's cursor checks
    (django.db.backends.postgresql.base.DatabaseWrapper.create_cursor)."""

    timezone = UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.load = _CTimestamptzLoader(oid, context).load

    def load(self, data):  # replaced per instance by the C loader's bound method
        raise NotImplementedError


def use_c_timestamp_loader(sender, connection, **kwargs) -> None:
    """connection_created receiver: on a PostgreSQL connection whose Django zone and session zone are both
    UTC, read timestamptz with the C loader."""
    if _CTimestamptzLoader is None or connection.vendor != "postgresql":
        return
    raw = connection.connection
    if connection.timezone is not UTC:  # USE_TZ off, or a DATABASES TIME_ZONE: Django's loader
        return
    if raw.info.parameter_status("TimeZone") != "UTC":
        return
    raw.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
