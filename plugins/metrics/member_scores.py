"""The built-in columns of the member scorecard (``--format members``), one row per person.

- **profile** (every person with a membership, an activity or a paid order as a member):
  ``platforms`` (distinct platforms of their memberships and activities, sorted, joined by
  ``,``), ``joined_at`` (first join), ``left_at`` (null while still in a group),
  ``tenure_days`` (days from the local date of the first join to the period end),
  ``segment`` (the members table's label), ``last_active`` (last engaged activity — any
  kind but join/leave — up to the period end), ``days_inactive`` (days from its local date
  to the period end), ``activities`` (engaged activities in the period),
  ``activities_total`` (up to the period end), ``active_days`` (distinct local days with an
  engaged activity in the period), ``orders`` and ``revenue`` (paid orders in the period
  and their net amount, as in ``communityroi.views.paid_orders``), ``invites_sent`` and
  ``referrals`` (invitees who joined in the period, as in the influence metric), and
  ``stage``: ``left`` (left every group), ``new`` (first join in the period), ``active``
  (engaged activity in the period), ``dormant`` (active before, not in the period),
  ``silent`` (never active).
- **influence** (options of ``[metrics.influence]``): ``influence`` = the member's PageRank
  score on the period's interaction graph (sums to 1 over its nodes, exactly the score
  the influence metric ranks by) and ``influence_pct`` = 100 × (members with a score ≤
  theirs) ÷ nodes. Null for members outside the graph.
- **loyalty** (``[metrics.loyalty]``): ``loyalty`` = the love score, ``loyalty_tier``
  (members still in a group or active without a membership), ``rfm_segment``.
- **clv** (``[metrics.clv]``): ``clv_observed`` (paid value to date), ``clv_predicted``
  (discounted BG/NBD × Gamma-Gamma value over the horizon) and ``p_alive``; the predicted
  columns are null when the models cannot be fitted.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from communityroi import (
    ColumnInfo,
    CommunityData,
    MemberScores,
    MemberScoreSpec,
    T,
    hookimpl,
)
from plugins.metrics import _member_base, _referrals, clv, engagement, influence, loyalty
from plugins.metrics import loyalty_text as ltxt
from plugins.metrics._interaction_graph import ranked

STAGES = {
    "left": T("Left", "已退群"),
    "new": T("New", "新成员"),
    "active": T("Active", "活跃"),
    "dormant": T("Dormant", "沉睡"),
    "silent": T("Never active", "从未活跃"),
}


def _c(en: str, zh: str, unit: str = "text", values=None) -> ColumnInfo:
    return ColumnInfo(T(en, zh), unit, values)  # type: ignore[arg-type]


PROFILE = {
    "platforms": _c("Platforms", "平台"),
    "joined_at": _c("Joined", "入群时间", "datetime"),
    "tenure_days": _c("Days since joining", "入群天数", "days"),
    "left_at": _c("Left", "退群时间", "datetime"),
    "segment": _c("Segment label", "分组标签"),
    "last_active": _c("Last active", "最近活跃", "datetime"),
    "days_inactive": _c("Days inactive", "未活跃天数", "days"),
    "activities": _c("Activities in period", "本期互动次数", "count"),
    "activities_total": _c("Activities to date", "累计互动次数", "count"),
    "active_days": _c("Active days in period", "本期活跃天数", "count"),
    "orders": _c("Paid orders in period", "本期付款订单", "count"),
    "revenue": _c("Revenue in period", "本期收入", "currency"),
    "invites_sent": _c("Invitations sent", "发出邀请", "count"),
    "referrals": _c("Invitees who joined", "邀请入群人数", "count"),
    "stage": _c("Lifecycle stage", "生命周期阶段", values=STAGES),
}


def profile(data: CommunityData, _opts=None) -> pl.LazyFrame:
    """One row per person: the profile columns (see the module docstring).

    The people, their activity counts, last engaged activity and the activities'
    platforms come from the per-member frames the loyalty metric and the loyalty columns
    share (``_member_base.people``: one pass over the activities for all three); the
    orders and revenue from the loyalty metric's RFM frame (its in-period columns);
    ``active_days`` from the engagement metric's distinct (member, day) pairs
    (``engagement.member_days``); the referrals from the shared per-inviter sums."""
    days = (
        engagement.member_days(data)
        .group_by("member")
        .agg(pl.len().cast(pl.UInt32).alias("active_days"))
    )
    listed = data.members.group_by("member_id").agg(pl.col("platform").unique().alias("_in"))
    invited = _referrals.shared_per_inviter(data).select(
        "member_id", "invites_sent", referrals="invitees_joined"
    )
    # people: members, those with an engaged activity, buyers in the period
    people = (
        _member_base.people(data, loyalty.key_of(loyalty.LoyaltyOptions()), loyalty.shared_rfm)
        .filter(
            pl.col("_listed").fill_null(False)
            | (pl.col("activities_total") > 0).fill_null(False)
            | (pl.col("period_orders") > 0).fill_null(False)
        )
        .with_columns(
            pl.col("period_orders").cast(pl.UInt32).alias("orders"),
            pl.col("period_revenue").alias("revenue"),
        )
    )
    # platforms of the memberships and of all activities (join/leave too), sorted
    acts_on, listed_on = pl.col("_acts_on"), pl.col("_in")
    merged = (
        pl.when(acts_on.is_not_null() | listed_on.is_not_null())
        .then(
            pl.concat_list(acts_on.fill_null([]), listed_on.fill_null([]))
            .list.unique()
            .list.drop_nulls()
            .list.sort()
            .cast(pl.List(pl.String))  # platform is a label (Categorical): text to join
            .list.join(",")
        )
        .alias("platforms")
    )
    # most people are on one platform: one (or no) platform in each list and the same
    # one. Their platforms is that one, without the five list passes above, which cost
    # ~2 CPU-s over 1 M people (Polars evaluates both branches of a when, so the two
    # kinds of rows are computed apart and put together again)
    first_a, first_l = acts_on.list.first(), listed_on.list.first()
    single = (
        (acts_on.list.len().fill_null(0) <= 1)
        & (listed_on.list.len().fill_null(0) <= 1)
        & (first_a.is_null() | first_l.is_null() | (first_a == first_l)).fill_null(True)
    )
    one = (
        pl.when(acts_on.is_not_null() | listed_on.is_not_null())
        .then(pl.coalesce(first_a, first_l).cast(pl.String).fill_null(""))
        .alias("platforms")
    )
    last_day = data.local("last_active").dt.date()
    stage = (
        pl.when(pl.col("left_at").is_not_null()).then(pl.lit("left"))
        .when(data.in_period("joined_at").fill_null(False)).then(pl.lit("new"))
        .when(pl.col("activities") > 0).then(pl.lit("active"))
        .when(pl.col("last_active").is_not_null()).then(pl.lit("dormant"))
        .otherwise(pl.lit("silent"))
    )  # fmt: skip
    rows = people.join(listed, on="member_id", how="left").with_columns(_one=single).cache()
    return (
        pl.concat(
            [
                rows.filter(pl.col("_one")).with_columns(one),
                rows.filter(~pl.col("_one")).with_columns(merged),
            ]
        )
        .join(invited, on="member_id", how="left")
        .with_columns(pl.col("member_id").to_physical().cast(pl.UInt64).alias("member"))
        .join(days, on="member", how="left")
        .with_columns(
            pl.col("activities", "activities_total", "active_days", "orders").fill_null(0),
            pl.col("invites_sent", "referrals").fill_null(0),
            pl.col("revenue").fill_null(0.0),
            (pl.lit(data.period.end) - last_day).dt.total_days().alias("days_inactive"),
            (pl.lit(data.period.end) - data.local("joined_at").dt.date())
            .dt.total_days()
            .alias("tenure_days"),
        )
        .with_columns(stage.alias("stage"))
        .select("member_id", *PROFILE)
    )


INFLUENCE = {
    "influence": _c("Influence (PageRank)", "影响力（PageRank）", "ratio"),
    "influence_pct": _c("Influence percentile", "影响力百分位", "percent"),
}


def influence_scores(data: CommunityData, opts: influence.InfluenceOptions) -> MemberScores:
    """PageRank of every node of the interaction graph and its percentile: the graph and
    its PageRank are the influence metric's own (``_interaction_graph.ranked``), collected
    and computed once for both."""
    opts = opts or influence.InfluenceOptions()
    graph = ranked(data, opts.edge_weights, opts.weighted)

    def build(got: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
        ids = got["nodes"]["id"]
        scores = graph.pagerank(got, opts.damping, opts.tol, opts.max_iter).scores
        return pl.DataFrame({"member_id": ids, "influence": scores}).with_columns(
            (pl.col("influence").rank("max") / max(ids.len(), 1) * 100).alias("influence_pct")
        )

    return MemberScores({"graph": graph.graph, "nodes": graph.nodes}, build)


LOYALTY = {
    "loyalty": _c("Loyalty (love score)", "忠诚度（热爱值）", "score"),
    "loyalty_tier": _c("Loyalty tier", "忠诚度层级", values=ltxt.TIERS),
    "rfm_segment": _c("RFM segment", "RFM 分群", values=ltxt.SEGMENTS),
}


def loyalty_scores(data: CommunityData, opts: loyalty.LoyaltyOptions) -> pl.LazyFrame:
    """Love score and tier (as in the loyalty metric's population) and RFM segment."""
    opts = opts or loyalty.LoyaltyOptions()
    love = pl.col("love").fill_null(0.0)
    tier = (
        pl.when(love >= opts.tier_core).then(pl.lit("core"))
        .when(love >= opts.tier_active).then(pl.lit("active"))
        .when(love >= opts.tier_casual).then(pl.lit("casual"))
        .otherwise(pl.lit("dormant"))
    )  # fmt: skip
    return (
        _member_base.people(data, loyalty.key_of(opts), loyalty.shared_rfm)
        .filter(pl.col("member_id").is_not_null())
        .select(
            "member_id",
            "rfm_segment",
            loyalty=love,
            loyalty_tier=pl.when(pl.col("left_at").is_null()).then(tier),
        )
    )


CLV = {
    "clv_observed": _c("CLV observed", "已实现 CLV", "currency"),
    "clv_predicted": _c("CLV predicted", "预测 CLV", "currency"),
    "p_alive": _c("P(alive)", "存活概率 P(alive)", "ratio"),
}


def clv_scores(data: CommunityData, opts: clv.CLVOptions) -> MemberScores:
    """Observed and predicted CLV and P(alive) of every member who bought: the RFM frames
    and the fitted models are the clv metric's own (:func:`~plugins.metrics.clv.models_for`),
    collected and fitted once for both."""
    opts = opts or clv.CLVOptions()
    shared = clv.models_for(data, opts.value_basis)

    def build(got: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
        rfm, _fits, preds = shared.fit(got, opts)
        if preds is None:
            preds = rfm.with_columns(
                pl.lit(None, pl.Float64).alias("predicted_clv"),
                pl.lit(None, pl.Float64).alias("p_alive"),
            )
        return preds.filter(pl.col("member_id").is_not_null()).select(
            pl.col("member_id").cast(pl.String),
            clv_observed="total",
            clv_predicted="predicted_clv",
            p_alive="p_alive",
        )

    return MemberScores({"rfm": shared.rfm, "rfm_unique": shared.rfm_unique}, build)


SPECS = (
    MemberScoreSpec("profile", "Platforms, dates, activity, orders, referrals, stage",
                    PROFILE, compute=profile, order=10),
    MemberScoreSpec("influence", "PageRank influence and its percentile", INFLUENCE,
                    compute=influence_scores, metric="influence", order=20),
    MemberScoreSpec("loyalty", "Love score, loyalty tier, RFM segment", LOYALTY,
                    compute=loyalty_scores, metric="loyalty", order=30),
    MemberScoreSpec("clv", "Observed and predicted CLV, P(alive)", CLV,
                    compute=clv_scores, metric="clv", order=40),
)  # fmt: skip


@hookimpl
def communityroi_member_scores() -> list[MemberScoreSpec]:
    return list(SPECS)
