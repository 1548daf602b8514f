"""A shop whose community has a known effect, for the incrementality tests.

Every customer buys as a Poisson process with a personal rate λ ~ Gamma (orders per day)
times a shared season s(t) (a yearly wave and a November sale). Heavy buyers are likelier
to join (selection on purchase rate), at a time spread over the last 18 months. After
joining, a member's rate is multiplied by ``1 + effect``; ``pretrend`` multiplies it by
``1 + pretrend`` in the 90 days before joining (a planted pre-trend). Order amounts are
log-normal, the same for everyone.

The truth is drawn, not assumed: orders are drawn at the member's raised rate and each
order after joining is marked "caused" with probability effect / (1 + effect) (thinning
a Poisson process), so the revenue the community caused is the sum of the marked orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl

HISTORY = date(2024, 1, 1)
PERIOD = (date(2025, 7, 1), date(2025, 12, 31))
DAYS = (PERIOD[1] - HISTORY).days + 1
JOIN_FROM = (date(2024, 7, 1) - HISTORY).days


@dataclass(frozen=True)
class Shop:
    members: pl.DataFrame
    orders: pl.DataFrame
    truth: float  # revenue caused in the period
    attributed: float  # members' revenue after joining in the period


def season(day: np.ndarray) -> np.ndarray:
    nov = (day % 365 >= 305) & (day % 365 < 320)
    return (1 + 0.3 * np.sin(2 * np.pi * day / 365)) * np.where(nov, 1.8, 1.0)


def shop(
    seed: int, n: int = 2000, effect: float = 0.3, pretrend: float = 0.0, mean_rate: float = 0.02
) -> Shop:
    rng = np.random.default_rng(seed)
    lam = rng.gamma(1.2, mean_rate / 1.2, n)
    p_join = np.clip(0.1 + 0.5 * lam / (lam + mean_rate), 0, 1)  # heavy buyers join more
    member = rng.random(n) < p_join
    join = np.where(member, rng.uniform(JOIN_FROM, DAYS + 60, n), np.inf)  # some after the end
    peak = 1.8 * 1.3 * (1 + effect) * (1 + pretrend)
    counts = rng.poisson(lam * peak * DAYS)
    who = np.repeat(np.arange(n), counts)
    t = rng.uniform(0, DAYS, who.size)
    post = t >= join[who]
    pre = ~post & (t >= join[who] - 90)
    rate = season(t) * np.where(post, 1 + effect, 1.0) * np.where(pre, 1 + pretrend, 1.0)
    keep = rng.random(who.size) < rate / peak
    who, t, post = who[keep], t[keep], post[keep]
    caused = post & (rng.random(who.size) < effect / (1 + effect))
    amount = np.round(rng.lognormal(4.3, 0.6, who.size), 2)
    in_period = t >= (PERIOD[0] - HISTORY).days
    origin = np.datetime64(datetime(2024, 1, 1), "us")
    at = origin + (t * 86_400e6).astype("timedelta64[us]")
    ids = np.char.add("c", np.arange(n).astype(str))
    joined_members = np.flatnonzero(member & (join < DAYS))
    members = pl.DataFrame(
        {
            "member_id": np.char.add("m", joined_members.astype(str)),
            "customer_id": ids[joined_members],
            "joined_at": origin + (join[joined_members] * 86_400e6).astype("timedelta64[us]"),
            "group_id": np.where(joined_members % 3 == 0, "g1", "g2"),
        }
    )
    orders = pl.DataFrame(
        {
            "order_id": np.char.add("o", np.arange(who.size).astype(str)),
            "customer_id": ids[who],
            "at": at,
            "amount": amount,
        }
    )
    return Shop(
        members,
        orders,
        truth=float(amount[caused & in_period].sum()),
        attributed=float(amount[post & in_period].sum()),
    )
