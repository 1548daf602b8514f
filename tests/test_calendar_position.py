"""``_calendar.position``: a timestamp's place among local-midnight instants, by arithmetic
and a table lookup — the same counts as Polars' binary search, across DST and nulls."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from plugins.metrics._calendar import (
    MAX_CELLS,
    interval_index,
    month_starts,
    position,
    utc_midnights,
)


def _at(values: list) -> pl.DataFrame:
    return pl.DataFrame({"at": values}, schema={"at": pl.Datetime("us", "UTC")})


def test_hand_computed_days_in_new_york_across_the_spring_change():
    # local midnights of 8–10 March 2025 in New York: EST (−5 h), then EDT (−4 h) from
    # 9 March 02:00, so the gaps are 24 h and 23 h and the grid step is an hour
    bounds = utc_midnights([date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 10)],
                           "America/New_York")  # fmt: skip
    assert bounds.to_list() == [
        datetime(2025, 3, 8, 5, tzinfo=UTC),
        datetime(2025, 3, 9, 5, tzinfo=UTC),
        datetime(2025, 3, 10, 4, tzinfo=UTC),
    ]
    df = _at([
        None,                                   # null: 0, like search_sorted
        datetime(2025, 3, 8, 4, 59, tzinfo=UTC),  # before the first bound: 0
        datetime(2025, 3, 8, 5, tzinfo=UTC),      # on it: 1
        datetime(2025, 3, 10, 3, 59, tzinfo=UTC),  # 9 March 23:59 EDT: 2
        datetime(2025, 3, 10, 4, tzinfo=UTC),      # 10 March 00:00 EDT: 3
        datetime(2031, 1, 1, tzinfo=UTC),          # long after: 3
    ])  # fmt: skip
    got = df.select(p=position(bounds, "at"), i=interval_index(bounds, "at"))
    assert got["p"].to_list() == [0, 0, 1, 2, 3, 3]
    assert got["i"].to_list() == [-1, -1, 0, 1, 2, 2]
    assert got.schema["p"] == pl.UInt32 and got.schema["i"] == pl.Int32


@pytest.mark.parametrize(
    "tz", ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
)
@pytest.mark.parametrize("months", [True, False])
def test_same_counts_as_polars_binary_search(tz, months):
    if months:  # 100 years of month starts, as the loyalty decay table uses
        bounds = utc_midnights(month_starts(date(2025, 12, 31), 1200), tz)
    else:
        bounds = utc_midnights([date(2024, 1, 1) + timedelta(days=i) for i in range(400)], tz)
    us = bounds.dt.epoch("us").to_numpy()
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [rng.integers(us[0] - 10**12, us[-1] + 10**12, 50_000), us, us - 1, us + 1]
    )
    df = pl.DataFrame({"at": values}).select(
        pl.when(pl.int_range(pl.len()) % 97 == 0)
        .then(None)
        .otherwise(pl.col("at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
        .alias("at")
    )
    ours = df.select(position(bounds, "at")).to_series()
    theirs = df.select(pl.lit(bounds).search_sorted(pl.col("at"), side="right")).to_series()
    assert ours.to_list() == theirs.to_list()


def test_bounds_off_any_coarse_grid_fall_back_to_the_search():
    # Amsterdam's local midnights before 1937 were 19 min 32 s off the hour: the common
    # step is seconds, the grid far over MAX_CELLS, so the binary search is used — same
    # counts
    bounds = utc_midnights(month_starts(date(2025, 12, 31), 1200), "Europe/Amsterdam")
    us = bounds.dt.epoch("us").to_numpy()
    assert (us[-1] - us[0]) // np.gcd.reduce(np.diff(us)) > MAX_CELLS
    df = pl.DataFrame({"at": us[::7] + 1}).select(
        pl.col("at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    )
    ours = df.select(position(bounds, "at")).to_series()
    assert ours.to_list() == [1 + 7 * i for i in range(len(ours))]
