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
    sections: list[Section] = []
    for i, (job, _cur, _prev) in enumerate(ready):
        try:
            section, prev_section = futures[i].result()
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
    parts: Sequence[tuple[ScoreJob, Future | pl.DataFrame]],
    derived: Sequence[ScoreJob],
    *,
    strict: bool = False,
    warn: Callable[[str], None] = lambda _m: None,
) -> Table | None:
    """One row per person (every ``member_id`` any spec returned), sorted by id: each
    spec's columns joined in ``order``, then each ``derive`` step, in one collect.

    ``parts``: each spec's built frame, or the future of its build. The frames are joined
    on ``member_id`` with full joins (the union of the ids without a separate distinct
    pass); a spec whose ``member_id`` is not unique would repeat rows, which the sorted
    result shows as equal neighbours — only then is each spec checked, and the culprits
    are left out with a warning."""
    built: list[tuple[ScoreJob, pl.DataFrame]] = []
    for job, part in parts:
        try:
            df = part.result() if isinstance(part, Future) else part
            if not isinstance(df, pl.DataFrame) or "member_id" not in df.columns:
                raise TypeError("build must return a DataFrame with a member_id column")
            missing = set(job.spec.columns) - set(df.columns)
            if missing:
                raise TypeError(f"declared columns not returned: {sorted(missing)}")
            df = df.select(pl.col("member_id").cast(pl.String), *job.spec.columns)
            built.append((job, _stable(df)))
        except Exception as exc:
            _score_failed(job, "building its columns", exc, strict, warn)
    if not built:
        return None
    table = _assemble(built, derived, warn, strict)
    if not _has_neighbours(table):
        return _table(table, built, derived)
    for job, df in built:  # a repeated id: find whose, leave it out, assemble again
        if df["member_id"].is_duplicated().any():
            exc = TypeError("member_id is not unique (one row per member expected)")
            _score_failed(job, "building its columns", exc, strict, warn)
    built = [(job, df) for job, df in built if not df["member_id"].is_duplicated().any()]
    if not built:
        return None
    return _table(_assemble(built, derived, lambda _m: None, strict), built, derived)


def _has_neighbours(frame: pl.DataFrame) -> bool:
    """Two equal ids side by side in the sorted scorecard (a repeated member), or two
    missing ids."""
    ids = frame["member_id"]
    if ids.null_count() > 1:
        return True
    return ids.len() > 1 and bool((ids.slice(1) == ids.slice(0, ids.len() - 1)).any())


def _columns(built, derived) -> dict[str, ColumnInfo]:
    columns: dict[str, ColumnInfo] = {"member_id": ColumnInfo(T("Member", "成员"), "member")}
    for job, _df in built:
        if not set(job.spec.columns) & set(columns):
            columns.update(job.spec.columns)
    for job in derived:
        columns.update(job.spec.columns)
    return columns


def _assemble(built, derived, warn, strict) -> pl.DataFrame:
    taken: set[str] = {"member_id"}
    frame: pl.LazyFrame | None = None
    for job, df in built:
        clash = set(job.spec.columns) & taken
        if clash:
            warn(f"member scores '{job.spec.name}' of {job.plugin} repeat column(s) "
                 f"{sorted(clash)} of another plugin; its columns are left out")  # fmt: skip
            df = df.select("member_id")  # its members still get a row
        else:
            taken.update(job.spec.columns)
        lf = df.lazy()
        frame = lf if frame is None else frame.join(lf, on="member_id", how="full",
                                                    coalesce=True)  # fmt: skip
    assert frame is not None
    for job in derived:
        try:
            out = job.spec.derive(frame, job.options)
            if not isinstance(out, pl.LazyFrame):
                raise TypeError(f"derive returned {type(out).__name__}, expected LazyFrame")
            out.collect_schema()
            frame = out
            taken.update(job.spec.columns)
        except Exception as exc:
            _score_failed(job, "deriving its columns", exc, strict, warn)
    schema = frame.collect_schema()
    keep = [c for c in _columns(built, derived) if c in schema and c in taken]
    return frame.select(keep).sort("member_id").collect()


def _table(data: pl.DataFrame, built, derived) -> Table:
    columns = {c: info for c, info in _columns(built, derived).items() if c in data.columns}
    return Table("members", SCORECARD_TITLE, _stable(data), columns, show=False)


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

    def assemble(keys, frames, out: Collected):
        # a LazyFrame asked for by several metrics (a shared view, the graph a metric and
        # its member scores both use) is collected and made stable once
        index: dict[int, int] = {}
        unique: list[pl.LazyFrame] = []
        for lf in frames:
            if id(lf) not in index:
                index[id(lf)] = len(unique)
                unique.append(lf)
        dfs = [_stable(df) for df in pl.collect_all(unique)]
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
