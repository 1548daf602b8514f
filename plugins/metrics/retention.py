"""Retention: monthly join cohorts × months since joining.

Definitions (months are calendar months in the report time zone):

- A member's **cohort** is the month of their first join (members without a join time
  belong to no cohort). The table shows the last ``cohorts`` months up to the month that
  contains the period end.
- **Month k** of a cohort is the k-th calendar month after the join month (month 0 is the
  join month itself).
- **Share active** in month k = cohort members with at least one engaged activity (not
  join/leave) in month k / cohort size × 100 %. Members who left stay in the denominator.
- A month is **complete** when it ends on or before the period end. The last month may be
  partial; its cells are shown but left out of the KPIs.
- **Month-k retention** (KPI) = Σ over cohorts whose month k is complete of active members
  in month k / Σ of their sizes × 100 % (a size-weighted mean of the column).

Not compared with the previous period: the cohorts overlap almost entirely, and the
previous period's figures are the same cells one month earlier.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

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
from communityroi.views import engaged, roster
from plugins.metrics._calendar import interval_index, month_starts, utc_midnights

KPI_MONTHS = (1, 3, 6)


class RetentionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cohorts: int = Field(12, ge=1, le=60, description="how many monthly cohorts to show")


def compute(data: CommunityData, opts: RetentionOptions) -> MetricResult:
    starts = month_starts(data.period.end, opts.cohorts)
    bounds = utc_midnights(starts, data.timezone)
    labels = pl.Series([d.strftime("%Y-%m") for d in starts[:-1]])
    # members by their Categorical code (the same in every table of the data)
    code = pl.col("member_id").to_physical().cast(pl.UInt64)
    cohorts = (
        roster(data)
        .filter(pl.col("joined_at") >= pl.lit(bounds[0]))
        .select(code.alias("member"), interval_index(bounds, "joined_at").alias("cohort"))
    )
    # distinct (member, month) pairs as one integer, code × 2³² + month: a unique over one
    # u64 column costs half of one over (member_id, month) on the 8 M activities
    shift = pl.lit(1 << 32, pl.UInt64)
    active_months = (
        engaged(data.activities)
        .filter(pl.col("at") >= pl.lit(bounds[0]))
        .select((code * shift + interval_index(bounds, "at").cast(pl.UInt64)).alias("_mm"))
        .sort("_mm")
        .filter((pl.col("_mm") != pl.col("_mm").shift(1)).fill_null(True))
        .select(
            (pl.col("_mm") // shift).alias("member"),
            (pl.col("_mm") % shift).cast(pl.Int32).alias("month"),
        )
    )
    cells = (
        active_months.join(cohorts, on="member")
        .filter(pl.col("month") >= pl.col("cohort"))
        .group_by("cohort", (pl.col("month") - pl.col("cohort")).alias("offset"))
        .agg(pl.len().alias("active"))
    )
    sizes = cohorts.group_by("cohort").agg(pl.len().alias("members"))
    grid = sizes.join(
        pl.LazyFrame({"offset": pl.int_range(0, opts.cohorts, dtype=pl.Int32, eager=True)}),
        how="cross",
    ).filter(pl.col("cohort") + pl.col("offset") < opts.cohorts)
    out = (
        grid.join(cells, on=["cohort", "offset"], how="left")
        .with_columns(
            pl.col("active").fill_null(0), pl.lit(labels).gather(pl.col("cohort")).alias("label")
        )
        .with_columns((pl.col("active") / pl.col("members") * 100).alias("share"))
        .select(pl.col("label").alias("cohort"), "offset", "members", "active", "share",
                (pl.col("cohort") + pl.col("offset")).alias("_month"))
        .sort("cohort", "offset")
    )  # fmt: skip
    last_complete = opts.cohorts - (1 if starts[-1] - timedelta(days=1) <= data.period.end else 2)
    return MetricResult(frames={"cells": out}, build=lambda got: _build(got, last_complete))


def retention_kpis(cells: pl.DataFrame, last_complete: int) -> dict[int, float | None]:
    """Month-k retention for k in KPI_MONTHS: size-weighted share over complete cells."""
    done = cells.filter(pl.col("_month") <= last_complete)
    out: dict[int, float | None] = {}
    for k in KPI_MONTHS:
        col = done.filter(pl.col("offset") == k)
        total = col["members"].sum()
        out[k] = float(col["active"].sum()) / total * 100 if col.height and total else None
    return out


def _build(got: Mapping[str, pl.DataFrame], last_complete: int) -> Section:
    cells = got["cells"]
    values = retention_kpis(cells, last_complete)
    kpis = tuple(
        KPI(f"month_{k}_retention", T(f"Month-{k} retention", f"第 {k} 个月留存率"), values[k],
            "percent", headline=k == 1,
            formula=T(f"cohort members active in month {k} after joining / cohort size × 100 % "
                      "(size-weighted over complete months)",
                      f"入群后第 {k} 个月仍活跃的成员 ÷ 同期入群成员 × 100%（按人数加权，"
                      "仅含完整月份）"))
        for k in KPI_MONTHS
    )  # fmt: skip
    wide = (
        cells.pivot("offset", index=["cohort", "members"], values="share", sort_columns=True)
        .rename(lambda c: f"m{c}" if c.isdigit() else c)
        .sort("cohort")
        if cells.height
        else pl.DataFrame({"cohort": [], "members": []}, schema={"cohort": pl.String,
                                                                 "members": pl.UInt32})
    )  # fmt: skip
    columns = {
        "cohort": ColumnInfo(T("Joined in", "入群月份")),
        "members": ColumnInfo(T("Members", "人数"), "count"),
    } | {
        c: ColumnInfo(T(f"Month {c[1:]}", f"第 {c[1:]} 月"), "percent")
        for c in wide.columns
        if c.startswith("m") and c[1:].isdigit()
    }
    tables = (
        Table("cohorts", T("Share of each join cohort still active", "各入群月份成员的留存率"),
              wide, columns,
              note=T("Month 0 is the month of joining. The latest month may be incomplete.",
                     "第 0 月为入群当月；最近一个月可能尚未结束。")),
        Table("cells", T("Retention cells", "留存明细"), cells.drop("_month"), {
            "cohort": ColumnInfo(T("Joined in", "入群月份")),
            "offset": ColumnInfo(T("Months since joining", "入群后月数"), "count"),
            "members": ColumnInfo(T("Members", "人数"), "count"),
            "active": ColumnInfo(T("Active", "活跃人数"), "count"),
            "share": ColumnInfo(T("Share active", "留存率"), "percent"),
        }, show=False),
    )  # fmt: skip
    chart = Chart(
        "retention_heatmap", "heatmap", T("Retention by join cohort", "入群月份留存热力图"),
        "cells", x="offset", y=("cohort",), value="share", unit="percent",
        x_label=T("Months since joining", "入群后月数"), y_label=T("Joined in", "入群月份"),
    )  # fmt: skip
    return Section(
        kpis=kpis,
        tables=tables,
        charts=(chart,),
        findings=_findings(values, cells, last_complete),
        methodology=_methodology(),
        intro=T(
            "Do new members stay? Each row follows the members who joined in one month.",
            "新成员留得住吗？每一行追踪同一个月入群的成员此后每月的活跃情况。",
        ),
    )


def _findings(values: dict, cells: pl.DataFrame, last_complete: int) -> tuple[Finding, ...]:
    out = []
    m1 = values[1]
    if m1 is not None:
        tone = "good" if m1 >= 40 else "bad" if m1 < 20 else "neutral"
        out.append(Finding(T(
            "{r:.0f} % of new members were still taking part in their second month.",
            "新成员在入群后第二个月仍有 {r:.0f}% 保持活跃。",
        ).format(r=m1), tone, 5))  # fmt: skip
    recent = cells.filter((pl.col("offset") == 1) & (pl.col("_month") <= last_complete))
    if recent.height >= 4:
        shares = recent.sort("cohort")["share"]
        latest, earlier = shares.tail(3).mean(), shares.head(shares.len() - 3).mean()
        if latest is not None and earlier is not None and abs(latest - earlier) >= 5:
            better = latest > earlier
            out.append(Finding(T(
                "Month-1 retention of the last three cohorts ({a:.0f} %) is {w} than before "
                "({b:.0f} %).",
                "最近三个入群批次的次月留存（{a:.0f}%）{wz}此前（{b:.0f}%）。",
            ).format(a=latest, b=earlier, w="better" if better else "worse",
                     wz="高于" if better else "低于"), "good" if better else "bad", 4))  # fmt: skip
    return tuple(out)


def _methodology() -> tuple[Formula, ...]:
    f = [
        (T("Cohort", "入群批次"), T(
            "members grouped by the calendar month of their first join (report time zone)",
            "按首次入群的自然月（报告时区）分组的成员")),
        (T("Share active in month k", "第 k 月留存率"), T(
            "cohort members with an activity other than join/leave in the k-th month after "
            "the join month / cohort size × 100 %",
            "入群后第 k 个自然月有除入群、退群以外互动的成员 ÷ 该批次人数 × 100%")),
        (T("Month-k retention", "第 k 月留存率（汇总）"), T(
            "Σ active in month k / Σ cohort size, over cohorts whose month k has ended",
            "对第 k 月已结束的批次：第 k 月活跃人数之和 ÷ 批次人数之和")),
    ]  # fmt: skip
    return tuple(Formula(a, b) for a, b in f)


SPEC = MetricSpec(
    name="retention",
    title=T("Retention", "成员留存"),
    order=30,
    compute=compute,
    options=RetentionOptions,
    compare_previous=False,
    description="Monthly join cohorts × months since joining: share still active, heat map",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
