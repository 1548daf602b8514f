"""``communityroi batch``: every client's report in one run, with failure isolation,
atomic per-client folders, skip-unchanged, history and a portfolio page.

The coordinator (this process) reads agency.toml, resolves each client's settings and
period (:mod:`core.agency`), reads the earlier history its trend lines need, and skips a
client whose content hash matches its last successful run of the period (unless
``force``). The rest become :class:`Job` s — plain, picklable data with the settings
already resolved — run by an engine (:mod:`core.engines`): a local process pool or a Dask
cluster. A job renders into a hidden staging folder beside ``OUT/<client>`` and then
swaps it in, so a crash leaves the previous folder or the new one, never half of one. Only
the coordinator writes the history database, ``index.json`` and ``index.html``.
"""

from __future__ import annotations

import math
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.agency import AgencyConfig, Plan, content_hash, plan_client
from core.errors import CommunityROIError, ConfigError
from core.history import History, KpiRow
from core.periods import NamedPeriod
from core.settings import Settings


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to build one client's report (no database, no clock)."""

    name: str
    settings: Settings
    out_dir: str  # OUT/<client>; the staging folder is made beside it
    formats: tuple[str, ...]
    period: NamedPeriod
    earlier: tuple[dict[str, Any], ...]  # history rows the trend lines show


@dataclass
class Outcome:
    """What one client's run gave: ``status`` ok / failed / skipped."""

    name: str
    status: str
    error: str | None = None
    outputs: list[str] = field(default_factory=list)
    kpis: list[KpiRow] = field(default_factory=list)
    seconds: float = 0.0
    period: NamedPeriod | None = None
    input_hash: str | None = None


def one_line(exc: BaseException) -> str:
    """A user error's own message; anything else with its type (first line only)."""
    text = str(exc) if isinstance(exc, CommunityROIError) else f"{type(exc).__name__}: {exc}"
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def run_client(job: Job) -> Outcome:
    """Build one client's report into ``job.out_dir`` (runs in a worker). Never raises for
    a problem of the client's own: the outcome says ``failed`` with a one-line error."""
    from core.pipeline import run
    from core.trends import trend_section

    t0 = time.perf_counter()
    final = Path(job.out_dir)
    staging = final.with_name(f".{final.name}.partial-{uuid.uuid4().hex[:12]}")
    try:
        result = run(
            job.settings,
            formats=list(job.formats),
            out_dir=staging,
            more_sections=lambda sections, _p: trend_section(
                sections, job.period, list(job.earlier)
            ),
        )
        swap_in(staging, final)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return Outcome(
            job.name, "failed", one_line(exc), seconds=time.perf_counter() - t0, period=job.period
        )
    kpis = [
        KpiRow(
            f"{s.metric}.{k.key}",
            _num(k.value),
            k.unit,
            k.headline,
            k.label.en,
            k.label.zh,
            _num(k.previous),
            _num(k.change),
        )
        for s in result.report.sections
        for k in s.kpis
    ]
    outputs = sorted(p.name for p in result.written)
    return Outcome(job.name, "ok", None, outputs, kpis, time.perf_counter() - t0, job.period)


def _num(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None  # NaN, inf: no value


def swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` by the finished ``staging`` folder (two renames on one disk)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:12]}")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class Batch:
    """The outcome of a whole batch, in agency.toml order."""

    agency: AgencyConfig
    period: str | None
    out: Path
    outcomes: list[Outcome]
    history: str
    engine: str
    plans: list[Plan] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


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
    from core.engines import execute
    from core.pipeline import registry_for
    from core.portfolio import write_portfolio
    from core.trends import PERIODS

    entries = [c for c in agency.clients if c.enabled and (not only or c.name in only)]
    unknown = sorted(set(only) - {c.name for c in agency.clients})
    if unknown:
        raise ConfigError(f"--only {unknown[0]}: no such client in agency.toml")
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

        def finish(o: Outcome) -> None:
            outcomes[o.name] = o
            _record(db, o, engine)
            on_event("done", o)

        for plan in plans:
            if plan.error is not None:
                finish(Outcome(plan.name, "failed", plan.error, period=plan.period))
                continue
            p = plan.period
            earlier = [
                r
                for r in db.series(plan.name, kind=p.kind, before=p.start, headline_only=True)
                if r["period_start"] >= _first(p, PERIODS)
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
    """Remove staging folders a killed worker left behind (only this batch's clients)."""
    for name in names:
        for junk in (*out.glob(f".{name}.partial-*"), *out.glob(f".{name}.old-*")):
            shutil.rmtree(junk, ignore_errors=True)
