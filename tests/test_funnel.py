"""Funnel on a hand-computed dataset (October 2026, UTC).

Members: a (g1, joined 09-01), b (g1, 10-05), c (g2, 08-01), d (g2, 09-01, left 09-20:
not in the funnel), e (g2, 10-10), f (g1 from 08-01 and g2 from 09-05, customer id cf),
g (g1, 10-20, only a join activity).
- joined: a, b, c, e, f, g → 6
- active (engaged activity in October): a, b, c, f → 4 (66.67 %)
- bought (paid October order after joining): a (2 orders), b (1; its 10-01 order was before
  joining), f (1, via customer id); e bought but was not active; a's refund does not count
  → 3 (75 % of active, 50 % of joined)
- bought again: a → 1 (33.33 % of buyers, 16.67 % of joined)
- orders = "to_date" also counts f's September order → a, f bought again → 66.67 %
- population = "new" (joined in October): b, e, g → 3; active b; bought b; again 0.
Per group: g1 {a, b, f, g}: 4 / 3 / 3 / 1; g2 {c, e, f}: 3 / 2 / 1 / 0.
"""

from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communityroi.testing import make_data, run_metric
from plugins.metrics.funnel import SPEC, funnel_table

MEMBERS = [
    {"member_id": "a", "group_id": "g1", "joined_at": "2026-09-01"},
    {"member_id": "b", "group_id": "g1", "joined_at": "2026-10-05"},
    {"member_id": "c", "group_id": "g2", "joined_at": "2026-08-01"},
    {"member_id": "d", "group_id": "g2", "joined_at": "2026-09-01", "left_at": "2026-09-20"},
    {"member_id": "e", "group_id": "g2", "joined_at": "2026-10-10"},
    {"member_id": "f", "group_id": "g1", "joined_at": "2026-08-01", "customer_id": "cf"},
    {"member_id": "f", "group_id": "g2", "joined_at": "2026-09-05", "customer_id": "cf"},
    {"member_id": "g", "group_id": "g1", "joined_at": "2026-10-20"},
]
ACTIVITIES = [
    {"member_id": m, "at": at, "kind": k}
    for m, at, k in [
        ("a", "2026-10-02", "message"),
        ("b", "2026-10-06", "reply"),
        ("c", "2026-10-07", "reaction"),
        ("f", "2026-10-08", "checkin"),
        ("g", "2026-10-20", "join"),
        ("d", "2026-09-10", "message"),
    ]
]
ORDERS = [
    {"order_id": o, "member_id": m, "customer_id": c, "at": at, "amount": 10, "status": s}
    for o, m, c, at, s in [
        ("o1", "a", None, "2026-10-03", "paid"),
        ("o2", "a", None, "2026-10-15", "paid"),
        ("o3", "a", None, "2026-10-20", "refunded"),
        ("o4", "b", None, "2026-10-01", "paid"),
        ("o5", "b", None, "2026-10-06", "paid"),
        ("o6", "e", None, "2026-10-12", "paid"),
        ("o7", None, "cf", "2026-10-08", "paid"),
        ("o8", "f", None, "2026-09-15", "paid"),
    ]
]
GROUPS = [{"group_id": "g1", "name": "Flash"}, {"group_id": "g2", "name": "VIP"}]


def run(**options):
    tables = {"members": MEMBERS, "activities": ACTIVITIES, "orders": ORDERS, "groups": GROUPS}
    data = make_data(tables, start=date(2026, 10, 1), end=date(2026, 10, 31))
    return run_metric(SPEC, data, options)


@pytest.fixture(scope="module")
def section():
    return run()


def test_steps(section):
    steps = section.table("funnel").data
    assert steps["step"].to_list() == ["joined", "active", "buyer", "repeat"]
    assert steps["members"].to_list() == [6, 4, 3, 1]
    assert steps["step_conversion"].to_list()[1:] == pytest.approx([200 / 3, 75, 100 / 3])
    assert steps["overall_conversion"].to_list() == pytest.approx([100, 200 / 3, 50, 100 / 6])
    values = {k.key: k.value for k in section.kpis}
    assert values["members"] == 6
    assert values["active_rate"] == pytest.approx(200 / 3)
    assert values["buyer_rate"] == pytest.approx(75)
    assert values["repeat_rate"] == pytest.approx(100 / 3)
    assert values["member_to_buyer"] == pytest.approx(50)
    assert {k.key for k in section.kpis if k.headline} == {"repeat_rate", "member_to_buyer"}
    assert section.charts[0].kind == "funnel"


def test_per_group(section):
    rows = {r["group_id"]: r for r in section.table("by_group").data.to_dicts()}
    assert [rows["g1"][s] for s in ("joined", "active", "buyer", "repeat")] == [4, 3, 3, 1]
    assert [rows["g2"][s] for s in ("joined", "active", "buyer", "repeat")] == [3, 2, 1, 0]
    assert rows["g1"]["name"] == "Flash"
    assert rows["g2"]["buyer_rate"] == pytest.approx(100 / 3)
    assert rows["g2"]["repeat_rate"] == 0


def test_options():
    assert run(orders="to_date").kpi("repeat_rate").value == pytest.approx(200 / 3)
    new = run(population="new").table("funnel").data
    assert new["members"].to_list() == [3, 1, 1, 0]


def test_funnel_table_with_empty_steps():
    steps = funnel_table({"joined": 0, "active": 0, "buyer": 0, "repeat": 0})
    assert steps["step_conversion"].null_count() == 4


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    acts=st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(0, 40)), max_size=15),
    buys=st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(0, 40)), max_size=15),
)
def test_steps_shrink(acts, buys):
    def day(d):
        return date.fromordinal(date(2026, 9, 20).toordinal() + d).isoformat()

    tables = {"members": MEMBERS}
    if acts:
        tables["activities"] = [{"member_id": m, "at": day(d), "kind": "message"} for m, d in acts]
    if buys:
        tables["orders"] = [
            {"order_id": f"o{i}", "member_id": m, "at": day(d), "amount": 1}
            for i, (m, d) in enumerate(buys)
        ]
    sec = run_metric(SPEC, make_data(tables, start=date(2026, 10, 1), end=date(2026, 10, 31)))
    counts = sec.table("funnel").data["members"].to_list()
    assert counts == sorted(counts, reverse=True)
    for table in ("funnel", "by_group"):
        df = sec.table(table).data.select(pl.col(pl.Float64))
        assert df.select(((pl.all() < 0) | (pl.all() > 100)).any()).sum_horizontal().item() == 0
