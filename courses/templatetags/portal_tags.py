from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from courses.selectors.deadlines import deadline_countdown
from courses.timefmt import format_local, format_short, shown_zone

register = template.Library()

STATUS_LABELS = {
    "open": "Open",
    "grace": "In grace period",
    "closed": "Closed",
    "submitted": "Submitted",
    "submitted_in_grace": "Submitted in grace",
    "submitted_late": "Submitted late",
}


@register.simple_tag
def when(moment, course):
    """A time in the course's zone with its offset; the page script adds the browser's zone."""
    if moment is None:
        return "—"
    return format_html(
        '<time datetime="{}" data-zone="{}">{}</time>',
        moment.isoformat(),
        course.time_zone,
        format_local(moment, course.zone),
    )


@register.simple_tag
def status_badge(status):
    return format_html('<span class="badge {}">{}</span>', status, STATUS_LABELS.get(status, status))


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def shown_time(moment, course, user, form="short"):
    """A time in the zone the person reads in (courses.timefmt.shown_zone: the course's by default), once.
    The full form (year, offset) and the course's zone, when another is shown, are in the title; the page
    script adds the browser's zone to the title when it differs."""
    if moment is None:
        return "—"
    shown = shown_zone(user, course.zone)
    full = format_local(moment, shown.zone)
    title = full
    if shown.differs:
        title += f" · Course time ({course.time_zone}): {format_local(moment, course.zone)}"
    return format_html(
        '<time datetime="{}" data-shown-zone="{}" title="{}">{}</time>',
        moment.isoformat(),
        shown.zone.key,
        title,
        full if form == "full" else format_short(moment, shown.zone),
    )


@register.simple_tag
def other_zone_time(moment, course, user):
    """The same moment in the other zone, for the expanded row: the course's zone when the browser's is
    shown; otherwise a placeholder the page script fills with the browser's zone (when it differs)."""
    if moment is None:
        return ""
    shown = shown_zone(user, course.zone)
    if shown.differs:
        return format_html(
            '<span class="other-zone">Course time ({}): {}</span>',
            course.time_zone,
            format_local(moment, course.zone),
        )
    return format_html(
        '<span class="other-zone" data-browser-time="{}" data-shown-zone="{}" hidden></span>',
        moment.isoformat(),
        shown.zone.key,
    )


@register.simple_tag
def countdown(row, now):
    """The row's one countdown (courses.selectors.deadlines.deadline_countdown), kept current by the page
    script from the due time and the end of the window."""
    c = deadline_countdown(row, now=now)
    if c.kind == "closed":
        return mark_safe('<span class="countdown">closed</span>')
    html = format_html(
        '<span class="countdown" data-due="{}" data-closes="{}" data-window="{}">{}</span>',
        row.due_at.isoformat(),
        row.closes_at.isoformat(),
        "grace" if row.grace_ends_at else ("late" if row.closes_at > row.due_at else "none"),
        c.label,
    )
    if c.resubmit:  # work is in, and the window still takes a new version
        html += mark_safe(
            ' <small class="resubmit-hint" data-resubmit-hint>you may resubmit until then</small>'
        )
    return html


@register.simple_tag
def zone_label(course) -> str:
    """The course's zone with its offset now, e.g. "America/New_York, UTC-05:00" (portal.js updates the
    offset for the date typed next to it)."""
    from courses.timefmt import utc_offset

    return f"{course.time_zone}, UTC{utc_offset(timezone.now().astimezone(course.zone))}"
