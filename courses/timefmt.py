"""How times are written for people: in a named zone, with its abbreviation and UTC offset."""

from dataclasses import dataclass
from datetime import datetime, timedelta
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


def format_short(moment: datetime | None, zone: ZoneInfo) -> str:
    """One line of a list, e.g. "Wed Feb 8, 11:59 pm EST": the year and the offset are in the full form."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    clock = f"{local.hour % 12 or 12}:{local:%M} {'am' if local.hour < 12 else 'pm'}"
    return f"{local:%a %b} {local.day}, {clock} {local:%Z}"


def countdown_text(left: timedelta) -> str:
    """How long is left, to the minute, in at most two units: "2 d 4 h", "7 h 5 min", "12 min"."""
    minutes = max(0, int(left.total_seconds() // 60))
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min" if mins else "less than a minute"


@dataclass(frozen=True)
class ShownZone:
    """The zone a person reads times in on a course's pages, and whether it is their browser's."""

    zone: ZoneInfo
    course_zone: ZoneInfo
    mine: bool  # the browser's zone, chosen by the person (else the course's)

    @property
    def differs(self) -> bool:
        return self.zone.key != self.course_zone.key


def shown_zone(user, course_zone: ZoneInfo) -> ShownZone:
    """The course's zone by default; the browser's zone the person chose (User.time_zone_display)."""
    mode = getattr(user, "time_zone_display", "course")
    browser = getattr(user, "browser_time_zone", "")
    if mode == "browser" and browser:
        return ShownZone(ZoneInfo(browser), course_zone, True)
    return ShownZone(course_zone, course_zone, False)
