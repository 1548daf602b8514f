"""What the incrementality metric adds to a report on the bench data (issue 14).

    python bench/generate.py                      # 1 M members (or --scale 0.1 --out DIR)
    python bench/bench_incrementality.py [--data DIR] [--repeat 3]

Each run is a fresh subprocess that loads the data as the pipeline does
(``generate.load``) and then runs every built-in metric once without ``incrementality``
and once with it only (``run_metrics``, one ``collect_all`` each, build included). It
prints the wall time of each and the peak RSS of a process that ran the other metrics
alone against one that ran them and the incrementality metric, so the difference is what
the metric adds to a report.
"""

from __future__ import annotations

import argparse
import json
import resource
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
        if spec.enabled_by_default and name not in ("incrementality", "actions")
    ]
    t0 = time.perf_counter()
    run_metrics(d, jobs, strict=True)
    t1 = time.perf_counter()
    extra = None
    if with_metric:
        spec = reg.metrics["incrementality"][0]
        (sec,) = run_metrics(d, [MetricJob(spec, spec.options(), "incrementality")], strict=True)
        extra = {k.key: k.value for k in sec.kpis}
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"others_s": t1 - t0, "incrementality_s": t2 - t1, "peak_mb": rss, "kpis": extra}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", choices=["with", "without"])
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.data, args.child == "with")))
        return 0
    for _ in range(args.repeat):
        runs = {}
        for mode in ("without", "with"):
            cmd = [sys.executable, __file__, "--data", str(args.data), "--child", mode]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            runs[mode] = json.loads(out.strip().splitlines()[-1])
        w, wo = runs["with"], runs["without"]
        print(
            f"other metrics {wo['others_s']:.2f} s · incrementality {w['incrementality_s']:.2f} s"
            f" · peak RSS {wo['peak_mb']:.0f} MB → {w['peak_mb']:.0f} MB"
            f" (+{w['peak_mb'] - wo['peak_mb']:.0f} MB)"
        )
        print(f"  {w['kpis']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
