"""Run metric plugins: compute lazily, collect everything once, build sections."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from core.data import CommunityData
from core.errors import CommunityROIError, PluginError
from core.report import KPI, Section
from core.specs import MetricResult, MetricSpec


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
    """Compute every metric for the period (and the previous one where asked), collect
    all lazy frames in a single ``pl.collect_all``, then build the sections.

    For the previous period a metric with ``build_kpis`` has only its ``kpi_frames``
    collected and only its KPIs built (they fill ``previous`` and ``change``).

    A metric that raises (in compute, collect or build) is skipped with a warning that
    names it and its plugin; ``strict`` re-raises. The ``build`` steps run in a thread
    pool, side by side (so a ``build`` must not change shared state).
    """

    def failed(job: MetricJob, stage: str, exc: BaseException) -> None:
        msg = (
            f"metric '{job.spec.name}' of {job.plugin} failed while {stage}: "
            f"{type(exc).__name__}: {exc}"
        )
        if isinstance(exc, CommunityROIError):  # bad data or options: the user's to fix
            raise exc
        if strict:
            raise PluginError(msg) from exc
        warn(msg + "; its section is left out")

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
        except Exception as exc:
            failed(job, "computing", exc)
            continue
        planned.append((job, cur, prev))

    progress(f"collecting {len(planned)} metric(s)")
    collected = _collect_isolated(planned, failed)
    ready = [item for item in planned if item[0].spec.name in collected]
    progress(f"building {len(ready)} section(s)")
    # Builds are independent (each gets only its own collected frames) and spend their
    # time in numpy/scipy/Polars, which release the GIL: run them side by side.
    with ThreadPoolExecutor(max_workers=min(len(ready), os.cpu_count() or 1) or 1) as pool:
        futures = [
            pool.submit(_build, cur, prev, *collected[job.spec.name]) for job, cur, prev in ready
        ]
    sections: list[Section] = []
    for (job, _cur, _prev), future in zip(ready, futures, strict=True):
        try:
            section, prev_section = future.result()
        except Exception as exc:
            failed(job, "building its section", exc)
            continue
        sections.append(
            _with_previous(
                replace(section, metric=job.spec.name, title=section.title or job.spec.title),
                prev_section,
            )
        )
    return sections


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


def _checked(result: object) -> MetricResult:
    if not isinstance(result, MetricResult):
        raise TypeError(f"compute returned {type(result).__name__}, expected MetricResult")
    for key, frame in result.frames.items():
        if not isinstance(frame, pl.LazyFrame):
            raise TypeError(f"frame '{key}' is a {type(frame).__name__}, expected LazyFrame")
    unknown = set(result.kpi_frames or ()) - set(result.frames)
    if unknown:
        raise TypeError(f"kpi_frames names frames it does not return: {sorted(unknown)}")
    return result


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


Collected = dict[str, tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]]


def _collect_isolated(planned, failed) -> Collected:
    def flatten(items):
        keys, frames = [], []
        for job, cur, prev in items:
            for part, res in (("cur", cur), ("prev", prev)):
                if res is None:
                    continue
                for key, lf in (res.frames if part == "cur" else _previous_frames(res)).items():
                    keys.append((job.spec.name, part, key))
                    frames.append(lf)
        return keys, frames

    def assemble(keys, dfs, out: Collected):
        for (name, part, key), df in zip(keys, dfs, strict=True):
            cur, prev = out.setdefault(name, ({}, {}))
            (cur if part == "cur" else prev)[key] = _stable(df)

    out: Collected = {}
    keys, frames = flatten(planned)
    try:
        assemble(keys, pl.collect_all(frames), out)
        for job, _c, _p in planned:  # metrics with no frames still get built
            out.setdefault(job.spec.name, ({}, {}))
        return out
    except Exception:
        pass
    for item in planned:
        k, f = flatten([item])
        try:
            assemble(k, pl.collect_all(f), out)
            out.setdefault(item[0].spec.name, ({}, {}))
        except Exception as exc:
            failed(item[0], "collecting its frames", exc)
    return out


def _stable(df: pl.DataFrame) -> pl.DataFrame:
    """Round floats to 12 significant digits; person keys back to text.

    Multi-threaded float sums differ in their last bits from run to run (the order of
    partial sums varies); rounding far above that noise keeps "same input, same report"
    true byte for byte while changing no reported digit. Categorical columns (person
    keys from ``CommunityData.keyed``, also inside lists and structs) become ``pl.String``
    again, so ``build`` and the report see the public types whichever tables a metric
    queried.
    """
    floats = [c for c, t in df.schema.items() if t in (pl.Float64, pl.Float32)]
    texts = {c: _as_text(t) for c, t in df.schema.items()}
    cats = [pl.col(c).cast(t) for c, t in texts.items() if t != df.schema[c]]
    if not floats and not cats:
        return df
    return df.with_columns(pl.col(floats).round_sig_figs(12), *cats)


def _as_text(dtype: pl.DataType) -> pl.DataType:
    """``dtype`` with every Categorical in it — nested in lists, arrays and structs too —
    replaced by String."""
    if isinstance(dtype, pl.Categorical):
        return pl.String()
    if isinstance(dtype, pl.List):
        return pl.List(_as_text(dtype.inner))
    if isinstance(dtype, pl.Array):
        return pl.Array(_as_text(dtype.inner), dtype.shape)
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, _as_text(f.dtype)) for f in dtype.fields])
    return dtype


def _sig(value):
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _stable_section(section: Section) -> Section:
    """The same rounding for what ``build`` computed eagerly: KPI values and tables."""
    return replace(
        section,
        kpis=tuple(k.with_(value=_sig(k.value)) for k in section.kpis),
        tables=tuple(replace(t, data=_stable(t.data)) for t in section.tables),
    )


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
