"""Where a whole ``communityroi report`` spends its CPU, over time (issue 17; a profiling
aid, not a test).

Runs the CLI on the bench data (the config of ``bench_report.py``) under Linux ``perf``
sampling every thread's stack at 299 Hz — Polars' Rust threads and NumPy's included,
which py-spy and cProfile do not see — and prints:

- a timeline in 0.5 s bins: how many cores were busy (2.0 = both, on this VM), the share
  of samples in the Python interpreter, and the hottest functions of the bin. A stretch at
  ~1.0 while the metrics collect is a Polars operation running on one thread (this is
  how the per-row ``search_sorted`` and ``is_duplicated`` calls were found);
- the CLI's own steps (``-v``) with their start times, to tell which stretch is which;
- the hottest functions of the whole run (leaf of each sample, module paths stripped).

    python bench/timeline.py --data /tmp/benchfull            # needs `perf` (linux-perf)
    python bench/timeline.py --data /tmp/benchfull --tree /tmp/old --top 30

Reading it: the leaf is where the CPU was, not who asked for it (Polars is built without
frame pointers, so the callers are mostly lost); the type usually says enough
(``RawTable<str, u32>::try_get_or_insert_with`` = casting text to Categorical,
``SingleKeyHashGrouper`` / ``HotGrouper`` = a group-by on one key, ``IdxTable::probe_subset``
= a join, ``clear_page_erms`` / ``exc_page_fault`` = the kernel handing out fresh memory).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HZ = 299
BIN = 0.5
_HEAD = re.compile(r"\s*(\d+)\s+([\d.]+):")
_ADDR = re.compile(r"^\s*[0-9a-f]+\s+")
_MODULE = re.compile(r"\b[a-z_][a-z0-9_]*::")


def _closing(text: str) -> int:
    """Position of the ``>`` closing the ``<`` at ``text[0]`` (the end if none)."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if depth == 0:
            return i
    return len(text)


def short(symbol: str, width: int = 72) -> str:
    """A Rust symbol without module paths: ``<polars_expr::groups::SingleKeyHashGrouper<
    …UInt32Type> as …Grouper>::insert_keys_subset`` → ``SingleKeyHashGrouper<UInt32Type>
    ::insert_keys_subset`` (a method's own type arguments dropped); a free function keeps
    its last two path segments and its type arguments. Cut to ``width``."""
    if symbol.startswith("<"):
        end = _closing(symbol)
        owner = _MODULE.sub("", symbol[1:end].split(" as ")[0])
        method = symbol[end + 1 :].lstrip(":").split("<")[0].rstrip(":")
        name = f"{owner}::{method}"
    else:
        head, sep, tail = symbol.partition("<")
        name = "::".join(head.rstrip(":").split("::")[-2:]) + (
            "::<" + _MODULE.sub("", tail) if sep else ""
        )
    return name[:width] or "?"


def samples(script: str) -> list[tuple[float, str, bool]]:
    """(time, leaf symbol, in Python) per sample of ``perf script -F tid,time,ip,sym``."""
    out = []
    for block in script.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        head = _HEAD.match(lines[0]) if lines else None
        if head is None:
            continue
        stack = [_ADDR.sub("", line).strip() for line in lines[1:]]
        python = any("_PyEval_EvalFrame" in frame for frame in stack[:40])
        out.append((float(head.group(2)), stack[0] if stack else "?", python))
    return out


def report(rows: list[tuple[float, str, bool]], top: int) -> None:
    t0 = min(t for t, _, _ in rows)
    bins: dict[int, list[tuple[str, bool]]] = collections.defaultdict(list)
    for t, leaf, python in rows:
        bins[int((t - t0) / BIN)].append((leaf, python))
    print(f"{'time':>6}  cores  python  hottest functions")
    for k in sorted(bins):
        got = bins[k]
        hot = collections.Counter(short(leaf, 48) for leaf, _ in got).most_common(3)
        print(
            f"{k * BIN:5.1f}s  {len(got) / HZ / BIN:5.1f}  {sum(p for _, p in got) / len(got):5.0%}"
            f"  " + "; ".join(f"{name} ×{n}" for name, n in hot)
        )
    total = collections.Counter(short(leaf) for _, leaf, _ in rows)
    print(f"\nwhole run: {len(rows) / HZ:.1f} CPU-s sampled; hottest functions (CPU-s):")
    for name, n in total.most_common(top):
        print(f"{n / HZ:7.2f}  {name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--tree", type=Path, help="run the CLI from this source tree")
    ap.add_argument("--formats", default="html,pdf,json")
    ap.add_argument("--top", type=int, default=25, help="functions in the whole-run list")
    args = ap.parse_args(argv)
    if shutil.which("perf") is None:
        print("timeline: needs Linux perf (Debian: apt install linux-perf)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE))
    from bench_report import compiled, write_config

    compiled(args.tree.resolve() if args.tree else HERE.parent)  # as bench_report.py

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cfg = write_config(args.data.resolve(), work)
        env = dict(os.environ)
        if args.tree:
            env["PYTHONPATH"] = str(args.tree.resolve())
        data = work / "perf.data"
        cli = [sys.executable, "-m", "core.cli", "-v", "report", str(cfg),
               "--format", args.formats, "--out", str(work / "out")]  # fmt: skip
        run = subprocess.run(
            ["perf", "record", "-q", "-e", "cpu-clock", "-F", str(HZ), "-g", "-o", str(data),
             "--", *cli],
            cwd=work, env=env, capture_output=True, text=True,
        )  # fmt: skip
        if run.returncode != 0:
            print(f"timeline: the run failed: {run.stderr.strip()[-500:]}", file=sys.stderr)
            return 1
        steps = [line for line in run.stderr.splitlines() if re.match(r"\s*\d+\.\d+s", line)]
        script = subprocess.run(
            ["perf", "script", "-i", str(data), "-F", "tid,time,ip,sym"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    rows = samples(script)
    if not rows:
        print("timeline: perf recorded no samples (is perf allowed here?)", file=sys.stderr)
        return 1
    report(rows, args.top)
    if steps:
        print("\nthe CLI's steps (-v):")
        print("\n".join(steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
