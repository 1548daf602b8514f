"""The demo's operators (运营人员): three WeCom staff accounts who own the customers, with a
planted difference between them.

Who looks after whom (no randomness — by the group a person joined first):

- ``LinXiao`` (小林) — everyone who joined 新人福利群 first: the largest portfolio, ordinary
  buyers;
- ``ChenMei`` (陈美) — everyone who joined 茶友品鉴群 or VIP 会员群 first: fewer customers,
  the heavy buyers, so the highest revenue per customer;
- ``ZhouZhe`` (周哲) — everyone who joined 快闪群 first: flash-sale joiners, most of whom
  leave after the sale, so the lowest retention.

Their WeCom 联系客户统计 (``operator_days``, one row per operator per day of the history) is
drawn from its own random stream (the fifth child of the seed, so the people, activity,
orders and costs of the demo are unchanged) around **planted means**: average first reply
``REPLY_MINUTES`` = 2.5 / 4 / 12 minutes and reply rate ``REPLY_RATE`` = 95 / 90 / 70 % for
LinXiao / ChenMei / ZhouZhe — ZhouZhe answers slowest. New contacts are the operator's
customers who joined that day and negative feedback those who left (both counted, not
drawn); chats ~ Poisson(``CHATS``), messages = chats × (2 + Poisson(2)), friend requests ~
Poisson(1).

The ledger's labour rows of a group (the community manager's pay split over the groups)
are the operator of that group's (新人福利群 → LinXiao, 茶友品鉴群 and VIP 会员群 → ChenMei,
快闪群 → ZhouZhe), with ``hours`` = amount / ``HOURLY`` (¥50 an hour); amounts are unchanged.
Members carry ``channel`` "group_invite" on a membership they were invited into, else
"qr_code". Groups carry a purpose: 新人福利群 and 快闪群 pre-sales, 茶友品鉴群 after-sales,
VIP 会员群 vip.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from plugins.sources.demo_calendar import G_FLASH, G_NEW, G_TEA, G_VIP, GROUP_IDS, Calendar
from plugins.sources.demo_people import People

OPERATORS = ("LinXiao", "ChenMei", "ZhouZhe")
OF_GROUP = {G_NEW: 0, G_TEA: 1, G_VIP: 1, G_FLASH: 2}  # first group → operator index
REPLY_MINUTES = (2.5, 4.0, 12.0)
REPLY_RATE = (95.0, 90.0, 70.0)
CHATS = (6.0, 4.0, 3.0)
HOURLY = 50.0
PURPOSES = {G_NEW: "presales", G_TEA: "aftersales", G_VIP: "vip", G_FLASH: "presales"}


def operator_of(p: People) -> np.ndarray:
    """Operator index per person: by the group of the person's first membership."""
    n = len(p.member_id)
    order = np.lexsort((p.joined, p.person))  # by person, then join time
    first = np.full(n, -1)
    person = p.person[order]
    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    first[person[starts]] = p.group[order][starts]
    return np.vectorize(OF_GROUP.get)(first)


def with_operators(members: pl.DataFrame, p: People) -> pl.DataFrame:
    """``members_frame`` rows (ordered by join time) with operator_id and channel."""
    order = np.argsort(p.joined, kind="stable")  # the row order of members_frame
    op = operator_of(p)[p.person[order]]
    return members.with_columns(
        pl.Series("operator_id", np.array(OPERATORS)[op]),
        pl.when(pl.col("invited_by").is_not_null())
        .then(pl.lit("group_invite"))
        .otherwise(pl.lit("qr_code"))
        .alias("channel"),
    )


def with_labour_owner(costs: pl.DataFrame) -> pl.DataFrame:
    """Labour rows of a group belong to that group's operator, hours = amount / HOURLY."""
    owner = {GROUP_IDS[g]: OPERATORS[o] for g, o in OF_GROUP.items()}
    mine = (pl.col("category") == "labour") & pl.col("group_id").is_not_null()
    return costs.with_columns(
        pl.when(mine)
        .then(pl.col("group_id").replace_strict(owner, default=None))
        .alias("operator_id"),
        pl.when(mine).then(pl.col("amount") / HOURLY).alias("hours"),
    )


def with_purposes(groups: pl.DataFrame) -> pl.DataFrame:
    purpose = {GROUP_IDS[g]: v for g, v in PURPOSES.items()}
    return groups.with_columns(pl.col("group_id").replace_strict(purpose).alias("purpose"))


def operator_days(cal: Calendar, members: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One row per operator and day of the history (see module docstring)."""
    days = pl.date_range(cal.start, cal.end, eager=True)
    grid = pl.DataFrame({"operator_id": OPERATORS}).join(pl.DataFrame({"day": days}), how="cross")
    firsts = members.group_by("member_id").agg(
        pl.col("operator_id").first(),
        pl.col("joined_at").min().dt.date().alias("joined"),
        pl.when(pl.col("left_at").is_null().any())
        .then(None)
        .otherwise(pl.col("left_at").max())
        .dt.date()
        .alias("left"),
    )
    added = firsts.group_by("operator_id", pl.col("joined").alias("day")).agg(
        pl.len().cast(pl.Float64).alias("new_contacts")
    )
    gone = (
        firsts.drop_nulls("left")
        .group_by("operator_id", pl.col("left").alias("day"))
        .agg(pl.len().cast(pl.Float64).alias("negative_feedback"))
    )
    k = np.repeat(np.arange(len(OPERATORS)), len(days))  # grid rows: operator-major
    chats = rng.poisson(np.array(CHATS)[k]).astype(float)
    messages = chats * (2 + rng.poisson(2.0, size=k.size))
    rate = np.clip(rng.normal(np.array(REPLY_RATE)[k], 5.0), 0, 100).round(1)
    minutes = rng.gamma(4.0, np.array(REPLY_MINUTES)[k] / 4.0).round(1)
    applies = rng.poisson(1.0, size=k.size).astype(float)
    talked = chats > 0  # WeCom gives the reply figures only on days with chats
    return (
        grid.with_columns(
            pl.lit("wecom").alias("platform"),
            pl.Series("new_applies", applies),
            pl.Series("chats", chats),
            pl.Series("messages", messages),
            pl.Series("reply_rate", np.where(talked, rate, np.nan)).fill_nan(None),
            pl.Series("avg_reply_minutes", np.where(talked, minutes, np.nan)).fill_nan(None),
        )
        .join(added, on=["operator_id", "day"], how="left")
        .join(gone, on=["operator_id", "day"], how="left")
        .with_columns(pl.col("new_contacts", "negative_feedback").fill_null(0.0))
    )
