"""The whole ``communityroi report`` beside what Polars alone needs (issue 17; a benchmark,
not a test).

Two programs, each in its own fresh process, run alternately (floor, report, floor,
report, …) so that both see the same machine load, and the ratio of their medians is
what to compare across hours:

- **floor**: eight typical metric queries straight from the Parquet files in one
  ``pl.collect_all`` (daily and monthly actives, per-member aggregates with a decayed
  score, hour × weekday, join cohorts, RFM, per-group revenue, the interaction edge
  list) — what any report over this data must at least pay;
- **report**: ``communityroi report CONFIG --format html,pdf,json`` exactly as a user
  runs it (CONFIG names the six Parquet files through the ``files`` source, period 2025,
  Asia/Shanghai, CNY, the default language and metrics), with ``-v`` so its step timings
  are kept.

The tree's bytecode is written first (``compileall``): an installed package has it, and
where ``PYTHONDONTWRITEBYTECODE`` is set (this VM) each run otherwise compiled the
package's 132 modules from source, ≈ 0.2 s that no user pays.

Per run: wall time, CPU seconds (user + system of the child, from ``os.wait4``) and the
child's own peak RSS (``ru_maxrss`` of that child alone, not the maximum over all
children). Then the medians and the report/floor ratios. Targets: report ≤ 3× the floor
(stretch 1.5×), peak < 2.5 GB.

    python bench/generate.py --out /tmp/benchfull       # 1 M members, 10 M activities
    python bench/bench_report.py --data /tmp/benchfull --repeat 3
    python bench/bench_report.py --data /tmp/benchfull --only report --steps   # step timings
    git archive OLD | tar -x -C /tmp/old && python bench/bench_report.py --tree /tmp/old …
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_RATIO, TARGET_GB = 3.0, 2.5
TZ = "Asia/Shanghai"

CONFIG = """\
[report]
timezone = "Asia/Shanghai"
currency = "CNY"
period_start = 2025-01-01
period_end = 2025-12-31
{language}
[[sources]]
type = "files"
{tables}
"""


def write_config(data: Path, work: Path, language: str | None = None) -> Path:
    tables = "\n".join(
        f'{t} = "{(data / f"{t}.parquet").resolve()}"'
        for t in ("members", "activities", "orders", "costs", "campaigns", "groups")
    )
    lang = f'language = "{language}"\n' if language else ""
    path = work / "report.toml"
    path.write_text(CONFIG.format(language=lang, tables=tables), encoding="utf-8")
    return path


def floor(data: Path) -> None:
    """Eight typical metric queries from the Parquet files, one ``collect_all``."""
    import polars as pl

    a = pl.scan_parquet(data / "activities.parquet")
    m = pl.scan_parquet(data / "members.parquet")
    o = pl.scan_parquet(data / "orders.parquet")
    local = pl.col("at").dt.convert_time_zone(TZ)
    end = pl.lit(datetime(2026, 1, 1, tzinfo=UTC))
    days = (end - pl.col("at")).dt.total_seconds() / 86_400
    paid = o.filter(pl.col("status") == "paid").with_columns(
        pl.coalesce(pl.col("member_id"), pl.col("customer_id")).alias("buyer")
    )
    queries = [
        # daily actives
        a.group_by(local.dt.date().alias("day")).agg(pl.col("member_id").n_unique()),
        # monthly actives
        a.group_by(local.dt.truncate("1mo").alias("month")).agg(pl.col("member_id").n_unique()),
        # per-member aggregates with a decayed score
        a.group_by("member_id").agg(
            pl.len().alias("n"),
            pl.col("at").max().alias("last"),
            (0.5 ** (days / 30)).sum().alias("score"),
        ),
        # hour × weekday
        a.group_by(local.dt.weekday().alias("wd"), local.dt.hour().alias("h")).agg(pl.len()),
        # join cohorts: members by join month, active in each later month
        a.join(m.select("member_id", "joined_at"), on="member_id")
        .group_by(
            pl.col("joined_at").dt.truncate("1mo").alias("cohort"),
            pl.col("at").dt.truncate("1mo").alias("month"),
        )
        .agg(pl.col("member_id").n_unique()),
        # RFM
        paid.group_by("buyer").agg(
            pl.col("at").max().alias("recency"),
            pl.len().alias("frequency"),
            pl.col("amount").sum().alias("monetary"),
        ),
        # revenue per group
        paid.join(m.unique("member_id").select("member_id", "group_id"), on="member_id")
        .group_by("group_id")
        .agg(pl.col("amount").sum()),
        # the interaction edge list
        a.filter(pl.col("target_member_id").is_not_null())
        .group_by("member_id", "target_member_id")
        .agg(pl.len().alias("w")),
    ]
    out = pl.collect_all(queries)
    print(json.dumps({"rows": [df.height for df in out]}))


def child(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run one child; wall, CPU-s (of which in the kernel: ``sys``), minor page faults
    (millions) and its own peak RSS (os.wait4), its stderr tail. The kernel's share and
    the faults are far steadier than wall time on a shared VM: they show what the memory
    allocator does (``core/allocator.py``).

    ``cwd``: where it runs. ``python -m`` puts the current directory first on the module
    path, so a ``--tree`` child started in the working tree ran the working tree's code."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as errf:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, env=env, cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        errf.seek(0)
        err = errf.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "sys": ru.ru_stime,
        "faults": ru.ru_minflt / 1e6,
        "rss_gb": ru.ru_maxrss / 1024**2,  # KiB on Linux
        "stderr": err,
    }


PACKAGES = ("core", "plugins", "communityroi", "report_templates")


def compiled(tree: Path) -> int:
    """Write the bytecode of ``tree``'s packages (``compileall``), as ``pip install``
    leaves an installed package and as a user's first run leaves an editable one; how
    many modules the packages hold. Without it every timed run compiled the 132 modules
    the CLI imports from source where ``PYTHONDONTWRITEBYTECODE`` is set (this VM sets
    it): ≈ 0.2 s of start-up a user does not pay."""
    dirs = [str(tree / p) for p in PACKAGES if (tree / p).is_dir()]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *dirs], check=True, stdout=subprocess.DEVNULL
    )
    return sum(1 for d in dirs for _ in Path(d).rglob("*.py"))


FIELDS = ("wall", "cpu", "sys", "faults", "rss_gb")


def _fmt(r: dict) -> str:
    return (
        f"wall {r['wall']:6.2f} s  cpu {r['cpu']:6.2f} s (sys {r['sys']:5.2f})  "
        f"faults {r['faults']:4.2f} M  peak {r['rss_gb']:5.2f} GB"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (alternated)")
    ap.add_argument("--formats", default="html,pdf,json")
    ap.add_argument("--language", choices=["zh-CN", "en"], default=None)
    ap.add_argument("--only", choices=["floor", "report"], default=None)
    ap.add_argument("--tree", type=Path, help="run the CLI from this source tree (A/B)")
    ap.add_argument("--steps", action="store_true", help="print the report's step timings")
    ap.add_argument("--keep", action="store_true", help="keep the config and outputs")
    ap.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.floor_child:
        floor(args.data)
        return 0
    if not (args.data / "activities.parquet").exists():
        sys.exit(f"no data in {args.data}: run python bench/generate.py --out {args.data}")
    work = Path(tempfile.mkdtemp(prefix="bench_report_"))
    cfg = write_config(args.data, work, args.language)
    # the installed console script, as a user runs it; --tree: that source tree's module
    script = shutil.which("communityroi")
    cli = [script] if script and not args.tree else [sys.executable, "-m", "core.cli"]
    env = {**os.environ, "PYTHONPATH": str(args.tree or ROOT)}
    out = work / "out"
    cmds = {
        "floor": [sys.executable, __file__, "--floor-child", "--data", str(args.data)],
        "report": [*cli, "-v", "report", str(cfg), "--out", str(out), "--format", args.formats],
    }
    kinds = [args.only] if args.only else ["floor", "report"]
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    n = compiled(args.tree or ROOT)
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; {args.data}; "
          f"{args.tree or ROOT}: bytecode of its {n} modules written first")  # fmt: skip
    for i in range(args.repeat):
        for kind in kinds:
            r = child(cmds[kind], env=env, cwd=work)
            runs[kind].append(r)
            load = os.getloadavg()[0]
            print(f"run {i + 1} {kind:<6} {_fmt(r)}  (load {load:.2f})", flush=True)
            if kind == "report" and args.steps:
                print("\n".join("    " + ln for ln in r["stderr"].splitlines() if "s " in ln))
    med = {k: {f: statistics.median(r[f] for r in rs) for f in FIELDS} for k, rs in runs.items()}
    print(f"\nmedians of {args.repeat}:")
    for k, m in med.items():
        print(f"  {k:<6} {_fmt(m)}")
    if len(med) == 2:
        ratios = [r["wall"] / f["wall"] for f, r in zip(runs["floor"], runs["report"], strict=True)]
        wall = med["report"]["wall"] / med["floor"]["wall"]
        cpu = med["report"]["cpu"] / med["floor"]["cpu"]
        print(f"  ratio report/floor: wall {wall:.2f}× (per pair "
              f"{', '.join(f'{x:.2f}' for x in ratios)}), cpu {cpu:.2f}×, "
              f"peak {med['report']['rss_gb'] / med['floor']['rss_gb']:.2f}×")  # fmt: skip
        ok = wall <= TARGET_RATIO and med["report"]["rss_gb"] < TARGET_GB
        print(f"  target ≤ {TARGET_RATIO}× and < {TARGET_GB} GB: {'met' if ok else 'NOT met'}")
    if "report" in runs:
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
        print("  outputs: " + ", ".join(f"{n} {s / 1e6:.2f} MB" for n, s in sorted(sizes.items())))
    if args.keep:
        print(f"  kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
