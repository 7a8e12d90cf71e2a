"""Charts drawn on the server as SVG: no script, no CDN, readable without colour (each bar is labelled and
every chart has a table next to it on the page). Colours come from classes styled in static/css/portal.css.
"""

from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from grading.statistics import TIMELINE, Distribution


def _html(template: str, *args, **kwargs) -> SafeString:
    """format_html with coordinates rounded to a tenth of a pixel (format_html escapes every argument
    into a string, so format codes cannot do it)."""

    def tidy(value):
        return round(value, 1) if isinstance(value, float) else value

    return format_html(template, *map(tidy, args), **{k: tidy(v) for k, v in kwargs.items()})


def _svg(
    chart_id: str, width: int, height: int, title: str, description: str, body: SafeString
) -> SafeString:
    return _html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" '
        'preserveAspectRatio="xMinYMin meet"><title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>'
        "{body}</svg>",
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=description,
        body=body,
    )


def histogram(chart_id: str, distribution: Distribution, *, title: str) -> SafeString:
    """Students per 10% band, with the mean (solid) and median (dashed) marked."""
    width, height, left, bottom, top = 340, 170, 28, 34, 12
    plot_w, plot_h = width - left - 24, height - bottom - top
    bins = distribution.bins
    most = max((n for _, n in bins), default=0) or 1
    bar_w = plot_w / len(bins)
    bars = []
    for i, (label, n) in enumerate(bins):
        h = plot_h * n / most
        x = left + i * bar_w
        bars.append(
            _html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {} students</title></rect>',
                x + 1,
                top + plot_h - h,
                bar_w - 2,
                h,
                label,
                n,
            )
        )
        if n:
            bars.append(
                _html(
                    '<text class="count" x="{}" y="{}" text-anchor="middle">{}</text>',
                    x + bar_w / 2,
                    top + plot_h - h - 2,
                    n,
                )
            )
    axis = _html(
        '<line class="axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<text class="tick" x="{l}" y="{t}" text-anchor="middle">0%</text>'
        '<text class="tick" x="{m}" y="{t}" text-anchor="middle">50%</text>'
        '<text class="tick" x="{r}" y="{t}" text-anchor="middle">100%</text>',
        l=left,
        r=left + plot_w,
        m=left + plot_w / 2,
        b=top + plot_h,
        t=top + plot_h + 14,
    )
    marks = []
    for kind, value in (("mean", distribution.mean), ("median", distribution.median)):
        if value is None:
            continue
        x = left + plot_w * float(min(value, Decimal(100))) / 100
        marks.append(
            _html(
                '<line class="{k}" x1="{x}" y1="{t}" x2="{x}" y2="{b}"><title>{K} {v}%</title></line>',
                k=kind,
                K=kind.capitalize(),
                x=x,
                t=top,
                b=top + plot_h,
                v=value,
            )
        )
    legend = _html(
        '<text class="tick" x="{l}" y="{y}">{}</text>',
        f"mean {distribution.mean}% (solid red) · median {distribution.median}% (dashed)"
        if distribution.count
        else "nobody scored yet",
        l=left,
        y=height - 4,
    )
    description = (
        f"{distribution.count} students scored; mean {distribution.mean}%, median {distribution.median}%. "
        + ", ".join(f"{label}: {n}" for label, n in bins)
        if distribution.count
        else "Nobody in this section has a score yet."
    )
    body = mark_safe("".join([*bars, axis, *marks, legend]))  # each part built by format_html
    return _svg(chart_id, width, height, title, description, body)


def timeline(chart_id: str, rows: list[tuple[str, dict[str, int]]], *, title: str) -> SafeString:
    """One stacked bar per assignment: on time, in grace, late, missing, window still open."""
    width, label_w, row_h, top = 640, 110, 22, 8
    legend_h = 24
    height = top + row_h * len(rows) + legend_h
    plot_w = width - label_w - 8
    parts = []
    for i, (label, counts) in enumerate(rows):
        y = top + i * row_h
        total = sum(counts.values()) or 1
        x = float(label_w)
        parts.append(
            _html('<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>', label_w - 6, y + 14, label)
        )
        for key, name, _ in TIMELINE:
            n = counts.get(key, 0)
            if not n:
                continue
            w = plot_w * n / total
            parts.append(
                _html(
                    '<rect class="seg {}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} {}</title></rect>',
                    key,
                    x,
                    y + 2,
                    w,
                    row_h - 4,
                    label,
                    n,
                    name.lower(),
                )
            )
            if w > 18:
                parts.append(
                    _html(
                        '<text class="seglabel" x="{}" y="{}" text-anchor="middle">{}</text>',
                        x + w / 2,
                        y + 15,
                        n,
                    )
                )
            x += w
    legend_y = top + row_h * len(rows) + 16
    x = float(label_w)
    for key, name, _ in TIMELINE:
        parts.append(
            _html(
                '<rect class="seg {}" x="{}" y="{}" width="10" height="10"/>'
                '<text class="tick" x="{}" y="{}">{}</text>',
                key,
                x,
                legend_y - 9,
                x + 13,
                legend_y,
                name,
            )
        )
        x += 13 + 7 * len(name) + 12
    description = "; ".join(
        f"{label}: " + ", ".join(f"{counts.get(key, 0)} {name.lower()}" for key, name, _ in TIMELINE)
        for label, counts in rows
    )
    return _svg(chart_id, width, height, title, description, mark_safe("".join(parts)))


def grouped_bars(
    chart_id: str, groups: list[tuple[str, list[tuple[str, Decimal | None]]]], *, title: str
) -> SafeString:
    """Horizontal bars from 0 to 100%: one group per category, one bar per section."""
    width, label_w, bar_h, gap, top = 640, 150, 16, 10, 6
    plot_w = width - label_w - 60
    y = top
    parts = []
    for label, bars in groups:
        parts.append(_html('<text class="tick" x="0" y="{}">{}</text>', y + 12, label))
        y += 16
        for i, (section, value) in enumerate(bars):
            w = plot_w * float(min(value or 0, Decimal(100))) / 100
            parts.append(
                _html(
                    '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>'
                    '<rect class="bar s{}" x="{}" y="{}" width="{}" height="{}"><title>{} {}: {}</title></rect>'
                    '<text class="tick" x="{}" y="{}">{}</text>',
                    label_w - 6,
                    y + 12,
                    section,
                    i % 4,
                    label_w,
                    y,
                    w,
                    bar_h,
                    label,
                    section,
                    "no grades yet" if value is None else f"{value}%",
                    label_w + w + 4,
                    y + 12,
                    "—" if value is None else f"{value}%",
                )
            )
            y += bar_h + 4
        y += gap
    description = "; ".join(
        f"{label}: " + ", ".join(f"{s} {'no grades yet' if v is None else f'{v}%'}" for s, v in bars)
        for label, bars in groups
    )
    return _svg(chart_id, width, y, title, description, mark_safe("".join(parts)))
