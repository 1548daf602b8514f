"""Parsing expressions used at the source boundary: timestamps, dates and amounts."""

from __future__ import annotations

import polars as pl

UTC_TIME = pl.Datetime("us", "UTC")

_CURRENCY_JUNK = r"[¥￥$€£,\s]|CNY|RMB|USD|元"
_NAIVE_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
)
_AWARE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%dT%H:%M%z",
)


def parse_datetime(expr: pl.Expr, dtype: pl.DataType, tz: str) -> pl.Expr:
    """Turn text, Unix seconds/milliseconds, dates or datetimes into UTC datetimes.

    Text with an offset (``2026-10-01T09:00:00+08:00``, ``…Z``) keeps its instant; text
    without one is read in ``tz`` (the source's or the report's time zone).
    """
    if dtype == pl.String:
        e = expr.str.strip_chars().str.replace(r"Z$", "+00:00")
        unix = pl.when(e.str.contains(r"^-?\d{9,13}(\.\d+)?$")).then(
            parse_datetime(e.cast(pl.Float64, strict=False), pl.Float64(), tz)
        )
        aware = [
            e.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC")
            for f in _AWARE_FORMATS
        ]
        naive = [
            e.str.to_datetime(f, strict=False, time_unit="us")
            .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
            for f in _NAIVE_FORMATS
        ]
        return pl.coalesce(unix, *aware, *naive)
    if dtype.is_integer() or dtype.is_float():
        n = expr.cast(pl.Int64, strict=False)
        # Unix time: milliseconds when the number is too large to be seconds.
        micro = pl.when(n.abs() > 100_000_000_000).then(n * 1_000).otherwise(n * 1_000_000)
        return micro.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype == pl.Date:
        return expr.cast(pl.Datetime("us")).dt.replace_time_zone(tz).dt.convert_time_zone("UTC")
    if isinstance(dtype, pl.Datetime):
        base = expr.cast(pl.Datetime("us", dtype.time_zone))
        if dtype.time_zone is None:
            base = base.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        return base.dt.convert_time_zone("UTC")
    return pl.lit(None, UTC_TIME)


def parse_date(expr: pl.Expr, dtype: pl.DataType, tz: str) -> pl.Expr:
    """Dates: text and datetimes become the calendar day in ``tz``."""
    if dtype == pl.Date:
        return expr
    return parse_datetime(expr, dtype, tz).dt.convert_time_zone(tz).dt.date()


def parse_amount(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Amounts: numbers, or text such as ``¥1,299.00`` / ``1 299`` / ``99元``."""
    if dtype == pl.String:
        return expr.str.replace_all(_CURRENCY_JUNK, "").cast(pl.Float64, strict=False)
    if dtype.is_numeric() or dtype == pl.Boolean:
        return expr.cast(pl.Float64)
    return pl.lit(None, pl.Float64)
