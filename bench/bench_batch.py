"""Agency batch (issue 16): N demo clients through the local process pool and through a real
Dask cluster (``dask scheduler`` + K single-threaded ``dask worker`` processes on loopback).
A benchmark, not a test.

    python bench/bench_batch.py                         # 50 clients: local 2, dask 2, dask 4
    python bench/bench_batch.py --clients 10 --members 200 --modes local:2 dask:2
    python bench/bench_batch.py --modes local:2 local:2:2     # pool workers' Polars threads

Every client is a demo community with its own seed (``--members`` people from 1 July 2026,
report for October 2026, formats ``--formats``). Each mode runs the whole batch with
``force`` into its own folder and history database. Measured: wall time of the batch (from
planning to index.html), and the peak resident memory of each worker process — sampled
every 0.1 s with psutil for the pool's workers, and for Dask workers also their own
``ru_maxrss`` read at the end. Finally every mode's report.json files are compared byte for
byte with the first mode's.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_agency(root: Path, clients: int, members: int, formats: list[str]) -> Path:
    (root / "clients").mkdir(parents=True, exist_ok=True)
    lines = ["[agency]", 'name = "bench agency"', 'history = "history.db"']
    for i in range(1, clients + 1):
        name = f"client-{i:03d}"
        (root / "clients" / f"{name}.toml").write_text(
            f'[report]\nclient = "Client {i}"\nlanguage = "en"\n'
            f'[[sources]]\ntype = "demo"\nseed = {1000 + i}\nmembers = {members}\n'
            f"start = 2026-07-01\n[output]\nformats = {formats!r}\n".replace("'", '"'),
            encoding="utf-8",
        )
        lines += ["[[clients]]", f'name = "{name}"', f'config = "clients/{name}.toml"']
    (root / "agency.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "agency.toml"


class Sampler:
    """Peak RSS per process of ``pids()``, sampled every ``every`` seconds."""

    def __init__(self, pids, every: float = 0.1):
        import psutil

        self.psutil, self.pids, self.every = psutil, pids, every
        self.peak: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids():
                try:
                    rss = self.psutil.Process(pid).memory_info().rss
                except self.psutil.Error:
                    continue
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_local(agency, out: Path, workers: int) -> dict:
    import psutil

    from core.batch import run_batch

    me = psutil.Process()

    def children() -> list[int]:  # the pool's workers, not its resource tracker
        out = []
        for c in me.children(recursive=True):
            try:
                if "spawn_main" in " ".join(c.cmdline()):
                    out.append(c.pid)
            except psutil.Error:
                continue
        return out

    with Sampler(children) as s:
        t0 = time.perf_counter()
        batch = run_batch(agency, out, period="2026-10", force=True, workers=workers)
        wall = time.perf_counter() - t0
    return {"wall": wall, "peaks": sorted(s.peak.values(), reverse=True), "exact": None,
            "failed": len(batch.failed)}  # fmt: skip


def run_dask(agency, out: Path, workers: int, logs: Path) -> dict:
    from distributed import Client

    from core.batch import run_batch

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=(logs / "scheduler.log").open("wb"),
                              stderr=subprocess.STDOUT)]  # fmt: skip
    for i in range(workers):
        procs.append(subprocess.Popen(
            [*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--host", "127.0.0.1", "--name", f"w{i}"],
            stdout=(logs / f"worker{i}.log").open("wb"), stderr=subprocess.STDOUT))  # fmt: skip
    try:
        deadline = time.monotonic() + 300  # a busy machine starts the scheduler slowly
        while True:
            try:
                c = Client(address, timeout="20s")
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
        with c:
            c.wait_for_workers(workers, timeout=300)
            with Sampler(lambda: [p.pid for p in procs[1:]]) as s:
                t0 = time.perf_counter()
                batch = run_batch(agency, out, period="2026-10", force=True, engine="dask",
                                  scheduler=address)  # fmt: skip
                wall = time.perf_counter() - t0
            exact = sorted(c.run(_maxrss).values(), reverse=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    return {"wall": wall, "peaks": sorted(s.peak.values(), reverse=True), "exact": exact,
            "failed": len(batch.failed)}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--members", type=int, default=300)
    ap.add_argument("--formats", default="html,json")
    ap.add_argument("--modes", nargs="+", default=["local:2", "dask:2", "dask:4"])
    args = ap.parse_args()

    from core.agency import load_agency

    root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    path = make_agency(root, args.clients, args.members, args.formats.split(","))
    print(f"{args.clients} demo clients, {args.members} people each, formats {args.formats}, "
          f"{os.cpu_count()} CPUs; work in {root}")  # fmt: skip
    rows, outs = [], []
    for mode in args.modes:
        engine, workers, *threads = mode.split(":")  # local:2:2 = POLARS_MAX_THREADS=2
        if threads:
            os.environ["POLARS_MAX_THREADS"] = threads[0]  # workers inherit it
        else:
            os.environ.pop("POLARS_MAX_THREADS", None)
        agency = load_agency(path)
        tag = "-".join([engine, workers, *threads])
        out = root / f"out-{tag}"
        # each mode its own history: the same (empty) trend history for every mode
        agency.agency.history = str(root / f"history-{tag}.db")
        logs = root / f"logs-{tag}"
        logs.mkdir()
        if engine == "local":
            r = run_local(agency, out, int(workers))
        else:
            r = run_dask(agency, out, int(workers), logs)
        outs.append(out)
        mb = [p / 2**20 for p in r["peaks"]]
        exact = [p / 2**20 for p in r["exact"]] if r["exact"] else None
        rows.append((mode, r["wall"], mb, exact, r["failed"]))
        print(f"{mode:8s} wall {r['wall']:6.1f} s  {args.clients / r['wall']:.2f} clients/s  "
              f"peak RSS per worker (sampled) {', '.join(f'{m:.0f}' for m in mb)} MB"
              + (f"  (ru_maxrss {', '.join(f'{m:.0f}' for m in exact)} MB)" if exact else "")
              + f"  failed {r['failed']}", flush=True)  # fmt: skip
    first = outs[0]
    for other in outs[1:]:
        same = all(
            f.read_bytes() == (other / f.relative_to(first)).read_bytes()
            for f in first.rglob("report.json")
        )
        print(f"report.json {first.name} vs {other.name}: {'identical' if same else 'DIFFER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
