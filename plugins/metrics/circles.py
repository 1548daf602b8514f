"""Paid circles (知识星球, 小鹅通 memberships …): renewal rate and revenue per member.

A **membership fee** is a paid order with ``expires_at`` (the end of the period it pays
for), as the ``preset`` source writes them from a 知识星球 or 小鹅通 membership export; its
**circle** is the order's ``product``. A member is the fee's buyer (``customer_id``, else
``member_id``). Over the report period P = [start, end) (report time zone), with the data
seen at the end of P:

- a fee is **due** in P when its ``expires_at`` falls in P; it is **renewed** when the same
  buyer paid a later fee for the same circle no later than ``grace_days`` after that
  expiry (and by the end of P: a renewal after P is not known yet). Early renewals count.
  **Renewal rate** = renewed / due × 100 %.
- **members** = buyers with a fee whose paid period overlaps P (paid before the end of P,
  expiring after its start); **fee revenue** = Σ net amount (after refunds) of fees paid
  in P; **revenue per member** = fee revenue / members; **renewals** = fees paid in P that
  are not the buyer's first for that circle.
- **fees per member to date** = Σ net fees paid up to the end of P / buyers who ever paid
  one.

Refunded fees carry no revenue and are never due (``communityroi.views.paid_orders``);
fees feed CLV like every paid order, and the ``renew`` activities the preset source writes
count as participation in retention.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from communityroi import (
    KPI,
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
from communityroi.views import paid_orders


class CirclesOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_days: int = Field(
        30, ge=0, le=365, description="days after an expiry in which a new fee still renews"
    )


def _fees(data: CommunityData, grace_days: int) -> pl.LazyFrame:
    key = pl.coalesce(pl.col("customer_id").cast(pl.String), pl.col("buyer_id").cast(pl.String))
    grace = pl.duration(days=grace_days)
    return (
        paid_orders(data)
        .filter(pl.col("expires_at").is_not_null())
        .select(
            key.alias("key"),
            pl.col("product").fill_null("—").alias("circle"),
            "at",
            "expires_at",
            "amount",
        )
        .filter(pl.col("key").is_not_null())
        .sort("key", "circle", "at", "expires_at")
        .with_columns(
            pl.col("at").shift(-1).over("key", "circle").alias("next_at"),
            (pl.int_range(pl.len()).over("key", "circle") > 0).alias("is_renewal"),
        )
        .with_columns(
            data.in_period("expires_at").alias("due"),
            data.in_period("at").alias("paid_in_period"),
            ((pl.col("at") < pl.lit(data.end)) & (pl.col("expires_at") > pl.lit(data.start))).alias(
                "covers"
            ),
        )
        .with_columns(
            (
                pl.col("due")
                & pl.col("next_at").is_not_null()
                & (pl.col("next_at") <= pl.col("expires_at") + grace)
            ).alias("renewed")
        )
    )


def _sums(frame: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    agg = [
        pl.col("key").filter(pl.col("covers")).n_unique().alias("members"),
        pl.col("due").sum().alias("due"),
        pl.col("renewed").sum().alias("renewed"),
        pl.col("amount").filter(pl.col("paid_in_period")).sum().alias("fee_revenue"),
        (pl.col("paid_in_period") & pl.col("is_renewal")).sum().alias("renewals"),
        pl.col("amount").sum().alias("fees_to_date"),
        pl.col("key").n_unique().alias("payers"),
    ]
    out = frame.group_by(by, maintain_order=True).agg(agg) if by else frame.select(agg)
    return out.with_columns(
        pl.when(pl.col("due") > 0).then(pl.col("renewed") / pl.col("due") * 100).alias("rate"),
        pl.when(pl.col("members") > 0)
        .then(pl.col("fee_revenue") / pl.col("members"))
        .alias("per_member"),
        pl.when(pl.col("payers") > 0)
        .then(pl.col("fees_to_date") / pl.col("payers"))
        .alias("per_member_to_date"),
    )


def compute(data: CommunityData, opts: CirclesOptions) -> MetricResult:
    fees = _fees(data, opts.grace_days).cache()
    return MetricResult(
        frames={
            "total": _sums(fees, []),
            "by_circle": _sums(fees, ["circle"]).sort("circle"),
        },
        build=_build,
        kpi_frames=("total",),
        build_kpis=lambda got: _kpis(got["total"]),
    )


def _kpis(total: pl.DataFrame) -> tuple[KPI, ...]:
    r = total.row(0, named=True) if total.height else {}
    return (
        KPI("renewal_rate", T("Renewal rate", "续费率"), r.get("rate"), "percent", headline=True,
            formula=T("memberships expiring in the period renewed / memberships expiring in "
                      "the period × 100 %", "本期到期且已续费的会员 ÷ 本期到期的会员 × 100%")),
        KPI("revenue_per_member", T("Fee revenue per member", "人均会费收入"),
            r.get("per_member"), "currency",
            formula=T("membership fees paid in the period (net of refunds) / members whose paid "
                      "period overlaps it", "本期实收会费（扣除退款）÷ 本期在籍付费会员数")),
        KPI("paid_members", T("Paying members", "付费会员"), r.get("members"), "count",
            formula=T("buyers with a paid membership covering part of the period",
                      "付费有效期与本期有交集的会员")),
        KPI("renewals", T("Renewals", "续费次数"), r.get("renewals"), "count",
            formula=T("fees paid in the period that are not the member's first for that circle",
                      "本期支付、且不是该会员在该圈子首次付费的会费笔数")),
        KPI("fees_per_member_to_date", T("Fees per member to date", "人均累计会费"),
            r.get("per_member_to_date"), "currency",
            formula=T("all membership fees to the period end (net) / members who ever paid one",
                      "截至期末的全部会费（扣除退款）÷ 曾付费的会员数")),
    )  # fmt: skip


def _build(got: Mapping[str, pl.DataFrame]) -> Section:
    kpis = _kpis(got["total"])
    by = got["by_circle"].select(
        "circle", "members", "due", "renewed", "rate", "renewals", "fee_revenue", "per_member"
    )
    columns = {
        "circle": ColumnInfo(T("Circle", "圈子")),
        "members": ColumnInfo(T("Paying members", "付费会员"), "count"),
        "due": ColumnInfo(T("Expiring", "本期到期"), "count"),
        "renewed": ColumnInfo(T("Renewed", "已续费"), "count"),
        "rate": ColumnInfo(T("Renewal rate", "续费率"), "percent"),
        "renewals": ColumnInfo(T("Renewals paid", "本期续费笔数"), "count"),
        "fee_revenue": ColumnInfo(T("Fee revenue", "会费收入"), "currency"),
        "per_member": ColumnInfo(T("Per member", "人均会费"), "currency"),
    }
    table = Table(
        "by_circle", T("Renewals and fees per circle", "各付费圈子续费与会费"), by, columns
    )
    return Section(
        kpis=kpis,
        tables=(table,),
        findings=_findings(got["total"]),
        methodology=_methodology(),
        intro=T(
            "Do paying members renew, and what does a member bring in fees?",
            "付费会员会续费吗？每位会员带来多少会费？",
        ),
    )


def _findings(total: pl.DataFrame) -> tuple[Finding, ...]:
    if not total.height:
        return ()
    r = total.row(0, named=True)
    if not r["due"]:
        return ()
    rate = r["rate"]
    tone = "good" if rate >= 60 else "bad" if rate < 40 else "neutral"
    return (
        Finding(T(
            "{n} of {d} memberships that expired in the period were renewed ({r:.0f} %).",
            "本期到期的 {d} 个付费会员中有 {n} 个已续费（{r:.0f}%）。",
        ).format(n=r["renewed"], d=r["due"], r=rate), tone, 5),
    )  # fmt: skip


def _methodology() -> tuple[Formula, ...]:
    f = [
        (T("Membership fee", "会费"), T(
            "a paid order with an expiry (expires_at); its circle is the order's product",
            "带到期时间（expires_at）的已支付订单；所属圈子为订单的 product")),
        (T("Renewal rate", "续费率"), T(
            "fees expiring in the period whose buyer paid a later fee for the same circle "
            "within the grace days after expiry (and by the period end) / fees expiring in "
            "the period × 100 %",
            "本期到期、且同一会员在到期后宽限天数内（且在期末前）为同一圈子再次付费的会费 ÷ "
            "本期到期的会费 × 100%")),
        (T("Fee revenue per member", "人均会费收入"), T(
            "Σ net fees paid in the period / buyers whose paid period overlaps the period",
            "本期实收会费之和（扣除退款）÷ 付费有效期与本期有交集的会员数")),
    ]  # fmt: skip
    return tuple(Formula(a, b) for a, b in f)


SPEC = MetricSpec(
    name="circles",
    title=T("Paid circles", "付费圈子"),
    order=45,
    compute=compute,
    options=CirclesOptions,
    enabled_by_default=False,  # runs with [metrics.circles] (membership exports)
    description="Paid circles (知识星球, 小鹅通): renewal rate, paying members, fee revenue per "
    "member, per circle",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
