"""The chart of open lapses over time, drawn on the server as SVG (no script, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 32
# (width, height, font size, x labels): the narrow drawing is for phones, where the wide
# one scaled to 360 px would have 5 px labels.
SIZES = {"wide": (720, 240, 11, 6), "narrow": (360, 220, 12, 3)}


def _nice_max(value: int) -> int:
    """A round upper bound for the y axis (1, 2, 5 times 10^n)."""
    if value <= 4:
        return 4
    step = 1
    while True:
        for m in (1, 2, 5):
            if value <= m * step * 4:
                return m * step * 4
        step *= 10


def open_lapses_svg(series: Sequence[tuple[date, int]], title: str, size: str = "wide") -> str:
    """A stepped area chart; presentation attributes only, so a strict CSP allows it."""
    width, height, font, labels = SIZES[size]
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = _nice_max(max((n for _, n in series), default=0))
    n = max(len(series), 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / n

    def y(v: int) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif" font-size="{font}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for k in range(5):
        value = top * k // 4
        yy = y(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{width - RIGHT}" y2="{yy:.1f}" '
            'stroke="#d9dee5" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="#4a5563">{value:,}</text>'
        )
    if series:
        points = [f"{x(0):.1f},{y(0):.1f}"]
        for i, (_, value) in enumerate(series):
            points.append(f"{x(i):.1f},{y(value):.1f}")
            points.append(f"{x(i + 1):.1f},{y(value):.1f}")
        points.append(f"{x(n):.1f},{y(0):.1f}")
        parts.append(
            f'<polygon points="{" ".join(points)}" fill="#c7d9f2" stroke="#1f5fae" '
            'stroke-width="1.5" stroke-linejoin="round"/>'
        )
        for i in _label_positions(len(series), labels):
            day = series[i][0]
            # The first and last labels align with the plot's edges so neither is clipped.
            anchor = "start" if i == 0 else "end" if i == len(series) - 1 else "middle"
            xx = {"start": x(i), "end": x(i + 1), "middle": x(i) + plot_w / n / 2}[anchor]
            parts.append(
                f'<text x="{xx:.1f}" y="{height - 10}" text-anchor="{anchor}" '
                f'fill="#4a5563">{day:%b %d}</text>'
            )
        last_day, last_value = series[-1]
        parts.append(
            f'<text x="{width - RIGHT}" y="{max(y(last_value) - 6, 12):.1f}" text-anchor="end" '
            f'fill="#1f3b63" font-weight="bold">{last_value:,} on {last_day:%b %d}</text>'
        )
    else:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#4a5563">'
            "No data for this period</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _label_positions(count: int, labels: int = 6) -> list[int]:
    if count <= labels:
        return list(range(count))
    step = (count - 1) / (labels - 1)
    return sorted({round(k * step) for k in range(labels)})
