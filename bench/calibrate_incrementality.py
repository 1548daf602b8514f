"""Calibration of the incrementality interval on simulated shops (tests/incrementality_sim.py).

    python bench/calibrate_incrementality.py --reps 200 --effect 0.0 --customers 4000

Prints how often the 90 % interval covers the drawn truth, the misses on each side, the
spread of the estimate's error against the bootstrap's own spread, and the mean error.
The test suite checks 40 replications; this runs as many as you ask (about 0.3 s each).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> int:
    from incrementality_sim import PERIOD, shop

    from communityroi.testing import make_data, run_metric
    from plugins.metrics.incrementality import SPEC

    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--effect", type=float, default=0.3)
    ap.add_argument("--customers", type=int, default=4000)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--first-seed", type=int, default=5000)
    args = ap.parse_args()
    rows = []
    for i in range(args.reps):
        s = shop(args.first_seed + i, n=args.customers, effect=args.effect)
        data = make_data({"members": s.members, "orders": s.orders}, start=PERIOD[0], end=PERIOD[1])
        k = run_metric(SPEC, data, {"seed": i, "draws": args.draws}).kpi("incremental_return")
        rows.append((s.truth, k.value, k.low, k.high))
    truth, est, lo, hi = np.array(rows).T
    err = est - truth
    print(
        f"effect {args.effect}, {args.customers} customers, {args.reps} shops, {args.draws} draws: "
        f"coverage {np.mean((lo <= truth) & (truth <= hi)):.3f} (misses low "
        f"{np.mean(truth < lo):.3f}, high {np.mean(truth > hi):.3f}); error sd {err.std():,.0f} "
        f"vs bootstrap sd {((hi - lo) / 3.29).mean():,.0f}; mean error {err.mean():,.0f} "
        f"± {err.std() / np.sqrt(err.size):,.0f} (mean truth {truth.mean():,.0f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
