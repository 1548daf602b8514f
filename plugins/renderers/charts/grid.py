"""Heatmaps (hour × weekday, cohort × month offset) and funnels."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import get_day_names

from communityroi import Chart, Table
from plugins.renderers import formatting as fmt
from plugins.renderers.charts.svg import (
    WIDTH,
    Ctx,
    category_labels,
    clip,
    column_label,
    esc,
    ink_on,
    mix,
    n,
    svg,
    text_width,
)

MUTED = "#5b636d"
EMPTY = "#f1f3f5"
SMALL = 10.5


def _ordered(values: list[Any]) -> list[Any]:
    """Distinct values: sorted when numbers or dates, else in order of appearance."""
    seen = list(dict.fromkeys(v for v in values if v is not None))
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in seen) or all(
        isinstance(v, date) for v in seen
    ):
        return sorted(seen)
    return seen


def _weekday_names(col: str, values: list[Any], lang: str) -> dict[Any, str] | None:
    """ISO weekdays (1 = Monday … 7) or 0–6 (0 = Monday) in a weekday column → names."""
    if not any(k in col.lower() for k in ("weekday", "dow", "day_of_week")):
        return None
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    names = get_day_names("abbreviated", locale=fmt.locale_of(lang))
    base = 1 if min(values) >= 1 else 0
    if max(values) - base > 6:
        return None
    return {v: names[v - base] for v in values}


def _labels(col: str, values: list[Any], lang: str) -> list[str]:
    names = _weekday_names(col, values, lang)
    if names:
        return [names[v] for v in values]
    return category_labels(values, lang)


def heatmap(chart: Chart, table: Table, ctx: Ctx) -> str:
    """Cells shaded from white to the brand colour by value; values printed where they fit."""
    ycol = chart.y[0]
    vcol = chart.value or (chart.y[1] if len(chart.y) > 1 else ycol)
    df = table.data
    xs_raw, ys_raw, vs = df[chart.x].to_list(), df[ycol].to_list(), df[vcol].to_list()
    xs, ys = _ordered(xs_raw)[:40], _ordered(ys_raw)[:40]
    cells = {
        (x, y): float(v)
        for x, y, v in zip(xs_raw, ys_raw, vs, strict=True)
        if not fmt.is_missing(v) and not isinstance(v, str)
    }
    known = list(cells.values()) or [0.0]
    vmin, vmax = min(known), max(known)
    span = (vmax - vmin) or 1.0
    xl, yl = _labels(chart.x, xs, ctx.lang), _labels(ycol, ys, ctx.lang)
    left = min(max(text_width(s) for s in yl), 120) + 10 + (18 if chart.y_label else 0)
    top = 8.0
    cw = (WIDTH - left - 8) / max(len(xs), 1)
    ch = min(max(cw * 0.75, 18.0), 30.0)
    bottom = top + ch * len(ys)
    every = max(1, round(max(text_width(s) for s in xl) / max(cw - 2, 1) + 0.49))
    height = bottom + 22 + (18 if chart.x_label else 0) + 20
    parts = []
    for j, (y, ylab) in enumerate(zip(ys, yl, strict=True)):
        cy = top + j * ch
        parts.append(
            f'<text x="{n(left - 6)}" y="{n(cy + ch / 2 + 4)}" text-anchor="end" fill="{MUTED}">'
            f"{esc(clip(ylab, 120))}</text>"
        )
        for i, (x, xlab) in enumerate(zip(xs, xl, strict=True)):
            v = cells.get((x, y))
            fill = (
                EMPTY if v is None else mix("#ffffff", ctx.primary, 0.08 + 0.92 * (v - vmin) / span)
            )
            tip = f"{ylab} · {xlab}: {ctx.fmt(v, chart.unit) if v is not None else fmt.MISSING}"
            parts.append(
                f'<rect x="{n(left + i * cw)}" y="{n(cy)}" width="{n(cw - 1)}" '
                f'height="{n(ch - 1)}" fill="{fill}">{ctx.tip(esc(tip))}</rect>'
            )
            if v is not None:
                txt = ctx.fmt(v, chart.unit)
                if text_width(txt, SMALL) + 4 <= cw:
                    parts.append(
                        f'<text x="{n(left + i * cw + cw / 2)}" y="{n(cy + ch / 2 + 3.5)}" '
                        f'text-anchor="middle" font-size="{SMALL}" fill="{ink_on(fill)}">'
                        f"{esc(txt)}</text>"
                    )
    for i, xlab in enumerate(xl):
        if i % every == 0:
            parts.append(
                f'<text x="{n(left + i * cw + cw / 2)}" y="{n(bottom + 14)}" '
                f'text-anchor="middle" fill="{MUTED}">{esc(xlab)}</text>'
            )
    parts.append(_scale_legend(ctx, chart, vmin, vmax, height - 12))
    if chart.y_label:
        parts.append(
            f'<text transform="translate(12 {n((top + bottom) / 2)}) rotate(-90)" '
            f'text-anchor="middle" fill="{MUTED}">{esc(chart.y_label.get(ctx.lang))}</text>'
        )
    if chart.x_label:
        parts.append(
            f'<text x="{n(left + (WIDTH - left) / 2)}" y="{n(bottom + 32)}" text-anchor="middle" '
            f'fill="{MUTED}">{esc(chart.x_label.get(ctx.lang))}</text>'
        )
    return svg(chart, ctx, height, "".join(parts))


def _scale_legend(ctx: Ctx, chart: Chart, vmin: float, vmax: float, y: float) -> str:
    """Five discrete swatches from the lowest to the highest value."""
    lo, hi = ctx.fmt(vmin, chart.unit), ctx.fmt(vmax, chart.unit)
    x = WIDTH - 8 - text_width(hi, SMALL) - 6 - 5 * 16
    parts = [
        f'<text x="{n(x - 6)}" y="{n(y + 9)}" text-anchor="end" font-size="{SMALL}" '
        f'fill="{MUTED}">{esc(lo)}</text>'
    ]
    for k in range(5):
        parts.append(
            f'<rect x="{n(x + k * 16)}" y="{n(y)}" width="15" height="11" '
            f'fill="{mix("#ffffff", ctx.primary, 0.08 + 0.92 * k / 4)}"/>'
        )
    parts.append(
        f'<text x="{n(x + 5 * 16 + 6)}" y="{n(y + 9)}" font-size="{SMALL}" fill="{MUTED}">'
        f"{esc(hi)}</text>"
    )
    return f'<g class="scale">{"".join(parts)}</g>'


def funnel(chart: Chart, table: Table, ctx: Ctx) -> str:
    """Stages as centred bars; each shows its count, share of the first stage and the
    step conversion from the stage before."""
    stages = category_labels(table.data[chart.x].to_list()[:12], ctx.lang)
    vals = [None if fmt.is_missing(v) else float(v) for v in table.data[chart.y[0]].to_list()][
        : len(stages)
    ]
    first = next((v for v in vals if v), None)
    vmax = max((v for v in vals if v is not None), default=0.0) or 1.0
    name_w = min(max(text_width(s) for s in stages), 150) + 12
    info_w = 150.0
    area = WIDTH - name_w - info_w - 8
    row, top = 38.0, 6.0
    parts = []
    prev = None
    for i, (stage, v) in enumerate(zip(stages, vals, strict=True)):
        y = top + i * row
        fill = mix(ctx.primary, "#ffffff", min(0.12 * i, 0.6))
        parts.append(
            f'<text x="{n(name_w - 10)}" y="{n(y + row / 2)}" text-anchor="end" '
            f'fill="#2b2f36">{esc(clip(stage, 150))}</text>'
        )
        if v is not None:
            w = max(area * v / vmax, 2.0)
            x = name_w + (area - w) / 2
            parts.append(
                f'<rect x="{n(x)}" y="{n(y + 4)}" width="{n(w)}" height="{n(row - 10)}" rx="3" '
                f'fill="{fill}">{ctx.tip(f"{esc(stage)}: {esc(fmt.number(v, ctx.lang))}")}</rect>'
            )
            share = fmt.percent(100 * v / first, ctx.lang) if first else fmt.MISSING
            parts.append(
                f'<text x="{n(name_w + area + 10)}" y="{n(y + row / 2 - 2)}" font-weight="bold" '
                f'fill="#2b2f36">{esc(ctx.fmt(v, chart.unit))}'
                f'<tspan font-weight="normal" fill="{MUTED}" font-size="{SMALL}"> · {esc(share)}'
                f"</tspan></text>"
            )
            if prev:
                step = fmt.percent(100 * v / prev, ctx.lang)
                parts.append(
                    f'<text x="{n(name_w + area + 10)}" y="{n(y + row / 2 + 11)}" '
                    f'font-size="{SMALL}" fill="{MUTED}">→ {esc(step)}</text>'
                )
        prev = v
    height = top + row * len(stages) + 6
    cap = column_label(table, chart.y[0], ctx.lang)
    parts.append(f"<desc>{esc(cap)}</desc>")
    return svg(chart, ctx, height, "".join(parts))
