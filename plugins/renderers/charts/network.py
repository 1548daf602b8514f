"""Interaction / referral network: a deterministic elliptical layout.

The ``MAX_NODES`` members with the highest weighted degree (sum of the weights of their
edges, both directions, self-loops ignored; ties broken by name) are drawn on an ellipse,
rank k at slot (k × step) mod N clockwise from 12 o'clock (step coprime with N, about
0.38 N, which spreads the hubs around), with labels outside the ellipse (edges are chords
inside it, so labels need no halo). Node area grows with weighted degree, edge width with
the pair's total weight (a→b and b→a are summed); only the ``EDGES_PER_NODE`` × N
heaviest pairs among the drawn members are drawn (ties by name) — a community's top 24
have ~180 pairs, a grey disc that shows nothing, while the strongest links show who holds
it together. No randomness, so the same edges give the same picture.
"""

from __future__ import annotations

import math
from collections import defaultdict

from communityroi import Chart, Table
from plugins.renderers import formatting as fmt
from plugins.renderers.charts.svg import WIDTH, Ctx, clip, esc, mix, n, placeholder, svg
from plugins.renderers.labels import label

MAX_NODES = 24
EDGES_PER_NODE = 3
MUTED = "#5b636d"
RX, RY = 205.0, 128.0


def _edges(chart: Chart, table: Table) -> dict[tuple[str, str], float]:
    df = table.data
    src, dst = df[chart.x].to_list(), df[chart.y[0]].to_list()
    wcol = chart.value or (chart.y[1] if len(chart.y) > 1 else None)
    ws = df[wcol].to_list() if wcol else [1.0] * len(src)
    pairs: dict[tuple[str, str], float] = defaultdict(float)
    for a, b, w in zip(src, dst, ws, strict=True):
        if a is None or b is None or a == b or fmt.is_missing(w):
            continue
        a, b = str(a), str(b)
        pairs[(a, b) if a < b else (b, a)] += float(w)
    return pairs


def layout(pairs: dict[tuple[str, str], float], cx: float, cy: float):
    """Rank nodes by weighted degree and place them on an ellipse, in rank order
    clockwise from 12 o'clock. Returns ``(nodes, positions, degree)``."""
    degree: dict[str, float] = defaultdict(float)
    for (a, b), w in pairs.items():
        degree[a] += w
        degree[b] += w
    nodes = sorted(degree, key=lambda m: (-degree[m], m))[:MAX_NODES]
    pos: dict[str, tuple[float, float]] = {}
    count = len(nodes)
    step = _spread_step(count)
    for k, m in enumerate(nodes):
        ang = -math.pi / 2 + 2 * math.pi * ((k * step) % count) / count
        pos[m] = (cx + RX * math.cos(ang), cy + RY * math.sin(ang))
    return nodes, pos, degree


def _spread_step(count: int) -> int:
    """A step coprime with ``count`` near 0.38 × count, so consecutive ranks (the hubs)
    land spread around the ellipse instead of side by side."""
    if count < 4:
        return 1
    target = round(count * 0.38)
    for d in range(count):
        for s in (target + d, target - d):
            if 1 <= s < count and math.gcd(s, count) == 1:
                return s
    return 1


def network(chart: Chart, table: Table, ctx: Ctx) -> str:
    """Nodes sized by weighted degree, the strongest edges by weight, labels outside."""
    pairs = _edges(chart, table)
    height = 350.0
    cx, cy = WIDTH / 2, 165.0
    nodes, pos, degree = layout(pairs, cx, cy)
    if not nodes:
        return placeholder(chart, ctx)
    shown = set(nodes)
    among = [(p, w) for p, w in pairs.items() if p[0] in shown and p[1] in shown]
    drawn = sorted(sorted(among, key=lambda e: (-e[1], e[0]))[: EDGES_PER_NODE * len(nodes)])
    wmax = max((w for _, w in drawn), default=1.0) or 1.0
    dmax = degree[nodes[0]] or 1.0
    edge_colour = mix(ctx.primary, "#ffffff", 0.45)
    opacity = min(0.75, max(0.2, 0.95 - len(drawn) / 150))  # dense graphs: fainter edges
    parts = []
    for (a, b), w in drawn:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        parts.append(
            f'<line x1="{n(x1)}" y1="{n(y1)}" x2="{n(x2)}" y2="{n(y2)}" '
            f'stroke="{edge_colour}" stroke-opacity="{opacity:.2f}" '
            f'stroke-width="{n(0.7 + 3.3 * w / wmax)}">'
            f"{ctx.tip(f'{esc(a)} – {esc(b)}: {esc(fmt.number(w, ctx.lang))}')}</line>"
        )
    for rank, m in enumerate(nodes):
        x, y = pos[m]
        r = 4 + 11 * math.sqrt(degree[m] / dmax)
        fill = ctx.accent if rank == 0 else mix(ctx.primary, "#ffffff", min(0.5, rank / 40))
        parts.append(
            f'<circle cx="{n(x)}" cy="{n(y)}" r="{n(r)}" fill="{fill}" stroke="#ffffff" '
            f'stroke-width="1.5">'
            f"{ctx.tip(f'{esc(m)}: {esc(fmt.number(degree[m], ctx.lang))}')}</circle>"
        )
        ux, uy = (x - cx) / RX, (y - cy) / RY  # outward direction on the ellipse
        lx, ly = x + ux * (r + 5), y + uy * (r + 5) + 4
        anchor = "start" if ux > 0.2 else ("end" if ux < -0.2 else "middle")
        if anchor == "middle":
            ly += 5 if uy > 0 else -3
        text = esc(clip(m, 110, 10.5))
        common = f'x="{n(lx)}" y="{n(ly)}" text-anchor="{anchor}" font-size="10.5"'
        parts.append(f'<text {common} fill="#2b2f36">{text}</text>')
    note = label("nodes_shown", ctx.lang, shown=len(nodes), links=len(drawn))
    parts.append(
        f'<text x="{WIDTH / 2}" y="{n(height - 8)}" text-anchor="middle" font-size="10.5" '
        f'fill="{MUTED}">{esc(note)}</text>'
    )
    return svg(chart, ctx, height, "".join(parts))
