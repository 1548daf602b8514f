"""Time the PDF of the full demo report in English and Chinese (a benchmark, not a test).

The report is built once per language through the real pipeline (demo source, every
built-in metric); then only the PDF renderer is timed (HTML rendering included, as
``communityroi demo --format pdf`` does it), median of ``--repeat`` runs after a warm-up.
CPU time (``time.process_time``) is the figure to compare on a shared machine. Targets:
zh-CN ≤ 2 × en and under 3 s (issue 5); zh-CN under 2 s (issue 17).

``--phases`` also prints the median CPU of each step: the print HTML (Jinja), WeasyPrint's
HTML parse, CSS cascade, box tree, layout, drawing + PDF write, and the cyclic garbage
collector's run over WeasyPrint's objects when it is switched back on.

``--as-cli`` times each render with Python's cyclic collector off, as ``communityroi
report`` / ``demo`` run it (``core.cli.run_report`` pauses it for the whole run and the
program ends without collecting): the collector's pass after the render is not paid.

    python bench/bench_demo_pdf.py --repeat 5 [--phases]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PHASES = ("html", "parse", "cascade", "boxes", "layout", "draw+write", "collector")


def phase_clocks() -> dict[str, float]:
    """Wrap WeasyPrint's steps and the renderer's collector pause with CPU clocks (a
    benchmark-only patch: WeasyPrint 70's module names); returns the dict they add to."""
    import weasyprint
    import weasyprint.document as wd

    from plugins.renderers import html as html_renderer
    from plugins.renderers import pdf

    clocks: dict[str, float] = {}

    def timed(fn, key, consume=False):
        def run(*args, **kwargs):
            start = time.process_time()
            out = fn(*args, **kwargs)
            if consume:  # layout_document is a generator: lay out every page here
                out = list(out)
            clocks[key] = clocks.get(key, 0.0) + time.process_time() - start
            return out

        return run

    wd.get_all_computed_styles = timed(wd.get_all_computed_styles, "cascade")
    wd.build_formatting_structure = timed(wd.build_formatting_structure, "boxes")
    wd.layout_document = timed(wd.layout_document, "layout", consume=True)
    wd.Document.write_pdf = timed(wd.Document.write_pdf, "draw+write")
    weasyprint.HTML.__init__ = timed(weasyprint.HTML.__init__, "parse")
    pdf.render_html = timed(html_renderer.render_html, "html")
    paused = pdf.cyclic_gc_paused

    def paused_then_collected():
        import contextlib
        import gc

        @contextlib.contextmanager
        def block():
            pause = paused()
            pause.__enter__()
            try:
                yield
            finally:
                start = time.process_time()
                pause.__exit__(None, None, None)
                if gc.isenabled():  # not with --as-cli: the collector stays off
                    gc.collect(0)  # what the first allocation after gc.enable() triggers
                clocks["collector"] = clocks.get("collector", 0.0) + time.process_time() - start

        return block()

    pdf.cyclic_gc_paused = paused_then_collected
    return clocks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--phases", action="store_true", help="median CPU of each step")
    ap.add_argument("--as-cli", action="store_true", help="collector off, as the CLI runs")
    args = ap.parse_args()

    from pypdf import PdfReader

    from core.pipeline import build_report, compute, load, registry_for, render
    from core.settings import load_settings

    clocks = phase_clocks() if args.phases else {}
    out = Path(tempfile.mkdtemp())
    results, phases = {}, {}
    load_start = os.getloadavg()[0]
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
        walls, cpus, steps = [], [], []
        for _ in range(args.repeat):
            clocks.clear()
            gc.collect()
            if args.as_cli:
                gc.disable()
            t, c = time.perf_counter(), time.process_time()
            render(settings, registry, report, ["pdf"], out)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
            gc.enable()
            steps.append(dict(clocks))
        pages = len(PdfReader(out / "report.pdf").pages)
        results[lang] = (statistics.median(walls), statistics.median(cpus), pages)
        phases[lang] = {k: statistics.median(s.get(k, 0.0) for s in steps) for k in PHASES}
    print(
        f"demo report PDF{' (collector off, as the CLI)' if args.as_cli else ''}, "
        f"median of {args.repeat}; "
        f"load average {load_start:.1f} → {os.getloadavg()[0]:.1f}"
    )
    print(f"{'language':10} {'wall s':>8} {'cpu s':>8} {'pages':>6}")
    for lang, (wall, cpu, pages) in results.items():
        print(f"{lang:10} {wall:8.2f} {cpu:8.2f} {pages:6d}")
    if args.phases:
        print("median CPU s per step: " + ", ".join(PHASES))
        for lang, steps in phases.items():
            print(f"{lang:10} " + " ".join(f"{steps[k]:6.3f}" for k in PHASES))
    ratio = results["zh-CN"][0] / results["en"][0]
    ok = ratio <= 2 and results["zh-CN"][0] < 3
    print(f"zh-CN / en = {ratio:.2f}; target ≤ 2 and zh-CN < 3 s → {'MET' if ok else 'MISSED'}")
    fast = results["zh-CN"][1] < 2
    verdict = "MET" if fast else "MISSED"
    print(f"zh-CN CPU {results['zh-CN'][1]:.2f} s; issue 17's < 2 s → {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
