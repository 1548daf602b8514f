"""Benchmark: how long ``communityroi --help`` (and other instant commands) take to start.

Each command runs in a fresh process, ``--repeat`` times (default 10), as a user runs it:
the ``communityroi`` found on PATH (a pyenv shim, when there is one, is part of what the user
waits for); the bare interpreter (``python -c pass``, through the same PATH) is the floor.
Prints the median and min wall time and the median CPU time (user + system) of each, then,
for each command, the third-party packages it imported and its slowest imports
(``python -X importtime``). Target (issue 17): ``communityroi --help`` < 0.3 s.

    python bench/bench_startup.py
    python bench/bench_startup.py --repeat 20
    git archive REV | tar -x -C /tmp/before && python bench/bench_startup.py --compare /tmp/before
    python bench/bench_startup.py --exe ~/.pyenv/shims/communityroi --python ~/.pyenv/shims/python3

(Run through pyenv, PATH inside the benchmark starts with the interpreter's own bin folder,
so the default times the installed script itself; a user's shell runs the pyenv shim, a
shell script that costs another 0.05–0.1 s on this VM: ``--exe``/``--python`` time that.)
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


def _run(argv: list[str], cwd: str | None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def timed(variants: list[tuple[list[str], str | None]], repeat: int) -> list[tuple[float, ...]]:
    """(median wall, min wall, median CPU) of each (argv, cwd) variant over ``repeat``
    fresh processes, the variants alternating so that they share the machine's load."""
    runs: list[list[tuple[float, float]]] = [[] for _ in variants]
    for _ in range(repeat):
        for i, (argv, cwd) in enumerate(variants):
            runs[i].append(_run(argv, cwd))
    return [
        (
            statistics.median(w for w, _ in r),
            min(w for w, _ in r),
            statistics.median(c for _, c in r),
        )
        for r in runs
    ]


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
    ap.add_argument(
        "--compare",
        metavar="DIR",
        help="also time the CLI of another checkout (git archive REV | tar -x -C DIR), "
        "alternating with this one; both then run as python -c 'from core.cli import main'",
    )
    ap.add_argument("--exe", help="the communityroi to time (default: the one on PATH)")
    ap.add_argument("--python", help="the interpreter to time (default: python3 on PATH)")
    args = ap.parse_args()
    exe = args.exe or shutil.which("communityroi")
    if exe is None:
        sys.exit("communityroi is not on PATH (pip install -e .)")
    python = args.python or shutil.which("python3") or sys.executable
    print(f"communityroi: {exe}   python: {python}   load: {os.getloadavg()[0]:.2f}")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    via_python = [python, "-c", "import sys; from core.cli import main; sys.exit(main())"]
    heads = ["installed script"] if not args.compare else ["this checkout", args.compare]
    print(f"{'(s, median / min / CPU of ' + str(args.repeat) + ' runs)':40}", end="")
    print("".join(f"{h[-26:]:>28}" for h in heads))
    for cmd in [None, *COMMANDS]:
        if cmd is None:
            label, variants = "python -c pass", [([python, "-c", "pass"], None)] * len(heads)
        elif args.compare:
            label = "communityroi " + " ".join(cmd)
            variants = [([*via_python, *cmd], here), ([*via_python, *cmd], args.compare)]
        else:
            label, variants = "communityroi " + " ".join(cmd), [([exe, *cmd], None)]
        cells = timed(variants, args.repeat)
        print(f"{label:40}" + "".join(f"{w:10.3f}{m:9.3f}{c:9.3f}" for w, m, c in cells))
    print()
    for cmd in COMMANDS:
        packages, slow = imported(cmd, sys.executable)
        print(f"communityroi {' '.join(cmd)} imports: {packages}")
        print("  slowest: " + ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in slow))


if __name__ == "__main__":
    main()
