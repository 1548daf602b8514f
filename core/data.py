"""CommunityData: the canonical tables as LazyFrames, clipped to a reporting period."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from core.report import Period
from core.schema import SCHEMA

KEYED = tuple(t for t, s in SCHEMA.items() if s.person_keys)  # members, activities, orders


@dataclass(frozen=True)
class KeyedTables:
    """``members``, ``activities`` and ``orders`` with every person key (``member_id``,
    ``invited_by``, ``target_member_id``, ``customer_id``) as ``pl.Categorical``.

    Same rows and values as the public tables. Joins, group-bys and distinct counts on
    a Categorical compare small integer codes instead of hashing strings — about 3×
    faster over millions of rows — and the codes are assigned once, when the data is
    assembled, instead of in every query. Categoricals sort and compare by their text,
    so results are the same; cast to ``pl.String`` before joining with frames of your
    own."""

    members: pl.LazyFrame
    activities: pl.LazyFrame
    orders: pl.LazyFrame


@dataclass(frozen=True)
class CommunityData:
    """Canonical frames holding all history up to the end of ``period``.

    Rows after the period end are already removed (and ``left_at`` after it is null), so
    "as of period end" is simply "everything"; :meth:`in_period` selects the period.
    ``keyed`` holds the person-keyed tables (see :class:`KeyedTables`), clipped the same.
    """

    members: pl.LazyFrame
    activities: pl.LazyFrame
    orders: pl.LazyFrame
    costs: pl.LazyFrame
    campaigns: pl.LazyFrame
    groups: pl.LazyFrame
    period: Period
    timezone: str
    currency: str
    keyed: KeyedTables

    # -- period boundaries -------------------------------------------------------------
    @property
    def start(self) -> datetime:
        """Start of the period, as a UTC instant (midnight in the report time zone)."""
        return _utc_midnight(self.period.start, self.timezone)

    @property
    def end(self) -> datetime:
        """End of the period (exclusive), as a UTC instant."""
        return _utc_midnight(self.period.end + timedelta(days=1), self.timezone)

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
        }
        keyed = KeyedTables(**{t: clip[t](getattr(self.keyed, t)) for t in KEYED})
        return replace(view, keyed=keyed, **{t: f(getattr(self, t)) for t, f in clip.items()})

    def previous(self) -> CommunityData:
        """The previous period of equal length, ending the day before this one starts."""
        end = self.period.start - timedelta(days=1)
        return self.clipped(Period(end - timedelta(days=self.period.days - 1), end))


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

    The person-keyed tables are computed here, once: with ``materialize`` (the default)
    they are collected into memory in one ``collect_all`` — the Categorical columns are
    new, the other columns are shared with ``frames`` when those are in memory — so
    every metric query starts from ready codes. ``materialize=False`` keeps them lazy
    (each query then casts again)."""
    full = {t: frames.get(t, pl.LazyFrame(schema=s.polars_schema)) for t, s in SCHEMA.items()}
    casts = [
        full[t].with_columns(pl.col(SCHEMA[t].person_keys).cast(pl.Categorical)) for t in KEYED
    ]
    if materialize:
        casts = [df.lazy() for df in pl.collect_all(casts)]
    keyed = KeyedTables(**dict(zip(KEYED, casts, strict=True)))
    data = CommunityData(**full, period=period, timezone=timezone, currency=currency, keyed=keyed)
    return data.clipped(period)
