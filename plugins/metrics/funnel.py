"""Funnel: joined → active → first purchase → repeat purchase, overall and per group.

Definitions (period P, report time zone). Each step is a subset of the one before:

1. **Joined**: members during P — joined before the end of P (or no join time) and not
   left before its start (``population = "new"``: only members who joined in P).
2. **Active**: of those, members with an engaged activity (not join/leave) in P.
3. **Bought** (first purchase): of those, members with at least one paid order, placed at or after
   they joined (``orders = "period"``: placed in P, the default; ``"to_date"``: any time up
   to the end of P). Orders link to members by ``member_id`` or ``customer_id``.
4. **Bought again** (repeat purchase): of those, members with at least two such orders.

**Step conversion** = step / previous step × 100 %; **overall conversion** = step /
joined × 100 %. Per group: the same counts over the members of each group during P (a
member of two groups counts in both; activity and orders are counted anywhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import (
    KPI,
    Chart,
    ColumnInfo,
    CommunityData,
    Finding,
    Formula,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    hookimpl,
)
from communityroi.views import active_members, attributed_orders, paid_orders, roster
from plugins.metrics._common import safe_div
from plugins.metrics.campaigns import KIND_LABELS, group_members

STEPS = {
    "joined": T("Joined", "入群"),
    "active": T("Active", "活跃"),
    "buyer": T("Bought", "购买"),
    "repeat": T("Bought again", "复购"),
}


class FunnelOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    population: Literal["members", "new"] = "members"
    orders: Literal["period", "to_date"] = "period"


def member_flags(data: CommunityData, opts: FunnelOptions) -> pl.LazyFrame:
    """One row per member in the funnel's population: ``active`` (bool), ``orders``
    (paid orders counted for the purchase steps)."""
    people = roster(data).select("member_id", "joined_at", "left_at").cache()
    during = (pl.col("joined_at").is_null() | (pl.col("joined_at") < pl.lit(data.end))) & (
        pl.col("left_at").is_null() | (pl.col("left_at") >= pl.lit(data.start))
    )
    if opts.population == "new":
        during = data.in_period("joined_at")
    active = active_members(data).with_columns(pl.lit(True).alias("active"))
    if opts.orders == "period":
        # the attributed orders (shared with ROI and campaigns) with a buyer are exactly
        # the paid orders in P placed by a roster member at or after joining
        mine = attributed_orders(data).filter(pl.col("buyer_id").is_not_null())
    else:
        mine = (
            paid_orders(data)
            .filter(pl.col("buyer_id").is_not_null())
            .join(people.select(pl.col("member_id").alias("buyer_id"), "joined_at"),
                  on="buyer_id")
            .filter(pl.col("joined_at").is_null() | (pl.col("joined_at") <= pl.col("at")))
        )  # fmt: skip
    counts = mine.group_by(pl.col("buyer_id").alias("member_id")).agg(pl.len().alias("orders"))
    return (
        people.filter(during)
        .select("member_id")
        .join(active, on="member_id", how="left")
        .join(counts, on="member_id", how="left")
        .with_columns(pl.col("active").fill_null(False), pl.col("orders").fill_null(0))
        .cache()  # shared by the step counts and the per-group table
    )


def _step_counts() -> list[pl.Expr]:
    act = pl.col("active")
    return [
        pl.len().alias("joined"),
        act.sum().alias("active"),
        (act & (pl.col("orders") >= 1)).sum().alias("buyer"),
        (act & (pl.col("orders") >= 2)).sum().alias("repeat"),
    ]


def compute(data: CommunityData, opts: FunnelOptions) -> MetricResult:
    flags = member_flags(data, opts)
    if opts.population == "new":
        in_group = (
            data.members.filter(data.in_period("joined_at") & pl.col("group_id").is_not_null())
            .select("group_id", "member_id")
            .unique()
        )
    else:
        in_group = group_members(data)  # shared with the campaigns' per-group table
    by_group = (
        in_group.join(flags, on="member_id")
        .group_by("group_id")
        .agg(_step_counts())
        .join(data.groups.select("group_id", "name", "kind"), on="group_id", how="left")
        .with_columns(
            pl.coalesce("name", "group_id"),
            (safe_div("active", "joined") * 100).alias("active_rate"),
            (safe_div("buyer", "joined") * 100).alias("buyer_rate"),
            (safe_div("repeat", "buyer") * 100).alias("repeat_rate"),
        )
        .select("group_id", "name", "kind", *STEPS, "active_rate", "buyer_rate", "repeat_rate")
        .sort("group_id")
    )
    frames = {"steps": flags.select(_step_counts()), "by_group": by_group}
    return MetricResult(
        frames=frames,
        build=lambda got: _build(got, opts),
        kpi_frames=("steps",),
        build_kpis=_kpis,
    )


def funnel_table(row: Mapping[str, int]) -> pl.DataFrame:
    """The four steps with counts, step conversion and overall conversion (percent)."""
    counts = [int(row[s] or 0) for s in STEPS]
    return pl.DataFrame(
        {"step": list(STEPS), "members": counts}, schema={"step": pl.String, "members": pl.Int64}
    ).with_columns(
        (safe_div("members", pl.col("members").shift(1)) * 100).alias("step_conversion"),
        (safe_div("members", pl.col("members").first()) * 100).alias("overall_conversion"),
    )


def _kpis(got: Mapping[str, pl.DataFrame]) -> tuple[KPI, ...]:
    """The KPIs, from the ``steps`` frame alone."""
    steps = funnel_table(got["steps"].row(0, named=True))
    conv = dict(zip(steps["step"], steps["step_conversion"], strict=True))
    overall = dict(zip(steps["step"], steps["overall_conversion"], strict=True))
    count = dict(zip(steps["step"], steps["members"], strict=True))
    return (
        KPI("members", T("Members in the funnel", "漏斗成员数"), count["joined"], "count",
            formula=T("members during the period", "期内在群成员")),
        KPI("active_rate", T("Joined → active", "入群 → 活跃"), conv["active"], "percent",
            formula=T("active / joined × 100 %", "活跃 ÷ 入群 × 100%")),
        KPI("buyer_rate", T("Active → bought", "活跃 → 购买"), conv["buyer"],
            "percent", formula=T("buyers / active × 100 %", "购买者 ÷ 活跃 × 100%")),
        KPI("repeat_rate", T("Bought → bought again", "购买 → 复购"), conv["repeat"],
            "percent", headline=True,
            formula=T("repeat buyers / buyers × 100 %", "复购者 ÷ 购买者 × 100%")),
        KPI("member_to_buyer", T("Joined → buyer", "入群 → 购买"), overall["buyer"], "percent",
            headline=True, formula=T("buyers / joined × 100 %", "购买者 ÷ 入群 × 100%")),
    )  # fmt: skip


def _build(got: Mapping[str, pl.DataFrame], opts: FunnelOptions) -> Section:
    steps = funnel_table(got["steps"].row(0, named=True))
    kpis = _kpis(got)
    pct = "percent"
    tables = (
        Table("funnel", T("Funnel", "转化漏斗"), steps, {
            "step": ColumnInfo(T("Step", "阶段"), values=STEPS),
            "members": ColumnInfo(T("Members", "人数"), "count"),
            "step_conversion": ColumnInfo(T("From previous step", "较上一阶段"), pct),
            "overall_conversion": ColumnInfo(T("From joined", "较入群"), pct),
        }),
        Table("by_group", T("Funnel per group", "各社群转化漏斗"), got["by_group"], {
            "group_id": ColumnInfo(T("Group id", "群编号")),
            "name": ColumnInfo(T("Group", "社群")),
            "kind": ColumnInfo(T("Kind", "类型"), values=KIND_LABELS),
            "joined": ColumnInfo(STEPS["joined"], "count"),
            "active": ColumnInfo(STEPS["active"], "count"),
            "buyer": ColumnInfo(STEPS["buyer"], "count"),
            "repeat": ColumnInfo(STEPS["repeat"], "count"),
            "active_rate": ColumnInfo(T("Active share", "活跃占比"), pct),
            "buyer_rate": ColumnInfo(T("Buyer share", "购买占比"), pct),
            "repeat_rate": ColumnInfo(T("Repeat share of buyers", "购买者复购占比"), pct),
        }),
    )  # fmt: skip
    charts = (
        Chart("funnel", "funnel", T("From member to repeat buyer", "从成员到复购"), "funnel",
              x="step", y=("members",), unit="count"),
    )  # fmt: skip
    return Section(
        kpis=kpis,
        tables=tables,
        charts=charts,
        findings=_findings(steps, got["by_group"]),
        methodology=_methodology(opts),
        intro=T(
            "Where do members drop off on the way from joining to buying again?",
            "成员从入群到复购，在哪一步流失最多？",
        ),
    )


def _findings(steps: pl.DataFrame, by_group: pl.DataFrame) -> tuple[Finding, ...]:
    out = []
    rated = steps.filter(pl.col("step_conversion").is_not_null())
    if rated.height:
        worst = rated.sort("step_conversion").row(0, named=True)
        prev = list(STEPS)[list(STEPS).index(worst["step"]) - 1]
        out.append(Finding(T(
            "The biggest drop is from {a} to {b}: only {r:.0f} % make that step.",
            "流失最多的一步是从{az}到{bz}：只有 {r:.0f}% 的成员迈过这一步。",
        ).format(a=STEPS[prev].en.lower(), b=STEPS[worst["step"]].en.lower(),
                 az=STEPS[prev].zh, bz=STEPS[worst["step"]].zh, r=worst["step_conversion"]),
            "bad" if worst["step_conversion"] < 20 else "neutral", 5))  # fmt: skip
    ranked = by_group.filter(pl.col("joined") >= 20).sort("buyer_rate", descending=True)
    if ranked.height >= 2:
        best, last = ranked.row(0, named=True), ranked.row(-1, named=True)
        out.append(Finding(T(
            "{b} turns {br:.0f} % of its members into buyers, {w} {wr:.0f} %.",
            "{b}有 {br:.0f}% 的成员完成购买，{w}为 {wr:.0f}%。",
        ).format(b=best["name"], br=best["buyer_rate"], w=last["name"], wr=last["buyer_rate"]),
            "neutral", 4))  # fmt: skip
    return tuple(out)


def _methodology(opts: FunnelOptions) -> tuple[Formula, ...]:
    who = (
        T("members during the period (joined by its end, not left before its start)",
          "期内在群成员（期末前入群、期初前未退出）")
        if opts.population == "members"
        else T("members who joined in the period", "期内新入群的成员")
    )  # fmt: skip
    when = (
        T("paid orders placed in the period, after joining", "期内、入群后下单且已支付的订单")
        if opts.orders == "period"
        else T("paid orders up to the period end, after joining", "截至期末、入群后已支付的订单")
    )  # fmt: skip
    f = [
        (STEPS["joined"], who),
        (STEPS["active"], T("of those, with an activity other than join/leave in the period",
                            "其中期内有除入群、退群以外互动的成员")),
        (STEPS["buyer"], T("of those, with at least one order: ", "其中至少有一笔订单：")),
        (STEPS["repeat"], T("of those, with at least two such orders", "其中至少有两笔订单")),
        (T("Conversion", "转化率"), T("step / previous step × 100 %; overall: step / joined",
                                      "本阶段 ÷ 上一阶段 × 100%；总转化：本阶段 ÷ 入群")),
    ]  # fmt: skip
    f[2] = (f[2][0], T(f[2][1].en + when.en, f[2][1].zh + when.zh))
    return tuple(Formula(a, b) for a, b in f)


SPEC = MetricSpec(
    name="funnel",
    title=T("Conversion funnel", "转化漏斗"),
    order=35,
    compute=compute,
    options=FunnelOptions,
    description="Joined → active → first purchase → repeat purchase, overall and per group",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
