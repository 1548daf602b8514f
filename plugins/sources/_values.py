"""Value expressions for business files: blanks, e-mail and phone hashes, order statuses,
decimal commas and Excel serial dates. Each takes a column name or expression and returns
an expression (lazy, native; no Python per row).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import polars as pl
import polars_hash  # noqa: F401  (registers the .chash expression namespace)

# Order statuses as Chinese shop back-ends and Shopify write them → canonical status.
ORDER_STATUS_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        ("paid", "已支付", "已付款", "支付成功", "交易成功", "已完成", "已发货", "已收货"),
        "paid",
    ),
    **dict.fromkeys(("refunded", "已退款", "退款成功", "全额退款", "已全额退款"), "refunded"),
    **dict.fromkeys(("pending", "待支付", "待付款", "未支付", "未付款", "支付中"), "pending"),
    **dict.fromkeys(
        ("cancelled", "canceled", "已取消", "已关闭", "交易关闭", "取消", "作废"), "cancelled"
    ),
}


# -- expressions --------------------------------------------------------------------------


def blank_to_null(expr: str | pl.Expr) -> pl.Expr:
    """Trimmed text, with empty strings as null."""
    e = (pl.col(expr) if isinstance(expr, str) else expr).cast(pl.String).str.strip_chars()
    return pl.when(e != "").then(e)


def normal_email(expr: str | pl.Expr) -> pl.Expr:
    """Trimmed, lower-cased e-mail; null when it has no ``@``."""
    e = blank_to_null(expr).str.to_lowercase()
    return pl.when(e.str.contains("@", literal=True)).then(e)


def email_hash(expr: str | pl.Expr) -> pl.Expr:
    """SHA-256 hex of the trimmed, lower-cased e-mail (null stays null).

    >>> pl.select(email_hash(pl.lit(" A@B.com "))).item()[:12]
    'fb98d44ad750'
    """
    return normal_email(expr).chash.sha2_256()


def phone_e164(expr: str | pl.Expr, default_country_code: str | None = None) -> pl.Expr:
    """Phone number in E.164 (``+8613800138000``), or null when it cannot be.

    ``+…`` and ``00…`` numbers keep their country code; other numbers get
    ``default_country_code`` (e.g. ``"86"``) when given, else null. 8–15 digits.
    """
    raw = blank_to_null(expr).str.replace_all(r"[\s\-().]", "").str.strip_prefix("'")
    digits = raw.str.replace_all(r"\D", "")
    intl = (
        pl.when(raw.str.starts_with("+"))
        .then(digits)
        .when(raw.str.starts_with("00"))
        .then(digits.str.slice(2))
    )
    if default_country_code:
        cc = default_country_code.lstrip("+")
        intl = intl.otherwise(pl.lit(cc) + digits.str.strip_chars_start("0"))
    ok = intl.str.contains(r"^[1-9]\d{7,14}$")
    return pl.when(ok & raw.str.contains(r"^\+?\d+$")).then(intl.str.replace("^", "+"))


def phone_hash(expr: str | pl.Expr, default_country_code: str | None = None) -> pl.Expr:
    """SHA-256 hex of the E.164 phone number (null when it is not one)."""
    return phone_e164(expr, default_country_code).chash.sha2_256()


def canonical_status(expr: str | pl.Expr, extra: Mapping[str, str] | None = None) -> pl.Expr:
    """Map order statuses (``已支付``, ``已退款``, ``Paid`` …) to paid/refunded/pending/cancelled.

    Unknown values pass through lower-cased, so the boundary check names them.
    """
    table = {k.casefold(): v for k, v in {**ORDER_STATUS_SYNONYMS, **(extra or {})}.items()}
    e = blank_to_null(expr).str.to_lowercase()
    return e.replace(table)


# Decimal commas: "1.234,50" / "12,5" can only be European; "1,234.50" / "59.90" only
# English; "1,299" or "1.234" (three digits after one kind of mark) could be either.
_NUMBER_JUNK = r"[¥￥$€£\s\u00a0]|CNY|RMB|USD|EUR|元"
_COMMA_DECIMAL = r"^[-+]?(\d{1,3}(\.\d{3})+,\d+|\d+,(\d{1,2}|\d{4,})|\d{1,3}(\.\d{3}){2,})$"
_POINT_DECIMAL = r"^[-+]?(\d{1,3}(,\d{3})+\.\d+|\d+\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3}){2,})$"
_EITHER = r"^[-+]?\d{1,3}[.,]\d{3}$"
MIXED_DECIMALS = (
    " (this file writes numbers both as 1.234,50 and as 1,234.50, so this one is "
    "ambiguous; write every number one way)"
)


def decimal_commas(frame: pl.LazyFrame, columns: Iterable[str]) -> pl.LazyFrame:
    """Rewrite decimal-comma numbers (``1.234,50`` → ``1234.50``) in the text ``columns``.

    The style is decided for the whole file, over all ``columns`` (lazily, no extra
    read): values that can only be decimal-comma and none that can only be decimal-point
    → every number is read the European way (``1.234`` is 1234); both kinds → the
    decimal-comma and ambiguous values get :data:`MIXED_DECIMALS` appended, so the
    boundary refuses them with their row. Otherwise nothing changes (``1,299`` = 1299).

    >>> f = pl.LazyFrame({"amount": ["1.234,50", "12,5", "1.234", "7"]})
    >>> decimal_commas(f, ["amount"]).collect()["amount"].to_list()
    ['1234.50', '12.5', '1234', '7']
    """
    schema = frame.collect_schema()
    cols = [c for c in columns if c in schema and schema[c] == pl.String]
    if not cols:
        return frame
    clean = {c: pl.col(c).str.replace_all(_NUMBER_JUNK, "") for c in cols}
    n_comma = pl.sum_horizontal(clean[c].str.contains(_COMMA_DECIMAL).sum() for c in cols)
    n_point = pl.sum_horizontal(clean[c].str.contains(_POINT_DECIMAL).sum() for c in cols)
    european = (n_comma > 0) & (n_point == 0)
    mixed = (n_comma > 0) & (n_point > 0)
    out = []
    for c in cols:
        v = clean[c]
        affected = v.str.contains(_COMMA_DECIMAL) | v.str.contains(_EITHER)
        normal = v.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
        out.append(
            pl.when(european & affected)
            .then(normal)
            .when(mixed & affected)
            .then(pl.col(c) + pl.lit(MIXED_DECIMALS))
            .otherwise(pl.col(c))
            .alias(c)
        )
    return frame.with_columns(out)


EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's (1900 system) serial dates


def excel_serial_dates(expr: str | pl.Expr) -> pl.Expr:
    """Text that is an Excel serial date (``45567.5``: days since 1899-12-30, 20000–80000,
    i.e. 1954–2119) as ``2024-10-02 12:00:00``; other text passes unchanged.

    >>> pl.select(excel_serial_dates(pl.lit("45567.5"))).item()
    '2024-10-02 12:00:00'
    """
    e = pl.col(expr) if isinstance(expr, str) else expr
    text = e.cast(pl.String).str.strip_chars()
    days = text.cast(pl.Float64, strict=False)
    serial = text.str.contains(r"^\d{5}(\.\d+)?$") & days.is_between(20_000, 80_000)
    when = pl.lit(EXCEL_EPOCH) + pl.duration(
        milliseconds=(days * 86_400_000).round().cast(pl.Int64)
    )
    return pl.when(serial).then(when.dt.strftime("%Y-%m-%d %H:%M:%S")).otherwise(text)
