"""Action lists: the members to act on this month, from the member scorecard.

Four flags are added to every row of the scorecard (``act_*`` columns, see
:data:`FLAGS`) and each list is a report section table of its first ``top_n`` members
with the rule in words and its size. Members who left every group are never listed.

- **High-value members at risk** (``act_at_risk``): value in the top ``high_value_share``
  % of members with a value > 0 — value = predicted CLV, or observed CLV when no model
  was fitted — and P(alive) < ``p_alive_below`` or no engaged activity for at least
  ``inactive_days`` days. Listed by value.
- **Advocates to recruit** (``act_advocate``): influence percentile ≥
  ``advocate_influence_pct``, loyalty tier in ``advocate_tiers`` and at least
  ``advocate_min_referrals`` invitees who joined in the period. Listed by referrals, then
  influence.
- **New members to welcome** (``act_welcome``): first joined less than ``new_days`` days
  before the period end and at most one engaged activity to date. Newest first.
- **Dormant members worth a win-back** (``act_winback``): lifecycle stage dormant, inactive
  ≥ ``winback_days`` days, observed CLV > ``winback_min_value``. Listed by observed CLV.

``action`` is the first flag that applies, in that order. A rule whose columns are
missing (their metric disabled) flags nobody.
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
    MemberScoreSpec,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    hookimpl,
)
from plugins.metrics.member_scores import CLV, INFLUENCE, LOYALTY, PROFILE


class ActionOptions(BaseModel):
    """Thresholds of the action lists (``[metrics.actions]``)."""

    model_config = ConfigDict(extra="forbid")

    high_value_share: float = Field(20.0, gt=0, le=100, description="Top % by value.")
    p_alive_below: float = Field(0.5, ge=0, le=1)
    inactive_days: int = Field(30, ge=1)
    advocate_influence_pct: float = Field(80.0, ge=0, le=100)
    advocate_tiers: list[str] = Field(default_factory=lambda: ["core", "active"])
    advocate_min_referrals: int = Field(0, ge=0)
    new_days: int = Field(30, ge=1)
    winback_days: int = Field(60, ge=1)
    winback_min_value: float = Field(0.0, ge=0)
    top_n: int = Field(20, ge=1, le=1000)


FLAGS = {
    "act_at_risk": ColumnInfo(T("Action: high value at risk", "行动：高价值流失风险")),
    "act_advocate": ColumnInfo(T("Action: advocate to recruit", "行动：可发展的推广者")),
    "act_welcome": ColumnInfo(T("Action: welcome new member", "行动：欢迎新成员")),
    "act_winback": ColumnInfo(T("Action: win back", "行动：唤醒召回")),
}
ACTIONS = {
    "at_risk": T("High-value member at risk", "高价值流失风险"),
    "advocate": T("Advocate to recruit", "可发展的推广者"),
    "welcome": T("New member to welcome", "待欢迎的新成员"),
    "winback": T("Dormant, worth a win-back", "值得唤醒的沉睡成员"),
}
COLUMNS = {
    "action": ColumnInfo(T("Suggested action", "建议行动"), values=ACTIONS),
    **FLAGS,
}


def _has(schema: Mapping[str, object], *cols: str) -> bool:
    return all(c in schema for c in cols)


def flags(scorecard: pl.LazyFrame, opts: ActionOptions | None) -> pl.LazyFrame:
    """The scorecard with the ``act_*`` flags and ``action`` added."""
    opts = opts or ActionOptions()
    have = scorecard.collect_schema()
    stay = pl.col("stage") != "left" if "stage" in have else pl.lit(True)
    no = pl.lit(False)
    at_risk = advocate = welcome = winback = no
    if _has(have, "clv_predicted", "clv_observed", "p_alive", "days_inactive"):
        pred = pl.col("clv_predicted")
        value = pl.when(pred.count() > 0).then(pred).otherwise(pl.col("clv_observed"))
        positive = value.filter(value > 0)
        cut = positive.quantile(1 - opts.high_value_share / 100, "higher")
        lapsing = (pl.col("p_alive") < opts.p_alive_below).fill_null(False) | (
            pl.col("days_inactive").fill_null(10**9) >= opts.inactive_days
        )
        at_risk = (value > 0) & (value >= cut) & lapsing
    if _has(have, "influence_pct", "loyalty_tier", "referrals"):
        advocate = (
            (pl.col("influence_pct") >= opts.advocate_influence_pct)
            & pl.col("loyalty_tier").is_in(opts.advocate_tiers)
            & (pl.col("referrals") >= opts.advocate_min_referrals)
        )
    if _has(have, "activities_total", "tenure_days"):
        welcome = (pl.col("tenure_days") < opts.new_days) & (pl.col("activities_total") <= 1)
    if _has(have, "stage", "days_inactive", "clv_observed"):
        winback = (
            (pl.col("stage") == "dormant")
            & (pl.col("days_inactive") >= opts.winback_days)
            & (pl.col("clv_observed") > opts.winback_min_value)
        )
    built = {
        "act_at_risk": at_risk,
        "act_advocate": advocate,
        "act_welcome": welcome,
        "act_winback": winback,
    }
    action = pl.when(pl.col("act_at_risk")).then(pl.lit("at_risk"))
    for name in ("advocate", "welcome", "winback"):
        action = action.when(pl.col(f"act_{name}")).then(pl.lit(name))
    return scorecard.with_columns(
        **{k: (v & stay).fill_null(False) for k, v in built.items()}
    ).with_columns(action.otherwise(None).alias("action"))


def _rules(o: ActionOptions) -> dict[str, T]:
    tiers = "/".join(o.advocate_tiers)
    return {
        "at_risk": T(
            f"Value (predicted CLV, or observed CLV without a model) in the top "
            f"{o.high_value_share:g} % and P(alive) < {o.p_alive_below:g} or inactive for "
            f"≥ {o.inactive_days} days.",
            f"价值（预测 CLV；无模型时为已实现 CLV）位于前 {o.high_value_share:g}%，且存活概率 "
            f"< {o.p_alive_below:g} 或连续 ≥ {o.inactive_days} 天未活跃。",
        ),
        "advocate": T(
            f"Influence percentile ≥ {o.advocate_influence_pct:g}, loyalty tier {tiers} and "
            f"≥ {o.advocate_min_referrals} invitees who joined this period.",
            f"影响力百分位 ≥ {o.advocate_influence_pct:g}，忠诚度层级为 {tiers}，"
            f"且本期邀请入群 ≥ {o.advocate_min_referrals} 人。",
        ),
        "welcome": T(
            f"Joined less than {o.new_days} days before the period end, at most one "
            f"activity so far.",
            f"期末前 {o.new_days} 天内入群，且至今互动不超过 1 次。",
        ),
        "winback": T(
            f"Dormant (active before, not this period), inactive ≥ {o.winback_days} days, "
            f"observed CLV > {o.winback_min_value:g}.",
            f"沉睡（以前活跃、本期未活跃），≥ {o.winback_days} 天未活跃，"
            f"已实现 CLV > {o.winback_min_value:g}。",
        ),
    }


LISTS = {  # key: (title, flag, sort columns, shown columns)
    "at_risk": (T("High-value members at risk", "高价值流失风险成员"), "act_at_risk",
                ["clv_predicted", "clv_observed"],
                ["clv_predicted", "clv_observed", "p_alive", "days_inactive", "last_active"]),
    "advocates": (T("Advocates to recruit", "可发展为推广者的成员"), "act_advocate",
                  ["referrals", "influence"],
                  ["influence_pct", "loyalty", "loyalty_tier", "referrals", "invites_sent"]),
    "welcome": (T("New members to welcome", "待欢迎的新成员"), "act_welcome",
                ["joined_at"], ["joined_at", "tenure_days", "activities_total", "platforms"]),
    "winback": (T("Dormant members worth a win-back", "值得唤醒的沉睡成员"), "act_winback",
                ["clv_observed", "days_inactive"],
                ["clv_observed", "days_inactive", "last_active", "loyalty_tier"]),
}  # fmt: skip
RULE_OF = {"at_risk": "at_risk", "advocates": "advocate", "welcome": "welcome",
           "winback": "winback"}  # fmt: skip
KNOWN = {**PROFILE, **INFLUENCE, **LOYALTY, **CLV, **COLUMNS}


def build(got: Mapping[str, pl.DataFrame], opts: ActionOptions) -> Section:
    members = got["members"]
    rules = _rules(opts)
    tables, kpis, findings = [], [], []
    for key, (title, flag, by, shown) in LISTS.items():
        flagged = members.filter(pl.col(flag)) if flag in members.columns else members.clear()
        by = [c for c in by if c in members.columns]
        cols = ["member_id", *(c for c in shown if c in members.columns)]
        top = (
            flagged.sort([*by, "member_id"], descending=[True] * len(by) + [False],
                         nulls_last=True)
            .head(opts.top_n)
            .select(cols)
            .with_row_index("rank", offset=1)
        )  # fmt: skip
        info = {"rank": ColumnInfo(T("Rank", "排名"), "count"),
                "member_id": ColumnInfo(T("Member", "成员"), "member"),
                **{c: KNOWN[c] for c in cols[1:] if c in KNOWN}}  # fmt: skip
        rule = rules[RULE_OF[key]]
        size = flagged.height
        note = T(
            f"Rule: {rule.en} {size:,} members; the first {min(size, opts.top_n)} shown.",
            f"规则：{rule.zh} 共 {size:,} 人，列出前 {min(size, opts.top_n)} 人。",
        )
        tables.append(Table(key, title, top, info, note=note))
        kpis.append(KPI(key, title, size, "count", rule, higher_is_better=key != "at_risk"))
        if size:
            findings.append(Finding(T(f"{title.en}: {size:,}.", f"{title.zh}：{size:,} 人。"),
                                    "bad" if key == "at_risk" else "neutral", 1.0))  # fmt: skip
    method = tuple(
        Formula(LISTS[k][0], rules[RULE_OF[k]], T("Thresholds: [metrics.actions].",
                                                  "阈值见 [metrics.actions]。"))
        for k in LISTS
    )  # fmt: skip
    intro = T(
        "Who to act on this month. Every member's scores and flags are in members.csv "
        "(--format members).",
        "本月应重点跟进的成员。每位成员的评分与标记见 members.csv（--format members）。",
    )
    return Section(kpis=tuple(kpis), tables=tuple(tables), findings=tuple(findings),
                   methodology=method, intro=intro)  # fmt: skip


def compute(_data: CommunityData, opts: ActionOptions) -> MetricResult:
    return MetricResult({}, lambda got: build(got, opts or ActionOptions()))


SPEC = MetricSpec(
    name="actions",
    title=T("Action lists", "行动清单"),
    description="Members to act on: high value at risk, advocates, newcomers, win-backs.",
    compute=compute,
    options=ActionOptions,
    order=15,
    compare_previous=False,
    members=True,
)
FLAG_SPEC = MemberScoreSpec(
    "actions", "Action flags (act_*) and the suggested action", COLUMNS,
    derive=flags, metric="actions", order=90,
)  # fmt: skip


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]


@hookimpl
def communityroi_member_scores() -> list[MemberScoreSpec]:
    return [FLAG_SPEC]
