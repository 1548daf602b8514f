"""The built-in ``demo`` source: a seeded, synthetic WeChat community (社群) of a made-up
tea brand, 山岚茶饮, run by a made-up agency, 知群运营.

``communityroi demo`` turns it into the demo report. It is rich enough to exercise every
metric — growth, churn, referrals (裂变), interaction graph, hourly rhythm, repeat buying,
refunds, campaign attribution, a full cost ledger — and deterministic: the same options
give identical frames (all randomness comes from ``numpy.random.Generator`` streams
spawned from ``seed``).

The story (defaults: 2026-04-01 to 2026-10-31, 900 people):

- four groups: 新人福利群 (general, where most people land), 茶友品鉴群 (tea lovers),
  VIP 会员群 (members who bought the membership) and 快闪群 (a flash-sale group opened for
  618 and re-used for the National-Day sale);
- seven campaigns: 618 快闪团购 (June), 夏日冰茶节 (July), VIP 会员日 (the 18th of every
  month), 中秋礼盒预售 (September), 国庆快闪团购, 新品试饮会 (an offline tasting on
  17 October) and 双十一预热 (late October);
- people join at a growing rate with waves in campaigns; about 30 % are invited by an
  earlier member of the same group (a few super-inviters); flash-sale joiners mostly
  leave after the sale; many members lurk (潜水) and some fade; VIPs stay active and buy
  more;
- the ledger has every cost category every month plus each campaign's own costs; the
  community manager's pay is split over the groups, so per-group ROI is meaningful.

Story in October 2026 (seed 2026, the demo period): the shop's heavy buyers are the
ones who joined, so the ROI on all revenue from members is ≈ 460 %, while the revenue
the community caused — the planted 25 % lift and the campaigns' own orders, ¥59,080 in
truth (:func:`planted_incremental`) — gives an incremental ROI of ≈ 45 % (estimate
¥52,753, 90 % interval ¥25,565 to ¥76,752). The VIP group returns several times what the
flash group does.

Three operators own the customers (``demo_operators``, planted: 陈美 looks after the VIP
and tea-lover groups — the highest revenue per customer; 周哲 the flash-sale joiners —
the lowest retention and the slowest replies, 12 minutes on average against 2.5 and 4;
小林 everyone else — the largest portfolio); the groups carry a purpose (pre-sales,
after-sales, VIP).

See ``demo_people``, ``demo_activity``, ``demo_orders`` and ``demo_operators`` for the
formulas behind the draws. Timestamps are naive Asia/Shanghai local times
(``SourceFrame.timezone``); the core converts them to UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from communityroi import SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources.demo_activity import activities_frame
from plugins.sources.demo_calendar import Calendar, campaigns_frame, costs_frame, groups_frame
from plugins.sources.demo_operators import (
    operator_days,
    with_labour_owner,
    with_operators,
    with_purposes,
)
from plugins.sources.demo_orders import caused_revenue, orders_frame
from plugins.sources.demo_people import make_people, members_frame

DEMO_PERIOD_START = date(2026, 10, 1)
DEMO_PERIOD_END = date(2026, 10, 31)
DEMO_TIMEZONE = "Asia/Shanghai"
DEMO_CURRENCY = "CNY"
DEMO_CLIENT = "山岚茶饮"
DEMO_AGENCY = "知群运营"
EARLIEST_START = date(2026, 3, 20)  # 新人福利群 is created that day
MAX_MEMBER_DAYS = 12_000_000  # keeps the (membership × day) rate matrix in memory


class DemoOptions(BaseModel):
    """Options of the demo source."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(2026, description="Random seed; the same seed gives the same data.")
    members: int = Field(900, ge=20, le=50_000, description="People over the whole history.")
    start: date = Field(date(2026, 4, 1), description="First day of the history.")
    end: date = Field(date(2026, 10, 31), description="Last day of the history (inclusive).")

    @model_validator(mode="after")
    def _window(self) -> DemoOptions:
        if self.start < EARLIEST_START:
            raise ValueError(
                f"the demo community opens on {EARLIEST_START}; make 'start' that day or later"
            )
        days = (self.end - self.start).days + 1
        if days < 28:
            raise ValueError("the demo history needs at least 28 days: make 'end' later")
        if self.members * days > MAX_MEMBER_DAYS:
            raise ValueError(
                f"members × days of history is limited to {MAX_MEMBER_DAYS:,}; "
                "use fewer members or a shorter history"
            )
        return self


def generate(options: DemoOptions) -> dict[str, pl.DataFrame]:
    """All seven tables as Polars DataFrames (naive local times). The operators
    (``demo_operators``) draw from a fifth stream, so adding them changed nothing else."""
    cal = Calendar.build(options.start, options.end)
    streams = np.random.SeedSequence(options.seed).spawn(5)
    people_rng, activity_rng, order_rng, cost_rng, operator_rng = (
        np.random.default_rng(s) for s in streams
    )
    people = make_people(cal, options.members, people_rng)
    members = with_operators(members_frame(cal, people), people)
    return {
        "groups": with_purposes(groups_frame(cal)),
        "campaigns": campaigns_frame(cal),
        "members": members,
        "activities": activities_frame(cal, people, activity_rng),
        "orders": orders_frame(cal, people, order_rng),
        "costs": with_labour_owner(costs_frame(cal, cost_rng)),
        "operator_days": operator_days(cal, members, operator_rng),
    }


def planted_incremental(options: DemoOptions, start: date, end: date) -> float:
    """The revenue the community truly caused from ``start`` to ``end`` (inclusive): the
    marked orders of ``demo_orders`` (members with a shop account), drawn from the same
    seed as :func:`generate`."""
    cal = Calendar.build(options.start, options.end)
    streams = np.random.SeedSequence(options.seed).spawn(4)
    people = make_people(cal, options.members, np.random.default_rng(streams[0]))
    lo = cal.day(datetime.combine(start, time()))
    hi = cal.day(datetime.combine(end, time())) + 1
    return caused_revenue(cal, people, np.random.default_rng(streams[2]), lo, hi)


def load(options: DemoOptions, ctx: SourceContext) -> list[SourceFrame]:
    """The demo tables as SourceFrames (origin ``demo``, platform ``wechat``)."""
    ctx.progress(f"generating the demo community (seed {options.seed})")
    return [
        SourceFrame(
            table,
            frame.lazy(),
            origin="demo",
            platform="wechat",
            timezone=DEMO_TIMEZONE,
        )
        for table, frame in generate(options).items()
    ]


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="demo",
            description=(
                f"Synthetic WeChat community of {DEMO_CLIENT} (a made-up tea brand): members, "
                "activity, orders, costs and campaigns, seeded and reproducible."
            ),
            load=load,
            options=DemoOptions,
        )
    ]
