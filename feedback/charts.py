"""Charts drawn on the server as SVG: nothing to download, nothing for the Content-Security-Policy to refuse.

Each chart is an image with a title and a description (role="img"), prints its values next to the marks, and
tells its series apart by shape and line pattern as well as colour. Only presentation attributes are used
(no style attribute). The numbers themselves are always in a table beside the chart as well.
"""
import math
from dataclasses import dataclass
from typing import Optional

from markupsafe import Markup, escape

INK = "#1b1b1f"
MUTED = "#52525b"
GRID = "#d4d4d8"
BLUE = "#0b4f8a"
RED = "#a4161a"
WIDTH = 400
FONT = 13
SMALL = 11


@dataclass
class Bar:
    """One bar: a share (0–1, None for no data), its interval, and whether it is drawn hatched (with why)."""

    label: str
    value: Optional[float]
    interval: Optional[tuple] = None
    hatched: bool = False
    note: str = ""


def _svg(chart_id, title, desc, height, body):
    """The <svg> element around a chart's drawing."""
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" '
        f'height="{height:.0f}" role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'font-family="system-ui, sans-serif" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>{"".join(body)}</svg>')


def _text(x, y, text, size=FONT, anchor="start", weight=None, fill=INK, halo=False):
    """A piece of text; with a halo, a white outline keeps it readable where it crosses a line."""
    extra = f' font-weight="{weight}"' if weight else ""
    if halo:
        extra += ' stroke="#ffffff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"'
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{extra}>'
            f'{escape(text)}</text>')


def _short(text, limit=56):
    """A label cut to fit the chart's width (the table beside it has it whole)."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def hatch(pattern_id):
    """A diagonal hatch, so that a hatched bar differs from a plain one without colour."""
    return (f'<defs><pattern id="{escape(pattern_id)}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BLUE}" stroke-width="3"/></pattern></defs>')


def bar_chart(chart_id, title, desc, bars, fmt, target=None, target_label=""):
    """Horizontal bars of shares from 0 to 100 %, each labelled with its value; the interval as a whisker;
    an optional target as a dashed vertical line with its label."""
    left, right = 4, WIDTH - 64  # room on the right for the value labels
    span = right - left
    row = 44
    top = 22 if target is not None else 4
    height = top + row * len(bars) + 6
    body, texts = [hatch(f"{chart_id}-hatch")], []  # texts go on top of every line, with a halo
    for i, bar in enumerate(bars):
        y = top + i * row
        label = f"{_short(bar.label, 50 - len(bar.note))} {bar.note}" if bar.note else _short(bar.label, 52)
        texts.append(_text(left, y + FONT, label, halo=True))
        bar_y = y + FONT + 5
        if bar.value is None:
            texts.append(_text(left, bar_y + 13, "—", size=SMALL + 1, fill=MUTED))
            continue
        length = max(1.0, bar.value * span)
        fill = f"url(#{chart_id}-hatch)" if bar.hatched else BLUE
        body.append(f'<rect x="{left}" y="{bar_y:.1f}" width="{length:.1f}" height="16" fill="{fill}" '
                    f'stroke="{BLUE}" stroke-width="1"/>')
        end = left + length
        if bar.interval:
            low, high = (left + v * span for v in bar.interval)
            mid = bar_y + 8
            whisker = (f'M{low:.1f} {mid:.1f}H{high:.1f}M{low:.1f} {mid - 5:.1f}V{mid + 5:.1f}'
                       f'M{high:.1f} {mid - 5:.1f}V{mid + 5:.1f}')
            body.append(f'<path d="{whisker}" stroke="#ffffff" stroke-width="4" fill="none"/>')
            body.append(f'<path d="{whisker}" stroke="{INK}" stroke-width="1.5" fill="none"/>')
            end = max(end, high)
        texts.append(_text(end + 5, bar_y + 13, fmt(bar.value), size=SMALL + 1, weight="600", halo=True))
    if target is not None:
        x = left + target * span
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 2}" stroke="{RED}" '
                    f'stroke-width="2" stroke-dasharray="5 3"/>')
        texts.append(_text(x, 12, f"{target_label} {fmt(target)}", size=SMALL + 1, anchor="end", fill=RED))
    body += texts
    return _svg(chart_id, title, desc, height, body)


@dataclass
class Series:
    """A line of values (0–1 or None) with its marker and line pattern; labels go above or below the points,
    or "auto": above peaks and below dips."""

    name: str
    values: list
    marker: str = "circle"
    dashed: bool = False
    labels: str = "below"


def _nice_floor(values):
    """The lowest gridline: a tenth below the lowest value, so small differences stay visible."""
    present = [v for v in values if v is not None]
    if not present:
        return 0.0
    return max(0.0, math.floor(min(present) * 10 - 1e-9) / 10 - 0.1)


def _place(values, i):
    """Where a point's label reads best: above a peak, below a dip (away from the lines on either side)."""
    around = [v for v in (values[i - 1] if i else None, values[i + 1] if i + 1 < len(values) else None)
              if v is not None]
    return "above" if not around or values[i] >= sum(around) / len(around) else "below"


def _marker(kind, x, y):
    """A point's marker: a filled circle or an open square."""
    if kind == "square":
        return (f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#ffffff" stroke="{INK}" '
                f'stroke-width="2"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BLUE}" stroke="{BLUE}"/>'


def line_chart(chart_id, title, desc, x_labels, series, fmt, target=None, target_label="", years=None):
    """Lines over months with value labels at the points (every point up to twelve, fewer beyond), an optional
    stepped target line (one value per month) and the months, with the year under each January and the first."""
    n = len(x_labels)
    left, right, top, bottom = 40, WIDTH - 12, 20, 44
    height = 250
    plot = height - top - bottom
    floor = _nice_floor([v for s in series for v in s.values] + list(target or []))
    step_x = (right - left) / max(n, 1)

    def x_at(i):
        return left + step_x * (i + 0.5)

    def y_at(v):
        return top + plot * (1 - (v - floor) / (1 - floor))

    body = []
    grid = 0.05 if 1 - floor <= 0.31 else 0.1
    level = floor
    while level <= 1.0 + 1e-9:
        y = y_at(level)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        body.append(_text(left - 4, y + 4, fmt(level), size=SMALL, anchor="end", fill=MUTED))
        level += grid
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            body.append(_text(x_at(i), height - bottom + 16, label, size=SMALL, anchor="middle", fill=MUTED))
        if years and years[i]:
            body.append(_text(x_at(i), height - bottom + 30, years[i], size=SMALL, anchor="middle", fill=MUTED))
    if target:
        for i, value in enumerate(target):
            if value is not None:
                y = y_at(value)
                body.append(f'<line x1="{x_at(i) - step_x / 2:.1f}" y1="{y:.1f}" x2="{x_at(i) + step_x / 2:.1f}" '
                            f'y2="{y:.1f}" stroke="{RED}" stroke-width="2" stroke-dasharray="2 3"/>')
        first = next((i for i, v in enumerate(target) if v is not None), None)
        if first is not None:
            body.append(_text(x_at(first) - step_x / 2 + 2, y_at(target[first]) + 12,
                              f"{target_label} {fmt(target[first])}", size=SMALL, fill=RED, halo=True))
    labelled = set()
    for s in series:
        segments, current = [], []
        for i, value in enumerate(s.values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append((x_at(i), y_at(value)))
        if current:
            segments.append(current)
        dash = ' stroke-dasharray="6 3"' if s.dashed else ""
        for points in segments:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{INK if s.marker == "square" else BLUE}" '
                        f'stroke-width="2"{dash}/>')
        for i, value in enumerate(s.values):
            if value is None:
                continue
            body.append(_marker(s.marker, x_at(i), y_at(value)))
            text = fmt(value, short=True)
            if s.labels != "none" and (i % every == 0 or i == n - 1) and (i, text) not in labelled:
                labelled.add((i, text))
                place = s.labels if s.labels != "auto" else _place(s.values, i)
                dy = -9 if place == "above" else 17
                body.append(_text(x_at(i), y_at(value) + dy, text, size=SMALL, anchor="middle", halo=True))
    return _svg(chart_id, title, desc, height, body)


def swatch(kind):
    """A small legend sample (decorative: the legend's text says what it stands for)."""
    shapes = {
        "satisfied": f'<line x1="2" y1="8" x2="30" y2="8" stroke="{BLUE}" stroke-width="2"/>'
                     f'<circle cx="16" cy="8" r="4" fill="{BLUE}"/>',
        "index": f'<line x1="2" y1="8" x2="30" y2="8" stroke="{INK}" stroke-width="2" stroke-dasharray="6 3"/>'
                 f'<rect x="12" y="4" width="8" height="8" fill="#ffffff" stroke="{INK}" stroke-width="2"/>',
        "target": f'<line x1="2" y1="8" x2="30" y2="8" stroke="{RED}" stroke-width="2" stroke-dasharray="2 3"/>',
        "bar": f'<rect x="2" y="2" width="28" height="12" fill="{BLUE}"/>',
        "hatched": f'<rect x="2" y="2" width="28" height="12" fill="#ffffff" stroke="{BLUE}"/>'
                   f'<path d="M4 14L14 2M12 14L22 2M20 14L30 4" stroke="{BLUE}" stroke-width="2.5"/>',
        "interval": f'<path d="M4 8H28M4 3V13M28 3V13" stroke="{INK}" stroke-width="1.5" fill="none"/>',
    }
    return Markup(f'<svg class="swatch" viewBox="0 0 32 16" width="32" height="16" aria-hidden="true" '
                  f'focusable="false" xmlns="http://www.w3.org/2000/svg">{shapes[kind]}</svg>')
