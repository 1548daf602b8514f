"""Time the PDF of the full demo report in English and Chinese (a benchmark, not a test).

The report is built once per language through the real pipeline (demo source, every
built-in metric); then only the PDF renderer is timed (HTML rendering included, as
``communityroi demo --format pdf`` does it), median of ``--repeat`` runs after a warm-up.
Target (issue 5): zh-CN ≤ 2 × en, and zh-CN under 3 s.

    python bench/bench_demo_pdf.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from pypdf import PdfReader

    from core.pipeline import build_report, compute, load, registry_for, render
    from core.settings import load_settings

    out = Path(tempfile.mkdtemp())
    results = {}
    for lang in ("en", "zh-CN"):
        settings = load_settings(
            None,
            sources=[{"type": "demo"}],
            report={"period_start": "2026-10-01", "period_end": "2026-10-31", "language": lang},
        )
        registry = registry_for(settings)
        _, data = load(settings, registry)
        report = build_report(settings, compute(settings, registry, data), data, [])
        render(settings, registry, report, ["pdf"], out)  # warm-up (fonts, imports)
        walls, cpus = [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            render(settings, registry, report, ["pdf"], out)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        pages = len(PdfReader(out / "report.pdf").pages)
        results[lang] = (statistics.median(walls), statistics.median(cpus), pages)
    print(f"demo report PDF, median of {args.repeat}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'language':10} {'wall s':>8} {'cpu s':>8} {'pages':>6}")
    for lang, (wall, cpu, pages) in results.items():
        print(f"{lang:10} {wall:8.2f} {cpu:8.2f} {pages:6d}")
    ratio = results["zh-CN"][0] / results["en"][0]
    ok = ratio <= 2 and results["zh-CN"][0] < 3
    print(f"zh-CN / en = {ratio:.2f}; target ≤ 2 and zh-CN < 3 s → {'MET' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
