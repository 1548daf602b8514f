"""Pure-Python SVG charts for the report (no plotting library).

:func:`render_chart` turns a :class:`communityroi.Chart` and its table into one inline
``<svg>`` string. Every piece of text goes through :func:`esc` (XML escaping), so a member
called ``<script>`` stays text. Output is deterministic: no randomness, fixed number
formatting, stable element ids (prefixed with the caller's ``uid``).

Charts stay legible in grayscale: series differ in lightness *and* pattern (solid,
hatched, dotted) or dash style, and values are labelled directly where they fit.

Kinds (what ``Chart.x`` / ``Chart.y`` / ``Chart.value`` name):

- ``bar``: categories ``x``, one grouped bar per column in ``y``;
- ``hbar``: the same, horizontal (long category names);
- ``line``: ``x`` dates/numbers/labels, one line per ``y`` column;
- ``histogram``: ``x`` bin labels, ``y[0]`` counts;
- ``funnel``: ``x`` stage names, ``y[0]`` counts (in funnel order);
- ``heatmap``: columns ``x``, rows ``y[0]``, cell values ``value``;
- ``network``: edges ``x`` (source) → ``y[0]`` (target), weight ``value`` (or 1).
"""

from __future__ import annotations

from communityroi import Chart, RenderError, Table
from plugins.renderers.charts import grid, network, xy
from plugins.renderers.charts.svg import Ctx, placeholder

DRAW = {
    "bar": xy.bar,
    "hbar": xy.hbar,
    "histogram": xy.histogram,
    "line": xy.line,
    "funnel": grid.funnel,
    "heatmap": grid.heatmap,
    "network": network.network,
}


def render_chart(
    chart: Chart,
    table: Table | None,
    *,
    lang: str,
    currency: str,
    primary: str,
    accent: str,
    uid: str,
    font: str = "sans-serif",
    medium: str = "screen",
) -> str:
    """One chart as an inline SVG string (a placeholder when its table is empty).

    ``font`` is a CSS font-family list (SVG text does not inherit the page's CSS in every
    renderer, WeasyPrint included). ``medium="print"`` leaves out the hover tooltips and
    returns the drawing as an SVG image (see :func:`svg.svg`)."""
    ctx = Ctx(lang, currency, primary, accent, uid, font, medium)
    draw = DRAW.get(chart.kind)
    if draw is None:
        raise RenderError(
            f"chart '{chart.key}' has unknown kind '{chart.kind}'; use one of bar, hbar, "
            f"line, heatmap, funnel, histogram, network"
        )
    if table is None or table.data.height == 0:
        return placeholder(chart, ctx)
    missing = [c for c in (chart.x, *chart.y, chart.value) if c and c not in table.data.columns]
    if missing:
        raise RenderError(
            f"chart '{chart.key}' uses column '{missing[0]}' which table '{table.key}' "
            f"does not have (columns: {', '.join(table.data.columns)})"
        )
    return draw(chart, table, ctx)
