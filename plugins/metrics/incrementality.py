"""Incrementality: the revenue the community caused, with an interval.

Attributed revenue (the ROI section) counts every order a member places after joining.
Customers who already buy the most are the likeliest to join, so that figure overstates
what the community caused. This metric estimates the **incremental return**: the value,
in the report period, that members' orders would not have had without the community.

Method — a staggered difference-in-differences around each member's join date, on
purchase *rates*, by calendar week (Monday–Sunday, report time zone; formulas in
:mod:`plugins.metrics._did`):

- **Baseline**: each member's own value per day over the ``pre_weeks`` weeks before the
  week they joined (``a_i``). This removes "heavy buyers join".
- **Trend and season**: customers not yet joined by the end of the week in question, or
  never (order customers with no member row), measured over the same calendar weeks: the
  ratio ``ρ`` of their value per day in that week to their value per day in the member's
  baseline weeks. A ratio, not a difference, because a season lifts heavy and light
  buyers by the same proportion, not by the same amount.
- **Counterfactual** of member ``i`` in period week ``t``: ``e_it × a_i × ρ_g(t)``,
  ``e_it`` = days of ``t`` after joining. **Incremental return** = Σ (value after joining −
  counterfactual) over members and period weeks: one estimate per join week ``g`` and
  week ``t``, added up by cohort size (Callaway & Sant'Anna 2021), never one pooled
  two-way fixed-effects regression, which is biased when people join at different times.
  Weeks, not months: with monthly bins a late-month joiner's few days were compared with
  the whole month's season (a −2 % bias on the simulation in the tests).
- **Interval**: a customer bootstrap (``draws`` resamples of all customers, with
  replacement, seeded by ``seed`` / the report's ``--seed``); the percentile interval at
  ``level`` (90 %).
- **Incremental ROI** = (incremental return − investment) / investment × 100 %;
  **lift** = value after joining / counterfactual − 1; **attributed return** is the ROI
  section's figure, shown beside it.
- **Pre-trend placebo**: the same estimate ``placebo_weeks`` before each cohort really
  joined (its own cohort left out of the controls); it should be ~0. It is flagged when
  its interval excludes 0 and its size is at least ``placebo_tolerance`` of the
  counterfactual.

Who is in it: members whose purchases before joining can be seen (a ``customer_id`` on the
member row, or an order placed before joining) and whose baseline weeks lie inside the
order history (from ``history_start``, by default the first whole week of orders).
Members who joined before that, unlinked members and members with an unknown join date are
left out and counted. Members who later left stay treated (intent to treat). When nobody
can be estimated, or no controls exist, the section says what is missing and shows the
attributed return only as an upper bound. Results by join *month* add up the weekly
cohorts of that month (with intervals); by first group, acquisition channel, operator
(the first ``channel`` / ``operator_id`` given) and by campaign taken part in (an
activity tagged with it or a paid order carrying its id, in the period) they add up the
members' own terms, without intervals — a campaign row is what the community caused
among its participants, not the campaign's own effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from communityroi import CommunityData, MetricResult, MetricSpec, T, hookimpl
from communityroi.views import attributed_orders, engaged, paid_orders, roster
from plugins.metrics import _did
from plugins.metrics._ordered_sum import lone_sum, ordered_groups
from plugins.metrics.incrementality_report import Outcome, codes, section


class IncrementalityOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_basis: Literal["revenue", "gross_margin"] = Field(
        "revenue", description="revenue, or gross_margin (set the same as [metrics.roi])"
    )
    margin: float | None = Field(None, gt=0, le=1, description="margin where an order has none")
    pre_weeks: int = Field(26, ge=4, le=104, description="baseline weeks before joining")
    placebo_weeks: int = Field(8, ge=0, le=52, description="weeks of the pre-trend check")
    placebo_tolerance: float = Field(0.10, ge=0, description="pre-trend size that is flagged")
    draws: int = Field(200, ge=200, le=5000, description="bootstrap resamples")
    level: float = Field(0.90, gt=0.5, lt=1, description="interval level")
    seed: int = Field(0, description="bootstrap seed (the report's --seed)")
    history_start: date | None = Field(
        None, description="first day of complete order history (default: from the orders)"
    )

    @model_validator(mode="after")
    def _margin(self) -> IncrementalityOptions:
        if self.return_basis == "gross_margin" and self.margin is None:
            raise ValueError("return_basis = 'gross_margin' needs margin (e.g. margin = 0.4)")
        return self


def _value(opts: IncrementalityOptions) -> pl.Expr:
    if opts.return_basis == "gross_margin":
        return pl.coalesce("gross_margin", pl.col("amount") * opts.margin).alias("value")
    return pl.col("amount").alias("value")


MONDAY = date(1970, 1, 5)  # week 0 starts on this Monday; 1970-01-01 is day 0, a Thursday


def _month(local: pl.Expr) -> pl.Expr:
    """Calendar month index (year × 12 + month − 1) of a local time."""
    return local.dt.year().cast(pl.Int32) * 12 + local.dt.month().cast(pl.Int32) - 1


def _week(local: pl.Expr) -> pl.Expr:
    """Calendar week index (Monday to Sunday) of a local time."""
    return (local.dt.date().cast(pl.Int32) - 4) // 7


def week_index(d: date) -> int:
    return (d - MONDAY).days // 7


def week_start(w: int) -> date:
    return MONDAY + timedelta(days=7 * w)


def compute(data: CommunityData, opts: IncrementalityOptions) -> MetricResult:
    tz = data.timezone
    people = roster(data)
    members = people.select(
        pl.col("member_id").alias("buyer_id"), "joined_at", pl.lit(True).alias("_member")
    )
    orders = (
        paid_orders(data)
        .join(members, on="buyer_id", how="left")
        .with_columns(
            _value(opts),
            pl.col("_member").fill_null(False),
            # a customer is (kind, id): 0 member, 1 member id unknown to the members
            # table, 2 shop customer; ids stay Categorical (no strings built per order)
            pl.when(pl.col("_member").fill_null(False))
            .then(0)
            .when(pl.col("buyer_id").is_not_null())
            .then(1)
            .when(pl.col("customer_id").is_not_null())
            .then(2)
            .cast(pl.UInt8)
            .alias("kind"),
            pl.coalesce("buyer_id", "customer_id").alias("pid"),
        )
        .cache()  # used by the summary, the customers and the flows: computed once
    )
    pre_buyers = (
        orders.filter(pl.col("_member") & (pl.col("at") < pl.col("joined_at")))
        .select(pl.col("buyer_id").alias("member_id"), pl.lit(True).alias("_pre_order"))
        .unique()
    )
    # acquisition channel (e.g. WeCom add_way) and the operator who owns the relation: the
    # first given by join time (rows keep their order within a group; one sort of the
    # members costs 0.1 CPU-s where a sort_by per group cost 1.5 on the bench data)
    has_cid = (
        data.members.sort("joined_at", nulls_last=True, maintain_order=True)
        .group_by("member_id")
        .agg(
            pl.col("customer_id").is_not_null().any().alias("_cid"),
            pl.col("channel").drop_nulls().first().cast(pl.String),
            pl.col("operator_id").drop_nulls().first().cast(pl.String),
        )
    )
    joined = pl.col("joined_at")
    # the join time in the report time zone, converted once (week, month, end of the week)
    local_join = pl.col("_local_join")
    bin_end = local_join.dt.truncate("1w").dt.offset_by("1w").dt.convert_time_zone("UTC")
    starts = pl.max_horizontal(joined, pl.lit(data.start).dt.cast_time_unit("us"))
    ends = pl.min_horizontal(bin_end, pl.lit(data.end).dt.cast_time_unit("us"))
    exposure = ((ends - starts).dt.total_seconds() / 86_400).clip(0).fill_null(0.0)
    member_rows = (
        people.join(has_cid, on="member_id", how="left")
        .join(pre_buyers, on="member_id", how="left")
        .with_columns(
            (pl.col("_cid").fill_null(False) | pl.col("_pre_order").fill_null(False)).alias(
                "linked"
            )
        )
        .cache()
    )
    summary = pl.concat(
        [
            member_rows.select(
                pl.len().alias("members"),
                joined.is_null().sum().alias("unknown_join"),
                (joined.is_not_null() & ~pl.col("linked")).sum().alias("unlinked"),
            ),
            attributed_orders(data, people)
            .with_columns(_value(opts))
            .select(pl.col("value").sum().alias("attributed")),
            data.costs.filter(data.day_in_period("incurred_on")).select(
                pl.col("amount").sum().alias("investment")
            ),
            data.orders.select(
                pl.col("at").min().dt.convert_time_zone(tz).dt.date().alias("first_order")
            ),
        ],
        how="horizontal",
    )
    customers = (
        pl.concat(
            [
                # time zone work only for the members estimated (~0.1 CPU-s of 1 M joins)
                member_rows.filter(joined.is_not_null() & pl.col("linked"))
                .with_columns(joined.dt.convert_time_zone(tz).alias("_local_join"))
                .with_columns(exposure.alias("exposure"))
                .select(
                    pl.lit(0, dtype=pl.UInt8).alias("kind"),
                    pl.col("member_id").alias("pid"),
                    _week(local_join).alias("join_week"),
                    _month(local_join).alias("join_month"),
                    pl.col("group_id").cast(pl.String).fill_null(""),
                    pl.col("channel").fill_null(""),
                    pl.col("operator_id").fill_null(""),
                    "exposure",
                ),
                orders.filter(pl.col("kind") > 0).select("kind", "pid").unique(),
            ],
            how="diagonal",
        )
        # the bootstrap draws customers by position: a fixed order (by id text) every run
        .sort("kind", "pid")  # Categoricals sort by their text
        .with_row_index("ci")
        .cache()
    )
    p0 = week_index(data.period.start)
    # orders up to the period end, leaving out the days before the period in its first
    # week (a UTC bound, so only the kept orders are converted to local weeks)
    p0_start = data.midnight(week_start(p0))
    # one row per (customer, week, before/after joining), in that order (as one integer
    # key: ci < 2³¹, week an Int32), valued Σ of its orders added in ascending order of
    # the values: the same to the last bit every run (a group-by's sum was not: it adds in
    # the order the engine splits the rows; the estimates moved in the 13th digit)
    key = (
        pl.col("ci").cast(pl.UInt64) * pl.lit(2**33, pl.UInt64)
        + (pl.col("week").cast(pl.Int64) + 2**31).cast(pl.UInt64) * 2
        + pl.col("post").cast(pl.UInt64)
    )
    flows = (
        ordered_groups(
            orders.filter(
                pl.col("kind").is_not_null()
                & (pl.col("at") < data.end)
                & ((pl.col("at") >= data.start) | (pl.col("at") < p0_start))
            )
            .join(customers.select("kind", "pid", "ci"), on=["kind", "pid"], how="inner")
            .select(
                "ci",
                _week(pl.col("at").dt.convert_time_zone(tz)).alias("week"),
                (pl.col("_member") & (pl.col("at") >= joined)).alias("post"),
                "value",
            )
            .with_columns(_key=key),
            ["_key"],
            "value",
            alone=["ci", "week", "post", lone_sum("value")],
            together=[pl.col("ci", "week", "post").first(), pl.col("value").cum_sum().last()],
        ).sort("_key")  # one integer: 0.07 CPU-s where sorting by the three took 0.38
    ).drop("_key")
    # members who took part in a campaign in the period: an engaged activity tagged with
    # it, or a paid order carrying its id (one row per member and campaign)
    took_part = (
        pl.concat(
            [
                engaged(data.activities)
                .filter(pl.col("campaign_id").is_not_null() & data.in_period("at"))
                .select("member_id", "campaign_id"),
                orders.filter(
                    pl.col("_member") & pl.col("campaign_id").is_not_null() & data.in_period("at")
                ).select(pl.col("buyer_id").alias("member_id"), "campaign_id"),
            ]
        )
        .unique()
        .join(
            customers.filter(pl.col("kind") == 0).select(pl.col("pid").alias("member_id"), "ci"),
            on="member_id",
            how="inner",
        )
        .join(data.campaigns.select("campaign_id", "name"), on="campaign_id", how="left")
        .select(
            "ci",
            pl.coalesce(
                pl.col("name").cast(pl.String), pl.col("campaign_id").cast(pl.String)
            ).alias("campaign"),
        )
        .sort("ci", "campaign")
    )
    return MetricResult(
        frames={
            "summary": summary,
            "took_part": took_part,
            "customers": customers.drop("kind", "pid"),
            "flows": flows,
            "group_names": data.groups.select(
                pl.col("group_id").cast(pl.String), pl.col("name").cast(pl.String)
            ),
        },
        build=lambda got: section(outcome(got, data, opts), opts),
    )


def history_week(first_order: date | None, opts: IncrementalityOptions) -> int | None:
    """First whole week of order history: the week of ``history_start`` (or of the
    earliest order) when that day is a Monday, else the week after."""
    day = opts.history_start or first_order
    if day is None:
        return None
    return week_index(day) + (day.weekday() != 0)


def grid(data: CommunityData, h0: int, opts: IncrementalityOptions) -> _did.Grid:
    """Bins: weeks ``h0 …`` the period's last week; whole weeks before the period, the
    period's weeks clipped to it."""
    p0, p1 = week_index(data.period.start), week_index(data.period.end)
    first = np.datetime64(week_start(h0)) + 7 * np.arange(p1 - h0 + 1).astype("timedelta64[D]")
    weeks = np.arange(h0, p1 + 1)
    lo = np.where(weeks >= p0, np.maximum(first, np.datetime64(data.period.start)), first)
    hi = np.minimum(first + np.timedelta64(7, "D"), np.datetime64(data.period.end) + 1)
    days = (hi - lo).astype(float)
    return _did.Grid(days, p0 - h0, opts.pre_weeks, opts.placebo_weeks)


def outcome(
    got: Mapping[str, pl.DataFrame], data: CommunityData, opts: IncrementalityOptions
) -> Outcome:
    row = got["summary"].row(0, named=True)
    base = Outcome(
        attributed=row["attributed"] or 0.0,
        investment=row["investment"] or 0.0,
        members=row["members"],
        unknown_join=row["unknown_join"],
        unlinked=row["unlinked"],
        level=opts.level,
    )
    h0 = history_week(row["first_order"], opts)
    if h0 is None or h0 > week_index(data.period.start) - opts.pre_weeks:
        return base.missing("history")
    g = grid(data, h0, opts)
    cust, flows = got["customers"], got["flows"]
    known = cust["join_week"].is_not_null().to_numpy()
    jw = cust["join_week"].fill_null(0).to_numpy().astype(np.int64)
    join_bin = np.where(known, jw - h0, g.m)
    eligible = known & (join_bin - g.pre >= 0) & (join_bin < g.m)
    groups, gcode = codes(cust["group_id"])
    fbin = flows["week"].to_numpy().astype(np.int64) - h0
    keep = fbin >= 0
    d = _did.design(
        g,
        join_bin,
        eligible,
        cust["join_month"].fill_null(0).to_numpy().astype(np.int64),
        cust["exposure"].fill_null(0.0).to_numpy(),
        flows["ci"].to_numpy().astype(np.int64)[keep],
        fbin[keep],
        flows["post"].to_numpy()[keep],
        flows["value"].to_numpy()[keep],
    )
    base = replace(
        base,
        eligible=int(eligible.sum()),
        too_early=int((known & (join_bin - g.pre < 0)).sum()),
        controls=int((join_bin > g.p0).sum()),
        history_start=week_start(h0),
    )
    if d.k == 0:
        return base.missing("history")
    if base.controls == 0:
        return base.missing("controls")
    est = _did.estimate(d, _did.replicate_sums(d, opts.draws, opts.seed))
    if not np.isfinite(est.counterfactual[0]).any():
        return base.missing("controls")
    names = dict(got["group_names"].iter_rows())
    labels = [names.get(x) or x or "—" for x in groups]
    took = got["took_part"]
    return base.estimated(
        d,
        est,
        opts.placebo_tolerance,
        groups=(labels, gcode),
        channels=codes(cust["channel"]),
        operators=codes(cust["operator_id"]),
        campaigns=(*codes(took["campaign"]), took["ci"].to_numpy()),
    )


SPEC = MetricSpec(
    name="incrementality",
    title=T("What the community caused", "社群带来的增量收入"),
    order=9,
    compute=compute,
    options=IncrementalityOptions,
    compare_previous=False,
    prepare=_did.prepare,
    description="Incremental return and ROI (staggered difference-in-differences around "
    "join dates, bootstrap interval) beside the attributed return",
)


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [SPEC]
