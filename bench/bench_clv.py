"""Benchmark: BG/NBD fit on 1 M customers' RFM summary, ours vs lifetimes ``BetaGeoFitter``.

The summary is simulated from a BG/NBD process (seeded) on whole days and expressed in weeks,
as the clv metric builds it: first purchases spread over a year, T = days to the period end / 7,
t_x = days from the first to the last purchase / 7. Both fitters get exactly the same arrays.

Timed, in rounds that run the three one after the other (so each sees the same load), best
and median of ``--repeat`` rounds for each: ours = ``clv_models.fit_bgnbd`` on the raw arrays
(compression to distinct (x, t_x, T) with weights included), and ours as the metric does it
(a lazy Polars group_by on integer days, collected by the default engine as the metric's
``collect_all`` is, then the fit on the distinct rows); lifetimes = ``BetaGeoFitter().fit`` on
the raw rows. Checked: parameters agree to 1e-6 (relative). Target (issue 17): ≥ 50× faster.

    python bench/bench_clv.py               # 1 M customers, 3 rounds (lifetimes ~12–20 s each)
    python bench/bench_clv.py --n 100000    # quicker
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import polars as pl

from plugins.metrics import clv_models as cm

TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}  # per week, close to CDNOW


def simulate(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in weeks on a daily grid; loops over purchase rounds, not customers."""
    rng = np.random.default_rng(seed)
    T_days = rng.integers(1, 365, n)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n) / 7  # purchases per day
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    t = np.zeros(n)
    last = np.zeros(n)
    x = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        bought = t[idx] <= T_days[idx]
        buyers = idx[bought]
        x[buyers] += 1
        last[buyers] = t[buyers]
        dies = rng.random(buyers.size) < p[buyers]
        active[idx[~bought]] = False
        active[buyers[dies]] = False
    tx_days = np.floor(last).astype(np.int64)
    return x.astype(float), tx_days / 7.0, T_days / 7.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (each times all three)")
    args = ap.parse_args()

    from lifetimes import BetaGeoFitter

    x, tx, T = simulate(args.n)
    # as the metric does it: integer days grouped by Polars, then converted to weeks
    frame = pl.DataFrame(
        {"x": x.astype(np.int64), "tx_days": np.round(tx * 7).astype(np.int64),
         "T_days": np.round(T * 7).astype(np.int64)}
    )  # fmt: skip
    print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"customers: {args.n:,}; repeat buyers: {(x > 0).sum():,}")

    ours, ours_pl, parts, theirs_t = [], [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fit = cm.fit_bgnbd(x, tx, T)  # includes the compression
        ours.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        c = frame.lazy().group_by("x", "tx_days", "T_days").agg(pl.len().alias("n")).collect()
        t1 = time.perf_counter()
        fit_pl = cm.fit_bgnbd(
            c["x"].to_numpy(), c["tx_days"].to_numpy() / 7, c["T_days"].to_numpy() / 7,
            c["n"].to_numpy().astype(float), compressed=True,
        )  # fmt: skip
        t2 = time.perf_counter()
        ours_pl.append(t2 - t0)
        parts.append((t1 - t0, t2 - t1))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            theirs = BetaGeoFitter().fit(x, tx, T).params_
            theirs_t.append(time.perf_counter() - t0)
    print(f"load average after timing: {os.getloadavg()[0]:.1f}")
    print(f"distinct (x, t_x, T) rows: {c.height:,}")

    def best_median(ts):
        return min(ts), float(np.median(ts))

    (best, med), (best_pl, med_pl), (best_lt, med_lt) = map(best_median, (ours, ours_pl, theirs_t))
    group, fitting = parts[ours_pl.index(best_pl)]
    print(f"{args.repeat} rounds, best / median:")
    print(f"ours (fit_bgnbd on raw arrays):  {best:.3f} / {med:.3f} s")
    print(
        f"ours (Polars group_by + fit):    {best_pl:.3f} / {med_pl:.3f} s "
        f"(best: group_by {group:.3f} s + fit {fitting:.3f} s)"
    )
    print(f"lifetimes BetaGeoFitter:         {best_lt:.2f} / {med_lt:.2f} s")
    speed = min(best_lt / best, best_lt / best_pl)
    print(
        f"speed-up (best / best): {best_lt / best:.0f}× (raw arrays), "
        f"{best_lt / best_pl:.0f}× (Polars); median / median: {med_lt / med:.0f}×, "
        f"{med_lt / med_pl:.0f}×"
    )
    worst = 0.0
    for k in ("r", "alpha", "a", "b"):
        rel = abs(fit.params[k] - theirs[k]) / abs(theirs[k])
        rel_pl = abs(fit_pl.params[k] - theirs[k]) / abs(theirs[k])
        worst = max(worst, rel, rel_pl)
        print(f"  {k:>5}: ours {fit.params[k]:.9f}  lifetimes {theirs[k]:.9f}  rel.diff {rel:.1e}")
    print(f"log-likelihood (ours): {fit.log_likelihood:,.3f}; converged: {fit.converged}")
    ok = worst <= 1e-6 and speed >= 50
    print(("OK" if ok else "CHECK") + f": max rel.diff {worst:.1e}, target ≥ 50× and ≤ 1e-6")


if __name__ == "__main__":
    main()
