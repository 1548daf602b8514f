"""The demo community's calendar: groups, campaigns, daily rhythm and the cost ledger.

Everything here is fixed scenery for a made-up tea brand (山岚茶饮) in 2026; the random
parts (people, activity, orders) live in ``demo_people``, ``demo_activity`` and
``demo_orders``. Time is measured in *days since local midnight of the first day*
(Asia/Shanghai), as floats; ``Calendar.datetimes`` turns such floats into naive local
datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

# (group_id, name, kind, created_at local, activity factor outside campaigns)
GROUPS: tuple[tuple[str, str, str, datetime, float], ...] = (
    ("g_new", "新人福利群", "general", datetime(2026, 3, 20, 10, 0), 1.0),
    ("g_tea", "茶友品鉴群", "general", datetime(2026, 4, 8, 20, 0), 0.8),
    ("g_vip", "VIP 会员群", "vip_group", datetime(2026, 4, 15, 19, 30), 0.9),
    ("g_flash", "快闪群", "flash_group", datetime(2026, 6, 1, 12, 0), 0.15),
)
GROUP_IDS = tuple(g[0] for g in GROUPS)
G_NEW, G_TEA, G_VIP, G_FLASH = range(4)


@dataclass(frozen=True)
class Campaign:
    """A campaign: where it runs, its windows (local), and how strongly it moves people.

    ``boost`` multiplies activity in its group during a window; ``join_boost`` adds to the
    daily join intensity (people per day, relative to the base rate 1); ``buy_rate`` is
    the chance that a present group member places a campaign order; ``offer`` names the
    price list of those orders; ``costs`` are (category, amount, note, day offset from the
    first window's start) ledger rows.
    """

    campaign_id: str
    name: str
    kind: str
    group: int
    budget: float
    windows: tuple[tuple[datetime, datetime], ...]
    boost: float
    join_boost: float
    buy_rate: float
    offer: str
    costs: tuple[tuple[str, float, str, int], ...]


def _d(m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi)


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign(
        "c_618", "618 快闪团购", "flash_group", G_FLASH, 12_000.0,
        ((_d(6, 8, 10), _d(6, 19)),), 6.0, 9.0, 0.55, "flash",
        (("ads", 5_000.0, "618 快闪群朋友圈广告投放", -2),
         ("campaign", 4_200.0, "618 团购优惠券补贴", 0)),
    ),
    Campaign(
        "c_summer", "夏日冰茶节", "promotion", G_NEW, 9_000.0,
        ((_d(7, 15), _d(8, 1)),), 1.8, 1.5, 0.16, "promo",
        (("campaign", 3_600.0, "冰茶节满减券与随单赠品", 0),
         ("content", 1_500.0, "冰茶节海报与短视频拍摄", -3)),
    ),
    Campaign(
        "c_vipday", "VIP 会员日", "vip_group", G_VIP, 15_000.0,
        tuple((_d(m, 18), _d(m, 19)) for m in range(5, 11)), 3.0, 0.0, 0.42, "vipday",
        (),  # monthly costs: see monthly_costs()
    ),
    Campaign(
        "c_midautumn", "中秋礼盒预售", "promotion", G_NEW, 12_000.0,
        ((_d(9, 3), _d(9, 25)),), 1.6, 1.0, 0.08, "giftbox",
        (("campaign", 3_800.0, "中秋礼盒预售定金膨胀补贴", 0),
         ("ads", 3_000.0, "中秋礼盒朋友圈广告投放", 1)),
    ),
    Campaign(
        "c_national", "国庆快闪团购", "flash_group", G_FLASH, 12_000.0,
        ((_d(9, 29, 20), _d(10, 8)),), 6.0, 10.0, 0.45, "flash",
        (("ads", 2_400.0, "国庆快闪群朋友圈广告投放（一期）", -1),
         ("ads", 2_400.0, "国庆快闪群朋友圈广告投放（二期）", 3),
         ("campaign", 3_000.0, "国庆团购优惠券补贴与满赠", 2)),
    ),
    Campaign(
        "c_tasting", "新品试饮会", "event", G_TEA, 7_000.0,
        ((_d(10, 10), _d(10, 17, 18)),), 2.2, 0.8, 0.30, "tasting",
        (("campaign", 3_200.0, "试饮会场地、茶点与试饮装", 0),
         ("content", 900.0, "试饮会直播与短视频剪辑", 7)),
    ),
    Campaign(
        "c_1111", "双十一预热", "promotion", G_NEW, 10_000.0,
        ((_d(10, 20), _d(11, 1)),), 1.7, 1.2, 0.15, "promo",
        (("campaign", 2_600.0, "双十一预热定金膨胀券", 0),
         ("ads", 2_000.0, "双十一预热朋友圈广告投放", 2)),
    ),
)  # fmt: skip

# The offline tasting event (attend activities): start, and the campaign it belongs to.
TASTING_EVENT = ("c_tasting", _d(10, 17, 14))

# Hourly weights (local time) of engaged activity; weekday and weekend.
HOURS_WEEKDAY = np.array(
    [1.6, 0.7, 0.3, 0.12, 0.08, 0.12, 0.5, 1.6, 2.6, 2.8, 2.9, 3.4,
     5.6, 4.6, 2.4, 2.3, 2.4, 2.9, 3.4, 4.4, 7.2, 7.8, 5.6, 3.1]
)  # fmt: skip
HOURS_WEEKEND = np.array(
    [2.2, 1.1, 0.5, 0.2, 0.1, 0.1, 0.3, 0.8, 1.6, 2.6, 3.4, 3.8,
     4.8, 4.2, 3.6, 3.8, 3.6, 3.3, 3.3, 4.2, 6.6, 7.0, 5.8, 3.8]
)  # fmt: skip
# Morning check-ins (晨间打卡) and orders (late-evening shopping).
HOURS_CHECKIN = np.array(
    [0.2, 0.1, 0.0, 0.0, 0.0, 0.2, 1.5, 6.0, 7.0, 3.5, 1.5, 1.0,
     1.2, 0.8, 0.4, 0.4, 0.4, 0.4, 0.6, 0.8, 1.6, 2.2, 1.6, 0.6]
)  # fmt: skip
HOURS_ORDER = np.array(
    [2.0, 1.0, 0.4, 0.2, 0.1, 0.1, 0.3, 0.8, 1.6, 2.4, 3.0, 3.4,
     4.6, 4.0, 2.8, 2.6, 2.6, 2.6, 2.8, 3.6, 5.8, 6.8, 6.0, 3.6]
)  # fmt: skip
WEEKDAY_FACTOR = np.array([1.0, 1.0, 1.0, 1.05, 1.1, 0.85, 0.8])  # Mon … Sun


@dataclass(frozen=True)
class Calendar:
    """The demo window ``start``–``end`` (inclusive) and the scenery that falls inside it."""

    start: date
    end: date
    campaigns: tuple[Campaign, ...]

    @classmethod
    def build(cls, start: date, end: date) -> Calendar:
        t0 = datetime.combine(start, datetime.min.time())
        t1 = datetime.combine(end + timedelta(days=1), datetime.min.time())
        clipped = (
            replace(c, windows=tuple((max(s, t0), min(e, t1)) for s, e in c.windows
                                     if s < t1 and e > t0))
            for c in CAMPAIGNS
        )  # fmt: skip
        return cls(start, end, tuple(c for c in clipped if c.windows))

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def origin(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time())

    def day(self, when: datetime) -> float:
        """``when`` (local) as days since the start."""
        return (when - self.origin).total_seconds() / 86_400

    def windows(self, c: Campaign) -> np.ndarray:
        """The campaign's windows as an (n, 2) array of day floats."""
        return np.array([[self.day(s), self.day(e)] for s, e in c.windows], dtype=float)

    def weekday(self) -> np.ndarray:
        """Weekday (0 = Monday) of every day in the window."""
        return (self.start.weekday() + np.arange(self.n_days)) % 7

    def group_created(self) -> np.ndarray:
        return np.array([self.day(g[3]) for g in GROUPS])

    def boost(self) -> np.ndarray:
        """Activity level per (group, day): the group's base level, replaced by the
        campaign's ``boost`` on the part of each day one of its windows covers."""
        n = self.n_days
        out = np.tile(np.array([g[4] for g in GROUPS])[:, None], (1, n))
        days = np.arange(n)
        for c in self.campaigns:
            for s, e in self.windows(c):
                cover = np.clip(np.minimum(days + 1, e) - np.maximum(days, s), 0, 1)
                out[c.group] = out[c.group] * (1 - cover) + cover * c.boost
        return out

    def datetimes(self, t: np.ndarray) -> pl.Series:
        """Day floats → naive local datetimes (whole seconds)."""
        secs = np.floor(np.asarray(t, dtype=float) * 86_400).astype(np.int64)
        epoch = int((self.origin - datetime(1970, 1, 1)).total_seconds())
        return pl.Series((secs + epoch) * 1_000_000, dtype=pl.Int64).cast(pl.Datetime("us"))


def text(values: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """A String Series from a numpy string array, null where ``valid`` is False."""
    series = pl.Series(np.asarray(values).astype(str), dtype=pl.String)
    if valid is None:
        return series
    return pl.select(pl.when(pl.Series(np.asarray(valid, bool))).then(series)).to_series()


def groups_frame(cal: Calendar) -> pl.DataFrame:
    """The groups that exist by the end of the window."""
    end = datetime.combine(cal.end + timedelta(days=1), datetime.min.time())
    return pl.DataFrame(
        {
            "group_id": list(GROUP_IDS),
            "name": [g[1] for g in GROUPS],
            "platform": ["wechat"] * len(GROUPS),
            "kind": [g[2] for g in GROUPS],
            "created_at": [g[3] for g in GROUPS],
        },
        schema_overrides={"created_at": pl.Datetime("us")},
    ).filter(pl.col("created_at") < end)


def campaigns_frame(cal: Calendar) -> pl.DataFrame:
    cs = cal.campaigns
    return pl.DataFrame(
        {
            "campaign_id": [c.campaign_id for c in cs],
            "name": [c.name for c in cs],
            "kind": [c.kind for c in cs],
            "group_id": [GROUP_IDS[c.group] for c in cs],
            "starts_at": [c.windows[0][0] for c in cs],
            "ends_at": [c.windows[-1][1] - timedelta(seconds=1) for c in cs],
            "budget": [c.budget for c in cs],
        },
        schema={
            "campaign_id": pl.String,
            "name": pl.String,
            "kind": pl.String,
            "group_id": pl.String,
            "starts_at": pl.Datetime("us"),
            "ends_at": pl.Datetime("us"),
            "budget": pl.Float64,
        },
    )


# Monthly ledger: (category, amount, note, day of month, group or None,
# first month it applies). Amounts in CNY. Pay is booked mid-month, so a 31-day period
# (and the equal-length period before it) never holds two months' pay.
MONTHLY: tuple[tuple[str, float, str, int, int | None, int], ...] = (
    ("labour", 8_800.0, "社群运营专员薪资（含社保公积金）按工时分摊", 15, None, 4),
    ("labour", 2_600.0, "VIP 茶顾问（兼职）服务费", 15, G_VIP, 5),
    ("platform_fee", 980.0, "企业微信 SCRM 系统订阅（月付）", 1, None, 4),
    ("platform_fee", 600.0, "小程序商城技术服务费", 1, None, 4),
    ("ads", 2_200.0, "朋友圈广告·社群日常引流", 5, G_NEW, 4),
    ("content", 2_400.0, "茶品图文与短视频内容制作", 10, None, 4),
    ("tools", 299.0, "群接龙与群机器人工具订阅", 1, None, 4),
    ("tools", 168.0, "设计素材平台会员", 2, None, 4),
    ("other", 0.0, "样品与奖品快递费", 25, None, 4),
)
VIPDAY_COST = ("campaign", 2_200.0, "VIP 会员日茶样礼包与积分兑换")
# How the community manager's time (shared labour) is split over the groups that exist.
LABOUR_SHARES = {G_NEW: 0.55, G_TEA: 0.25, G_FLASH: 0.20}


def _split_labour(amount: float, note: str, day: date) -> list[tuple]:
    """One labour row per existing group; whole yuan, the last row takes the rest."""
    groups = [g for g in LABOUR_SHARES if GROUPS[g][3].date() <= day]
    total = sum(LABOUR_SHARES[g] for g in groups)
    parts = [float(round(amount * LABOUR_SHARES[g] / total)) for g in groups[:-1]]
    parts.append(amount - sum(parts))
    return [
        ("labour", part, f"{note}·{GROUPS[g][1]}", day, None, g)
        for g, part in zip(groups, parts, strict=True)
    ]


def costs_frame(cal: Calendar, rng: np.random.Generator) -> pl.DataFrame:
    """The cost ledger: monthly rows (loop over months) plus each campaign's own costs.

    The first month carries a one-off launch cost (ads); from July labour rises with a
    pay review; October adds seasonal content. ``other`` (courier fees) varies by month.
    The community manager's pay is split over the groups existing that day
    (``LABOUR_SHARES``, renormalised); platform fees, tools and courier costs are shared
    (no group).
    """
    rows: list[tuple] = []
    month = date(cal.start.year, cal.start.month, 1)
    while month <= cal.end:
        for cat, amount, note, dom, group, first in MONTHLY:
            if month.month < first and month.year == 2026:
                continue
            day = month.replace(day=dom)
            if cat == "other":
                amount = float(np.round(rng.uniform(380, 820), 2))
            if cat == "labour" and group is None and (month.year, month.month) >= (2026, 7):
                amount += 600.0  # pay review in July
            if cat == "content" and month.month == 10:
                amount += 800.0  # new-season product shoot
            if cat == "labour" and group is None:
                rows.extend(_split_labour(amount, note, day))
            else:
                rows.append((cat, amount, note, day, None, group))
        if month == date(cal.start.year, cal.start.month, 1):
            rows.append(
                ("ads", 4_000.0, "开群首月公众号推文引流", month.replace(day=3), None, G_NEW)
            )
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    for c in cal.campaigns:
        start = c.windows[0][0].date()
        items = list(c.costs)
        if c.campaign_id == "c_vipday":
            items = [(*VIPDAY_COST, (s.date() - start).days) for s, _ in c.windows]
        for cat, amount, note, offset in items:
            rows.append((cat, amount, note, start + timedelta(days=offset), c.campaign_id, c.group))
    rows = [r for r in rows if cal.start <= r[3] <= cal.end]
    rows.sort(key=lambda r: (r[3], r[0], r[2]))
    return pl.DataFrame(
        {
            "category": [r[0] for r in rows],
            "amount": [r[1] for r in rows],
            "currency": ["CNY"] * len(rows),
            "incurred_on": [r[3] for r in rows],
            "campaign_id": [r[4] for r in rows],
            "group_id": [None if r[5] is None else GROUP_IDS[r[5]] for r in rows],
            "note": [r[2] for r in rows],
        },
        schema={
            "category": pl.String,
            "amount": pl.Float64,
            "currency": pl.String,
            "incurred_on": pl.Date,
            "campaign_id": pl.String,
            "group_id": pl.String,
            "note": pl.String,
        },
    )
