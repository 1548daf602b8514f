"""The demo shop's orders: a shop with a history, a community with a planted effect.

**The planted effect** (what the ``incrementality`` metric should find). The shop sold
for ``SHOP_HISTORY_DAYS`` (182) days before the demo history starts (from 2025-10-01 with
the defaults). Every shop customer — each member who bound a shop account
(``has_customer``) and the shop's customers outside the community — buys as a Poisson
process at a personal rate λ ~ Gamma, times the shop's season ``season(day)`` (618,
Mid-Autumn and Double-11 peaks, a Spring-Festival dip). Heavy buyers join: members' λ is
drawn with a 2–4× higher mean than outsiders'. **After joining, a member's rate rises by
``UPLIFT`` = 25 %**, and the community's campaigns add their own orders. The orders the
community caused are marked as they are drawn (each order after joining is an extra one
with probability 0.25 / 1.25, thinning the Poisson process; every campaign order is
extra), so :func:`caused_revenue` gives the true incremental revenue; the demo's
October 2026 report (seed 2026) shows the estimate beside it in docs/methodology.md.

Members without a shop account are new to the shop: they start buying after joining,
following the BG/NBD story (Fader, Hardie & Lee 2005: orders as a Poisson process with a
personal rate, and a drop-out chance after every order), and a few non-members buy
through campaign links. Their orders carry only ``member_id``; members with an account
order with ``customer_id`` (store orders) or, after joining, often with ``member_id``.
Refunds: ~4 % (more in flash sales).

Order amounts come from price lists per offer (CNY); gross margin is 35–55 % of the
amount (28–36 % for flash group-buys).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from plugins.sources.demo_calendar import G_FLASH, HOURS_ORDER, Calendar, text
from plugins.sources.demo_people import FLASH, VIP, People, random_codes

_MENU = np.array([39, 59, 89, 129, 168, 239, 299, 399, 699, 1299], dtype=float)
OFFERS: dict[str, tuple[np.ndarray, np.ndarray, float]] = {  # prices, weights, discount
    "regular": (_MENU, np.array([16, 20, 20, 16, 10, 7, 5, 3, 2, 1]), 1.0),
    "vip": (_MENU, np.array([4, 8, 12, 15, 15, 15, 12, 10, 6, 3]), 1.0),
    "flash": (np.array([19.9, 29.9, 49.9, 69.9, 99, 139]), np.array([15, 30, 25, 15, 10, 5]), 1),
    "promo": (_MENU, np.array([10, 14, 18, 18, 14, 10, 8, 5, 2, 1]), 0.85),
    "vipday": (_MENU, np.array([2, 6, 10, 14, 16, 17, 15, 11, 6, 3]), 0.88),
    "giftbox": (np.array([199, 299, 399, 699, 1299.0]), np.array([30, 32, 22, 11, 5]), 1.0),
    "tasting": (np.array([68, 128, 258.0]), np.array([30, 50, 20]), 0.9),
}
OFFER_NAMES = tuple(OFFERS)

# BG/NBD-style parameters per segment (regular, vip, flash): P(buyer), mean days to the
# first order, mean days between orders, Beta(a, b) for the drop-out probability.
P_BUYER = np.array([0.40, 0.95, 0.55])
FIRST_DAYS = np.array([14.0, 2.0, 3.0])
GAP_DAYS = np.array([45.0, 18.0, 70.0])
DROP_AB = np.array([[2.0, 6.0], [1.0, 9.0], [3.0, 4.0]])
MAX_ORDERS = 30
NON_MEMBER_SHARE = 0.35  # shop customers outside the community, per community member
SHOP_HISTORY_DAYS = 182  # the shop's orders start this many days before the demo history
UPLIFT = 0.25  # joining raises a shop customer's buying rate by this share
# mean shop buying rate (orders per day) by segment (regular, vip, flash) and outsiders
SHOP_RATE = np.array([1 / 45, 1 / 18, 1 / 60])
OUTSIDER_RATE = 1 / 110


def season(cal: Calendar, t: np.ndarray) -> np.ndarray:
    """The shop's season on day ``t`` (a day float from the history start): 618 (June
    1–18) and Double-11 (Oct 21 – Nov 11) ×1.6, Mid-Autumn gifts (Sep 1–15) ×1.3, the
    Spring-Festival weeks (Jan 20 – Feb 10) ×0.7, otherwise 1."""
    day = np.datetime64(cal.start) + np.floor(t).astype("timedelta64[D]")
    md = (day - day.astype("datetime64[Y]")).astype(int)  # day of the year, 0-based
    leap = (day.astype("datetime64[Y]").astype(int) + 1970) % 4 == 0
    md = md - ((md >= 59) & leap)  # as in a common year
    out = np.ones(t.shape)
    out[(md >= 151) & (md < 169)] = 1.6  # Jun 1–18
    out[(md >= 293) & (md < 315)] = 1.6  # Oct 21 – Nov 11
    out[(md >= 243) & (md < 258)] = 1.3  # Sep 1–15
    out[(md >= 19) & (md < 41)] = 0.7  # Jan 20 – Feb 10
    return out


def _shop_buying(rng, lam, join, lo, hi, cal):
    """Orders (person index, day, caused) of people buying at rate ``lam × season``
    over [lo, hi), raised by ``UPLIFT`` from ``join`` on (inf: never joins); an order after
    joining is caused by the community with probability UPLIFT / (1 + UPLIFT)."""
    peak = 1.6 * (1 + UPLIFT)
    counts = rng.poisson(lam * peak * (hi - lo))
    who = np.repeat(np.arange(lam.size), counts)
    t = lo + rng.random(who.size) * (hi - lo)
    post = t >= join[who]
    keep = rng.random(who.size) * peak < season(cal, t) * np.where(post, 1 + UPLIFT, 1.0)
    who, t, post = who[keep], t[keep], post[keep]
    return who, t, post & (rng.random(who.size) < UPLIFT / (1 + UPLIFT))


def _process(rng, n, start, seg, horizon, keen=1.0):
    """Order times (person index, day) of ``n`` people under the repeat-buying process;
    ``keen`` scales the chance of becoming a buyer."""
    buyer = rng.random(n) < P_BUYER[seg] * keen
    first = start + rng.exponential(FIRST_DAYS[seg])
    lam = rng.gamma(2.0, 1 / (2.0 * GAP_DAYS[seg]))
    drop = rng.beta(DROP_AB[seg, 0], DROP_AB[seg, 1])
    gaps = rng.exponential(1.0, (n, MAX_ORDERS)) / lam[:, None]
    gaps[:, 0] = 0
    times = first[:, None] + gaps.cumsum(axis=1)
    died = rng.random((n, MAX_ORDERS)) < drop[:, None]
    alive = np.cumprod(np.hstack([np.ones((n, 1), bool), ~died[:, :-1]]), axis=1).astype(bool)
    ok = buyer[:, None] & alive & (times < horizon)
    who, k = np.nonzero(ok)
    return who, times[who, k]


def _at_hour(rng, t, lo):
    """Keep the day of ``t`` but draw the time of day from the order profile; not
    before ``lo``."""
    day = np.floor(t)
    hour = rng.choice(24, size=t.size, p=HOURS_ORDER / HOURS_ORDER.sum())
    out = day + (hour + rng.random(t.size)) / 24
    early = out < lo
    return np.where(early, lo + rng.random(t.size) * (day + 1 - lo) * 0.999, out)


def _amounts(rng, offer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    amount = np.zeros(offer.size)
    for i, name in enumerate(OFFER_NAMES):
        rows = np.flatnonzero(offer == i)
        prices, weights, discount = OFFERS[name]
        price = rng.choice(prices, size=rows.size, p=weights / weights.sum())
        qty_p = [0.55, 0.3, 0.15] if name == "flash" else [0.82, 0.14, 0.04]
        qty = np.where(price < 300, rng.choice([1, 2, 3], size=rows.size, p=qty_p), 1)
        amount[rows] = np.round(price * qty * discount, 2)
    flash = offer == OFFER_NAMES.index("flash")
    rate = np.where(flash, rng.uniform(0.28, 0.36, offer.size), rng.uniform(0.35, 0.55, offer.size))
    return amount, np.round(amount * rate, 2)


def orders_frame(cal: Calendar, p: People, rng: np.random.Generator) -> pl.DataFrame:
    return _orders(cal, p, rng)[0]


def caused_revenue(cal: Calendar, p: People, rng: np.random.Generator, lo: float, hi: float):
    """The true incremental revenue in days [lo, hi): paid orders the community caused,
    placed by members with a shop account (the ones the estimate can see)."""
    frame, caused, day, buyer = _orders(cal, p, rng)
    seen = caused & (buyer >= 0) & p.has_customer[buyer.clip(0)] & (day >= lo) & (day < hi)
    paid = (frame["status"] == "paid").to_numpy()
    return float(frame["amount"].to_numpy()[seen & paid].sum())


def _orders(cal: Calendar, p: People, rng: np.random.Generator):
    n, days = p.member_id.size, cal.n_days
    # shop customers among the members: baseline buying from the shop's history on
    seg_rate = SHOP_RATE[p.segment] * np.where(p.lurker, 0.8, 1.0)
    lam = rng.gamma(0.8, seg_rate / 0.8)
    shop = np.flatnonzero(p.has_customer)
    who, t, caused = _shop_buying(rng, lam[shop], p.first_join[shop], -SHOP_HISTORY_DAYS, days, cal)
    who = shop[who]
    # new to the shop: members without an account buy after joining (BG/NBD story)
    new = np.flatnonzero(~p.has_customer)
    keen = np.where(p.lurker[new], 0.7, 1.12)
    nw, nt = _process(rng, new.size, p.first_join[new], p.segment[new], days, keen)
    nt = _at_hour(rng, nt, p.first_join[new][nw])
    who, t = np.concatenate([who, new[nw]]), np.concatenate([t, nt])
    caused = np.concatenate([caused, np.zeros(nw.size, bool)])
    offer = np.where(p.segment[who] == VIP, OFFER_NAMES.index("vip"), 0)
    campaign = np.full(t.size, -1)
    # shop customers outside the community: baseline buying only
    k = round(NON_MEMBER_SHARE * n)
    nm_lam = rng.gamma(0.8, OUTSIDER_RATE / 0.8, k)
    nm_who, nm_t, _ = _shop_buying(rng, nm_lam, np.full(k, np.inf), -SHOP_HISTORY_DAYS, days, cal)
    nm_t = _at_hour(rng, nm_t, -SHOP_HISTORY_DAYS)
    parts = [(who, t, offer, campaign, caused),
             (-1 - nm_who, nm_t, np.zeros(nm_t.size, int), np.full(nm_t.size, -1),
              np.zeros(nm_t.size, bool))]  # fmt: skip
    for ci, c in enumerate(cal.campaigns):
        wins = cal.windows(c)
        # half of the ordinary orders placed in a window by a member of the campaign's
        # group use its coupon (attributed)
        rows = np.flatnonzero(p.group == c.group)
        g_join, g_left = np.full(n, np.inf), np.full(n, np.inf)
        g_join[p.person[rows]], g_left[p.person[rows]] = p.joined[rows], p.left[rows]
        present = (g_join[who] <= t) & (t < g_left[who])
        for s, e in wins:
            tag = present & (t >= s) & (t < e) & (rng.random(t.size) < 0.5) & (campaign < 0)
            campaign[tag] = ci
            parts.append((*_campaign_orders(rng, cal, p, c, ci, s, e), None))
        # non-members who came through a shared link
        extra = rng.poisson(6 + 10 * (c.group == G_FLASH))
        win = wins[rng.integers(0, len(wins), extra)]
        tt = win[:, 0] + rng.beta(1.0, 2.5, extra) * (win[:, 1] - win[:, 0])
        offer_c = np.full(extra, OFFER_NAMES.index(c.offer))
        parts.append(
            (-1 - k - rng.integers(0, 10 * k + 1, extra), tt, offer_c, np.full(extra, ci), None)
        )
    # campaign orders are extra orders: all caused by the community
    parts = [(w, tt, o, c, np.ones(w.size, bool) if x is None else x) for w, tt, o, c, x in parts]
    who, t, offer, campaign, caused = (np.concatenate(c) for c in zip(*parts, strict=True))
    t = np.minimum(t, days - 1e-6)
    amount, margin = _amounts(rng, offer)
    flash = offer == OFFER_NAMES.index("flash")
    refunded = rng.random(t.size) < np.where(flash, 0.08, 0.035)
    # linking keys: members mostly carry member_id; some orders only a customer_id
    member = who >= 0
    has_cid = ~member | p.has_customer[who.clip(0)]
    only_customer = (
        member & has_cid & ((rng.random(t.size) < 0.3) | (t < p.first_join[who.clip(0)]))
    )
    outsiders = _outsider_ids(rng, p, int(-who.min()) if who.size else 0)
    cid = np.where(member, p.customer_id[who.clip(0)], outsiders[(-1 - who).clip(0)])
    o = np.argsort(t, kind="stable")
    ids = np.array([c.campaign_id for c in cal.campaigns] + [""])
    frame = pl.DataFrame(
        {
            "member_id": text(p.member_id[who.clip(0)][o], (member & ~only_customer)[o]),
            "customer_id": text(cid[o], has_cid[o]),
            "at": cal.datetimes(t[o]),
            "amount": amount[o],
            "currency": "CNY",
            "campaign_id": text(ids[campaign[o]], campaign[o] >= 0),
            "status": text(np.where(refunded, "refunded", "paid")[o]),
            "gross_margin": margin[o],
        }
    )
    seq = pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(5)
    frame = frame.select(
        pl.concat_str(pl.lit("SL"), pl.col("at").dt.strftime("%Y%m%d"), seq).alias("order_id"),
        pl.all(),
    )
    return frame, caused[o], t[o], who[o]


def _outsider_ids(rng, p: People, count: int) -> np.ndarray:
    """``count`` customer ids like the members' (C + 8 digits) that no member has."""
    taken = p.customer_id[p.has_customer]
    codes = np.char.add("C", random_codes(rng, 2 * count + taken.size + 1, "0123456789", 8))
    return codes[~np.isin(codes, taken)][:count]


def _campaign_orders(rng, cal, p, c, ci, s, e):
    """Members present in the campaign's group during the window buy with ``buy_rate``
    (VIPs and flash members are keener), front-loaded in the window."""
    rows = np.flatnonzero((p.group == c.group) & (p.joined < e) & (p.left > s))
    keen = np.where(p.segment[p.person[rows]] == VIP, 1.4, 1.0)
    keen = np.where(p.segment[p.person[rows]] == FLASH, 1.1, keen)
    keen = keen * np.where(p.lurker[p.person[rows]], 0.7, 1.12)
    rows = rows[rng.random(rows.size) < np.minimum(c.buy_rate * keen, 0.95)]
    lo = np.maximum(s, p.joined[rows])
    span = np.minimum(e, p.left[rows]) - lo
    t = lo + rng.beta(1.0, 2.0, rows.size) * span
    t = np.maximum(_at_hour(rng, t, lo), lo)
    t = np.where(t < np.minimum(e, p.left[rows]), t, lo + 0.5 * span)
    offer = np.full(rows.size, OFFER_NAMES.index(c.offer))
    return p.person[rows], t, offer, np.full(rows.size, ci)
