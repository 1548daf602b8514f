"""Campaigns and groups: the cost-benefit of each activity (活动投入产出).

For every campaign and every group, over the report period P (report time zone):

- **Return** = Σ net ``amount`` (after partial refunds, ``communityroi.views.paid_orders``) of
  *paid* orders placed in P and attributed to it, and
  **investment** = Σ cost-ledger ``amount`` incurred in P and attributed to it;
  **ROI** = (return − investment) / investment × 100 % (none without investment). These
  follow the ROI section exactly: an order is attributed when it is paid, placed in P and
  either carries a ``campaign_id`` or was placed by a member at or after joining.
  - campaign c: orders with ``campaign_id = c``; costs with ``campaign_id = c``.
  - group g: orders of a campaign running in g, and other attributed orders whose buyer's
    first group is g; costs with ``group_id = g``, or of a campaign running in g.
- **Buyers** = distinct members behind those orders (joined at or before ordering).
- **Members**: for a group, its members at any time in P (joined before the end of P and
  not left before its start); for a campaign, the members of its group during the
  campaign within P, plus every member who took part in it (an engaged activity tagged
  with the campaign).
- **Active** (**participants** for a campaign) = distinct members with an engaged activity
  (not join/leave) in P in that group / tagged with that campaign; **activities** = how many.
- **Conversion** = buyers who are among the members / members × 100 % (in 0–100 %).
- **Average CLV of buyers** = mean over its buyers of their observed CLV: all their paid
  orders up to the end of P, in any campaign or none.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

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
from communityroi.views import attributed_orders, engaged, paid_orders, roster
from plugins.metrics._common import safe_div

KIND_LABELS = {
    "flash_group": T("Flash group", "快闪群"),
    "vip_group": T("VIP group", "VIP 群"),
    "event": T("Event", "活动"),
    "promotion": T("Promotion", "促销"),
    "channel": T("Channel", "频道"),
    "circle": T("Paid circle", "付费圈子"),
}
COLUMNS = ("members", "active", "activities", "buyers", "converted", "investment", "return")


def _summary(
    key: str,
    reach: pl.LazyFrame,
    acts: pl.LazyFrame,
    orders: pl.LazyFrame,
    costs: pl.LazyFrame,
    clv: pl.LazyFrame,
) -> pl.LazyFrame:
    """Per ``key``: reach (key, member_id; unique), acts (key, member_id), orders (key,
    buyer_id, amount), costs (key, amount) → one row per key with every column."""
    buyers = orders.filter(pl.col("buyer_id").is_not_null()).select(key, "buyer_id").unique()
    parts = [
        reach.group_by(key).agg(pl.len().alias("members")),
        acts.group_by(key).agg(
            pl.col("member_id").n_unique().alias("active"), pl.len().alias("activities")
        ),
        orders.group_by(key).agg(pl.col("amount").sum().alias("return")),
        buyers.join(clv, on="buyer_id", how="left")
        .group_by(key)
        .agg(pl.len().alias("buyers"), pl.col("clv").mean().alias("avg_clv")),
        buyers.join(reach, left_on=[key, "buyer_id"], right_on=[key, "member_id"], how="semi")
        .group_by(key)
        .agg(pl.len().alias("converted")),
        costs.group_by(key).agg(pl.col("amount").sum().alias("investment")),
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.join(part, on=key, how="full", coalesce=True)
    return out.with_columns(pl.col(*COLUMNS).fill_null(0)).with_columns(
        (safe_div(pl.col("converted"), "members") * 100).alias("conversion"),
        (safe_div(pl.col("return") - pl.col("investment"), "investment") * 100).alias("roi"),
    )


def group_members(data: CommunityData) -> pl.LazyFrame:
    """(group_id, member_id), once each: the members of each group at any time in P
    (joined before its end or at an unknown time, not left before its start). Shared per
    data object: the funnel's per-group table counts the same members."""
    return data.shared(_group_members)


def _group_members(data: CommunityData) -> pl.LazyFrame:
    return (
        data.members.filter(
            pl.col("group_id").is_not_null()
            & (pl.col("joined_at").is_null() | (pl.col("joined_at") < pl.lit(data.end)))
            & (pl.col("left_at").is_null() | (pl.col("left_at") >= pl.lit(data.start)))
        )
        .select("group_id", "member_id")
        .unique()
    )


def compute(data: CommunityData, _opts: object = None) -> MetricResult:
    start, end = pl.lit(data.start), pl.lit(data.end)
    # roster, attributed and paid orders are shared (cached) with the other metrics; the
    # per-buyer sums are cached for the two tables. The period's activities are not: the
    # tables are in memory, each branch filters them again (≈ 0.05 CPU-s) and streams,
    # where a cache held 7.9 M rows of three key columns (+230 MB at the collect's peak)
    people = roster(data).select("member_id", "joined_at", "group_id")
    orders = attributed_orders(data).select("buyer_id", "campaign_id", "amount")
    clv = (
        paid_orders(data)
        .filter(pl.col("buyer_id").is_not_null())
        .group_by("buyer_id")
        .agg(pl.col("amount").sum().alias("clv"))
        .cache()
    )
    costs = data.costs.filter(data.day_in_period("incurred_on"))
    acts = (
        engaged(data.activities)
        .filter(data.in_period("at"))
        .select("member_id", "group_id", "campaign_id")
    )
    campaigns = data.campaigns.select("campaign_id", "name", "kind", "group_id", "starts_at",
                                      "ends_at")  # fmt: skip
    campaign_group = campaigns.select("campaign_id", pl.col("group_id").alias("_cg"))

    # campaigns --------------------------------------------------------------------
    c_acts = acts.filter(pl.col("campaign_id").is_not_null()).select("campaign_id", "member_id")
    lo = pl.max_horizontal(pl.col("starts_at").fill_null(start), start)
    hi = pl.min_horizontal(pl.col("ends_at").fill_null(end), end)
    in_group = (
        campaigns.filter(pl.col("group_id").is_not_null())
        .join(
            data.members.select("group_id", "member_id", "joined_at", "left_at"),
            on="group_id",
        )
        .filter(
            (pl.col("joined_at").is_null() | (pl.col("joined_at") < hi))
            & (pl.col("left_at").is_null() | (pl.col("left_at") >= lo))
            & (lo < hi)
        )
        .select("campaign_id", "member_id")
    )
    by_campaign = _summary(
        "campaign_id",
        pl.concat([in_group, c_acts.unique()]).unique(),
        c_acts,
        orders.filter(pl.col("campaign_id").is_not_null()),
        costs.filter(pl.col("campaign_id").is_not_null()).select("campaign_id", "amount"),
        clv,
    )
    overlapping = campaigns.filter(
        (pl.col("starts_at").is_null() | (pl.col("starts_at") < end))
        & (pl.col("ends_at").is_null() | (pl.col("ends_at") >= start))
    ).select("campaign_id")
    by_campaign = (
        pl.concat([overlapping, by_campaign.select("campaign_id")])
        .unique()
        .join(by_campaign, on="campaign_id", how="left")
        .join(campaigns.select("campaign_id", "name", "kind"), on="campaign_id", how="left")
        .with_columns(pl.col(*COLUMNS).fill_null(0), pl.coalesce("name", "campaign_id"))
        .select("campaign_id", "name", "kind", "members", "active", "activities", "buyers",
                "conversion", "investment", "return", "roi", "avg_clv")
        .sort("investment", "return", "campaign_id", descending=[True, True, False])
    )  # fmt: skip

    # groups -----------------------------------------------------------------------
    first_group = people.select(pl.col("member_id").alias("buyer_id"), "group_id")
    g_orders = (
        orders.join(campaign_group, on="campaign_id", how="left")
        .join(first_group, on="buyer_id", how="left")
        .select(pl.coalesce("_cg", "group_id").alias("group_id"), "buyer_id", "amount")
        .filter(pl.col("group_id").is_not_null())
    )
    g_costs = (
        costs.join(campaign_group, on="campaign_id", how="left")
        .select(pl.coalesce("group_id", "_cg").alias("group_id"), "amount")
        .filter(pl.col("group_id").is_not_null())
    )
    g_reach = group_members(data)
    g_acts = acts.filter(pl.col("group_id").is_not_null()).select("group_id", "member_id")
    by_group = (
        _summary("group_id", g_reach, g_acts, g_orders, g_costs, clv)
        .join(data.groups.select("group_id", "name", "kind"), on="group_id", how="left")
        .with_columns(pl.coalesce("name", "group_id"))
        .select("group_id", "name", "kind", "members", "active", "activities", "buyers",
                "conversion", "investment", "return", "roi", "avg_clv")
        .sort("group_id")
    )  # fmt: skip

    c_orders = orders.filter(pl.col("campaign_id").is_not_null())
    totals = pl.concat(
        [
            c_orders.select(
                pl.col("amount").sum().alias("return"),
                pl.col("buyer_id").drop_nulls().n_unique().alias("buyers"),
            ),
            costs.filter(pl.col("campaign_id").is_not_null()).select(
                pl.col("amount").sum().alias("investment")
            ),
        ],
        how="horizontal",
    )
    frames = {"totals": totals, "by_campaign": by_campaign, "by_group": by_group}
    # the previous period needs only the KPIs: skip the per-group table
    return MetricResult(
        frames=frames, build=_build, kpi_frames=("totals", "by_campaign"), build_kpis=_kpis
    )


def _columns(id_key: str, id_info: ColumnInfo) -> dict[str, ColumnInfo]:
    return {
        id_key: id_info,
        "name": ColumnInfo(T("Name", "名称")),
        "kind": ColumnInfo(T("Kind", "类型"), values=KIND_LABELS),
        "members": ColumnInfo(T("Members", "成员"), "count"),
        "active": ColumnInfo(T("Active", "活跃成员"), "count"),
        "activities": ColumnInfo(T("Activities", "互动次数"), "count"),
        "buyers": ColumnInfo(T("Buyers", "购买人数"), "count"),
        "conversion": ColumnInfo(T("Conversion", "转化率"), "percent"),
        "investment": ColumnInfo(T("Investment", "投入"), "currency"),
        "return": ColumnInfo(T("Return", "回报"), "currency"),
        "roi": ColumnInfo(T("ROI", "投资回报率"), "percent"),
        "avg_clv": ColumnInfo(T("Avg. CLV of buyers", "购买者平均 CLV"), "currency"),
    }


def _kpis(got: Mapping[str, pl.DataFrame]) -> tuple[KPI, ...]:
    """The KPIs, from the ``totals`` and ``by_campaign`` frames alone."""
    row = got["totals"].row(0, named=True)
    camps = got["by_campaign"]
    ret, inv = row["return"] or 0.0, row["investment"] or 0.0
    roi = (ret - inv) / inv * 100 if inv else None
    return (
        KPI("campaign_roi", T("Campaign ROI", "活动投资回报率"), roi, "percent", headline=True,
            formula=T("(Σ campaign return − Σ campaign cost) / Σ campaign cost × 100 %",
                      "（活动回报合计 − 活动成本合计）÷ 活动成本合计 × 100%")),
        KPI("campaign_return", T("Campaign return", "活动回报"), ret, "currency",
            formula=T("Σ paid orders in the period tagged with a campaign",
                      "期内带活动标记的已支付订单金额之和")),
        KPI("campaign_investment", T("Campaign investment", "活动投入"), inv, "currency",
            higher_is_better=False,
            formula=T("Σ costs in the period tagged with a campaign", "期内带活动标记的成本之和")),
        KPI("campaigns", T("Campaigns", "活动数"), camps.height, "count",
            formula=T("campaigns running in the period or with costs, orders or activity in it",
                      "期内进行中或有成本、订单、互动的活动数")),
        KPI("campaign_buyers", T("Campaign buyers", "活动购买人数"), row["buyers"], "count",
            formula=T("distinct members with a paid campaign order in the period",
                      "期内有活动订单的成员（去重）")),
    )  # fmt: skip


def _build(got: Mapping[str, pl.DataFrame]) -> Section:
    camps, groups = got["by_campaign"], got["by_group"]
    kpis = _kpis(got)
    tables = (
        Table("by_campaign", T("Cost-benefit per campaign", "各活动投入产出"), camps,
              _columns("campaign_id", ColumnInfo(T("Campaign id", "活动编号")))),
        Table("by_group", T("Cost-benefit per group", "各社群投入产出"), groups,
              _columns("group_id", ColumnInfo(T("Group id", "群编号")))),
    )  # fmt: skip
    charts = (
        Chart("campaign_cost_return", "bar", T("Investment vs return per campaign",
              "各活动投入与回报"), "by_campaign", x="name", y=("investment", "return"),
              unit="currency", y_label=T("Amount", "金额")),
        Chart("group_cost_return", "bar", T("Investment vs return per group", "各社群投入与回报"),
              "by_group", x="name", y=("investment", "return"), unit="currency",
              y_label=T("Amount", "金额")),
    )  # fmt: skip
    return Section(
        kpis=kpis,
        tables=tables,
        charts=charts,
        findings=_findings(camps, groups),
        methodology=_methodology(),
        intro=T(
            "Which activities paid off? Members, participation, buyers, cost and return of "
            "every campaign and every group.",
            "哪些活动值得做？逐一列出每个活动与社群的成员、参与、购买、投入与回报。",
        ),
    )


def _findings(camps: pl.DataFrame, groups: pl.DataFrame) -> tuple[Finding, ...]:
    out = []
    paid = camps.filter(pl.col("investment") > 0).sort("roi", descending=True)
    if paid.height:
        best = paid.row(0, named=True)
        out.append(Finding(T(
            "The best-paying campaign was {n}: {r:,.0f} back on {i:,.0f} spent (ROI {roi:.0f} %).",
            "回报最高的活动是{n}：投入 {i:,.0f}，回报 {r:,.0f}（ROI {roi:.0f}%）。",
        ).format(n=best["name"], r=best["return"], i=best["investment"], roi=best["roi"]),
            "good" if best["roi"] >= 0 else "bad", 6))  # fmt: skip
    kinds = (
        groups.filter(pl.col("kind").is_in(list(KIND_LABELS)))
        .group_by("kind")
        .agg(pl.col("return", "investment").sum())
        .filter(pl.col("investment") > 0)
        .with_columns((pl.col("return") / pl.col("investment")).alias("per_unit"))
        .sort("per_unit", "kind", descending=[True, False])
    )
    if kinds.height >= 2:
        parts = [(KIND_LABELS[k], v) for k, v in kinds.select("kind", "per_unit").iter_rows()]
        out.append(Finding(T(
            "Return per 1 spent, by kind of group: "
            + ", ".join(f"{lab.en} {v:.2f}" for lab, v in parts) + ".",
            "按社群类型，每投入 1 元的回报："
            + "，".join(f"{lab.zh} {v:.2f} 元" for lab, v in parts) + "。",
        ), "neutral", 5))  # fmt: skip
    return tuple(out)


def _methodology() -> tuple[Formula, ...]:
    f = [
        (T("Return", "回报"), T(
            "Σ paid orders placed in the period: for a campaign, orders tagged with it; for a "
            "group, orders of its campaigns and members' other orders (by first group)",
            "期内已支付订单金额之和：活动按订单活动标记；社群按其活动的订单及成员的其他订单"
            "（按最早加入的社群）")),
        (T("Investment", "投入"), T(
            "Σ costs incurred in the period tagged with the campaign / group (a campaign's "
            "costs also count for its group)",
            "期内带该活动或社群标记的成本之和（活动成本同时计入其所属社群）")),
        (T("ROI", "投资回报率"), T("(return − investment) / investment × 100 %",
                                   "（回报 − 投入）÷ 投入 × 100%")),
        (T("Members", "成员"), T(
            "group: members at any time in the period; campaign: its group's members during "
            "the campaign plus everyone who took part",
            "社群：期内任一时刻在群成员；活动：活动期间所属社群的成员及所有参与者")),
        (T("Conversion", "转化率"), T("buyers among the members / members × 100 %",
                                      "成员中的购买者 ÷ 成员 × 100%")),
        (T("Average CLV of buyers", "购买者平均 CLV"), T(
            "mean over the buyers of all their paid orders up to the period end",
            "购买者截至期末全部已支付订单金额的平均值")),
    ]  # fmt: skip
    return tuple(Formula(name, formula) for name, formula in f)


SPEC = MetricSpec(
    name="campaigns",
    title=T("Campaigns and groups", "活动与社群投入产出"),
    order=15,
    compute=compute,
    description="Cost-benefit per campaign and per group: members, activity, buyers, "
    "conversion, return, investment, ROI and buyers' average CLV",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
