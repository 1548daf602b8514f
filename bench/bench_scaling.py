"""How the whole ``communityroi report`` grows with the data (issue 17; a benchmark).

Runs the CLI (as :mod:`bench_report` does: fresh process, ``-v``, the ``files`` source
over the Parquet files, period 2025) once per data set, largest last, and prints wall
time, CPU seconds and the child's own peak RSS per size, with each figure per million
activities (flat = linear). ``--floor`` runs :mod:`bench_report`'s floor (eight typical
queries straight from the same Parquet files, one ``collect_all``) just before each
report, so the report's growth can be read beside what Polars alone does at that size,
with the report / floor ratio. Under the table: the log-log slope between consecutive
sizes (1 = linear) for each figure. ``--plot`` writes a log-log PNG of wall and CPU time
and peak memory against activities, with a slope-1 (linear) guide through the smallest
size, and the floor's wall and CPU as thin lines.

    for s in 0.1 0.3 1 3; do python bench/generate.py --scale $s --out /tmp/scale$s; done
    python bench/bench_scaling.py /tmp/scale0.1 /tmp/scale0.3 /tmp/scale1 /tmp/scale3 \\
        --floor --plot bench/scaling.png --json /tmp/scaling.json
    python bench/bench_scaling.py --from-json /tmp/scaling.json --plot bench/scaling.png

The plot is drawn with Pillow (installed with WeasyPrint); no plotting library is added.
"""

from __future__ import annotations

import argparse
import itertools
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
import bench_report  # noqa: E402
from bench_report import ROOT, child, write_config  # noqa: E402

FIGURES = ("wall", "cpu", "rss_gb")


def measure(data: Path, formats: str, tree: Path | None, floor: bool = False) -> dict:
    """One report over ``data`` (and, with ``floor``, the floor just before it)."""
    work = Path(tempfile.mkdtemp(prefix="bench_scaling_"))
    got: dict = {}
    try:
        if floor:
            f = child([sys.executable, bench_report.__file__, "--floor-child", "--data", str(data)])
            got.update({f"floor_{k}": f[k] for k in FIGURES})
        cfg = write_config(data, work)
        script = shutil.which("communityroi")
        cli = [script] if script and not tree else [sys.executable, "-m", "core.cli"]
        env = {**os.environ, "PYTHONPATH": str(tree or ROOT)}
        cmd = [*cli, "-v", "report", str(cfg), "--out", str(work / "out"), "--format", formats]
        r = child(cmd, env=env, cwd=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = {
        t: pl.scan_parquet(data / f"{t}.parquet").select(pl.len()).collect().item()
        for t in ("members", "activities", "orders")
    }
    return {"data": str(data), **rows, **{k: r[k] for k in FIGURES}, **got,
            "load": os.getloadavg()[0]}  # fmt: skip


def slopes(results: list[dict]) -> str:
    """The log-log slope of each figure between consecutive sizes: 1 is linear growth."""
    keys = [k for k in (*FIGURES, *(f"floor_{f}" for f in FIGURES)) if k in results[0]]
    lines = []
    for a, b in itertools.pairwise(results):
        dx = math.log(b["activities"] / a["activities"])
        parts = [f"{k} {math.log(b[k] / a[k]) / dx:.2f}" for k in keys if k in b]
        lines.append(f"slope {a['activities'] / 1e6:g} → {b['activities'] / 1e6:g} M: "
                     + ", ".join(parts))  # fmt: skip
    return "\n".join(lines)


def table(results: list[dict]) -> str:
    floor = all("floor_wall" in r for r in results)
    head = (
        "| activities | members | orders | wall | CPU | peak RSS | wall / M act. | peak / M act. |"
    )
    if floor:
        head += " floor wall | floor CPU | floor peak | ratio wall | ratio CPU |"
    lines = [head + " load |", "|" + "---:|" * head.count("|")]  # + the load column
    for r in results:
        m = r["activities"] / 1e6
        line = (
            f"| {m:g} M | {r['members']:,} | {r['orders']:,} | {r['wall']:.1f} s | "
            f"{r['cpu']:.1f} s | {r['rss_gb']:.2f} GB | {r['wall'] / m:.2f} s | "
            f"{r['rss_gb'] / m * 1000:.0f} MB |"
        )
        if floor:
            line += (
                f" {r['floor_wall']:.1f} s | {r['floor_cpu']:.1f} s | "
                f"{r['floor_rss_gb']:.2f} GB | {r['wall'] / r['floor_wall']:.2f}× | "
                f"{r['cpu'] / r['floor_cpu']:.2f}× |"
            )
        lines.append(line + f" {r['load']:.1f} |")
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
    floors = [  # the floor's wall and CPU (thin, hollow points), when measured
        (name, [r[key] for r in results], colour)
        for name, key, colour in (
            ("floor wall (s)", "floor_wall", (31, 119, 180)),
            ("floor CPU (s)", "floor_cpu", (44, 160, 44)),
        )
        if all(key in r for r in results)
    ]
    ys = [v for _, vals, _ in (*series, *floors) for v in vals]
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
    for i, (name, vals, colour) in enumerate(floors, start=len(series)):
        pts = [(px(x), py(y)) for x, y in zip(xs, vals, strict=True)]
        d.line(pts, fill=colour, width=1)
        for x, y in pts:
            d.ellipse([x - 4, y - 4, x + 4, y + 4], outline=colour, fill="white", width=2)
        d.line([(left + 20, top + 15 + 20 * i), (left + 50, top + 15 + 20 * i)], fill=colour,
               width=1)  # fmt: skip
        d.text((left + 58, top + 9 + 20 * i), name + "   (Polars alone, same files)",
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
    ap.add_argument("--floor", action="store_true", help="run the floor before each report")
    args = ap.parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        results = []
        for data in args.data:
            r = measure(data, args.formats, args.tree, args.floor)
            results.append(r)
            floor = (f"  floor wall {r['floor_wall']:6.1f} s  cpu {r['floor_cpu']:6.1f} s"
                     if args.floor else "")  # fmt: skip
            print(f"{r['activities']:>12,} activities  wall {r['wall']:7.1f} s  cpu "
                  f"{r['cpu']:7.1f} s  peak {r['rss_gb']:5.2f} GB{floor}  "
                  f"(load {r['load']:.1f})", flush=True)  # fmt: skip
            if args.json:
                args.json.write_text(json.dumps(results, indent=1))
    print(table(results))
    if len(results) > 1:
        print(slopes(results))
    if args.plot:
        plot(results, args.plot)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
