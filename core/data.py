"""CommunityData: the canonical tables as LazyFrames, clipped to a reporting period."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import polars as pl

from core.casting import cast_table
from core.report import Period
from core.schema import CATEGORICAL_TABLES, PERSON_TABLES, SCHEMA, empty_frame

V = TypeVar("V")
_MISSING = object()


@dataclass(frozen=True)
class CommunityData:
    """Canonical frames holding all history up to the end of ``period``.

    Rows after the period end are already removed (and ``left_at`` after it is null), so
    "as of period end" is simply "everything"; :meth:`in_period` selects the period.
    Person keys (``member_id``, ``invited_by``, ``target_member_id``, ``customer_id``) are
    ``pl.Categorical`` (:data:`core.schema.PERSON_KEY`) in every table: a frame given as
    text is cast when the object is made, so ``dataclasses.replace(data, activities=…)``
    keeps one form. Cast frames of your own with :func:`core.casting.cast_person_keys`
    before joining them. Labels (``platform``, ``activities.kind``, ``group_id``,
    ``campaign_id``) are Categorical too
    (:data:`core.schema.LABEL`; :func:`core.casting.cast_table` casts a frame like a table).
    """

    members: pl.LazyFrame
    activities: pl.LazyFrame
    orders: pl.LazyFrame
    costs: pl.LazyFrame
    campaigns: pl.LazyFrame
    groups: pl.LazyFrame
    operator_days: pl.LazyFrame
    period: Period
    timezone: str
    currency: str
    _shared: dict[Hashable, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for table in CATEGORICAL_TABLES:
            frame = getattr(self, table)
            typed = cast_table(frame, table)
            if typed is not frame:
                object.__setattr__(self, table, typed)

    def shared(self, make: Callable[..., pl.LazyFrame], *args: Hashable) -> pl.LazyFrame:
        """``make(self, *args)`` as one cached LazyFrame per data object, the same object
        for every caller that passes the same function and the same (hashable) ``args``.

        The core collects every metric's frames in one ``collect_all``: a subplan built
        by several metrics from one shared (``.cache()``) LazyFrame is computed once,
        while identical but separately built subplans are computed once each. The memo
        lives on this object, so it goes when the data goes; a derived view
        (:meth:`clipped`, :meth:`previous`, ``dataclasses.replace``) starts empty, and
        so does each run of the metrics (the core hands them a fresh view).

        The frame is a projection of the cache, not the cache node itself: Polars 2.1
        panics (``cache_states.rs``, a ``PanicException`` that ``except Exception`` does
        not catch) collecting on its own a cached plan that reads one table twice; one
        node above the cache avoids it and shares the same."""
        key = (make, *args)
        hit = self._shared.get(key)
        if hit is None:
            hit = self._shared.setdefault(key, make(self, *args).cache().select(pl.all()))
        return hit

    def memo(self, make: Callable[..., V], *args: Hashable) -> V:
        """``make(self, *args)`` once per data object, function and ``args``: like
        :meth:`shared` for values other than LazyFrames (not ``.cache()``d). Use it to
        share work done in ``build`` — a model fit, PageRank — between a metric and its
        member-score columns: return an object that computes on first use (under a lock:
        builds run in threads) and hands the result to every later caller. If the object
        keeps LazyFrames for the collect, give it a ``release()`` method that drops them:
        :meth:`release` calls it once they are collected."""
        key = ("memo", make, *args)
        hit = self._shared.get(key, _MISSING)
        if hit is _MISSING:
            hit = self._shared.setdefault(key, make(self, *args))
        return hit

    # -- period boundaries -------------------------------------------------------------
    @property
    def start(self) -> datetime:
        """Start of the period, as a UTC instant (midnight in the report time zone)."""
        return self.midnight(self.period.start)

    @property
    def end(self) -> datetime:
        """End of the period (exclusive), as a UTC instant."""
        return self.midnight(self.period.end + timedelta(days=1))

    def midnight(self, day: date) -> datetime:
        """Midnight of ``day`` in the report time zone, as a UTC instant (comparable with
        the tables' UTC datetimes)."""
        return _utc_midnight(day, self.timezone)

    def in_period(self, column: str | pl.Expr) -> pl.Expr:
        """Expression: ``column`` (a UTC datetime or a local date) lies in the period."""
        col = pl.col(column) if isinstance(column, str) else column
        return (col >= pl.lit(self.start)) & (col < pl.lit(self.end))

    def day_in_period(self, column: str = "incurred_on") -> pl.Expr:
        return pl.col(column).is_between(pl.lit(self.period.start), pl.lit(self.period.end))

    def local(self, column: str = "at") -> pl.Expr:
        """``column`` converted to the report time zone (for hours, weekdays, days)."""
        return pl.col(column).dt.convert_time_zone(self.timezone)

    def frame(self, table: str) -> pl.LazyFrame:
        return getattr(self, table)

    # -- derived views -----------------------------------------------------------------
    def clipped(self, period: Period) -> CommunityData:
        """The same data seen at the end of ``period``: later rows removed."""
        view = replace(self, period=period)
        end, day = pl.lit(view.end), pl.lit(period.end)
        clip = {
            "members": lambda f: f.filter(
                pl.col("joined_at").is_null() | (pl.col("joined_at") < end)
            ).with_columns(
                pl.when(pl.col("left_at") < end).then(pl.col("left_at")).alias("left_at")
            ),
            "activities": lambda f: f.filter(pl.col("at") < end),
            "orders": lambda f: f.filter(pl.col("at") < end),
            "costs": lambda f: f.filter(pl.col("incurred_on") <= day),
            "operator_days": lambda f: f.filter(pl.col("day") <= day),
        }
        return replace(view, **{t: f(getattr(self, t)) for t, f in clip.items()})

    @property
    def previous_period(self) -> Period:
        """The period of equal length ending the day before this one starts."""
        end = self.period.start - timedelta(days=1)
        return Period(end - timedelta(days=self.period.days - 1), end)

    def previous(self) -> CommunityData:
        """The same data seen at the end of :attr:`previous_period`."""
        return self.clipped(self.previous_period)

    def release(self) -> None:
        """Let go of the tables, in place: every table attribute becomes an object that
        raises on use, the frames of :meth:`shared` are dropped and each :meth:`memo`
        value's ``release()`` (if it has one) is called, so the memory they hold is
        freed once no other frame refers to it. The core calls this on the views it
        made after the metrics' one ``collect_all``: builds get collected frames, and
        the tables (half the run's memory) would otherwise stay held to the end by
        views and ``build`` closures. Period, time zone and currency stay."""
        for table in SCHEMA:
            object.__setattr__(self, table, _Released(table))
        for key, value in list(self._shared.items()):
            if isinstance(value, pl.LazyFrame):
                del self._shared[key]
            elif callable(getattr(value, "release", None)):
                value.release()  # a memo value holding frames for the collect


class _Released:
    """Stands in for a table after :meth:`CommunityData.release`: any use raises."""

    __slots__ = ("table",)

    def __init__(self, table: str) -> None:
        self.table = table

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            f"data.{self.table} was released after the metrics' collect; a metric's build "
            "must read its collected frames (the `got` mapping), not the tables"
        )


def _utc_midnight(day: date, tz: str) -> datetime:
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))
    return local.astimezone(ZoneInfo("UTC"))


def make_data(
    frames: dict[str, pl.LazyFrame],
    period: Period,
    timezone: str,
    currency: str,
    *,
    materialize: bool = True,
) -> CommunityData:
    """Assemble CommunityData from conformed frames (missing tables become empty).

    Person keys are cast to Categorical here, once: with ``materialize`` (the default)
    the members, activities and orders are collected into memory in one ``collect_all``
    — the Categorical columns are new, the other columns are shared with ``frames`` when
    those are in memory — so every metric query starts from ready codes.
    ``materialize=False`` keeps them lazy (each query then casts again)."""
    full = {t: frames.get(t, empty_frame(t)) for t in SCHEMA}
    typed = [cast_table(full[t], t) for t in PERSON_TABLES]
    if materialize:
        typed = [df.lazy() for df in pl.collect_all(typed)]
    full.update(zip(PERSON_TABLES, typed, strict=True))
    data = CommunityData(**full, period=period, timezone=timezone, currency=currency)
    return data.clipped(period)
