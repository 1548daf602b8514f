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
- ``status`` from ``Financial Status``: ``paid`` → paid; ``partially_refunded`` → paid with
  amount − ``Refunded Amount`` (the revenue kept); ``refunded`` → refunded;
  ``pending`` / ``authorized`` / ``partially_paid`` → pending; ``voided`` / ``expired`` →
  cancelled;
- ``campaign_id`` from ``Discount Code`` through ``discount_campaigns``
  (``{"AUTUMN10" = "autumn-launch"}``).

Errors name the file and the CSV row. After grouping, the boundary's own checks count
orders (``order N`` = the N-th order in the file).
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._io import (
    blank_to_null,
    check_rows,
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


def _orders(path: Path, opts: ShopifyOptions) -> pl.LazyFrame:
    origin = str(path)
    raw = scan_csv(path, required=REQUIRED, encoding=opts.encoding, origin=origin)
    have = raw.collect_schema().names()
    raw = raw.with_columns(pl.lit(None, pl.String).alias(c) for c in ORDER_FIELDS if c not in have)
    head = blank_to_null("Financial Status").is_not_null()  # an order's first row
    status = blank_to_null("Financial Status").str.to_lowercase()
    check_rows(
        raw,
        [
            (blank_to_null("Name").is_null(), "Name", "empty order number; fill it in"),
            (
                head & ~status.is_in(list(STATUS)),
                "Financial Status",
                f"unknown status; Shopify writes one of {', '.join(STATUS)}",
            ),
            (head & _money("Total").is_null(), "Total", "not an amount such as 199.00"),
            (head & blank_to_null("Created at").is_null(), "Created at", "empty order time"),
        ],
        origin=origin,
    )
    first = [blank_to_null(c).drop_nulls().first().alias(c) for c in ORDER_FIELDS]
    orders = raw.group_by(blank_to_null("Name").alias("Name"), maintain_order=True).agg(first)
    fs = pl.col("Financial Status").str.to_lowercase()
    amount = _money(opts.amount)
    amount = (
        pl.when(fs == "partially_refunded")
        .then(amount - _money("Refunded Amount").fill_null(0.0))
        .otherwise(amount)
    )
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
        amount.alias("amount"),
        pl.col("Currency").alias("currency"),
        campaign.alias("campaign_id"),
        fs.replace_strict(STATUS, default=None, return_dtype=pl.String).alias("status"),
        email_hash("Email").alias("email_hash"),
        phone.alias("phone_hash"),
    )


def load(opts: ShopifyOptions, ctx: SourceContext) -> list[SourceFrame]:
    pattern = ctx.resolve(opts.path)
    paths = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not paths:
        raise DataError(f"{pattern}: no such file; check 'path' of the shopify source")
    return [
        SourceFrame("orders", _orders(p, opts), str(p), row_base=1, row_label="order")
        for p in paths
    ]


def _detect(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    try:
        head = scan_csv(path).collect_schema().names()
    except DataError:
        return False
    return all(h in head for h in (*REQUIRED, "Lineitem name"))


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
