"""``communityroi batch``: every client's report in one run, with failure isolation,
atomic per-client folders, skip-unchanged, history and a portfolio page.

The coordinator (this process) reads agency.toml, resolves each client's settings and
period (:mod:`core.agency`), reads the earlier history its trend lines need, and skips a
client whose content hash matches its last successful run of the period (unless
``force``). The rest become :class:`~core.jobs.Job` s — plain, picklable data with the settings
already resolved — run by an engine (:mod:`core.engines`): a local process pool or a Dask
cluster. A job renders into a hidden staging folder beside ``OUT/<client>`` and then
swaps it in, so a crash leaves the previous folder or the new one, never half of one. Only
the coordinator writes the history database, ``index.json`` and ``index.html``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.agency import AgencyConfig, Plan, content_hash, plan_client
from core.engines import execute
from core.errors import ConfigError
from core.history import History
from core.jobs import Batch, Job, Outcome, one_line
from core.periods import NamedPeriod, resolve
from core.portfolio import write_portfolio
from core.settings import Settings
from core.trends import PERIODS as TREND_PERIODS

Event = Callable[[str, Any], None]  # ("planned", n) / ("done", Outcome) / ("period", text)


def run_batch(
    agency: AgencyConfig,
    out: Path,
    *,
    period: str | None = None,
    only: tuple[str, ...] = (),
    force: bool = False,
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    on_event: Event = lambda _k, _v: None,
) -> Batch:
    """Plan, skip, run and record every client; write OUT/index.json and index.html."""
    from core.pipeline import registry_for  # imported here: plugins load when a batch runs

    entries = [c for c in agency.clients if c.enabled and (not only or c.name in only)]
    unknown = sorted(set(only) - {c.name for c in agency.clients})
    if unknown:
        raise ConfigError(f"--only {unknown[0]}: no such client in agency.toml")
    off = [c.name for c in agency.clients if not c.enabled and c.name in only]
    if off:  # else the batch built nothing and said only "0 built"
        raise ConfigError(f"--only {off[0]}: that client has enabled = false in agency.toml")
    for name, where in ((period, "--period"), (agency.agency.period, "[agency] period")):
        if name is not None:
            try:
                resolve(name, "UTC")  # the name only; each client resolves it in its zone
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
    out = Path(out).resolve()
    plans = [plan_client(agency, e, period) for e in entries]
    on_event("planned", len(plans))
    for text in sorted({_describe(p) for p in plans if p.settings is not None}):
        on_event("period", text)
    reg = registry_for(Settings())
    plugins = sorted(f"{i.name} {i.distribution} {i.version}" for i in reg.plugins.values())
    outcomes: dict[str, Outcome] = {}
    jobs: list[tuple[Job, str]] = []
    with History.open(
        agency.agency.history, agency.base_dir, agency.agency.history_password_env
    ) as db:
        shown = {p.name: p.settings.report for p in plans if p.settings}

        def finish(o: Outcome) -> None:
            if o.name in shown:
                o.currency, o.client = shown[o.name].currency, shown[o.name].client
            try:
                _record(db, o, engine)
            except Exception as exc:  # a locked or unreachable database: name it, go on
                built = f"its report is in {out / o.name}, but " if o.status == "ok" else ""
                why = f"{built}the history database {db.where} could not record this run"
                o.error = f"{o.error + '; ' if o.error else ''}{why} ({one_line(exc)}); rerun"
                o.status = "failed"
            outcomes[o.name] = o
            on_event("done", o)

        for plan in plans:
            if plan.error is not None:
                finish(Outcome(plan.name, "failed", plan.error, period=plan.period))
                continue
            p = plan.period
            earlier = [
                r
                for r in db.series(plan.name, kind=p.kind, before=p.start, headline_only=True)
                if r["period_start"] >= _first(p, TREND_PERIODS)
            ]
            digest = content_hash(plan.settings, plugins, plan.formats, earlier)
            last = db.last_ok(plan.name, p.start, p.end)
            folder = out / plan.name
            if (
                not force
                and last
                and last["input_hash"] == digest
                and last["outputs"]
                and all((folder / f).is_file() for f in last["outputs"])
            ):
                finish(
                    Outcome(
                        plan.name,
                        "skipped",
                        None,
                        last["outputs"],
                        db.kpis(plan.name, p.start, p.end),
                        0.0,
                        p,
                        digest,
                    )
                )
                continue
            job = Job(plan.name, plan.settings, str(folder), tuple(plan.formats), p, tuple(earlier))
            jobs.append((job, digest))
        out.mkdir(parents=True, exist_ok=True)
        digests = {job.name: d for job, d in jobs}

        def done(o: Outcome) -> None:
            o.input_hash = digests.get(o.name)
            finish(o)

        execute(
            [j for j, _ in jobs], engine=engine, workers=workers, scheduler=scheduler, on_done=done
        )
        _clean_staging(out, [p.name for p in plans])
        batch = Batch(
            agency, period, out, [outcomes[p.name] for p in plans], db.where, engine, plans
        )
        write_portfolio(batch)
    return batch


def _first(p: NamedPeriod, n: int) -> Any:
    for _ in range(n - 1):
        p = p.previous()
    return p.start


def _describe(plan: Plan) -> str:
    rs = plan.settings.report
    name = f"{rs.period} = " if rs.period else ""
    return f"period {name}{rs.period_start} … {rs.period_end} ({rs.timezone})"


def _record(db: History, o: Outcome, engine: str) -> None:
    if o.period is None:  # a config that could not be read: no period to file it under
        return
    p = o.period
    db.record(
        o.name,
        p.start,
        p.end,
        p.kind,
        status=o.status,
        error=o.error,
        input_hash=o.input_hash,
        outputs=o.outputs,
        seconds=round(o.seconds, 3),
        engine=engine,
        kpis=o.kpis if o.status == "ok" else None,
    )


def _clean_staging(out: Path, names: list[str]) -> None:
    """Remove staging folders a killed worker left behind (only this batch's clients). A
    worker killed between the two renames of :func:`~core.jobs.swap_in` leaves no
    ``OUT/<client>``, only ``.<client>.old-…``: that previous report is put back."""
    for name in names:
        olds = sorted(out.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
        if olds and not (out / name).exists():
            olds.pop().rename(out / name)
        for junk in (*out.glob(f".{name}.partial-*"), *olds):
            shutil.rmtree(junk, ignore_errors=True)
