"""Groups by purpose (社群定位): pre-sales, after-sales, distribution and VIP groups compared
on what each is for.

A group's **purpose** is ``groups.purpose`` when the source gives it, else the ``groups``
option (by group id or name; 售前/售后/渠道分销/分销/VIP/专属服务 accepted as well as
presales/aftersales/distribution/vip), else the first keyword of ``keywords`` found in the
group's name, tried in the order vip, distribution, aftersales, presales (defaults:
VIP/专属/尊享/会员群 → vip; 分销/渠道/代理/团长 → distribution; 售后/服务/客服 → aftersales;
售前/咨询/新品/体验 → presales). Groups with none are "other".

Per purpose (each member once per purpose) and per group, over the report period P:

- **members** = in the group at any time in P (joined before the end, not left before
  the start); **active rate** = members with an engaged activity in that group in P /
  members × 100 %.
- **buyers** = members with a paid order in P placed at or after joining the group;
  **revenue** = Σ net amount of those orders; **conversion** (the pre-sales measure) =
  buyers / members × 100 %.
- **repeat rate** (renewal, the after-sales and VIP measure) = members who bought before P
  and again in P / members who bought before P × 100 %; **retention** = members in the
  group at the start of P still in it at the end / members at the start × 100 %.
- **partner orders** (the distribution measure) = paid orders in P by customers whose
  ``invited_by`` is a member of the group (a partner, 团长 or 分销员); **partner revenue**
  their net amount; **active partners** = members with at least one such order.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator

from communityroi import (
    Chart,
    ColumnInfo,
    CommunityData,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    hookimpl,
)
from communityroi.views import engaged, paid_orders, roster
from plugins.metrics._common import safe_div
from plugins.metrics.purposes_text import LABELS, columns, findings, methodology

GROUP_PURPOSES = ("presales", "aftersales", "distribution", "vip")  # = the schema's values
ALIASES = {
    "售前": "presales",
    "售后": "aftersales",
    "渠道分销": "distribution",
    "分销": "distribution",
    "vip": "vip",
    "专属服务": "vip",
    "vip/专属服务": "vip",
    **{p: p for p in GROUP_PURPOSES},
}
KEYWORDS = {
    "vip": ["vip", "专属", "尊享", "会员群"],
    "distribution": ["分销", "渠道", "代理", "团长"],
    "aftersales": ["售后", "服务", "客服"],
    "presales": ["售前", "咨询", "新品", "体验"],
}
SUMS = (
    "members",
    "active",
    "buyers",
    "revenue",
    "prior_buyers",
    "repeat",
    "at_start",
    "retained",
    "partner_orders",
    "partner_revenue",
    "active_partners",
)


class PurposesOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: dict[str, str] = Field(default_factory=dict, description="group id or name → purpose")
    keywords: dict[str, list[str]] = Field(default_factory=lambda: dict(KEYWORDS))

    @field_validator("groups")
    @classmethod
    def _groups(cls, v: dict[str, str]) -> dict[str, str]:
        out = {}
        for g, p in v.items():
            key = ALIASES.get(p.strip().lower())
            if key is None:
                raise ValueError(
                    f"groups.{g}: '{p}' is not a purpose; use presales (售前), aftersales "
                    "(售后), distribution (渠道分销) or vip (专属服务)"
                )
            out[g] = key
        return out

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(GROUP_PURPOSES))
        if unknown:
            raise ValueError(f"keywords.{unknown[0]}: use {', '.join(GROUP_PURPOSES)}")
        return v


def purposes(data: CommunityData, opts: PurposesOptions) -> pl.LazyFrame:
    """group_id → purpose (see module docstring); "other" when nothing says."""
    groups = pl.concat(
        [
            data.groups.select("group_id", "name", "purpose"),
            data.members.select("group_id").drop_nulls().unique(),
        ],
        how="diagonal",
    ).unique("group_id", keep="first", maintain_order=True)
    name = pl.col("name").fill_null(pl.col("group_id")).str.to_lowercase()
    guess = pl.lit(None, pl.String)
    for purpose in reversed(("vip", "distribution", "aftersales", "presales")):
        words = [w.lower() for w in opts.keywords.get(purpose, [])]
        if words:
            guess = pl.when(name.str.contains_any(words)).then(pl.lit(purpose)).otherwise(guess)
    config = lambda col: pl.col(col).replace_strict(  # noqa: E731
        opts.groups, default=None, return_dtype=pl.String
    )
    return groups.select(
        "group_id",
        pl.coalesce("name", "group_id").alias("name"),
        pl.coalesce("purpose", config("group_id"), config("name"), guess, pl.lit("other")).alias(
            "purpose"
        ),
    )


def _summary(
    rows: pl.LazyFrame, orders: pl.LazyFrame, partner: pl.LazyFrame, key: str, data: CommunityData
) -> pl.LazyFrame:
    """Per ``key``: ``rows`` (key, member_id, joined_at, left_at, active), ``orders``
    (paid orders with buyer_id), ``partner`` (key, invited_by=member, order_id, amount;
    one row per order and key) → sums."""
    start = pl.lit(data.start)
    m = (
        rows.group_by(key, "member_id")
        .agg(
            pl.col("joined_at").min(),
            pl.col("left_at").max(),
            pl.col("active").any(),
            pl.col("left_at").is_null().any().alias("_in"),
        )
        .with_columns(pl.when(pl.col("_in")).then(None).otherwise("left_at").alias("left_at"))
    )
    in_p = orders.filter(data.in_period("at"))
    after = (
        m.join(in_p, left_on="member_id", right_on="buyer_id")
        .filter(pl.col("joined_at").is_null() | (pl.col("at") >= pl.col("joined_at")))
        .group_by(key, "member_id")
        .agg(pl.col("amount").sum().alias("spent"))
    )
    prior = (
        orders.filter(pl.col("at") < start)
        .select(pl.col("buyer_id").alias("member_id"), pl.lit(True).alias("prior"))
        .unique()
    )
    at_start = (pl.col("joined_at") < start) & (
        pl.col("left_at").is_null() | (pl.col("left_at") >= start)
    )
    per = (
        m.join(after, on=[key, "member_id"], how="left")
        .join(prior, on="member_id", how="left")
        .with_columns(pl.col("prior").fill_null(False), pl.col("spent").is_not_null().alias("b"))
    )
    base = per.group_by(key).agg(
        pl.len().alias("members"),
        pl.col("active").sum(),
        pl.col("b").sum().alias("buyers"),
        pl.col("spent").sum().alias("revenue"),
        pl.col("prior").sum().alias("prior_buyers"),
        (pl.col("prior") & pl.col("b")).sum().alias("repeat"),
        at_start.sum().alias("at_start"),
        (at_start & pl.col("left_at").is_null()).sum().alias("retained"),
    )
    partners = (
        partner.join(
            m.select(key, pl.col("member_id").alias("invited_by")),
            on=[key, "invited_by"],
            how="semi",
        )
        .group_by(key)
        .agg(
            pl.len().alias("partner_orders"),
            pl.col("amount").sum().alias("partner_revenue"),
            pl.col("invited_by").n_unique().alias("active_partners"),
        )
    )
    return base.join(partners, on=key, how="left").with_columns(pl.col(*SUMS).fill_null(0))


def _rates(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(
        (safe_div(pl.col("active"), "members") * 100).alias("active_rate"),
        (safe_div(pl.col("buyers"), "members") * 100).alias("conversion"),
        (safe_div(pl.col("repeat"), "prior_buyers") * 100).alias("repeat_rate"),
        (safe_div(pl.col("retained"), "at_start") * 100).alias("retention"),
    )


def compute(data: CommunityData, opts: PurposesOptions) -> MetricResult:
    start, end = pl.lit(data.start), pl.lit(data.end)
    pur = purposes(data, opts).cache()
    acts = (
        engaged(data.activities)
        .filter(data.in_period("at") & pl.col("group_id").is_not_null())
        .select("group_id", "member_id", pl.lit(True).alias("active"))
        .unique()
    )
    rows = (
        data.members.filter(
            pl.col("group_id").is_not_null()
            & (pl.col("joined_at").is_null() | (pl.col("joined_at") < end))
            & (pl.col("left_at").is_null() | (pl.col("left_at") >= start))
        )
        .select("group_id", "member_id", "joined_at", "left_at")
        .join(acts, on=["group_id", "member_id"], how="left")
        .with_columns(pl.col("active").fill_null(False))
        .join(pur.select("group_id", "purpose"), on="group_id", how="left")
        .cache()
    )
    orders = (
        paid_orders(data)
        .filter(pl.col("buyer_id").is_not_null())
        .select("order_id", "buyer_id", "at", "amount")
    )
    invited = (
        roster(data)
        .filter(pl.col("invited_by").is_not_null())
        .select(pl.col("member_id").alias("buyer_id"), "invited_by")
    )
    referred = orders.filter(data.in_period("at")).join(invited, on="buyer_id")
    rows_g = rows.select("group_id", "purpose", pl.col("member_id").alias("invited_by"))
    # a partner with several rows (rejoined) or in several groups of one purpose matches
    # an order more than once: each order counts once per group and once per purpose
    partner = referred.join(rows_g, on="invited_by").select(
        "group_id", "purpose", "invited_by", "order_id", "amount"
    )
    by_group = (
        _rates(
            _summary(
                rows,
                orders,
                partner.unique(["group_id", "order_id"]),
                "group_id",
                data,
            )
        )
        .join(pur, on="group_id", how="left")
        .sort("purpose", "group_id")
    )
    by_purpose = _rates(
        _summary(rows, orders, partner.unique(["purpose", "order_id"]), "purpose", data)
    ).join(pur.group_by("purpose").agg(pl.len().alias("groups")), on="purpose", how="left")
    return MetricResult({"by_purpose": by_purpose.sort("purpose"), "by_group": by_group}, _build)


SHOWN = (
    "members",
    "active_rate",
    "conversion",
    "repeat_rate",
    "retention",
    "partner_orders",
    "active_partners",
    "partner_revenue",
    "revenue",
)


def _build(got: Mapping[str, pl.DataFrame]) -> Section:
    by, groups = got["by_purpose"], got["by_group"]
    purpose_col = ColumnInfo(T("Purpose", "用途"), values=LABELS)
    tables = (
        Table(
            "by_purpose",
            T("Groups compared by purpose", "按用途比较社群"),
            by.select("purpose", "groups", *SHOWN),
            columns({"purpose": purpose_col, "groups": ColumnInfo(T("Groups", "群数"), "count")}),
        ),
        Table(
            "by_group",
            T("Each group by purpose", "各群（按用途）"),
            groups.select("name", "purpose", *SHOWN),
            columns({"name": ColumnInfo(T("Group", "群")), "purpose": purpose_col}),
        ),
    )
    charts = (
        Chart(
            "purpose_rates",
            "bar",
            T("What each kind of group is for", "各类社群的核心指标"),
            "by_purpose",
            x="purpose",
            y=("conversion", "repeat_rate", "retention"),
            unit="percent",
            y_label=T("Percent", "百分比"),
        ),
    )
    return Section(
        tables=tables,
        charts=charts,
        findings=findings(by),
        methodology=methodology(),
        intro=T(
            "Each kind of group is judged on what it is for: conversion for pre-sales "
            "groups, repeat purchases and retention for after-sales and VIP groups, orders "
            "via partners for distribution groups.",
            "按社群定位分别考核：售前群看转化，售后群与 VIP 群看复购与留存，"
            "分销群看分销员带来的订单。",
        ),
    )


SPEC = MetricSpec(
    name="purposes",
    title=T("Groups by purpose", "社群定位对比"),
    order=17,
    compute=compute,
    options=PurposesOptions,
    compare_previous=False,
    enabled_by_default=False,
    description="Pre-sales, after-sales, distribution and VIP groups compared on conversion, "
    "repeat purchases and retention, and orders via partners",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
