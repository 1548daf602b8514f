"""Hour × weekday on a hand-computed dataset (Asia/Shanghai, 2026-10-05 Mon … 10-18 Sun:
two of every weekday → 10 weekday dates, 4 weekend dates).

Local times (UTC + 8): Mon 10-05 20:15, 20:45, 21:30; Tue 10-06 20:10; Wed 10-07 09:00;
Sat 10-10 10:05, 11:55; Sun 10-11 00:30 (still Saturday 16:30 in UTC); a join on Monday
20:00 does not count. Cells: Mon 20h 2, Mon 21h 1, Tue 20h 1, Wed 9h 1, Sat 10h 1,
Sat 11h 1, Sun 0h 1 → 8 activities. Per day: Mon 20h = 2 / 2 Mondays = 1.0.
Two-hour windows: weekdays 20:00–22:00 = 4 activities / 10 dates = 0.4 a day;
weekends 10:00–12:00 = 2 / 4 = 0.5 a day. Peak share = (4 + 2) / 8 = 75 %.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from communityroi.testing import make_data, run_metric
from plugins.metrics.timing import SPEC, weekday_hour

LOCAL = [
    ("2026-10-05 20:15", "message"),
    ("2026-10-05 20:45", "reply"),
    ("2026-10-05 21:30", "reaction"),
    ("2026-10-05 20:00", "join"),
    ("2026-10-06 20:10", "message"),
    ("2026-10-07 09:00", "post"),
    ("2026-10-10 10:05", "checkin"),
    ("2026-10-10 11:55", "message"),
    ("2026-10-11 00:30", "message"),
]
PERIOD = {"start": date(2026, 10, 5), "end": date(2026, 10, 18)}


@pytest.fixture(scope="module")
def section():
    # naive times are read in the report time zone by the boundary
    acts = [{"member_id": "a", "at": at, "kind": kind} for at, kind in LOCAL]
    data = make_data(
        {"members": [{"member_id": "a"}], "activities": acts}, timezone="Asia/Shanghai", **PERIOD
    )
    return run_metric(SPEC, data)


def test_cells(section):
    cells = section.table("cells").data
    assert cells.height == 7 * 24
    nonzero = {
        (r["weekday"], r["hour"]): r["activities"]
        for r in cells.filter(pl.col("activities") > 0).to_dicts()
    }
    assert nonzero == {(1, 20): 2, (1, 21): 1, (2, 20): 1, (3, 9): 1, (6, 10): 1, (6, 11): 1,
                       (7, 0): 1}  # fmt: skip
    monday_8pm = cells.filter((pl.col("weekday") == 1) & (pl.col("hour") == 20))
    assert monday_8pm["per_day"].item() == pytest.approx(1.0)
    chart = section.charts[0]
    assert (chart.kind, chart.x, chart.y, chart.value) == (
        "heatmap",
        "hour",
        ("weekday",),
        "per_day",
    )


def test_best_windows(section):
    best = section.table("best_windows").data
    assert best.select("days", "window").rows() == [
        ("weekends", "10:00–12:00"),
        ("weekdays", "20:00–22:00"),
    ]
    assert best["per_day"].to_list() == pytest.approx([0.5, 0.4])
    assert section.kpi("activities").value == 8
    assert section.kpi("peak_share").value == pytest.approx(75.0)
    (finding,) = section.findings
    assert "10:00–12:00 at weekends and 20:00–22:00 on weekdays" in finding.text.en
    assert "20:00–21:00 on Mondays" in finding.text.en
    assert "周末 10:00–12:00" in finding.text.zh and "工作日 20:00–22:00" in finding.text.zh


def test_window_option():
    acts = [{"member_id": "a", "at": at, "kind": kind} for at, kind in LOCAL]
    data = make_data(
        {"members": [{"member_id": "a"}], "activities": acts}, timezone="Asia/Shanghai", **PERIOD
    )
    best = run_metric(SPEC, data, {"window_hours": 1}).table("best_windows").data
    # one-hour windows: weekdays 20:00 (3 / 10), weekends 10:00 (first of the 1 / 4 ties)
    assert best.select("days", "window").rows() == [
        ("weekdays", "20:00–21:00"),
        ("weekends", "00:00–01:00"),
    ]


@settings(max_examples=30, deadline=None)
@given(
    tz=st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin"]),
    minutes=st.lists(st.integers(0, 14 * 24 * 60 - 1), min_size=1, max_size=40),
    start=st.sampled_from([date(2026, 3, 23), date(2026, 10, 19), date(2026, 10, 26)]),
)
@example(tz="Europe/Berlin", minutes=[20100, 60], start=date(2026, 3, 23))  # past the end
def test_weekday_hour_matches_time_zone_conversion(tz, minutes, start):
    """Across DST changes (late March and late October in Europe, early November in New
    York) the binary search gives the same weekday and hour as converting the zone."""
    zone = ZoneInfo(tz)
    data = make_data(
        {"members": [{"member_id": "a"}]},
        timezone=tz,
        start=start,
        end=start + timedelta(days=13),
    )
    first = datetime.combine(start, datetime.min.time(), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    # the period is 14 local days; across a DST change that is 14 days ± 1 h of UTC minutes
    at = [a for a in (first + timedelta(minutes=m) for m in minutes) if a < data.end]
    assume(at)
    frame = pl.LazyFrame({"at": at}, schema={"at": pl.Datetime("us", "UTC")})
    local = data.local("at")
    got = frame.select(
        *weekday_hour(data), local.dt.weekday().alias("ref_wd"), local.dt.hour().alias("ref_h")
    ).collect()
    assert got["weekday"].cast(pl.Int64).to_list() == got["ref_wd"].cast(pl.Int64).to_list()
    assert got["hour"].cast(pl.Int64).to_list() == got["ref_h"].cast(pl.Int64).to_list()
