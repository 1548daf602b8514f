"""Polars fragments the chat-platform sources (Slack, Discord, Telegram, Discourse) share.

Each is a small function returning an expression or a lazy frame; the platform modules
keep their own format knowledge and use these for the steps that are the same everywhere:
reading an ISO 8601 instant, counting what was not loaded by reason, and listing members
as (member, group) rows plus one group-less row for people seen only outside any group.
"""

from __future__ import annotations

import polars as pl

UTC = pl.Datetime("us", "UTC")
# the row order of the canonical frames every chat source returns (nulls last), so the
# same export always gives the same frames
ACTIVITY_ORDER = ("at", "group_id", "kind", "member_id", "target_member_id")
MEMBER_ORDER = ("member_id", "group_id")


def iso_time(col: str) -> pl.Expr:
    """An ISO 8601 instant with an offset or ``Z``, with or without a fraction, as UTC.

    Text that is not one becomes null (the sources check required times themselves).

    Examples
    --------
    >>> df = pl.DataFrame({"t": ["2024-03-01T09:00:00.250Z", "2024-03-01T17:00:00+08:00"]})
    >>> df.select(iso_time("t"))["t"].dt.to_string("%H:%M:%S%.3f").to_list()
    ['09:00:00.250', '09:00:00.000']
    """
    text = pl.col(col).str.replace(r"Z$", "+00:00")
    return pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC"),
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%z", strict=False, time_zone="UTC"),
    ).cast(UTC)


def reason_counts(frame: pl.LazyFrame, reason: pl.Expr, *by: str) -> pl.LazyFrame:
    """``(*by, reason, rows)``: how many rows of ``frame`` have each non-null ``reason``.

    ``reason`` is null for a row that is loaded; ``by`` are columns kept as keys (e.g. the
    file a row came from).

    Examples
    --------
    >>> raw = pl.LazyFrame({"f": [0, 0, 1], "bot": [True, False, True]})
    >>> why = pl.when(pl.col("bot")).then(pl.lit("bot message"))
    >>> reason_counts(raw, why, "f").sort("f").collect().rows()
    [(0, 'bot message', 1), (1, 'bot message', 1)]
    """
    return (
        frame.select(*by, reason.alias("reason"))
        .drop_nulls("reason")
        .group_by(*by, "reason")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
    )


def memberships(pairs: pl.LazyFrame, seen: pl.LazyFrame) -> pl.LazyFrame:
    """``(member_id, group_id)``: every distinct pair, plus a row with no group for each id
    in ``seen`` (targets, listed users) that is in no pair.

    Examples
    --------
    >>> pairs = pl.LazyFrame({"member_id": ["a", "a"], "group_id": ["g", "g"]})
    >>> seen = pl.LazyFrame({"member_id": ["a", "b", None]})
    >>> memberships(pairs, seen).sort("member_id").collect().rows()
    [('a', 'g'), ('b', None)]
    """
    pairs = pairs.select("member_id", "group_id").unique()
    loose = (
        seen.select("member_id")
        .drop_nulls()
        .unique()
        .join(pairs, on="member_id", how="anti")
        .with_columns(pl.lit(None, pl.String).alias("group_id"))
    )
    return pl.concat([pairs, loose.select("member_id", "group_id")])


def left_at(last_join: str = "last_join", left: str = "left") -> pl.Expr:
    """The last leave, unless a later join brought the member back (then still in)."""
    return (
        pl.when(pl.col(last_join).is_null() | (pl.col(left) > pl.col(last_join)))
        .then(pl.col(left))
        .alias("left_at")
    )
