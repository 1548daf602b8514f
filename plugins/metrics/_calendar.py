"""Calendar helpers shared by the metrics: local days and months as UTC instants.

Bucketing timestamps by a binary search in the UTC instants of local midnights is much
cheaper than converting the time zone of every row, and it is exact across DST changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from communityroi import CommunityData


def utc_midnights(days: list[date], tz: str) -> pl.Series:
    """The UTC instants of local midnight (in ``tz``) starting each of ``days``."""
    zone = ZoneInfo(tz)
    return pl.Series(
        "bounds",
        [datetime.combine(d, time(0), tzinfo=zone).astimezone(UTC) for d in days],
        dtype=pl.Datetime("us", "UTC"),
    )


def interval_index(bounds: pl.Series, column: str) -> pl.Expr:
    """0-based index of the interval between consecutive sorted ``bounds`` that holds the
    UTC ``column``; -1 before the first bound."""
    return pl.lit(bounds).search_sorted(pl.col(column), side="right").cast(pl.Int32) - 1


def day_of_period(data: CommunityData, column: str = "at") -> pl.Expr:
    """0-based local day of the period (column ``d``) of a UTC ``column`` that lies in
    the period.

    Same as ``data.local(column).dt.date()`` minus the start, but a binary search in
    the period's local midnights is cheaper than a time-zone conversion of every row."""
    days = [data.period.start + timedelta(days=i) for i in range(data.period.days + 1)]
    return interval_index(utc_midnights(days, data.timezone), column).alias("d")


def next_month(d: date) -> date:
    """First day of the month after ``d``'s."""
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def full_months(start: date, end: date) -> list[date]:
    """First days of the calendar months lying entirely within ``start`` … ``end``.

    >>> full_months(date(2025, 1, 15), date(2025, 4, 30))
    [datetime.date(2025, 2, 1), datetime.date(2025, 3, 1), datetime.date(2025, 4, 1)]
    """
    out, m = [], start if start.day == 1 else next_month(start)
    while next_month(m) - timedelta(days=1) <= end:
        out.append(m)
        m = next_month(m)
    return out


def month_starts(last: date, count: int) -> list[date]:
    """First days of ``count`` consecutive months ending with the month of ``last``, plus
    the first day of the month after it (``count + 1`` dates)."""
    index = last.year * 12 + last.month - 1 - (count - 1)
    return [date((index + i) // 12, (index + i) % 12 + 1, 1) for i in range(count + 1)]
