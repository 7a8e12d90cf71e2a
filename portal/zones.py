"""Wall-clock times in a named zone: the one rule for the missing and the repeated hour.

A wall time that does not exist (spring forward) or exists twice (fall back) resolves to the later
instant, so nobody is given less time than the rule or the instructor said. Used by the window rules
(`courses.windows`), by naive times the API reads, and by the calendar feed.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def wall_time_to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `zone` (the later one when missing or repeated)."""
    naive = local.replace(tzinfo=None)
    return max(naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))


def is_ambiguous(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether `moment`'s wall-clock time in `zone` names two instants (the repeated hour), so a local
    time with only a zone name (RFC 5545's TZID) cannot say which one is meant."""
    local = moment.astimezone(zone)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` in `zone` with the offset the zone really has at that instant."""
    return moment.astimezone(UTC).astimezone(zone)


def offset_change_days(zone: ZoneInfo, first: date, last: date) -> list[date]:
    """The days from `first` to `last` on which `zone`'s UTC offset changes (daylight saving): at noon of
    such a day the offset differs from the day before's noon."""
    days = []
    day = first
    before = datetime.combine(day, time(12), zone).utcoffset()
    while day < last:
        day += timedelta(days=1)
        after = datetime.combine(day, time(12), zone).utcoffset()
        if after != before:
            days.append(day)
        before = after
    return days
