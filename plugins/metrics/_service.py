"""Service quality from the chats themselves: how fast operators answer customers in groups.

In each group, messages (kinds ``message`` and ``reply``) are read in time order. A
**response** is a message by an operator account that is not a filler reply
(``activities.filler``: 好的, OK, an emoji — marked by the source from its list). A
**question** is a customer message (any sender who is not an operator account) that is
not a filler either — a customer's "好的" or "谢谢" after an answer closes the exchange and
waits for nothing — sent **inside working hours** (``working_days``, ISO weekday 1 =
Monday, and ``working_hours`` "HH:MM-HH:MM", report time zone), and the first such message
since the group's previous response: later customer messages before the next response
wait for the same answer and are not counted again. A wait that begins outside working
hours ("在吗？" at 21:00) starts to count at the customer's first message inside them (the
question at 09:15 the next morning), not never.

A question counts in the report period it was asked in. It is **answered** when a
response follows in the same group before that day's working hours end; its
**first-response time** is the wall-clock minutes from the question to that response.
Per operator (the asking customer's ``operator_id``) and per group:

- questions; answered; **first-response time** = mean and median minutes over answered
  questions;
- **reply rate within N minutes** (default 3) = questions answered within N minutes /
  questions × 100 %;
- **unreplied rate** = questions not answered that working day / questions × 100 %.

Everything is lazy: one window pass over the group messages (a cumulative count of
responses numbers the waits), a join of each question to the response that ends its wait.
"""

from __future__ import annotations

from datetime import time

import polars as pl

from communityroi import CommunityData, cast_person_keys

CHAT_KINDS = ("message", "reply")


def parse_hours(text: str) -> tuple[time, time]:
    """``"09:00-18:00"`` → (09:00, 18:00); ValueError when it is not HH:MM-HH:MM with the
    start before the end.

    >>> parse_hours("09:00-18:30")
    (datetime.time(9, 0), datetime.time(18, 30))
    """
    try:
        a, b = (time.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ValueError(f"'{text}' is not working hours like 09:00-18:00") from None
    if a >= b:
        raise ValueError(f"'{text}': working hours must start before they end")
    return a, b


def questions(
    data: CommunityData,
    accounts: pl.LazyFrame,
    owner: pl.LazyFrame,
    hours: tuple[time, time],
    days: list[int],
    within: float,
) -> pl.LazyFrame:
    """One row per counted question: ``group_id``, ``operator_id`` (the asker's),
    ``answered``, ``minutes`` (null when not answered that working day), ``within``.

    ``accounts`` has ``member_id`` (person key) of every operator account; ``owner`` has
    ``member_id`` → ``operator_id`` of the customers."""
    acts = data.activities
    has_filler = "filler" in acts.collect_schema().names()
    filler = pl.col("filler").fill_null(False) if has_filler else pl.lit(False)
    msgs = (
        acts.filter(pl.col("kind").is_in(CHAT_KINDS) & pl.col("group_id").is_not_null())
        .select("group_id", "member_id", "at", filler.alias("filler"))
        .join(
            accounts.select("member_id", pl.lit(True).alias("is_op")),
            on="member_id",
            how="left",
        )
        .with_columns(pl.col("is_op").fill_null(False))
        .sort("group_id", "at", "is_op", maintain_order=True)  # ties: the customer first
        .with_columns(
            (pl.col("is_op") & ~pl.col("filler"))
            .cast(pl.Int32)
            .cum_sum()
            .over("group_id")
            .alias("wait")
        )
    )
    responses = msgs.filter(pl.col("is_op") & ~pl.col("filler")).select(
        "group_id", (pl.col("wait") - 1).alias("wait"), pl.col("at").alias("answered_at")
    )
    local = pl.col("at").dt.convert_time_zone(data.timezone)
    start, end = hours
    clock = local.dt.time()
    day_end = (
        local.dt.truncate("1d")
        .dt.offset_by(f"{end.hour}h{end.minute}m")
        .dt.convert_time_zone("UTC")
        .alias("day_end")
    )
    asked = (
        msgs.filter(
            ~pl.col("is_op")
            & ~pl.col("filler")
            & local.dt.weekday().is_in(days)
            & (clock >= pl.lit(start))
            & (clock < pl.lit(end))
        )
        .unique(["group_id", "wait"], keep="first", maintain_order=True)  # in time order
        .filter(data.in_period("at"))  # a wait asked before the period is the last one's
        .with_columns(day_end)
    )
    minutes = (pl.col("answered_at") - pl.col("at")).dt.total_seconds() / 60
    answered = pl.col("answered_at").is_not_null() & (pl.col("answered_at") < pl.col("day_end"))
    return (
        asked.join(responses, on=["group_id", "wait"], how="left")
        .join(cast_person_keys(owner), on="member_id", how="left")
        .select(
            "group_id",
            "operator_id",
            answered.alias("answered"),
            pl.when(answered).then(minutes).alias("minutes"),
        )
        .with_columns((pl.col("minutes") <= within).fill_null(False).alias("within"))
    )


def summary(q: pl.LazyFrame, *by: str) -> pl.LazyFrame:
    """Per ``by`` (none: overall): questions, answered, first-response mean and median
    minutes, reply rate within N minutes and unreplied rate (percent)."""
    aggs = [
        pl.len().alias("questions"),
        pl.col("answered").sum().alias("answered"),
        pl.col("minutes").mean().alias("first_response_minutes"),
        pl.col("minutes").median().alias("median_response_minutes"),
        (pl.col("within").mean() * 100).alias("reply_within_rate"),
        ((1 - pl.col("answered").cast(pl.Float64).mean()) * 100).alias("unreplied_rate"),
    ]
    if not by:
        return q.select(aggs)
    return q.group_by(*by).agg(aggs).sort(*by, nulls_last=True)
