"""Cost ledger → costs, against hand-summed fixtures in tests/data/ledger/.

成本台账.xlsx (sheet 10月成本, Chinese headers, one real date cell, month-only and Chinese
dates, ``¥1,299.00`` / ``3,500.50`` amounts): 8 items = 20,849.00 —
labour 12,000; platform_fee 1,299; ads 3,500.50 + 1,000 (广告费); content 800;
campaign 2,000; tools 199; other 50.50.

costs_gb18030.csv (GB18030, CRLF, two blank lines at the end): 8,000 + 500 + 99 = 8,599.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from communityroi import DataError
from communityroi.testing import check_source
from plugins.sources import ledger

DATA = Path(__file__).parent / "data" / "ledger"
SPEC = ledger.communityroi_sources()[0]


def load(**options):
    return check_source(SPEC, options, base_dir=DATA, timezone="Asia/Shanghai")["costs"]


def test_xlsx_chinese_ledger():
    costs = load(path="成本台账.xlsx")
    assert costs.height == 8
    assert costs["amount"].sum() == pytest.approx(20849.0)
    by_cat = dict(costs.group_by("category").agg(pl.col("amount").sum()).iter_rows())
    assert by_cat == {
        "labour": 12000.0,
        "platform_fee": 1299.0,
        "ads": 4500.5,
        "content": 800.0,
        "campaign": 2000.0,
        "tools": 199.0,
        "other": 50.5,
    }
    assert costs["incurred_on"].to_list() == [
        date(2026, 10, 1),
        date(2026, 10, 1),  # "2026-10": a month counts on its first day
        date(2026, 10, 8),  # 2026年10月8日
        date(2026, 10, 15),
        date(2026, 10, 20),
        date(2026, 10, 31),
        date(2026, 10, 31),
        date(2026, 10, 31),
    ]
    assert costs.filter(pl.col("campaign_id") == "autumn")["amount"].sum() == 6300.5
    assert costs["note"][0] == "运营专员 10 月工资"
    assert costs["currency"].unique().to_list() == ["CNY"]


def test_gb18030_csv_with_trailing_blank_rows():
    costs = load(path="costs_gb18030.csv")
    assert costs.height == 3
    assert costs["amount"].sum() == 8599.0
    assert costs["category"].to_list() == ["labour", "ads", "tools"]


def _csv(tmp_path: Path, body: str, name: str = "c.csv") -> Path:
    p = tmp_path / name
    p.write_text("日期,类别,金额\n" + body, encoding="utf-8")
    return p


def test_unknown_category_names_file_row_and_value(tmp_path):
    p = _csv(tmp_path, "2026-10-01,人力,100\n2026-10-02,差旅,300\n")
    with pytest.raises(DataError) as err:
        load(path=str(p))
    msg = str(err.value)
    assert "c.csv row 3, column category: '差旅': unknown cost category" in msg
    assert "categories" in msg and "\n" not in msg
    costs = load(path=str(p), categories={"差旅": "other"})
    assert costs["category"].to_list() == ["labour", "other"]


def test_bad_category_mapping_is_refused():
    with pytest.raises(ValidationError, match="not one of"):
        ledger.LedgerOptions(path="x.csv", categories={"差旅": "travel"})


def test_total_row_is_refused(tmp_path):
    p = _csv(tmp_path, "2026-10-01,人力,100\n合计,,100\n")
    with pytest.raises(DataError, match=r"c.csv row 3, column category: this looks like a total"):
        load(path=str(p))


def test_bad_amount_and_blank_middle_row_keep_row_numbers(tmp_path):
    p = _csv(tmp_path, "2026-10-01,人力,100\n,,\n2026-10-03,工具,abc\n")
    with pytest.raises(DataError) as err:
        load(path=str(p))
    problems = err.value.problems
    assert any("c.csv row 3, column category: required value is empty" in x for x in problems)
    assert any("c.csv row 4, column amount: 'abc' is not a valid amount" in x for x in problems)


def test_mapped_headers(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("when,what,how much\n2026-10-01,Ads,12.5\n", encoding="utf-8")
    costs = load(
        path=str(p), columns={"incurred_on": "when", "category": "what", "amount": "how much"}
    )
    assert costs.row(0, named=True)["category"] == "ads"
    with pytest.raises(DataError, match=r'column amount = "total" is not in the file'):
        load(path=str(p), columns={"amount": "total"})
    with pytest.raises(DataError, match="required column incurred_on not found"):
        load(path=str(p))


def test_category_expression():
    labels = pl.Series(["人力", "人工", "运营人力", "平台费", "平台服务费", "广告", "投放"])
    more = pl.Series(["内容", "内容制作", "活动", "活动经费", "工具", "软件", "其他", "Tools"])
    got = pl.select(ledger.category_expr(pl.lit(pl.concat([labels, more])))).to_series()
    assert got.to_list() == [
        *["labour"] * 3,
        *["platform_fee"] * 2,
        *["ads"] * 2,
        *["content"] * 2,
        *["campaign"] * 2,
        *["tools"] * 2,
        "other",
        "tools",
    ]


def test_operator_and_hours_columns(tmp_path):
    """运营人员 and 工时 become costs.operator_id and hours (the operators section)."""
    path = tmp_path / "人力.csv"
    path.write_text(
        "日期,类别,金额,运营人员,工时\n2026-10-31,工资,8000,zhangsan,168\n2026-10-31,工具,99,,\n",
        encoding="utf-8",
    )
    costs = load(path=str(path))
    assert costs.select("operator_id", "hours").rows() == [("zhangsan", 168.0), (None, None)]
