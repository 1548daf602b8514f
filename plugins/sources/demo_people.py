"""The demo community's people: who joins when, which groups they are in, who invited
whom, who leaves, and how active and how keen to buy each person is.

All draws are vectorised over people; the only loops are over groups and campaigns.
Person arrays are ordered by first join time, so "earlier member" is "lower index".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from plugins.sources.demo_calendar import (
    G_FLASH,
    G_NEW,
    G_TEA,
    G_VIP,
    GROUP_IDS,
    HOURS_WEEKDAY,
    Calendar,
    text,
)

SEGMENTS = ("regular", "vip", "flash")
REGULAR, VIP, FLASH = range(3)

_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁沈任姚卢钟姜崔谭陆汪范廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺顾毛郝龚邵万覃武钱戴严莫孔向汤"
)
_GIVEN = list(
    "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉萍红玲丹萍鹏辉雪琳晨宇欣怡浩然子涵梓轩雨婷佳琪思远诗雅若曦文博晓梅嘉怡一诺俊熙悦彤沐阳安琪紫萱"
)
_ENGLISH = [
    "Lily", "Amy", "Cathy", "Grace", "Vivian", "Cindy", "Kevin", "Jason", "Eric", "Tony",
    "Coco", "Sunny", "Yuki", "Momo", "Ivy", "Jessie", "Helen", "Anna", "Leo", "Mia", "Zoe",
    "Ella", "Jack", "Nina", "Kiki", "Rita", "Sean", "Wendy", "Iris", "Angel", "Judy",
]  # fmt: skip
_WORDS = [
    "晴天", "一杯清茶", "柠檬不酸", "南风", "知足常乐", "向日葵", "小确幸", "岁月静好",
    "慢生活", "茶小白", "清风徐来", "半夏", "夏天的风", "木木", "简单就好", "好好吃饭",
    "云淡风轻", "大白", "阿狸", "橙子", "喝茶的猫", "静待花开", "山间小溪", "明月", "微笑",
    "Sweet", "茉莉花开", "星星", "桃子", "奶茶不加糖",
]  # fmt: skip
_TITLES = ("先生", "小姐", "女士", "老师", "姐", "哥")
_KIDS = list("乐悦果果糖豆朵贝宝萌")


@dataclass(frozen=True)
class People:
    """Per person (length n, join order) and per membership (length m) arrays."""

    member_id: np.ndarray  # str, per person
    display_name: np.ndarray  # str
    customer_id: np.ndarray  # str (meaningful where has_customer)
    has_customer: np.ndarray  # bool: the member bound a shop account
    segment: np.ndarray  # int code into SEGMENTS
    first_join: np.ndarray  # day float
    activity: np.ndarray  # engaged actions per day while present (before decay)
    lurker: np.ndarray  # bool: 潜水 — reads, rarely speaks, buys less
    fade: np.ndarray  # decay time constant in days (inf: no decay)
    # memberships
    person: np.ndarray  # person index
    group: np.ndarray  # group index
    joined: np.ndarray  # day float
    left: np.ndarray  # day float, inf while still a member
    inviter: np.ndarray  # person index or -1 (only on the row of the group invited into)


def random_codes(rng: np.random.Generator, n: int, alphabet: str, width: int) -> np.ndarray:
    """``n`` distinct random codes of ``width`` characters from ``alphabet``."""
    base = len(alphabet)
    values = rng.choice(base**width, size=n, replace=False)
    digits = (values[:, None] // base ** np.arange(width - 1, -1, -1)) % base
    chars = np.array(list(alphabet))[digits]
    return np.ascontiguousarray(chars).view(f"<U{width}").ravel()


def nicknames(rng: np.random.Generator, n: int) -> np.ndarray:
    """WeChat-style nicknames: real-looking names, 小/阿 names, 王先生-style titles,
    English names, word nicknames and 糖糖妈妈-style parent names. Not unique."""
    pick = lambda pool: np.array(pool)[rng.integers(0, len(pool), n)]  # noqa: E731
    sur, g1, g2 = pick(_SURNAMES), pick(_GIVEN), pick(_GIVEN)
    two = rng.random(n) < 0.6
    full = np.char.add(sur, np.where(two, np.char.add(g1, g2), g1))
    small = np.char.add(np.where(rng.random(n) < 0.6, "小", "阿"), g1)
    titled = np.char.add(sur, pick(_TITLES))
    eng = pick(_ENGLISH)
    eng = np.where(rng.random(n) < 0.3, np.char.add(eng, sur), eng)
    kid = pick(_KIDS)
    parent = np.char.add(np.char.add(kid, kid), np.where(rng.random(n) < 0.7, "妈妈", "爸爸"))
    style = rng.choice(6, size=n, p=[0.36, 0.12, 0.1, 0.16, 0.17, 0.09])
    return np.select(
        [style == 0, style == 1, style == 2, style == 3, style == 4],
        [full, small, titled, eng, pick(_WORDS)],
        parent,
    )


def make_people(cal: Calendar, n: int, rng: np.random.Generator) -> People:
    """Draw ``n`` people and their memberships (see the module docstring of ``demo``)."""
    days = cal.n_days
    created = cal.group_created()
    # -- joining: slow growth, a launch wave, and campaign recruitment waves ---------------
    intensity = 1.0 + 1.2 * np.arange(days) / days
    intensity[:7] += 2.5
    flash_windows = []
    d = np.arange(days)
    for c in cal.campaigns:
        for s, e in cal.windows(c):
            cover = np.clip(np.minimum(d + 1, e) - np.maximum(d, s), 0, 1)
            intensity += cover * c.join_boost * np.exp(-(d - s) / 4)
            if c.group == G_FLASH:
                flash_windows.append((s, e))
    day = rng.choice(days, size=n, p=intensity / intensity.sum())
    hour = rng.choice(24, size=n, p=HOURS_WEEKDAY / HOURS_WEEKDAY.sum())
    first = np.sort(day + (hour + rng.random(n)) / 24)

    in_flash = np.zeros(n, dtype=bool)
    flash_end = np.full(n, np.inf)
    for s, e in flash_windows:
        hit = (first >= s) & (first < e)
        in_flash |= hit
        flash_end = np.where(hit, e, flash_end)
    flash = in_flash & (rng.random(n) < 0.8)
    u = rng.random(n)
    segment = np.where(flash, np.where(u < 0.04, VIP, FLASH), np.where(u < 0.15, VIP, REGULAR))

    # -- memberships ------------------------------------------------------------------------
    # most VIPs (bought a membership card) go straight into the VIP group once it exists
    direct_vip = (segment == VIP) & ~flash & (first > created[G_VIP]) & (rng.random(n) < 0.6)
    # some tea lovers are recruited straight into the tea group (offline tastings, 朋友圈)
    direct_tea = ~flash & ~direct_vip & (first > created[G_TEA]) & (rng.random(n) < 0.15)
    home = np.select([flash, direct_vip, direct_tea], [G_FLASH, G_VIP, G_TEA], G_NEW)
    rows = [(np.arange(n), home, first)]
    vip = (segment == VIP) & ~direct_vip
    t_vip = np.maximum(first + rng.uniform(0, 4, n), created[G_VIP] + rng.uniform(0, 2, n))
    rows.append((np.flatnonzero(vip), np.full(vip.sum(), G_VIP), t_vip[vip]))
    tea = ~flash & ~direct_tea & (rng.random(n) < np.where(vip, 0.5, 0.22))
    t_tea = np.maximum(first + rng.exponential(10, n), created[G_TEA] + rng.uniform(0, 3, n))
    rows.append((np.flatnonzero(tea), np.full(tea.sum(), G_TEA), t_tea[tea]))
    moved = flash & (rng.random(n) < 0.35)
    t_moved = first + rng.uniform(1, 10, n)
    rows.append((np.flatnonzero(moved), np.full(moved.sum(), G_NEW), t_moved[moved]))
    person = np.concatenate([r[0] for r in rows])
    group = np.concatenate([r[1] for r in rows])
    joined = np.concatenate([r[2] for r in rows])
    keep = joined < days
    person, group, joined = person[keep], group[keep], joined[keep]
    segment = np.where((segment == VIP) & ~np.isin(np.arange(n), person[group == G_VIP]),
                       REGULAR, segment)  # fmt: skip
    m = person.size

    # -- leaving: flash-group members drift off after the sale; others rarely -------------
    p_leave = np.array([0.2, 0.1, 0.04, 0.5])[group]
    after = np.array([50.0, 70.0, 90.0, 5.0])[group]
    anchor = np.where(group == G_FLASH, np.maximum(joined, flash_end[person]), joined)
    anchor = np.where(np.isfinite(anchor), anchor, joined)
    left = anchor + rng.exponential(1.0, m) * after + 0.05
    left = np.where((rng.random(m) < p_leave) & (left < days), left, np.inf)

    # -- referrals (裂变): an earlier member of the same home group invited them ----------
    propensity = rng.lognormal(0.0, 1.3, n) * np.where(segment == VIP, 2.0, 1.0)
    inviter = np.full(m, -1)
    p_invited = np.where(group == G_FLASH, 0.5, 0.36)
    for g in (G_NEW, G_TEA, G_VIP, G_FLASH):
        rows_g = np.flatnonzero(group[:n] == g)  # home rows: row i is person i, in join order
        if rows_g.size < 2:
            continue
        cw = np.cumsum(propensity[person[rows_g]])
        k = np.arange(1, rows_g.size)
        pick = np.searchsorted(cw, rng.random(k.size) * cw[k - 1], side="right")
        pick = np.minimum(pick, k - 1)
        who, by = rows_g[k], rows_g[pick]
        ok = (
            (rng.random(k.size) < p_invited[who])
            & (left[by] > joined[who])
            & (joined[by] < joined[who] - 1 / 24)
            & (first[person[who]] > 1)
        )
        inviter[who[ok]] = person[by[ok]]

    # -- engagement and identity ------------------------------------------------------------
    mean_rate = np.array([0.5, 1.2, 0.25])[segment]
    lurker = rng.random(n) < np.array([0.4, 0.1, 0.45])[segment]  # 潜水: read, rarely speak
    activity = rng.gamma(0.7, mean_rate / 0.7) * np.where(lurker, 0.03, 1.0)
    fades = rng.random(n) < np.array([0.55, 0.2, 0.7])[segment]
    fade = np.where(fades, rng.uniform(15, 80, n), np.inf)
    customer = rng.random(n) < np.where(segment == VIP, 0.95, 0.72)
    cids = np.char.add("C", random_codes(rng, n, "0123456789", 8))
    return People(
        member_id=np.char.add(
            "wxid_", random_codes(rng, n, "abcdefghijklmnopqrstuvwxyz0123456789", 10)
        ),
        display_name=nicknames(rng, n),
        customer_id=cids,
        has_customer=customer,
        segment=segment,
        first_join=first,
        activity=activity,
        lurker=lurker,
        fade=fade,
        person=person,
        group=group,
        joined=joined,
        left=left,
        inviter=inviter,
    )


def members_frame(cal: Calendar, p: People) -> pl.DataFrame:
    """One row per membership, ordered by join time."""
    order = np.argsort(p.joined, kind="stable")
    person, inviter = p.person[order], p.inviter[order]
    left = p.left[order]
    return pl.DataFrame(
        {
            "member_id": text(p.member_id[person]),
            "platform": "wechat",
            "joined_at": cal.datetimes(p.joined[order]),
            "left_at": cal.datetimes(np.where(np.isfinite(left), left, 0)),
            "invited_by": text(p.member_id[inviter.clip(0)], inviter >= 0),
            "group_id": text(np.array(GROUP_IDS)[p.group[order]]),
            "segment": text(np.array(SEGMENTS)[p.segment[person]]),
            "customer_id": text(p.customer_id[person], p.has_customer[person]),
            "display_name": text(p.display_name[person]),
        }
    ).with_columns(pl.when(pl.Series(np.isfinite(left))).then(pl.col("left_at")).alias("left_at"))
