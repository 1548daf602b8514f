"""What "member", "active", "paid order" and "buyer" mean: the views every metric counts with.

The built-in metrics use exactly these functions, so a third-party metric that does too
counts the same people and the same money as the report's own sections::

    from communityroi.views import active_members, paid_orders

    def compute(data, opts):
        buyers = paid_orders(data).filter(data.in_period("at")).select("buyer_id").unique()
        ...

Definitions:

- **member**: a distinct ``member_id`` of the members table (one row per member per group);
  :func:`roster` has one row per member;
- **engaged activity**: any activity except ``join`` and ``leave`` (joining is not
  participating) — :func:`engaged`;
- **active member**: a ``member_id`` with an engaged activity in the period, listed in the
  members table or not — :func:`active_members`;
- **paid order**: ``status == "paid"`` (refunded, pending and cancelled orders carry no
  revenue; how ``status`` follows from ``paid_at`` and ``refunded_amount`` is in
  :mod:`core.conform`). Its revenue is the **net amount** ``amount − refunded_amount`` (a
  missing refund counts 0): :func:`paid_orders` puts it in ``amount`` and keeps the
  order's own amount in ``gross_amount``; ``gross_margin`` is left as the source gave it;
- **buyer**: a member with at least one paid order, linked by ``orders.member_id`` or,
  failing that, by ``orders.customer_id`` = ``members.customer_id`` (``buyer_id`` of
  :func:`paid_orders`);
- **attributed order**: a paid order in the period that the community earned (the ROI
  rule) — :func:`attributed_orders`;
- **member at the start**: in some group when the period starts — :func:`members_at_start`.

Every function takes a ``CommunityData`` (or, for :func:`engaged`, a frame) and returns a
LazyFrame; nothing collects. :func:`roster`, :func:`paid_orders`,
:func:`attributed_orders` and :func:`active_members` are shared per data object
(``CommunityData.shared``): every metric that asks gets the same cached subplan, which the
core's single ``collect_all`` computes once.
"""

from __future__ import annotations

import polars as pl

from core.data import CommunityData

NON_ENGAGED_KINDS = ("join", "leave")

__all__ = [
    "NON_ENGAGED_KINDS",
    "active_members",
    "attributed_orders",
    "engaged",
    "members_at_start",
    "paid_orders",
    "roster",
]


def engaged(activities: pl.LazyFrame) -> pl.LazyFrame:
    """Activities that count as participation: every kind but ``join`` and ``leave``.

    >>> acts = pl.LazyFrame({"kind": ["join", "message", "leave", "reply"]})
    >>> engaged(acts).collect()["kind"].to_list()
    ['message', 'reply']
    """
    return activities.filter(~pl.col("kind").is_in(NON_ENGAGED_KINDS))


def active_members(data: CommunityData) -> pl.LazyFrame:
    """``member_id`` of everyone with an engaged activity in the period (any id in the
    activities, listed in the members table or not), once each. Shared."""
    return data.shared(_active_members)


def _active_members(data: CommunityData) -> pl.LazyFrame:
    return engaged(data.activities).filter(data.in_period("at")).select("member_id").unique()


def paid_orders(data: CommunityData) -> pl.LazyFrame:
    """Every paid order to the period end, with ``buyer_id``: the member who placed it, or
    null for non-members. ``buyer_id`` is ``member_id``, else the member whose
    ``customer_id`` matches the order's (the smallest id when several do). ``amount`` is
    the net revenue ``amount − refunded_amount``; ``gross_amount`` keeps the order's
    amount. Shared."""
    return data.shared(_paid_orders)


def _paid_orders(data: CommunityData) -> pl.LazyFrame:
    links = (
        data.members.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(pl.col("member_id").min().alias("_linked_member"))
    )
    return (
        data.orders.filter(pl.col("status") == "paid")
        .with_columns(
            pl.col("amount").alias("gross_amount"),
            (pl.col("amount") - pl.col("refunded_amount").fill_null(0.0)).alias("amount"),
        )
        .join(links, on="customer_id", how="left")
        .with_columns(pl.coalesce("member_id", "_linked_member").alias("buyer_id"))
        .drop("_linked_member")
    )


def roster(data: CommunityData) -> pl.LazyFrame:
    """One row per member: ``member_id``, first ``joined_at``, last ``left_at`` (null
    while still in any group), the ``group_id`` joined first, the first ``segment`` and
    ``invited_by`` given. Shared."""
    return data.shared(_roster)


def _roster(data: CommunityData) -> pl.LazyFrame:
    return data.members.group_by("member_id").agg(
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

    An order counts when its buyer was a member when ordering (``buyer_id`` in the
    roster, joined at or before the order) or when it carries a ``campaign_id``;
    ``buyer_id`` is null for campaign orders of non-members. ``people`` replaces
    :func:`roster` (``member_id``, ``joined_at``) for a narrower notion of member; with the
    default roster the frame is shared.
    """
    if people is None or people is roster(data):
        return data.shared(_attributed_orders)
    return _attributed(data, people)


def _attributed_orders(data: CommunityData) -> pl.LazyFrame:
    return _attributed(data, roster(data))


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
    """``member_id`` of everyone in some group at the period start, once each: a
    membership joined before it (or at an unknown time) and not left by it. Taken per
    membership row, so someone who had left every group and rejoins in the period is not
    counted."""
    start = pl.lit(data.start)
    return (
        data.members.filter(
            (pl.col("joined_at").is_null() | (pl.col("joined_at") < start))
            & (pl.col("left_at").is_null() | (pl.col("left_at") >= start))
        )
        .select("member_id")
        .unique()
    )
