"""Small charts drawn on the server as inline SVG: they need no script, no CDN and no font download, so
the console works offline and with scripts blocked. Every bar is a link to the list behind it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

INK, MUTED, RED = "#12324f", "#5d6b7a", "#b3261e"


def columns(bins: Sequence[tuple[str, int, str]], *, width: int = 420, height: int = 150,
            label: str = "") -> Markup:
    """Vertical bars (label, count, link): a distribution."""
    if not bins:
        return Markup("")
    top = max(n for _, n, _ in bins) or 1
    step = width / len(bins)
    plot = height - 34
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(label)}">']
    for i, (name, n, href) in enumerate(bins):
        h = plot * n / top
        x = i * step + 2
        parts.append(f'<a href="{escape(href)}"><rect x="{x:.1f}" y="{plot - h + 14:.1f}" width="{step - 4:.1f}" '
                     f'height="{h:.1f}" fill="{INK}"><title>{escape(name)}: {n}</title></rect>'
                     f'<text x="{x + (step - 4) / 2:.1f}" y="{plot - h + 10:.1f}" text-anchor="middle" '
                     f'font-size="10">{n or ""}</text></a>')
        parts.append(f'<text x="{x + (step - 4) / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="9" '
                     f'fill="{MUTED}">{escape(name.split("–")[0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(rows: Sequence[tuple[str, Decimal | int, str]], *, width: int = 420, label: str = "",
         colour: str = RED) -> Markup:
    """Horizontal bars (label, value, link), the largest first as given."""
    if not rows:
        return Markup("")
    top = max(Decimal(v) for _, v, _ in rows) or Decimal(1)
    row_h, text_w = 20, 190
    height = row_h * len(rows) + 4
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(label)}">']
    for i, (name, value, href) in enumerate(rows):
        w = float((width - text_w - 50) * Decimal(value) / top)
        y = i * row_h + 2
        parts.append(f'<a href="{escape(href)}"><text x="0" y="{y + 14}" font-size="11">{escape(name[:18])}</text>'
                     f'<rect x="{text_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{colour}">'
                     f'<title>{escape(name)}: {value}</title></rect>'
                     f'<text x="{text_w + w + 4:.1f}" y="{y + 14}" font-size="11">{value}</text></a>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points: Sequence[tuple[str, Decimal]], *, width: int = 420, height: int = 130, label: str = "") -> Markup:
    """A line over months (label, value), each point labelled."""
    if not points:
        return Markup("")
    values = [p[1] for p in points]
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = (width - 40) / max(len(points) - 1, 1)
    plot = height - 40

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        return 20 + step * i, 16 + float((high - v) / span) * plot

    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(label)}"><polyline fill="none" stroke="{INK}" stroke-width="2" points="{coords}"/>']
    for i, (name, v) in enumerate(points):
        x, y = xy(i, v)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{INK}"><title>{escape(name)}: {v}</title>'
                     f'</circle><text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="10">{v}</text>'
                     f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="9" fill="{MUTED}">'
                     f'{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def heat(lost: Decimal, cap: Decimal) -> str:
    """A cell's background: the share of the indicator's points lost, in red."""
    share = float(lost / cap) if cap else 0.0
    return f"background: rgba(179, 38, 30, {min(share, 1.0) * 0.85:.2f})" + ("; color: #fff" if share > 0.5 else "")
