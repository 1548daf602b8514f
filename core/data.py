"""CommunityData: the canonical tables as LazyFrames, clipped to a reporting period."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from core.report import Period
from core.schema import SCHEMA


@dataclass(frozen=True)
class CommunityData:
    """Canonical frames holding all history up to the end of ``period``.

    Rows after the period end are already removed (and ``left_at`` after it is null), so
    "as of period end" is simply "everything"; :meth:`in_period` selects the period.
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
        end, day = view.end, period.end
        before = pl.col("at") < pl.lit(end)
        return replace(
            view,
            members=self.members.filter(
                pl.col("joined_at").is_null() | (pl.col("joined_at") < pl.lit(end))
            ).with_columns(
                pl.when(pl.col("left_at") < pl.lit(end)).then(pl.col("left_at")).alias("left_at")
            ),
            activities=self.activities.filter(before),
            orders=self.orders.filter(before),
            costs=self.costs.filter(pl.col("incurred_on") <= pl.lit(day)),
        )

    def previous(self) -> CommunityData:
        """The previous period of equal length, ending the day before this one starts."""
        end = self.period.start - timedelta(days=1)
        return self.clipped(Period(end - timedelta(days=self.period.days - 1), end))


def _utc_midnight(day: date, tz: str) -> datetime:
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))
    return local.astimezone(ZoneInfo("UTC"))


def make_data(
    frames: dict[str, pl.LazyFrame], period: Period, timezone: str, currency: str
) -> CommunityData:
    """Assemble CommunityData from conformed frames (missing tables become empty)."""
    full = {t: frames.get(t, pl.LazyFrame(schema=s.polars_schema)) for t, s in SCHEMA.items()}
    data = CommunityData(**full, period=period, timezone=timezone, currency=currency)
    return data.clipped(period)
