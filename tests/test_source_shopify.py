"""Shopify orders export → orders, against the hand-counted fixture
tests/data/shopify/orders_export.csv (full Shopify header set, 10 line-item rows, 7 orders):

| order | e-mail | Financial Status | Total | → status, amount |
|---|---|---|---|---|
| #1001 | alice | paid (2 lines, AUTUMN10) | 358.00 | paid 358.00 |
| #1002 | " Bob@Example.com " | refunded | 199.00 | refunded 199.00 |
| #1003 | alice | partially_refunded, refunded 100 | 598.00 | paid 598.00, refunded 100 |
| #1004 | carol | pending | 88.00 | pending |
| #1005 | dave | voided | 120.00 | cancelled |
| #1006 | — (POS, phone +86 138 0013 8000) | paid | 45.50 | paid 45.50 |
| #1007 | bob | paid, 20:30 -0700 | 1299.00 | paid 1299.00 |

Paid gross 358 + 598 + 45.5 + 1299 = 2300.50 from 4 orders; net of #1003's refund
(what every metric counts) 2200.50; 5 customers. ``Paid at`` is empty only for #1004.

tests/data/shopify/orders_note_bad_total.csv (hand-written, 7 file lines, 5 CSV records):
#1001's first row has a note spanning lines 2–3, so #1003's first row is file line 7 (CSV
record 5), and its Total reads ``12O.00`` (letter O).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError
from communityroi.testing import check_source
from plugins.sources import shopify

DATA = Path(__file__).parent / "data" / "shopify"
SPEC = shopify.communityroi_sources()[0]


def load(**options):
    options.setdefault("path", "orders_export.csv")
    return check_source(SPEC, options, base_dir=DATA, timezone="Asia/Shanghai")["orders"]


def sha(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def test_orders_counts_and_totals():
    orders = load(discount_campaigns={"AUTUMN10": "autumn"})
    assert orders.height == 7
    assert orders["order_id"].to_list() == [f"#100{i}" for i in range(1, 8)]
    by_status = dict(
        orders.group_by("status")
        .agg(pl.len(), pl.col("amount").sum())
        .select("status", pl.struct("len", "amount"))
        .iter_rows()
    )
    assert by_status == {
        "paid": {"len": 4, "amount": pytest.approx(2300.50)},
        "refunded": {"len": 1, "amount": 199.0},
        "pending": {"len": 1, "amount": 88.0},
        "cancelled": {"len": 1, "amount": 120.0},
    }
    row = {r["order_id"]: r for r in orders.iter_rows(named=True)}
    assert (row["#1003"]["amount"], row["#1003"]["refunded_amount"]) == (598.0, 100.0)
    assert row["#1002"]["refunded_amount"] == 199.0
    paid = orders.filter(pl.col("status") == "paid")
    net = paid.select((pl.col("amount") - pl.col("refunded_amount").fill_null(0)).sum()).item()
    assert net == pytest.approx(2200.50)
    assert row["#1004"]["paid_at"] is None
    assert row["#1001"]["paid_at"] == datetime(2026, 10, 3, 2, 15, tzinfo=UTC)
    assert row["#1001"]["campaign_id"] == "autumn"
    assert orders["campaign_id"].null_count() == 6
    assert orders["currency"].unique().to_list() == ["CNY"]


def test_customers_are_normalised_emails_and_hashes():
    orders = load()
    row = {r["order_id"]: r for r in orders.iter_rows(named=True)}
    assert row["#1002"]["customer_id"] == "bob@example.com"  # " Bob@Example.com "
    assert row["#1002"]["customer_id"] == row["#1007"]["customer_id"]
    assert row["#1002"]["email_hash"] == sha("bob@example.com")
    assert row["#1006"]["customer_id"] == "guest:#1006"
    assert row["#1006"]["email_hash"] is None
    assert row["#1006"]["phone_hash"] == sha("+8613800138000")
    assert orders["customer_id"].n_unique() == 5
    assert orders["member_id"].null_count() == 7


def test_times_keep_their_offset():
    row = {r["order_id"]: r for r in load().iter_rows(named=True)}
    assert row["#1001"]["at"] == datetime(2026, 10, 3, 2, 15, tzinfo=UTC)
    assert row["#1007"]["at"] == datetime(2026, 11, 1, 3, 30, tzinfo=UTC)


def test_subtotal_option():
    orders = load(amount="Subtotal")
    assert orders.filter(pl.col("order_id") == "#1001")["amount"].item() == 378.0
    assert orders.filter(pl.col("order_id") == "#1003")["refunded_amount"].item() == 100.0


def test_refund_with_shipping_is_capped_at_the_subtotal(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_text(
        "Name,Email,Financial Status,Created at,Subtotal,Total,Refunded Amount,Currency\n"
        "#7,a@x.com,partially_refunded,2026-10-01 10:00:00 +0800,90.00,100.00,95.00,CNY\n",
        encoding="utf-8",
    )
    (order,) = load(path=str(p), amount="Subtotal").iter_rows(named=True)
    # refund 95 (incl. shipping) capped at the subtotal 90: a full refund of the goods
    assert (order["amount"], order["refunded_amount"], order["status"]) == (90.0, 90.0, "refunded")
    (order,) = load(path=str(p)).iter_rows(named=True)
    assert (order["amount"], order["refunded_amount"], order["status"]) == (100.0, 95.0, "paid")


def _write(tmp_path: Path, status: str = "paid", total: str = "10.00") -> Path:
    p = tmp_path / "orders.csv"
    p.write_text(
        "Name,Email,Financial Status,Created at,Total,Currency,Lineitem name\n"
        "#1,a@x.com,paid,2026-10-01 10:00:00 +0800,5.00,CNY,tea\n"
        f"#2,b@x.com,{status},2026-10-01 11:00:00 +0800,{total},CNY,tea\n"
        "#2,b@x.com,,,,,cup\n",
        encoding="utf-8",
    )
    return p


def test_unknown_status_names_row(tmp_path):
    p = _write(tmp_path, status="chargeback")
    with pytest.raises(
        DataError, match=r"orders.csv line 3 \(order #2\), column Financial Status: unknown"
    ):
        load(path=str(p))


def test_bad_total_names_row(tmp_path):
    p = _write(tmp_path, total="n/a")
    with pytest.raises(DataError, match=r"orders.csv line 3 \(order #2\), column Total: not an"):
        load(path=str(p))


def test_problem_names_the_file_line_and_the_order():
    with pytest.raises(DataError) as err:
        load(path="orders_note_bad_total.csv")
    assert str(err.value).endswith(
        "orders_note_bad_total.csv line 7 (order #1003), column Total: not an amount such as 199.00"
    )


@pytest.mark.parametrize(
    ("cell", "column", "todo"),
    [
        ("Refunded Amount=250.00", "Refunded Amount", "more than the order's Total"),
        ("Refunded Amount=-1.00", "Refunded Amount", "negative refund"),
        ("Paid at=yesterday", "Paid at", "not a time"),
        ("Created at=soon", "Created at", "not a time"),
    ],
)
def test_order_field_problems_name_line_and_order(tmp_path, cell, column, todo):
    header = "Name,Email,Financial Status,Paid at,Created at,Total,Refunded Amount,Currency"
    row = {
        "Name": "#5",
        "Email": "a@x.com",
        "Financial Status": "partially_refunded",
        "Paid at": "2026-10-01 10:00:00 +0800",
        "Created at": "2026-10-01 10:00:00 +0800",
        "Total": "200.00",
        "Refunded Amount": "10.00",
        "Currency": "CNY",
    }
    key, value = cell.split("=")
    row[key] = value
    p = tmp_path / "orders.csv"
    p.write_text(header + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    with pytest.raises(
        DataError, match=rf"orders.csv line 2 \(order #5\), column {column}: {todo}"
    ):
        load(path=str(p))


def test_missing_header(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Name,Email\n#1,a@x.com\n", encoding="utf-8")
    with pytest.raises(DataError, match="required column Financial Status not found"):
        load(path=str(p))


def test_foreign_currency_needs_a_rate(tmp_path):
    p = tmp_path / "usd.csv"
    p.write_text(
        "Name,Email,Financial Status,Created at,Total,Currency\n"
        "#9,a@x.com,paid,2026-10-01 10:00:00 -0700,10.00,USD\n",
        encoding="utf-8",
    )
    with pytest.raises(
        DataError, match=r"usd\.csv line 2 \(order #9\), column currency: no exchange rate from"
    ):  # found by the core's boundary, which names the order as the source does
        load(path=str(p))


def test_detect():
    assert SPEC.detect(DATA / "orders_export.csv") == (
        "Shopify orders CSV (Name, Financial Status, Created at)"
    )
    assert not SPEC.detect(Path(__file__).parent / "data" / "wechat" / "读书会_utf8.csv")


def test_shopify_and_ledger_detect_only_their_own_files():
    from plugins.sources import ledger

    costs = DATA.parent / "ledger"
    assert ledger.detect(costs / "costs_gb18030.csv") == "cost ledger (费用日期, 费用类别, 金额)"
    assert ledger.detect(costs / "成本台账.xlsx") == "cost ledger (日期, 类别, 金额(元))"
    assert ledger.detect(DATA / "orders_export.csv") is False
    assert SPEC.detect(costs / "costs_gb18030.csv") is False
    assert ledger.detect(DATA / "missing.csv") is False
