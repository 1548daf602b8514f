"""Bar, horizontal bar, histogram and line charts (see :mod:`plugins.renderers.charts`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from communityroi import Chart, Table
from plugins.renderers import formatting as fmt
from plugins.renderers.charts.svg import (
    WIDTH,
    Ctx,
    Style,
    category_labels,
    category_text,
    clip,
    column_label,
    defs,
    esc,
    n,
    nice_ticks,
    paint,
    placeholder,
    svg,
    text_width,
)

GRID = "#e3e6eb"
AXIS = "#8a929c"
MUTED = "#5b636d"
SMALL = 10.5
MAX_BARS = 20
MAX_HBARS = 15


def _num(v: Any) -> float | None:
    return None if fmt.is_missing(v) or isinstance(v, str) else float(v)


def legend(names: list[str], styles: list[Style], ctx: Ctx, y: float, line: bool = False) -> str:
    """A one-row (wrapping) legend with swatches that match the series textures."""
    parts, x = [], 0.0
    for i, name in enumerate(names):
        w = 18 + text_width(name, SMALL) + 14
        if x + w > WIDTH and x > 0:
            x, y = 0.0, y + 16
        if line:
            st = styles[i]
            dash = f' stroke-dasharray="{st.dash}"' if st.dash else ""
            parts.append(
                f'<line x1="{n(x)}" y1="{n(y - 4)}" x2="{n(x + 14)}" y2="{n(y - 4)}" '
                f'stroke="{st.fill}" stroke-width="2.5"{dash}/>'
            )
        else:
            parts.append(
                f'<rect x="{n(x)}" y="{n(y - 10)}" width="12" height="12" rx="2" '
                f'fill="{paint(ctx.uid, styles, i)}" stroke="{styles[i].fill}"/>'
            )
        parts.append(
            f'<text x="{n(x + 18)}" y="{n(y)}" font-size="{SMALL}" fill="{MUTED}">'
            f"{esc(name)}</text>"
        )
        x += w
    return f'<g class="legend">{"".join(parts)}</g>', y


def _y_axis(ticks: list[float], scale, left: float, right: float, ctx: Ctx, unit) -> str:
    parts = []
    for t in ticks:
        y = scale(t)
        stroke = AXIS if t == 0 else GRID
        parts.append(
            f'<line x1="{n(left)}" y1="{n(y)}" x2="{n(right)}" y2="{n(y)}" stroke="{stroke}"/>'
            f'<text x="{n(left - 6)}" y="{n(y + 4)}" text-anchor="end" fill="{MUTED}">'
            f"{esc(ctx.fmt(t, unit))}</text>"
        )
    return "".join(parts)


def _axis_titles(chart: Chart, ctx: Ctx, top: float, bottom: float, height: float) -> str:
    parts = []
    if chart.y_label:
        mid = (top + bottom) / 2
        parts.append(
            f'<text transform="translate(12 {n(mid)}) rotate(-90)" text-anchor="middle" '
            f'fill="{MUTED}">{esc(chart.y_label.get(ctx.lang))}</text>'
        )
    if chart.x_label:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{n(height - 6)}" text-anchor="middle" fill="{MUTED}">'
            f"{esc(chart.x_label.get(ctx.lang))}</text>"
        )
    return "".join(parts)


def _columns(chart: Chart, table: Table, limit: int) -> tuple[list[Any], list[list[float | None]]]:
    df = table.data.head(limit)
    cats = df[chart.x].to_list()
    series = [[_num(v) for v in df[c].to_list()] for c in chart.y]
    return cats, series


def bar(chart: Chart, table: Table, ctx: Ctx, *, histogram: bool = False) -> str:
    """Vertical bars; several ``y`` columns become grouped bars with a legend."""
    raw_cats, series = _columns(chart, table, MAX_BARS if not histogram else 60)
    cats = category_labels(raw_cats, ctx.lang)
    styles = ctx.styles(len(series))
    names = [column_label(table, c, ctx.lang) for c in chart.y]
    values = [v for s in series for v in s if v is not None]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    ticks = nice_ticks(lo, hi)
    lo, hi = min(ticks[0], lo), max(ticks[-1], hi)
    top, parts = 14.0, []
    if len(series) > 1:
        leg, ly = legend(names, styles, ctx, 12)
        parts.append(leg)
        top = ly + 14
    left = (
        max(text_width(ctx.fmt(t, chart.unit)) for t in ticks) + 12 + (18 if chart.y_label else 0)
    )
    right = WIDTH - 8
    slot = (right - left) / max(len(cats), 1)
    widest = max(text_width(c) for c in cats)
    rotate = widest > slot - 4
    label_h = min(widest, 110) * 0.6 + 16 if rotate else 20
    plot_h = 210.0
    bottom = top + plot_h
    height = bottom + label_h + (20 if chart.x_label else 4)

    def scale(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * plot_h

    parts.append(_y_axis(ticks, scale, left, right, ctx, chart.unit))
    group = slot * (0.94 if histogram else 0.74)
    bw = group / len(series)
    show_values = len(cats) * len(series) <= 24
    for i, cat in enumerate(cats):
        x0 = left + i * slot + (slot - group) / 2
        for j, s in enumerate(series):
            v = s[i]
            if v is None:
                continue
            y0, y1 = sorted((scale(v), scale(0)))
            x = x0 + j * bw
            parts.append(
                f'<rect x="{n(x)}" y="{n(y0)}" width="{n(max(bw - 1, 1))}" '
                f'height="{n(max(y1 - y0, 0.5))}" fill="{paint(ctx.uid, styles, j)}" '
                f'stroke="{styles[j].fill}" stroke-width="0.8">'
                f"{ctx.tip(f'{esc(cat)} · {esc(names[j])}: {esc(ctx.fmt(v, chart.unit))}')}"
                "</rect>"
            )
            if show_values:
                ty = y0 - 4 if v >= 0 else y1 + 12
                parts.append(
                    f'<text x="{n(x + bw / 2)}" y="{n(ty)}" text-anchor="middle" '
                    f'font-size="{SMALL}" fill="#2b2f36">{esc(ctx.fmt(v, chart.unit))}</text>'
                )
        cx = left + (i + 0.5) * slot
        if rotate:
            parts.append(
                f'<text transform="translate({n(cx + 3)} {n(bottom + 12)}) rotate(-35)" '
                f'text-anchor="end" fill="{MUTED}">{esc(clip(cat, 110))}</text>'
            )
        else:
            parts.append(
                f'<text x="{n(cx)}" y="{n(bottom + 15)}" text-anchor="middle" fill="{MUTED}">'
                f"{esc(cat)}</text>"
            )
    parts.append(_axis_titles(chart, ctx, top, bottom, height))
    return svg(chart, ctx, height, "".join(parts), defs(ctx.uid, styles))


def histogram(chart: Chart, table: Table, ctx: Ctx) -> str:
    """Touching bars of ``y[0]`` counts per bin label ``x``."""
    one = Chart(
        chart.key,
        chart.kind,
        chart.title,
        chart.table,
        chart.x,
        chart.y[:1],
        chart.value,
        chart.unit,
        chart.x_label,
        chart.y_label,
    )
    return bar(one, table, ctx, histogram=True)


def hbar(chart: Chart, table: Table, ctx: Ctx) -> str:
    """Horizontal bars, for rankings with long category names."""
    raw_cats, series = _columns(chart, table, MAX_HBARS)
    cats = category_labels(raw_cats, ctx.lang)
    styles = ctx.styles(len(series))
    names = [column_label(table, c, ctx.lang) for c in chart.y]
    values = [v for s in series for v in s if v is not None]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    top, parts = 8.0, []
    if len(series) > 1:
        leg, ly = legend(names, styles, ctx, 12)
        parts.append(leg)
        top = ly + 10
    label_w = min(max(text_width(c) for c in cats), 190) + 12
    neg_w = text_width(ctx.fmt(lo, chart.unit), SMALL) + 8 if lo < 0 else 0.0
    left = label_w + neg_w
    right = WIDTH - 8 - text_width(ctx.fmt(hi, chart.unit), SMALL) - 8
    bh = 16.0
    row = bh * len(series) + 10
    bottom = top + row * len(cats)
    height = bottom + (22 if chart.x_label else 8)
    span = (hi - lo) or 1.0

    def scale(v: float) -> float:
        return left + (v - lo) / span * (right - left)

    x0 = scale(0)
    parts.append(
        f'<line x1="{n(x0)}" y1="{n(top)}" x2="{n(x0)}" y2="{n(bottom)}" stroke="{AXIS}"/>'
    )
    for i, cat in enumerate(cats):
        ry = top + i * row + 5
        parts.append(
            f'<text x="{n(label_w - 8)}" y="{n(ry + row / 2 - 1)}" text-anchor="end" '
            f'fill="#2b2f36">{esc(clip(cat, 190))}</text>'
        )
        for j, s in enumerate(series):
            v = s[i]
            if v is None:
                continue
            a, b = sorted((scale(v), x0))
            y = ry + j * bh
            parts.append(
                f'<rect x="{n(a)}" y="{n(y)}" width="{n(max(b - a, 0.5))}" height="{n(bh - 2)}" '
                f'fill="{paint(ctx.uid, styles, j)}" stroke="{styles[j].fill}" '
                f'stroke-width="0.8">'
                f"{ctx.tip(f'{esc(cat)} · {esc(names[j])}: {esc(ctx.fmt(v, chart.unit))}')}"
                "</rect>"
            )
            tx, anchor = (b + 4, "start") if v >= 0 else (a - 4, "end")
            parts.append(
                f'<text x="{n(tx)}" y="{n(y + bh - 5)}" text-anchor="{anchor}" '
                f'font-size="{SMALL}" fill="#2b2f36">{esc(ctx.fmt(v, chart.unit))}</text>'
            )
    parts.append(_axis_titles(chart, ctx, top, bottom, height))
    return svg(chart, ctx, height, "".join(parts), defs(ctx.uid, styles))


def _x_positions(xs: list[Any]) -> tuple[list[float], str]:
    """Numeric x positions: time for dates, value for numbers, else the index."""
    if xs and all(isinstance(x, datetime) for x in xs):
        return [x.timestamp() / 86400 for x in xs], "date"
    if xs and all(isinstance(x, date) for x in xs):
        return [float(x.toordinal()) for x in xs], "date"
    if xs and all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs):
        return [float(x) for x in xs], "number"
    return [float(i) for i in range(len(xs))], "index"


def _x_label(x: Any, kind: str, span_days: float, ctx: Ctx) -> str:
    if kind == "date":
        d = x.date() if isinstance(x, datetime) else x
        return category_text(d, ctx.lang, "yMMM" if span_days > 150 else "MMMd")
    return category_text(x, ctx.lang)


def line(chart: Chart, table: Table, ctx: Ctx) -> str:
    """Time series: one line per ``y`` column, labelled at its end, gaps for nulls."""
    df = table.data.drop_nulls(chart.x)
    xs = df[chart.x].to_list()
    pos, kind = _x_positions(xs)
    series = [[_num(v) for v in df[c].to_list()] for c in chart.y]
    styles = ctx.styles(len(series))
    names = [column_label(table, c, ctx.lang) for c in chart.y]
    values = [v for s in series for v in s if v is not None]
    if not values:
        return placeholder(chart, ctx)
    lo, hi = min([0.0, *values]), max(values)
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], max(ticks[-1], hi)
    left = (
        max(text_width(ctx.fmt(t, chart.unit)) for t in ticks) + 12 + (18 if chart.y_label else 0)
    )
    multi = len(series) > 1
    right = WIDTH - (min(max(text_width(s, SMALL) for s in names), 150) + 14 if multi else 14)
    top, plot_h = 14.0, 210.0
    bottom = top + plot_h
    height = bottom + 24 + (20 if chart.x_label else 4)
    pmin, pmax = min(pos), max(pos)
    pspan = (pmax - pmin) or 1.0

    def sx(p: float) -> float:
        return left + (p - pmin) / pspan * (right - left) if len(pos) > 1 else (left + right) / 2

    def sy(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * plot_h

    parts = [_y_axis(ticks, sy, left, right, ctx, chart.unit)]
    k = min(len(xs), 7)
    idx = sorted({round(i * (len(xs) - 1) / max(k - 1, 1)) for i in range(k)})
    span_days = pspan if kind == "date" else 0
    for i in idx:
        anchor = "start" if i == 0 and len(idx) > 1 else ("end" if i == len(xs) - 1 else "middle")
        parts.append(
            f'<text x="{n(sx(pos[i]))}" y="{n(bottom + 16)}" text-anchor="{anchor}" '
            f'fill="{MUTED}">{esc(_x_label(xs[i], kind, span_days, ctx))}</text>'
        )
    ends: list[tuple[float, int]] = []
    for j, s in enumerate(series):
        st = styles[j]
        dash = f' stroke-dasharray="{st.dash}"' if st.dash else ""
        segs, cur = [], []
        for p, v in zip(pos, s, strict=True):
            if v is None:
                if cur:
                    segs.append(cur)
                cur = []
            else:
                cur.append(f"{n(sx(p))},{n(sy(v))}")
        if cur:
            segs.append(cur)
        for seg in segs:
            parts.append(
                f'<polyline points="{" ".join(seg)}" fill="none" stroke="{st.fill}" '
                f'stroke-width="2.2" stroke-linejoin="round"{dash}/>'
            )
        if len(pos) <= 40:
            for p, v in zip(pos, s, strict=True):
                if v is not None:
                    parts.append(_marker(st, sx(p), sy(v)))
        last = next(
            ((p, v) for p, v in zip(reversed(pos), reversed(s), strict=True) if v is not None), None
        )
        if last is not None:
            ends.append((sy(last[1]), j))
    if multi:
        placed: list[float] = []
        for y, j in sorted(ends):
            y = max(y, placed[-1] + 13) if placed else y
            placed.append(y)
            parts.append(
                f'<text x="{n(right + 6)}" y="{n(y + 4)}" font-size="{SMALL}" '
                f'fill="{styles[j].fill}" font-weight="bold">{esc(clip(names[j], 150, SMALL))}'
                f"</text>"
            )
    parts.append(_axis_titles(chart, ctx, top, bottom, height))
    return svg(chart, ctx, height, "".join(parts))


def _marker(st: Style, x: float, y: float) -> str:
    if st.marker == "square":
        return f'<rect x="{n(x - 3)}" y="{n(y - 3)}" width="6" height="6" fill="{st.fill}"/>'
    if st.marker == "diamond":
        pts = f"{n(x)},{n(y - 4)} {n(x + 4)},{n(y)} {n(x)},{n(y + 4)} {n(x - 4)},{n(y)}"
        return f'<polygon points="{pts}" fill="{st.fill}"/>'
    return (
        f'<circle cx="{n(x)}" cy="{n(y)}" r="3" fill="#ffffff" stroke="{st.fill}" '
        f'stroke-width="2"/>'
    )
