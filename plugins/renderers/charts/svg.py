"""The drawing toolkit every chart module shares: escaping, text widths, colours,
series styles, ticks and the ``<svg>`` frame. Imports nothing of the chart package."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

from babel.dates import format_skeleton

from communityroi import Chart, Table
from plugins.renderers import formatting as fmt
from plugins.renderers.labels import label

WIDTH = 640
FONT = 12.0
ESC_ENTITIES = {'"': "&quot;", "'": "&#39;"}


def esc(text: Any) -> str:
    """XML-escape any value for SVG text or attribute use."""
    return _xml_escape(str(text), ESC_ENTITIES)


def n(x: float) -> str:
    """A coordinate with one decimal, without trailing zeros (deterministic)."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def text_width(text: str, size: float = FONT) -> float:
    """Approximate rendered width: CJK characters are square, Latin ones ~0.58 em."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return (wide + 0.58 * (len(text) - wide)) * size


def clip(text: str, max_width: float, size: float = FONT) -> str:
    """Shorten ``text`` with an ellipsis to fit ``max_width``."""
    if text_width(text, size) <= max_width:
        return text
    out = text
    while out and text_width(out + "…", size) > max_width:
        out = out[:-1]
    return out + "…"


# --- colours -----------------------------------------------------------------------


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def mix(colour: str, other: str, t: float) -> str:
    """``colour`` moved a fraction ``t`` towards ``other`` (both ``#rrggbb``)."""
    a, b = _rgb(colour), _rgb(other)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def luminance(colour: str) -> float:
    r, g, b = (c / 255 for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink_on(colour: str) -> str:
    """Dark or white text, whichever reads better on ``colour``."""
    return "#1a1a1a" if luminance(colour) > 0.55 else "#ffffff"


@dataclass(frozen=True)
class Style:
    fill: str
    pattern: str | None  # None (solid), "hatch", "dots"
    dash: str | None  # stroke-dasharray for lines
    marker: str  # circle / square / diamond


def series_styles(primary: str, accent: str, count: int) -> list[Style]:
    """Series styles that differ in hue, lightness and texture (grayscale-safe)."""
    base = [
        Style(primary, None, None, "circle"),
        Style(accent, "hatch", "6 3", "square"),
        Style(mix(primary, "#ffffff", 0.55), None, "2 3", "diamond"),
        Style(mix(accent, "#000000", 0.35), "dots", "8 3 2 3", "circle"),
        Style(mix(primary, "#000000", 0.45), "hatch", "1 2", "square"),
        Style(mix(accent, "#ffffff", 0.5), None, "10 4", "diamond"),
    ]
    return [base[i % len(base)] for i in range(max(count, 1))]


def defs(uid: str, styles: list[Style]) -> str:
    """``<defs>`` with one pattern per patterned series style."""
    parts = []
    for i, st in enumerate(styles):
        pid = f"{uid}-p{i}"
        if st.pattern == "hatch":
            parts.append(
                f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{st.fill}"/>'
                f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2.2"/>'
                f"</pattern>"
            )
        elif st.pattern == "dots":
            parts.append(
                f'<pattern id="{pid}" width="5" height="5" patternUnits="userSpaceOnUse">'
                f'<rect width="5" height="5" fill="{st.fill}"/>'
                f'<circle cx="2.5" cy="2.5" r="1.1" fill="#ffffff"/></pattern>'
            )
    return f"<defs>{''.join(parts)}</defs>" if parts else ""


def paint(uid: str, styles: list[Style], i: int) -> str:
    st = styles[i]
    return f"url(#{uid}-p{i})" if st.pattern else st.fill


# --- axes and ticks ----------------------------------------------------------------


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (always including 0 when in range)."""
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def category_text(v: Any, lang: str, skeleton: str = "yMMMd") -> str:
    """A category / x value as a label: dates localised, numbers grouped."""
    if fmt.is_missing(v):
        return fmt.MISSING
    if isinstance(v, datetime):
        return fmt.datetime_(v, lang)
    if isinstance(v, date):
        return format_skeleton(skeleton, v, locale=fmt.locale_of(lang))
    if isinstance(v, float | int) and not isinstance(v, bool):
        return fmt.number(v, lang)
    return str(v)


def date_skeleton(values: list[Any]) -> str:
    """Month starts read as ``Jan 2025``; dates within one year as ``Jan 5``."""
    days = [v for v in values if isinstance(v, date) and not isinstance(v, datetime)]
    if not days:
        return "yMMMd"
    if all(d.day == 1 for d in days):
        return "yMMM"
    return "MMMd" if len({d.year for d in days}) == 1 else "yMMMd"


def category_labels(values: list[Any], lang: str) -> list[str]:
    sk = date_skeleton(values)
    return [category_text(v, lang, sk) for v in values]


@dataclass(frozen=True)
class Ctx:
    """What every chart function gets besides the chart and its data."""

    lang: str
    currency: str
    primary: str
    accent: str
    uid: str
    font: str = "sans-serif"
    medium: str = "screen"  # "print": no hover tooltips, the chart as an SVG image

    def tip(self, text: str) -> str:
        """A hover tooltip (``<title>``, already escaped text) — on screen only."""
        return f"<title>{text}</title>" if self.medium == "screen" else ""

    def styles(self, count: int) -> list[Style]:
        return series_styles(self.primary, self.accent, count)

    def fmt(self, v: Any, unit: str | None) -> str:
        return fmt.compact(v, unit, self.lang, self.currency)


def column_label(table: Table, col: str, lang: str) -> str:
    info = table.columns.get(col)
    return info.label.get(lang) if info else col


def svg(chart: Chart, ctx: Ctx, height: float, body: str, extra_defs: str = "") -> str:
    """Wrap chart ``body`` in a titled, accessible, responsive ``<svg>`` element.

    In print (``ctx.medium == "print"``) the same drawing comes as
    ``<img src="data:image/svg+xml;base64,…">``: WeasyPrint draws both with its SVG
    renderer (vector graphics, real text), but an image's elements skip the HTML parser,
    the CSS cascade and the box tree — on the demo report the charts are a third of the
    document's elements."""
    title = chart.title.get(ctx.lang)
    aria = esc(label("chart_of", ctx.lang, title=title))
    cls = f"chart chart-{esc(chart.kind)}"
    size = f'width="{WIDTH}" height="{n(height)}"'
    doc = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" '
        f'viewBox="0 0 {WIDTH} {n(height)}" {size} role="img" aria-label="{aria}" '
        f'font-size="{n(FONT)}" font-family="{esc(ctx.font)}" data-chart="{esc(chart.key)}">'
        f"{ctx.tip(esc(title))}{extra_defs}{body}</svg>"
    )
    if ctx.medium == "screen":
        return doc
    uri = "data:image/svg+xml;base64," + base64.b64encode(doc.encode("utf-8")).decode("ascii")
    return f'<img class="{cls}" src="{uri}" alt="{aria}" {size}>'


def placeholder(chart: Chart, ctx: Ctx) -> str:
    body = (
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="79" rx="6" fill="#f6f7f9" '
        f'stroke="#d9dde3"/><text x="{WIDTH / 2}" y="45" text-anchor="middle" fill="#667">'
        f"{esc(label('empty_chart', ctx.lang))}</text>"
    )
    return svg(chart, ctx, 80, body)
