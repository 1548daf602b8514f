"""Operators section (运营人员考核) against numbers counted by hand on a tiny community.

October 2026, Asia/Shanghai (Oct 5 is a Monday). Operators A and B; their chat accounts are
their ids. Members (joined, left):
- A: c1 (09-20, –), c2 (10-03, left 10-20), c6 (09-01, left 10-15)
- B: c3 (09-25, left 09-28), c4 (09-10, –; also a later row in g1 naming A: B owns it)
- none: c5 (10-10)
Group g1 on Mon Oct 5 (local): 10:00 c1 asks (Q1); 10:01 c4 (same wait); 10:02 A "好的"
(filler); 10:05 B answers (Q1: 5 min); 10:06 c4 asks (Q2); 10:08 A answers (2 min); 17:30
c1 asks (Q3); Tue 09:10 A answers — after Monday's working hours: Q3 unreplied. Tue 20:00
and Sat 11:00 c2 writes: outside working hours, not counted.
Orders in October: c1 300; c2 200 refunded 50 (net 150); c4 100, c4 80 refunded (none);
c5 40; c1 999 in September (outside). Costs in October: labour 3000 A (160 h), labour 1000
B (40 h), labour 2000 without operator (split A 0.5, B 0.25), tools 500 (not split).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from communityroi import T
from communityroi.testing import make_data, run_metric
from plugins.metrics import operators
from plugins.metrics.operators_staffing import staffing

SPEC = operators.SPEC


def _m(member, op, joined, left=None, group=None):
    return {"member_id": member, "platform": "wecom", "operator_id": op, "group_id": group,
            "joined_at": joined, "left_at": left}  # fmt: skip


def _a(member, at, filler=False, group="g1"):
    return {"member_id": member, "platform": "wecom", "at": at, "kind": "message",
            "group_id": group, "filler": filler}  # fmt: skip


def _data():
    members = [
        _m("c1", "A", "2026-09-20"), _m("c2", "A", "2026-10-03", "2026-10-20"),
        _m("c6", "A", "2026-09-01", "2026-10-15"), _m("c3", "B", "2026-09-25", "2026-09-28"),
        _m("c4", "B", "2026-09-10"), _m("c4", "A", "2026-10-02", group="g1"),
        _m("c5", None, "2026-10-10"),
    ]  # fmt: skip
    acts = [
        _a("c1", "2026-10-05 10:00"), _a("c4", "2026-10-05 10:01"),
        _a("A", "2026-10-05 10:02", filler=True), _a("B", "2026-10-05 10:05"),
        _a("c4", "2026-10-05 10:06"), _a("A", "2026-10-05 10:08"),
        _a("c1", "2026-10-05 17:30"), _a("A", "2026-10-06 09:10"),
        _a("c2", "2026-10-06 20:00"), _a("c2", "2026-10-10 11:00"),
    ]  # fmt: skip
    orders = [
        {"order_id": "o1", "member_id": "c1", "at": "2026-10-08", "amount": 300},
        {"order_id": "o2", "member_id": "c2", "at": "2026-10-12", "amount": 200,
         "refunded_amount": 50},
        {"order_id": "o3", "member_id": "c4", "at": "2026-10-09", "amount": 100},
        {"order_id": "o4", "member_id": "c4", "at": "2026-10-09", "amount": 80,
         "status": "refunded"},
        {"order_id": "o5", "member_id": "c5", "at": "2026-10-15", "amount": 40},
        {"order_id": "o6", "member_id": "c1", "at": "2026-09-25", "amount": 999},
    ]  # fmt: skip
    costs = [
        {"category": "labour", "amount": 3000, "incurred_on": "2026-10-31", "operator_id": "A",
         "hours": 160},
        {"category": "labour", "amount": 1000, "incurred_on": "2026-10-31", "operator_id": "B",
         "hours": 40},
        {"category": "labour", "amount": 2000, "incurred_on": "2026-10-31"},
        {"category": "tools", "amount": 500, "incurred_on": "2026-10-31"},
    ]  # fmt: skip
    days = [
        {"operator_id": "A", "day": "2026-10-05", "platform": "wecom", "new_contacts": 2,
         "chats": 4, "messages": 10, "reply_rate": 50, "avg_reply_minutes": 6,
         "negative_feedback": 1},
        {"operator_id": "A", "day": "2026-10-06", "platform": "wecom", "new_contacts": 1,
         "chats": 2, "messages": 4, "reply_rate": 100, "avg_reply_minutes": 2,
         "negative_feedback": 0},
        {"operator_id": "B", "day": "2026-10-05", "platform": "wecom", "new_contacts": 0,
         "chats": 1, "messages": 1, "negative_feedback": 0},
        {"operator_id": "A", "day": "2026-09-30", "platform": "wecom", "new_contacts": 5},
    ]  # fmt: skip
    tables = {"members": members, "activities": acts, "orders": orders, "costs": costs,
              "operator_days": days}  # fmt: skip
    return make_data(tables, start=date(2026, 10, 1), end=date(2026, 10, 31),
                     timezone="Asia/Shanghai")  # fmt: skip


OPTS = {
    "cost_split": {"A": 0.5, "B": 0.25},
    "names": {"A": "张三"},
    "targets": {"*": {"retention": ">= 80"},
                "A": {"revenue": ">= 400", "first_response_minutes": "<= 3"},
                "Q": {"revenue": ">= 1"}},  # no operator Q: listed as no data
}  # fmt: skip


@pytest.fixture(scope="module")
def section():
    return run_metric(SPEC, _data(), OPTS)


def _row(section, table, op):
    return section.table(table).data.filter(pl.col("operator_id") == op).row(0, named=True)


def test_customers_revenue_cost_per_operator(section):
    a, b, none = (_row(section, "operators", x) for x in ("A", "B", "—"))
    assert (a["name"], b["name"], none["name"]) == ("张三", "B", "—")  # shown: No operator
    assert [a[k] for k in ("customers", "added", "reachable", "active")] == [3, 1, 1, 1]
    assert a["retention"] == pytest.approx(50.0)  # c1 and c6 at the start, c6 left
    assert [b[k] for k in ("customers", "added", "reachable", "active")] == [2, 0, 1, 1]
    assert b["retention"] == pytest.approx(100.0)  # c3 left before the start
    assert (a["revenue"], a["buyers"], b["revenue"], none["revenue"]) == (450, 2, 100, 40)
    assert (a["cost"], b["cost"], none["cost"]) == (4000, 1500, None)  # 3000 + 0.5 × 2000
    assert a["roi"] == pytest.approx((450 - 4000) / 4000 * 100)
    assert b["roi"] == pytest.approx((100 - 1500) / 1500 * 100)
    assert a["revenue_per_customer"] == pytest.approx(150.0)
    assert (a["revenue_per_hour"], b["revenue_per_hour"]) == (450 / 160, 100 / 40)
    # ranked by revenue, the customers without an operator last
    assert section.table("operators").data["operator_id"].to_list() == ["A", "B", "—"]
    assert section.table("ranking").data["name"].to_list() == ["张三", "B", "—"]


def test_wecom_statistics(section):
    a, b = _row(section, "operators", "A"), _row(section, "operators", "B")
    assert [a[k] for k in ("new_contacts", "chats", "messages", "negative_feedback")] == [
        3,
        6,
        14,
        1,
    ]  # fmt: skip  (Sept 30 outside)
    assert (a["reply_rate"], a["avg_reply_minutes"]) == (75.0, 4.0)  # means of the days
    assert b["reply_rate"] is None


def test_service_quality_in_working_hours(section):
    a, b = _row(section, "operators", "A"), _row(section, "operators", "B")
    # A's customers asked Q1 (answered by B after 5 min; A's "好的" is filler) and Q3
    assert (a["questions"], a["first_response_minutes"]) == (2, 5.0)
    assert (a["reply_within_rate"], a["unreplied_rate"]) == (0.0, 50.0)
    assert (b["questions"], b["first_response_minutes"], b["reply_within_rate"]) == (1, 2.0, 100.0)
    g = section.table("service_by_group").data.row(0, named=True)
    assert (g["questions"], g["first_response_minutes"]) == (3, 3.5)
    assert g["reply_within_rate"] == pytest.approx(100 / 3)
    assert section.kpi("unreplied_rate").value == pytest.approx(100 / 3)
    assert section.kpi("first_response_minutes").value == 3.5


def test_section_kpis(section):
    assert section.kpi("operators").value == 2
    assert section.kpi("customers_per_operator").value == 2.5
    assert section.kpi("revenue_per_operator").value == 275.0
    assert section.kpi("operator_roi").value == pytest.approx((550 - 5500) / 5500 * 100)


def test_targets_met_and_missed(section):
    got = section.table("targets").data.select("name", "kpi", "status").sort("name", "kpi")
    assert got.rows() == [
        ("B", "retention", "met"),
        ("Q", "revenue", "no_data"),  # a target for nobody is shown, not dropped
        ("张三", "first_response_minutes", "missed"),  # 5 > 3
        ("张三", "retention", "missed"),  # 50 < 80
        ("张三", "revenue", "met"),  # 450 ≥ 400
    ]


def test_staffing_line_by_hand():
    """Revenue per customer 100, 80, 60 at portfolios of 10, 20, 30: b = −2, a = 120; half
    of the largest portfolio (30) to a new operator adds −b·30²/2 = 900."""
    ops = pl.DataFrame({
        "operator_id": ["x", "y", "z"], "name": ["x", "y", "z"], "customers": [10, 20, 30],
        "revenue": [1000.0, 1600.0, 1800.0], "revenue_per_customer": [100.0, 80.0, 60.0],
        "hours": [None, 10.0, 30.0], "cost": [500.0, 700.0, 900.0],
    })  # fmt: skip
    s = staffing(ops)
    assert s["slope"] == pytest.approx(-2.0) and s["intercept"] == pytest.approx(120.0)
    assert (s["largest"], s["gain"]) == ("z", pytest.approx(900.0))
    assert s["customers_per_operator"] == 20
    assert s["revenue_per_hour"] == pytest.approx((1600 + 1800) / 40)
    assert s["mean_cost"] == 700.0


def test_options_are_checked():
    with pytest.raises(ValueError, match="working hours like"):
        operators.OperatorsOptions(working_hours="9-18h")
    with pytest.raises(ValueError, match="no such operator KPI"):
        operators.OperatorsOptions(targets={"A": {"revenu": ">= 1"}})
    with pytest.raises(ValueError, match="add up to at most 1"):
        operators.OperatorsOptions(cost_split={"A": 0.8, "B": 0.4})


def test_per_operator_without_any_operator():
    data = make_data({"members": [_m("c1", None, "2026-10-02")]}, start=date(2026, 10, 1),
                     end=date(2026, 10, 31))  # fmt: skip
    section = run_metric(SPEC, data, {})
    assert section.kpi("operators").value == 0
    assert section.table("operators").data["operator_id"].to_list() == ["—"]
    assert section.kpi("first_response_minutes") is None  # no chats: no response KPIs
    assert section.table("service_by_group") is None


def test_targets_tables_are_the_metrics_own():
    """[targets.operators] is handed to the metric; the core's KPI targets skip it, and a
    table naming no metric of the report is an error."""
    from core.errors import ConfigError
    from core.report import KPI, Section
    from core.targets import apply_targets

    sections = [Section(kpis=(KPI("operators", T("n"), 2),), metric="operators")]
    table = {"operators": {"A": {"revenue": ">= 1"}}, "operators.operators": ">= 3"}
    (got,) = apply_targets(sections, table)
    assert got.kpi("operators").status == "missed"  # 2 < 3; the table itself is skipped
    with pytest.raises(ConfigError, match=r"\[targets.nope\]: no such metric"):
        apply_targets(sections, {"nope": {"A": {"revenue": ">= 1"}}})


def test_questions_only_in_period_on_working_days_and_not_fillers():
    """c1 (operator A) in g1, Asia/Shanghai: Wed Sep 30 10:00 asks (before the period), A
    answers 10:01; Thu Oct 1 10:00 asks (Q1), A answers 10:02 (2 min); 10:03 c1 "好的"
    (filler: closes the exchange, not a question); Fri 10:00 A posts; Sat Oct 3 10:00 c1
    asks (not a working day), A answers 10:05; Sun 21:00 c1 "在吗" (off hours), Mon Oct 5
    09:15 asks in the same wait (Q2: its first message in working hours), A answers 09:25
    (10 min). Two questions, answered in 2 and 10 minutes."""
    acts = [
        _a("c1", "2026-09-30 10:00"), _a("A", "2026-09-30 10:01"),
        _a("c1", "2026-10-01 10:00"), _a("A", "2026-10-01 10:02"),
        _a("c1", "2026-10-01 10:03", filler=True), _a("A", "2026-10-02 10:00"),
        _a("c1", "2026-10-03 10:00"), _a("A", "2026-10-03 10:05"),
        _a("c1", "2026-10-04 21:00"), _a("c1", "2026-10-05 09:15"), _a("A", "2026-10-05 09:25"),
    ]  # fmt: skip
    data = make_data({"members": [_m("c1", "A", "2026-09-20")], "activities": acts},
                     start=date(2026, 10, 1), end=date(2026, 10, 31),
                     timezone="Asia/Shanghai")  # fmt: skip
    a = _row(run_metric(SPEC, data, {}), "operators", "A")
    assert (a["questions"], a["first_response_minutes"], a["unreplied_rate"]) == (2, 6.0, 0.0)
    assert a["reply_within_rate"] == 50.0  # 2 min yes, 10 min no


def test_reply_within_label_follows_the_option():
    """reply_within_minutes = 5: the KPI, the service table and the targets table say 5."""
    opts = {**OPTS, "reply_within_minutes": 5,
            "targets": {"A": {"reply_within_rate": ">= 50"}}}  # fmt: skip
    s = run_metric(SPEC, _data(), opts)
    assert s.kpi("reply_within_rate").label.en == "Answered within 5 min"
    assert s.kpi("reply_within_rate").value == pytest.approx(200 / 3)  # 5 and 2 min of 3
    values = s.table("targets").columns["kpi"].values
    assert values["reply_within_rate"].zh == "5 分钟回复率"


def test_filler_flags_from_a_file(tmp_path):
    """activities.filler in a plain file: 是/0/YES read as flags, empty as unknown, and a
    word that is no flag is a problem naming the row and the column."""
    from communityroi.testing import load_source
    from plugins.sources import files

    (tmp_path / "acts.csv").write_text(
        "member_id,at,kind,group_id,filler\n"
        + "".join(f"c1,2026-10-05 10:0{i},message,g1,{v}\n"
                  for i, v in enumerate(["是", "0", "YES", "", "maybe"])),
        encoding="utf-8",
    )  # fmt: skip
    spec = next(s for s in files.communityroi_sources() if s.name == "files")
    loaded = load_source(spec, {"activities": str(tmp_path / "acts.csv")})
    assert loaded.frames["activities"].collect()["filler"].to_list() == [
        True, False, True, None, None,
    ]  # fmt: skip
    (p,) = loaded.problems
    assert (p.row, p.column) == (6, "filler") and "'maybe' is not a valid flag" in p.message
