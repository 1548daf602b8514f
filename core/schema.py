"""The canonical tables every source produces and every metric reads.

One constant, :data:`SCHEMA`, describes them. :func:`conform` is the single select/cast at
the source boundary: it renames nothing (sources map their own columns), parses text
timestamps and amounts, converts time zones to UTC, fills documented defaults and returns
the typed frame plus a lazy frame of problems (file, row, column, what to do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

UTC_TIME = pl.Datetime("us", "UTC")

COST_CATEGORIES = ("labour", "platform_fee", "ads", "content", "campaign", "tools", "other")
ORDER_STATUSES = ("paid", "refunded", "pending", "cancelled")
ACTIVITY_KINDS = (
    "message",
    "reply",
    "reaction",
    "share",
    "post",
    "comment",
    "checkin",
    "attend",
    "join",
    "leave",
    "invite",
    "mention",
)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    dtype: pl.DataType
    required: bool = False  # the column must be present and non-null in every row
    doc: str = ""
    allowed: tuple[str, ...] = ()  # for categorical text columns (compared lower-case)


@dataclass(frozen=True, slots=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    doc: str = ""
    key: tuple[str, ...] = field(default=())

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


S, F, D = pl.String(), pl.Float64(), pl.Date()

SCHEMA: dict[str, TableSchema] = {
    t.name: t
    for t in (
        TableSchema(
            "members",
            (
                Column("member_id", S, True, "Stable platform-scoped member id (personal data)."),
                Column(
                    "platform", S, True, "wechat, wecom, slack, discord, telegram, discourse, …"
                ),
                Column("joined_at", UTC_TIME, False, "When the member joined (UTC)."),
                Column("left_at", UTC_TIME, False, "When the member left, if they did."),
                Column("invited_by", S, False, "member_id of the inviter (裂变 referrals)."),
                Column(
                    "group_id", S, False, "Group the membership belongs to (one row per group)."
                ),
                Column("segment", S, False, "Free label such as vip or flash."),
                Column("customer_id", S, False, "Key linking the member to orders.customer_id."),
                Column(
                    "display_name", S, False, "Display name (personal data; never an identity)."
                ),
                Column("email_hash", S, False, "SHA-256 hex of the trimmed, lower-cased e-mail."),
                Column("phone_hash", S, False, "SHA-256 hex of the phone number in E.164 form."),
            ),
            "One row per member per group; member counts use distinct member_id.",
            ("member_id", "group_id"),
        ),
        TableSchema(
            "activities",
            (
                Column("member_id", S, True, "Who acted."),
                Column("platform", S, True, "Platform of the activity."),
                Column("at", UTC_TIME, True, "When (UTC)."),
                Column(
                    "kind",
                    S,
                    True,
                    "message, reply, reaction, share, post, comment, checkin, "
                    "attend, join, leave, invite, mention (other kinds are kept as given).",
                ),
                Column("group_id", S, False, "Where it happened."),
                Column(
                    "target_member_id",
                    S,
                    False,
                    "Who was replied to, mentioned, reacted to or invited.",
                ),
                Column("campaign_id", S, False, "Campaign the activity belongs to."),
            ),
            "One row per action of a member.",
        ),
        TableSchema(
            "orders",
            (
                Column("order_id", S, True, "Order number."),
                Column("member_id", S, False, "Buyer as a member (or use customer_id)."),
                Column("customer_id", S, False, "Buyer as a customer of the shop."),
                Column("at", UTC_TIME, True, "When the order was placed (UTC)."),
                Column("amount", F, True, "Amount in the reporting currency after conversion."),
                Column("currency", S, False, "ISO code; defaults to the report currency."),
                Column("campaign_id", S, False, "Campaign the order is attributed to."),
                Column(
                    "status",
                    S,
                    False,
                    "paid (default), refunded, pending or cancelled.",
                    ORDER_STATUSES,
                ),
                Column("gross_margin", F, False, "Margin of this order, if known (same currency)."),
                Column("email_hash", S, False, "SHA-256 hex of the buyer's e-mail (see members)."),
                Column("phone_hash", S, False, "SHA-256 hex of the buyer's phone (E.164)."),
            ),
            "One row per order.",
            ("order_id",),
        ),
        TableSchema(
            "costs",
            (
                Column(
                    "category",
                    S,
                    True,
                    "labour, platform_fee, ads, content, campaign, tools, other.",
                    COST_CATEGORIES,
                ),
                Column("amount", F, True, "Cost, ≥ 0, in the reporting currency after conversion."),
                Column("currency", S, False, "ISO code; defaults to the report currency."),
                Column("incurred_on", D, True, "Day the cost was incurred (report time zone)."),
                Column("campaign_id", S, False, "Campaign the cost belongs to."),
                Column("group_id", S, False, "Group the cost belongs to."),
                Column("note", S, False, "Free text."),
            ),
            "The cost ledger: one row per cost item.",
        ),
        TableSchema(
            "campaigns",
            (
                Column("campaign_id", S, True, "Campaign id."),
                Column("name", S, False, "Display name."),
                Column("kind", S, False, "flash_group, vip_group, event, promotion, …"),
                Column("group_id", S, False, "Group the campaign runs in, if any."),
                Column("starts_at", UTC_TIME, False, "Start (UTC)."),
                Column("ends_at", UTC_TIME, False, "End (UTC)."),
                Column("budget", F, False, "Planned budget."),
            ),
            "One row per campaign.",
            ("campaign_id",),
        ),
        TableSchema(
            "groups",
            (
                Column("group_id", S, True, "Group, channel or circle id."),
                Column("name", S, False, "Display name."),
                Column("platform", S, False, "Platform."),
                Column("kind", S, False, "flash_group, vip_group, channel, circle, …"),
                Column("created_at", UTC_TIME, False, "Creation time (UTC)."),
            ),
            "One row per group, channel or circle.",
            ("group_id",),
        ),
    )
}

TABLE_NAMES = tuple(SCHEMA)


def empty_frame(table: str) -> pl.LazyFrame:
    """An empty, correctly typed frame for ``table``."""
    return pl.LazyFrame(schema=SCHEMA[table].polars_schema)


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
