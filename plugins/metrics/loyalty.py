"""Loyalty: how attached members are (a decayed engagement "love" score and tiers) and how
customers buy (RFM scores and segments, repeat-purchase rate).

**Love score** of a member, over all history up to the period end::

    love = Σ_months (Σ weight(kind) of the member's activities that month) × decay^(months ago)

Months are calendar months in the report time zone; the month holding the period end is
0 months ago. ``weights`` default to message 1, reply 2, post 3, share 3, invite 5,
checkin 1, reaction 0.5, attend 4, comment 2, mention 1, join 0, leave 0; other kinds
weigh ``other_weight`` (1); ``decay`` defaults to 0.9. A member active at a steady ``w``
points a month settles at ``w / (1 − decay)`` = 10·w.

**Tiers** (members still in the community at period end, plus anyone active without a
member row): core 核心 love ≥ ``tier_core`` (100), active 活跃 ≥ ``tier_active`` (20),
casual 普通 ≥ ``tier_casual`` (1), else dormant 沉睡.

**RFM** over members with a paid order up to the period end (orders linked as in
``communityroi.views.paid_orders``): recency R = days from the last paid order (its
local date) to the period end; frequency F = number of paid orders; monetary M = their
total. Each becomes a quintile score 1–5, higher = better (recent, frequent, large)::

    score = 1 + ⌊5 · (r − 1) / n⌋,  r = 1 + #{customers with a strictly worse value}

so tied customers share a score (the lowest of their block) and a score never claims more
customers below it than there are. **Segments** (first rule that matches):
champions R≥4, F≥4, M≥4; loyal R≥3, F≥4; new R≥4 and exactly 1 order; potential R≥3;
at risk R≤2, F≥3; hibernating the rest (R≤2, F≤2).

**Repeat-purchase rate** = customers with ≥ 2 paid orders ÷ customers with ≥ 1, up to the
period end. Tier revenue is the period's paid revenue; segment revenue is lifetime (to the
period end).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    views,
)
from plugins.metrics import _member_base
from plugins.metrics import loyalty_text as txt

DEFAULT_WEIGHTS = {
    "message": 1.0, "reply": 2.0, "post": 3.0, "share": 3.0, "invite": 5.0, "checkin": 1.0,
    "reaction": 0.5, "attend": 4.0, "comment": 2.0, "mention": 1.0, "join": 0.0, "leave": 0.0,
}  # fmt: skip


class LoyaltyOptions(BaseModel):
    """Options of the ``loyalty`` metric (``[metrics.loyalty]``)."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Love points per activity kind; given kinds override the defaults.",
    )
    other_weight: float = Field(1.0, ge=0, description="Points for kinds not in weights.")
    decay: float = Field(0.9, gt=0, le=1, description="Monthly decay of love points.")
    tier_core: float = Field(100.0, description="Love score from which a member is core.")
    tier_active: float = Field(20.0, description="Love score from which a member is active.")
    tier_casual: float = Field(1.0, description="Love score from which a member is casual.")
    top_n: int = Field(20, ge=1, description="Rows in the most loyal members table.")

    @field_validator("weights")
    @classmethod
    def _merge(cls, given: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in given.items() if v < 0]
        if bad:
            raise ValueError(f"weights must be ≥ 0 (check {', '.join(bad)})")
        return {**DEFAULT_WEIGHTS, **{k.lower(): float(v) for k, v in given.items()}}

    @model_validator(mode="after")
    def _ordered(self) -> LoyaltyOptions:
        if not self.tier_core > self.tier_active > self.tier_casual > 0:
            raise ValueError(
                "tier thresholds must satisfy tier_core > tier_active > tier_casual > 0"
            )
        return self


def love_scores(data: CommunityData, opts: LoyaltyOptions) -> pl.LazyFrame:
    """member_id, love: decayed monthly activity points up to the period end.

    Rounded to 9 decimal places: the decay factors are not exact in binary, and a
    multi-threaded sum adds a member's points in an order that depends on how the rows
    were partitioned, so without rounding a score of exactly 20 could come out as
    19.999999999999996 in one run and move the member below the ``active`` threshold.
    Computed in the activity summary the scorecard's profile and loyalty columns also read
    (one pass over the activities for all three; ``_member_base.activity_summary``,
    formula in ``_member_base.love_points``), so shared per data object and options."""
    return _member_base.activity_summary(data, key_of(opts)).select("member_id", "love")


def key_of(opts: LoyaltyOptions) -> _member_base.LoveKey:
    """The love-score options as the shared frames' key."""
    return tuple(sorted(opts.weights.items())), opts.other_weight, opts.decay


def shared_rfm(data: CommunityData) -> pl.LazyFrame:
    """:func:`rfm`, shared per data object (loyalty metric and scorecard)."""
    return data.shared(rfm)


def quintile(rank: pl.Expr) -> pl.Expr:
    """1 + ⌊5 (r − 1) / n⌋ for a 1-based ``rank`` (ties share the minimum rank)."""
    return (1 + (rank.cast(pl.Int64) - 1) * 5 // pl.len().cast(pl.Int64)).cast(pl.Int8)


def rfm(data: CommunityData) -> pl.LazyFrame:
    """One row per customer: member_id, recency (days), frequency, monetary, period
    revenue and orders, R/F/M scores and segment."""
    # frequency = distinct order ids per customer. Counting distinct text per group cost
    # ≈ 0.3 CPU-s per count over 1.9 M orders; instead a row whose id's 64-bit hash occurs
    # once among all paid orders has an id no other row has, so it counts 1, and only the
    # rows of repeated hashes (a repeated id, or in theory two ids with one hash) have
    # their ids counted distinct — the same numbers, as each id is counted once either way.
    # (A hash occurs more than once: ``len().over(hash) > 1``, the same flags as
    # ``is_duplicated()``, which runs on one thread: 0.23 s against 0.08 on 2 M orders.)
    in_period, repeated = pl.col("_in_period"), pl.col("_repeated")
    orders = (
        views.paid_orders(data)
        .filter(pl.col("buyer_id").is_not_null())
        .with_columns(
            _in_period=data.in_period("at"),
            _repeated=pl.len().over(pl.col("order_id").hash()) > 1,
        )
    )

    def distinct_orders(rows: pl.Expr) -> pl.Expr:
        once = (rows & ~repeated).sum()
        return (once + pl.col("order_id").filter(rows & repeated).n_unique()).cast(pl.UInt32)

    customers = orders.group_by(member_id="buyer_id").agg(
        pl.col("at").max().alias("last"),
        distinct_orders(pl.lit(True)).alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
        pl.col("amount").filter(in_period).sum().alias("period_revenue"),
        distinct_orders(in_period).alias("period_orders"),
    )
    last_day = pl.col("last").dt.convert_time_zone(data.timezone).dt.date()
    r, f, m = pl.col("r"), pl.col("f"), pl.col("m")
    segment = (
        pl.when((r >= 4) & (f >= 4) & (m >= 4)).then(pl.lit("champions"))
        .when((r >= 3) & (f >= 4)).then(pl.lit("loyal"))
        .when((r >= 4) & (pl.col("frequency") == 1)).then(pl.lit("new"))
        .when(r >= 3).then(pl.lit("potential"))
        .when(f >= 3).then(pl.lit("at_risk"))
        .otherwise(pl.lit("hibernating"))
    )  # fmt: skip
    return (
        customers.with_columns(
            (pl.lit(data.period.end) - last_day).dt.total_days().alias("recency")
        )
        .with_columns(
            r=quintile(pl.col("recency").rank("min", descending=True)),
            f=quintile(pl.col("frequency").rank("min")),
            m=quintile(pl.col("monetary").rank("min")),
        )
        .with_columns(segment=segment)
        .drop("last")
    )


def _tier(opts: LoyaltyOptions) -> pl.Expr:
    love = pl.col("love")
    return (
        pl.when(love >= opts.tier_core).then(pl.lit("core"))
        .when(love >= opts.tier_active).then(pl.lit("active"))
        .when(love >= opts.tier_casual).then(pl.lit("casual"))
        .otherwise(pl.lit("dormant"))
    )  # fmt: skip


def _with_all(frame: pl.DataFrame, key: str, codes: Mapping[str, object]) -> pl.DataFrame:
    """Left-join ``frame`` onto every code (in order), zero-filling missing ones."""
    keys = pl.DataFrame({key: list(codes)}, schema={key: pl.String})
    return keys.join(frame, on=key, how="left", maintain_order="left").fill_null(0)


def compute(data: CommunityData, opts: LoyaltyOptions) -> MetricResult:
    """Two lazy frames over one cached member table: counts and sums per (tier, segment)
    cell — every table but the top list is a sum over the cells, so the activities,
    orders and members are each scanned once — and the ``top_n`` most loyal members
    (love, then member id), picked by a partial ``top_k`` rather than a sort.

    The member table is the population (members still in a group, and anyone active
    without a membership) and every customer: the rows of the people frame the
    scorecard's columns read too (``_member_base.people``: roster, activity summary and
    RFM side by side, joined once for all three), without those who left and never
    bought."""
    left = pl.col("left_at").is_not_null()
    in_population = ~left & (pl.col("_listed").fill_null(False) | pl.col("love").is_not_null())
    counts = ("frequency", "monetary", "period_revenue", "period_orders")
    rows = (
        _member_base.people(data, key_of(opts), shared_rfm)
        .with_columns(in_population.alias("in_population"))
        .filter(pl.col("in_population") | pl.col("frequency").is_not_null())
        .select(
            "member_id",
            "recency",
            "r",
            "f",
            "m",
            pl.col(*counts).fill_null(0),
            love=pl.when("in_population").then(pl.col("love").fill_null(0.0)),
            segment="rfm_segment",
        )
        .with_columns(tier=pl.when(pl.col("love").is_not_null()).then(_tier(opts)))
        .cache()
    )
    cells = rows.group_by("tier", "segment").agg(
        pl.len().alias("members"),
        (pl.col("period_orders") > 0).sum().alias("buyers"),
        pl.col("period_revenue", "love", "monetary", "recency", "frequency").sum(),
        (pl.col("frequency") >= 2).sum().alias("repeat"),
    )
    top = (
        rows.filter(pl.col("tier").is_not_null())
        .top_k(opts.top_n, by=["love", "member_id"], reverse=[False, True])
        .select(
            "member_id",
            "love",
            "tier",
            pl.concat_str(pl.col("r", "f", "m").cast(pl.String), separator="-").alias("rfm"),
            "segment",
            orders="frequency",
            revenue="monetary",
        )
    )
    return MetricResult(
        {"cells": cells, "top": top},
        lambda got: build(got, opts),
        kpi_frames=("cells",),  # the previous period: KPIs only, no top list
        build_kpis=lambda got: _summary(got["cells"])[0],
    )


def _share(part: float, whole: float) -> float | None:
    return part / whole * 100 if whole else None


def _summary(cells: pl.DataFrame):
    """The tier and segment tables, the KPIs and what the findings read, from the cells
    alone (the previous period's KPIs need nothing else)."""
    people = cells.filter(pl.col("tier").is_not_null())
    buyers = cells.filter(pl.col("segment").is_not_null())
    tiers = _with_all(
        people.group_by("tier").agg(
            pl.col("members").sum(),
            pl.col("buyers").sum(),
            pl.col("period_revenue").sum().alias("revenue"),
        ),
        "tier",
        txt.TIERS,
    )
    segments = _with_all(
        buyers.group_by("segment").agg(
            pl.col("members").sum().alias("customers"),
            pl.col("monetary").sum().alias("revenue"),
            pl.col("recency").sum(),
            pl.col("frequency").sum().alias("orders"),
        ),
        "segment",
        txt.SEGMENTS,
    )
    pop, customers = int(people["members"].sum()), int(buyers["members"].sum())
    tiers = tiers.with_columns(share=pl.col("members") / max(pop, 1) * 100)
    segments = segments.with_columns(
        share=pl.col("customers") / max(customers, 1) * 100,
        recency=pl.when(pl.col("customers") > 0).then(pl.col("recency") / pl.col("customers")),
        orders=pl.when(pl.col("customers") > 0).then(pl.col("orders") / pl.col("customers")),
    )
    mean_love = float(people["love"].sum()) / pop if pop else None
    count = dict(zip(tiers["tier"], tiers["members"], strict=True))
    seg = dict(zip(segments["segment"], segments["customers"], strict=True))
    repeat = _share(int(buyers["repeat"].sum()), customers)
    top_share = _share(count["core"] + count["active"], pop)
    kpis = (
        KPI("repeat_purchase_rate", T("Repeat purchase rate", "复购率"), repeat, "percent",
            T("customers with ≥ 2 paid orders ÷ customers with ≥ 1 (to period end)",
              "付款订单 ≥ 2 的客户 ÷ 付款订单 ≥ 1 的客户（截至期末）"), headline=True),
        KPI("top_tier_share", T("Core and active members", "核心与活跃成员占比"), top_share,
            "percent", T("(core + active members) ÷ members × 100 %",
                         "（核心 + 活跃成员）÷ 成员 × 100%")),
        KPI("core_members", T("Core members", "核心成员"), count["core"], "count",
            T("members with love score ≥ core threshold", "热爱值 ≥ 核心阈值的成员")),
        KPI("at_risk_customers", T("Customers at risk", "流失风险客户"), seg["at_risk"], "count",
            T("RFM R ≤ 2 and F ≥ 3", "RFM 中 R ≤ 2 且 F ≥ 3"), higher_is_better=False),
        KPI("champions", T("Champion customers", "冠军客户"), seg["champions"], "count",
            T("RFM R, F, M all ≥ 4", "RFM 中 R、F、M 均 ≥ 4")),
        KPI("average_love", T("Average love score", "平均热爱值"), mean_love, "score",
            T("mean love score over members", "成员热爱值的平均值")),
    )  # fmt: skip
    return kpis, tiers, segments, (count, seg, repeat, top_share, pop)


def build(got: Mapping[str, pl.DataFrame], opts: LoyaltyOptions) -> Section:
    kpis, tiers, segments, said = _summary(got["cells"])
    top = (
        got["top"]
        .sort(["love", "member_id"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .select("rank", "member_id", "love", "tier", "orders", "revenue", "rfm", "segment")
    )
    member = ColumnInfo(T("Members", "成员数"), "count")
    tables = (
        Table("tiers", T("Members by loyalty tier", "成员忠诚度分层"),
              tiers.select("tier", "members", "share", "buyers", "revenue"),
              {"tier": ColumnInfo(T("Tier", "层级"), values=txt.TIERS), "members": member,
               "share": ColumnInfo(T("Share", "占比"), "percent"),
               "buyers": ColumnInfo(T("Buyers in period", "本期购买人数"), "count"),
               "revenue": ColumnInfo(T("Revenue in period", "本期收入"), "currency")},
              note=txt.TIERS_NOTE),
        Table("rfm_segments", T("Customers by RFM segment", "RFM 客户分群"),
              segments.select("segment", "customers", "share", "revenue", "recency", "orders"),
              {"segment": ColumnInfo(T("Segment", "分群"), values=txt.SEGMENTS),
               "customers": ColumnInfo(T("Customers", "客户数"), "count"),
               "share": ColumnInfo(T("Share", "占比"), "percent"),
               "revenue": ColumnInfo(T("Lifetime revenue", "累计收入"), "currency"),
               "recency": ColumnInfo(T("Avg. days since last order", "平均距上次购买天数"),
                                     "days"),
               "orders": ColumnInfo(T("Avg. orders", "平均订单数"), "ratio")}),
        Table("top_loyal", T("Most loyal members", "最忠诚成员"), top,
              {"rank": ColumnInfo(T("Rank", "排名"), "count"),
               "member_id": ColumnInfo(T("Member", "成员"), "member"),
               "love": ColumnInfo(T("Love score", "热爱值"), "score"),
               "tier": ColumnInfo(T("Tier", "层级"), values=txt.TIERS),
               "orders": ColumnInfo(T("Paid orders", "付款订单"), "count"),
               "revenue": ColumnInfo(T("Lifetime revenue", "累计收入"), "currency"),
               "rfm": ColumnInfo(T("R-F-M", "R-F-M")),
               "segment": ColumnInfo(T("Segment", "分群"), values=txt.SEGMENTS)}),
    )  # fmt: skip
    charts = (
        Chart("tier_bars", "bar", T("Members by tier", "各层级成员数"), "tiers", "tier",
              ("members",), unit="count"),
        Chart("segment_bars", "hbar", T("Customers by RFM segment", "各 RFM 分群客户数"),
              "rfm_segments", "segment", ("customers",), unit="count"),
    )  # fmt: skip
    return Section(kpis=kpis, tables=tables, charts=charts, methodology=txt.METHODOLOGY,
                   findings=_findings(*said))  # fmt: skip


def _findings(count, seg, repeat, top_share, pop) -> tuple[Finding, ...]:
    out = []
    if seg["at_risk"]:
        n = seg["at_risk"]
        out.append(Finding(T(
            f"{n} customers are at risk of churning: they bought often but not recently.",
            f"{n} 名客户有流失风险：曾经多次购买，但近期没有再买。"), "bad", 2.5))  # fmt: skip
    if repeat is not None:
        out.append(Finding(T(
            f"{repeat:.1f} % of customers have bought more than once.",
            f"{repeat:.1f}% 的客户购买过不止一次。"),
            "good" if repeat >= 30 else "neutral", 1.5))  # fmt: skip
    if top_share is not None:
        out.append(Finding(T(
            f"{count['core']} core and {count['active']} active members make up "
            f"{top_share:.0f} % of the community.",
            f"核心成员 {count['core']} 名、活跃成员 {count['active']} 名，占社群的 "
            f"{top_share:.0f}%。"), "neutral", 1.0))  # fmt: skip
    dormant = _share(count["dormant"], pop)
    if dormant is not None and dormant >= 50:
        out.append(Finding(T(
            f"{dormant:.0f} % of members are dormant (love score below the casual threshold).",
            f"{dormant:.0f}% 的成员处于沉睡状态（热爱值低于普通阈值）。"), "bad", 2.0))  # fmt: skip
    return tuple(out)


SPEC = MetricSpec(
    name="loyalty",
    title=T("Loyalty", "忠诚度"),
    description="Decayed engagement love score and tiers; RFM scores, segments, repeat rate.",
    compute=compute,
    options=LoyaltyOptions,
    order=50,
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
