"""The generic files source and the boundary checks: every problem names file, row, column."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from communityroi import DataError
from communityroi.testing import check_source
from plugins.sources.files import communityroi_sources

(SPEC,) = communityroi_sources()


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(tmp_path, **files) -> list[str]:
    with pytest.raises(DataError) as exc:
        check_source(SPEC, files, base_dir=tmp_path, timezone="Asia/Shanghai")
    return exc.value.problems


def test_csv_with_chinese_headers_mapping_and_values(tmp_path):
    write(
        tmp_path,
        "orders.csv",
        "订单号,下单时间,实付金额,会员ID,订单状态\r\n"
        'A1,2026-10-01 20:30:00,"¥1,299.00",m1,已支付\r\n'
        "A2,2026/10/02 08:00,59,m2,已退款\r\n",
        encoding="gb18030",
    )
    got = check_source(
        SPEC,
        {
            "orders": "orders.csv",
            "columns": {
                "orders": {
                    "订单号": "order_id",
                    "下单时间": "at",
                    "实付金额": "amount",
                    "会员ID": "member_id",
                    "订单状态": "status",
                }
            },
            "values": {"orders": {"status": {"已支付": "paid", "已退款": "refunded"}}},
        },
        base_dir=tmp_path,
        timezone="Asia/Shanghai",
    )["orders"]
    assert got["amount"].to_list() == [1299.0, 59.0]
    assert got["status"].to_list() == ["paid", "refunded"]
    # 20:30 in Shanghai is 12:30 UTC
    assert got["at"][0] == datetime(2026, 10, 1, 12, 30, tzinfo=UTC)


def test_parquet_keeps_types(tmp_path):
    pl.DataFrame(
        {"category": ["ads"], "amount": [12.5], "incurred_on": ["2026-10-03"]}
    ).write_parquet(tmp_path / "costs.parquet")
    got = check_source(SPEC, {"costs": "costs.parquet"}, base_dir=tmp_path)["costs"]
    assert got["amount"].to_list() == [12.5]


def test_xlsx(tmp_path):
    pl.DataFrame({"campaign_id": ["k1"], "name": ["双十一"], "budget": ["1,000"]}).write_excel(
        tmp_path / "c.xlsx"
    )
    got = check_source(SPEC, {"campaigns": "c.xlsx"}, base_dir=tmp_path)["campaigns"]
    assert got.row(0, named=True)["budget"] == 1000.0


def test_bad_date_names_file_row_and_column(tmp_path):
    write(tmp_path, "members.csv", "member_id,joined_at\nm1,2026-10-01\nm2,yesterday\n")
    (msg,) = problems(tmp_path, members="members.csv")
    assert msg.startswith(
        "members.csv row 3, column joined_at: 'yesterday' is not a valid datetime"
    )


def test_bad_amount_and_negative_cost(tmp_path):
    write(
        tmp_path,
        "costs.csv",
        "category,amount,incurred_on\nads,abc,2026-10-01\n"
        "labour,-5,2026-10-02\nfood,5,2026-10-03\n",
    )
    got = problems(tmp_path, costs="costs.csv")
    assert "costs.csv row 2, column amount: 'abc' is not a valid amount" in got[0]
    assert any(p.startswith("costs.csv row 3, column amount: negative amount") for p in got)
    assert any(p.startswith("costs.csv row 4, column category: 'food' is not one of") for p in got)


def test_missing_required_column(tmp_path):
    write(tmp_path, "orders.csv", "order_id,amount\n1,5\n")
    (msg,) = problems(tmp_path, orders="orders.csv")
    assert msg.startswith("orders.csv, column at: required column(s) at missing")
    assert "map your headers" in msg


def test_mapping_names_a_missing_header(tmp_path):
    write(tmp_path, "orders.csv", "order_id,amount\n1,5\n")
    with pytest.raises(DataError, match=r"column '下单时间' named in columns\.orders is not in"):
        check_source(
            SPEC,
            {"orders": "orders.csv", "columns": {"orders": {"下单时间": "at"}}},
            base_dir=tmp_path,
        )


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"members = 'nope.csv': no such file"):
        check_source(SPEC, {"members": "nope.csv"}, base_dir=tmp_path)


def test_unknown_currency_needs_rate(tmp_path):
    write(tmp_path, "orders.csv", "order_id,member_id,at,amount,currency\n1,m,2026-10-01,5,USD\n")
    (msg,) = problems(tmp_path, orders="orders.csv")
    assert "no exchange rate from 'USD' to CNY" in msg and "fx_rates" in msg


def test_per_table_file_uses_header_aliases_and_sniffs_semicolons(tmp_path):
    write(tmp_path, "m.csv", "会员ID;昵称;入群时间\nm1;甲;2026-10-01 08:00\nm2;乙;45931\n;;\n")
    got = check_source(SPEC, {"members": "m.csv"}, base_dir=tmp_path, timezone="UTC")
    members = got["members"]
    assert members["member_id"].to_list() == ["m1", "m2"]  # the empty last row dropped
    assert members["display_name"].to_list() == ["甲", "乙"]
    assert members["joined_at"].to_list() == [
        datetime(2026, 10, 1, 8, 0, tzinfo=UTC),
        datetime(2025, 10, 1, 0, 0, tzinfo=UTC),  # Excel serial 45931
    ]
    assert members["platform"].to_list() == ["files", "files"]


def test_user_mapping_wins_over_aliases(tmp_path):
    write(tmp_path, "o.csv", "order_id,at,订单金额,实付金额,member_id\nA,2026-10-01,100,90,m\n")
    assert check_source(SPEC, {"orders": "o.csv"}, base_dir=tmp_path)["orders"][
        "amount"
    ].to_list() == [
        90.0  # 实付金额 (paid) before 订单金额 (list price)
    ]
    opts = {"orders": "o.csv", "columns": {"orders": {"订单金额": "amount"}}}
    assert check_source(SPEC, opts, base_dir=tmp_path)["orders"]["amount"].to_list() == [100.0]
