"""Event streams the engagement metric derives from activities and memberships.

- :func:`first_replies`: for every message or post placed in the period, the hours until
  its first reply by another member (what a backward ``join_asof`` of replies onto the
  replied member's messages, within a window, gives — computed from one sorted stream);
- :func:`presence_changes`: the instants at which a member entered the community (from no
  group to some group) or left it (from some group to none);
- :func:`distinct_members`: distinct members per window or month from the sorted
  (member, day) pairs.

None collects.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from communityroi import CommunityData

REPLIED_KINDS = ("message", "post")  # what a reply answers
# Polars divides a column by a number as a product with its reciprocal — except on chunks
# of one or two rows, where it divides — so a delay is µs × (1 / 3.6e9), written out so
# every row rounds the same way (one ulp apart from µs / 3.6e9 for some values)
HOURS_PER_US = 1 / 3.6e9


def first_replies(
    data: CommunityData, window: timedelta, acts: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """One row per message/post placed in P: ``delay_h``, hours to its first reply (null
    when none). ``acts``: the activities from the period start on (default
    ``data.activities``).

    A reply answers its target's latest message at or before it (within ``window``). Put
    the author's messages and the replies to them in one stream ordered by author, then
    time, messages before replies at the same instant: the replies a message receives are
    the rows after it up to the author's next (later) message, so its first reply is the
    row right after it — or after the other messages of that author at the same instant,
    which share its replies — when that row is a reply within the window. This is the
    backward ``join_asof`` by author followed by a per-message minimum, in two stable
    single-key sorts and a few row shifts instead of an as-of join, a group-by and a join
    back (a multi-key sort of the 5 M rows costs 4× the two single-key sorts)."""
    acts = data.activities if acts is None else acts
    author = pl.col("author")
    messages = acts.filter(pl.col("kind").is_in(REPLIED_KINDS) & data.in_period("at")).select(
        pl.col("member_id").to_physical().alias("author"), "at", pl.lit(False).alias("reply")
    )
    replies = acts.filter(
        (pl.col("kind") == "reply")
        & pl.col("target_member_id").is_not_null()
        & (pl.col("target_member_id") != pl.col("member_id"))
        & (pl.col("at") >= pl.lit(data.start))
    ).select(
        pl.col("target_member_id").to_physical().alias("author"), "at", pl.lit(True).alias("reply")
    )
    # messages come first in the concatenation, and both sorts keep the order of equal keys
    stream = (
        pl.concat([messages, replies])
        .sort("at", maintain_order=True)
        .with_columns(pl.col("reply").alias("_r"))  # keeps Polars from fusing the two sorts
        .sort("author", maintain_order=True)
    )
    at, after = pl.col("at"), pl.col("at").shift(-1)
    same_author = author.shift(-1) == author
    tied = (same_author & (after == at) & ~pl.col("_r").shift(-1)).fill_null(False)
    gap = (after - at).dt.total_microseconds()
    answered = same_author & pl.col("_r").shift(-1) & (gap <= window // timedelta(microseconds=1))
    # on the last message of each (author, instant): µs to its first reply, −1 for none;
    # the other messages of that instant take it from there (backward fill)
    first = pl.when(~pl.col("_r") & ~tied).then(pl.when(answered).then(gap).otherwise(-1))
    return (
        stream.select(pl.col("_r"), first.backward_fill().alias("_us"))
        .filter(~pl.col("_r"))
        .select(pl.when(pl.col("_us") >= 0).then(pl.col("_us") * HOURS_PER_US).alias("delay_h"))
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
    # memberships held after the event: a running sum of ``delta`` per member. The rows are
    # sorted by member, so it is the running sum over all rows minus its value before the
    # member's first row — cheaper than ``cum_sum().over("member_id")``, which hashes the
    # 1.2 M events again. Members are sorted by their Categorical code, not their text: any
    # order of members gives the same events.
    code = pl.col("member_id").to_physical()
    total = pl.col("delta").cum_sum()
    first = (code != code.shift(1)).fill_null(True)
    inside = total - pl.when(first).then(total - pl.col("delta")).forward_fill()
    return (
        events.sort(code, "t", "delta", descending=[False, False, True], nulls_last=False)
        .with_columns(inside.alias("after"))
        .with_columns((pl.col("after") - pl.col("delta")).alias("was"))
        .filter((pl.col("was") > 0) != (pl.col("after") > 0))
        .select("member_id", "t",
                pl.when(pl.col("after") > 0).then(1).otherwise(-1).alias("change"))
    )  # fmt: skip


def distinct_members(pairs: pl.LazyFrame, by: pl.Expr, name: str) -> pl.LazyFrame:
    """Per value of ``by`` (a day → window or month, non-decreasing in the day): how many
    distinct members ``pairs`` have in it (``active``). ``pairs`` is sorted by member,
    then day, so each (member, ``by``) pair is one run of rows: count the rows where the
    member or ``by`` differs from the row before — the same count as
    ``n_unique("member")`` per ``by``, without hashing 6 M pairs again."""
    member, key = pl.col("member"), pl.col(name)
    first = ((member != member.shift(1)) | (key != key.shift(1))).fill_null(True)
    return (
        pairs.select("member", by.alias(name))
        .filter(first)
        .group_by(name)
        .agg(pl.len().alias("active"))
    )
