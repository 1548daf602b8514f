"""The Dask engine on a real cluster on loopback: ``dask scheduler`` and two ``dask worker``
processes; one worker is killed (SIGKILL) while it runs a client, and the batch still gives
every good report, byte for byte the same as the local engine's."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from batch_fixture import BROKEN, GOOD, make_agency

pytest.importorskip("distributed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_workers(address: str, n: int, timeout: float = 60) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as c:
        c.wait_for_workers(n, timeout=timeout)


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = {}

    def start(name: str, args: list[str]) -> subprocess.Popen:
        log = (logs / f"{name}.log").open("wb")
        procs[name] = subprocess.Popen([*dask, *args], stdout=log, stderr=subprocess.STDOUT)
        return procs[name]

    start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--no-dashboard"])  # fmt: skip
    workers = [
        start(f"worker{i}", ["worker", address, "--nthreads", "1", "--no-nanny",
                             "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}"])
        for i in (1, 2)
    ]  # fmt: skip
    try:
        _wait_for_workers(address, 2)
        yield address, workers
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_dask_survives_a_killed_worker_and_matches_the_local_run(tmp_path, cluster):
    from distributed import Client

    from core.agency import load_agency
    from core.batch import run_batch

    address, workers = cluster
    agency = load_agency(make_agency(tmp_path))
    local = run_batch(agency, tmp_path / "local", period="2026-10", workers=1)
    assert [o.status for o in local.outcomes] == ["ok"] * 7 + ["failed"]

    killed: dict[str, object] = {}
    inspector = Client(address, timeout="20s")

    def on_event(kind, value):
        # at the first finished client, SIGKILL a worker that is running another one
        if kind != "done" or value.status != "ok" or killed:
            return
        busy = {w: keys for w, keys in inspector.processing().items() if keys}
        pids = inspector.run(os.getpid)
        by_pid = {p.pid: p for p in workers}
        for address_, keys in busy.items():
            if pids.get(address_) in by_pid:
                by_pid[pids[address_]].send_signal(signal.SIGKILL)
                killed.update(worker=address_, running=list(keys))
                return

    try:
        result = run_batch(agency, tmp_path / "dask", period="2026-10", engine="dask",
                           scheduler=address, force=True, on_event=on_event)  # fmt: skip
    finally:
        inspector.close()
    assert killed, "no worker was busy when the first client finished"
    assert killed["running"], "the killed worker was running a client"
    assert sum(p.poll() is not None for p in workers) == 1  # one worker really died
    statuses = {o.name: o.status for o in result.outcomes}
    assert statuses == {**dict.fromkeys(GOOD, "ok"), BROKEN: "failed"}
    for name in GOOD:
        a = (tmp_path / "local" / name / "report.json").read_bytes()
        b = (tmp_path / "dask" / name / "report.json").read_bytes()
        if a != b:  # say what differs before failing
            da, db = json.loads(a), json.loads(b)
            diff = {k: (da[k], db[k]) for k in da if da[k] != db.get(k) and k != "metrics"}
            diff |= {m: "differs" for m in da["metrics"] if da["metrics"][m] != db["metrics"][m]}
            pytest.fail(f"{name}: report.json differs between the engines: {diff}")
    assert not [p for p in (tmp_path / "dask").iterdir() if p.name.startswith(".")]
    assert "exports/members.csv" in next(o.error for o in result.outcomes if o.name == BROKEN)


def test_dask_without_a_reachable_scheduler_is_one_line(tmp_path):
    from core.agency import load_agency
    from core.batch import run_batch
    from core.errors import ConfigError

    agency = load_agency(make_agency(tmp_path))
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        run_batch(agency, tmp_path / "o", period="2026-10", engine="dask",
                  scheduler=f"tcp://127.0.0.1:{_free_port()}", only=(GOOD[0],))  # fmt: skip
    assert time.perf_counter() - t0 < 60
