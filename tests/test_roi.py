"""ROI on a small hand-computed dataset (period 2026-10-01 … 2026-10-31, UTC).

Hand computation:
- members at start (joined before Oct 1, not left by then): a, c → 2; at end: a, b, d
  (c left Oct 10; e joins in November and is clipped) → 3; new: b, d → 2;
  growth = (3 − 2) / 2 = 50 %.
- active (engaged activity in October): a (message), b (reply); d only joined → 2;
  activity rate = 2 / 3 = 66.67 %.
- attributed paid October orders: o1 a 100 (campaign k1), o2 customer c_b → member b 200,
  o5 non-member 80 tagged k2. o3 is refunded, o4 is a non-member without campaign,
  o6 is in September → return = 380; buyers a, b = 2; conversion = 2 / 3.
- October costs: labour 150, ads 50 (k1), content 100 (group g2); the September
  platform fee is outside → investment 300; ROI = (380 − 300) / 300 = 26.67 %;
  payback = 300 / (380 / 31) = 24.47 days.
"""

from datetime import date

import pytest

from communityroi.testing import make_data, run_metric
from plugins.metrics.roi import SPEC

MEMBERS = [
    {"member_id": "a", "joined_at": "2026-09-01", "group_id": "g1"},
    {"member_id": "b", "joined_at": "2026-10-05", "group_id": "g2", "customer_id": "c_b"},
    {"member_id": "c", "joined_at": "2026-08-01", "left_at": "2026-10-10", "group_id": "g1"},
    {"member_id": "d", "joined_at": "2026-10-20", "group_id": "g2"},
    {"member_id": "e", "joined_at": "2026-11-05", "group_id": "g2"},
]
ACTIVITIES = [
    {"member_id": "a", "at": "2026-10-02 10:00", "kind": "message"},
    {"member_id": "b", "at": "2026-10-06 10:00", "kind": "reply", "target_member_id": "a"},
    {"member_id": "d", "at": "2026-10-20 10:00", "kind": "join"},
    {"member_id": "c", "at": "2026-09-15 10:00", "kind": "message"},
    {"member_id": "e", "at": "2026-11-06 10:00", "kind": "message"},
]
ORDERS = [
    {"order_id": "o1", "member_id": "a", "at": "2026-10-03", "amount": "100", "campaign_id": "k1"},
    {"order_id": "o2", "customer_id": "c_b", "at": "2026-10-07", "amount": "200"},
    {"order_id": "o3", "member_id": "a", "at": "2026-10-08", "amount": "50", "status": "refunded"},
    {"order_id": "o4", "customer_id": "x", "at": "2026-10-09", "amount": "300"},
    {"order_id": "o5", "customer_id": "y", "at": "2026-10-10", "amount": "80", "campaign_id": "k2"},
    {"order_id": "o6", "member_id": "d", "at": "2026-09-20", "amount": "500"},
]
COSTS = [
    {"category": "labour", "amount": "150", "incurred_on": "2026-10-01"},
    {"category": "ads", "amount": "50", "incurred_on": "2026-10-02", "campaign_id": "k1"},
    {"category": "content", "amount": "100", "incurred_on": "2026-10-15", "group_id": "g2"},
    {"category": "platform_fee", "amount": "100", "incurred_on": "2026-09-30"},
]
CAMPAIGNS = [
    {"campaign_id": "k1", "name": "Flash", "group_id": "g1"},
    {"campaign_id": "k2", "name": "VIP", "group_id": "g2"},
]


@pytest.fixture
def section():
    data = make_data(
        {
            "members": MEMBERS,
            "activities": ACTIVITIES,
            "orders": ORDERS,
            "costs": COSTS,
            "campaigns": CAMPAIGNS,
        },
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
    )
    return run_metric(SPEC, data)


def kpi(section, key):
    return section.kpi(key).value


def test_headline_numbers(section):
    assert kpi(section, "investment") == 300
    assert kpi(section, "return") == 380
    assert kpi(section, "roi") == pytest.approx(26.6667, abs=1e-4)
    assert kpi(section, "payback_days") == pytest.approx(300 / (380 / 31))
    assert kpi(section, "return_per_unit") == pytest.approx(380 / 300)


def test_health_numbers(section):
    assert kpi(section, "members_end") == 3
    assert kpi(section, "new_members") == 2
    assert kpi(section, "growth_rate") == pytest.approx(50.0)
    assert kpi(section, "active_members") == 2
    assert kpi(section, "activity_rate") == pytest.approx(200 / 3)
    assert kpi(section, "buyers") == 2
    assert kpi(section, "conversion_rate") == pytest.approx(200 / 3)
    assert kpi(section, "cost_per_buyer") == pytest.approx(150)
    assert kpi(section, "cost_per_new_member") == pytest.approx(150)


def test_by_campaign_group_and_category(section):
    camp = {r["campaign_id"]: r for r in section.table("by_campaign").data.to_dicts()}
    assert camp["k1"]["return"] == 100 and camp["k1"]["investment"] == 50
    assert camp["k1"]["roi"] == pytest.approx(100.0)
    assert camp["k2"]["return"] == 80 and camp["k2"]["roi"] is None  # no cost recorded
    grp = {r["group_id"]: r for r in section.table("by_group").data.to_dicts()}
    assert (grp["g1"]["return"], grp["g1"]["investment"]) == (100, 50)
    assert (grp["g2"]["return"], grp["g2"]["investment"]) == (280, 100)
    assert grp["g2"]["roi"] == pytest.approx(180.0)
    cat = {r["category"]: r for r in section.table("by_category").data.to_dicts()}
    assert cat["labour"]["share"] == pytest.approx(50.0)
    assert sum(r["investment"] for r in cat.values()) == 300


def test_previous_period_change(section):
    # September: investment 100 (platform fee), return 500 (o6 by member d? d joined
    # Oct 20 — in September d is not yet a member, and o6 has no campaign → 0).
    roi = section.kpi("investment")
    assert roi.previous == 100
    assert roi.change == pytest.approx(2.0)  # (300 − 100) / 100
    assert section.kpi("return").previous == 0


def test_gross_margin_basis():
    data = make_data(
        {
            "orders": [
                {
                    "order_id": "1",
                    "member_id": "a",
                    "at": "2026-10-02",
                    "amount": 100,
                    "gross_margin": 30,
                },
                {"order_id": "2", "member_id": "a", "at": "2026-10-03", "amount": 200},
            ],
            "members": [{"member_id": "a", "joined_at": "2026-01-01"}],
            "costs": [{"category": "ads", "amount": 50, "incurred_on": "2026-10-01"}],
        },
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
    )
    sec = run_metric(SPEC, data, {"return_basis": "gross_margin", "margin": 0.4})
    assert sec.kpi("return").value == pytest.approx(30 + 80)
    assert sec.kpi("roi").value == pytest.approx((110 - 50) / 50 * 100)


def test_gross_margin_needs_margin():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="needs margin"):
        SPEC.options(return_basis="gross_margin")


def test_member_who_rejoins_in_the_period_was_not_there_at_the_start():
    # r left g1 in August and rejoins (g2) on 12 October: at the start only a was in a
    # group → members at start 1; at the end a and r → 2; growth (2 − 1) / 1 = 100 %.
    # r first joined in August, so is not a new member.
    members = [
        {"member_id": "a", "joined_at": "2026-09-01", "group_id": "g1"},
        {"member_id": "r", "joined_at": "2026-08-01", "left_at": "2026-08-20", "group_id": "g1"},
        {"member_id": "r", "joined_at": "2026-10-12", "group_id": "g2"},
    ]
    data = make_data({"members": members}, start=date(2026, 10, 1), end=date(2026, 10, 31))
    sec = run_metric(SPEC, data)
    assert kpi(sec, "members_end") == 2
    assert kpi(sec, "new_members") == 0
    assert kpi(sec, "growth_rate") == pytest.approx(100.0)


def test_small_loss_is_not_written_minus_zero():
    # return 997 on investment 1000: ROI = −0.3 %, shown rounded as "0 %", never "-0 %"
    data = make_data(
        {
            "members": [{"member_id": "a", "joined_at": "2026-01-01"}],
            "orders": [{"order_id": "1", "member_id": "a", "at": "2026-10-02", "amount": 997}],
            "costs": [{"category": "ads", "amount": 1000, "incurred_on": "2026-10-01"}],
        },
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
    )
    sec = run_metric(SPEC, data)
    assert kpi(sec, "roi") == pytest.approx(-0.3)
    (first, *_) = sec.findings
    assert first.text.en == (
        "Every 1 invested came with 1.00 of revenue from members (ROI 0 %; not all of it "
        "caused by the community)."
    )
    assert first.text.zh == "每投入 1 元对应 1.00 元成员贡献收入（ROI 0%；并非全部由社群带来）。"
    assert first.tone == "bad"


def test_cost_shares_of_a_zero_ledger_are_empty_not_nan():
    # a ledger of zero amounts: total 0, so each category's share is undefined (null),
    # not 0 / 0 = NaN (which is not even valid JSON)
    data = make_data(
        {"costs": [{"category": "tools", "amount": 0, "incurred_on": "2026-10-03"}]},
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
    )
    cat = run_metric(SPEC, data).table("by_category").data
    assert cat["investment"].to_list() == [0.0]
    assert cat["share"].to_list() == [None]
