"""Accessible bar charts drawn on the server as SVG: no JavaScript, no inline style.

A chart is a list of `Bar`s, one per group, drawn as horizontal bars on a 0-100% scale with the 95%
interval as a line across the bar's end. A withheld group is drawn as a labelled gap reading the
report's withheld wording ("fewer than 11 responses") and carries no number anywhere: not in its
bar, its label, its interval nor the chart's description.

Accessibility: the <svg> has role="img", a <title> (its accessible name) and a <desc> that says every
figure in words; the page shows the same figures in a table right after the chart. Colours are
presentation attributes (fill=, stroke=), which the page's CSP allows, where a style attribute would
be blocked; the compiled CSS (`.app-chart*`) can override them, for print say. Every graphic
element has at least 3:1 contrast against white (WCAG 1.4.11).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 320
LABEL_CHARS = 40  # characters of a label line at FONT size across the chart's width
FONT = 14
LINE = 17
BAR_HEIGHT = 16
ROW_GAP = 14
AXIS_TOP = 22
VALUE_WIDTH = 52  # room on the right for "100.0%"
PLOT_LEFT = 4
PLOT_WIDTH = WIDTH - VALUE_WIDTH - PLOT_LEFT - 4
TICKS = (0, 25, 50, 75, 100)

COLOURS = {
    "group": "#005eb8",  # NHS blue
    "reference": "#003087",  # NHS dark blue: the group others are compared with
    "benchmark": "#768692",  # NHS mid grey: published figures of other populations
    "total": "#330072",  # NHS purple: all respondents
}
TEXT = "#212b32"
GRID = "#aeb7bd"
GAP_STROKE = "#4c6272"


@dataclass(frozen=True)
class Bar:
    label: str
    percent: float | None = None
    low: float | None = None
    high: float | None = None
    withheld: bool = False
    kind: str = "group"  # group | reference | benchmark | total
    note: str | None = None  # said instead of a figure when there is none (and not withheld)


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def describe_bar(bar: Bar, withheld_wording: str) -> str:
    if bar.withheld:
        return f"{bar.label}: {bar.note or withheld_wording}, not shown"
    if bar.percent is None:
        return f"{bar.label}: {bar.note or 'no figure'}"
    text = f"{bar.label}: {percent_text(bar.percent)}"
    if bar.low is not None and bar.high is not None:
        text += f" (95% interval {percent_text(bar.low)} to {percent_text(bar.high)})"
    return text


def _x(percent: float) -> float:
    return round(PLOT_LEFT + PLOT_WIDTH * max(0.0, min(100.0, percent)) / 100.0, 1)


def _label_lines(label: str) -> list[str]:
    lines = textwrap.wrap(label, LABEL_CHARS) or [""]
    if len(lines) > 3:
        lines = lines[:2] + [textwrap.shorten(" ".join(lines[2:]), LABEL_CHARS, placeholder="…")]
    return lines


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], withheld_wording: str, summary: str = "") -> Markup:
    """The SVG of a horizontal bar chart; `chart_id` must be unique on the page."""
    chart_id = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in chart_id)
    parts: list[str] = []
    y = AXIS_TOP
    rows: list[str] = []
    for bar in bars:
        lines = _label_lines(bar.label)
        label_y = y + FONT
        tspans = "".join(
            f'<tspan x="{PLOT_LEFT}" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>' for i, line in enumerate(lines)
        )
        rows.append(
            f'<g class="app-chart__row"><text class="app-chart__label" x="{PLOT_LEFT}" y="{label_y}" font-size="{FONT}" '
            f'fill="{TEXT}">{tspans}</text>'
        )
        bar_y = y + LINE * len(lines) + 4
        middle = bar_y + BAR_HEIGHT / 2
        if bar.withheld or bar.percent is None:
            wording = (bar.note or withheld_wording) if bar.withheld else (bar.note or "no figure")
            rows.append(
                f'<rect class="app-chart__gap" x="{PLOT_LEFT}" y="{bar_y}" width="{PLOT_WIDTH}" height="{BAR_HEIGHT}" '
                f'fill="#ffffff" stroke="{GAP_STROKE}" stroke-width="1" stroke-dasharray="4 3"/>'
                f'<text class="app-chart__gap-text" x="{PLOT_LEFT + 8}" y="{middle + 4.5}" font-size="{FONT - 1}" '
                f'fill="{TEXT}">{escape(wording)}</text>'
            )
        else:
            kind = bar.kind if bar.kind in COLOURS else "group"
            end = _x(bar.percent)
            width = max(end - PLOT_LEFT, 0.0)
            rows.append(
                f'<rect class="app-chart__bar app-chart__bar--{kind}" x="{PLOT_LEFT}" y="{bar_y}" '
                f'width="{width}" height="{BAR_HEIGHT}" fill="{COLOURS[kind]}"/>'
            )
            if bar.low is not None and bar.high is not None:
                low, high = _x(bar.low), _x(bar.high)
                whisker = (
                    f"M{low} {middle}H{high}M{low} {middle - 5}V{middle + 5}M{high} {middle - 5}V{middle + 5}"
                )
                # A white halo under a dark line keeps the interval visible on the bar and off it.
                rows.append(
                    f'<path class="app-chart__interval-halo" d="{whisker}" stroke="#ffffff" stroke-width="4" fill="none"/>'
                    f'<path class="app-chart__interval" d="{whisker}" stroke="{TEXT}" stroke-width="2" fill="none"/>'
                )
            rows.append(
                f'<text class="app-chart__value" x="{WIDTH - 2}" y="{middle + 4.5}" font-size="{FONT}" '
                f'text-anchor="end" font-weight="bold" fill="{TEXT}">{escape(percent_text(bar.percent))}</text>'
            )
        rows.append("</g>")
        y = bar_y + BAR_HEIGHT + ROW_GAP
    height = y
    grid = []
    for tick in TICKS:
        x = _x(tick)
        anchor = "start" if tick == 0 else "end" if tick == 100 else "middle"
        grid.append(
            f'<line class="app-chart__grid" x1="{x}" y1="{AXIS_TOP - 4}" x2="{x}" y2="{height - ROW_GAP + 4}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text class="app-chart__tick" x="{x}" y="{AXIS_TOP - 8}" font-size="{FONT - 2}" text-anchor="{anchor}" '
            f'fill="{TEXT}">{tick}%</text>'
        )
    described = "; ".join(describe_bar(bar, withheld_wording) for bar in bars)
    description = f"{summary} {described}." if summary else f"{described}."
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" id="{chart_id}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" '
        f'font-family="Arial, sans-serif">'
    )
    parts.append(f'<title id="{chart_id}-title">{escape(title)}</title>')
    parts.append(f'<desc id="{chart_id}-desc">{escape(description)}</desc>')
    parts.extend(grid)
    parts.extend(rows)
    parts.append("</svg>")
    return Markup("".join(parts))
