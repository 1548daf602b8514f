"""Event streams the engagement metric derives from activities and memberships.

- :func:`first_replies`: for every message or post placed in the period, the hours until
  its first reply by another member (a backward ``join_asof`` of replies onto the replied
  member's messages, within a window);
- :func:`presence_changes`: the instants at which a member entered the community (from no
  group to some group) or left it (from some group to none).

Neither collects.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from communityroi import CommunityData

REPLIED_KINDS = ("message", "post")  # what a reply answers


def first_replies(
    data: CommunityData, window: timedelta, acts: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """One row per message/post placed in P: ``delay_h``, hours to its first reply (null
    when none). Replies are matched to messages with a backward ``join_asof`` by author.
    ``acts``: the activities from the period start on (default ``data.activities``)."""
    acts = data.activities if acts is None else acts
    messages = (
        acts.filter(pl.col("kind").is_in(REPLIED_KINDS) & data.in_period("at"))
        .select(pl.col("member_id").alias("author"), pl.col("at").alias("msg_at"))
        .sort("msg_at")
    )
    replies = (
        acts.filter(
            (pl.col("kind") == "reply")
            & pl.col("target_member_id").is_not_null()
            & (pl.col("target_member_id") != pl.col("member_id"))
            & (pl.col("at") >= pl.lit(data.start))
        )
        .select(pl.col("target_member_id").alias("author"), pl.col("at").alias("reply_at"))
        .sort("reply_at")
    )
    # Only messages in P are candidates; that gives the same match as searching all
    # history and dropping matches before P (the latest message before a reply is either
    # in P, and then also the latest in-P one, or before P, and then no in-P one precedes).
    answered = (
        replies.join_asof(
            messages,
            left_on="reply_at",
            right_on="msg_at",
            by="author",
            strategy="backward",
            tolerance=window,
            check_sortedness=False,  # both sorted by time, so each author's rows are too
        )
        .filter(pl.col("msg_at").is_not_null())
        .group_by("author", "msg_at")
        .agg(pl.col("reply_at").min())
    )
    delay = (pl.col("reply_at") - pl.col("msg_at")).dt.total_microseconds() / 3.6e9
    return messages.join(answered, on=["author", "msg_at"], how="left").select(
        delay.alias("delay_h")
    )


def presence_changes(data: CommunityData) -> pl.LazyFrame:
    """When each member entered the community (``change`` +1: from no group to some group)
    or left it (−1: from some group to none), from their membership rows; ``t`` is null for
    a membership without a join time (there from the beginning). A member who switches
    groups at one instant, or holds two memberships, does not leave."""
    rows = data.members.select("member_id", "joined_at", "left_at")
    events = pl.concat([
        rows.select("member_id", pl.col("joined_at").alias("t"), pl.lit(1).alias("delta")),
        rows.filter(pl.col("left_at").is_not_null())
        .select("member_id", pl.col("left_at").alias("t"), pl.lit(-1).alias("delta")),
    ])  # fmt: skip
    inside = pl.col("delta").cum_sum().over("member_id")  # memberships held after the event
    return (
        events.sort("member_id", "t", "delta", descending=[False, False, True], nulls_last=False)
        .with_columns(inside.alias("after"))
        .with_columns((pl.col("after") - pl.col("delta")).alias("was"))
        .filter((pl.col("was") > 0) != (pl.col("after") > 0))
        .select("member_id", "t",
                pl.when(pl.col("after") > 0).then(1).otherwise(-1).alias("change"))
    )  # fmt: skip
