"""Referral (裂变) frames shared by the influence metric: who invited whom, invitations
sent, invited joins, and the revenue referred members bring. All lazy.

Definitions (see :mod:`plugins.metrics.influence` for the report wording):

- a member's **inviter** is ``members.invited_by``, else the member whose earliest
  ``invite`` activity targeted them, provided they joined no more than an hour before that
  invitation (export clocks differ) or later;
- **invitation pairs** of a period: (inviter, invitee) from the period's invite activities
  (invitee may be unknown) and from referred members whose first join is in the period;
- **invitations sent** = distinct pairs with a known invitee + invite activities without one.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from communityroi import CommunityData
from plugins.metrics import _common

JOIN_TOLERANCE = timedelta(hours=1)


def referrals(data: CommunityData, roster: pl.LazyFrame) -> pl.LazyFrame:
    """One row per referred member (all history to period end): invitee, inviter,
    joined_at (first join)."""
    listed = roster.filter(
        pl.col("invited_by").is_not_null() & (pl.col("invited_by") != pl.col("member_id"))
    ).select(invitee="member_id", inviter="invited_by", joined_at="joined_at")
    first_invite = (
        data.activities.filter(
            (pl.col("kind") == "invite")
            & pl.col("target_member_id").is_not_null()
            & (pl.col("target_member_id") != pl.col("member_id"))
        )
        .group_by(invitee="target_member_id")
        .agg(
            pl.col("member_id").sort_by("at", "member_id").first().alias("inviter"),
            pl.col("at").min().alias("invited_at"),
        )
    )
    from_activities = (
        first_invite.join(listed, on="invitee", how="anti")
        .join(roster.select(invitee="member_id", joined_at="joined_at"), on="invitee")
        .filter(pl.col("joined_at") >= pl.col("invited_at") - JOIN_TOLERANCE)
        .select("invitee", "inviter", "joined_at")
    )
    return pl.concat([listed, from_activities])


def invitation_pairs(data: CommunityData, joined: pl.LazyFrame) -> pl.LazyFrame:
    """(inviter, invitee) rows of the period; ``joined`` = referrals joined in the period.
    Not de-duplicated: use :func:`count_invitations`."""
    invites = data.activities.filter(data.in_period("at") & (pl.col("kind") == "invite")).select(
        inviter="member_id", invitee="target_member_id"
    )
    invites = invites.filter(pl.col("invitee").ne_missing(pl.col("inviter")))
    return pl.concat([invites, joined.select("inviter", "invitee")])


def count_invitations() -> pl.Expr:
    """Aggregation over invitation pairs: distinct known pairs + rows with no invitee."""
    known = pl.struct("inviter", "invitee").filter(pl.col("invitee").is_not_null())
    return (known.n_unique() + pl.col("invitee").null_count()).cast(pl.UInt32)


def per_inviter(pairs: pl.LazyFrame, joined: pl.LazyFrame, sales: pl.LazyFrame) -> pl.LazyFrame:
    """member_id, invites_sent, invitees_joined, referred_buyers, referral_revenue (nulls
    where a member has none)."""
    sent = pairs.group_by(member_id="inviter").agg(count_invitations().alias("invites_sent"))
    came = joined.group_by(member_id="inviter").agg(
        pl.len().cast(pl.UInt32).alias("invitees_joined")
    )
    spent = sales.group_by(member_id="inviter").agg(
        pl.col("invitee").n_unique().cast(pl.UInt32).alias("referred_buyers"),
        pl.col("amount").sum().alias("referral_revenue"),
    )
    full = {"on": "member_id", "how": "full", "coalesce": True}
    return sent.join(came, **full).join(spent, **full)


def referred_sales(data: CommunityData, refs: pl.LazyFrame) -> pl.LazyFrame:
    """The period's paid orders of referred members: invitee, inviter, amount."""
    orders = _common.paid_orders(data).filter(
        data.in_period("at") & pl.col("buyer_id").is_not_null()
    )
    return refs.join(orders.select(invitee="buyer_id", amount="amount"), on="invitee")


def members_at_start(data: CommunityData, roster: pl.LazyFrame) -> pl.LazyFrame:
    """Members who joined before the period (or at an unknown time) and had not left by
    its start."""
    start = pl.lit(data.start)
    return roster.filter(
        (pl.col("joined_at").is_null() | (pl.col("joined_at") < start))
        & (pl.col("left_at").is_null() | (pl.col("left_at") >= start))
    )
