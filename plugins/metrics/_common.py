"""Expression helpers shared by the built-in metrics.

Small functions that take and return Polars expressions or LazyFrames; nothing here
collects. Definitions used across metrics live here so that every section counts the
same way:

- **engaged activity**: any activity except ``join`` and ``leave`` (joining is not
  participating);
- **paid order**: ``status == "paid"`` (refunded, pending and cancelled orders carry no
  revenue); its revenue is the **net amount** ``amount − refunded_amount`` (a missing
  refund counts 0). :func:`paid_orders` puts the net amount in ``amount`` (the order's
  own ``amount`` stays in ``gross_amount``), so every metric that sums ``amount`` of
  paid or attributed orders counts partial refunds the same way; ``gross_margin`` is
  left as the source gave it (the margin lost by a partial refund is not known). How
  ``status`` is derived from ``paid_at`` and ``refunded_amount`` is in
  :mod:`core.conform`;
- **buyer**: a member with at least one paid order, linked by ``orders.member_id`` or,
  failing that, by ``orders.customer_id`` = ``members.customer_id``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import polars as pl

from communityroi import CommunityData

NON_ENGAGED_KINDS = ("join", "leave")


_SHARED: dict[tuple[str, int], tuple[weakref.ref, pl.LazyFrame]] = {}


def _shared(name: str, data: CommunityData, make: Callable[[], pl.LazyFrame]) -> pl.LazyFrame:
    """``make()`` as one cached LazyFrame per ``data`` object, the same object for every
    caller. The pipeline collects all metrics in one ``collect_all``; a cached subplan used
    by several metrics (roster, paid orders) is then computed once instead of once per
    metric — Polars does not merge the identical but separately built subplans itself.
    Forgotten when ``data`` is."""
    key = (name, id(data))
    hit = _SHARED.get(key)
    if hit is not None and hit[0]() is data:
        return hit[1]
    frame = make().cache()

    def forget(ref: weakref.ref, key: tuple[str, int] = key) -> None:
        if _SHARED.get(key, (None,))[0] is ref:
            del _SHARED[key]

    try:
        ref = weakref.ref(data, forget)
    except TypeError:  # not weak-referenceable: no sharing
        return frame
    _SHARED[key] = (ref, frame)
    return frame


def safe_div(num: str | pl.Expr, den: str | pl.Expr) -> pl.Expr:
    """``num / den``, null when the denominator is zero or null.

    >>> pl.select(safe_div(pl.lit(1.0), pl.lit(0.0))).item() is None
    True
    """
    n = pl.col(num) if isinstance(num, str) else num
    d = pl.col(den) if isinstance(den, str) else den
    return pl.when(d != 0).then(n / d)


def engaged(activities: pl.LazyFrame) -> pl.LazyFrame:
    """Activities that count as participation (everything but join/leave)."""
    return activities.filter(~pl.col("kind").is_in(NON_ENGAGED_KINDS))


def active_members(data: CommunityData) -> pl.LazyFrame:
    """Distinct ``member_id`` with an engaged activity in the period (any id in the
    activities, listed in the members table or not). Shared by every caller for the same
    ``data``."""
    return _shared(
        "active_members",
        data,
        lambda: (
            engaged(data.keyed.activities).filter(data.in_period("at")).select("member_id").unique()
        ),
    )


def paid_orders(data: CommunityData) -> pl.LazyFrame:
    """Paid orders with ``buyer_id``: the member who placed them, or null for
    non-members. ``buyer_id`` comes from ``member_id``, else from the member whose
    ``customer_id`` matches the order's. ``amount`` is the net revenue
    ``amount − refunded_amount`` (``gross_amount`` keeps the order's amount). Shared by
    every caller for the same ``data``."""
    return _shared("paid_orders", data, lambda: _paid_orders(data))


def _paid_orders(data: CommunityData) -> pl.LazyFrame:
    links = (
        data.keyed.members.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(pl.col("member_id").min().alias("_linked_member"))
    )
    return (
        data.keyed.orders.filter(pl.col("status") == "paid")
        .with_columns(
            pl.col("amount").alias("gross_amount"),
            (pl.col("amount") - pl.col("refunded_amount").fill_null(0.0)).alias("amount"),
        )
        .join(links, on="customer_id", how="left")
        .with_columns(pl.coalesce("member_id", "_linked_member").alias("buyer_id"))
        .drop("_linked_member")
    )


def roster(data: CommunityData) -> pl.LazyFrame:
    """One row per member: first join, last leave (null while still in any group),
    first group and segment seen. Shared by every caller for the same ``data``."""
    return _shared("roster", data, lambda: _roster(data))


def _roster(data: CommunityData) -> pl.LazyFrame:
    return data.keyed.members.group_by("member_id").agg(
        pl.col("joined_at").min(),
        pl.when(pl.col("left_at").is_null().any())
        .then(None)
        .otherwise(pl.col("left_at").max())
        .alias("left_at"),
        pl.col("group_id").sort_by("joined_at").first(),
        pl.col("segment").drop_nulls().first(),
        pl.col("invited_by").drop_nulls().first(),
    )


def attributed_orders(data: CommunityData, people: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Paid orders placed in the period that the community earned (the ROI rule).

    An order counts when its buyer was a member when ordering (``buyer_id`` known to the
    members table and joined at or before the order) or when it carries a
    ``campaign_id``. ``buyer_id`` is null for campaign orders of non-members.
    ``people`` is ``roster(data)`` when the caller already has it. With the default
    roster the frame is shared by every caller for the same ``data`` (see :func:`_shared`).
    """
    shared = roster(data)
    if people is None or people is shared:
        return _shared("attributed_orders", data, lambda: _attributed(data, shared))
    return _attributed(data, people)


def _attributed(data: CommunityData, people: pl.LazyFrame) -> pl.LazyFrame:
    joined = people.select(
        pl.col("member_id").alias("buyer_id"),
        pl.col("joined_at").alias("_joined"),
        pl.lit(True).alias("_known"),
    )
    as_member = pl.col("_known").fill_null(False) & (
        pl.col("_joined").is_null() | (pl.col("_joined") <= pl.col("at"))
    )
    return (
        paid_orders(data)
        .filter(data.in_period("at"))
        .join(joined, on="buyer_id", how="left")
        .with_columns(pl.when(as_member).then(pl.col("buyer_id")).alias("buyer_id"))
        .filter(pl.col("buyer_id").is_not_null() | pl.col("campaign_id").is_not_null())
        .drop("_joined", "_known")
    )


def members_at_start(data: CommunityData) -> pl.LazyFrame:
    """Distinct members (``member_id``) in some group at the period start: a membership
    joined before it (or at an unknown time) and not left by it. Taken per membership
    row, so someone who had left every group and rejoins in the period is not counted."""
    start = pl.lit(data.start)
    return (
        data.keyed.members.filter(
            (pl.col("joined_at").is_null() | (pl.col("joined_at") < start))
            & (pl.col("left_at").is_null() | (pl.col("left_at") >= start))
        )
        .select("member_id")
        .unique()
    )
