"""Paid circles (issue 18 part 5): renewal rate and fee revenue per member, from the
hand-written 知识星球 fixture tests/data/presets/zsxq_成员付费.csv read through the preset.

Fees (circle 增长实验室; Beijing time):

| member | paid | expires | fee |
|---|---|---|---|
| 甲 | 2025-01-10 | 2026-01-10 | 199 |
| 甲 | 2025-12-20 (renewal, early) | 2027-01-10 | 199 |
| 乙 | 2025-03-01 | 2026-03-01 | 199 |
| 丙 | 2025-06-15 | 2026-06-15 | 199 |
| 丙 | 2026-07-01 (renewal, 16 days late) | 2027-07-01 | 169 |
| 丁 | 2026-02-01 | 2027-02-01 | 199 |

Period 2026-01-01 … 2026-07-31: due = 甲's first, 乙, 丙's first (3); renewed = 甲 (early)
and 丙 (within the 30 grace days) → 2 / 3 = 66.67 %. Paying members (paid period overlapping
the period) = 4; fees paid in the period 169 + 199 = 368 → 92.00 per member; renewals paid
in the period 1; fees to date 4 × 199 + 199 + 169 = 1164 over 4 payers = 291.00.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from communityroi.testing import check_source, make_data, run_metric
from plugins.metrics import circles
from plugins.sources import preset

DATA = Path(__file__).parent / "data" / "presets"


def _data(start: date, end: date):
    tables = check_source(
        preset.communityroi_sources()[0], {"path": "zsxq_成员付费.csv"}, base_dir=DATA
    )
    return make_data(tables, start=start, end=end, timezone="Asia/Shanghai")


def kpis(section):
    return {k.key: k.value for k in section.kpis}


def test_renewal_rate_and_revenue_per_member():
    section = run_metric(circles.SPEC, _data(date(2026, 1, 1), date(2026, 7, 31)))
    got = kpis(section)
    assert got["renewal_rate"] == pytest.approx(200 / 3)
    assert got["paid_members"] == 4
    assert got["revenue_per_member"] == pytest.approx(92.0)
    assert got["renewals"] == 1
    assert got["fees_per_member_to_date"] == pytest.approx(291.0)
    row = section.table("by_circle").data.row(0, named=True)
    assert (row["circle"], row["due"], row["renewed"], row["fee_revenue"]) == (
        "增长实验室", 3, 2, 368.0,
    )  # fmt: skip


def test_grace_days_decide_a_late_renewal():
    data = _data(date(2026, 1, 1), date(2026, 7, 31))
    got = kpis(run_metric(circles.SPEC, data, {"grace_days": 10}))
    assert got["renewal_rate"] == pytest.approx(100 / 3)  # 丙 paid 16 days after expiry


def test_a_renewal_after_the_period_is_not_known_yet():
    got = kpis(run_metric(circles.SPEC, _data(date(2026, 1, 1), date(2026, 6, 30))))
    assert got["renewal_rate"] == pytest.approx(100 / 3)
    assert got["revenue_per_member"] == pytest.approx(199 / 4)
    assert got["renewals"] == 0


def test_renewals_feed_retention_and_clv():
    from communityroi import views
    from plugins.metrics import retention

    data = _data(date(2026, 1, 1), date(2026, 7, 31))
    cells = run_metric(retention.SPEC, data, {"cohorts": 24}).table("cells").data
    # 丙 joined 2025-06 and renewed 2026-07-01: active in month 13 of the 2025-06 cohort;
    # 甲 (2025-01) renewed 2025-12-20: month 11
    active = {(c, o) for c, o, a in cells.select("cohort", "offset", "active").iter_rows() if a}
    assert active == {("2025-06", 13), ("2025-01", 11)}
    # every fee is a paid order of its member: two buyers with a repeat purchase
    paid = views.paid_orders(data).collect()
    per_buyer = paid.group_by("buyer_id").len()["len"].sort().to_list()
    assert per_buyer == [1, 1, 2, 2]


def test_a_lapsed_member_is_not_a_paying_member():
    # period 2026-04-01 … 07-31 (by hand): 乙's only fee expired 2026-03-01 and 甲's first
    # 2026-01-10, so the paying members are 甲 (second fee), 丙 and 丁 = 3; due = 丙's first
    # (expires 06-15), renewed 07-01 → 100 %; fees paid in the period 169 → 169 / 3
    got = kpis(run_metric(circles.SPEC, _data(date(2026, 4, 1), date(2026, 7, 31))))
    assert got["paid_members"] == 3
    assert got["renewal_rate"] == pytest.approx(100.0)
    assert got["revenue_per_member"] == pytest.approx(169 / 3)
    assert got["fees_per_member_to_date"] == pytest.approx(1164 / 4)
