"""Best times to post: engaged activity by hour × weekday in the report's time zone.

Definitions (period P; local time in the report time zone, daylight saving included):

- **Cell (weekday w, hour h)**: engaged activities (not join/leave) in P whose local time
  falls on weekday w (1 = Monday … 7 = Sunday) between h:00 and h+1:00.
- **Per day** = activities in the cell / number of dates in P falling on weekday w (so
  periods with five Mondays and four Sundays compare fairly).
- **Window**: ``window_hours`` consecutive hours within one day (not across midnight).
  Its level for weekdays (Mon–Fri) or weekends (Sat–Sun) = Σ activities in those hours on
  those days / number of such dates in P, i.e. activities per day in the window.
- **Best windows**: the highest-level window for weekdays and for weekends, and the single
  busiest weekday-hour cell. **Peak share** = activities in the best weekday and weekend
  windows (on their own days) / all engaged activities in P × 100 %.

The local hour comes from a binary search in the UTC instants of the period's local hour
starts (so repeated and skipped DST hours are handled like a time-zone conversion would).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
    Text,
    hookimpl,
)
from communityroi.views import engaged
from plugins.metrics._calendar import position

DAYS = {
    "weekdays": T("Weekdays", "工作日"),
    "weekends": T("Weekends", "周末"),
}
WEEKDAY_NAMES = [
    T(a, b)
    for a, b in zip(
        ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"),
        ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
        strict=True,
    )
]


class TimingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_hours: int = Field(2, ge=1, le=12, description="length of the best windows")


def hour_starts(data: CommunityData) -> pl.DataFrame:
    """Every local hour start of the period: UTC instant, ISO weekday and hour."""
    zone, rows = ZoneInfo(data.timezone), []
    for i in range(data.period.days):
        day = data.period.start + timedelta(days=i)
        for h in range(24):
            rows.append(
                (datetime.combine(day, time(h), tzinfo=zone).astimezone(UTC), day.isoweekday(), h)
            )
    return pl.DataFrame(
        rows,
        schema={"at": pl.Datetime("us", "UTC"), "weekday": pl.Int8, "hour": pl.Int8},
        orient="row",
    )


def weekday_hour(data: CommunityData, column: str = "at") -> list[pl.Expr]:
    """``weekday`` (1–7) and ``hour`` (0–23) in local time of a UTC ``column`` in P."""
    starts = hour_starts(data)
    i = position(starts["at"], column) - 1
    return [
        pl.lit(starts["weekday"]).gather(i).alias("weekday"),
        pl.lit(starts["hour"]).gather(i).alias("hour"),
    ]


def date_counts(data: CommunityData) -> dict[int, int]:
    """How many dates of the period fall on each ISO weekday."""
    out = dict.fromkeys(range(1, 8), 0)
    for i in range(data.period.days):
        out[(data.period.start + timedelta(days=i)).isoweekday()] += 1
    return out


def compute(data: CommunityData, opts: TimingOptions) -> MetricResult:
    # count per local hour of the period (one binary search per activity), then add the
    # period's hours up per (weekday, hour): the same cells as grouping every activity by
    # its weekday and hour, without two lookups per activity and a two-key group-by
    starts = hour_starts(data).with_row_index("i")
    i = position(starts["at"], "at") - 1
    cells = (
        engaged(data.activities)
        .filter(data.in_period("at"))
        .group_by(i.alias("i"))
        .agg(pl.len().alias("n"))
        .join(starts.lazy(), on="i")
        .group_by("weekday", "hour")
        .agg(pl.col("n").sum().alias("activities"))
    )
    grid = pl.LazyFrame({"weekday": range(1, 8)}, schema={"weekday": pl.Int8}).join(
        pl.LazyFrame({"hour": range(24)}, schema={"hour": pl.Int8}), how="cross"
    )
    out = (
        grid.join(cells, on=["weekday", "hour"], how="left")
        .with_columns(pl.col("activities").fill_null(0).cast(pl.Int64))
        .sort("weekday", "hour")
    )
    counts = date_counts(data)
    return MetricResult(frames={"cells": out}, build=lambda got: _build(got, counts, opts))


def best_windows(cells: pl.DataFrame, counts: Mapping[int, int], width: int) -> pl.DataFrame:
    """Per day type (weekdays, weekends) the ``width``-hour window with the most activities
    per day: columns days, start, end, per_day, activities (best first)."""
    kind = pl.when(pl.col("weekday") <= 5).then(pl.lit("weekdays")).otherwise(pl.lit("weekends"))
    dates = {
        "weekdays": sum(counts[d] for d in range(1, 6)),
        "weekends": counts[6] + counts[7],
    }
    by_hour = (
        cells.group_by(kind.alias("days"), "hour")
        .agg(pl.col("activities").sum())
        .sort("days", "hour")
    )
    windows = (
        by_hour.with_columns(
            pl.col("activities").rolling_sum(width).over("days").alias("in_window"),
            (pl.col("hour").cast(pl.Int32) - width + 1).alias("start"),
        )
        .filter(pl.col("in_window").is_not_null() & (pl.col("start") >= 0))
        .with_columns(pl.col("days").replace_strict(dates, return_dtype=pl.Int64).alias("dates"))
        .filter(pl.col("dates") > 0)
        .with_columns((pl.col("in_window") / pl.col("dates")).alias("per_day"))
    )
    return (
        windows.sort("per_day", "start", descending=[True, False])
        .group_by("days", maintain_order=True)
        .first()
        .select(
            "days",
            "start",
            (pl.col("start") + width).alias("end"),
            "per_day",
            pl.col("in_window").alias("activities"),
        )
        .sort("per_day", descending=True)
    )


def window_text(days: str, start: int, end: int) -> Text:
    span = f"{start:02d}:00–{end:02d}:00"
    if days == "weekdays":
        return T(f"{span} on weekdays", f"工作日 {span}")
    return T(f"{span} at weekends", f"周末 {span}")


def _build(got: Mapping[str, pl.DataFrame], counts: dict[int, int], opts: TimingOptions) -> Section:
    cells = got["cells"].with_columns(
        (
            pl.col("activities") / pl.col("weekday").replace_strict(counts, return_dtype=pl.Float64)
        ).alias("per_day")
    )
    total = int(cells["activities"].sum())
    windows = best_windows(cells, counts, opts.window_hours)
    peak = int(windows["activities"].sum()) if windows.height else 0
    kpis = (
        KPI("activities", T("Engaged activities", "互动次数"), total, "count",
            formula=T("activities other than join/leave in the period",
                      "期内除入群、退群以外的互动次数")),
        KPI("peak_share", T("Share in the best windows", "最佳时段互动占比"),
            peak / total * 100 if total else None, "percent",
            formula=T(f"activities in the best {opts.window_hours}-hour weekday and weekend "
                      "windows / all activities × 100 %",
                      f"工作日与周末最佳 {opts.window_hours} 小时时段的互动 ÷ 全部互动 × 100%")),
    )  # fmt: skip
    named = windows.with_columns(
        pl.format("{}:00–{}:00", pl.col("start").cast(pl.String).str.zfill(2),
                  pl.col("end").cast(pl.String).str.zfill(2)).alias("window")
    ).select("days", "window", "per_day", "activities")  # fmt: skip
    tables = (
        Table("cells", T("Activity by weekday and hour", "按星期与小时的互动"), cells, {
            "weekday": ColumnInfo(T("Weekday", "星期")),
            "hour": ColumnInfo(T("Hour", "小时")),
            "activities": ColumnInfo(T("Activities", "互动次数"), "count"),
            "per_day": ColumnInfo(T("Per day", "日均"), "ratio"),
        }, show=False),
        Table("best_windows", T("Best times to post", "最佳发布时段"), named, {
            "days": ColumnInfo(T("Days", "日期类型"), values=DAYS),
            "window": ColumnInfo(T("Time", "时段")),
            "per_day": ColumnInfo(T("Activities per day", "日均互动"), "ratio"),
            "activities": ColumnInfo(T("Activities", "互动次数"), "count"),
        }),
    )  # fmt: skip
    chart = Chart(
        "hour_weekday", "heatmap", T("When members are active", "成员活跃时段"), "cells",
        x="hour", y=("weekday",), value="per_day", unit="ratio",
        x_label=T("Hour (report time zone)", "小时（报告时区）"), y_label=T("Weekday", "星期"),
    )  # fmt: skip
    return Section(
        kpis=kpis,
        tables=tables,
        charts=(chart,),
        findings=_findings(windows, cells),
        methodology=_methodology(opts),
        intro=T(
            "When are members online? Post and schedule events when most of them are there.",
            "成员什么时候在线？在大多数成员在线时发布内容、安排活动。",
        ),
    )


def _findings(windows: pl.DataFrame, cells: pl.DataFrame) -> tuple[Finding, ...]:
    if not windows.height:
        return ()
    parts = [window_text(d, s, e) for d, s, e in windows.select("days", "start", "end").rows()]
    best = cells.sort("per_day", "weekday", "hour", descending=[True, False, False]).row(
        0, named=True
    )
    day = WEEKDAY_NAMES[best["weekday"] - 1]
    span = f"{best['hour']:02d}:00–{best['hour'] + 1:02d}:00"
    text = T(
        "Members are most active " + " and ".join(p.en for p in parts) + "; the busiest single "
        f"hour is {span} on {day.en}. Post announcements and start events then.",
        "成员最活跃的时段是" + "和".join(p.zh for p in parts) + f"；最繁忙的单个小时是{day.zh} "
        f"{span}。建议在这些时段发布公告、开展活动。",
    )
    return (Finding(text, "neutral", 3),)


def _methodology(opts: TimingOptions) -> tuple[Formula, ...]:
    f = [
        (T("Weekday × hour", "星期 × 小时"), T(
            "engaged activities in the period by local weekday and hour (report time zone), "
            "divided by how many of that weekday the period has",
            "按报告时区的星期与小时统计期内互动次数，再除以期内该星期的天数")),
        (T("Best window", "最佳时段"), T(
            f"the {opts.window_hours} consecutive hours with the most activities per day, "
            "separately for weekdays (Mon–Fri) and weekends",
            f"工作日（周一至周五）与周末分别计算，日均互动最多的连续 {opts.window_hours} 小时")),
    ]  # fmt: skip
    return tuple(Formula(a, b) for a, b in f)


SPEC = MetricSpec(
    name="timing",
    title=T("Best times to post", "最佳互动时段"),
    order=70,
    compute=compute,
    options=TimingOptions,
    compare_previous=False,
    description="Activity by hour × weekday in the report time zone, with the best windows",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
