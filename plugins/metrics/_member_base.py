"""Per-member frames shared by the loyalty metric and the member scorecard.

- :func:`activity_summary`: one ``group_by`` over the activities gives, per member, the
  love score (the loyalty metric's, see :mod:`plugins.metrics.loyalty`) and the
  scorecard's activity columns — the last engaged activity, engaged activities to date
  and in the period, and the platforms of all their activities;
- :func:`people`: every person with a membership, an activity or a paid order, with
  their roster row, that summary and their RFM row (the loyalty metric's) side by side.

Both are shared per data object and love-score options (``CommunityData.shared``), so
the activities are grouped by member once for the loyalty metric and both scorecard
parts (the profile asks with the default options: when ``[metrics.loyalty]`` changes the
weights or the decay, the profile's summary is a second pass). Neither collects.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from communityroi import CommunityData, views
from plugins.metrics._calendar import month_starts, position, utc_midnights

# (sorted (kind, weight) pairs, other kinds' weight, monthly decay): ``loyalty.key_of``
LoveKey = tuple[tuple[tuple[str, float], ...], float, float]


HISTORY_MONTHS = 1200  # months up to the period end's whose decay is looked up (100 years)


def love_points(data: CommunityData, key: LoveKey) -> pl.Expr:
    """Each activity's love points, decayed to the period end: weight(kind) ×
    decay^(months between the activity's local month and the period end's).

    The local month is found among the UTC instants of the local month starts of the
    ``HISTORY_MONTHS`` months up to the period end's (``_calendar.position``: exact across
    DST), and its decay factor read from a table of those months — converting the time
    zone of 10 M activities and taking their year and month cost ≈ 0.8 CPU-s, a binary
    search and lookup ≈ 0.25, ``position`` and the lookup ≈ 0.05. An activity outside
    those months gets 0 here (the table's two outer entries): :func:`_outside_points`
    scores those rows the direct way, and :func:`_summary` adds them, so the love score is
    the same sum either way."""
    weights, other_weight, decay = key
    bounds, factors = _month_table(data, decay)
    # side="right": 0 before the first month start, i + 1 in month i, HISTORY_MONTHS + 1
    # from the start of the month after the period end's
    index = position(bounds, "at")
    return _kind_points(weights, other_weight) * pl.lit(factors).gather(index)


def _month_table(data: CommunityData, decay: float) -> tuple[pl.Series, pl.Series]:
    """The local month starts (UTC) of the ``HISTORY_MONTHS`` months ending with the period
    end's, and of the month after; 0, each month's decay^(months before the period
    end's) — computed by the same Polars power as :func:`_outside_points` — and 0."""
    starts = month_starts(data.period.end, HISTORY_MONTHS)
    ago = pl.Series(range(HISTORY_MONTHS - 1, -1, -1), dtype=pl.Int32)
    decayed = pl.select(pl.lit(decay, pl.Float64).pow(ago)).to_series()
    zero = pl.Series([0.0])
    return utc_midnights(starts, data.timezone), pl.concat([zero, decayed, zero])


def _kind_points(weights, other_weight: float) -> pl.Expr:
    return pl.col("kind").replace_strict(
        dict(weights), default=other_weight, return_dtype=pl.Float64
    )


def _outside_points(data: CommunityData, key: LoveKey) -> pl.LazyFrame:
    """member_id, ``_old``: the love points of the activities outside the month table of
    :func:`love_points` (more than ``HISTORY_MONTHS`` months before the period end, or
    after it), per member — weight(kind) × decay^(period end's month − the activity's
    local month), with the time zone converted row by row. Empty on ordinary data."""
    weights, other_weight, decay = key
    bounds, _ = _month_table(data, decay)
    local = data.local("at")
    month = local.dt.year().cast(pl.Int32) * 12 + local.dt.month().cast(pl.Int32)
    end = data.period.end.year * 12 + data.period.end.month
    points = _kind_points(weights, other_weight) * pl.lit(decay, pl.Float64).pow(
        pl.lit(end, pl.Int32) - month
    )
    outside = (pl.col("at") < pl.lit(bounds[0])) | (pl.col("at") >= pl.lit(bounds[-1]))
    return data.activities.filter(outside).group_by("member_id").agg(points.sum().alias("_old"))


def activity_summary(data: CommunityData, key: LoveKey) -> pl.LazyFrame:
    """member_id, ``love`` (rounded to 9 decimals, see ``loyalty.love_scores``),
    ``last_active`` (last engaged activity: any kind but join/leave), ``activities_total``
    (engaged, to the period end), ``activities`` (engaged, in the period) and
    ``_acts_on`` (the distinct platforms of all their activities). Shared."""
    return data.shared(_summary, key)


def _summary(data: CommunityData, key: LoveKey) -> pl.LazyFrame:
    engaged = ~pl.col("kind").is_in(views.NON_ENGAGED_KINDS)
    # the per-row values are columns before grouping: evaluated inside the aggregation
    # they cost 20-45 % more CPU on 10 M activities
    return (
        data.activities.select(
            "member_id",
            "platform",
            love_points(data, key).alias("_points"),
            pl.when(engaged).then(pl.col("at")).alias("_at"),
            engaged.alias("_e"),
            (engaged & data.in_period("at")).alias("_ep"),
        )
        .group_by("member_id")
        .agg(
            pl.col("_points").sum().alias("love"),
            pl.col("_at").max().alias("last_active"),
            pl.col("_e").sum().cast(pl.UInt32).alias("activities_total"),
            pl.col("_ep").sum().cast(pl.UInt32).alias("activities"),
            pl.col("platform").unique().alias("_acts_on"),
        )
        .join(_outside_points(data, key), on="member_id", how="left")
        .with_columns((pl.col("love") + pl.col("_old").fill_null(0.0)).round(9))
        .drop("_old")
    )


def people(
    data: CommunityData, key: LoveKey, rfm: Callable[[CommunityData], pl.LazyFrame]
) -> pl.LazyFrame:
    """One row per person with a membership, any activity or a paid order to the period
    end: the roster's columns and ``_listed`` (has a membership), the activity summary's
    and ``rfm(data)``'s — the loyalty metric's RFM frame, ``loyalty.shared_rfm``, its
    ``segment`` named ``rfm_segment`` — joined on the Categorical key. Shared: the loyalty
    metric's member rows and both scorecard parts are this one frame."""
    return data.shared(_people, key, rfm)


def _people(
    data: CommunityData, key: LoveKey, rfm: Callable[[CommunityData], pl.LazyFrame]
) -> pl.LazyFrame:
    return (
        views.roster(data)
        .with_columns(_listed=pl.lit(True))
        .join(activity_summary(data, key), on="member_id", how="full", coalesce=True)
        .join(
            rfm(data).rename({"segment": "rfm_segment"}),
            on="member_id",
            how="full",
            coalesce=True,
        )
    )
