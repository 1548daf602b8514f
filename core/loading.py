"""Load sources, conform every frame at the boundary, report problems with locations;
the report period when the settings leave it open."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl

from core.casting import cast_table
from core.conform import conform
from core.errors import ConfigError, DataError
from core.report import Period
from core.schema import SCHEMA
from core.specs import Dropped

if TYPE_CHECKING:
    from core.settings import Settings


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad value: where it is (file, row, column) and what to do about it."""

    origin: str
    row: int | None
    column: str
    message: str
    row_label: str = "row"
    ref: str | None = None  # the record as the source names it, e.g. "order #1003"

    def __str__(self) -> str:
        where = self.origin + (f" {self.row_label} {self.row}" if self.row is not None else "")
        if self.ref:
            where += f" ({self.ref})"
        return f"{where}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "file": self.origin,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Loaded:
    """Conformed frames per canonical table, every problem found and every drop.

    ``dropped`` holds each source's :class:`~core.specs.Dropped` records with ``rows``
    resolved to an int (zero-row drops removed).
    """

    frames: dict[str, pl.LazyFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    origins: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)
    # set by core.pipeline.load: the tables after the transforms (not clipped to the
    # period) and the identity transform's counts, for the data-quality summary
    tables: dict[str, pl.LazyFrame] = field(default_factory=dict)
    identity: dict | None = None


def _drop_count(rows: int | pl.LazyFrame) -> pl.LazyFrame:
    if isinstance(rows, int):
        return pl.LazyFrame({"n": [rows]}, schema={"n": pl.Int64})
    return rows.select(pl.first().cast(pl.Int64).sum().alias("n"))


MAX_PROBLEMS_PER_FRAME = 20


def conform_frames(
    parts: Iterable,
    *,
    tz: str,
    currency: str,
    fx_rates: dict[str, float] | None = None,
    check: bool = True,
    dropped: Iterable[Dropped] = (),
    person_keys: bool = False,
) -> Loaded:
    """Conform SourceFrames table by table; check and load them in one pass.

    Each frame's problems are listed as ``origin row N, column C: message``. With
    ``check=False`` nothing is read: problems are not looked for and the frames stay
    lazy scans of the sources. ``dropped`` (from :attr:`SourceContext.dropped`) is counted
    in the same pass. ``person_keys`` casts the person keys to Categorical
    (:func:`core.casting.cast_person_keys`) in that pass too, so the tables are held in
    memory once, in the form ``CommunityData`` uses.

    The pass reads each source once: every check is a Boolean column computed beside
    the conformed values (:attr:`core.conform.Conformed.flags`). Only a frame with a
    flagged row is read a second time, by its detailed problem queries (row, column,
    value, message). With ``person_keys`` the keys and labels are cast as the source has
    them and only checked for what the boundary would trim, null or lower-case
    (``conform(categorical=True)``); a part with such a value is
    conformed again the usual way and its table collected again — same tables, same
    problems, one more read of that table.
    """
    loaded = Loaded()
    parts = list(parts)
    for part in parts:
        if part.table not in SCHEMA:
            raise DataError(
                f"{part.origin}: unknown table '{part.table}'; use one of {', '.join(SCHEMA)}"
            )
        loaded.origins.setdefault(part.table, []).append(part.origin)

    def conformed(part, categorical: bool):
        return conform(
            part.frame,
            part.table,
            tz=part.timezone or tz,
            currency=currency,
            fx_rates=fx_rates,
            platform=part.platform,
            row_base=part.row_base,
            categorical=categorical,
        )

    # Checked, the person keys and labels are cast as the source has them, with a check
    # of whether cleaning them would change anything (``conform(categorical=)``); a part
    # with a value to clean is conformed again the usual way
    fast = check and person_keys
    checks = [(part, conformed(part, fast)) for part in parts]
    drops = list(dropped)
    counts = [_drop_count(d.rows) for d in drops]
    tables = _tables(checks, person_keys)
    if not check:
        loaded.frames = tables
        loaded.dropped = _resolved(drops, pl.collect_all(counts) if counts else [])
        return loaded
    # One pass over the raw input: every problem query, every conformed table and every
    # drop count are collected together. Metrics then read typed, parsed in-memory
    # tables instead of re-parsing text timestamps in each of their queries (4× faster
    # on the demo).
    names = list(tables)
    flags = [_flags(res) for _, res in checks]
    cleanable = [i for i, (_, res) in enumerate(checks) if res.dirty is not None]
    dirty = [checks[i][1].dirty for i in cleanable]
    results = pl.collect_all(flags + dirty + [tables[t] for t in names] + counts)
    bad = [df.item() for df in results[: len(flags)]]
    to_clean = results[len(flags) : len(flags) + len(dirty)]
    rest = results[len(flags) + len(dirty) :]
    done = dict(zip(names, rest, strict=False))  # rest: the tables, then the drop counts
    redo = [i for i, df in zip(cleanable, to_clean, strict=True) if df.item()]
    if redo:  # values to clean: those parts conformed again, their tables collected again
        for i in redo:
            checks[i] = (checks[i][0], conformed(checks[i][0], False))
        again = [t for t in names if any(checks[i][0].table == t for i in redo)]
        retables = _tables(checks, person_keys)
        got = pl.collect_all([_flags(checks[i][1]) for i in redo] + [retables[t] for t in again])
        for i, df in zip(redo, got[: len(redo)], strict=True):
            bad[i] = df.item()
        done.update(zip(again, got[len(redo) :], strict=True))
    flagged = [(part, res) for (part, res), b in zip(checks, bad, strict=True) if b]
    if flagged:  # bad input: the detailed queries, in source order
        found = pl.collect_all([res.problems.head(MAX_PROBLEMS_PER_FRAME) for _, res in flagged])
        for (part, _), df in zip(flagged, found, strict=True):
            for row, column, message, ref in df.select(
                "row", "column", "message", "ref"
            ).iter_rows():
                loaded.problems.append(
                    Problem(part.origin, row, column, message, part.row_label, ref)
                )
    loaded.frames = {t: done[t].lazy() for t in names}
    loaded.dropped = _resolved(drops, rest[len(names) :])
    return loaded


def _flags(res) -> pl.LazyFrame:
    """One row, one Boolean: has the conformed frame a problem row?"""
    return res.flags if res.flags is not None else res.problems.select(bad=pl.len() > 0)


def _tables(checks: list, person_keys: bool) -> dict[str, pl.LazyFrame]:
    """The conformed frames table by table (parts of a table concatenated), with their
    person keys and labels Categorical when ``person_keys``."""
    per_table: dict[str, list[pl.LazyFrame]] = {}
    for part, res in checks:  # each part cast: some may be Categorical already
        frame = cast_table(res.frame, part.table) if person_keys else res.frame
        per_table.setdefault(part.table, []).append(frame)
    return {t: pl.concat(fs, how="vertical") if len(fs) > 1 else fs[0]
            for t, fs in per_table.items()}  # fmt: skip


def _resolved(drops: list[Dropped], counts: list[pl.DataFrame]) -> list[Dropped]:
    out = []
    for d, df in zip(drops, counts, strict=True):
        n = int(df.item() or 0)
        if n > 0:
            out.append(Dropped(d.origin, d.reason, n))
    return out


def resolve_period(settings: Settings, frames: dict[str, pl.LazyFrame]) -> Period:
    """The configured period, or else the last calendar month that has activities or
    orders (a cost ledger alone: the month of its last cost)."""
    rs = settings.report
    if rs.period_start and rs.period_end:
        return Period(rs.period_start, rs.period_end)
    latest = [
        frames[t].select(pl.col("at").dt.convert_time_zone(rs.timezone).dt.date().max())
        for t in ("activities", "orders")
        if t in frames
    ]
    ends = [d for df in pl.collect_all(latest) for d in df.to_series() if d is not None]
    if not ends and "costs" in frames:  # a cost ledger alone: the month of its last cost
        ends = [d for d in frames["costs"].select(pl.col("incurred_on").max()).collect()
                .to_series() if d is not None]  # fmt: skip
    if not ends and not rs.period_end:
        raise ConfigError(
            "set report.period_start and report.period_end: the data has no "
            "dated activities or orders to infer the period from"
        )
    end = rs.period_end or max(ends)
    start = rs.period_start or end.replace(day=1)
    if rs.period_end is None and rs.period_start is None:
        # a whole month: from its first to its last day
        nxt = (end.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = nxt - timedelta(days=1)
    return Period(start, end)
