"""PageRank speed: the influence metric's scipy CSR power iteration vs networkx.

Three measurements (run by hand; never a timed test)::

    python bench/bench_pagerank.py                 # all three
    python bench/bench_pagerank.py --skip-data     # without the bench/data community
    python bench/bench_pagerank.py --nx-nodes 800000 --nx-edges 4000000   # nx at full size

1. **Random graph**, 0.8 M nodes / 4 M directed edges (sources uniform, targets with
   Zipf-like popularity, integer weights 1–5, seeded): Polars ``group_by`` aggregation of
   the edge list, CSR build (:func:`plugins.metrics.pagerank.transition`) and power
   iteration (:func:`plugins.metrics.pagerank.pagerank`, tol 1e-10 on the L1 change),
   each timed separately.
2. **networkx** ``pagerank`` on a smaller graph of the same shape (default 80 k nodes /
   400 k edges), with its default tolerance, against ours on the same graph; the largest
   score difference is printed (networkx run again with tol = 1e-12 for the comparison).
3. **Bench community** (``bench/data``, written by ``bench/generate.py``; 10 M activities):
   the influence metric's edge list (Polars), node indexing, CSR build, iteration and
   the reach of the listed members, then the whole metric (both periods, one
   ``collect_all``) through the core's runner.

Times are the median of ``--repeat`` runs (default 3); peak RSS is the process maximum.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from plugins.metrics.pagerank import pagerank, transition  # noqa: E402


class Seconds(float):
    """Median wall time that prints with the median CPU time of the process beside it
    (CPU > wall: threads in parallel; wall ≫ CPU: the machine was busy)."""

    cpu: float

    def __format__(self, spec: str) -> str:
        return f"{float(self):{spec}} s (CPU {self.cpu:{spec}} s)"


def timed(fn, repeat: int):
    """(median seconds, last result) of ``repeat`` calls."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    result = Seconds(statistics.median(walls))
    result.cpu = statistics.median(cpus)
    return result, out


def total(*parts: Seconds) -> Seconds:
    out = Seconds(sum(parts))
    out.cpu = sum(p.cpu for p in parts)
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def random_edges(nodes: int, edges: int, seed: int = 42) -> pl.LazyFrame:
    """Raw interactions: uniform actors, popularity-weighted targets (weight ∝ 1/rank^0.8)."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, nodes + 1) ** 0.8
    pop /= pop.sum()
    src = rng.integers(0, nodes, edges, dtype=np.int64)
    dst = rng.permutation(nodes)[rng.choice(nodes, edges, p=pop)]
    keep = src != dst
    w = rng.integers(1, 6, edges).astype(np.float64)
    return pl.LazyFrame({"src": src[keep], "dst": dst[keep], "w": w[keep]})


def aggregate(raw: pl.LazyFrame) -> pl.DataFrame:
    return raw.group_by("src", "dst").agg(pl.col("w").sum()).sort("dst", "src").collect()


def bench_random(nodes: int, edges: int, repeat: int) -> None:
    raw = random_edges(nodes, edges)
    t_agg, agg = timed(lambda: aggregate(raw), repeat)
    src, dst, w = (agg[c].to_numpy() for c in ("src", "dst", "w"))
    n = int(max(src.max(), dst.max())) + 1
    t_build, tr = timed(lambda: transition(src, dst, w, n), repeat)
    t_iter, pr = timed(lambda: pagerank(tr), repeat)
    print(f"random graph: {n:,} nodes, {agg.height:,} distinct edges "
          f"({tr.dangling.sum():,} dangling)")  # fmt: skip
    print(f"  Polars aggregation {t_agg:.2f} | CSR build {t_build:.2f} | "
          f"iterate {t_iter:.2f} ({pr.iterations} iterations, L1 change {pr.delta:.1e}) | "
          f"build + iterate {total(t_build, t_iter):.2f} | "
          f"peak RSS {peak_mb():,.0f} MB")  # fmt: skip


def bench_networkx(nodes: int, edges: int) -> None:
    import networkx as nx

    agg = aggregate(random_edges(nodes, edges, seed=7))
    src, dst, w = (agg[c].to_numpy() for c in ("src", "dst", "w"))
    n = int(max(src.max(), dst.max())) + 1
    ours, pr = timed(lambda: pagerank(transition(src, dst, w, n)), 1)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    edges = zip(src.tolist(), dst.tolist(), w.tolist(), strict=True)
    t_graph, _ = timed(lambda: graph.add_weighted_edges_from(edges), 1)
    t_nx, _ = timed(lambda: nx.pagerank(graph, weight="weight"), 1)
    exact = nx.pagerank(graph, weight="weight", tol=1e-12, max_iter=1000)
    diff = float(np.max(np.abs(pr.scores - np.array([exact[v] for v in range(n)]))))
    print(f"networkx comparison: {n:,} nodes, {agg.height:,} edges")
    print(f"  ours (build + iterate) {ours:.2f} | networkx.pagerank {t_nx:.2f} "
          f"(+ {t_graph:.2f} to build the DiGraph) | max |ours − nx(tol=1e-12)| "
          f"{diff:.1e} | peak RSS {peak_mb():,.0f} MB")  # fmt: skip


def bench_community(repeat: int) -> None:
    from generate import DATA_DIR, load

    from core.metrics import MetricJob, run_metrics
    from plugins.metrics import influence
    from plugins.metrics._interaction_graph import reach

    if not (DATA_DIR / "activities.parquet").exists():
        print("bench community: skipped (run python bench/generate.py first)")
        return
    data = load()
    opts = influence.InfluenceOptions()
    lazy = influence.SPEC.compute(data, opts).frames
    # the metric's plan yields the indexed edge list ("graph": s, t, w sorted by t) and the
    # node ids ("nodes"); indexing happens inside the lazy plan
    t_edges, (edges, nodes_df) = timed(
        lambda: tuple(pl.collect_all([lazy["graph"], lazy["nodes"]])), repeat
    )
    nodes = nodes_df["id"]
    t_index = 0.0
    src, dst, w = (edges[c].to_numpy() for c in ("s", "t", "w"))
    n = nodes.len()
    t_build, tr = timed(lambda: transition(src, dst, w, n), repeat)
    t_iter, pr = timed(lambda: pagerank(tr), repeat)
    top = np.argsort(-pr.scores)[: opts.top_n]
    t_reach, _ = timed(lambda: reach(src, dst, n, top), repeat)
    acts = data.activities.select(pl.len()).collect().item()
    print(f"bench community (2025, {acts:,} activities to date): {n:,} nodes, "
          f"{edges.height:,} edges")  # fmt: skip
    print(f"  indexed edge list (Polars, lazy) {t_edges:.2f} | "
          f"CSR build {t_build:.2f} | "
          f"iterate {t_iter:.2f} ({pr.iterations} iterations) | "
          f"PageRank from edges {total(t_index, t_build, t_iter):.2f} | "
          f"reach of top {opts.top_n} {t_reach:.2f}")  # fmt: skip
    job = MetricJob(influence.SPEC, opts, "plugin 'influence'")
    t_all, _ = timed(lambda: run_metrics(data, [job], strict=True), 1)
    print(f"  whole influence metric, current + previous period: {t_all:.2f} | "
          f"peak RSS {peak_mb():,.0f} MB")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=800_000)
    ap.add_argument("--edges", type=int, default=4_000_000)
    ap.add_argument("--nx-nodes", type=int, default=80_000)
    ap.add_argument("--nx-edges", type=int, default=400_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-random", action="store_true")
    ap.add_argument("--skip-networkx", action="store_true")
    ap.add_argument("--skip-data", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_random:
        bench_random(args.nodes, args.edges, args.repeat)
    if not args.skip_networkx:
        bench_networkx(args.nx_nodes, args.nx_edges)
    if not args.skip_data:
        bench_community(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
