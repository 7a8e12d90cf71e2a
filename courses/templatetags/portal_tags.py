from django import template
from django.utils import timezone
from django.utils.html import format_html

from courses.timefmt import format_local

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
def zone_label(course) -> str:
    """The course's zone with its offset now, e.g. "America/New_York, UTC-05:00" (portal.js updates the
    offset for the date typed next to it)."""
    from courses.timefmt import utc_offset

    return f"{course.time_zone}, UTC{utc_offset(timezone.now().astimezone(course.zone))}"
