"""Write a large synthetic community as Parquet for the benchmarks (not used by tests).

Default size: 1 M members, 10 M activities, 2 M orders over 2023-01-01 – 2025-12-31
(report time zone Asia/Shanghai, currency CNY), plus 200 groups, 80 campaigns and a
cost ledger. Everything is generated with vectorised numpy (seeded, so the same
arguments give the same files) and written to ``bench/data/`` (gitignored)::

    python bench/generate.py                 # full size, about 40 s
    python bench/generate.py --scale 0.01    # 10 k members, for a quick try

Other benchmarks load the files through the product's own boundary with :func:`load`::

    sys.path.insert(0, "bench"); from generate import load
    data = load()                            # CommunityData for 2025, tables in memory
    data = load(check=False)                 # … lazy over the Parquet files

Shape of the data (so results can be sanity-checked):

- members: one row per member, ids ``m0000000``…, joined over three years with growth,
  about 15 % have left, 30 % were invited (``invited_by`` an earlier member), half have
  a ``customer_id``; 5 % have a second membership row in another group.
- activities: member chosen with heavy-tailed weights (a third of members never act),
  time uniform over the member's stay, local hour from an evening-peaked profile
  (weekends peak also late morning). Replies are derived from earlier messages: a
  different member replies after an exponential delay (median ≈ 25 min) with
  ``target_member_id`` = the message's author. Reactions, mentions and invites target
  a popularity-weighted member. 10 % belong to a campaign (in its window and group).
- orders: about 20 % of members buy, heavy-tailed repeat counts, lognormal amounts
  (median ≈ ¥150), 5 % refunded; 30 % carry only ``customer_id``; 20 % are attributed
  to a campaign (inside its window, buyer from its group).
- costs: daily labour/platform/tools/content/ads rows, monthly per-group labour, and
  each campaign's cost spread over its days (category ``campaign``).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
TABLES = ("members", "activities", "orders", "costs", "campaigns", "groups")

HISTORY_START = date(2023, 1, 1)
HISTORY_END = date(2025, 12, 31)  # inclusive
TIMEZONE = "Asia/Shanghai"
TZ_OFFSET_H = 8  # Asia/Shanghai has no DST
CURRENCY = "CNY"
DEFAULT_PERIOD = (date(2025, 1, 1), date(2025, 12, 31))

US_PER_DAY = 86_400_000_000
US_PER_H = 3_600_000_000
EPOCH = date(1970, 1, 1)

# Local-hour profiles (relative weights for 00..23).
_WEEKDAY_HOURS = np.array(
    [2, 1, 0.5, 0.3, 0.3, 0.5, 1, 3, 5, 5, 4, 4, 6, 5, 4, 4, 4, 5, 6, 8, 12, 13, 9, 4], float
)
_WEEKEND_HOURS = np.array(
    [3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 3, 6, 9, 10, 8, 6, 5, 5, 5, 5, 6, 8, 11, 11, 8, 5], float
)
_KINDS = np.array(
    [
        *("message", "reaction", "share", "post", "comment", "checkin"),
        *("attend", "mention", "invite", "join", "leave"),
    ]
)
_KIND_P = np.array([0.50, 0.17, 0.05, 0.04, 0.08, 0.06, 0.02, 0.03, 0.02, 0.02, 0.01])
REPLY_SHARE = 0.20  # of all activities; derived from messages
CAMPAIGN_SHARE = 0.10


def _day_us(d: date) -> int:
    return (d - EPOCH).days * US_PER_DAY


def _ids(prefix: str, idx: np.ndarray, width: int) -> pl.Series:
    s = pl.Series(idx.astype(np.int64)).cast(pl.String).str.zfill(width)
    return (prefix + s).alias("id") if len(idx) else pl.Series([], dtype=pl.String)


def _utc(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _local_time(rng: np.random.Generator, lo_us: np.ndarray, hi_us: np.ndarray) -> np.ndarray:
    """A UTC instant in [lo, hi) whose local day is uniform and local hour follows the
    weekday/weekend profile (hi clipped to the history end)."""
    off = TZ_OFFSET_H * US_PER_H
    lo_day = (lo_us + off) // US_PER_DAY
    hi_day = np.maximum((hi_us + off - 1) // US_PER_DAY, lo_day)
    day = lo_day + np.floor(rng.random(len(lo_us)) * (hi_day - lo_day + 1)).astype(np.int64)
    weekend = ((day + 3) % 7) >= 5  # 1970-01-01 was a Thursday (ISO weekday index 3)
    cdf_wd = np.cumsum(_WEEKDAY_HOURS) / _WEEKDAY_HOURS.sum()
    cdf_we = np.cumsum(_WEEKEND_HOURS) / _WEEKEND_HOURS.sum()
    u = rng.random(len(day))
    hour = np.where(weekend, np.searchsorted(cdf_we, u), np.searchsorted(cdf_wd, u))
    within = (rng.random(len(day)) * US_PER_H).astype(np.int64)
    t = day * US_PER_DAY + hour * US_PER_H + within - off
    return np.clip(t, lo_us, np.maximum(hi_us - 1, lo_us))


def _members(rng, n: int, n_groups: int, group_w: np.ndarray):
    t0, t1 = _day_us(HISTORY_START), _day_us(HISTORY_END) + US_PER_DAY
    # Growth: join times with density increasing over time (sqrt of uniform → linear ramp).
    joined = np.sort(t0 + (np.sqrt(rng.random(n)) * (t1 - t0)).astype(np.int64))
    group = rng.choice(n_groups, size=n, p=group_w)
    stay = rng.exponential(400 * US_PER_DAY, size=n).astype(np.int64)
    left = joined + stay
    has_left = (rng.random(n) < 0.3) & (left < t1)
    invited = rng.random(n) < 0.3
    inviter = np.floor(rng.random(n) * np.arange(n)).astype(np.int64)  # an earlier joiner
    invited &= np.arange(n) > 0
    u = rng.random(n)
    segment = np.where(u < 0.1, "vip", np.where(u < 0.4, "flash", ""))
    has_cust = rng.random(n) < 0.5
    idx = np.arange(n)
    df = pl.DataFrame(
        {
            "member_id": _ids("m", idx, 7),
            "platform": pl.Series(np.where(rng.random(n) < 0.8, "wecom", "discord")),
            "joined_at": _utc(joined),
            "left_at": _utc(left),
            "invited_by": _ids("m", inviter, 7),
            "group_id": _ids("g", group, 3),
            "segment": pl.Series(segment),
            "customer_id": _ids("c", idx, 7),
            "display_name": _ids("User ", idx, 7),
        }
    ).with_columns(
        pl.when(pl.Series(has_left)).then(pl.col("left_at")),
        pl.when(pl.Series(invited)).then(pl.col("invited_by")),
        pl.when(pl.Series(has_cust)).then(pl.col("customer_id")),
        pl.when(pl.col("segment") != "").then(pl.col("segment")),
    )
    # 5 % hold a second membership in another group, joined later.
    extra = rng.random(n) < 0.05
    second = df.filter(pl.Series(extra)).with_columns(
        _ids("g", rng.choice(n_groups, size=int(extra.sum()), p=group_w), 3).alias("group_id"),
        (pl.col("joined_at") + pl.duration(days=30)).alias("joined_at"),
        pl.lit(None, pl.String).alias("invited_by"),
    )
    stay_end = np.where(has_left, left, t1)
    return pl.concat([df, second]), joined, stay_end, group


def _pick_in_groups(rng, member_group: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """For each requested group, a random member of that group (vectorised)."""
    order = np.argsort(member_group, kind="stable")
    counts = np.bincount(member_group, minlength=groups.max() + 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    size = np.maximum(counts[groups], 1)
    return order[
        np.minimum(starts[groups] + (rng.random(len(groups)) * size).astype(int), len(order) - 1)
    ]


def _draw_valid(batch, n: int) -> tuple[np.ndarray, ...]:
    """Draw batches (``batch(size) -> (ok, arrays)``) until ``n`` valid rows are found."""
    parts, have = [], 0
    while have < n:
        ok, arrays = batch(max(2 * (n - have), 1000))
        parts.append(tuple(a[ok] for a in arrays))
        have += int(ok.sum())
    return tuple(np.concatenate(col)[:n] for col in zip(*parts, strict=True))


def generate(out: Path = DATA_DIR, scale: float = 1.0, seed: int = 20251231) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    n_members = max(int(1_000_000 * scale), 100)
    n_acts = max(int(10_000_000 * scale), 1000)
    n_orders = max(int(2_000_000 * scale), 200)
    n_groups, n_campaigns = 200, 80
    t0, t1 = _day_us(HISTORY_START), _day_us(HISTORY_END) + US_PER_DAY
    out.mkdir(parents=True, exist_ok=True)

    # groups -----------------------------------------------------------------------
    gkind = np.array(
        ["flash_group"] * 120 + ["vip_group"] * 30 + ["channel"] * 30 + ["circle"] * 20
    )
    group_w = rng.lognormal(0, 1, n_groups)
    group_w /= group_w.sum()
    groups = pl.DataFrame(
        {
            "group_id": _ids("g", np.arange(n_groups), 3),
            "name": _ids("Group ", np.arange(n_groups), 3),
            "platform": "wecom",
            "kind": gkind,
            "created_at": _utc(t0 + (rng.random(n_groups) * (t1 - t0) * 0.5).astype(np.int64)),
        }
    )

    members, joined, stay_end, mgroup = _members(rng, n_members, n_groups, group_w)

    # campaigns ----------------------------------------------------------------------
    c_start = t0 + (rng.random(n_campaigns) * (t1 - t0 - 30 * US_PER_DAY)).astype(np.int64)
    c_start -= c_start % US_PER_DAY
    c_len = rng.integers(3, 31, n_campaigns) * US_PER_DAY
    c_group = rng.choice(n_groups, size=n_campaigns, p=group_w)
    c_kind = np.where(
        gkind[c_group] == "flash_group",
        "flash_group",
        np.where(
            gkind[c_group] == "vip_group",
            "vip_group",
            rng.choice(["event", "promotion"], n_campaigns),
        ),
    )
    budget = np.round(rng.lognormal(9, 0.8, n_campaigns), -2)
    campaigns = pl.DataFrame(
        {
            "campaign_id": _ids("cmp", np.arange(n_campaigns), 3),
            "name": _ids("Campaign ", np.arange(n_campaigns), 3),
            "kind": c_kind,
            "group_id": _ids("g", c_group, 3),
            "starts_at": _utc(c_start - TZ_OFFSET_H * US_PER_H),
            "ends_at": _utc(c_start + c_len - TZ_OFFSET_H * US_PER_H),
            "budget": budget,
        }
    )

    # activities ---------------------------------------------------------------------
    act_w = rng.lognormal(0, 1.5, n_members) * (rng.random(n_members) > 1 / 3)
    act_w /= act_w.sum()
    pop_w = rng.lognormal(0, 2.0, n_members)
    pop_w /= pop_w.sum()
    n_reply = int(n_acts * REPLY_SHARE)
    n_camp = int(n_acts * CAMPAIGN_SHARE)
    n_base = n_acts - n_reply - n_camp
    who = rng.choice(n_members, size=n_base, p=act_w)
    at = _local_time(rng, joined[who], stay_end[who])
    kind = _KINDS[rng.choice(len(_KINDS), size=n_base, p=_KIND_P)]
    targets_someone = np.isin(kind, ["reaction", "mention", "invite"])
    target = np.where(targets_someone, rng.choice(n_members, size=n_base, p=pop_w), -1)
    group = mgroup[who]

    # campaign activities: in the campaign's window, by a member of its group present then
    def campaign_batch(size):
        cmp = rng.integers(0, n_campaigns, size)
        who_ = _pick_in_groups(rng, mgroup, c_group[cmp])
        lo = np.maximum(c_start[cmp] - TZ_OFFSET_H * US_PER_H, joined[who_])
        hi = np.minimum(c_start[cmp] + c_len[cmp] - TZ_OFFSET_H * US_PER_H, stay_end[who_])
        ok = lo < hi
        return ok, (cmp, who_, _local_time(rng, lo, np.where(ok, hi, lo + 1)))

    cmp, c_who, c_at = _draw_valid(campaign_batch, n_camp)
    c_kind_a = rng.choice(["message", "checkin", "attend", "share"], n_camp, p=[0.6, 0.2, 0.1, 0.1])
    # replies: to an earlier message, by another member present at the time, after an
    # exponential delay
    msg_idx = np.flatnonzero(kind == "message")

    def reply_batch(size):
        src_ = msg_idx[rng.integers(0, len(msg_idx), size)]
        who_ = rng.choice(n_members, size=size, p=act_w)
        at_ = np.minimum(at[src_] + rng.exponential(36 * 60e6, size).astype(np.int64), t1 - 1)
        ok = (who_ != who[src_]) & (joined[who_] <= at_) & (at_ < stay_end[who_])
        return ok, (src_, who_, at_)

    src, r_who, r_at = _draw_valid(reply_batch, n_reply)
    all_who = np.concatenate([who, c_who, r_who])
    all_target = np.concatenate([target, np.full(n_camp, -1), who[src]])
    all_campaign = np.concatenate([np.full(n_base, -1), cmp, np.full(n_reply, -1)])
    activities = (
        pl.DataFrame(
            {
                "member_id": _ids("m", all_who, 7),
                "platform": "wecom",
                "at": _utc(np.concatenate([at, c_at, r_at])),
                "kind": pl.Series(np.concatenate([kind, c_kind_a, np.full(n_reply, "reply")])),
                "group_id": _ids("g", np.concatenate([group, c_group[cmp], group[src]]), 3),
                "target_member_id": _ids("m", np.maximum(all_target, 0), 7),
                "campaign_id": _ids("cmp", np.maximum(all_campaign, 0), 3),
            }
        )
        .with_columns(
            pl.when(pl.Series(all_target >= 0)).then(pl.col("target_member_id")),
            pl.when(pl.Series(all_campaign >= 0)).then(pl.col("campaign_id")),
        )
        .sort("at")
    )
    del kind, target, c_who, c_at, r_who, r_at

    # orders -------------------------------------------------------------------------
    buy_w = rng.lognormal(0, 1.2, n_members) * (rng.random(n_members) < 0.2)
    buy_w /= buy_w.sum()
    n_camp_o = int(n_orders * 0.2)
    n_base_o = n_orders - n_camp_o
    buyer = rng.choice(n_members, size=n_base_o, p=buy_w)
    o_at = _local_time(rng, joined[buyer], np.full(n_base_o, t1))
    o_cmp = rng.integers(0, n_campaigns, n_camp_o)
    o_cbuyer = _pick_in_groups(rng, mgroup, c_group[o_cmp])
    o_cat = _local_time(
        rng,
        c_start[o_cmp] - TZ_OFFSET_H * US_PER_H,
        c_start[o_cmp] + c_len[o_cmp] - TZ_OFFSET_H * US_PER_H,
    )
    all_buyer = np.concatenate([buyer, o_cbuyer])
    amount = np.round(rng.lognormal(np.log(150), 0.9, n_orders), 2)
    has_cust = members.head(n_members)["customer_id"].is_not_null().to_numpy()[all_buyer]
    only_cust = has_cust & (rng.random(n_orders) < 0.6)  # ≈ 30 % of all orders
    orders = (
        pl.DataFrame(
            {
                "order_id": _ids("o", np.arange(n_orders), 8),
                "member_id": _ids("m", all_buyer, 7),
                "customer_id": _ids("c", all_buyer, 7),
                "at": _utc(np.concatenate([o_at, o_cat])),
                "amount": amount,
                "currency": CURRENCY,
                "campaign_id": _ids("cmp", np.concatenate([np.zeros(n_base_o, int), o_cmp]), 3),
                "status": np.where(rng.random(n_orders) < 0.05, "refunded", "paid"),
                "gross_margin": np.round(amount * rng.uniform(0.3, 0.5, n_orders), 2),
            }
        )
        .with_columns(
            pl.when(~pl.Series(only_cust)).then(pl.col("member_id")),
            pl.when(pl.Series(has_cust)).then(pl.col("customer_id")),
            pl.when(pl.int_range(pl.len()) >= n_base_o).then(pl.col("campaign_id")),
        )
        .sort("at")
    )

    # costs --------------------------------------------------------------------------
    days = pl.date_range(HISTORY_START, HISTORY_END, "1d", eager=True)
    nd = len(days)
    daily = pl.concat(
        [
            pl.DataFrame(
                {
                    "category": cat,
                    "amount": np.round(rng.uniform(lo, hi, nd) * max(scale, 0.01), 2),
                    "incurred_on": days,
                }
            )
            for cat, lo, hi in (
                ("labour", 8000, 12000),
                ("platform_fee", 300, 500),
                ("tools", 100, 200),
                ("content", 1000, 3000),
                ("ads", 0, 6000),
            )
        ]
    )
    months = pl.date_range(HISTORY_START, HISTORY_END, "1mo", eager=True)
    per_group = pl.DataFrame({"group_id": groups["group_id"]}).join(
        pl.DataFrame({"incurred_on": months}), how="cross"
    )
    per_group = per_group.with_columns(
        pl.lit("labour").alias("category"),
        pl.Series(np.round(rng.uniform(500, 3000, per_group.height) * max(scale, 0.01), 2)).alias(
            "amount"
        ),
    )
    cdays = (c_len // US_PER_DAY).astype(int)
    rows = np.repeat(np.arange(n_campaigns), cdays)
    offs = np.arange(len(rows)) - np.repeat(np.cumsum(cdays) - cdays, cdays)
    camp_costs = pl.DataFrame(
        {
            "category": "campaign",
            "amount": np.round(budget[rows] / cdays[rows] * rng.uniform(0.8, 1.2, len(rows)), 2),
            "incurred_on": _utc(c_start[rows] + offs * US_PER_DAY).dt.date(),
            "campaign_id": _ids("cmp", rows, 3),
            "group_id": _ids("g", c_group[rows], 3),
        }
    )
    costs = pl.concat([daily, per_group, camp_costs], how="diagonal_relaxed").with_columns(
        pl.lit(CURRENCY).alias("currency")
    )

    frames = dict(
        members=members,
        activities=activities,
        orders=orders,
        costs=costs,
        campaigns=campaigns,
        groups=groups,
    )
    for name, df in frames.items():
        df.write_parquet(out / f"{name}.parquet", row_group_size=1_000_000)
    return {name: df.height for name, df in frames.items()}


def load(
    data_dir: Path = DATA_DIR,
    start: date = DEFAULT_PERIOD[0],
    end: date = DEFAULT_PERIOD[1],
    timezone: str = TIMEZONE,
    check: bool = True,
):
    """CommunityData over the Parquet files, through the product's boundary
    (``core.loading.conform_frames`` + ``core.data.make_data``).

    By default (``check=True``) this is what the product's pipeline does: the boundary's
    checks run and the conformed tables are collected into memory in one pass, person
    keys already Categorical (about 1.9 GB for the full-size data). ``check=False``
    leaves them lazy scans of the Parquet files, re-read and re-cast by every query that
    uses them."""
    from core.data import make_data
    from core.errors import DataError
    from core.loading import conform_frames
    from core.report import Period
    from core.specs import SourceFrame

    parts = [
        SourceFrame(t, pl.scan_parquet(data_dir / f"{t}.parquet"), origin=f"{t}.parquet")
        for t in TABLES
    ]
    loaded = conform_frames(parts, tz=timezone, currency=CURRENCY, check=check, person_keys=check)
    if loaded.problems:
        raise DataError(loaded.problems)
    return make_data(loaded.frames, Period(start, end), timezone, CURRENCY, materialize=check)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 1 M members (default)")
    ap.add_argument("--out", type=Path, default=DATA_DIR)
    ap.add_argument("--seed", type=int, default=20251231)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    sizes = generate(args.out, args.scale, args.seed)
    for name, rows in sizes.items():
        print(f"{name:<11} {rows:>11,} rows")
    print(f"wrote {args.out} in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
