"""The demo community's activity log: chat, reactions, check-ins, joins, invites, attendance.

Engaged actions are a Poisson count per (membership, day) with rate

    rate = activity(person) × boost(group, day) × weekday(day) × decay × novelty × present

where ``decay = exp(-days since first join / fade)`` (members who drift away),
``novelty = 1 + 1.5·exp(-days since first join / 4)`` (the first-week burst),
``present`` is the fraction of the day the membership covers, and ``boost`` carries the
group's base level and its campaigns. A person in several groups splits attention:
rates are divided by √(number of their groups). Times of day follow the hourly profiles
of ``demo_calendar`` (weekday or weekend; check-ins in the morning).

Replies, reactions and mentions point at the author of a recent message in the same
group; comments at the author of a recent post; invites at the invitee (matching
``members.invited_by``); join/leave rows match ``members.joined_at``/``left_at``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from plugins.sources.demo_calendar import (
    G_TEA,
    GROUP_IDS,
    HOURS_CHECKIN,
    HOURS_WEEKDAY,
    HOURS_WEEKEND,
    TASTING_EVENT,
    WEEKDAY_FACTOR,
    Calendar,
    text,
)
from plugins.sources.demo_people import People

KINDS = ("message", "reply", "reaction", "mention", "share", "post", "comment", "checkin")
# Kind mix per group (rows follow GROUP_IDS: g_new, g_tea, g_vip, g_flash).
KIND_MIX = np.array(
    [
        [0.52, 0.14, 0.12, 0.04, 0.05, 0.03, 0.02, 0.08],
        [0.40, 0.17, 0.12, 0.05, 0.03, 0.08, 0.05, 0.10],
        [0.45, 0.17, 0.13, 0.06, 0.04, 0.06, 0.04, 0.05],
        [0.50, 0.10, 0.10, 0.05, 0.20, 0.02, 0.01, 0.02],
    ]
)
_TARGETED = {"reply": 0.35, "reaction": 0.3, "mention": 0.05, "comment": 0.5}  # geometric p
_CONTENT = ("message", "post", "share", "reply")


def _hours(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(24, size=size, p=weights / weights.sum())


def _engaged(cal: Calendar, p: People, rng: np.random.Generator) -> dict[str, np.ndarray]:
    days = cal.n_days
    d = np.arange(days)[None, :]
    person = p.person[:, None]
    since = np.maximum(d + 0.5 - p.first_join[person], 0)
    decay = np.maximum(np.exp(-since / p.fade[person]), 0.04)
    novelty = 1 + 1.5 * np.exp(-since / 4)
    present = np.clip(np.minimum(d + 1, p.left[:, None]) - np.maximum(d, p.joined[:, None]), 0, 1)
    share = 1 / np.sqrt(np.bincount(p.person, minlength=p.member_id.size))[p.person]
    weekday = cal.weekday()
    rate = (
        (p.activity[p.person] * share)[:, None]
        * cal.boost()[p.group]
        * WEEKDAY_FACTOR[weekday][None, :]
        * decay
        * novelty
        * present
    )
    counts = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    row, day = cell // days, cell % days
    group = p.group[row]
    cum = KIND_MIX.cumsum(axis=1)[group]
    kind = (rng.random(row.size)[:, None] > cum).sum(axis=1).clip(max=len(KINDS) - 1)
    weekend = weekday[day] >= 5
    hour = np.where(
        weekend, _hours(rng, HOURS_WEEKEND, row.size), _hours(rng, HOURS_WEEKDAY, row.size)
    )
    hour = np.where(kind == KINDS.index("checkin"), _hours(rng, HOURS_CHECKIN, row.size), hour)
    t = day + (hour + rng.random(row.size)) / 24
    lo, hi = np.maximum(day, p.joined[row]), np.minimum(day + 1, p.left[row])
    outside = (t < lo) | (t >= hi)
    t = np.where(outside, lo + rng.random(row.size) * (hi - lo) * 0.999, t)
    return {"person": p.person[row], "group": group, "t": t, "kind": kind, "left": p.left[row]}


def _targets(ev: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Target person per event (-1 for none); events must be sorted by (group, t).
    Events whose target cannot be found become plain messages (kind changed in place)."""
    n = ev["t"].size
    target = np.full(n, -1)
    kind, group, person = ev["kind"], ev["group"], ev["person"]
    idx = np.arange(n)
    content = np.flatnonzero(np.isin(kind, [KINDS.index(k) for k in _CONTENT]))
    posts = np.flatnonzero(kind == KINDS.index("post"))
    for name, p_geo in _TARGETED.items():
        pool = posts if name == "comment" else content
        todo = np.flatnonzero(kind == KINDS.index(name))
        for _ in range(4):
            if todo.size == 0 or pool.size == 0:
                break
            back = np.searchsorted(pool, idx[todo]) - rng.geometric(p_geo, todo.size)
            j = pool[back.clip(0)]
            ok = (
                (back >= 0)
                & (group[j] == group[todo])
                & (person[j] != person[todo])
                & (ev["left"][j] > ev["t"][todo])  # the author is still in the group
            )
            target[todo[ok]] = person[j[ok]]
            todo = todo[~ok]
        kind[todo] = KINDS.index("message")
    return target


def activities_frame(cal: Calendar, p: People, rng: np.random.Generator) -> pl.DataFrame:
    ev = _engaged(cal, p, rng)
    order = np.lexsort((ev["t"], ev["group"]))
    ev = {k: v[order] for k, v in ev.items()}
    target = _targets(ev, rng)
    kinds = np.array((*KINDS, "join", "leave", "invite", "attend"))
    parts = [(ev["person"], ev["group"], ev["t"], kinds[ev["kind"]], target)]
    m = p.person.size
    parts.append((p.person, p.group, p.joined, np.full(m, "join"), np.full(m, -1)))
    gone = np.isfinite(p.left)
    parts.append((p.person[gone], p.group[gone], p.left[gone], np.full(gone.sum(), "leave"),
                  np.full(gone.sum(), -1)))  # fmt: skip
    inv = p.inviter >= 0
    parts.append((p.inviter[inv], p.group[inv], p.joined[inv], np.full(inv.sum(), "invite"),
                  p.person[inv]))  # fmt: skip
    parts.append(_attendance(cal, p, rng))
    person, group, t, kind, tgt = (np.concatenate(c) for c in zip(*parts, strict=True))
    campaign = np.full(t.size, -1)
    for ci, c in enumerate(cal.campaigns):
        for s, e in cal.windows(c):
            campaign[(group == c.group) & (t >= s) & (t < e)] = ci
    order = np.lexsort((kind, t))
    tgt, campaign = tgt[order], campaign[order]
    ids = np.array([c.campaign_id for c in cal.campaigns] + [""])
    return pl.DataFrame(
        {
            "member_id": text(p.member_id[person[order]]),
            "platform": "wechat",
            "at": cal.datetimes(t[order]),
            "kind": text(kind[order]),
            "group_id": text(np.array(GROUP_IDS)[group[order]]),
            "target_member_id": text(p.member_id[tgt.clip(0)], tgt >= 0),
            "campaign_id": text(ids[campaign], campaign >= 0),
        }
    )


def _attendance(cal: Calendar, p: People, rng: np.random.Generator) -> tuple:
    """About 45 of the tea group's members attend the offline tasting (more active members
    are likelier to come); one ``attend`` row each, checked in around the start."""
    cid, when = TASTING_EVENT
    if not any(c.campaign_id == cid for c in cal.campaigns):
        return tuple(np.empty(0, dtype=d) for d in (int, int, float, "<U6", int))
    te = cal.day(when)
    rows = np.flatnonzero((p.group == G_TEA) & (p.joined < te - 0.1) & (p.left > te + 0.2))
    w = p.activity[p.person[rows]]
    come = rng.random(rows.size) < np.minimum(1.0, 45 * w / max(w.sum(), 1e-9))
    rows = rows[come]
    t = te + (rng.random(rows.size) * 45 - 15) / 1440
    return (p.person[rows], p.group[rows], t, np.full(rows.size, "attend"), np.full(rows.size, -1))
