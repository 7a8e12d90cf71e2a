"""How times are written for people: in a named zone, with its abbreviation and UTC offset."""

from datetime import datetime
from zoneinfo import ZoneInfo


def utc_offset(local: datetime) -> str:
    """ "-05:00" style offset of an aware datetime."""
    raw = local.strftime("%z")
    return f"{raw[:3]}:{raw[3:]}"


def format_local(moment: datetime | None, zone: ZoneInfo) -> str:
    """e.g. "Sun Jan 15 2023, 11:59 pm EST (UTC-05:00)"."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    clock = f"{local.hour % 12 or 12}:{local:%M} {'am' if local.hour < 12 else 'pm'}"
    return f"{local:%a %b} {local.day} {local.year}, {clock} {local:%Z} (UTC{utc_offset(local)})"
