"""Referral (裂变) frames for the influence metric: who invited whom, invitations sent,
invited joins, and the revenue referred members bring. All lazy.

Definitions (see :mod:`plugins.metrics.influence` for the report wording):

- a member's **inviter** is ``members.invited_by``, else the member whose earliest
  ``invite`` activity targeted them, provided they joined no more than an hour before that
  invitation (export clocks differ) or later;
- **invitation pairs** of a period: (inviter, invitee) from the period's invite activities
  (invitee may be unknown) and from referred members whose first join is in the period;
- **invitations sent** = distinct pairs with a known invitee + invite activities without one.

Each input is used once in the plan: every scan of the conformed activities re-runs the
boundary's text cleaning, and Polars does not always share repeated subplans.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from communityroi import CommunityData, views

JOIN_TOLERANCE = timedelta(hours=1)


def invites(data: CommunityData) -> pl.LazyFrame:
    """Invite activities up to the period end: inviter, invitee (may be null), at."""
    return (
        data.activities.filter(pl.col("kind") == "invite")
        .select(inviter="member_id", invitee="target_member_id", at="at")
        .filter(pl.col("invitee").ne_missing(pl.col("inviter")))
    )


def referrals(invited: pl.LazyFrame, roster: pl.LazyFrame) -> pl.LazyFrame:
    """One row per referred member (all history to period end): invitee, inviter,
    joined_at (first join). ``invited`` is :func:`invites`."""
    first_invite = (
        invited.filter(pl.col("invitee").is_not_null())
        .group_by(member_id="invitee")
        .agg(
            pl.col("inviter").sort_by("at", "inviter").first().alias("_inviter"),
            pl.col("at").min().alias("_invited_at"),
        )
    )
    listed = pl.col("invited_by").is_not_null() & (pl.col("invited_by") != pl.col("member_id"))
    after = pl.col("joined_at") >= pl.col("_invited_at") - JOIN_TOLERANCE
    return (
        roster.select("member_id", "invited_by", "joined_at")
        .join(first_invite, on="member_id", how="left")
        .select(
            invitee="member_id",
            inviter=pl.when(listed).then("invited_by").when(after).then("_inviter"),
            joined_at="joined_at",
        )
        .filter(pl.col("inviter").is_not_null())
    )


def per_inviter(data: CommunityData, roster: pl.LazyFrame) -> pl.LazyFrame:
    """One row per inviter of the period: member_id, invites_sent, invitees_joined,
    referred_buyers (referred members with a paid order in the period, whenever they
    joined) and referral_revenue (their paid orders in the period)."""
    invited = invites(data)
    refs = referrals(invited, roster)
    spent = (
        views.paid_orders(data)
        .filter(data.in_period("at") & pl.col("buyer_id").is_not_null())
        .group_by(invitee="buyer_id")
        .agg(pl.col("amount").sum().alias("spent"))
    )
    referred = (
        refs.join(spent, on="invitee", how="left")
        .select(
            "inviter",
            "invitee",
            "spent",
            pair=data.in_period("joined_at").fill_null(False),
            referral=pl.lit(True),
        )
        .filter(pl.col("pair") | pl.col("spent").is_not_null())
    )
    sent = invited.filter(data.in_period("at")).select(
        "inviter",
        "invitee",
        spent=pl.lit(None, pl.Float64),
        pair=pl.lit(True),
        referral=pl.lit(False),
    )
    pair, invitee, referral = pl.col("pair"), pl.col("invitee"), pl.col("referral")
    known = invitee.filter(pair & invitee.is_not_null()).n_unique()
    return (
        pl.concat([sent, referred])
        .group_by(member_id="inviter")
        .agg(
            (known + invitee.filter(pair).null_count()).cast(pl.UInt32).alias("invites_sent"),
            (referral & pair).sum().cast(pl.UInt32).alias("invitees_joined"),
            (referral & pl.col("spent").is_not_null())
            .sum()
            .cast(pl.UInt32)
            .alias("referred_buyers"),
            pl.col("spent").sum().alias("referral_revenue"),
        )
    )


def shared_per_inviter(data: CommunityData) -> pl.LazyFrame:
    """:func:`per_inviter` over the members' roster, shared per data object (the influence
    metric and the scorecard's profile columns both use it)."""
    return data.shared(_per_inviter)


def _per_inviter(data: CommunityData) -> pl.LazyFrame:
    return per_inviter(data, views.roster(data))
