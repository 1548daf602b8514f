"""What the incrementality metric adds to a report on the bench data (issue 14).

    python bench/generate.py                      # 1 M members (or --scale 0.1 --out DIR)
    python bench/bench_incrementality.py [--data DIR] [--repeat 3]

Each run is a fresh subprocess that loads the data as the pipeline does
(``generate.load``) and runs the whole metric stage once (``run_metrics``: every
built-in metric on by default but the scorecard's action lists, one ``collect_all``,
build included), either without the ``incrementality`` metric or with it. Runs
alternate (without, with, …). It prints each stage's wall time and each process's peak
RSS, then the medians' difference: what the metric adds to a report. The stage's CPU
seconds (all threads) are printed too: on a busy machine they move much less than wall
time. The "with" runs
also time the metric alone (its own ``collect_all`` and build, after the stage).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def child(data: Path, with_metric: bool) -> dict:
    from generate import load

    from core.manager import build_registry
    from core.metrics import MetricJob, run_metrics

    d = load(data)
    reg = build_registry()
    jobs = [
        MetricJob(spec, spec.options() if spec.options else None, name)
        for name, (spec, _) in reg.metrics.items()
        # the action lists need the member scorecard (bench_members.py measures it)
        if spec.enabled_by_default
        and not spec.members
        and (with_metric or name != "incrementality")
    ]
    t0, c0 = time.perf_counter(), time.process_time()
    run_metrics(d, jobs, strict=True)
    stage, stage_cpu = time.perf_counter() - t0, time.process_time() - c0
    alone = None
    if with_metric:
        spec = reg.metrics["incrementality"][0]
        t1 = time.perf_counter()
        run_metrics(d, [MetricJob(spec, spec.options(), "incrementality")], strict=True)
        alone = time.perf_counter() - t1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stage_s": stage, "stage_cpu_s": stage_cpu, "alone_s": alone, "peak_mb": rss}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", choices=["with", "without"])
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.data, args.child == "with")))
        return 0
    runs: dict[str, list[dict]] = {"without": [], "with": []}
    for _ in range(args.repeat):
        for mode in ("without", "with"):
            cmd = [sys.executable, __file__, "--data", str(args.data), "--child", mode]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            runs[mode].append(r)
            alone = f" · metric alone {r['alone_s']:.2f} s" if r["alone_s"] else ""
            print(
                f"{mode:8} stage {r['stage_s']:6.2f} s ({r['stage_cpu_s']:6.2f} CPU-s) · "
                f"peak RSS {r['peak_mb']:6.0f} MB{alone}"
            )

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[mode])

    print(
        f"median: stage {med('without', 'stage_s'):.2f} s → {med('with', 'stage_s'):.2f} s "
        f"(+{med('with', 'stage_s') - med('without', 'stage_s'):.2f} s); peak RSS "
        f"{med('without', 'peak_mb'):.0f} → {med('with', 'peak_mb'):.0f} MB "
        f"(+{med('with', 'peak_mb') - med('without', 'peak_mb'):.0f} MB); "
        f"metric alone {med('with', 'alone_s'):.2f} s; CPU {med('without', 'stage_cpu_s'):.1f} → "
        f"{med('with', 'stage_cpu_s'):.1f} CPU-s "
        f"(+{med('with', 'stage_cpu_s') - med('without', 'stage_cpu_s'):.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
