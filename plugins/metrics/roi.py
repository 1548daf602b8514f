"""ROI and the executive-summary health KPIs.

Definitions (all over the report period P = [start, end], report time zone):

- **Investment** I = Σ ``costs.amount`` with ``incurred_on`` in P (every category).
- **Attributed return** R = Σ value of *paid* orders placed in P that are attributed to
  the community: the buyer was a member when ordering (``member_id``, or ``customer_id``
  linked to a member; joined at or before the order), or the order carries a
  ``campaign_id``. Value = the net ``amount`` (``amount − refunded_amount``, see
  ``communityroi.views.paid_orders``; ``return_basis = "revenue"``) or ``gross_margin``
  (``"gross_margin"``; where an order has none, ``amount × margin``).
  Refunded, pending and cancelled orders count zero.
- **ROI** = (R − I) / I × 100 %.  **Return per ¥1** = R / I.
- Per campaign c: R_c = attributed return of orders with ``campaign_id = c``;
  I_c = costs with ``campaign_id = c``.
- Per group g: an order belongs to the group of its campaign if it has one, else to the
  buyer's first group; I_g = costs with ``group_id = g``, or whose campaign runs in g.
- Per category: I_k and its share of I.
- **Payback (days)** = I / (R / days in P): days of return at the period's daily rate
  needed to recover the investment.
- **Members at end** = distinct members joined by the end of P and not left;
  **members at start** = distinct members in some group at the start of P (a membership
  joined before it and not left by it); **new members** = first joined in P;
  **growth rate** = (end − start) / start × 100 %.
- **Active members** = distinct members still in the community at the end of P with an
  engaged activity (not join/leave) in P; **activity rate** = active / members at end ×
  100 % (so it stays within 0–100 %; the engagement section uses the same rule).
- **Buyers** = distinct members with a paid order in P placed after joining (an
  attributed order); **conversion rate** =
  buyers / members at end × 100 %.
- Cost per member = I / members at end; cost per new member = I / new members;
  cost per buyer = I / buyers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from communityroi import (
    KPI,
    Chart,
    ColumnInfo,
    CommunityData,
    Finding,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    hookimpl,
)
from communityroi.views import active_members, attributed_orders, members_at_start, roster
from plugins.metrics import roi_text as txt
from plugins.metrics._common import safe_div


class ROIOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_basis: Literal["revenue", "gross_margin"] = "revenue"
    margin: float | None = Field(
        None,
        gt=0,
        le=1,
        description="margin rate where an order "
        "has no gross_margin (required for gross_margin basis)",
    )

    @model_validator(mode="after")
    def _margin(self) -> ROIOptions:
        if self.return_basis == "gross_margin" and self.margin is None:
            raise ValueError("return_basis = 'gross_margin' needs margin (e.g. margin = 0.4)")
        return self


def _attributed(data: CommunityData, opts: ROIOptions, people: pl.LazyFrame) -> pl.LazyFrame:
    value = pl.col("amount")
    if opts.return_basis == "gross_margin":
        value = pl.coalesce("gross_margin", pl.col("amount") * opts.margin)
    return attributed_orders(data, people).with_columns(value.alias("value"))


def _roi(ret: str = "return", inv: str = "investment") -> pl.Expr:
    return (safe_div(pl.col(ret) - pl.col(inv), inv) * 100).alias("roi")


def compute(data: CommunityData, opts: ROIOptions) -> MetricResult:
    people = roster(data)
    orders = _attributed(data, opts, people)
    costs = data.costs.filter(data.day_in_period("incurred_on"))
    # active = engaged in the period and still a member at its end, so that the activity
    # rate (active / members at end) stays within 0–100 % (same rule as engagement)
    active = active_members(data).join(
        people.filter(pl.col("left_at").is_null()), on="member_id", how="semi"
    )
    days = data.period.days

    kpis = pl.concat(
        [
            costs.select(pl.col("amount").sum().alias("investment")),
            orders.select(
                pl.col("value").sum().alias("return"),
                pl.col("buyer_id").drop_nulls().n_unique().alias("buyers"),
                pl.len().alias("orders"),
            ),
            people.select(
                pl.col("left_at").is_null().sum().alias("members_end"),
                data.in_period("joined_at").sum().alias("new_members"),
            ),
            members_at_start(data).select(pl.len().alias("members_start")),
            active.select(pl.len().alias("active_members")),
        ],
        how="horizontal",
    ).with_columns(
        _roi(),
        safe_div("return", "investment").alias("return_per_unit"),
        safe_div("investment", pl.col("return") / days).alias("payback_days"),
        (safe_div(pl.col("members_end") - pl.col("members_start"), "members_start") * 100).alias(
            "growth_rate"
        ),
        (safe_div("active_members", "members_end") * 100).alias("activity_rate"),
        (safe_div("buyers", "members_end") * 100).alias("conversion_rate"),
        safe_div("investment", "members_end").alias("cost_per_member"),
        safe_div("investment", "new_members").alias("cost_per_new_member"),
        safe_div("investment", "buyers").alias("cost_per_buyer"),
    )

    campaigns = data.campaigns.select("campaign_id", "name", "kind", "group_id")
    by_campaign = (
        orders.filter(pl.col("campaign_id").is_not_null())
        .group_by("campaign_id")
        .agg(
            pl.col("value").sum().alias("return"),
            pl.len().alias("orders"),
            pl.col("buyer_id").drop_nulls().n_unique().alias("buyers"),
        )
        .join(
            costs.filter(pl.col("campaign_id").is_not_null())
            .group_by("campaign_id")
            .agg(pl.col("amount").sum().alias("investment")),
            on="campaign_id",
            how="full",
            coalesce=True,
        )
        .join(campaigns, on="campaign_id", how="left")
        .with_columns(pl.col("return", "investment", "orders", "buyers").fill_null(0))
        .with_columns(_roi(), pl.coalesce("name", "campaign_id").alias("name"))
        .select("campaign_id", "name", "kind", "investment", "return", "roi", "orders", "buyers")
        .sort("investment", "campaign_id", descending=[True, False])
    )

    campaign_group = campaigns.select("campaign_id", pl.col("group_id").alias("_cg"))
    first_group = people.select(
        pl.col("member_id").alias("buyer_id"), pl.col("group_id").alias("_mg")
    )
    order_groups = (
        orders.join(campaign_group, on="campaign_id", how="left")
        .join(first_group, on="buyer_id", how="left")
        .with_columns(pl.coalesce("_cg", "_mg").alias("group_id"))
        .filter(pl.col("group_id").is_not_null())
        .group_by("group_id")
        .agg(
            pl.col("value").sum().alias("return"),
            pl.col("buyer_id").drop_nulls().n_unique().alias("buyers"),
        )
    )
    cost_groups = (
        costs.join(campaign_group, on="campaign_id", how="left")
        .with_columns(pl.coalesce("group_id", "_cg").alias("group_id"))
        .filter(pl.col("group_id").is_not_null())
        .group_by("group_id")
        .agg(pl.col("amount").sum().alias("investment"))
    )
    members_per_group = (
        data.members.filter(pl.col("left_at").is_null() & pl.col("group_id").is_not_null())
        .group_by("group_id")
        .agg(pl.col("member_id").n_unique().alias("members"))
    )
    by_group = (
        order_groups.join(cost_groups, on="group_id", how="full", coalesce=True)
        .join(members_per_group, on="group_id", how="left")
        .join(data.groups.select("group_id", "name", "kind"), on="group_id", how="left")
        .with_columns(pl.col("return", "investment", "buyers", "members").fill_null(0))
        .with_columns(
            _roi(),
            pl.coalesce("name", "group_id").alias("name"),
            safe_div("return", "investment").alias("return_per_unit"),
        )
        .select(
            "group_id",
            "name",
            "kind",
            "members",
            "buyers",
            "investment",
            "return",
            "roi",
            "return_per_unit",
        )
        .sort("group_id")
    )
    by_category = (
        costs.group_by("category")
        .agg(pl.col("amount").sum().alias("investment"))
        .with_columns((safe_div("investment", pl.col("investment").sum()) * 100).alias("share"))
        .sort("investment", "category", descending=[True, False])
    )
    frames = {
        "kpis": kpis,
        "by_campaign": by_campaign,
        "by_group": by_group,
        "by_category": by_category,
    }
    return MetricResult(
        frames=frames,
        build=lambda got: _build(got, opts),
        kpi_frames=("kpis",),  # the previous period needs no tables
        build_kpis=_kpis,
    )


def _num(v):
    return None if v is None else (float(v) if isinstance(v, float) else v)


def _kpis(got: Mapping[str, pl.DataFrame]) -> tuple[KPI, ...]:
    """The KPIs, from the one-row ``kpis`` frame alone."""
    row = got["kpis"].row(0, named=True)
    return tuple(
        KPI(
            key,
            label,
            _num(row[key]),
            unit,
            formula=txt.FORMULAS[key],
            headline=headline,
            higher_is_better=hib,
        )
        for key, label, unit, headline, hib in txt.KPIS
    )


def _build(got: Mapping[str, pl.DataFrame], opts: ROIOptions) -> Section:
    row = got["kpis"].row(0, named=True)
    kpis = _kpis(got)
    money = ColumnInfo(T("Amount", "金额"), "currency")
    tables = (
        Table(
            "by_campaign",
            T("Investment and return by campaign", "各活动投入与回报"),
            got["by_campaign"],
            {
                "campaign_id": ColumnInfo(T("Campaign id", "活动编号")),
                "name": ColumnInfo(T("Campaign", "活动")),
                "kind": ColumnInfo(T("Kind", "类型")),
                "investment": ColumnInfo(T("Investment", "投入"), "currency"),
                "return": ColumnInfo(T("Return", "收益"), "currency"),
                "roi": ColumnInfo(T("ROI", "投资回报率"), "percent"),
                "orders": ColumnInfo(T("Orders", "订单数"), "count"),
                "buyers": ColumnInfo(T("Buyers", "购买人数"), "count"),
            },
            show=False,  # the campaigns section shows these with activity and CLV
        ),
        Table(
            "by_group",
            T("Investment and return by group", "各社群投入与回报"),
            got["by_group"],
            {
                "group_id": ColumnInfo(T("Group id", "群编号")),
                "name": ColumnInfo(T("Group", "社群")),
                "kind": ColumnInfo(T("Kind", "类型")),
                "members": ColumnInfo(T("Members at period end", "期末成员"), "count"),
                "buyers": ColumnInfo(T("Buyers (attributed orders)", "归因购买人数"), "count"),
                "investment": ColumnInfo(T("Investment", "投入"), "currency"),
                "return": ColumnInfo(T("Return", "收益"), "currency"),
                "roi": ColumnInfo(T("ROI", "投资回报率"), "percent"),
                "return_per_unit": ColumnInfo(T("Return per 1 spent", "每元回报"), "ratio"),
            },
            note=T(
                "Members: still in the group at the period end. Return and buyers: orders "
                "of the group's campaigns plus other orders of members whose first group it "
                "is, so a buyer may since have left the group or belong to another one.",
                "期末成员：期末仍在群内的成员。收益与购买人数：该群活动的订单，加上以该群为"
                "最早加入社群的成员的其他订单；因此购买者可能已退群或属于其他社群。",
            ),
            show=False,  # the campaigns section shows these with activity and CLV
        ),
        Table(
            "by_category",
            T("Investment by cost category", "成本构成"),
            got["by_category"],
            {
                "category": ColumnInfo(T("Category", "类别"), values=txt.CATEGORY_LABELS),
                "investment": money,
                "share": ColumnInfo(T("Share", "占比"), "percent"),
            },
        ),
    )
    charts = (
        Chart(
            "category_bars",
            "hbar",
            T("Cost structure", "成本构成"),
            "by_category",
            x="category",
            y=("investment",),
            unit="currency",
        ),
    )
    return Section(
        kpis=kpis,
        tables=tables,
        charts=charts,
        findings=_findings(row, got["by_group"], got["by_campaign"]),
        methodology=txt.methodology(opts.return_basis, opts.margin),
        intro=T(
            "Was it worth it? Investment from the cost ledger against the revenue the "
            "community brought in. ROI per campaign and per group follows in the next section.",
            "社群运营是否值得？以成本台账为投入，以社群带来的收入为回报。各活动、各社群的投入产出"
            "见下一节。",
        ),
        extra={"return_basis": opts.return_basis, "margin": opts.margin},
    )


def _findings(row: dict, by_group: pl.DataFrame, by_campaign: pl.DataFrame) -> tuple:
    out = []
    roi, inv, ret = row["roi"], row["investment"], row["return"]
    if roi is not None:
        good = roi >= 0
        out.append(
            Finding(
                T(
                    "Every 1 invested came with {r:.2f} of revenue from members (ROI "
                    "{roi:.0f} %; not all of it caused by the community).",
                    "每投入 1 元对应 {r:.2f} 元成员贡献收入（ROI {roi:.0f}%；并非全部由社群"
                    "带来）。",
                ).format(r=ret / inv, roi=round(roi) + 0),  # never "-0"
                "good" if good else "bad",
                weight=10,
            )
        )
    ranked = by_group.filter(pl.col("investment") > 0).sort("return_per_unit", descending=True)
    if ranked.height >= 2:
        best, worst = ranked.row(0, named=True), ranked.row(-1, named=True)
        out.append(
            Finding(
                T(
                    "{b} returned {br:.2f} per 1 spent, {w} {wr:.2f}.",
                    "{b}每投入 1 元回报 {br:.2f} 元，{w}为 {wr:.2f} 元。",
                ).format(
                    b=best["name"],
                    br=best["return_per_unit"],
                    w=worst["name"],
                    wr=worst["return_per_unit"],
                ),
                "neutral",
                weight=8,
            )
        )
    losing = by_campaign.filter((pl.col("investment") > 0) & (pl.col("roi") < 0))
    if losing.height:
        out.append(
            Finding(
                T(
                    "{n} campaign(s) did not pay back their cost: {names}.",
                    "{n} 个活动未收回成本：{names}。",
                ).format(n=losing.height, names=", ".join(losing["name"].head(3).to_list())),
                "bad",
                weight=6,
            )
        )
    return tuple(out)


SPEC = MetricSpec(
    name="roi",
    title=T("Return on investment", "投资回报"),
    order=10,
    compute=compute,
    options=ROIOptions,
    description="ROI overall, per campaign, per group and per cost category, plus the "
    "executive-summary health KPIs",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
