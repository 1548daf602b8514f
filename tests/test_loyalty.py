"""Loyalty metric: love score, tiers, RFM scores and segments against hand-computed values."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from pydantic import ValidationError

from communityroi.testing import make_data, run_metric
from plugins.metrics.loyalty import SPEC, LoyaltyOptions, rfm

# Period 2026-01-01 – 2026-03-31 in Asia/Shanghai (UTC+8): March is 0 months ago.
ACTIVITIES = [
    # a: message in March (1), reply in February (2 × 0.9), post in January (3 × 0.81),
    # join (0), and a message at 17:00 UTC on 28 Feb = 01:00 on 1 March in Shanghai (1).
    ("a", "2026-03-10T02:00:00+00:00", "message"),
    ("a", "2026-02-15T02:00:00+00:00", "reply"),
    ("a", "2026-01-05T02:00:00+00:00", "post"),
    ("a", "2026-01-01T02:00:00+00:00", "join"),
    ("a", "2026-02-28T17:00:00+00:00", "message"),
    # b: reaction at 23:30 on 31 March local (0.5); a message at 00:30 on 1 April local is
    # after the period and ignored; an invite in December 2025 (5 × 0.9³); an unknown
    # kind "vote" in March (other_weight 1).
    ("b", "2026-03-31T15:30:00+00:00", "reaction"),
    ("b", "2026-03-31T16:30:00+00:00", "message"),
    ("b", "2025-12-20T02:00:00+00:00", "invite"),
    ("b", "2026-03-02T02:00:00+00:00", "vote"),
    ("e", "2026-02-01T02:00:00+00:00", "message"),  # 0.9
    ("f", "2026-03-01T02:00:00+00:00", "message"),  # exactly 1.0
    ("d", "2026-03-01T02:00:00+00:00", "message"),  # d left: not in the tiers
]
LOVE = {
    "a": 1 + 2 * 0.9 + 3 * 0.81 + 1,  # 6.23
    "b": 0.5 + 5 * 0.9**3 + 1,  # 5.145
    "f": 1.0,
    "e": 0.9,
    "c": 0.0,  # member without activity
}


def _love_data():
    acts = [dict(member_id=m, platform="wechat", at=at, kind=k) for m, at, k in ACTIVITIES]
    members = [
        dict(member_id=m, platform="wechat", joined_at="2025-06-01", left_at=left)
        for m, left in [("a", None), ("b", None), ("c", None), ("d", "2026-03-15")]
    ]
    return make_data(
        {"members": members, "activities": acts},
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        timezone="Asia/Shanghai",
    )


def test_love_score_hand_computed_across_months_in_report_timezone():
    section = run_metric(SPEC, _love_data())
    top = section.table("top_loyal").data
    got = dict(zip(top["member_id"], top["love"], strict=True))
    assert got.keys() == LOVE.keys()
    for member, love in LOVE.items():
        assert got[member] == pytest.approx(love, abs=1e-12), member
    assert top["member_id"].to_list() == ["a", "b", "f", "e", "c"]
    assert section.kpi("average_love").value == pytest.approx(sum(LOVE.values()) / 5)


def test_tier_thresholds_are_inclusive_and_configurable():
    opts = {"tier_core": 6, "tier_active": 5, "tier_casual": 1}
    section = run_metric(SPEC, _love_data(), opts)
    top = section.table("top_loyal").data
    tiers = dict(zip(top["member_id"], top["tier"], strict=True))
    assert tiers == {"a": "core", "b": "active", "f": "casual", "e": "dormant", "c": "dormant"}
    table = section.table("tiers").data
    assert table["tier"].to_list() == ["core", "active", "casual", "dormant"]
    assert table["members"].to_list() == [1, 1, 1, 2]
    assert table["share"].to_list() == [20.0, 20.0, 20.0, 40.0]
    assert section.kpi("top_tier_share").value == pytest.approx(40.0)
    assert section.kpi("core_members").value == 1
    # With the defaults (100 / 20 / 1) only f (1.0) is casual and nobody is above.
    default = run_metric(SPEC, _love_data()).table("tiers").data
    assert default["members"].to_list() == [0, 0, 3, 2]


def test_weights_and_decay_are_settings():
    section = run_metric(SPEC, _love_data(), {"weights": {"message": 2}, "decay": 0.5})
    got = dict(section.table("top_loyal").data.select("member_id", "love").iter_rows())
    assert got["a"] == pytest.approx(2 + 2 * 0.5 + 3 * 0.25 + 2)  # reply keeps its default 2
    assert got["e"] == pytest.approx(2 * 0.5)


def test_love_of_activities_a_century_back_and_across_the_month_table_edge():
    # The decay of the last 1200 months (100 years) is looked up in a table; older
    # activities are scored row by row. Period end March 2026: April 1926 is 1199 months
    # ago (the table's first month), March 1926 1200 months ago and 1900 far beyond it.
    # The month is the Shanghai one: 16:30 UTC on 31 March 1926 is already April there.
    rows = [
        ("g", "1926-04-10T02:00:00+00:00", "message"),  # 1 × 0.999^1199
        ("g", "1926-03-31T16:30:00+00:00", "post"),  # April local: 3 × 0.999^1199
        ("g", "1926-03-10T02:00:00+00:00", "reply"),  # 2 × 0.999^1200
        ("g", "1900-01-10T02:00:00+00:00", "invite"),  # 5 × 0.999^1514
        ("g", "2026-03-10T02:00:00+00:00", "message"),  # 1
    ]
    data = make_data(
        {
            "members": [dict(member_id="g", platform="wechat", joined_at="1899-06-01")],
            "activities": [
                dict(member_id=m, platform="wechat", at=at, kind=k) for m, at, k in rows
            ],
        },
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        timezone="Asia/Shanghai",
    )
    section = run_metric(SPEC, data, {"decay": 0.999})
    love = section.table("top_loyal").data["love"].item()
    d = 0.999
    assert love == pytest.approx(4 * d**1199 + 2 * d**1200 + 5 * d**1514 + 1, abs=1e-9)


def test_options_validate():
    with pytest.raises(ValidationError, match="tier_core > tier_active"):
        LoyaltyOptions(tier_core=10, tier_active=20)
    with pytest.raises(ValidationError, match="≥ 0"):
        LoyaltyOptions(weights={"message": -1})
    with pytest.raises(ValidationError):
        LoyaltyOptions(unknown=1)


# --- RFM on ten customers (period end 2026-03-31, UTC) ----------------------------------
# (customer, paid orders F, total M, days since the last order R)
CUSTOMERS = [
    ("c01", 1, 100.0, 0),
    ("c02", 1, 50.0, 5),
    ("c03", 1, 300.0, 5),
    ("c04", 1, 200.0, 40),
    ("c05", 2, 120.0, 10),
    ("c06", 2, 80.0, 60),
    ("c07", 3, 900.0, 2),
    ("c08", 4, 400.0, 90),
    ("c09", 5, 1000.0, 1),
    ("c10", 8, 60.0, 20),
]
# score = 1 + floor(5 (r - 1) / 10) with r = 1 + customers strictly worse:
# F ranks 1,1,1,1,5,5,7,8,9,10; M ranks (50<60<80<100<120<200<300<400<900<1000);
# R ranks by days descending 90,60,40,20,10,5,5,2,1,0 -> c02 and c03 tie at rank 6.
SCORES = {
    "c01": ("5-1-2", "new"),
    "c02": ("3-1-1", "potential"),
    "c03": ("3-1-4", "potential"),
    "c04": ("2-1-3", "hibernating"),
    "c05": ("3-3-3", "potential"),
    "c06": ("1-3-2", "at_risk"),
    "c07": ("4-4-5", "champions"),
    "c08": ("1-4-4", "at_risk"),
    "c09": ("5-5-5", "champions"),
    "c10": ("2-5-1", "at_risk"),
}


def _rfm_data():
    end = date(2026, 3, 31)
    orders = []
    for cust, freq, total, days in CUSTOMERS:
        for k in range(freq):  # the last order `days` before the end, others 100 days apart
            day = end - timedelta(days=days + 100 * k)
            orders.append(dict(order_id=f"{cust}-{k}", member_id=cust, at=str(day),
                               amount=total / freq, status="paid"))  # fmt: skip
    orders += [
        dict(order_id="r1", member_id="c01", at="2026-03-30", amount=999.0, status="refunded"),
        dict(order_id="p1", member_id="c02", at="2026-03-30", amount=999.0, status="pending"),
    ]
    members = [dict(member_id=c[0], platform="wechat", joined_at="2024-01-01") for c in CUSTOMERS]
    return make_data({"members": members, "orders": orders}, start=date(2026, 1, 1), end=end)


def test_rfm_quintiles_ties_and_segments_on_hand_data():
    section = run_metric(SPEC, _rfm_data(), {"top_n": 10})
    top = section.table("top_loyal").data
    got = {m: (rfm, seg) for m, rfm, seg in top.select("member_id", "rfm", "segment").iter_rows()}
    assert got == SCORES
    orders = dict(top.select("member_id", "orders").iter_rows())
    assert orders["c01"] == 1 and orders["c02"] == 1  # refunded / pending orders ignored
    seg = section.table("rfm_segments").data
    assert seg["segment"].to_list() == [
        "champions", "loyal", "new", "potential", "at_risk", "hibernating",
    ]  # fmt: skip
    assert seg["customers"].to_list() == [2, 0, 1, 3, 3, 1]
    assert seg["revenue"].to_list() == pytest.approx([1900.0, 0, 100.0, 470.0, 540.0, 200.0])
    at_risk = seg.filter(pl.col("segment") == "at_risk").row(0, named=True)
    assert at_risk["recency"] == pytest.approx((60 + 90 + 20) / 3)
    assert at_risk["orders"] == pytest.approx((2 + 4 + 8) / 3)
    assert section.kpi("at_risk_customers").value == 3
    assert section.kpi("champions").value == 2
    # repeat buyers: c05–c10 = 6 of 10
    assert section.kpi("repeat_purchase_rate").value == pytest.approx(60.0)
    texts = [f.text.en for f in section.findings]
    assert "3 customers are at risk of churning: they bought often but not recently." in texts


def test_rfm_counts_a_repeated_order_id_once_per_customer():
    # x: o1 listed twice (in the period), o2 in the period, o3 before it -> F 3, period 2;
    # y: o1 too (another customer's row with that id) and o4 twice before the period
    rows = [("o1", "x", "2026-02-01"), ("o1", "x", "2026-02-01"), ("o2", "x", "2026-03-01"),
            ("o3", "x", "2025-11-01"), ("o1", "y", "2026-01-05"), ("o4", "y", "2025-10-01"),
            ("o4", "y", "2025-10-02")]  # fmt: skip
    orders = [dict(order_id=o, member_id=m, at=at, amount=10.0, status="paid") for o, m, at in rows]
    members = [dict(member_id=m, platform="wechat", joined_at="2024-01-01") for m in "xy"]
    data = make_data({"members": members, "orders": orders}, start=date(2026, 1, 1),
                     end=date(2026, 3, 31))  # fmt: skip
    got = rfm(data).sort("member_id").collect()
    assert got["frequency"].to_list() == [3, 2]
    assert got["period_orders"].to_list() == [2, 1]
    assert got["monetary"].to_list() == [40.0, 30.0]  # every paid row's amount


def test_tier_revenue_counts_only_the_period():
    section = run_metric(SPEC, _rfm_data())
    tiers = section.table("tiers").data.row(3, named=True)  # nobody is active: all dormant
    assert tiers["tier"] == "dormant" and tiers["members"] == 10
    # inside 2026-01-01 – 2026-03-31 (89 days back at most): each customer's last order
    # except c08's (90 days: 2025-12-31); earlier orders are ≥ 100 days before the last
    expected = sum(total / freq for _c, freq, total, days in CUSTOMERS if days <= 89)
    assert tiers["revenue"] == pytest.approx(expected)
    assert tiers["buyers"] == 9


def test_empty_data_gives_a_section_without_numbers():
    data = make_data({}, start=date(2026, 1, 1), end=date(2026, 1, 31))
    section = run_metric(SPEC, data)
    assert section.kpi("repeat_purchase_rate").value is None
    assert section.kpi("top_tier_share").value is None
    assert section.table("top_loyal").data.height == 0


def test_tier_table_says_whom_it_counts():
    # 10 customers, all still members: the tier table must say that it counts members at
    # the period end and all their paid orders (ROI counts attributed orders instead)
    table = run_metric(SPEC, _rfm_data()).table("tiers")
    assert table.note is not None
    assert "period end" in table.note.en and "ROI" in table.note.en
    assert "期末" in table.note.zh
