"""Engagement: daily/weekly/monthly actives, stickiness, growth, churn and reply speed.

Definitions (period P = the report's days ``start`` … ``end`` in the report time zone;
a member is *active* on a day when they have at least one engaged activity — anything but
join/leave — whose local date is that day):

- **DAU** = Σ over the days d of P of (distinct members active on d) / number of days of P
  (days without activity count as 0).
- **WAU** = mean, over the complete 7-day windows counted from the period start (days 1–7,
  8–14, …; a remainder shorter than 7 days is left out), of the distinct members active in
  the window. A period shorter than 7 days has one window: the whole period.
- **MAU** = distinct members active in P when P has at most 31 days; otherwise the mean,
  over the calendar months lying entirely inside P, of the distinct members active in the
  month (if no month lies entirely inside P: over the months touching P, days in P only).
- **Stickiness** = DAU / MAU × 100 %.
- **Messages** = activities of kind message, reply, post or comment in P;
  **messages per active member** = messages / active members (distinct members active in P).
- **Members at start** = distinct members in some group at the start of P (a membership
  joined before it, or with no join time, and not left by it — as in the ROI section);
  **members at end** = in some group at the end of P; **growth rate** = (end − start) /
  start × 100 %. The daily series counts a member as joining when they go from no group to
  some group and as leaving when they leave their last group.
- **Activity rate** = members at end who were active in P / members at end × 100 % (so it
  lies in 0–100 %: members who left, and ids not in the member list, do not count).
- **Left** = times in P a member left their last group; **churn rate** = left / members at
  start × 100 %.
- **Gone silent** = members active in the previous period (same length, just before P),
  not active in P and still members at the end of P; **silent rate** = gone silent /
  previous-period actives × 100 %.
- **Time to first reply**: a reply is an activity of kind ``reply`` whose
  ``target_member_id`` is another member. It answers the target's latest message or post
  at or before it (at most ``reply_window_hours`` earlier). For each message or post placed
  in P, the time to first reply is the time from it to the earliest reply answering it; the
  KPI is the median over messages that received one, in hours. **Reply rate** = messages
  with a reply / messages and posts placed in P × 100 %. Replies after the period end are
  not in the data, so messages near the end may look unanswered.
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
    Formula,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    hookimpl,
)
from communityroi.views import active_members, engaged, roster
from plugins.metrics._calendar import day_of_period, full_months
from plugins.metrics._member_events import distinct_members, first_replies, presence_changes
from plugins.metrics.engagement_text import findings

MESSAGE_KINDS = ("message", "reply", "post", "comment")
WEEKLY_GROWTH_AFTER_DAYS = 92  # longer periods list member growth per 7-day block


class EngagementOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply_window_hours: float = Field(
        168, gt=0, description="a reply answers a message at most this many hours older"
    )


def _current(data: CommunityData) -> pl.LazyFrame:
    """The period's engaged activities: member_id, d (day of the period), message (kind
    is one of MESSAGE_KINDS) — each computed once for the daily, weekly, monthly and total
    counts, and 9 bytes a row to keep instead of the text ``kind``."""
    return (
        engaged(data.activities)
        .filter(data.in_period("at"))
        .select(
            "member_id",
            day_of_period(data),
            pl.col("kind").is_in(MESSAGE_KINDS).alias("message"),
        )
    )


def _member_days(data: CommunityData) -> pl.LazyFrame:
    # distinct (member, day) pairs as one integer, member code × 2³² + day, sorted and
    # each kept where it differs from the one before: sorting one u64 column costs a
    # third of hashing it (`unique`) on 7.9 M rows, and the sorted pairs let the weekly
    # and monthly counts find distinct members without hashing again (see distinct_members)
    shift = pl.lit(1 << 32, pl.UInt64)
    code = pl.col("member_id").to_physical().cast(pl.UInt64)
    md = pl.col("_md")
    return (
        period_engaged(data)
        .select((code * shift + pl.col("d").cast(pl.UInt64)).alias("_md"))
        .sort("_md")
        .filter((md != md.shift(1)).fill_null(True))
        .select(
            (pl.col("_md") // shift).alias("member"),
            (pl.col("_md") % shift).cast(pl.Int32).alias("d"),
        )
    )


def period_engaged(data: CommunityData) -> pl.LazyFrame:
    """The period's engaged activities (member_id, d = day of the period, message =
    kind is a message, reply, post or comment), shared per data object."""
    return data.shared(_current)


def member_days(data: CommunityData) -> pl.LazyFrame:
    """Distinct (member, day) pairs of the period's engaged activities, shared per data
    object: ``member`` = the Categorical code of ``member_id`` (UInt64), ``d`` = day of the
    period (0 = its first local day); sorted by ``member``, then ``d``. The scorecard
    counts ``active_days`` from it."""
    return data.shared(_member_days)


def compute(data: CommunityData, opts: EngagementOptions) -> MetricResult:
    start, end, days = data.period.start, data.period.end, data.period.days
    # shared (cached): Polars does not share these subplans between the frames by itself,
    # and each would re-read and re-conform the source
    prev = data.previous()
    acts = engaged(data.activities).select("member_id", "at", "kind")
    current = period_engaged(data)
    pairs = member_days(data)
    calendar = pl.LazyFrame(
        {"d": pl.int_range(0, days, dtype=pl.Int32, eager=True),
         "day": pl.date_range(start, end, "1d", eager=True)}
    )  # fmt: skip
    messages = current.filter(pl.col("message"))
    daily = (
        calendar.join(pairs.group_by("d").agg(pl.len().alias("active_members")), on="d",
                      how="left")
        .join(messages.group_by("d").agg(pl.len().alias("messages")), on="d",
              how="left")
        .select("day", pl.col("active_members", "messages").fill_null(0).cast(pl.Int64))
        .sort("day")
    )  # fmt: skip

    people = roster(data).select("member_id", "joined_at", "left_at").cache()
    changes = presence_changes(data).cache()
    before = pl.col("t").is_null() | (pl.col("t") < pl.lit(data.start))
    moves = changes.filter(data.in_period("t")).group_by(day_of_period(data, "t"))
    net = (pl.col("new_members") - pl.col("left_members")).cum_sum()
    growth = (
        calendar.join(moves.agg((pl.col("change") > 0).sum().alias("new_members"),
                                (pl.col("change") < 0).sum().alias("left_members")),
                      on="d", how="left")
        .join(changes.filter(before).select(pl.col("change").sum().alias("_start")), how="cross")
        .with_columns(pl.col("new_members", "left_members", "_start").fill_null(0)
                      .cast(pl.Int64))
        .sort("d")
        .select("day", (pl.col("_start") + net).alias("members"), "new_members", "left_members")
    )  # fmt: skip

    if days >= 7:
        weekly = distinct_members(
            pairs.filter(pl.col("d") < (days // 7) * 7), pl.col("d") // 7, "w"
        )
    else:
        weekly = distinct_members(pairs, pl.lit(0, pl.Int32), "w")
    month_of_day = pl.date_range(start, end, "1d", eager=True).dt.truncate("1mo")
    full = full_months(start, end)
    if days <= 31:
        monthly = distinct_members(pairs, pl.lit(start), "month")
    else:
        month = pl.lit(month_of_day).gather(pl.col("d"))
        inside = pairs.filter(month.is_in(full)) if full else pairs
        monthly = distinct_members(inside, month, "month")

    active_now = active_members(data)  # shared with the other metrics
    members_end = people.filter(pl.col("left_at").is_null()).select("member_id")
    active_prev = acts.filter(prev.in_period("at")).select("member_id").unique()
    silent = active_prev.join(active_now, on="member_id", how="anti").join(
        members_end, on="member_id", how="semi"
    )
    replies = first_replies(data, timedelta(hours=opts.reply_window_hours))
    totals = pl.concat(
        [
            active_now.select(pl.len().alias("active_members")),
            active_now.join(members_end, on="member_id", how="semi").select(
                pl.len().alias("active_at_end")
            ),
            messages.select(pl.len().alias("messages")),
            changes.select(
                pl.col("change").filter(before).sum().alias("members_start"),
                pl.col("change").sum().alias("members_end"),
                (data.in_period("t") & (pl.col("change") < 0)).sum().alias("left_members"),
            ),
            active_prev.select(pl.len().alias("previous_active")),
            silent.select(pl.len().alias("silent_members")),
            replies.select(
                pl.len().alias("replyable"),
                pl.col("delay_h").count().alias("answered"),
                pl.col("delay_h").median().alias("median_reply_h"),
            ),
        ],
        how="horizontal",
    )
    frames = {
        "totals": totals,
        "daily": daily,
        "growth": growth,
        "weekly": weekly.sort("w"),
        "monthly": monthly.sort("month"),
    }
    windows = days // 7 if days >= 7 else 1
    months = 1 if days <= 31 else len(full) or month_of_day.n_unique()
    return MetricResult(
        frames=frames,
        build=lambda got: _build(got, days, windows, months),
        kpi_frames=("totals", "daily", "weekly", "monthly"),  # not "growth"
        build_kpis=lambda got: _kpis(got, days, windows, months),
    )


# key: label, unit, formula
_P, _C = "percent", "count"
# key: label, unit, formula
KPIS: dict[str, tuple] = {
    "dau": (T("Daily active members (DAU)", "日活跃成员（DAU）"), _C,
            T("Σ daily distinct active members / days in period",
              "每日活跃成员（去重）之和 ÷ 期内天数")),
    "wau": (T("Weekly active members (WAU)", "周活跃成员（WAU）"), _C,
            T("mean distinct active members per complete 7-day window from the period start",
              "自期初起每个完整 7 天窗口内活跃成员（去重）的平均数")),
    "mau": (T("Monthly active members (MAU)", "月活跃成员（MAU）"), _C,
            T("distinct active members in the period if it has ≤ 31 days, else the mean "
              "over the calendar months inside it",
              "期长 ≤ 31 天时为期内活跃成员（去重）；否则为期内各完整自然月活跃成员的平均数")),
    "stickiness": (T("Stickiness (DAU/MAU)", "黏性（DAU/MAU）"), _P, T("DAU / MAU × 100 %")),
    "messages_per_active": (T("Messages per active member", "人均发言数"), "per_member",
                            T("(messages + replies + posts + comments) / active members",
                              "（消息 + 回复 + 帖子 + 评论）÷ 活跃成员数")),
    "activity_rate": (T("Activity rate", "活跃率"), _P,
                      T("members at end who were active / members at end × 100 %",
                        "期末成员中的活跃成员 ÷ 期末成员 × 100%")),
    "growth_rate": (T("Member growth rate", "成员增长率"), _P,
                    T("(members at end − members at start) / members at start × 100 %",
                      "（期末成员 − 期初成员）÷ 期初成员 × 100%")),
    "left_members": (T("Members who left", "退出成员"), _C,
                     T("members whose last membership ended in the period",
                       "期内退出全部社群的成员")),
    "churn_rate": (T("Churn rate", "流失率"), _P,
                   T("members who left / members at start × 100 %",
                     "退出成员 ÷ 期初成员 × 100%")),
    "silent_members": (T("Members gone silent", "沉默成员"), _C,
                       T("active in the previous period, not in this one, still a member "
                         "at the end", "上期活跃、本期未活跃且期末仍在群内的成员")),
    "silent_rate": (T("Silent rate", "沉默率"), _P,
                    T("gone silent / previous-period active members × 100 %",
                      "沉默成员 ÷ 上期活跃成员 × 100%")),
    "median_reply_hours": (T("Median time to first reply", "首次回复时长中位数"), "hours",
                           T("median over the period's answered messages of (first reply − "
                             "message), hours",
                             "期内获得回复的消息从发出到首次被他人回复的时长中位数（小时）")),
    "reply_rate": (T("Reply rate", "回复率"), _P,
                   T("messages and posts with a reply / messages and posts × 100 %",
                     "获得回复的消息与帖子 ÷ 消息与帖子总数 × 100%")),
}  # fmt: skip
HEADLINE = {"mau", "stickiness"}
LOWER_IS_BETTER = {"left_members", "churn_rate", "silent_members", "silent_rate",
                   "median_reply_hours"}  # fmt: skip


def _ratio(a, b, scale: float = 100.0) -> float | None:
    return None if a is None or not b else float(a) / float(b) * scale


def kpi_values(
    got: Mapping[str, pl.DataFrame], days: int, windows: int, months: int
) -> dict[str, float | int | None]:
    """The KPI values from the collected frames (small: one row per day/window/month)."""
    t = got["totals"].row(0, named=True)
    dau = float(got["daily"]["active_members"].sum()) / days
    # windows and months without any active member have no row: they count as 0
    wau = float(got["weekly"]["active"].sum()) / windows
    mau = float(got["monthly"]["active"].sum()) / months
    return {
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": _ratio(dau, mau),
        "messages_per_active": _ratio(t["messages"], t["active_members"], 1.0),
        "activity_rate": _ratio(t["active_at_end"], t["members_end"]),
        "growth_rate": _ratio(t["members_end"] - t["members_start"], t["members_start"]),
        "left_members": t["left_members"],
        "churn_rate": _ratio(t["left_members"], t["members_start"]),
        "silent_members": t["silent_members"],
        "silent_rate": _ratio(t["silent_members"], t["previous_active"]),
        "median_reply_hours": t["median_reply_h"],
        "reply_rate": _ratio(t["answered"], t["replyable"]),
    }


def _kpis(got: Mapping[str, pl.DataFrame], days: int, windows: int, months: int) -> tuple[KPI, ...]:
    v = kpi_values(got, days, windows, months)
    return tuple(
        KPI(key, label, v[key], unit, formula=formula, headline=key in HEADLINE,
            higher_is_better=key not in LOWER_IS_BETTER)
        for key, (label, unit, formula) in KPIS.items()
    )  # fmt: skip


def _build(got: Mapping[str, pl.DataFrame], days: int, windows: int, months: int) -> Section:
    v = kpi_values(got, days, windows, months)
    kpis = _kpis(got, days, windows, months)
    growth, note = got["growth"], None
    if days > WEEKLY_GROWTH_AFTER_DAYS:
        growth = (
            growth.group_by(pl.int_range(pl.len()) // 7, maintain_order=True)
            .agg(pl.col("day", "members").last(), pl.col("new_members", "left_members").sum())
            .select("day", "members", "new_members", "left_members")
        )
        note = T(
            "One row per 7 days from the period start (members on its last day).",
            "自期初起每 7 天一行（成员数取该段最后一天）。",
        )
    day = ColumnInfo(T("Day", "日期"), "date")
    tables = (
        Table("daily", T("Daily activity", "每日活跃"), got["daily"], {
            "day": day,
            "active_members": ColumnInfo(T("Active members", "活跃成员"), "count"),
            "messages": ColumnInfo(T("Messages", "发言数"), "count"),
        }, show=False),  # drawn as a line chart; full series in JSON/XLSX
        Table("growth", T("Member growth", "成员增长"), growth, {
            "day": day,
            "members": ColumnInfo(T("Members", "成员数"), "count"),
            "new_members": ColumnInfo(T("Joined", "新加入"), "count"),
            "left_members": ColumnInfo(T("Left", "退出"), "count"),
        }, note=note, show=False),
    )  # fmt: skip
    charts = (
        Chart("daily_active", "line", T("Active members per day", "每日活跃成员"), "daily",
              x="day", y=("active_members",), unit="count"),
        Chart("member_growth", "line", T("Members over time", "成员数变化"), "growth",
              x="day", y=("members",), unit="count"),
    )  # fmt: skip
    return Section(
        kpis=kpis,
        tables=tables,
        charts=charts,
        findings=findings(v),
        methodology=_methodology(),
        intro=T(
            "Is the community alive? How many members take part and how often, how fast "
            "they get answers, and who is drifting away.",
            "社群是否活跃？多少成员参与、参与频率、回复速度，以及哪些成员正在流失。",
        ),
    )


def _methodology() -> tuple[Formula, ...]:
    active = Formula(
        T("Active member", "活跃成员"),
        T(
            "a member with at least one activity other than join/leave on the day (report "
            "time zone) or in the period",
            "当天（按报告时区）或期内有除入群、退群以外任何互动的成员",
        ),
    )
    reply = Formula(
        T("Which message a reply answers", "回复对应哪条消息"),
        T(
            "A reply (kind reply, to another member) answers that member's latest message or "
            "post at or before it; replies after the period end are not seen.",
            "一条回复（类型为 reply，回复他人）对应被回复成员在此之前最近的一条消息或帖子；"
            "期末之后的回复不计入。",
        ),
    )
    return (active, *(Formula(label, f) for label, _u, f in KPIS.values()), reply)


SPEC = MetricSpec(
    name="engagement",
    title=T("Engagement", "社群活跃度"),
    order=20,
    compute=compute,
    options=EngagementOptions,
    description="DAU/WAU/MAU, stickiness, activity, growth, churn, silent members and time "
    "to first reply",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
