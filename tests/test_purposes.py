"""Groups by purpose against numbers counted by hand (October 2026, UTC).

Groups: g1 新品售前咨询群 (pre-sales by keyword), g2 售后服务群 (after-sales by keyword),
g3 团长分销群 (distribution), g4 闲聊群 with groups.purpose = vip, g5 闲聊 configured 售后.
Members (joined, left): g1 a (09-01), b (10-05), c (10-10); g2 d (09-01), e (09-01, left
10-10), f (10-05); g3 p (09-01); g4 v (09-01); g5 w (09-01); x and y (no group) were
invited by p. Paid orders: a 09-15 50 and 10-03 100; b 10-04 30 (before joining g1) and
10-06 70; d 09-10 20 and 10-08 40; e 09-12 10; x 10-09 200; y 10-11 20 (refunded); v 10-02
500. c wrote in g1 on 10-12.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from communityroi import SCHEMA
from communityroi.testing import make_data, run_metric
from plugins.metrics import purposes


def _data():
    m = lambda mid, g, j, left=None, inv=None: {  # noqa: E731
        "member_id": mid, "platform": "wecom", "group_id": g, "joined_at": j,
        "left_at": left, "invited_by": inv,
    }  # fmt: skip
    members = [
        m("a", "g1", "2026-09-01"), m("b", "g1", "2026-10-05"), m("c", "g1", "2026-10-10"),
        m("d", "g2", "2026-09-01"), m("e", "g2", "2026-09-01", "2026-10-10"),
        m("f", "g2", "2026-10-05"), m("p", "g3", "2026-09-01"), m("v", "g4", "2026-09-01"),
        m("w", "g5", "2026-09-01"), m("x", None, "2026-10-02", inv="p"),
        m("y", None, "2026-10-02", inv="p"),
    ]  # fmt: skip
    o = lambda i, mid, at, amount, status="paid": {  # noqa: E731
        "order_id": i, "member_id": mid, "at": at, "amount": amount, "status": status,
    }  # fmt: skip
    orders = [
        o("1", "a", "2026-09-15", 50), o("2", "a", "2026-10-03", 100),
        o("3", "b", "2026-10-04", 30), o("4", "b", "2026-10-06", 70),
        o("5", "d", "2026-09-10", 20), o("6", "d", "2026-10-08", 40),
        o("7", "e", "2026-09-12", 10), o("8", "x", "2026-10-09", 200),
        o("9", "y", "2026-10-11", 20, "refunded"), o("10", "v", "2026-10-02", 500),
    ]  # fmt: skip
    groups = [
        {"group_id": "g1", "name": "新品售前咨询群"}, {"group_id": "g2", "name": "售后服务群"},
        {"group_id": "g3", "name": "团长分销群"},
        {"group_id": "g4", "name": "闲聊群", "purpose": "vip"},
        {"group_id": "g5", "name": "闲聊"},
    ]  # fmt: skip
    acts = [{"member_id": "c", "platform": "wecom", "at": "2026-10-12", "kind": "message",
             "group_id": "g1"}]  # fmt: skip
    return make_data(
        {"members": members, "orders": orders, "groups": groups, "activities": acts},
        start=date(2026, 10, 1), end=date(2026, 10, 31),
    )  # fmt: skip


@pytest.fixture(scope="module")
def section():
    return run_metric(purposes.SPEC, _data(), {"groups": {"g5": "售后"}})


def _row(section, purpose):
    by = section.table("by_purpose").data
    return by.filter(pl.col("purpose") == purpose).row(0, named=True)


def test_purpose_from_canonical_config_and_name(section):
    got = dict(section.table("by_group").data.select("name", "purpose").iter_rows())
    assert got == {"新品售前咨询群": "presales", "售后服务群": "aftersales",
                   "团长分销群": "distribution", "闲聊群": "vip", "闲聊": "aftersales"}  # fmt: skip


def test_presales_conversion(section):
    r = _row(section, "presales")
    assert (r["members"], r["groups"], r["revenue"]) == (3, 1, 170)  # b's 10-04 order: before
    assert r["conversion"] == pytest.approx(200 / 3)
    assert r["active_rate"] == pytest.approx(100 / 3)


def test_aftersales_repeat_and_retention(section):
    r = _row(section, "aftersales")
    assert (r["members"], r["groups"]) == (4, 2)
    assert (r["conversion"], r["repeat_rate"]) == (25.0, 50.0)  # d bought again, e did not
    assert r["retention"] == pytest.approx(200 / 3)  # d, e, w at the start; e left


def test_distribution_orders_via_partners(section):
    r = _row(section, "distribution")
    assert (r["partner_orders"], r["partner_revenue"], r["active_partners"]) == (1, 200, 1)


def test_vip_and_schema_values(section):
    r = _row(section, "vip")
    assert (r["conversion"], r["repeat_rate"]) == (100.0, None)
    assert SCHEMA["groups"].column("purpose").allowed == purposes.GROUP_PURPOSES
    with pytest.raises(ValueError, match="is not a purpose"):
        purposes.PurposesOptions(groups={"g1": "闲聊"})


def test_partner_orders_count_once():
    """Partner p is in two distribution groups (and rejoined one); x, invited by p, paid
    two orders of 200: each group and the purpose count 2 orders and 400, not one order
    (equal amounts) or four (one per partner row)."""
    m = lambda mid, g, j, inv=None: {  # noqa: E731
        "member_id": mid, "platform": "wecom", "group_id": g, "joined_at": j, "invited_by": inv,
    }  # fmt: skip
    members = [m("p", "g3", "2026-09-01"), m("p", "g3", "2026-09-20"),
               m("p", "g6", "2026-09-01"), m("x", None, "2026-10-02", "p")]  # fmt: skip
    orders = [{"order_id": i, "member_id": "x", "at": at, "amount": 200}
              for i, at in (("1", "2026-10-09"), ("2", "2026-10-10"))]  # fmt: skip
    groups = [{"group_id": "g3", "name": "团长分销群"}, {"group_id": "g6", "name": "渠道群"}]
    data = make_data({"members": members, "orders": orders, "groups": groups},
                     start=date(2026, 10, 1), end=date(2026, 10, 31))  # fmt: skip
    section = run_metric(purposes.SPEC, data, {})
    cols = ("partner_orders", "partner_revenue", "active_partners")
    assert section.table("by_purpose").data.select(cols).rows() == [(2, 400, 1)]
    assert section.table("by_group").data.select(cols).rows() == [(2, 400, 1)] * 2
