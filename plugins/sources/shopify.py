"""Shopify orders export (Admin → Orders → Export → CSV) → canonical orders.

Format facts (Shopify's export; header set as in the Shopify help centre's "Exporting
orders" page and as reproduced by e.g. jadwro/allegro_csv_parser
``src/Shopify/types/ShopifyOrderTypeCSV.ts``): one row **per line item**; order-level
fields (``Financial Status``, ``Total``, ``Currency``, ``Created at`` …) are filled on the
order's first row only; ``Name`` is the order number (``#1001``) and repeats on every row;
``Created at`` carries a UTC offset (``2026-10-03 10:15:00 +0800``). There is no customer
id column: ``Email`` is the stable key.

Mapping (per order = all rows with the same ``Name``, first non-empty value of each field):

- ``order_id`` = ``Name``; ``at`` = ``Created at`` (its offset kept, stored in UTC);
- ``customer_id`` = the trimmed, lower-cased ``Email``; ``email_hash`` = SHA-256 of it;
  orders without an e-mail (point-of-sale guests) get ``customer_id`` = ``guest:<Name>``
  (one-off non-member buyers); ``phone_hash`` = SHA-256 of ``Phone`` (else
  ``Billing Phone``) in E.164 form — numbers without ``+``/``00`` need
  ``default_country_code``;
- ``amount`` = ``Total`` (or ``Subtotal`` with ``amount = "Subtotal"``), ``currency`` =
  ``Currency``;
- ``status`` from ``Financial Status``: ``paid`` and ``partially_refunded`` → paid;
  ``refunded`` → refunded; ``pending`` / ``authorized`` / ``partially_paid`` → pending;
  ``voided`` / ``expired`` → cancelled;
- ``paid_at`` = ``Paid at``; ``refunded_amount`` = ``Refunded Amount`` (capped at the
  order's ``Subtotal`` with ``amount = "Subtotal"``, since Shopify's refund may include
  shipping and taxes). A partially refunded order therefore stays paid with its full
  ``amount`` and counts ``amount − refunded_amount`` as revenue in every metric (the
  rule in core.conform and plugins.metrics._common.paid_orders);
- ``campaign_id`` from ``Discount Code`` through ``discount_campaigns``
  (``{"AUTUMN10" = "autumn-launch"}``).

Errors name the file, the CSV **line** (the header is line 1; a quoted note spanning
several lines is counted, so the number is the one an editor shows) and the order:
``orders.csv line 7 (order #1003), column Total: …``. The source checks every order-level
field it maps before grouping; the boundary's own checks (exchange rates) name the line
of the order's first row, with the order as the problem's ``ref``.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from core.parsing import parse_datetime
from plugins.sources._io import (
    blank_to_null,
    email_hash,
    normal_email,
    phone_hash,
    scan_csv,
)

STATUS = {
    "paid": "paid",
    "partially_refunded": "paid",
    "refunded": "refunded",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "voided": "cancelled",
    "expired": "cancelled",
}
REQUIRED = ("Name", "Email", "Financial Status", "Created at", "Total")
ORDER_FIELDS = (
    "Email",
    "Financial Status",
    "Created at",
    "Paid at",
    "Total",
    "Subtotal",
    "Currency",
    "Refunded Amount",
    "Discount Code",
    "Phone",
    "Billing Phone",
)
_JUNK = r"[¥￥$€£,\s]"


class ShopifyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str  # the export, or a glob of several exports
    amount: Literal["Total", "Subtotal"] = "Total"
    discount_campaigns: dict[str, str] = {}  # discount code -> campaign_id
    default_country_code: str | None = None  # e.g. "86" for phones written without +86
    encoding: str | None = None


def _money(col: str) -> pl.Expr:
    return blank_to_null(col).str.replace_all(_JUNK, "").cast(pl.Float64, strict=False)


def _lines(names: list[str]) -> pl.Expr:
    """The file line each CSV record starts on (header = line 1), counting the line
    breaks inside quoted fields of the records before it."""
    breaks = pl.sum_horizontal(
        pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in names
    )
    return (pl.int_range(pl.len(), dtype=pl.Int64) + 2 + breaks.cum_sum() - breaks).alias("__line")


def _check(raw: pl.LazyFrame, checks: list[tuple[pl.Expr, str, str]], origin: str) -> None:
    """Raise DataError for the earliest line where a check fails, naming the line, the
    order (its ``Name``) and the column."""
    exprs = []
    for k, (bad, _col, _todo) in enumerate(checks):
        exprs += [
            pl.col("__line").filter(bad).first().alias(f"l{k}"),
            blank_to_null("Name").filter(bad).first().alias(f"n{k}"),
        ]
    got = raw.select(exprs).collect().row(0, named=True)
    hits = [(got[f"l{k}"], k) for k in range(len(checks)) if got[f"l{k}"] is not None]
    if not hits:
        return
    line, k = min(hits)
    _bad, column, todo = checks[k]
    name = got[f"n{k}"]
    order = f" (order {name})" if name else ""
    raise DataError(f"{origin} line {line}{order}, column {column}: {todo}")


def _orders(path: Path, opts: ShopifyOptions) -> pl.LazyFrame:
    origin = str(path)
    raw = scan_csv(path, required=REQUIRED, encoding=opts.encoding, origin=origin)
    have = raw.collect_schema().names()
    raw = raw.with_columns(_lines(have)).with_columns(
        pl.lit(None, pl.String).alias(c) for c in ORDER_FIELDS if c not in have
    )
    head = blank_to_null("Financial Status").is_not_null()  # an order's first row
    status = blank_to_null("Financial Status").str.to_lowercase()
    total, refunded = _money("Total"), _money("Refunded Amount")

    def unreadable(col: str, parsed: pl.Expr) -> pl.Expr:
        return blank_to_null(col).is_not_null() & parsed.is_null()

    when = {
        c: parse_datetime(blank_to_null(c), pl.String, "UTC") for c in ("Created at", "Paid at")
    }
    _check(
        raw,
        [
            (blank_to_null("Name").is_null(), "Name", "empty order number; fill it in"),
            (
                head & ~status.is_in(list(STATUS)),
                "Financial Status",
                f"unknown status; Shopify writes one of {', '.join(STATUS)}",
            ),
            (head & total.is_null(), "Total", "not an amount such as 199.00"),
            (head & (total < 0), "Total", "negative total; Shopify totals are ≥ 0"),
            (head & blank_to_null("Created at").is_null(), "Created at", "empty order time"),
            (
                unreadable("Created at", when["Created at"]),
                "Created at",
                "not a time such as 2026-10-03 10:15:00 +0800",
            ),
            (
                unreadable("Paid at", when["Paid at"]),
                "Paid at",
                "not a time such as 2026-10-03 10:15:00 +0800; leave it empty if unpaid",
            ),
            (
                unreadable("Refunded Amount", refunded),
                "Refunded Amount",
                "not an amount such as 100.00 (0.00 for none)",
            ),
            (refunded < 0, "Refunded Amount", "negative refund; Shopify writes refunds ≥ 0"),
            (
                head & (refunded > total),
                "Refunded Amount",
                "more than the order's Total; a refund cannot exceed what was paid — "
                "check the export",
            ),
        ],
        origin,
    )
    first = [blank_to_null(c).drop_nulls().first().alias(c) for c in ORDER_FIELDS]
    orders = raw.group_by(blank_to_null("Name").alias("Name"), maintain_order=True).agg(
        pl.col("__line").min(), *first
    )
    fs = pl.col("Financial Status").str.to_lowercase()
    amount = _money(opts.amount)
    refund = _money("Refunded Amount")
    if opts.amount == "Subtotal":
        refund = pl.min_horizontal(refund, amount)
    email = normal_email("Email")
    phone = pl.coalesce(
        phone_hash("Phone", opts.default_country_code),
        phone_hash("Billing Phone", opts.default_country_code),
    )
    campaign = blank_to_null("Discount Code").replace_strict(
        opts.discount_campaigns, default=None, return_dtype=pl.String
    )
    return orders.select(
        pl.col("Name").alias("order_id"),
        pl.coalesce(email, pl.lit("guest:") + pl.col("Name")).alias("customer_id"),
        pl.col("Created at").alias("at"),
        pl.col("Paid at").alias("paid_at"),
        amount.alias("amount"),
        refund.alias("refunded_amount"),
        pl.col("Currency").alias("currency"),
        campaign.alias("campaign_id"),
        fs.replace_strict(STATUS, default=None, return_dtype=pl.String).alias("status"),
        email_hash("Email").alias("email_hash"),
        phone.alias("phone_hash"),
        "__line",
        (pl.lit("order ") + pl.col("Name")).alias("__ref"),
    )


def load(opts: ShopifyOptions, ctx: SourceContext) -> list[SourceFrame]:
    pattern = ctx.resolve(opts.path)
    paths = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not paths:
        raise DataError(f"{pattern}: no such file; check 'path' of the shopify source")
    return [SourceFrame("orders", _orders(p, opts), str(p), row_label="line") for p in paths]


DETECT_HEADERS = ("Name", "Financial Status", "Created at")


def _detect(path: Path) -> str | bool:
    """``"Shopify orders CSV (Name, Financial Status, Created at)"`` for a CSV with the
    export's required headers and ``Lineitem name``; else False."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    try:
        head = scan_csv(path).collect_schema().names()
    except DataError:
        return False
    if not all(h in head for h in (*REQUIRED, "Lineitem name")):
        return False
    return f"Shopify orders CSV ({', '.join(DETECT_HEADERS)})"


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="shopify",
            description="Shopify orders export CSV (one row per line item) → orders",
            load=load,
            options=ShopifyOptions,
            detect=_detect,
        )
    ]
