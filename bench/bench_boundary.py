"""The boundary alone — checking and loading — beside the floor's own scan of the same
Parquet files (issue 17: "checking and loading ≤ 2 s over the floor's own scan"; a
benchmark, not a test).

Two programs, each in a fresh process, run alternately (scan, boundary, scan, …):

- **scan**: the six Parquet files read into memory whole, in one ``pl.collect_all`` —
  what holding the tables costs at the least (the floor's own queries read these files
  too; ``--scan floor`` reads only the columns the floor's eight queries use);
- **boundary**: what ``communityroi report`` does before its metrics, on the same
  ``files`` config as ``bench_report.py``: settings and the plugin registry (not
  timed), then ``core.pipeline.load`` — the files source's reading, every check of
  ``core.conform``, the conformed tables with their person keys Categorical collected
  in one pass, the period, ``make_data`` — and the data-quality summary
  (``core.pipeline.data_quality``), timed apart.

Per run: the stage's own wall and CPU seconds (``time.process_time`` in the child, all
its threads; imports and plugin loading are not counted) and the child's peak RSS
(``os.wait4``, imports included). Then medians and the difference boundary − scan,
in CPU and wall seconds. Target: ≤ 2 s.

    python bench/bench_boundary.py --data /tmp/benchfull --repeat 3
    python bench/bench_boundary.py --data /tmp/benchfull --tree /tmp/old     # A/B
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLES = ("members", "activities", "orders", "costs", "campaigns", "groups")
TARGET_S = 2.0
# the columns the floor's queries (bench_report.floor) read
FLOOR_COLUMNS = {
    "activities": ["member_id", "at", "target_member_id"],
    "members": ["member_id", "joined_at", "group_id"],
    "orders": ["member_id", "customer_id", "at", "amount", "status"],
}


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict:
    wall, cpu = _clock()
    return {"wall": wall - start[0], "cpu": cpu - start[1]}


def scan_child(data: Path, which: str) -> dict:
    import polars as pl

    if which == "floor":
        plans = [pl.scan_parquet(data / f"{t}.parquet").select(c) for t, c in FLOOR_COLUMNS.items()]
    else:
        plans = [pl.scan_parquet(data / f"{t}.parquet") for t in TABLES]
    t = _clock()
    frames = pl.collect_all(plans)
    out = _since(t)
    out["rows"] = sum(df.height for df in frames)
    out["mb"] = sum(df.estimated_size() for df in frames) / 1e6
    return out


def boundary_child(data: Path, work: Path) -> dict:
    sys.path.insert(0, str(HERE))
    from bench_report import write_config

    from core.pipeline import data_quality, load, registry_for
    from core.settings import load_settings

    settings = load_settings(write_config(data, work))
    registry = registry_for(settings)
    t = _clock()
    loaded, cdata = load(settings, registry)
    out = _since(t)
    t = _clock()
    data_quality(settings, loaded, cdata.period)
    out["quality"] = _since(t)
    out["mb"] = sum(
        df.estimated_size() for df in (f.collect() for f in loaded.frames.values())
    ) / 1e6  # fmt: skip
    return out


def child(cmd: list[str], env: dict) -> dict:
    """One child: its JSON result, and its own peak RSS from ``os.wait4``."""
    with tempfile.TemporaryFile() as outf, tempfile.TemporaryFile() as errf:
        p = subprocess.Popen(cmd, stdout=outf, stderr=errf, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        outf.seek(0)
        errf.seek(0)
        out, err = outf.read().decode(), errf.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    res["rss_gb"] = ru.ru_maxrss / 1024**2  # KiB on Linux
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (alternated)")
    ap.add_argument("--scan", choices=["all", "floor"], default="all",
                    help="the scan reads every column (default) or only the floor's")  # fmt: skip
    ap.add_argument("--only", choices=["scan", "boundary"], default=None)
    ap.add_argument("--tree", type=Path, help="run the boundary from this source tree")
    ap.add_argument("--against", type=Path, help="also run this tree's boundary each round (A/B)")
    ap.add_argument("--child", choices=["scan", "boundary"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        if args.child == "scan":
            res = scan_child(args.data, args.scan)
        else:
            with tempfile.TemporaryDirectory(prefix="bench_boundary_") as work:
                res = boundary_child(args.data, Path(work))
        res["self_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(json.dumps(res, default=str))
        return 0
    if not (args.data / "activities.parquet").exists():
        sys.exit(f"no data in {args.data}: run python bench/generate.py --out {args.data}")
    tree = (args.tree or ROOT).resolve()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    me = tree / "bench" / "bench_boundary.py"
    me = me if me.exists() else Path(__file__).resolve()  # an old tree without this script
    base = [sys.executable, str(me), "--data", str(args.data), "--scan", args.scan, "--child"]
    kinds = [args.only] if args.only else ["scan", "boundary"]
    envs = {k: env for k in ("scan", "boundary")}
    if args.against:
        kinds.append("against")
        envs["against"] = {**os.environ, "PYTHONPATH": str(args.against.resolve())}
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; "
          f"{args.data}; boundary from {tree}")  # fmt: skip
    for i in range(args.repeat):
        for kind in kinds:
            r = child([*base, "boundary" if kind == "against" else kind], envs[kind])
            runs[kind].append(r)
            extra = ""
            if kind != "scan":
                q = r["quality"]
                extra = f"  (+ quality wall {q['wall']:.2f} cpu {q['cpu']:.2f})"
            print(f"run {i + 1} {kind:<8} wall {r['wall']:6.2f} s  cpu {r['cpu']:6.2f} s  "
                  f"peak {r['rss_gb']:5.2f} GB  tables {r['mb']:6.0f} MB{extra}  "
                  f"(load {os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip
    med = {
        k: {f: statistics.median(r[f] for r in rs) for f in ("wall", "cpu", "rss_gb")}
        for k, rs in runs.items()
    }
    print(f"\nmedians of {args.repeat}:")
    for k, m in med.items():
        print(f"  {k:<8} wall {m['wall']:6.2f} s  cpu {m['cpu']:6.2f} s  "
              f"peak {m['rss_gb']:5.2f} GB")  # fmt: skip
    if "against" in med:
        print(f"  boundary − against ({args.against}): cpu "
              f"{med['boundary']['cpu'] - med['against']['cpu']:+.2f} s, wall "
              f"{med['boundary']['wall'] - med['against']['wall']:+.2f} s")  # fmt: skip
    if "scan" in med and "boundary" in med:
        dcpu = med["boundary"]["cpu"] - med["scan"]["cpu"]
        dwall = med["boundary"]["wall"] - med["scan"]["wall"]
        pairs = ", ".join(
            f"{b['cpu'] - s['cpu']:.2f}"
            for s, b in zip(runs["scan"], runs["boundary"], strict=True)
        )
        print(f"  boundary − scan: cpu {dcpu:+.2f} s (per pair {pairs}), wall {dwall:+.2f} s")
        verdict = "met" if dcpu <= TARGET_S else "NOT met"
        print(f"  target ≤ {TARGET_S:.0f} s over the scan (CPU): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
