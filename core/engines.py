"""Where the batch's jobs run: ``local`` (a process pool on this machine) or ``dask``
(one task per client on a Dask ``distributed`` cluster).

**local** runs ``workers`` processes (default: the CPU count), started with ``spawn`` so
no Polars thread pool is forked; each gets ``POLARS_MAX_THREADS`` = CPUs / workers unless
the environment sets it. With one worker (or one job) the jobs run in this process, one
after another. A worker process that dies (killed, out of memory) breaks the pool and
every unfinished job with it. The jobs that had started are the suspects: each is retried
alone, in a pool of its own, and reported failed if it dies again; the jobs that had not
started go on in a fresh pool. So one client that runs out of memory fails alone, not
with the dozens queued behind it.

**dask** submits :func:`core.jobs.run_client` once per client to the scheduler at
``scheduler`` (``tcp://host:8786``), or, without one, to a local cluster of ``workers``
single-threaded processes that lives for the batch. When a worker dies mid-task the
scheduler gives the task to another worker (up to ``distributed.scheduler.allowed-failures``
times, 3 by default); a task that kills every worker it lands on is reported failed.
Workers need the same communityroi and plugins installed, read the inputs from the paths in
the client configs and write to ``OUT``: all of them must see those paths (shared
storage). The job carries the resolved settings, the pseudonym key included; use a
``tls://`` scheduler between machines.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from core.errors import ConfigError
from core.jobs import Job, Outcome, one_line, run_client

Done = Callable[[Outcome], None]


def execute(
    jobs: list[Job],
    *,
    engine: str,
    workers: int | None,
    scheduler: str | None,
    on_done: Done,
) -> None:
    """Run every job, calling ``on_done`` once per job as it finishes (in this thread)."""
    if not jobs:
        return
    if engine == "local":
        _local(jobs, workers or os.cpu_count() or 1, on_done)
    elif engine == "dask":
        _dask(jobs, workers, scheduler, on_done)
    else:
        raise ConfigError(f"--engine {engine}: use local or dask")


def _local(jobs: list[Job], workers: int, on_done: Done) -> None:
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for job in jobs:
            on_done(run_client(job))
        return
    todo = list(jobs)
    while todo:
        broken, started = _pool(todo, workers, on_done)
        suspects = [j for j in broken if j.name in started] or broken  # none: pool at fault
        alone = {j.name for j in suspects}
        for job in suspects:  # alone: if it dies again, it fails alone
            if _pool([job], 1, on_done)[0]:
                on_done(
                    Outcome(
                        job.name,
                        "failed",
                        "the worker process running it died twice (out of memory?)",
                        period=job.period,
                    )
                )
        todo = [j for j in broken if j.name not in alone]


def _started(queue: Any) -> None:  # pool initializer: remember where to say "started"
    global _STARTED
    _STARTED = queue


_STARTED: Any = None


def _run(job: Job) -> Outcome:
    _STARTED.put(job.name)
    return run_client(job)


def _pool(jobs: list[Job], workers: int, on_done: Done) -> tuple[list[Job], set[str]]:
    """Run ``jobs`` in one pool: the jobs left unfinished when the pool broke, and the
    names of the jobs that had started."""
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    saved = os.environ.get("POLARS_MAX_THREADS")
    if saved is None:  # a value the user set is kept; the spawned workers inherit it
        os.environ["POLARS_MAX_THREADS"] = threads
    broken: list[Job] = []
    names: set[str] = set()
    ctx = multiprocessing.get_context("spawn")
    started = ctx.SimpleQueue()
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_started, initargs=(started,)
        ) as pool:
            futures = {pool.submit(_run, job): job for job in jobs}
            for fut in as_completed(futures):
                while not started.empty():  # read as we go: a full pipe would block a worker
                    names.add(started.get())
                try:
                    outcome = fut.result()
                except BrokenProcessPool:
                    broken.append(futures[fut])
                    continue
                on_done(outcome)
    finally:
        if saved is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = saved
    while not started.empty():
        names.add(started.get())
    started.close()
    return broken, names


def _dask(jobs: list[Job], workers: int | None, scheduler: str | None, on_done: Done) -> None:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise ConfigError(
            "--engine dask needs the dask extra: pip install 'communityroi[dask]'"
        ) from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        futures = {
            client.submit(
                run_client, job, key=f"communityroi-{job.name}-{os.urandom(6).hex()}", pure=False
            ): job
            for job in jobs
        }
        for fut in dask_completed(list(futures)):
            job = futures[fut]
            try:
                on_done(fut.result())
            except KilledWorker:
                on_done(
                    Outcome(
                        job.name,
                        "failed",
                        "Dask workers died running it too often "
                        "(distributed.scheduler.allowed-failures)",
                        period=job.period,
                    )
                )
            except Exception as exc:  # e.g. the job could not be sent or unpickled
                on_done(Outcome(job.name, "failed", f"dask: {one_line(exc)}", period=job.period))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
