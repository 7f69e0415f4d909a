"""Small charts drawn on the server as inline SVG: readable with JavaScript off and CSS blocked.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``, with every value
written next to its bar or point and every day under the axis, so nothing needs hovering. Colours
are presentation attributes (the console's CSP forbids inline ``style``), and dashboard.css may
restyle them through the classes. The same numbers are also in an HTML table on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 12, 12, 40, 40
PALETTE = ("#1f5f99", "#c25e00", "#2f7d32", "#7b3f99")
INK, GRID, LIMIT = "#222222", "#bbbbbb", "#b00020"


@dataclass(frozen=True)
class Series:
    """One row of values (None: nothing to show that day) and how to write each value."""

    name: str
    values: Sequence[float | None]
    labels: Sequence[str]


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _text(x: float, y: float, words: str, css: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" class="{css}" text-anchor="{anchor}" '
        f'fill="{INK}" font-size="13">{escape(words)}</text>'
    )


def _open(chart_id: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _legend(series: Sequence[Series]) -> list[str]:
    parts, x = [], float(LEFT)
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{_number(x)}" y="8" width="12" height="12" fill="{colour}" '
            f'class="legend-key series-{index}"/>'
        )
        parts.append(_text(x + 16, 18, item.name, "legend", "start"))
        x += 24 + 7.5 * len(item.name)
    return parts


def _axis(categories: Sequence[str]) -> list[str]:
    base = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    parts = [
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{GRID}" '
        f'class="axis"/>'
    ]
    for index, name in enumerate(categories):
        parts.append(_text(LEFT + slot * (index + 0.5), base + 18, name, "axis-label"))
    return parts


def _height(value: float, top: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return 0.0 if top <= 0 else plot * min(max(value, 0.0), top) / top


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    limit: float | None = None,
    limit_label: str = "",
) -> Markup:
    """Grouped bars, one group per category; ``limit`` draws a labelled line (a budget)."""
    highest = max([v for s in series for v in s.values if v is not None] + [limit or 0, 1])
    top = highest * 1.1
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    bar = slot * 0.7 / max(len(series), 1)
    base = HEIGHT - BOTTOM
    parts = _open(chart_id, title, description) + _legend(series) + _axis(categories)
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for day, (value, label) in enumerate(zip(item.values, item.labels, strict=True)):
            x = LEFT + slot * day + slot * 0.15 + bar * index
            height = _height(value or 0, top)
            parts.append(
                f'<rect x="{_number(x)}" y="{_number(base - height)}" width="{_number(bar)}" '
                f'height="{_number(height)}" fill="{colour}" class="bar series-{index}">'
                f"<title>{escape(f'{categories[day]}: {label} {item.name}')}</title></rect>"
            )
            parts.append(_text(x + bar / 2, base - height - 4, label, "value"))
    if limit is not None:
        y = base - _height(limit, top)
        parts.append(
            f'<line x1="{LEFT}" y1="{_number(y)}" x2="{WIDTH - RIGHT}" y2="{_number(y)}" '
            f'stroke="{LIMIT}" stroke-dasharray="6 4" class="limit"/>'
        )
        parts.append(_text(WIDTH - RIGHT, y - 4, limit_label, "limit-label", "end"))
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    top: float = 1.0,
) -> Markup:
    """Lines over the categories from 0 to ``top`` (1.0: shares); a None breaks the line."""
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    base = HEIGHT - BOTTOM
    parts = _open(chart_id, title, description) + _legend(series) + _axis(categories)
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs: list[list[str]] = [[]]
        points: list[str] = []  # drawn after the lines, so the lines never hide them
        for day, (value, label) in enumerate(zip(item.values, item.labels, strict=True)):
            x = LEFT + slot * (day + 0.5)
            if value is None:
                runs.append([])
                points.append(_text(x, base - 4, label, "value"))
                continue
            y = base - _height(value, top)
            runs[-1].append(f"{_number(x)},{_number(y)}")
            points.append(
                f'<circle cx="{_number(x)}" cy="{_number(y)}" r="4" fill="{colour}" '
                f'class="point series-{index}">'
                f"<title>{escape(f'{categories[day]}: {label} {item.name}')}</title></circle>"
            )
            points.append(_text(x, y - 8, label, "value"))
        for run in (r for r in runs if len(r) > 1):
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                f'stroke-width="2" class="line series-{index}"/>'
            )
        parts.extend(points)
    parts.append("</svg>")
    return Markup("".join(parts))
