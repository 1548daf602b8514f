"""Operators (运营人员考核): what each operator's customers bring, what the operator costs,
how fast they answer, and where one more operator would pay most.

An **operator** is a staff account (a WeCom userid) named by ``members.operator_id`` (the
operator who owns the relation; a member with several rows takes the operator of its
earliest row that names one), ``costs.operator_id``, ``operator_days`` or the
``accounts`` option. Per operator o, over the report period P (report time zone):

- **customers** = members of o joined by the end of P (operator accounts — a chat
  export lists staff as members — are nobody's customers); **added** = those whose first
  join is in P; **reachable** = those not left by the end of P; **active** = those with
  an engaged activity (not join/leave) in P; **activity rate** = active / reachable;
  **retention** = of o's members at the start of P (joined before it, not left), the share
  still reachable at the end × 100 %.
- **revenue** = Σ net amount (after refunds) of paid orders placed in P by o's customers
  as members (``communityroi.views.attributed_orders``: the ROI section's rule, so the
  operators' revenue adds up to the ROI return of members with an operator);
  **buyers** = distinct customers behind them; **revenue per customer** = revenue /
  customers.
- **cost** = Σ costs in P with ``operator_id`` = o, plus o's share (``cost_split``) of
  the labour costs in P without an operator; **ROI** = (revenue − cost) / cost × 100 %;
  **hours** = Σ ``costs.hours`` in P with ``operator_id`` = o; **revenue per hour** =
  revenue / hours.
- **WeCom statistics** (``operator_days`` in P): new contacts, friend requests, chats,
  messages, negative feedback (sums); reply rate and average first-reply minutes = the
  mean over the days WeCom gives them.
- **Service quality from the chats** (:mod:`plugins.metrics._service`): first-response
  minutes, reply rate within ``reply_within_minutes`` and unreplied rate, per operator
  and per group, inside ``working_hours`` on ``working_days``. An operator's chat
  accounts are ``accounts[o]``, plus o itself (``ids_are_accounts``: a WeCom userid is
  also its sender id in the archived chats).
- **Targets**: ``[targets.operators]`` holds a table per operator (``"*"`` for every
  operator) of KPI targets like ``revenue = ">= 5000"``; each is met or missed.

Incremental revenue per operator is the incrementality section's "by operator" table
(that metric's estimate summed over each operator's customers), not repeated here.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator

from communityroi import (
    ColumnInfo,
    CommunityData,
    MemberScoreSpec,
    MetricResult,
    MetricSpec,
    T,
    cast_person_keys,
    hookimpl,
)
from communityroi.views import active_members, attributed_orders, roster
from plugins.metrics import _service
from plugins.metrics.operators_report import KPI_KEYS, build, kpis

NONE = "—"  # the row of customers without an operator


class OperatorsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    names: dict[str, str] = Field(default_factory=dict, description="operator_id → name")
    accounts: dict[str, list[str]] = Field(
        default_factory=dict, description="operator_id → its member ids in the chats"
    )
    ids_are_accounts: bool = True  # an operator_id is also its own chat account
    cost_split: dict[str, float] = Field(
        default_factory=dict, description="operator_id → share of unassigned labour costs"
    )
    targets: dict[str, dict[str, str | float]] = Field(default_factory=dict)
    working_hours: str = "09:00-18:00"
    working_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    reply_within_minutes: float = Field(3.0, gt=0)

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        _service.parse_hours(v)
        return v

    @field_validator("working_days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(d not in range(1, 8) for d in v):
            raise ValueError("working_days are ISO weekdays 1 (Monday) … 7 (Sunday)")
        return v

    @field_validator("cost_split")
    @classmethod
    def _split(cls, v: dict[str, float]) -> dict[str, float]:
        if any(s < 0 for s in v.values()) or sum(v.values()) > 1 + 1e-9:
            raise ValueError("cost_split shares must be ≥ 0 and add up to at most 1")
        return v

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for op, table in v.items():
            unknown = sorted(set(table) - set(KPI_KEYS))
            if unknown:
                raise ValueError(
                    f"targets.operators.{op}.{unknown[0]}: no such operator KPI; use one of "
                    + ", ".join(KPI_KEYS)
                )
        return v

    @property
    def hours(self) -> tuple[time, time]:
        return _service.parse_hours(self.working_hours)


def owners(data: CommunityData) -> pl.LazyFrame:
    """member_id → operator_id: the operator of the member's earliest row naming one."""
    return (
        data.members.filter(pl.col("operator_id").is_not_null())
        .group_by("member_id")
        .agg(pl.col("operator_id").sort_by("joined_at", nulls_last=True).first())
    )


def _accounts(data: CommunityData, opts: OperatorsOptions) -> pl.LazyFrame:
    listed = [(a, op) for op, ids in opts.accounts.items() for a in ids]
    parts = [
        pl.LazyFrame(
            {"member_id": [a for a, _ in listed], "operator_id": [o for _, o in listed]},
            schema={"member_id": pl.String, "operator_id": pl.String},
        )
    ]
    if opts.ids_are_accounts:
        ids = pl.concat(
            [
                data.members.select("operator_id"),
                data.costs.select("operator_id"),
                data.operator_days.select("operator_id"),
            ]
        ).drop_nulls()
        parts.append(ids.select(pl.col("operator_id").alias("member_id"), "operator_id"))
    return cast_person_keys(pl.concat(parts).unique("member_id"), "member_id")


def compute(data: CommunityData, opts: OperatorsOptions) -> MetricResult:
    start, end = pl.lit(data.start), pl.lit(data.end)
    owner = data.shared(owners)
    op = pl.col("operator_id").fill_null(NONE)
    accounts = _accounts(data, opts).cache()
    people = (
        roster(data)
        .select("member_id", "joined_at", "left_at")
        .join(accounts, on="member_id", how="anti")  # an operator is nobody's customer
        .join(owner, on="member_id", how="left")
        .join(active_members(data).select("member_id", pl.lit(True).alias("_active")),
              on="member_id", how="left")
    )  # fmt: skip
    joined_by_end = pl.col("joined_at").is_null() | (pl.col("joined_at") < end)
    at_start = (pl.col("joined_at") < start) & (
        pl.col("left_at").is_null() | (pl.col("left_at") >= start)
    )
    reachable = pl.col("left_at").is_null()
    customers = (
        people.filter(joined_by_end)
        .group_by(op.alias("operator_id"))
        .agg(
            pl.len().alias("customers"),
            data.in_period("joined_at").sum().alias("added"),
            reachable.sum().alias("reachable"),
            (pl.col("_active").fill_null(False) & reachable).sum().alias("active"),
            at_start.sum().alias("at_start"),
            (at_start & reachable).sum().alias("retained"),
        )
    )
    revenue = (
        attributed_orders(data)
        .filter(pl.col("buyer_id").is_not_null())
        .join(owner, left_on="buyer_id", right_on="member_id", how="left")
        .group_by(op.alias("operator_id"))
        .agg(
            pl.col("amount").sum().alias("revenue"),
            pl.col("buyer_id").n_unique().alias("buyers"),
            pl.len().alias("orders"),
        )
    )
    costs = data.costs.filter(data.day_in_period("incurred_on"))
    direct = (
        costs.filter(pl.col("operator_id").is_not_null())
        .group_by("operator_id")
        .agg(pl.col("amount").sum().alias("direct_cost"), pl.col("hours").sum())
    )
    unassigned = costs.filter(
        pl.col("operator_id").is_null() & (pl.col("category") == "labour")
    ).select(pl.col("amount").sum().alias("unassigned_labour"))
    days = (
        data.operator_days.filter(data.day_in_period("day"))
        .group_by("operator_id")
        .agg(
            pl.col("new_contacts", "new_applies", "chats", "messages", "negative_feedback").sum(),
            pl.col("reply_rate", "avg_reply_minutes").mean(),
            pl.len().alias("stat_days"),
        )
    )
    q = _service.questions(
        data,
        accounts,
        owner,
        opts.hours,
        opts.working_days,
        opts.reply_within_minutes,
    ).cache()
    names = data.groups.select("group_id", "name", "purpose")
    frames = {
        "customers": customers,
        "revenue": revenue,
        "direct": direct,
        "unassigned": unassigned,
        "days": days,
        "service": _service.summary(q.with_columns(op.alias("operator_id")), "operator_id"),
        "service_groups": _service.summary(q, "group_id").join(names, on="group_id", how="left"),
        "service_all": _service.summary(q),
    }
    return MetricResult(
        frames=frames,
        build=lambda got: build(got, opts),
        kpi_frames=tuple(k for k in frames if k != "service_groups"),
        build_kpis=lambda got: kpis(got, opts),
    )


SPEC = MetricSpec(
    name="operators",
    title=T("Operators", "运营人员考核"),
    order=16,
    compute=compute,
    options=OperatorsOptions,
    enabled_by_default=False,  # runs with [metrics.operators] (the demo and wecom starters)
    description="Per operator (运营人员): customers added, reachable, active, retention, "
    "revenue, cost, ROI, WeCom statistics, first-response time from the chats, targets, "
    "and a staffing paragraph",
)


def operator_column(data: CommunityData, _opts: object = None) -> pl.LazyFrame:
    """The scorecard's ``operator``: each member's operator (see :func:`owners`)."""
    return data.shared(owners).select("member_id", pl.col("operator_id").alias("operator"))


SCORES = MemberScoreSpec(
    "operator",
    "The operator (运营人员) who owns each member's relation",
    {"operator": ColumnInfo(T("Operator", "负责运营人员"))},
    compute=operator_column,
    metric="operators",
    order=15,
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]


@hookimpl
def communityroi_member_scores() -> list[MemberScoreSpec]:
    return [SCORES]
