"""Retention cohorts on a hand-computed dataset (period October 2026, UTC, 3 cohorts:
August, September, October 2026).

Members: a joined 08-05 and b 08-20 (August cohort, 2); c 09-03 (September, 1); d 10-02
and f 10-10 (October, 2; f left 10-20); e joined in July (before the first cohort).
Engaged activity: a in Aug, Sep and Oct; b only a join in Aug, a reaction on 10-01;
c in Sep; d in Oct; e in Oct (no cohort).
- August: month 0 {a} 1/2 = 50 %, month 1 {a} 50 %, month 2 {a, b} 100 %.
- September: month 0 {c} 100 %, month 1 {} 0 %.
- October: month 0 {d} 1/2 = 50 %.
Month-1 retention = (1 + 0) / (2 + 1) = 33.33 %; months 3 and 6: no cohort is old enough.
With the period ending 10-15, October is incomplete: month 1 of September (= October)
drops out of the KPI → 1 / 2 = 50 %.
"""

from datetime import date

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communityroi.testing import make_data, run_metric
from plugins.metrics.retention import SPEC, month_starts

MEMBERS = [
    {"member_id": "a", "joined_at": "2026-08-05"},
    {"member_id": "b", "joined_at": "2026-08-20"},
    {"member_id": "c", "joined_at": "2026-09-03"},
    {"member_id": "d", "joined_at": "2026-10-02"},
    {"member_id": "e", "joined_at": "2026-07-15"},
    {"member_id": "f", "joined_at": "2026-10-10", "left_at": "2026-10-20"},
]
ACTIVITIES = [
    {"member_id": "a", "at": "2026-08-06", "kind": "message"},
    {"member_id": "a", "at": "2026-09-10", "kind": "message"},
    {"member_id": "a", "at": "2026-10-05", "kind": "message"},
    {"member_id": "b", "at": "2026-08-21", "kind": "join"},
    {"member_id": "b", "at": "2026-10-01", "kind": "reaction"},
    {"member_id": "c", "at": "2026-09-04", "kind": "message"},
    {"member_id": "d", "at": "2026-10-02", "kind": "message"},
    {"member_id": "e", "at": "2026-10-03", "kind": "message"},
]


def run(end=date(2026, 10, 31), tz="UTC", members=MEMBERS, acts=ACTIVITIES):
    tables = {"members": members} | ({"activities": acts} if acts else {})
    data = make_data(tables, start=date(2026, 10, 1), end=end, timezone=tz)
    return run_metric(SPEC, data, {"cohorts": 3})


def test_cells_and_kpis():
    sec = run()
    cells = sec.table("cells").data
    got = {(r["cohort"], r["offset"]): (r["members"], r["active"]) for r in cells.to_dicts()}
    assert got == {
        ("2026-08", 0): (2, 1),
        ("2026-08", 1): (2, 1),
        ("2026-08", 2): (2, 2),
        ("2026-09", 0): (1, 1),
        ("2026-09", 1): (1, 0),
        ("2026-10", 0): (2, 1),
    }
    assert cells.filter(pl.col("cohort") == "2026-08")["share"].to_list() == [50.0, 50.0, 100.0]
    assert abs(sec.kpi("month_1_retention").value - 100 / 3) < 1e-9
    assert sec.kpi("month_3_retention").value is None
    assert [k.key for k in sec.kpis if k.headline] == ["month_1_retention"]
    wide = sec.table("cohorts").data
    assert wide.columns == ["cohort", "members", "m0", "m1", "m2"]
    assert wide.row(1) == ("2026-09", 1, 100.0, 0.0, None)
    chart = sec.charts[0]
    assert (chart.kind, chart.x, chart.y, chart.value) == (
        "heatmap",
        "offset",
        ("cohort",),
        "share",
    )


def test_incomplete_last_month_is_left_out_of_kpis():
    assert abs(run(end=date(2026, 10, 15)).kpi("month_1_retention").value - 50.0) < 1e-9


def test_cohorts_follow_the_report_time_zone():
    # 2026-08-31 17:00 UTC is 09-01 01:00 in Shanghai: a September joiner there
    members = [{"member_id": "g", "joined_at": "2026-08-31T17:00:00Z"}]
    acts = [{"member_id": "g", "at": "2026-08-31T18:00:00Z", "kind": "message"}]
    shanghai = run(tz="Asia/Shanghai", members=members, acts=acts).table("cells").data
    assert shanghai.filter(pl.col("offset") == 0).select("cohort", "active").row(0) == (
        "2026-09",
        1,
    )
    utc = run(members=members, acts=acts).table("cells").data
    assert utc.filter(pl.col("offset") == 0)["cohort"].to_list() == ["2026-08"]


def test_month_starts():
    assert month_starts(date(2026, 2, 10), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    joins=st.lists(st.integers(0, 120), min_size=1, max_size=8),
    acts=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 120)), max_size=30),
)
def test_shares_are_shares(joins, acts):
    base = date(2026, 7, 1).toordinal()
    members = [
        {"member_id": f"m{i}", "joined_at": date.fromordinal(base + d).isoformat()}
        for i, d in enumerate(joins)
    ]
    rows = [
        {"member_id": f"m{w % len(joins)}", "at": date.fromordinal(base + d).isoformat(),
         "kind": "message"}
        for w, d in acts
    ]  # fmt: skip
    sec = run(members=members, acts=rows)
    cells = sec.table("cells").data
    assert cells.filter((pl.col("share") < 0) | (pl.col("share") > 100)).is_empty()
    assert (cells["active"] <= cells["members"]).all()
    for k in sec.kpis:
        assert k.value is None or 0 <= k.value <= 100
