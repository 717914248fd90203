"""Accessible charts drawn on the server as SVG, each with the data table that stands beside it.

No JavaScript, no inline styles (the CSP allows neither) and no gettext: callers pass text
already translated, and numbers already formatted, so suppression (*) and locale stay theirs.
"""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640  # viewBox units; about 1:1 with the two-thirds column, so 16 reads as 16px there
PAD = 8
FONT = "Arial, sans-serif"  # the app's stack: Arial stands in for Frutiger (static/src/app.scss)
FONT_SIZE = 16
SMALL = 14
LINE = 20  # height of a line of FONT_SIZE text
# Text is never drawn in a series colour, so only these two need 4.5:1 against white.
TEXT = "#212b32"  # NHS.UK text colour, 14.4:1
AXIS = "#4c6272"  # NHS.UK secondary text colour, 6.4:1; axes carry meaning, so at least 3:1
GRID = "#d8dde0"  # gridlines only help the eye: every value is also written out and in the table
WHITE = "#ffffff"

# Okabe and Ito's "Color Universal Design" palette (2008) was built to stay distinguishable under
# protanopia, deuteranopia and tritanopia. Only these five of its eight colours reach the 3:1
# against white that WCAG 1.4.11 asks of graphics; orange (#e69f00), sky blue (#56b4e9) and yellow
# (#f0e442) fall short and are left out. Colour is never the only cue even so: each series also
# has a pattern (bars) or a marker shape and dash (lines), which is also what makes a
# black-and-white print readable.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#000000")
PATTERNS = ("solid", "hatch", "dots", "crosshatch", "horizontal", "vertical")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")
DASHES = (None, "8 4", "2 4", "12 4 2 4", "4 4", "16 4")

ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class ChartText:
    """Words drawn inside charts. Build one per request with gettext; the defaults are English."""

    no_data: str = "No data"
    not_shown: str = "not shown"


@dataclass(frozen=True)
class Series:
    """One series: a value per category (None when suppressed) and how each value is written."""

    name: str
    values: Sequence[float | None]
    display: Sequence[str]


@dataclass(frozen=True)
class Chart:
    """A drawn chart: svg is safe to output as it is, the table fields feed _charts.html."""

    kind: str
    title: str
    description: str
    categories: Sequence[str]
    series: Sequence[Series]
    svg: Markup
    table_headers: Sequence[str]
    table_rows: Sequence[Sequence[str]]
    unit: str
    id: str = "chart"
    text: ChartText = ChartText()


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


# --- checking the input ---------------------------------------------------------------------


def _clean(value: float | None) -> float | None:
    """NaN and infinity become gaps, like suppressed values, so neither can reach the SVG."""
    if value is None or not math.isfinite(value):
        return None
    if value < 0:
        raise ValueError(f"charts start at 0 and cannot show {value}")
    return float(value)


def _checked(categories: Sequence[str], series: Sequence[Series]) -> tuple[tuple, tuple]:
    """Plain copies: lazy gettext strings become str, so they are escaped like any other."""
    cleaned = []
    for one in series:
        if not len(one.values) == len(one.display) == len(categories):
            raise ValueError(
                f"series {one.name!r} needs one value and one display string per category"
            )
        values = tuple(_clean(v) for v in one.values)
        cleaned.append(Series(str(one.name), values, tuple(str(d) for d in one.display)))
    return tuple(str(c) for c in categories), tuple(cleaned)


def _chart_id(given: str | None, kind: str, title: str) -> str:
    """A given id is checked; otherwise one is derived from the title, the same on every run."""
    if given is None:
        return f"chart-{hashlib.blake2s((kind + title).encode(), digest_size=5).hexdigest()}"
    if not ID.fullmatch(given):
        raise ValueError(f"{given!r} is not a usable id: letters, digits, - and _, letter first")
    return given


# --- scales ---------------------------------------------------------------------------------


def _plain(value: float) -> str:
    return format(value, ".15g")


def _ticks(limit: float) -> list[float]:
    """Round steps (1, 2, 2.5 or 5 times a power of ten) from 0 to at least limit."""
    limit = limit if limit > 0 else 1.0
    raw = limit / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    count = math.ceil(limit / step - 1e-9)
    return [round(step * i, 10) for i in range(count + 1)]


def _scale(highest: float, unit: str, max_value: float | None) -> list[float]:
    """Percentages run 0-100; the axis stretches rather than cut off a value beyond its end."""
    if max_value is not None:
        if not (math.isfinite(max_value) and max_value > 0):
            raise ValueError("max_value must be a positive number")
        return _ticks(max(max_value, highest))
    return _ticks(max(100.0, highest) if unit == "%" else highest)


def _tick_formatter(unit: str, format_tick: Callable[[float], str] | None):
    if format_tick is not None:
        return format_tick
    suffix = "%" if unit == "%" else ""
    return lambda value: _plain(value) + suffix


# --- drawing --------------------------------------------------------------------------------


def _num(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError("chart geometry is not finite")
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _escaped(text: str) -> str:
    """Escapes even Markup and lazy gettext strings, whose __html__ would let "&" or "<" through
    unescaped: SVG text cannot hold HTML, and a bare "&" would break the XML."""
    return str(escape(str(text)))


def _tag(name: str, attrs: dict, content: str | None = None) -> str:
    parts = [name]
    for key, value in attrs.items():
        if value is not None:
            text = _num(value) if isinstance(value, int | float) else value
            parts.append(f'{key}="{escape(text)}"')
    if content is None:
        return f"<{' '.join(parts)}/>"
    return f"<{' '.join(parts)}>{content}</{name}>"


def _text_width(text: str, size: int = FONT_SIZE) -> float:
    """A generous estimate: SVG text cannot wrap or be measured on the server."""
    return len(text) * size * 0.6


def _wrap(text: str, width: float, size: int = FONT_SIZE) -> list[str]:
    chars = max(1, int(width / (size * 0.6)))
    return textwrap.wrap(text, chars, break_long_words=True) or [""]


class _Canvas:
    """Collects SVG in left-to-right coordinates and mirrors them for right-to-left pages.

    Text anchors stay logical: the root <svg> carries direction="rtl", under which
    text-anchor="start" means the right-hand end of the text, just as the mirroring needs.
    """

    def __init__(self, direction: str):
        if direction not in ("ltr", "rtl"):
            raise ValueError("direction must be 'ltr' or 'rtl'")
        self.rtl = direction == "rtl"
        self.parts: list[str] = []

    def x(self, x: float) -> float:
        return WIDTH - x if self.rtl else x

    def rect(self, x: float, y: float, width: float, height: float, **attrs) -> None:
        left = WIDTH - x - width if self.rtl else x
        self.add("rect", {"x": left, "y": y, "width": width, "height": height, **_svg(attrs)})

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs) -> None:
        self.add(
            "line", {"x1": self.x(x1), "y1": y1, "x2": self.x(x2), "y2": y2, **_svg(attrs)}
        )

    def text(self, x: float, y: float, text: str, *, anchor: str = "start", **attrs) -> None:
        attrs = {"x": self.x(x), "y": y, "text-anchor": anchor, **_svg(attrs)}
        attrs.setdefault("fill", TEXT)
        self.add("text", attrs, _escaped(text))

    def gap(self, x: float, middle: float, label: str = "*", anchor: str = "start") -> None:
        """Marks a hidden value, centred on middle; a lone "*" is drawn large, to be seen."""
        if label == "*":
            self.text(x, middle + 11, label, anchor=anchor, font_size=20, font_weight="bold")
        else:
            self.text(x, middle + 5, label, anchor=anchor, font_size=SMALL)

    def path(self, points: Sequence[tuple[float, float]], closed: bool = False, **attrs) -> None:
        d = " ".join(f"{'L' if i else 'M'}{_num(self.x(x))} {_num(y)}"
                     for i, (x, y) in enumerate(points))
        attrs = {"d": d + (" Z" if closed else ""), **_svg(attrs)}
        attrs.setdefault("fill", "none")
        self.add("path", attrs)

    def circle(self, cx: float, cy: float, r: float, **attrs) -> None:
        self.add("circle", {"cx": self.x(cx), "cy": cy, "r": r, **_svg(attrs)})

    def add(self, name: str, attrs: dict, content: str | None = None) -> None:
        self.parts.append(_tag(name, attrs, content))


def _svg(attrs: dict) -> dict:
    """Python keywords to SVG presentation attributes: stroke_width= becomes stroke-width=."""
    return {key.replace("_", "-"): value for key, value in attrs.items()}


def _pattern(chart_id: str, index: int) -> str | None:
    """A <pattern> for series index, drawn in its colour on white; None for the solid fill."""
    kind = PATTERNS[index % len(PATTERNS)]
    ink = colour(index)
    shapes = {
        "solid": None,
        "hatch": f'<path d="M-2 2L2 -2M0 8L8 0M6 10L10 6" stroke="{ink}" stroke-width="2"/>',
        "dots": f'<circle cx="2" cy="2" r="1.6" fill="{ink}"/>'
                f'<circle cx="6" cy="6" r="1.6" fill="{ink}"/>',
        "crosshatch": f'<path d="M0 0L8 8M8 0L0 8" stroke="{ink}" stroke-width="1.5"/>',
        "horizontal": f'<path d="M0 2H8M0 6H8" stroke="{ink}" stroke-width="1.5"/>',
        "vertical": f'<path d="M2 0V8M6 0V8" stroke="{ink}" stroke-width="1.5"/>',
    }[kind]
    if shapes is None:
        return None
    return (
        f'<pattern id="{chart_id}-pattern-{index}" patternUnits="userSpaceOnUse" '
        f'width="8" height="8"><rect width="8" height="8" fill="{WHITE}"/>{shapes}</pattern>'
    )


def _fill(chart_id: str, index: int) -> str:
    if PATTERNS[index % len(PATTERNS)] == "solid":
        return colour(index)
    return f"url(#{chart_id}-pattern-{index})"


def _defs(chart_id: str, count: int) -> str:
    patterns = [p for p in (_pattern(chart_id, i) for i in range(count)) if p]
    return f"<defs>{''.join(patterns)}</defs>" if patterns else ""


def _marker(canvas: _Canvas, shape: str, cx: float, cy: float, ink: str) -> None:
    """Marker shapes are symmetric left to right, so mirroring their centre is enough."""
    style = {"fill": ink, "stroke": WHITE, "stroke_width": 1}
    r = 5.5
    outlines = {
        "square": [(-r + 1, -r + 1), (r - 1, -r + 1), (r - 1, r - 1), (-r + 1, r - 1)],
        "triangle": [(0, -r - 1), (r + 1, r - 0.5), (-r - 1, r - 0.5)],
        "diamond": [(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
        "triangle-down": [(0, r + 1), (r + 1, -r + 0.5), (-r - 1, -r + 0.5)],
    }
    if shape == "circle":
        canvas.circle(cx, cy, r - 0.5, **style)
    elif shape == "cross":
        canvas.path([(cx - r, cy - r), (cx + r, cy + r)], stroke=ink, stroke_width=3)
        canvas.path([(cx + r, cy - r), (cx - r, cy + r)], stroke=ink, stroke_width=3)
    else:
        canvas.path([(cx + dx, cy + dy) for dx, dy in outlines[shape]], closed=True, **style)


def _swatch(canvas: _Canvas, chart_id: str, kind: str, index: int, x: float, y: float) -> None:
    if kind == "line":
        canvas.path([(x, y + 8), (x + 28, y + 8)], stroke=colour(index), stroke_width=2.5,
                    stroke_dasharray=DASHES[index % len(DASHES)])
        _marker(canvas, MARKERS[index % len(MARKERS)], x + 14, y + 8, colour(index))
    else:
        canvas.rect(x + 1, y, 26, 16, fill=_fill(chart_id, index), stroke=colour(index),
                    stroke_width=1.5)


def _legend(canvas: _Canvas, chart_id: str, kind: str, names: Sequence[str], top: float) -> float:
    """Swatch and name for each series, flowing onto new rows; returns the y below it."""
    x, y, row = PAD, top, 24
    for index, name in enumerate(names):
        lines = _wrap(name, WIDTH - 2 * PAD - 36)  # only a name longer than a row wraps
        width = 36 + max(_text_width(line) for line in lines)
        if x > PAD and x + width > WIDTH - PAD:
            x, y, row = PAD, y + row, 24
        _swatch(canvas, chart_id, kind, index, x, y)
        for n, line in enumerate(lines):
            canvas.text(x + 36, y + 13 + n * LINE, line)
        row = max(row, LINE * len(lines) + 4)
        x += width + 16
    return y + row + 8


def _footnote(canvas: _Canvas, text: ChartText, needed: bool, y: float) -> float:
    if not needed:
        return y
    canvas.text(PAD, y + SMALL, f"* {text.not_shown}", font_size=SMALL)
    return y + LINE + 4


def _document(chart_id: str, title: str, description: str, direction: str,
              height: float, body: str) -> Markup:
    return Markup(
        _tag(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "viewBox": f"0 0 {WIDTH} {_num(math.ceil(height))}",
                "width": "100%",
                "preserveAspectRatio": "xMidYMin meet",
                "role": "img",
                "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
                "class": "app-chart__image",
                "direction": direction,
                "font-family": FONT,
                "font-size": FONT_SIZE,
            },
            _tag("title", {"id": f"{chart_id}-title"}, _escaped(title))
            + _tag("desc", {"id": f"{chart_id}-desc"}, _escaped(description))
            + body,
        )
    )


def _no_data(canvas: _Canvas, text: ChartText) -> float:
    canvas.text(WIDTH / 2, 40, text.no_data, anchor="middle")
    return 64


@dataclass(frozen=True)
class _Draft:
    """What every drawing function needs, checked and worked out once."""

    id: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    ticks: list[float]
    labels: list[str]
    value_label: str


# --- bar charts -----------------------------------------------------------------------------


@dataclass
class _Axis:
    """A horizontal value axis from left to right (before any mirroring)."""

    ticks: list[float]
    left: float
    right: float

    def at(self, value: float) -> float:
        return self.left + (self.right - self.left) * min(value, self.ticks[-1]) / self.ticks[-1]


def _value_axis(ticks, labels: list[str], ends: Sequence[str]) -> _Axis:
    """Leaves room for the first tick label on the start side and value labels on the end."""
    left = max(PAD, _text_width(labels[0], SMALL) / 2 + 2)
    room = max([_text_width(t, SMALL) + 8 for t in ends] + [_text_width(labels[-1], SMALL) / 2])
    return _Axis(ticks, left, WIDTH - PAD - room)


def _draw_axis(canvas: _Canvas, axis: _Axis, labels: list[str], top: float, bottom: float,
               value_label: str) -> float:
    grid = _Canvas("rtl" if canvas.rtl else "ltr")
    for tick, label in zip(axis.ticks, labels, strict=True):
        x = axis.at(tick)
        if tick:
            grid.line(x, top, x, bottom, stroke=GRID, stroke_width=1)
        canvas.text(x, bottom + 18, label, anchor="middle", font_size=SMALL)
    grid.line(axis.left, top, axis.left, bottom, stroke=AXIS, stroke_width=1.5)
    canvas.parts[:0] = grid.parts  # gridlines go underneath the bars
    y = bottom + 24
    for line in _wrap(value_label, axis.right - axis.left) if value_label else []:
        canvas.text((axis.left + axis.right) / 2, y + 16, line, anchor="middle")
        y += LINE
    return y + 4


def _category_label(canvas: _Canvas, axis: _Axis, name: str, y: float) -> float:
    """The name on its own lines above its bars, clear of the axis, so it can be long."""
    for line in _wrap(name, WIDTH - PAD - axis.left - 6):
        canvas.text(axis.left + 6, y + 15, line)
        y += LINE
    return y + 2


def _grouped_bars(canvas, chart_id, axis, categories, series, top) -> tuple[float, bool]:
    """One bar per series under each category label; a value label at the end of each bar."""
    bar, gap, gaps = 22, 4, False
    y = top
    for i, name in enumerate(categories):
        y = _category_label(canvas, axis, name, y)
        for index, one in enumerate(series):
            value = one.values[i]
            if value is None:
                gaps = True
                canvas.gap(axis.left + 6, y + bar / 2, one.display[i] or "*")
            else:
                end = axis.at(value)
                if end > axis.left:
                    canvas.rect(axis.left, y, end - axis.left, bar, fill=_fill(chart_id, index),
                                stroke=colour(index), stroke_width=1.5)
                canvas.text(end + 6, y + 16, one.display[i], font_size=SMALL)
            y += bar + gap
        y += 12
    return y, gaps


def _draw_bars(canvas: _Canvas, draft: _Draft) -> tuple[float, bool]:
    axis = _value_axis(draft.ticks, draft.labels, [d for s in draft.series for d in s.display])
    top = _legend(canvas, draft.id, "bar", [s.name for s in draft.series], PAD) \
        if len(draft.series) > 1 else PAD
    bottom, gaps = _grouped_bars(canvas, draft.id, axis, draft.categories, draft.series, top)
    return _draw_axis(canvas, axis, draft.labels, top, bottom - 8, draft.value_label), gaps


# --- stacked bar charts ---------------------------------------------------------------------


def _segment_label(canvas: _Canvas, display: str, start: float, end: float, y: float) -> None:
    """Writes the value on a white tab inside its segment when it fits; the table has it anyway."""
    width = _text_width(display, SMALL) + 6
    if end - start < width + 4:
        return
    middle = (start + end) / 2
    canvas.rect(middle - width / 2, y + 5, width, 18, fill=WHITE, rx=3)
    canvas.text(middle, y + 19, display, anchor="middle", font_size=SMALL)


def _stack(canvas, chart_id, axis, series, i, y) -> bool:
    """Draws category i's stack; returns whether a part of it is not shown."""
    height, total, hidden, edges = 28, 0.0, False, []
    for index, one in enumerate(series):
        value = one.values[i]
        if value is None:
            hidden = True
            continue
        start, end = axis.at(total), axis.at(total + value)
        total += value
        if end > start:
            canvas.rect(start, y, end - start, height, fill=_fill(chart_id, index),
                        stroke=colour(index), stroke_width=1.5)
            _segment_label(canvas, one.display[i], start, end, y)
            edges.append(end)
    # White gaps keep neighbouring segments apart in greyscale, whatever their colours.
    for edge in edges[:-1]:
        canvas.line(edge, y - 1, edge, y + height + 1, stroke=WHITE, stroke_width=3)
    if hidden:
        canvas.gap(axis.at(total) + 6, y + height / 2)
    return hidden


def _stacks(canvas, chart_id, axis, categories, series, top) -> tuple[float, bool]:
    y, gaps = top, False
    for i, name in enumerate(categories):
        y = _category_label(canvas, axis, name, y)
        gaps = _stack(canvas, chart_id, axis, series, i, y) or gaps
        y += 28 + 14
    return y, gaps


def _draw_stacks(canvas: _Canvas, draft: _Draft) -> tuple[float, bool]:
    axis = _value_axis(draft.ticks, draft.labels, ["*"])
    top = _legend(canvas, draft.id, "bar", [s.name for s in draft.series], PAD)
    bottom, gaps = _stacks(canvas, draft.id, axis, draft.categories, draft.series, top)
    return _draw_axis(canvas, axis, draft.labels, top, bottom - 8, draft.value_label), gaps


# --- line charts ----------------------------------------------------------------------------


@dataclass
class _Plot:
    """The line chart's plotting area, in left-to-right coordinates."""

    ticks: list[float]
    left: float
    right: float
    top: float
    bottom: float
    count: int

    @property
    def slot(self) -> float:
        return (self.right - self.left) / self.count

    def x(self, i: int) -> float:
        return self.left + self.slot * (i + 0.5)

    def y(self, value: float) -> float:
        share = min(value, self.ticks[-1]) / self.ticks[-1]
        return self.bottom - (self.bottom - self.top) * share


def _label_step(categories: Sequence[str], slot: float) -> int:
    """Label every category if each fits on two lines in its slot, else every second, third..."""
    step = 1
    while step < len(categories) and any(
        len(_wrap(c, slot * step - 4, SMALL)) > 2 for c in categories
    ):
        step += 1
    return step


def _plot_frame(canvas: _Canvas, plot: _Plot, labels: list[str], categories) -> float:
    """Gridlines, both axes and their labels; returns the y below the category labels."""
    for tick, label in zip(plot.ticks, labels, strict=True):
        y = plot.y(tick)
        if tick:
            canvas.line(plot.left, y, plot.right, y, stroke=GRID, stroke_width=1)
        canvas.text(plot.left - 6, y + 5, label, anchor="end", font_size=SMALL)
    canvas.line(plot.left, plot.top, plot.left, plot.bottom, stroke=AXIS, stroke_width=1.5)
    canvas.line(plot.left, plot.bottom, plot.right, plot.bottom, stroke=AXIS, stroke_width=1.5)
    step, lowest = _label_step(categories, plot.slot), plot.bottom
    for i, name in enumerate(categories):
        canvas.line(plot.x(i), plot.bottom, plot.x(i), plot.bottom + 5, stroke=AXIS)
        if i % step:
            continue
        for row, line in enumerate(_wrap(name, plot.slot * step - 4, SMALL)[:2]):
            lowest = max(lowest, plot.bottom + 20 + row * 17)
            canvas.text(plot.x(i), plot.bottom + 20 + row * 17, line, anchor="middle",
                        font_size=SMALL)
    return lowest + 10


def _runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of the unbroken stretches between gaps."""
    runs: list[list[int]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(i)
    return [run for run in runs if run]


def _draw_lines(canvas: _Canvas, plot: _Plot, series) -> bool:
    """A dashed line and marker shape per series, broken at gaps; returns whether any gap."""
    for index, one in enumerate(series):
        ink = colour(index)
        for run in _runs(one.values):
            if len(run) > 1:
                canvas.path([(plot.x(i), plot.y(one.values[i])) for i in run], stroke=ink,
                            stroke_width=2.5, stroke_dasharray=DASHES[index % len(DASHES)],
                            stroke_linejoin="round")
            for i in run:
                _marker(canvas, MARKERS[index % len(MARKERS)], plot.x(i),
                        plot.y(one.values[i]), ink)
    hidden = False
    for one in series:
        for i, value in enumerate(one.values):
            if value is None:
                hidden = True
                canvas.gap(plot.x(i), plot.y(_bridge(one.values, i)), anchor="middle")
    return hidden


def _bridge(values: Sequence[float | None], i: int) -> float:
    """Where the line would pass through gap i: a "*" there marks that series' gap, not a value."""
    before = next((v for v in reversed(values[:i]) if v is not None), None)
    after = next((v for v in values[i + 1 :] if v is not None), None)
    known = [v for v in (before, after) if v is not None]
    return sum(known) / len(known) if known else 0.0


def _draw_line(canvas: _Canvas, draft: _Draft) -> tuple[float, bool]:
    y = _legend(canvas, draft.id, "line", [s.name for s in draft.series], PAD) \
        if len(draft.series) > 1 else PAD
    for line in _wrap(draft.value_label, WIDTH - 2 * PAD) if draft.value_label else []:
        canvas.text(PAD, y + 15, line)
        y += LINE
    left = PAD + max(_text_width(label, SMALL) for label in draft.labels) + 8
    plot = _Plot(draft.ticks, left, WIDTH - PAD, y + 16, y + 16 + 240, len(draft.categories))
    below = _plot_frame(canvas, plot, draft.labels, draft.categories)
    return below, _draw_lines(canvas, plot, draft.series)


# --- the public functions -------------------------------------------------------------------


def _highest_value(series: Sequence[Series]) -> float:
    return max((v for one in series for v in one.values if v is not None), default=0.0)


def _highest_total(series: Sequence[Series]) -> float:
    return max(sum(v for v in values if v is not None) for values in zip(
        *(one.values for one in series), strict=True))


def _build(kind: str, draw, highest, *, title: str, description: str,
           categories: Sequence[str], series: Sequence[Series], category_label: str, unit: str,
           max_value: float | None, direction: str, value_label: str, id: str | None,
           text: ChartText | None, format_tick: Callable[[float], str] | None) -> Chart:
    categories, series = _checked(categories, series)
    title, description, value_label = str(title), str(description), str(value_label)
    chart_id = _chart_id(id, kind, title)
    text = text or ChartText()
    canvas = _Canvas(direction)
    if not categories or not series:
        height = _no_data(canvas, text)
    else:
        ticks = _scale(highest(series), unit, max_value)
        labels = [_tick_formatter(unit, format_tick)(tick) for tick in ticks]
        bottom, gaps = draw(canvas, _Draft(chart_id, categories, series, ticks, labels,
                                           value_label))
        height = _footnote(canvas, text, gaps, bottom)
    patterns = _defs(chart_id, len(series)) if kind != "line" else ""
    svg = _document(chart_id, title, description, direction, height + PAD,
                    patterns + "".join(canvas.parts))
    headers = [str(category_label), *(one.name for one in series)] if series else []
    rows = [[name, *(one.display[i] for one in series)] for i, name in enumerate(categories)]
    return Chart(kind, title, description, categories, series, svg, headers, rows, unit,
                 chart_id, text)


def bar_chart(*, title: str, description: str, categories: Sequence[str],
              series: Sequence[Series], category_label: str, unit: str = "%",
              max_value: float | None = None, direction: str = "ltr", value_label: str = "",
              id: str | None = None, text: ChartText | None = None,
              format_tick: Callable[[float], str] | None = None) -> Chart:
    """Horizontal bars, grouped when there are several series, each labelled at its end.

    Every argument is a keyword; every string is shown as given, so translate it first.

    :param categories: category names, each drawn on its own line above its bars.
    :param series: one Series per group member; None values are drawn as a "*", never as 0.
    :param category_label: the table's heading for the category column; required, since an
        empty header leaves screen reader users guessing.
    :param unit: "%" fixes the scale at 0 to 100; anything else scales to the data.
    :param max_value: the end of the scale; it grows rather than cut a longer bar short.
    :param direction: "rtl" mirrors the chart: bars grow from the right.
    :param value_label: a name for the value axis, drawn below it.
    :param id: unique in the page; derived from the kind and title when not given.
    :param text: the words the SVG draws itself, translated (see ChartText).
    :param format_tick: formats the axis numbers for the locale; plain numbers otherwise.
    :raise ValueError: when a series lacks a value and display string per category, a value is
        negative, or the id or direction is unusable.
    """
    return _build("bar", _draw_bars, _highest_value, title=title, description=description,
                  categories=categories, series=series, category_label=category_label,
                  unit=unit, max_value=max_value, direction=direction, value_label=value_label,
                  id=id, text=text, format_tick=format_tick)


def stacked_bar_chart(*, title: str, description: str, categories: Sequence[str],
                      series: Sequence[Series], category_label: str, unit: str = "%",
                      max_value: float | None = None, direction: str = "ltr",
                      value_label: str = "", id: str | None = None,
                      text: ChartText | None = None,
                      format_tick: Callable[[float], str] | None = None) -> Chart:
    """One horizontal stack per category and a segment per series, such as risk levels.

    Takes bar_chart's arguments. A suppressed (None) segment is left out and its stack ends
    in a "*"; values are written inside the segments wide enough to hold them.
    """
    return _build("stacked", _draw_stacks, _highest_total, title=title,
                  description=description, categories=categories, series=series,
                  category_label=category_label, unit=unit, max_value=max_value,
                  direction=direction, value_label=value_label, id=id, text=text,
                  format_tick=format_tick)


def line_chart(*, title: str, description: str, categories: Sequence[str],
               series: Sequence[Series], category_label: str, unit: str,
               max_value: float | None = None, direction: str = "ltr", value_label: str = "",
               id: str | None = None, text: ChartText | None = None,
               format_tick: Callable[[float], str] | None = None) -> Chart:
    """A trend over categories in order, such as months: a line, dash and marker per series.

    Takes bar_chart's arguments; value_label is drawn above the value axis. A None value breaks
    the line and a "*" sits in the gap; "rtl" runs the categories from the right.
    """
    return _build("line", _draw_line, _highest_value, title=title, description=description,
                  categories=categories, series=series, category_label=category_label,
                  unit=unit, max_value=max_value, direction=direction, value_label=value_label,
                  id=id, text=text, format_tick=format_tick)
