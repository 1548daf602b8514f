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
from core.report import KPI, ColumnInfo, Section, Table
from core.specs import MemberScores, MemberScoreSpec, MetricResult, MetricSpec
from core.text import T


@dataclass(frozen=True, slots=True)
class MetricJob:
    spec: MetricSpec
    options: Any
    plugin: str  # "plugin 'x' (dist version)" for messages


@dataclass(frozen=True, slots=True)
class ScoreJob:
    spec: MemberScoreSpec
    options: Any
    plugin: str


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
    data = replace(data)
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
    planned_scores = _plan_scores(data, scores, strict, warn)

    progress(f"collecting {len(planned)} metric(s)")
    collected = _collect_isolated(planned + planned_scores, failed)
    members = None
    if scores:
        progress("assembling the member scorecard")
        members = scorecard(
            [(job, cur, collected[_key(job)][0]) for job, cur, _ in planned_scores
             if _key(job) in collected],
            [job for job in scores if job.spec.derive is not None],
            strict=strict, warn=warn,
        )  # fmt: skip
        for job, _cur, _prev in planned:
            if job.spec.members and job.spec.name in collected and members is not None:
                collected[job.spec.name][0]["members"] = members.data
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
    return sections, members


def _plan_scores(data, scores, strict, warn) -> list[tuple[ScoreJob, MetricResult, None]]:
    """Each member-score spec's lazy frames, as a MetricResult the collector understands
    (a plain LazyFrame becomes the frame ``"scores"``)."""
    out = []
    for job in scores:
        if job.spec.compute is None:
            continue
        try:
            got = job.spec.compute(data, job.options)
            if isinstance(got, pl.LazyFrame):
                got = MemberScores({"scores": got}, lambda c: c["scores"])
            if not isinstance(got, MemberScores):
                raise TypeError(
                    f"compute returned {type(got).__name__}, expected LazyFrame or MemberScores"
                )
            out.append((job, _checked(MetricResult(got.frames, got.build)), None))
        except CommunityROIError:
            raise
        except Exception as exc:
            _score_failed(job, "computing", exc, strict, warn)
    return out


def _score_failed(job: ScoreJob, stage: str, exc: BaseException, strict: bool, warn) -> None:
    if isinstance(exc, CommunityROIError):
        raise exc
    msg = (
        f"member scores '{job.spec.name}' of {job.plugin} failed while {stage}: "
        f"{type(exc).__name__}: {exc}"
    )
    if strict:
        raise PluginError(msg) from exc
    warn(msg + "; its columns are left out of the scorecard")


SCORECARD_TITLE = T("Member scorecard", "成员评分卡")


def scorecard(
    parts: Sequence[tuple[ScoreJob, MetricResult, Mapping[str, pl.DataFrame]]],
    derived: Sequence[ScoreJob],
    *,
    strict: bool = False,
    warn: Callable[[str], None] = lambda _m: None,
) -> Table | None:
    """One row per person (every ``member_id`` any spec returned), sorted by id: each
    spec's columns left-joined in ``order``, then each ``derive`` step, in one collect."""
    built: list[tuple[ScoreJob, pl.DataFrame]] = []
    for job, result, got in parts:
        try:
            df = result.build(got)
            if not isinstance(df, pl.DataFrame) or "member_id" not in df.columns:
                raise TypeError("build must return a DataFrame with a member_id column")
            df = df.with_columns(pl.col("member_id").cast(pl.String))
            if df["member_id"].is_duplicated().any():
                raise TypeError("member_id is not unique (one row per member expected)")
            missing = set(job.spec.columns) - set(df.columns)
            if missing:
                raise TypeError(f"declared columns not returned: {sorted(missing)}")
            built.append((job, _stable(df.select("member_id", *job.spec.columns))))
        except Exception as exc:
            _score_failed(job, "building its columns", exc, strict, warn)
    if not built:
        return None
    columns: dict[str, ColumnInfo] = {"member_id": ColumnInfo(T("Member", "成员"), "member")}
    ids = pl.concat([df.select("member_id") for _, df in built]).unique()
    frame = ids.lazy()
    for job, df in built:
        clash = set(job.spec.columns) & set(columns)
        if clash:
            warn(f"member scores '{job.spec.name}' of {job.plugin} repeat column(s) "
                 f"{sorted(clash)} of another plugin; its columns are left out")  # fmt: skip
            continue
        columns.update(job.spec.columns)
        frame = frame.join(df.lazy(), on="member_id", how="left")
    for job in derived:
        try:
            out = job.spec.derive(frame, job.options)
            if not isinstance(out, pl.LazyFrame):
                raise TypeError(f"derive returned {type(out).__name__}, expected LazyFrame")
            out.collect_schema()
            frame = out
            columns.update(job.spec.columns)
        except Exception as exc:
            _score_failed(job, "deriving its columns", exc, strict, warn)
    data = frame.select([c for c in columns if c in frame.collect_schema()]).sort("member_id")
    return Table("members", SCORECARD_TITLE, _stable(data.collect()), columns, show=False)


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

    def assemble(keys, dfs, out: Collected):
        for (name, part, key), df in zip(keys, dfs, strict=True):
            cur, prev = out.setdefault(name, ({}, {}))
            (cur if part == "cur" else prev)[key] = _stable(df)

    out: Collected = {}
    keys, frames = flatten(planned)
    try:
        assemble(keys, pl.collect_all(frames), out)
        for job, _c, _p in planned:  # metrics with no frames still get built
            out.setdefault(_key(job), ({}, {}))
        return out
    except Exception:
        pass
    for item in planned:
        k, f = flatten([item])
        try:
            assemble(k, pl.collect_all(f), out)
            out.setdefault(_key(item[0]), ({}, {}))
        except Exception as exc:
            failed(item[0], "collecting its frames", exc)
    return out


def _stable(df: pl.DataFrame) -> pl.DataFrame:
    """Round floats to 12 significant digits; person keys back to text.

    Multi-threaded float sums differ in their last bits from run to run (the order of
    partial sums varies); rounding far above that noise keeps "same input, same report"
    true byte for byte while changing no reported digit. Categorical columns (person
    keys, whose type in ``CommunityData`` is ``core.schema.PERSON_KEY``; also inside lists
    and structs) become ``pl.String`` again, so ``build`` and the report see ids as text.
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
        kpis=tuple(
            k.with_(value=_sig(k.value), low=_sig(k.low), high=_sig(k.high)) for k in section.kpis
        ),
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
