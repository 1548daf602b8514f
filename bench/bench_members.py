"""The member scorecard and action lists on the bench data (issue 15).

    python bench/generate.py --scale 0.3 --out /tmp/bench03   # 300 k members
    python bench/bench_members.py --data /tmp/bench03

Times the metric stage without the scorecard (every built-in metric but ``actions``) and
with it (``actions`` on, so the scorecard is computed), alternating for ``--rounds`` pairs
in one process (wall and CPU seconds; the median difference is what the scorecard adds),
renders report.json and members.csv/parquet with the demo key, and checks the labels:
distinct, none equal to the unkeyed BLAKE2b-64 of the id, identical across two runs.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    ap.add_argument("--rounds", type=int, default=2, help="plain/full pairs, alternating")
    args = ap.parse_args()
    from generate import load

    from core.pipeline import build_report, compute_all, registry_for, render
    from core.privacy import DEMO_KEY
    from core.settings import load_settings

    data = load(args.data)
    base = dict(
        report={"period_start": data.period.start, "period_end": data.period.end,
                "timezone": data.timezone, "currency": data.currency},
        privacy={"key": DEMO_KEY},
    )  # fmt: skip
    plain = load_settings(None, metrics={"actions": {"enabled": False}}, **base)
    full = load_settings(None, **base)
    registry = registry_for(full)
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "full": []}
    for _ in range(args.rounds):  # alternating, so load drifts hit both alike
        for mode, settings in (("plain", plain), ("full", full)):
            t, c = time.perf_counter(), time.process_time()
            got = compute_all(settings, registry, data, members=mode == "full")
            runs[mode].append((time.perf_counter() - t, time.process_time() - c))
            if mode == "full":
                sections, members = got
    for mode, label in (("plain", "without scorecard"), ("full", "with scorecard + actions")):
        each = ", ".join(f"{w:.2f} s / {c:.1f} CPU-s" for w, c in runs[mode])
        print(f"metrics {label:26} {each}")
    wall = [f[0] - p[0] for p, f in zip(runs["plain"], runs["full"], strict=True)]
    cpu = [f[1] - p[1] for p, f in zip(runs["plain"], runs["full"], strict=True)]
    print(f"added by the scorecard: median {statistics.median(wall):+.2f} s wall, "
          f"{statistics.median(cpu):+.1f} CPU-s (per round: "
          + ", ".join(f"{w:+.2f}" for w in wall) + ")")  # fmt: skip
    print(f"scorecard: {members.data.height:,} rows × {members.data.width} columns")
    labels = []
    for _ in range(2):
        t = time.perf_counter()
        report = build_report(full, sections, data, [], members=members)
        print(f"build_report (pseudonymise) {time.perf_counter() - t:6.2f} s")
        labels.append(report.members.data["member_id"])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = render(full, registry, report, ["json", "members"], Path(tmp))
        print(f"render json + members {time.perf_counter() - t:6.2f} s")
        for p in paths:
            print(f"  {p.name:16} {p.stat().st_size / 1e6:8.2f} MB")
    from core.privacy import label_map

    ids = members.data["member_id"]
    keyed = label_map(ids, DEMO_KEY.encode())  # sorted by id: full labels per id
    unkeyed = pl.Series(
        [hashlib.blake2b(v.encode(), digest_size=8).hexdigest().upper() for v in keyed["id"]]
    )
    same = int((keyed["full"] == unkeyed).sum())
    print(f"distinct labels {labels[0].n_unique():,} of {ids.len():,}; identical across "
          f"runs: {labels[0].equals(labels[1])}; equal to the unkeyed hash: {same}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
