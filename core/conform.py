"""The single select/cast at the source boundary.

:func:`conform` renames nothing (sources map their own columns), parses text timestamps
and amounts, converts time zones to UTC, converts currencies, fills documented defaults
and returns the typed frame plus a lazy frame of problems (row, column, what to do).

Order status (the rule every metric relies on, documented in core.schema and
docs/connectors-business.md):

- an explicit ``status`` wins;
- else, when the source frame has a ``paid_at`` column, an order whose ``paid_at`` is
  empty is ``pending`` (the shop has not been paid);
- else the order is ``paid`` (the documented default for exports without either);
- a ``paid`` order whose ``refunded_amount`` equals its ``amount`` (a full refund) becomes
  ``refunded``; a partial refund stays ``paid`` and the metrics count
  ``amount − refunded_amount`` as its revenue (``communityroi.views.paid_orders``).

``refunded_amount`` is converted with the order's exchange rate like ``amount`` and
``gross_margin``; a negative one, or one above ``amount``, is a problem row.

A source whose canonical rows are built from several input lines (Shopify: one row per
line item) may add two columns the boundary reads and drops: ``__line`` (Int64, the
line to report instead of the 0-based row + ``row_base``) and ``__ref`` (text naming the
record, e.g. the order ``#1003``), returned as the problems' ``ref`` column.
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
    "flag": "write it as true or false (1/0, yes/no, 是/否)",
}
_FLAGS = {"true": True, "1": True, "yes": True, "是": True,
          "false": False, "0": False, "no": False, "否": False}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Conformed:
    frame: pl.LazyFrame
    problems: pl.LazyFrame  # columns: row (Int64), column, value, message, ref (text)
    # one row, one Boolean column "bad": does any row have a problem? Computed in the
    # same pass as ``frame`` (both read one cached plan), so clean input is read once;
    # only when it is true are the detailed ``problems`` queries run (issue 17)
    flags: pl.LazyFrame | None = None
    # with ``categorical=True``: one row, one Boolean column "dirty": does a Categorical
    # column hold a value the boundary would change (padded, blank, or in the wrong case)?
    # Then ``frame`` and ``flags`` are not the conformed ones: conform again without
    # ``categorical`` (see :func:`conform`)
    dirty: pl.LazyFrame | None = None


_LINE, _REF = "__line", "__ref"  # optional source columns (see the module docstring)


def _problem(
    raw: pl.LazyFrame,
    cond: pl.Expr,
    column: str,
    value: pl.Expr,
    message: str,
    row_base: int,
    where: tuple[bool, bool] = (False, False),
) -> pl.LazyFrame:
    has_line, has_ref = where
    row = pl.col(_LINE) if has_line else pl.col("__row") + row_base
    return raw.filter(cond).select(
        row.cast(pl.Int64).alias("row"),
        pl.lit(column).alias("column"),
        value.cast(pl.String).alias("value"),
        pl.lit(message).alias("message"),
        (pl.col(_REF).cast(pl.String) if has_ref else pl.lit(None, pl.String)).alias("ref"),
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
    categorical: bool = False,
) -> Conformed:
    """Cast ``frame`` to the canonical schema of ``table``.

    Missing optional columns become nulls; extra columns are dropped. Raises nothing:
    every problem is a row of ``Conformed.problems`` (0-based data row + ``row_base``, or
    the source's ``__line``). A missing required column is reported once with ``row`` =
    null.

    ``categorical=True`` returns the person keys and labels Categorical
    (:attr:`TableSchema.categorical`), cast from the source's text as it is: instead of
    trimming, nulling blanks and lower-casing every cell, it checks whether that would
    change anything (``Conformed.dirty``: row by row for the person keys, a trim and a
    compare; on the distinct values for the labels) — ≈ 1–1.3 CPU-s less on 10 M
    activities (issue 17); the Categorical cast interns each value anyway. Clean input
    gives exactly the frame and flags of ``categorical=False`` followed by the cast;
    when ``dirty`` is true they are not the conformed ones and the caller conforms again
    without ``categorical`` (:func:`core.loading.conform_frames` does).
    """
    spec = SCHEMA[table]
    have = frame.collect_schema()
    where = (_LINE in have, _REF in have)
    keep = [c for c in (_LINE, _REF) if c in have]
    raw = frame.with_row_index("__row")  # as the source has it, for the detailed queries
    # The conformed pass reads each text column trimmed (and lower-cased where compared)
    # once, in its place: its value, its emptiness and allowed-values flags all read that
    # column. Written inline, ``when(strip == "").otherwise(strip)`` and the checks trimmed
    # every cell two or three times (issue 17: 15 trims of 10 M activities instead of 6).
    texts = [c for c in spec.columns if c.name in have and _is_text(c)]
    as_is = {c.name for c in texts if c.name in spec.categorical} if categorical else set()
    texts = [c for c in texts if c.name not in as_is]
    cleaned = raw.with_columns(_trimmed(c).alias(c.name) for c in texts).with_columns(
        _blank_to_null(pl.col(c.name)).alias(c.name) for c in texts
    )
    problems: list[pl.LazyFrame] = []
    out: list[pl.Expr] = []
    flags: list[str] = []  # one Boolean column per check, in the conformed pass
    raw_flags: list[pl.Expr] = []
    dirty_rows: list[pl.Expr] = []  # categorical: a person key the boundary would change

    def problem(
        on: pl.LazyFrame,
        cond: pl.Expr,
        column: str,
        value: pl.Expr,
        msg: str,
        flag: pl.Expr | None = None,
    ):
        """A check on the raw frame: its detailed query (``cond`` on ``on``), and its flag
        in the conformed pass (``flag``, the same test on ``cleaned``; default ``cond``)."""
        problems.append(_problem(on, cond, column, value, msg, row_base, where))
        flags.append(f"__bad{len(flags)}")
        raw_flags.append((cond if flag is None else flag).alias(flags[-1]))

    def check(on: pl.LazyFrame, cond: pl.Expr, column: str, value: pl.Expr, msg: str):
        """A check on the typed frame ``on``: ``on`` with the check's flag column."""
        problems.append(_problem(on, cond, column, value, msg, row_base, where))
        flags.append(f"__bad{len(flags)}")
        return on.with_columns(cond.alias(flags[-1]))

    missing = [
        c.name
        for c in spec.columns
        if c.required and c.name not in have and not (c.name == "platform" and platform)
    ]
    if missing:
        msg = (
            f"required column(s) {', '.join(missing)} missing (found: "
            f"{', '.join(n for n in have.names() if n not in (_LINE, _REF)) or 'none'}); "
            f"add them or map your headers with 'columns'"
        )
        bad = pl.LazyFrame(
            {
                "row": [None],
                "column": [", ".join(missing)],
                "value": [None],
                "message": [msg],
                "ref": [None],
            },
            schema=_PROBLEM_SCHEMA,
        )
        return Conformed(empty_frame(table), bad, pl.LazyFrame({"bad": [True]}))

    for col in spec.columns:
        name = col.name
        if name not in have:
            default = None
            if name == "platform":
                default = platform
            elif name == "currency":
                default = currency
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
        elif col.dtype == pl.Boolean:
            parsed = (
                src
                if dtype == pl.Boolean
                else src.cast(pl.String)
                .str.strip_chars()
                .str.to_lowercase()
                .replace_strict(_FLAGS, default=None, return_dtype=pl.Boolean)
            )
            kind = "flag"
        else:
            kind = "text"
            # in ``cleaned``, the column is the text trimmed, empty as null, in its case;
            # ``inline`` is the same from the source, for the detailed queries
            text, inline = pl.col(name), _clean_text(col)
            if name in as_is:  # as the source has it (see the docstring)
                text = text.cast(pl.String)
                if col.person_key:  # many distinct values: checked row by row, cheaper
                    dirty_rows.append(_changed(col, text).alias(f"__dirty{len(dirty_rows)}"))
            parsed, inline_parsed = text, inline
            if name == "platform" and platform:
                parsed, inline_parsed = (e.fill_null(pl.lit(platform)) for e in (text, inline))
            if name == "currency":
                parsed, inline_parsed = (e.fill_null(pl.lit(currency)) for e in (text, inline))
        if kind != "text":  # read from the source in both passes
            inline_parsed = parsed
        out.append((parsed.cast(pl.Categorical) if name in as_is else parsed).alias(name))
        # a number, date, time or boolean never prints as empty text: skip the cast
        # (same result; casting 10 M timestamps to text cost seconds)
        typed_src = dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean
        if kind != "text":
            unparsed = src.is_not_null() & parsed.is_null()
            problem(
                raw,
                unparsed if typed_src
                else unparsed & (src.cast(pl.String).str.strip_chars() != ""),
                name,
                src,
                f"'{{value}}' is not a valid {kind}; " + _HINT[kind],
            )  # fmt: skip
        empty_msg = "required value is empty; fill it in or drop the row"
        if col.required and kind == "text":  # null after trimming: null or blank
            problem(raw, inline.is_null(), name, src, empty_msg, flag=text.is_null())
        elif col.required:
            empty = src.is_null()
            if not typed_src:
                empty = empty | (src.cast(pl.String).str.strip_chars() == "")
            problem(raw, empty, name, src, empty_msg)
        if col.allowed:
            problem(
                raw,
                inline_parsed.is_not_null() & ~inline_parsed.is_in(col.allowed),
                name,
                src,
                f"'{{value}}' is not one of {', '.join(col.allowed)}; use one of those (or map it)",
                flag=parsed.is_not_null() & ~parsed.is_in(col.allowed),
            )
    typed = cleaned.select(pl.col("__row"), *keep, *out, *raw_flags, *dirty_rows)
    if "amount" in spec.polars_schema:
        rates = {k.upper(): float(v) for k, v in (fx_rates or {}).items()}
        rates[currency.upper()] = 1.0
        rate = pl.col("currency").replace_strict(rates, default=None, return_dtype=pl.Float64)
        typed = check(
            typed,
            rate.is_null(),
            "currency",
            pl.col("currency"),
            f"no exchange rate from '{{value}}' to {currency}; add it to report.fx_rates",
        )
        typed = check(
            typed,
            pl.col("amount") < 0,
            "amount",
            pl.col("amount"),
            "negative amount "
            + (
                "in the cost ledger; record refunds and "
                "credits as a separate income, not a negative cost"
                if table == "costs"
                else "; record refunds with status 'refunded' and a positive amount, or "
                "as refunded_amount of the order"
            ),
        )
        conv = [(pl.col("amount") * rate).alias("amount"), pl.lit(currency).alias("currency")]
        for other in ("gross_margin", "refunded_amount"):
            if other in spec.polars_schema:
                conv.append((pl.col(other) * rate).alias(other))
        typed = typed.with_columns(conv)
    if table == "orders":
        typed = _orders(typed, check, paid_at_mapped="paid_at" in have)
    problem_frame = (
        pl.concat(problems, how="vertical") if problems else pl.LazyFrame(schema=_PROBLEM_SCHEMA)
    )
    problem_frame = problem_frame.with_columns(
        pl.col("message").str.replace_all(
            r"\{value\}", pl.col("value").fill_null(""), literal=False
        )
    ).sort("row", nulls_last=False, maintain_order=True)
    names = spec.polars_schema.names()
    if not flags and not as_is:
        return Conformed(typed.select(names), problem_frame, pl.LazyFrame({"bad": [False]}))
    typed = typed.cache()  # the table, its flags and its dirty checks: one pass
    bad = pl.any_horizontal(*flags).fill_null(False).any() if flags else pl.lit(False)
    dirty = None
    if as_is:  # a value that the boundary would change (categorical=False)
        rows = [pl.col(d.meta.output_name()) for d in dirty_rows]
        changed = [typed.select(pl.any_horizontal(*rows).any().alias("__keys"))] if rows else []
        changed += [  # labels: few distinct values, checked once each
            typed.select(pl.col(c.name).unique().cast(pl.String)).select(
                _changed(c, pl.col(c.name)).any()
            )
            for c in spec.columns
            if c.name in as_is and not c.person_key
        ]
        dirty = pl.concat(changed, how="horizontal").select(
            pl.any_horizontal(pl.all()).alias("dirty")
        )
    return Conformed(typed.select(names), problem_frame, typed.select(bad.alias("bad")), dirty)


def _is_text(col) -> bool:
    return col.dtype not in (UTC_TIME, pl.Date, pl.Float64, pl.Boolean)


def _trimmed(col, value: pl.Expr | None = None) -> pl.Expr:
    """A text column (or ``value``, its text) trimmed, in lower case where it is compared
    (upper for a currency)."""
    source = pl.col(col.name) if value is None else value
    text = source.cast(pl.String).str.strip_chars()
    if col.name == "currency":
        return text.str.to_uppercase()
    if col.allowed or col.name in ("kind", "platform"):
        return text.str.to_lowercase()
    return text


def _changed(col, values: pl.Expr) -> pl.Expr:
    """Per value: would the boundary change it (text of ``col``) — trim it, null it as
    blank or change its case? (``values`` is read twice: a column, not an expression such
    as ``unique()`` whose order may differ between the reads.)"""
    clean = _trimmed(col, values)
    return (values != clean) | (clean == "")


def _blank_to_null(text: pl.Expr) -> pl.Expr:
    return pl.when(text == "").then(None).otherwise(text)


def _clean_text(col) -> pl.Expr:
    """A text column as the boundary holds it: trimmed, empty as null, in its case.

    Inline, this trims every cell twice (``text`` appears twice); the conformed pass
    trims in one ``with_columns`` and nulls the blanks in the next. (``replace("", None)``
    reads its input once but held about 0.7 GB more on 10 M activities.)"""
    return _blank_to_null(_trimmed(col))


_PROBLEM_SCHEMA = {
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "message": pl.String,
    "ref": pl.String,
}


def _orders(typed: pl.LazyFrame, check, *, paid_at_mapped: bool) -> pl.LazyFrame:
    """Order checks and the status rule (see the module docstring)."""
    typed = check(
        typed,
        pl.col("member_id").is_null() & pl.col("customer_id").is_null(),
        "member_id",
        pl.col("order_id"),
        "order '{value}' has neither member_id nor customer_id; map one of them",
    )
    refunded, amount = pl.col("refunded_amount"), pl.col("amount")
    typed = check(
        typed,
        refunded < 0,
        "refunded_amount",
        refunded,
        "negative refunded amount '{value}'; write refunds as a positive amount (0 for none)",
    )
    typed = check(
        typed,
        refunded > amount,
        "refunded_amount",
        refunded,
        "refunded amount '{value}' is more than the order's amount; a refund cannot exceed "
        "what was paid: check the row, or map the order's total as amount",
    )
    unpaid = pl.col("paid_at").is_null() if paid_at_mapped else pl.lit(False)
    status = pl.coalesce(
        pl.col("status"),
        pl.when(unpaid).then(pl.lit("pending")).otherwise(pl.lit("paid")),
    )
    full = ((refunded > 0) & (refunded >= amount)).fill_null(False)
    return typed.with_columns(
        pl.when((status == "paid") & full)
        .then(pl.lit("refunded"))
        .otherwise(status)
        .alias("status")
    )
