"""Benchmark: how long ``communityroi --help`` (and other instant commands) take to start.

Each command runs in a fresh process, ``--repeat`` times (default 10), as a user runs it:
the ``communityroi`` found on PATH (a pyenv shim, when there is one, is part of what the user
waits for); the bare interpreter (``python -c pass``, through the same PATH) is the floor.
Prints the median and min wall time and the median CPU time (user + system) of each, then,
for each command, the third-party packages it imported and its slowest imports
(``python -X importtime``). Target (issue 17): ``communityroi --help`` < 0.3 s.

    python bench/bench_startup.py
    python bench/bench_startup.py --repeat 20
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = (["--help"], ["report", "--help"], ["--version"], ["demo", "--help"])

# runs the CLI in-process, then prints the top-level packages it imported (not stdlib)
_PROBE = """
import sys
from core.cli import main
try:
    main(sys.argv[1:], prog_name="communityroi")
except SystemExit:
    pass
std = sys.stdlib_module_names
tops = {m.partition(".")[0] for m in list(sys.modules)}
print(" ".join(sorted(t for t in tops if t not in std and not t.startswith("_"))),
      file=sys.stderr)
"""


def timed(argv: list[str], repeat: int) -> tuple[float, float, float]:
    """(median wall, min wall, median CPU) in seconds over ``repeat`` fresh processes."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def imported(args: list[str], python: str) -> tuple[str, list[tuple[int, str]]]:
    """Packages imported by ``communityroi ARGS`` and its 8 slowest imports (µs, name)."""
    proc = subprocess.run(
        [python, "-X", "importtime", "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = proc.stderr.splitlines()
    slow = []
    for line in lines:
        if line.startswith("import time:") and "cumulative" not in line:
            _self, cumulative, name = line.removeprefix("import time:").split("|")
            if not name.startswith("  "):  # top level: what the CLI itself pulled in
                slow.append((int(cumulative), name.strip()))
    packages = next((ln for ln in reversed(lines) if not ln.startswith("import time:")), "")
    return packages, sorted(slow, reverse=True)[:8]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    exe = shutil.which("communityroi")
    if exe is None:
        sys.exit("communityroi is not on PATH (pip install -e .)")
    python = shutil.which("python3") or sys.executable
    print(f"communityroi: {exe}   python: {python}   load: {os.getloadavg()[0]:.2f}")
    print(f"{'command':32} {'median':>8} {'min':>8} {'CPU':>8}   (s, {args.repeat} runs)")
    floor = timed([python, "-c", "pass"], args.repeat)
    print(f"{'python -c pass':32} {floor[0]:8.3f} {floor[1]:8.3f} {floor[2]:8.3f}")
    for cmd in COMMANDS:
        wall, low, cpu = timed([exe, *cmd], args.repeat)
        print(f"{'communityroi ' + ' '.join(cmd):32} {wall:8.3f} {low:8.3f} {cpu:8.3f}")
    print()
    for cmd in COMMANDS:
        packages, slow = imported(cmd, sys.executable)
        print(f"communityroi {' '.join(cmd)} imports: {packages}")
        print("  slowest: " + ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in slow))


if __name__ == "__main__":
    main()
