"""How the whole ``communityroi report`` grows with the data (issue 17; a benchmark).

Runs the CLI (as :mod:`bench_report` does: fresh process, ``-v``, the ``files`` source
over the Parquet files, period 2025) once per data set, largest last, and prints wall
time, CPU seconds and the child's own peak RSS per size, with each figure per million
activities (flat = linear). ``--plot`` writes a log-log PNG of wall and CPU time and
peak memory against activities, with a slope-1 (linear) guide through the smallest size.

    for s in 0.1 0.3 1 3; do python bench/generate.py --scale $s --out /tmp/scale$s; done
    python bench/bench_scaling.py /tmp/scale0.1 /tmp/scale0.3 /tmp/scale1 /tmp/scale3 \\
        --plot bench/scaling.png --json /tmp/scaling.json
    python bench/bench_scaling.py --from-json /tmp/scaling.json --plot bench/scaling.png

The plot is drawn with Pillow (installed with WeasyPrint); no plotting library is added.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_report import ROOT, child, write_config  # noqa: E402


def measure(data: Path, formats: str, tree: Path | None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench_scaling_"))
    try:
        cfg = write_config(data, work)
        script = shutil.which("communityroi")
        cli = [script] if script and not tree else [sys.executable, "-m", "core.cli"]
        env = {**os.environ, "PYTHONPATH": str(tree or ROOT)}
        cmd = [*cli, "-v", "report", str(cfg), "--out", str(work / "out"), "--format", formats]
        r = child(cmd, env=env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = {
        t: pl.scan_parquet(data / f"{t}.parquet").select(pl.len()).collect().item()
        for t in ("members", "activities", "orders")
    }
    return {"data": str(data), **rows, **{k: r[k] for k in ("wall", "cpu", "rss_gb")},
            "load": os.getloadavg()[0]}  # fmt: skip


def table(results: list[dict]) -> str:
    lines = [
        "| activities | members | orders | wall | CPU | peak RSS | wall / M act. | "
        "peak / M act. | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r["activities"] / 1e6
        lines.append(
            f"| {m:g} M | {r['members']:,} | {r['orders']:,} | {r['wall']:.1f} s | "
            f"{r['cpu']:.1f} s | {r['rss_gb']:.2f} GB | {r['wall'] / m:.2f} s | "
            f"{r['rss_gb'] / m * 1000:.0f} MB | {r['load']:.1f} |"
        )
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    """Log-log: wall and CPU (s) and peak RSS (GB) against activities (M), slope-1 guides."""
    from PIL import Image, ImageDraw

    w, h, left, right, top, bottom = 900, 560, 90, 40, 50, 80
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    xs = [r["activities"] / 1e6 for r in results]
    series = [
        ("wall time (s)", [r["wall"] for r in results], (31, 119, 180)),
        ("CPU time (s)", [r["cpu"] for r in results], (44, 160, 44)),
        ("peak RSS (GB)", [r["rss_gb"] for r in results], (214, 39, 40)),
    ]
    ys = [v for _, vals, _ in series for v in vals]
    x0, x1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))

    def px(x: float) -> float:
        return left + (math.log10(x) - x0) / (x1 - x0) * (w - left - right)

    def py(y: float) -> float:
        return h - bottom - (math.log10(y) - y0) / (y1 - y0) * (h - top - bottom)

    for e in range(x0, x1 + 1):
        for k in (1, 2, 3, 5):
            x = k * 10**e
            if 10**x0 <= x <= 10**x1:
                d.line([(px(x), top), (px(x), h - bottom)], fill=(225, 225, 225))
                d.text((px(x) - 8, h - bottom + 8), f"{x:g}", fill="black")
    for e in range(y0, y1 + 1):
        for k in (1, 2, 5):
            y = k * 10**e
            if 10**y0 <= y <= 10**y1:
                d.line([(left, py(y)), (w - right, py(y))], fill=(225, 225, 225))
                d.text((left - 45, py(y) - 6), f"{y:g}", fill="black")
    d.rectangle([left, top, w - right, h - bottom], outline="black")
    d.text((w / 2 - 120, h - 40), "activities (millions), log scale", fill="black")
    d.text((10, 20), "log scale: wall and CPU time (s), peak RSS (GB)", fill="black")
    for i, (name, vals, colour) in enumerate(series):
        pts = [(px(x), py(y)) for x, y in zip(xs, vals, strict=True)]
        a, b = ((px(x), py(vals[0] * x / xs[0])) for x in (xs[0], xs[-1]))
        n = 40  # dashed slope-1 guide through the smallest size = linear growth
        for k in range(0, n, 2):
            d.line([(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n),
                    (a[0] + (b[0] - a[0]) * (k + 1) / n, a[1] + (b[1] - a[1]) * (k + 1) / n)],
                   fill=colour, width=1)  # fmt: skip
        d.line(pts, fill=colour, width=3)
        for x, y in pts:
            d.ellipse([x - 5, y - 5, x + 5, y + 5], fill=colour)
        d.line([(left + 20, top + 15 + 20 * i), (left + 50, top + 15 + 20 * i)], fill=colour,
               width=3)  # fmt: skip
        d.text((left + 58, top + 9 + 20 * i), name + "   (dashed: linear from the smallest)",
               fill="black")  # fmt: skip
    img.save(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="*", type=Path, help="data folders, smallest first")
    ap.add_argument("--formats", default="html,pdf,json")
    ap.add_argument("--tree", type=Path, help="run the CLI from this source tree")
    ap.add_argument("--json", type=Path, help="write (or, with --from-json, read) results")
    ap.add_argument("--from-json", type=Path, help="only re-print and re-plot saved results")
    ap.add_argument("--plot", type=Path, help="write the log-log PNG here")
    args = ap.parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        results = []
        for data in args.data:
            r = measure(data, args.formats, args.tree)
            results.append(r)
            print(f"{r['activities']:>12,} activities  wall {r['wall']:7.1f} s  cpu "
                  f"{r['cpu']:7.1f} s  peak {r['rss_gb']:5.2f} GB  (load {r['load']:.1f})",
                  flush=True)  # fmt: skip
            if args.json:
                args.json.write_text(json.dumps(results, indent=1))
    print(table(results))
    if args.plot:
        plot(results, args.plot)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
