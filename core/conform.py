"""The single select/cast at the source boundary.

:func:`conform` renames nothing (sources map their own columns), parses text timestamps
and amounts, converts time zones to UTC, converts currencies, fills documented defaults
and returns the typed frame plus a lazy frame of problems (row, column, what to do).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from core.parsing import parse_amount, parse_date, parse_datetime
from core.schema import SCHEMA, UTC_TIME, empty_frame

_HINT = {
    "datetime": "write it as ISO 8601 (2026-10-01 09:30 or 2026-10-01T09:30:00+08:00) or a "
    "Unix timestamp, or map another column",
    "date": "write it as a date such as 2026-10-01, or map another column",
    "amount": "write it as a number such as 1299.00",
}


@dataclass(frozen=True, slots=True)
class Conformed:
    frame: pl.LazyFrame
    problems: pl.LazyFrame  # columns: row (Int64), column, value, message


def _problem(
    raw: pl.LazyFrame, cond: pl.Expr, column: str, value: pl.Expr, message: str, row_base: int
) -> pl.LazyFrame:
    return raw.filter(cond).select(
        (pl.col("__row").cast(pl.Int64) + row_base).alias("row"),
        pl.lit(column).alias("column"),
        value.cast(pl.String).alias("value"),
        pl.lit(message).alias("message"),
    )


def conform(
    frame: pl.LazyFrame,
    table: str,
    *,
    tz: str,
    currency: str,
    fx_rates: dict[str, float] | None = None,
    platform: str | None = None,
    row_base: int = 2,
) -> Conformed:
    """Cast ``frame`` to the canonical schema of ``table``.

    Missing optional columns become nulls; extra columns are dropped. Raises nothing:
    every problem is a row of ``Conformed.problems`` (0-based data row + ``row_base``).
    A missing required column is reported once with ``row`` = null.
    """
    spec = SCHEMA[table]
    have = frame.collect_schema()
    raw = frame.with_row_index("__row")
    problems: list[pl.LazyFrame] = []
    out: list[pl.Expr] = []
    missing = [
        c.name
        for c in spec.columns
        if c.required and c.name not in have and not (c.name == "platform" and platform)
    ]
    if missing:
        msg = (
            f"required column(s) {', '.join(missing)} missing (found: "
            f"{', '.join(have.names()) or 'none'}); add them or map your headers with "
            f"'columns'"
        )
        bad = pl.LazyFrame(
            {"row": [None], "column": [", ".join(missing)], "value": [None], "message": [msg]},
            schema={"row": pl.Int64, "column": pl.String, "value": pl.String, "message": pl.String},
        )
        return Conformed(empty_frame(table), bad)

    for col in spec.columns:
        name = col.name
        if name not in have:
            default = None
            if name == "platform":
                default = platform
            elif name == "currency":
                default = currency
            elif name == "status":
                default = "paid"
            out.append(pl.lit(default, col.dtype).alias(name))
            continue
        src, dtype = pl.col(name), have[name]
        if col.dtype == UTC_TIME:
            parsed = parse_datetime(src, dtype, tz)
            kind = "datetime"
        elif col.dtype == pl.Date:
            parsed = parse_date(src, dtype, tz)
            kind = "date"
        elif col.dtype == pl.Float64:
            parsed = parse_amount(src, dtype)
            kind = "amount"
        else:
            parsed = src.cast(pl.String).str.strip_chars()
            parsed = pl.when(parsed == "").then(None).otherwise(parsed)
            kind = "text"
            if col.allowed or name in ("kind", "platform", "currency"):
                parsed = (
                    parsed.str.to_lowercase() if name != "currency" else parsed.str.to_uppercase()
                )
            if name == "platform" and platform:
                parsed = parsed.fill_null(pl.lit(platform))
            if name == "currency":
                parsed = parsed.fill_null(pl.lit(currency))
            if name == "status":
                parsed = parsed.fill_null(pl.lit("paid"))
        out.append(parsed.alias(name))
        if kind != "text":
            problems.append(
                _problem(
                    raw,
                    src.is_not_null()
                    & parsed.is_null()
                    & (src.cast(pl.String).str.strip_chars() != ""),
                    name,
                    src,
                    f"'{{value}}' is not a valid {kind}; " + _HINT[kind],
                    row_base,
                )
            )
        if col.required:
            empty = src.is_null() | (src.cast(pl.String).str.strip_chars() == "")
            problems.append(
                _problem(
                    raw,
                    empty,
                    name,
                    src,
                    "required value is empty; fill it in or drop the row",
                    row_base,
                )
            )
        if col.allowed:
            problems.append(
                _problem(
                    raw,
                    parsed.is_not_null() & ~parsed.is_in(col.allowed),
                    name,
                    src,
                    f"'{{value}}' is not one of "
                    f"{', '.join(col.allowed)}; use one of those (or map it)",
                    row_base,
                )
            )
    typed = raw.select(pl.col("__row"), *out)
    if "amount" in spec.polars_schema:
        rates = {k.upper(): float(v) for k, v in (fx_rates or {}).items()}
        rates[currency.upper()] = 1.0
        rate = pl.col("currency").replace_strict(rates, default=None, return_dtype=pl.Float64)
        problems.append(
            _problem(
                typed,
                rate.is_null(),
                "currency",
                pl.col("currency"),
                f"no exchange rate from '{{value}}' to {currency}; add it to report.fx_rates",
                row_base,
            )
        )
        problems.append(
            _problem(
                typed,
                pl.col("amount") < 0,
                "amount",
                pl.col("amount"),
                "negative amount "
                + (
                    "in the cost ledger; record refunds and "
                    "credits as a separate income, not a negative cost"
                    if table == "costs"
                    else "; record refunds with status 'refunded' and a positive amount"
                ),
                row_base,
            )
        )
        conv = [(pl.col("amount") * rate).alias("amount"), pl.lit(currency).alias("currency")]
        if "gross_margin" in spec.polars_schema:
            conv.append((pl.col("gross_margin") * rate).alias("gross_margin"))
        typed = typed.with_columns(conv)
    if table == "orders":
        problems.append(
            _problem(
                typed,
                pl.col("member_id").is_null() & pl.col("customer_id").is_null(),
                "member_id",
                pl.col("order_id"),
                "order '{value}' has neither member_id nor customer_id; map one of them",
                row_base,
            )
        )
    problem_frame = (
        pl.concat(problems, how="vertical")
        if problems
        else _problem(raw, pl.lit(False), "", pl.lit(""), "", row_base)
    )
    problem_frame = problem_frame.with_columns(
        pl.col("message").str.replace_all(
            r"\{value\}", pl.col("value").fill_null(""), literal=False
        )
    ).sort("row", nulls_last=False, maintain_order=True)
    return Conformed(typed.select(spec.polars_schema.names()), problem_frame)
