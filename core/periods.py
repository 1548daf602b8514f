"""Report periods by name: ``last-month``, ``last-quarter``, ``last-year``, ``2026-10``,
``2026-Q3``, ``2026``.

A relative name is resolved against *today in the report's time zone*: at 2026-12-31
20:00 UTC it is already 1 January 2027 in Asia/Shanghai, so ``last-month`` there is
December 2026, while in America/New_York it is still 31 December and ``last-month`` is
November. Every period is whole calendar days, ``start`` and ``end`` inclusive.

>>> from datetime import datetime, UTC
>>> resolve("last-quarter", "Asia/Shanghai", now=datetime(2026, 1, 15, tzinfo=UTC)).label
'2025-Q4'
>>> resolve("2026-Q3", "UTC").end
datetime.date(2026, 9, 30)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from core.errors import ConfigError

Kind = Literal["month", "quarter", "year", "days"]
NAMES = "last-month, last-quarter, last-year, YYYY-MM (2026-10), YYYY-QN (2026-Q3) or YYYY"
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, slots=True)
class NamedPeriod:
    """A resolved period: its first and last day and what kind of calendar span it is."""

    start: date
    end: date
    kind: Kind

    @property
    def label(self) -> str:
        """``2026-10``, ``2026-Q3``, ``2026`` or ``2026-10-01…2026-10-15``."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start}…{self.end}"

    def previous(self) -> NamedPeriod:
        """The calendar period of the same kind just before this one (``days``: the same
        number of days just before)."""
        if self.kind == "days":
            n = (self.end - self.start).days + 1
            return NamedPeriod(
                self.start - timedelta(days=n), self.start - timedelta(days=1), "days"
            )
        step = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return _span(_add_months(self.start, -step), step, self.kind)


def _add_months(d: date, months: int) -> date:
    """The first day of the month ``months`` after ``d``'s month."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _span(first: date, months: int, kind: Kind) -> NamedPeriod:
    return NamedPeriod(first, _add_months(first, months) - timedelta(days=1), kind)


def today(tz: str, now: datetime | None = None) -> date:
    """Today's date in ``tz`` (``now``: an aware datetime to use instead of the clock)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(tz)).date()


def resolve(name: str, tz: str, *, now: datetime | None = None) -> NamedPeriod:
    """The period ``name`` stands for, relative names taken in time zone ``tz``."""
    text = str(name).strip()
    low = text.lower()
    if low in ("last-month", "last-quarter", "last-year"):
        day = today(tz, now)
        if low == "last-month":
            return _span(_add_months(day.replace(day=1), -1), 1, "month")
        if low == "last-quarter":
            this_q = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
            return _span(_add_months(this_q, -3), 3, "quarter")
        return _span(date(day.year - 1, 1, 1), 12, "year")
    try:  # ValueError: a year Python's dates do not hold (0000, 9999's end)
        if m := _MONTH.match(text):
            year, month = int(m[1]), int(m[2])
            if 1 <= month <= 12:
                return _span(date(year, month, 1), 1, "month")
        elif m := _QUARTER.match(text):
            return _span(date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1), 3, "quarter")
        elif m := _YEAR.match(text):
            return _span(date(int(m[1]), 1, 1), 12, "year")
    except ValueError:
        pass
    raise ConfigError(f"period '{text}' is not a period name; use {NAMES}")


def classify(start: date, end: date) -> NamedPeriod:
    """Explicit dates as a NamedPeriod: a whole month, quarter or year when they are one."""
    for kind, months in (("month", 1), ("quarter", 3), ("year", 12)):
        if (
            start.day == 1
            and (kind != "quarter" or start.month % 3 == 1)
            and (kind != "year" or start.month == 1)
        ):
            span = _span(start, months, kind)
            if span.end == end:
                return span
    return NamedPeriod(start, end, "days")
