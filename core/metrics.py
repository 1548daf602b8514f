"""Run metric plugins: compute lazily, collect everything once, build sections."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from core.data import CommunityData
from core.errors import CommunityROIError, PluginError
from core.prepare import Prepare
from core.report import KPI, Section, Table
from core.scorecard import ScoreJob, _plan_scores, _score_failed, scorecard
from core.specs import MetricResult, MetricSpec
from core.stable import _checked, _sig, _stable, _stable_section


@dataclass(frozen=True, slots=True)
class MetricJob:
    spec: MetricSpec
    options: Any
    plugin: str  # "plugin 'x' (dist version)" for messages


def run_metrics(
    data: CommunityData,
    jobs: Sequence[MetricJob],
    *,
    strict: bool = False,
    warn: Callable[[str], None] = lambda _m: None,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[Section]:
    """The sections of :func:`run_all` without a scorecard."""
    return run_all(data, jobs, (), strict=strict, warn=warn, progress=progress)[0]


def run_all(
    data: CommunityData,
    jobs: Sequence[MetricJob],
    scores: Sequence[ScoreJob],
    *,
    strict: bool = False,
    warn: Callable[[str], None] = lambda _m: None,
    progress: Callable[[str], None] = lambda _m: None,
    release: bool = False,
    prepare: Prepare | None = None,
) -> tuple[list[Section], Table | None]:
    """Compute every metric for the period (and the previous one where asked), collect
    all lazy frames in a single ``pl.collect_all``, then build the sections.

    For the previous period a metric with ``build_kpis`` has only its ``kpi_frames``
    collected and only its KPIs built (they fill ``previous`` and ``change``).

    A metric that raises (in compute, collect or build) is skipped with a warning that
    names it and its plugin; ``strict`` re-raises. The ``build`` steps run in a thread
    pool, side by side (so a ``build`` must not change shared state).

    ``scores`` (member-score specs, empty: no scorecard) are planned alongside and their
    frames collected in the same ``collect_all``; the scorecard (:func:`scorecard`) is
    returned and handed to the metrics with ``members=True`` as ``got["members"]``.

    Once collected, the lazy frames are dropped and the views handed to the metrics are
    released (:meth:`CommunityData.release`): a build reading a table fails with a
    message saying so. ``release`` lets go of the caller's ``data`` too — then nothing
    the run made holds the tables through the builds, the scorecard and rendering
    (pass it only if ``data`` is not used afterwards).

    The metrics' ``prepare`` steps run in a background thread during the collect, with
    any the caller adds through ``prepare`` (the renderers'; see :mod:`core.prepare`).
    """

    def failed(job: MetricJob | ScoreJob, stage: str, exc: BaseException) -> None:
        if isinstance(job, ScoreJob):
            return _score_failed(job, stage, exc, strict, warn)
        msg = (
            f"metric '{job.spec.name}' of {job.plugin} failed while {stage}: "
            f"{type(exc).__name__}: {exc}"
        )
        if isinstance(exc, CommunityROIError):  # bad data or options: the user's to fix
            raise exc
        if strict:
            raise PluginError(msg) from exc
        warn(msg + "; its section is left out")

    # a fresh view: its memo (CommunityData.shared / memo) lives for this run only, so
    # results shared between builds (PageRank, model fits) are never carried over
    source, data = data, replace(data)
    previous = data.previous()
    planned: list[tuple[MetricJob, MetricResult, MetricResult | None]] = []
    for job in jobs:
        progress(f"planning {job.spec.name}")
        try:
            cur = _checked(job.spec.compute(data, job.options))
            prev = (
                _checked(job.spec.compute(previous, job.options))
                if job.spec.compare_previous
                else None
            )
            if job.spec.members and prev is not None and prev.build_kpis is None:
                raise TypeError(
                    "it reads the member scorecard (members=True), which is the current "
                    "period's only: set compare_previous=False, or return build_kpis that "
                    "do not read it"
                )
        except Exception as exc:
            failed(job, "computing", exc)
            continue
        planned.append((job, cur, prev))
    planned_scores = _plan_scores(data, scores, strict, warn)

    progress(f"collecting {len(planned)} metric(s)")
    own = prepare is None
    prepare = prepare or Prepare()
    prepare.start(job.spec.prepare for job, _c, _p in planned if job.spec.prepare is not None)
    collected = _collect_isolated(planned + planned_scores, failed)
    # the tables are half the run's memory: hold them no longer than the collect
    planned = [(j, _frameless(c), _frameless(p)) for j, c, p in planned]
    planned_scores = [(j, _frameless(c), None) for j, c, _ in planned_scores]
    for view in (data, previous, source) if release else (data, previous):
        view.release()
    ready = [item for item in planned if item[0].spec.name in collected]
    scored = [(job, cur) for job, cur, _ in planned_scores if _key(job) in collected]
    # Builds are independent (each gets only its own collected frames) and spend their
    # time in numpy/scipy/Polars, which release the GIL: run them side by side. The
    # member-score builds go first (the scorecard waits for them, and the metrics that
    # share their work — PageRank, the CLV fits — then find it done); the scorecard is
    # assembled while the other metrics build; metrics that read it are built last.
    waits = bool(scores)
    workers = min(len(ready) + len(scored), os.cpu_count() or 1) or 1
    futures: dict[int, Future] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        score_futures = [
            (job, pool.submit(cur.build, collected[_key(job)][0])) for job, cur in scored
        ]
        for i, (job, cur, prev) in enumerate(ready):
            if not (waits and job.spec.members):
                futures[i] = pool.submit(_build, cur, prev, *collected[job.spec.name])
        members = None
        if scores:
            progress("assembling the member scorecard")
            members = scorecard(
                score_futures, [job for job in scores if job.spec.derive is not None],
                strict=strict, warn=warn,
            )  # fmt: skip
        progress(f"building {len(ready)} section(s)")
        for i, (job, cur, prev) in enumerate(ready):
            if i in futures:
                continue
            got = collected[job.spec.name][0]
            if members is not None:
                got["members"] = members.data
            futures[i] = pool.submit(_build, cur, prev, got, collected[job.spec.name][1])
    if own:
        prepare.wait()
    sections: list[Section] = []
    for i, (job, _cur, prev) in enumerate(ready):
        try:
            section, prev_section = futures[i].result()
        except Exception as exc:
            failed(job, "building its section", exc)
            continue
        sections.append(
            _with_previous(
                replace(
                    section,
                    metric=job.spec.name,
                    title=section.title or job.spec.title,
                    compared=prev is not None,
                ),
                prev_section,
            )
        )
    return sections, members


def _frameless(res: MetricResult | None) -> MetricResult | None:
    return None if res is None else replace(res, frames={})


def _build(
    cur: MetricResult,
    prev: MetricResult | None,
    got_cur: Mapping[str, pl.DataFrame],
    got_prev: Mapping[str, pl.DataFrame],
) -> tuple[Section, Section | None]:
    section = cur.build(got_cur)
    prev_section = _build_previous(prev, got_prev)
    for built in (section, prev_section):
        if built is not None and not isinstance(built, Section):
            raise TypeError(f"build returned {type(built).__name__}, expected Section")
    return _stable_section(section), _stable_section(prev_section) if prev_section else None


def _previous_frames(res: MetricResult) -> Mapping[str, pl.LazyFrame]:
    """What is collected for the previous period: only ``kpi_frames`` when the metric
    builds its KPIs alone (``build_kpis``), otherwise every frame."""
    if res.build_kpis is None or res.kpi_frames is None:
        return res.frames
    return {key: res.frames[key] for key in res.kpi_frames}


def _build_previous(prev: MetricResult | None, got: Mapping[str, pl.DataFrame]) -> Section | None:
    if prev is None:
        return None
    if prev.build_kpis is None:
        return prev.build(got)
    return Section(kpis=tuple(prev.build_kpis(got)))


def _key(job: MetricJob | ScoreJob) -> str:
    """A job's key among the collected frames (member scores apart from metrics)."""
    return f"members:{job.spec.name}" if isinstance(job, ScoreJob) else job.spec.name


Collected = dict[str, tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]]


def _collect_isolated(planned, failed) -> Collected:
    def flatten(items):
        keys, frames = [], []
        for job, cur, prev in items:
            for part, res in (("cur", cur), ("prev", prev)):
                if res is None:
                    continue
                for key, lf in (res.frames if part == "cur" else _previous_frames(res)).items():
                    keys.append((_key(job), part, key))
                    frames.append(lf)
        return keys, frames

    def assemble(keys, frames, out: Collected):
        # a LazyFrame asked for by several metrics (a shared view, the graph a metric and
        # its member scores both use) is collected and made stable once
        index: dict[int, int] = {}
        unique: list[pl.LazyFrame] = []
        for lf in frames:
            if id(lf) not in index:
                index[id(lf)] = len(unique)
                unique.append(lf)
        # made stable side by side: Polars releases the GIL (one after another, the
        # full-size run waited ≈ 0.5 s here)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            dfs = list(pool.map(_stable, pl.collect_all(unique)))
        for (name, part, key), lf in zip(keys, frames, strict=True):
            cur, prev = out.setdefault(name, ({}, {}))
            (cur if part == "cur" else prev)[key] = dfs[index[id(lf)]]

    out: Collected = {}
    keys, frames = flatten(planned)
    try:
        assemble(keys, frames, out)
        for job, _c, _p in planned:  # metrics with no frames still get built
            out.setdefault(_key(job), ({}, {}))
        return out
    except Exception:
        pass
    for item in planned:
        k, f = flatten([item])
        try:
            assemble(k, f, out)
            out.setdefault(_key(item[0]), ({}, {}))
        except Exception as exc:
            failed(item[0], "collecting its frames", exc)
    return out


def _with_previous(section: Section, prev: Section | None) -> Section:
    if prev is None:
        return section
    kpis = []
    for k in section.kpis:
        p = prev.kpi(k.key)
        kpis.append(
            k.with_(
                previous=p.value if p else None,
                change=_sig(kpi_change(k, p.value if p else None)),
            )
        )
    return replace(section, kpis=tuple(kpis))


def kpi_change(kpi: KPI, previous: float | None) -> float | None:
    """Percent-unit KPIs change in percentage points; others in relative terms."""
    if kpi.value is None or previous is None:
        return None
    if kpi.unit == "percent":
        return float(kpi.value) - float(previous)
    if previous == 0:
        return None
    return (float(kpi.value) - float(previous)) / abs(float(previous))
