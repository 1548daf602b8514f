"""Campaign and group cost-benefit on a hand-computed dataset (October 2026, UTC).

Groups g1 (flash group) and g2 (VIP group). Campaigns: k1 "Launch" in g1 from 10-05 to
10-12; k2 "VIP day" in g2 without dates; k3 in g1 in August (outside the period, no
activity: not listed).

Campaign k1: g1 members during 10-05 … 10-12 are a (joined 09-01) and b (10-08); c joined
10-20 and f left 10-02. Participants (k1-tagged activity): a, b, c. Members = {a, b, c} = 3.
Paid k1 orders in October: a 100, b 50, non-member x 70 → return 220; buyers a, b → 2;
conversion 2 / 3 = 66.67 %. Cost tagged k1 in October: 60 (the 999 on 09-30 is outside)
→ ROI (220 − 60) / 60 = 266.67 %. CLV: a = 100 + 40 + 200 (September) = 340 (the refund
does not count), b = 50 → average 195.
Campaign k2: g2 members during October: d and e (left 10-03) → 2; order d (via customer
id) 300 → return 300, buyers 1, conversion 50 %; cost 100 → ROI 200 %; CLV 300.
Totals: return 520, investment 160, campaign ROI (520 − 160) / 160 = 225 %, buyers 3.

Group g1: members in October a, b, c, f → 4; active a, b, c → 3 with 4 activities;
orders: k1's 100 + 50 + 70 and a's untagged 40 (a's first group) → 260; c's order of
10-05 was placed before c joined and has no campaign, so it is not attributed; buyers
a, b; costs: k1's 60 + g1 labour 20 → 80; ROI (260 − 80) / 80 = 225 %.
Group g2: members d, e → 2; active d; return 300; cost 100; ROI 200 %.
"""

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communityroi.testing import make_data, run_metric
from plugins.metrics import roi
from plugins.metrics.campaigns import SPEC

GROUPS = [
    {"group_id": "g1", "name": "Flash", "kind": "flash_group"},
    {"group_id": "g2", "name": "VIP", "kind": "vip_group"},
]
CAMPAIGNS = [
    {"campaign_id": "k1", "name": "Launch", "group_id": "g1", "kind": "flash_group",
     "starts_at": "2026-10-05", "ends_at": "2026-10-12"},
    {"campaign_id": "k2", "name": "VIP day", "group_id": "g2", "kind": "vip_group"},
    {"campaign_id": "k3", "name": "Old", "group_id": "g1", "starts_at": "2026-08-01",
     "ends_at": "2026-08-10"},
]  # fmt: skip
MEMBERS = [
    {"member_id": "a", "group_id": "g1", "joined_at": "2026-09-01"},
    {"member_id": "b", "group_id": "g1", "joined_at": "2026-10-08"},
    {"member_id": "c", "group_id": "g1", "joined_at": "2026-10-20"},
    {"member_id": "d", "group_id": "g2", "joined_at": "2026-09-01", "customer_id": "cd"},
    {"member_id": "e", "group_id": "g2", "joined_at": "2026-09-15", "left_at": "2026-10-03"},
    {"member_id": "f", "group_id": "g1", "joined_at": "2026-08-01", "left_at": "2026-10-02"},
]


def act(member, at, kind, group, campaign=None):
    return {"member_id": member, "at": at, "kind": kind, "group_id": group,
            "campaign_id": campaign}  # fmt: skip


ACTIVITIES = [
    act("a", "2026-10-06", "message", "g1", "k1"),
    act("b", "2026-10-09", "message", "g1", "k1"),
    act("c", "2026-10-21", "checkin", "g1", "k1"),
    act("d", "2026-10-10", "message", "g2"),
    act("a", "2026-10-11", "reaction", "g1"),
    act("e", "2026-09-15", "join", "g2"),
]
ORDERS = [
    {"order_id": "o1", "member_id": "a", "at": "2026-10-07", "amount": 100, "campaign_id": "k1"},
    {"order_id": "o2", "member_id": "b", "at": "2026-10-09", "amount": 50, "campaign_id": "k1"},
    {"order_id": "o3", "customer_id": "cd", "at": "2026-10-10", "amount": 300, "campaign_id": "k2"},
    {"order_id": "o4", "member_id": "a", "at": "2026-10-15", "amount": 40},
    {"order_id": "o5", "customer_id": "x", "at": "2026-10-12", "amount": 70, "campaign_id": "k1"},
    {"order_id": "o6", "member_id": "c", "at": "2026-10-05", "amount": 80},
    {"order_id": "o7", "member_id": "a", "at": "2026-10-08", "amount": 30, "campaign_id": "k1",
     "status": "refunded"},
    {"order_id": "o8", "member_id": "a", "at": "2026-09-10", "amount": 200},
    {"order_id": "o9", "member_id": "d", "at": "2026-11-01", "amount": 900},
]  # fmt: skip
COSTS = [
    {"category": "campaign", "amount": 60, "incurred_on": "2026-10-05", "campaign_id": "k1"},
    {"category": "campaign", "amount": 100, "incurred_on": "2026-10-10", "campaign_id": "k2"},
    {"category": "labour", "amount": 20, "incurred_on": "2026-10-01", "group_id": "g1"},
    {"category": "labour", "amount": 500, "incurred_on": "2026-10-01"},
    {"category": "ads", "amount": 999, "incurred_on": "2026-09-30", "campaign_id": "k1"},
]
TABLES = {"groups": GROUPS, "campaigns": CAMPAIGNS, "members": MEMBERS,
          "activities": ACTIVITIES, "orders": ORDERS, "costs": COSTS}  # fmt: skip
OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}


@pytest.fixture(scope="module")
def data():
    return make_data(TABLES, **OCTOBER)


@pytest.fixture(scope="module")
def section(data):
    return run_metric(SPEC, data)


def rows(section, table, key):
    df = section.table(table).data
    return {r[key]: r for r in df.iter_rows(named=True)}


def test_per_campaign(section):
    got = rows(section, "by_campaign", "campaign_id")
    assert set(got) == {"k1", "k2"}
    k1, k2 = got["k1"], got["k2"]
    assert (k1["members"], k1["active"], k1["activities"], k1["buyers"]) == (3, 3, 3, 2)
    assert k1["return"] == pytest.approx(220) and k1["investment"] == pytest.approx(60)
    assert k1["conversion"] == pytest.approx(200 / 3)
    assert k1["roi"] == pytest.approx(800 / 3)
    assert k1["avg_clv"] == pytest.approx(195)
    assert k1["name"] == "Launch"
    assert (k2["members"], k2["active"], k2["buyers"]) == (2, 0, 1)
    assert k2["return"] == 300 and k2["investment"] == 100 and k2["roi"] == pytest.approx(200)
    assert k2["conversion"] == pytest.approx(50) and k2["avg_clv"] == pytest.approx(300)


def test_per_group(section):
    got = rows(section, "by_group", "group_id")
    g1, g2 = got["g1"], got["g2"]
    assert (g1["members"], g1["active"], g1["activities"], g1["buyers"]) == (4, 3, 4, 2)
    assert g1["return"] == pytest.approx(260) and g1["investment"] == pytest.approx(80)
    assert g1["roi"] == pytest.approx(225) and g1["conversion"] == pytest.approx(50)
    assert g1["avg_clv"] == pytest.approx(195)
    assert (g2["members"], g2["active"], g2["buyers"]) == (2, 1, 1)
    assert g2["return"] == 300 and g2["investment"] == 100 and g2["roi"] == pytest.approx(200)


def test_kpis_and_findings(section):
    assert section.kpi("campaign_return").value == pytest.approx(520)
    assert section.kpi("campaign_investment").value == pytest.approx(160)
    assert section.kpi("campaign_roi").value == pytest.approx(225)
    assert section.kpi("campaign_buyers").value == 3
    assert section.kpi("campaigns").value == 2
    assert [k.key for k in section.kpis if k.headline] == ["campaign_roi"]
    texts = " ".join(f.text.en for f in section.findings)
    assert "Launch" in texts and "Flash group 3.25" in texts and "VIP group 3.00" in texts
    chart = next(c for c in section.charts if c.key == "campaign_cost_return")
    assert chart.kind == "bar" and chart.y == ("investment", "return")


def test_agrees_with_the_roi_section(data, section):
    """The ROI section lists ROI per campaign and per group too: the numbers must match."""
    other = run_metric(roi.SPEC, data)
    for table, key in (("by_campaign", "campaign_id"), ("by_group", "group_id")):
        mine, theirs = rows(section, table, key), rows(other, table, key)
        for k, row in theirs.items():
            if row["investment"] or row["return"]:
                assert mine[k]["return"] == pytest.approx(row["return"]), (table, k)
                assert mine[k]["investment"] == pytest.approx(row["investment"]), (table, k)
                assert mine[k]["roi"] == pytest.approx(row["roi"], nan_ok=True), (table, k)


people = st.lists(
    st.tuples(st.sampled_from(["g1", "g2"]), st.integers(-40, 40), st.booleans()),
    min_size=1,
    max_size=8,
)
orders = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 40), st.sampled_from([None, "k1", "k2"])),
    max_size=10,
)


def day(offset: int) -> str:
    return (date(2026, 10, 1) + timedelta(days=offset)).isoformat()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=people, orders=orders)
def test_conversion_is_a_share(people, orders):
    members = [
        {"member_id": f"m{i}", "group_id": g, "joined_at": day(j),
         "left_at": day(19) if left else None}
        for i, (g, j, left) in enumerate(people)
    ]  # fmt: skip
    rows_ = [
        {"order_id": f"o{i}", "member_id": f"m{who % len(members)}", "amount": 10,
         "at": day(d - 5), "campaign_id": camp}
        for i, (who, d, camp) in enumerate(orders)
    ]  # fmt: skip
    tables = {"members": members, "campaigns": CAMPAIGNS, "groups": GROUPS}
    if rows_:
        tables["orders"] = rows_
    sec = run_metric(SPEC, make_data(tables, **OCTOBER))
    for table in ("by_campaign", "by_group"):
        df = sec.table(table).data
        assert df.filter((pl.col("conversion") < 0) | (pl.col("conversion") > 100)).is_empty()
    total = sec.table("by_campaign").data["return"].sum()
    assert total == pytest.approx(sec.kpi("campaign_return").value)
