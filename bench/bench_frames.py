"""What each metric frame costs inside the metrics' one ``collect_all`` (issue 17).

    python bench/bench_frames.py --data /tmp/benchfull                 # every frame alone
    python bench/bench_frames.py --data /tmp/benchfull --only loyalty/ --repeat 3
    python bench/bench_frames.py --data /tmp/benchfull --joint 3       # the whole collect
    python bench/bench_frames.py --data /tmp/benchfull --marginal      # each metric's share

Loads the bench data as the pipeline does (``generate.load``), plans every default metric
and the member-score columns as ``communityroi report`` does (``compute_all``), then:

- by default, collects each planned frame alone (``metric/part/frame``; ``members:x`` are
  the scorecard's columns, ``prev`` the previous period) and prints its CPU seconds (all
  threads, ``time.process_time``), wall seconds and rows, largest first. A subplan several
  frames share is paid by each frame here, once in the joint collect, so the column adds
  up to more than the whole;
- ``--joint N`` collects every frame in one ``collect_all``, N times (the stage as run),
  with the peak RSS the collect adds over the tables already in memory;
- ``--marginal`` collects everything but one metric's frames, per metric: what that
  metric adds to the joint collect's CPU and peak (noisy: ±1–2 CPU-s on this 2-core VM).

Compare two trees by running the script from each (``git archive REV | tar -x -C DIR``),
alternating; ``POLARS_MAX_THREADS=1`` steadies the CPU figures on a loaded machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def planned_frames(data_dir: Path) -> list[tuple[str, object]]:
    """(``metric/part/frame``, LazyFrame) for every frame the default report collects."""
    from generate import load

    import core.metrics as metrics
    from core.pipeline import compute_all, registry_for
    from core.privacy import DEMO_KEY
    from core.settings import load_settings

    data = load(data_dir)
    settings = load_settings(
        None,
        report={"period_start": data.period.start, "period_end": data.period.end,
                "timezone": data.timezone, "currency": data.currency},
        privacy={"key": DEMO_KEY},
    )  # fmt: skip
    seen: list = []
    real = metrics._collect_isolated

    def spy(planned, failed):
        seen.extend(planned)
        return {}  # plan only: nothing is collected or built

    metrics._collect_isolated = spy
    try:
        compute_all(settings, registry_for(settings), data)
    finally:
        metrics._collect_isolated = real
    out = []
    for job, cur, prev in seen:
        for part, res in (("cur", cur), ("prev", prev)):
            if res is not None:
                frames = res.frames if part == "cur" else metrics._previous_frames(res)
                out.extend((f"{metrics._key(job)}/{part}/{k}", lf) for k, lf in frames.items())
    return out


def _rss_gb(field: str) -> float:
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith(field))
    return int(line.split()[1]) / 1024**2


def clock(frames: list) -> tuple[float, float, list]:
    import polars as pl

    unique = list({id(lf): lf for lf in frames}.values())
    c, t = time.process_time(), time.perf_counter()
    got = pl.collect_all(unique)
    return time.process_time() - c, time.perf_counter() - t, got


def peak_clock(frames: list) -> tuple[float, float, float]:
    """CPU-s, wall s and the peak RSS above the RSS before (GB) of one joint collect:
    Linux's peak (VmHWM) is reset first (``/proc/self/clear_refs``)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _rss_gb("VmRSS")
    c, w, got = clock(frames)
    peak = _rss_gb("VmHWM") - before
    del got
    return c, w, peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    ap.add_argument("--only", nargs="*", default=[], help="substrings of frame names")
    ap.add_argument("--repeat", type=int, default=1, help="best of N per frame")
    ap.add_argument("--joint", type=int, default=0, help="time the joint collect N times")
    ap.add_argument("--marginal", action="store_true", help="each metric's share")
    args = ap.parse_args(argv)
    frames = planned_frames(args.data)
    if args.only:
        frames = [(n, lf) for n, lf in frames if any(s in n for s in args.only)]
    if args.joint or args.marginal:
        runs = [peak_clock([lf for _, lf in frames]) for _ in range(max(args.joint, 1))]
        for c, w, m in runs:
            print(f"joint collect_all of {len(frames)} frames: {c:6.1f} CPU-s {w:6.2f} s "
                  f"peak +{m:.2f} GB over the tables")  # fmt: skip
        best, top = min(r[0] for r in runs), min(r[2] for r in runs)
        if args.marginal:
            for metric in sorted({n.split("/")[0] for n, _ in frames} | {"prev"}):
                part = 1 if metric == "prev" else 0
                keep = [lf for n, lf in frames if n.split("/")[part] != metric]
                c, w, m = peak_clock(keep)
                print(f"without {metric:24} {c:6.1f} CPU-s {w:6.2f} s  adds {best - c:+5.1f} "
                      f"CPU-s, {top - m:+.2f} GB of peak")  # fmt: skip
        return 0
    rows = []
    for name, lf in frames:
        try:
            best = min((clock([lf]) for _ in range(args.repeat)), key=lambda r: r[0])
        except BaseException as exc:  # Polars 2.1 panics on a few frames collected alone
            print(f"{name}: cannot be collected alone ({type(exc).__name__})", file=sys.stderr)
            continue
        rows.append((best[0], best[1], name, best[2][0].height))
    rows.sort(reverse=True)
    print(f"{sum(r[0] for r in rows):.1f} CPU-s over {len(rows)} frames, each alone")
    for c, w, name, height in rows:
        print(f"{c:6.2f} CPU-s {w:6.2f} s  {name:44} {height:>10,} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
