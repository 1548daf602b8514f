"""Order status and refunds at the boundary (core.conform) and in every revenue metric.

The rule (core/conform.py, docs/connectors-business.md): an explicit ``status`` wins; else
a mapped ``paid_at`` that is empty means pending; else paid. A paid order refunded in full
(``refunded_amount`` = ``amount``) is refunded; a partial refund stays paid and counts
``amount − refunded_amount``.

Hand-computed October 2026 (UTC), members a and b (b linked by customer_id c_b), USD = 7:

| order | buyer | amount | paid_at | refunded | status given | → status | revenue |
|---|---|---|---|---|---|---|---|
| o1 | a | 100 (k1) | 10-03 | 30 | — | paid | 70 |
| o2 | b | 200 | empty | — | — | pending | 0 |
| o3 | a | 50 | 10-06 | 50 | — | refunded | 0 |
| o4 | b | 80 | 10-07 | — | — | paid | 80 |
| o5 | a | 60 | empty | — | paid | paid | 60 |
| o6 | b | 10 USD = 70 | 10-09 | 2 USD = 14 | — | paid | 56 |

Return = 70 + 80 + 60 + 56 = 266; campaign k1 = 70; observed CLV a = 130, b = 136.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from communityroi import SCHEMA, DataError, views
from communityroi.testing import check_source, make_data, run_metric
from core.conform import conform
from plugins.metrics import campaigns, clv, roi
from plugins.sources import files

MEMBERS = [
    {"member_id": "a", "joined_at": "2026-09-01", "group_id": "g1"},
    {"member_id": "b", "joined_at": "2026-09-01", "group_id": "g1", "customer_id": "c_b"},
]


def _order(oid, amount, paid_at, refunded=None, status=None, who="a", currency=None, **extra):
    key = {"member_id": "a"} if who == "a" else {"customer_id": "c_b"}
    return {
        "order_id": oid,
        **key,
        "at": f"2026-10-0{oid[-1]} 10:00",
        "amount": amount,
        "paid_at": paid_at,
        "refunded_amount": refunded,
        "status": status,
        "currency": currency,
        "campaign_id": extra.get("campaign_id"),
    }


ORDERS = [
    _order("o1", "100", "2026-10-03 10:00", "30", campaign_id="k1"),
    _order("o2", "200", "", who="b"),
    _order("o3", "50", "2026-10-06 10:00", "50"),
    _order("o4", "80", "2026-10-07 10:00", who="b"),
    _order("o5", "60", "", status="paid"),
    _order("o6", "10", "2026-10-09 12:00", "2", who="b", currency="USD"),
]
CAMPAIGNS = [{"campaign_id": "k1", "name": "Autumn", "group_id": "g1"}]


def _data(orders=ORDERS):
    return make_data(
        {"members": MEMBERS, "orders": orders, "campaigns": CAMPAIGNS},
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        fx_rates={"USD": 7.0},
    )


def test_status_rule_and_converted_refunds():
    orders = _data().orders.sort("order_id").collect()
    assert orders["status"].to_list() == ["paid", "pending", "refunded", "paid", "paid", "paid"]
    o6 = orders.row(5, named=True)
    assert (o6["amount"], o6["refunded_amount"], o6["currency"]) == (70.0, 14.0, "CNY")
    assert o6["paid_at"] == datetime(2026, 10, 9, 12, tzinfo=UTC)
    assert orders["paid_at"].null_count() == 2  # o2, o5


def test_without_paid_at_column_every_order_is_paid():
    rows = [{k: v for k, v in o.items() if k not in ("paid_at", "status")} for o in ORDERS]
    orders = _data(rows).orders.sort("order_id").collect()
    # o3 is still a full refund; o2 and o5 are paid by the documented default
    assert orders["status"].to_list() == ["paid", "paid", "refunded", "paid", "paid", "paid"]


def test_paid_orders_expose_the_net_amount():
    paid = views.paid_orders(_data()).sort("order_id").collect()
    assert paid["order_id"].to_list() == ["o1", "o4", "o5", "o6"]
    assert paid["amount"].to_list() == [70.0, 80.0, 60.0, 56.0]
    assert paid["gross_amount"].to_list() == [100.0, 80.0, 60.0, 70.0]
    assert paid["buyer_id"].to_list() == ["a", "b", "a", "b"]


def test_every_revenue_metric_counts_net():
    data = _data()
    assert run_metric(roi.SPEC, data).kpi("return").value == pytest.approx(266)
    assert run_metric(campaigns.SPEC, data).kpi("campaign_return").value == pytest.approx(70)
    (clv_spec,) = clv.communityroi_metrics()
    s = run_metric(clv_spec, data)
    assert s.kpi("buyers").value == 2
    assert s.kpi("avg_observed_clv").value == pytest.approx((130 + 136) / 2)


def _problems(rows: list[dict]) -> pl.DataFrame:
    res = conform(pl.LazyFrame(rows), "orders", tz="UTC", currency="CNY")
    return res.problems.collect()


def test_refund_above_amount_and_negative_refund_are_problem_rows():
    p = _problems(
        [
            {"order_id": "x1", "member_id": "a", "at": "2026-10-01", "amount": "100",
             "refunded_amount": "120"},
            {"order_id": "x2", "member_id": "a", "at": "2026-10-01", "amount": "100",
             "refunded_amount": "-5"},
            {"order_id": "x3", "member_id": "a", "at": "2026-10-01", "amount": "100",
             "refunded_amount": "100"},
        ]
    )  # fmt: skip
    assert p.select("row", "column", "value").rows() == [
        (2, "refunded_amount", "120.0"),
        (3, "refunded_amount", "-5.0"),
    ]
    assert "more than the order's amount" in p["message"][0]
    assert "write refunds as a positive amount" in p["message"][1]
    with pytest.raises(DataError, match=r"<orders> row 2, column refunded_amount: refunded"):
        _data([_order("o1", "100", "2026-10-01", "120")])


def test_source_line_and_reference_replace_the_row_number():
    frame = pl.LazyFrame(
        {
            "order_id": ["#1", "#2"],
            "member_id": ["a", "a"],
            "at": ["2026-10-01", "someday"],
            "amount": ["1", "2"],
            "__line": [2, 5],
            "__ref": ["order #1", "order #2"],
        }
    )
    res = conform(frame, "orders", tz="UTC", currency="CNY")
    p = res.problems.collect()
    assert p.select("row", "column", "ref").rows() == [(5, "at", "order #2")]
    # the helper columns are dropped: exactly the canonical columns remain
    assert res.frame.collect_schema().names() == SCHEMA["orders"].polars_schema.names()


def test_files_source_mapped_paid_at(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "订单号,买家,下单时间,实付金额,支付时间,退款金额\n"
        "A1,c1,2026-10-01 10:00,100.00,2026-10-01 10:05,\n"
        "A2,c2,2026-10-02 10:00,50.00,,\n"
        "A3,c1,2026-10-03 10:00,80.00,2026-10-03 10:01,20.00\n",
        encoding="utf-8",
    )
    cols = {
        "订单号": "order_id",
        "买家": "customer_id",
        "下单时间": "at",
        "实付金额": "amount",
        "支付时间": "paid_at",
        "退款金额": "refunded_amount",
    }
    (spec,) = files.communityroi_sources()
    out = check_source(
        spec, {"orders": "orders.csv", "columns": {"orders": cols}}, base_dir=tmp_path
    )
    orders = out["orders"].sort("order_id")
    assert orders["status"].to_list() == ["paid", "pending", "paid"]
    assert orders["refunded_amount"].to_list() == [None, None, 20.0]
