"""The incrementality metric: exact arithmetic on a hand-built shop, the fallbacks, and a
simulation with a planted effect (tests/incrementality_sim.py).

Hand computation (UTC; weeks Monday–Sunday; period 2026-03-02 … 03-15 = weeks W1, W2;
pre_weeks = 4, no placebo):

- c2 never joins: Jan 5 10 (starts the history), Feb 2/9/16/23 70 each, Mar 2 140, Mar 9 70.
- m1 (customer c1) joins Mon Mar 2 00:00: baseline Feb 2 – Mar 1 (28 days): 70 + 70 →
  a = 5/day. Orders after joining: Mar 3 100, Mar 10 60 → observed 160.
  W1 controls (not joined by the end of W1): c2 and c3. In W1: 140 / 7 = 20/day; in
  m1's baseline weeks: (280 + 56) / 28 = 12/day → ρ = 5/3; counterfactual 7 × 5 × 5/3
  = 58.333. W2 controls: c2 only: (70 / 7) / (280 / 28) = 1 → 7 × 5 × 1 = 35.
- m2 (customer c3) joins Wed Mar 11 12:00, 4.5 days before W2 ends: baseline Feb 9 –
  Mar 8: 56 → a = 2/day; controls c2: (70 / 7) / (350 / 28) = 0.8 → 4.5 × 2 × 0.8 = 7.2.
  Mar 10 20 (before joining, in the join week) is neither baseline nor after joining;
  Mar 12 30 is after joining.
- observed 190, counterfactual 100.5333, incremental 89.4667, lift 88.99 %;
  investment 50 → incremental ROI 78.93 %. Attributed (the ROI rule): 160 + 30 = 190.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from communityroi.testing import make_data, run_metric
from plugins.metrics.incrementality import SPEC

sys.path.insert(0, str(Path(__file__).parent))
from incrementality_sim import PERIOD, shop

MEMBERS = [
    {"member_id": "m1", "customer_id": "c1", "joined_at": "2026-03-02 00:00", "group_id": "g1"},
    {"member_id": "m2", "customer_id": "c3", "joined_at": "2026-03-11 12:00", "group_id": "g2"},
]
ORDERS = [
    ("c2", "2026-01-05 09:00", 10),
    *[("c2", f"2026-02-{d:02d} 09:00", 70) for d in (2, 9, 16, 23)],
    ("c2", "2026-03-02 09:00", 140),
    ("c2", "2026-03-09 09:00", 70),
    ("c1", "2026-02-03 09:00", 70),
    ("c1", "2026-02-20 09:00", 70),
    ("c1", "2026-03-03 09:00", 100),
    ("c1", "2026-03-10 09:00", 60),
    ("c3", "2026-02-16 09:00", 56),
    ("c3", "2026-03-10 09:00", 20),
    ("c3", "2026-03-12 09:00", 30),
]
OPTS = {"pre_weeks": 4, "placebo_weeks": 0}


def _data(orders=ORDERS, members=MEMBERS, costs=True):
    tables = {
        "members": members,
        "orders": [
            {"order_id": f"o{i}", "customer_id": c, "at": at, "amount": str(a)}
            for i, (c, at, a) in enumerate(orders)
        ],
    }
    if costs:
        tables["costs"] = [{"category": "labour", "amount": "50", "incurred_on": "2026-03-05"}]
    return make_data(tables, start=date(2026, 3, 2), end=date(2026, 3, 15))


def test_hand_computed_shop():
    sec = run_metric(SPEC, _data(), OPTS)
    assert sec.extra["status"] == "estimated"
    assert sec.extra["observed_after_joining"] == pytest.approx(190)
    assert sec.extra["counterfactual"] == pytest.approx(93.3333333 + 7.2)
    assert sec.kpi("incremental_return").value == pytest.approx(190 - 100.5333333)
    assert sec.kpi("lift").value == pytest.approx((190 / 100.5333333 - 1) * 100)
    assert sec.kpi("incremental_roi").value == pytest.approx((89.4666667 - 50) / 50 * 100)
    assert sec.kpi("attributed_return").value == pytest.approx(190)
    assert sec.kpi("attributed_roi").value == pytest.approx((190 - 50) / 50 * 100)
    assert sec.kpi("members_in_estimate").value == 2
    inc = sec.kpi("incremental_return")
    assert inc.low <= inc.high and inc.level == 0.9
    cohorts = sec.table("by_cohort").data
    assert cohorts["cohort"].to_list() == ["2026-03"]
    assert cohorts["incremental"][0] == pytest.approx(89.4666667)
    groups = sec.table("by_group").data.sort("group")
    assert groups["incremental"].to_list() == pytest.approx([160 - 93.3333333, 30 - 7.2])


def test_split_by_campaign_taken_part_in():
    # m1: a message tagged k1 in the period (and one tagged k3 before it: not counted);
    # m2: the Mar 12 order carries k1, a reply is tagged k2. Campaign k1 is named.
    tables = {
        "members": MEMBERS,
        "orders": [
            {"order_id": f"o{i}", "customer_id": c, "at": at, "amount": str(a)}
            | ({"campaign_id": "k1"} if (c, at) == ("c3", "2026-03-12 09:00") else {})
            for i, (c, at, a) in enumerate(ORDERS)
        ],
        "activities": [
            {"member_id": "m1", "at": "2026-03-04 10:00", "kind": "message", "campaign_id": "k1"},
            {"member_id": "m1", "at": "2026-02-20 10:00", "kind": "message", "campaign_id": "k3"},
            {"member_id": "m2", "at": "2026-03-13 10:00", "kind": "reply", "campaign_id": "k2"},
        ],
        "campaigns": [{"campaign_id": "k1", "name": "春季团购"}, {"campaign_id": "k2"}],
        "costs": [{"category": "labour", "amount": "50", "incurred_on": "2026-03-05"}],
    }
    data = make_data(tables, start=date(2026, 3, 2), end=date(2026, 3, 15))
    sec = run_metric(SPEC, data, OPTS)
    camps = sec.table("by_campaign").data
    assert camps["campaign"].to_list() == ["春季团购", "k2"]
    assert camps["members"].to_list() == [2, 1]
    assert camps["observed"].to_list() == pytest.approx([190, 30])
    assert camps["incremental"].to_list() == pytest.approx([89.4666667, 30 - 7.2])
    # the total is unchanged by the split
    assert sec.kpi("incremental_return").value == pytest.approx(89.4666667)


def test_split_by_channel_and_operator():
    # m1 came by QR code and belongs to op1 (its later row, another operator, is ignored:
    # the first given counts); m2 has no channel recorded and belongs to op2
    members = [
        {**MEMBERS[0], "channel": "qr_code", "operator_id": "op1"},
        {**MEMBERS[0], "group_id": "g2", "joined_at": "2026-03-09 00:00", "operator_id": "op9"},
        {**MEMBERS[1], "operator_id": "op2"},
    ]
    sec = run_metric(SPEC, _data(members=members), OPTS)
    assert sec.kpi("incremental_return").value == pytest.approx(89.4666667)
    channels = sec.table("by_channel").data.sort("channel")
    assert channels["channel"].to_list() == ["", "qr_code"]  # "" shows as "Not recorded"
    assert channels["incremental"].to_list() == pytest.approx([30 - 7.2, 160 - 93.3333333])
    ops = sec.table("by_operator").data.sort("operator")
    assert ops["operator"].to_list() == ["op1", "op2"]
    assert ops["observed"].to_list() == pytest.approx([160, 30])
    assert ops["counterfactual"].to_list() == pytest.approx([93.3333333, 7.2])
    # nobody with a channel or an operator: no such tables
    plain = run_metric(SPEC, _data(), OPTS)
    assert plain.table("by_channel") is None and plain.table("by_operator") is None


def test_channel_codes_of_the_wecom_source_have_labels():
    """Every channel code the wecom source writes shows as words (zh and en) in the
    channel table; the split's own table carries them."""
    from plugins.metrics._channels import CHANNEL_LABELS
    from plugins.sources._wecom_read import ADD_WAY, JOIN_SCENE

    assert set(ADD_WAY.values()) | set(JOIN_SCENE.values()) == set(CHANNEL_LABELS)
    members = [{**MEMBERS[0], "channel": "qr_code"}, MEMBERS[1]]
    table = run_metric(SPEC, _data(members=members), OPTS).table("by_channel")
    assert table.columns["channel"].values["qr_code"].zh == "扫描二维码"


def test_same_seed_same_interval_and_seed_matters():
    s = shop(1, n=300)
    data = make_data({"members": s.members, "orders": s.orders}, start=PERIOD[0], end=PERIOD[1])
    a = run_metric(SPEC, data, {"seed": 7}).kpi("incremental_return")
    b = run_metric(SPEC, data, {"seed": 7}).kpi("incremental_return")
    c = run_metric(SPEC, data, {"seed": 8}).kpi("incremental_return")
    assert (a.low, a.high) == (b.low, b.high)
    assert a.value == c.value and (a.low, a.high) != (c.low, c.high)


def test_no_history_before_joining_falls_back_to_an_upper_bound():
    late = [o for o in ORDERS if o[1] >= "2026-03-01"]
    sec = run_metric(SPEC, _data(orders=late), OPTS)
    assert sec.extra["status"] == "missing" and sec.extra["missing"] == "history"
    inc = sec.kpi("incremental_return")
    assert inc.value is None and inc.high == pytest.approx(sec.kpi("attributed_return").value)
    assert "upper bound" in sec.intro.en and "上限" in sec.intro.zh
    assert sec.findings[0].tone == "bad"


def test_no_controls_is_said():
    one_member = [("c1", "2026-01-05 09:00", 10), *(o for o in ORDERS if o[0] == "c1")]
    sec = run_metric(SPEC, _data(orders=one_member, members=MEMBERS[:1]), OPTS)
    assert sec.extra["missing"] == "controls"
    assert "comparison customers" in sec.intro.en


def test_unlinked_members_are_counted_not_used():
    members = [*MEMBERS, {"member_id": "m3", "joined_at": "2026-03-04", "group_id": "g1"}]
    sec = run_metric(SPEC, _data(members=members), OPTS)
    checks = dict(sec.table("checks").data.iter_rows())
    assert checks["unlinked"] == 1
    assert sec.kpi("members_in_estimate").value == 2
    assert sec.kpi("incremental_return").value == pytest.approx(89.4666667)


def _replicate(effect: float, pretrend: float = 0.0, reps: int = 40, n: int = 2000):
    rows = []
    for seed in range(reps):
        s = shop(seed, n=n, effect=effect, pretrend=pretrend)
        data = make_data({"members": s.members, "orders": s.orders}, start=PERIOD[0], end=PERIOD[1])
        sec = run_metric(SPEC, data, {"seed": seed})
        k = sec.kpi("incremental_return")
        rows.append((s.truth, k.value, k.low, k.high, s.attributed, sec.extra["placebo_flagged"]))
    return np.array(rows, dtype=float)


@pytest.mark.slow
def test_simulation_covers_a_planted_effect_and_attribution_is_biased():
    r = _replicate(effect=0.3)
    truth, est, lo, hi, attributed = r[:, 0], r[:, 1], r[:, 2], r[:, 3], r[:, 4]
    assert np.mean((lo <= truth) & (truth <= hi)) >= 0.85
    assert abs(est.mean() - truth.mean()) < 0.05 * truth.mean()
    # heavy buyers join more: attribution counts their whole buying as the community's
    assert attributed.mean() > 3 * truth.mean()
    assert np.mean(r[:, 5]) <= 0.15  # no pre-trend planted: rarely flagged


@pytest.mark.slow
def test_simulation_without_effect_covers_zero():
    r = _replicate(effect=0.0)
    assert np.all(r[:, 0] == 0)
    assert np.mean((r[:, 2] <= 0) & (r[:, 3] >= 0)) >= 0.85
    assert r[:, 4].mean() > 0  # while attribution still reports revenue


@pytest.mark.slow
def test_placebo_flags_a_planted_pretrend():
    r = _replicate(effect=0.3, pretrend=0.5, reps=10)
    assert np.mean(r[:, 5]) >= 0.9


def test_report_seed_reaches_the_metric_unless_it_sets_its_own():
    from core.pipeline import compute_all, registry_for
    from core.settings import load_settings

    s = shop(2, n=300)
    data = make_data({"members": s.members, "orders": s.orders}, start=PERIOD[0], end=PERIOD[1])
    only = {name: {"enabled": False} for name in ("roi", "campaigns", "actions")}

    def interval(**settings):
        cfg = load_settings(None, **settings)
        sections, _ = compute_all(cfg, registry_for(cfg), data)
        k = next(x for x in sections if x.metric == "incrementality").kpi("incremental_return")
        return k.low, k.high

    by_report = interval(report={"seed": 5}, metrics=only)
    by_metric = interval(metrics={**only, "incrementality": {"seed": 5}})
    default = interval(metrics=only)
    assert by_report == by_metric != default


def test_demo_estimate_covers_its_planted_effect_and_leads_the_report(tmp_path):
    """The demo plants a 25 % lift plus campaign orders (plugins/sources/demo_orders.py);
    the October estimate's interval covers the truth drawn with it, and the summary of
    the HTML and PDF leads with the incremental ROI and its interval."""
    from click.testing import CliRunner
    from pypdf import PdfReader

    from core.cli import main
    from plugins.sources.demo import (
        DEMO_PERIOD_END,
        DEMO_PERIOD_START,
        DemoOptions,
        planted_incremental,
    )

    res = CliRunner().invoke(
        main, ["-q", "demo", "--out", str(tmp_path), "--format", "json,html,pdf", "--lang", "en"]
    )
    assert res.exit_code == 0, res.output
    import json

    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    inc = doc["metrics"]["incrementality"]["kpis"]["incremental_return"]
    truth = planted_incremental(DemoOptions(), DEMO_PERIOD_START, DEMO_PERIOD_END)
    assert inc["low"] <= truth <= inc["high"]
    attributed = doc["metrics"]["roi"]["kpis"]["return"]["value"]
    assert attributed > 2 * truth  # what attribution would have claimed
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = html.split('id="summary"', 1)[1]
    assert summary.index("Incremental ROI") < summary.index("ROI on revenue from members")
    assert "90 % interval" in summary
    pages = PdfReader(tmp_path / "report.pdf").pages[:3]
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "Incremental ROI" in text and "90 % interval" in text
    assert "not all caused by the community" in text


def test_interval_does_not_depend_on_the_order_of_rows():
    """The bootstrap draws customers by position; positions follow the ids' text, not the
    order the export listed them in."""
    s = shop(3, n=300)
    a = make_data({"members": s.members, "orders": s.orders}, start=PERIOD[0], end=PERIOD[1])
    b = make_data(
        {"members": s.members.reverse(), "orders": s.orders.sample(fraction=1.0, seed=1)},
        start=PERIOD[0],
        end=PERIOD[1],
    )
    ka, kb = (run_metric(SPEC, d).kpi("incremental_return") for d in (a, b))
    assert (ka.value, ka.low, ka.high) == pytest.approx((kb.value, kb.low, kb.high), rel=1e-9)
