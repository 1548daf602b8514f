"""Time the metric stage on the synthetic community (a benchmark, not a test).

Loads ``bench/data`` (make it with ``python bench/generate.py``) through the product's own
boundary (``generate.load``: ``conform_frames(check=True)`` over ``pl.scan_parquet`` +
``make_data``), which — as the product's pipeline does — checks the input and collects the
conformed canonical tables into memory once (timed apart as "load"). Then it times, each
in a fresh subprocess so memory peaks and caches do not leak between runs:

- every metric of the built-in registry (``core.manager.build_registry``) alone, run the
  way the pipeline runs it (``core.metrics.run_all``: current and, where the metric
  asks, previous period; one ``collect_all``; build; a metric reading the member
  scorecard — actions — gets the scorecard of the member-score specs run with it);
- the whole metric stage: all metrics in one ``run_all`` call, as ``communityroi run``
  does.

Reported per run: wall time, CPU time (user + system; less sensitive to other load on the
machine) and peak resident memory of the process (``ru_maxrss``). Targets for the whole
stage on 2 cores: under 20 s and under 6 GB.

    python bench/bench_metrics.py                  # all metrics + whole stage, 1 run each
    python bench/bench_metrics.py --repeat 3       # median of 3 runs
    python bench/bench_metrics.py --only engagement retention
    python bench/bench_metrics.py --start 2025-10-01 --end 2025-12-31
    python bench/bench_metrics.py --lazy           # old mode: metrics read Parquet lazily
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_SECONDS = 20.0
TARGET_GB = 6.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_once(names: list[str], start: date, end: date, data_dir: Path, lazy: bool = False) -> dict:
    """Load the data, run the named metrics (all when empty) in one ``run_all`` call (with
    the member scorecard when one of them reads it).

    By default the data is loaded as the pipeline loads it: checked and collected into
    memory at the boundary (timed separately). ``lazy`` keeps the conformed tables as lazy
    scans of the Parquet files (every metric query then re-reads and re-casts them)."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from generate import load

    from core.manager import build_registry
    from core.metrics import MetricJob, run_all
    from core.pipeline import score_jobs

    registry = build_registry(entry_points=False)
    specs = sorted(registry.metrics.values(), key=lambda si: si[0].order)
    jobs = [
        MetricJob(spec, spec.options() if spec.options else None, info.describe())
        for spec, info in specs
        if not names or spec.name in names
    ]
    t0 = time.perf_counter()
    data = load(data_dir, start=start, end=end, check=not lazy)
    load_s = time.perf_counter() - t0
    base_mb = _peak_mb()
    warnings: list[str] = []
    t0, c0 = time.perf_counter(), _cpu()
    # a metric reading the member scorecard (actions) gets it, as in the pipeline: the
    # member-score specs of the metrics run here
    needs = any(j.spec.members for j in jobs)
    scores = score_jobs(registry, {j.spec.name: j.options for j in jobs}) if needs else ()
    sections, _members = run_all(data, jobs, scores, warn=warnings.append)
    return {
        "metrics": [j.spec.name for j in jobs],
        "sections": len(sections),
        "wall": time.perf_counter() - t0,
        "cpu": _cpu() - c0,
        "peak_mb": _peak_mb(),
        "base_mb": base_mb,
        "load_s": load_s,
        "warnings": warnings,
    }


def _subprocess(names: list[str], args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", "--start", str(args.start), "--end",
           str(args.end), "--data", str(args.data), "--only", *names]  # fmt: skip
    if args.lazy:
        cmd.append("--lazy")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure(names: list[str], args: argparse.Namespace) -> dict:
    runs = [_subprocess(names, args) for _ in range(args.repeat)]
    best = runs[0] | {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=[], help="metric names (default: all)")
    ap.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    ap.add_argument("--end", type=date.fromisoformat, default=date(2025, 12, 31))
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-single", action="store_true", help="only the whole stage")
    ap.add_argument(
        "--lazy",
        action="store_true",
        help="keep the tables as lazy Parquet scans instead of the pipeline's in-memory load",
    )
    ap.add_argument("--materialize", action="store_true", help=argparse.SUPPRESS)  # the default now
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(run_once(args.only, args.start, args.end, args.data, args.lazy)))
        return 0
    if not (args.data / "activities.parquet").exists():
        print(f"no data in {args.data}; run: python bench/generate.py", file=sys.stderr)
        return 2

    sys.path.insert(0, str(ROOT))
    from core.manager import build_registry

    registry = build_registry(entry_points=False)
    names = [
        s.name
        for s, _ in sorted(registry.metrics.values(), key=lambda si: si[0].order)
        if not args.only or s.name in args.only
    ]
    load1 = os.getloadavg()[0]
    mode = "lazy over Parquet" if args.lazy else "tables checked and collected at the boundary"
    print(f"period {args.start} … {args.end}; {os.cpu_count()} CPUs; load average {load1:.1f}; "
          f"{mode}")  # fmt: skip
    print(f"{'metric':<16} {'wall s':>8} {'cpu s':>8} {'peak MB':>9}  previous period")
    rows = []
    if not args.skip_single:
        for name in names:
            r = _measure([name], args)
            spec = registry.metrics[name][0]
            rows.append((name, r))
            print(f"{name:<16} {r['wall']:>8.2f} {r['cpu']:>8.2f} {r['peak_mb']:>9.0f}  "
                  f"{'yes' if spec.compare_previous else 'no'}")  # fmt: skip
            for w in r["warnings"]:
                print(f"  warning: {w}")
    whole = _measure(names, args)
    print(f"{'WHOLE STAGE':<16} {whole['wall']:>8.2f} {whole['cpu']:>8.2f} "
          f"{whole['peak_mb']:>9.0f}  ({whole['sections']} sections)")  # fmt: skip
    if not args.lazy:
        print(f"{'(load to memory)':<16} {whole['load_s']:>8.2f} {'':>8} {whole['base_mb']:>9.0f}")
    for w in whole["warnings"]:
        print(f"  warning: {w}")
    ok = whole["wall"] < TARGET_SECONDS and whole["peak_mb"] < TARGET_GB * 1024
    print(f"target: < {TARGET_SECONDS:.0f} s and < {TARGET_GB:.0f} GB → {'met' if ok else 'MISSED'}"
          f"; load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
