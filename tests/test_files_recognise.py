"""The generic files source recognises canonical tables by their headers (English and
Chinese), says what it sees in a file it does not recognise, and never reads a number
wrongly in silence. Fixtures: tests/data/files/ (see its README)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from conftest import sample

from communityroi import DataError
from communityroi.testing import check_source, load_source
from core.cli import main
from plugins.sources import files
from plugins.sources.files import communityroi_sources, detect, hint, recognise

(SPEC,) = communityroi_sources()
DATA = Path(__file__).parent / "data" / "files"
REPO_DATA = Path(__file__).parent / "data"


def load(name: str, **options):
    return load_source(SPEC, {"path": name, **options}, base_dir=DATA, timezone="Asia/Shanghai")


# -- recognising ----------------------------------------------------------------------


def test_chinese_order_headers_are_recognised():
    assert detect(DATA / "订单导出.csv") == (
        "orders table by headers (订单编号 → order_id, 用户ID → member_id, 下单时间 → at, "
        "支付金额 → amount, 订单状态 → status)"
    )


def test_english_variants_tsv_and_canonical_names():
    assert detect(DATA / "orders_english.tsv") == (
        "orders table by headers (Order ID → order_id, Customer → customer_id, "
        "Order Date → at, Total → amount, Status → status)"
    )
    assert detect(DATA / "orders_excel_serial.csv") == (
        "orders table by headers (order_id, member_id, at, amount)"
    )
    assert detect(DATA / "activities.ndjson") == (
        "activities table by headers (member_id, at, kind)"
    )


@pytest.mark.parametrize(
    ("headers", "table"),
    [
        (["会员ID", "昵称", "入群时间", "手机号"], "members"),  # 3 of 4 named
        (["日期", "费用类别", "金额", "备注"], "costs"),
        (["活动编号", "活动名称", "开始时间", "预算"], "campaigns"),
        (["group_id", "群名称", "建群时间"], "groups"),
        (["member_id", "time", "行为", "group_id"], "activities"),
    ],
)
def test_each_table_by_its_headers(headers, table):
    assert recognise(headers).table == table


def test_a_lone_id_column_is_not_a_table():
    # group_id + kind among chat columns: not a groups table (too little of it is named)
    assert recognise(["group_id", "sender", "time", "kind", "quoted", "mentioned"]) is None
    assert recognise(["member_id"]) is None


@pytest.mark.parametrize(
    "path",
    [
        "shopify/orders_export.csv",
        "wechat/generic_chat.csv",
        "wechat/读书会_utf8.csv",
        "wechat/wecom_archive.jsonl",
    ],
)
def test_exports_of_dedicated_sources_are_not_claimed(path):
    assert detect(REPO_DATA / path) is False


def test_a_file_in_the_cdnow_shape_is_not_claimed(tmp_path):
    # written here in CDNOW's shape: space-padded `customer_id sample_id yyyymmdd cds
    # dollars`, a leading space, no header row, CRLF
    lines = [" 00001 0001 19970102  1   12.49", " 00001 0001 19970215  2   25.98"]
    shaped = tmp_path / "cdnow_shaped.txt"
    shaped.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    assert detect(shaped) is False


def test_the_real_cdnow_sample_is_not_claimed():
    assert detect(sample("cdnow/CDNOW_sample.txt")) is False


def test_cost_ledger_is_a_costs_table_with_ledger_categories():
    assert detect(REPO_DATA / "ledger" / "costs_gb18030.csv").startswith(
        "costs table by headers (费用类别 → category, 金额 → amount"
    )
    loaded = load_source(
        SPEC, {"path": "costs_gb18030.csv"}, base_dir=REPO_DATA / "ledger", timezone="UTC"
    )
    assert loaded.problems == []
    costs = loaded.frames["costs"].collect()
    assert costs["category"].to_list() == ["labour", "ads", "tools"]  # 人工, 投放, 工具
    assert costs["amount"].to_list() == [8000.0, 500.0, 99.0]
    assert [(d.reason, d.rows) for d in loaded.dropped] == [("empty row at the end of the file", 2)]


# -- loading a recognised file ------------------------------------------------------------


def test_path_option_loads_chinese_orders_and_drops_the_totals_row():
    loaded = load("订单导出.csv")
    assert loaded.problems == []
    orders = loaded.frames["orders"].collect()
    assert orders["order_id"].to_list() == ["DD001", "DD002", "DD003"]
    assert orders["amount"].to_list() == [1299.0, 88.5, 2001.5]  # sum 3389 = the 合计 row
    assert orders["status"].to_list() == ["paid", "refunded", "paid"]
    assert orders["member_id"].to_list() == ["u1", "u2", "u1"]
    assert orders["at"][0] == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)  # 09:30 Shanghai
    ((origin, reason, rows),) = [(d.origin, d.reason, d.rows) for d in loaded.dropped]
    assert (origin, rows) == ("订单导出.csv", 1)
    assert reason.startswith("totals row at the end of the orders file")


def test_total_row_of_an_english_tsv():
    loaded = load("orders_english.tsv")
    orders = loaded.frames["orders"].collect()
    assert orders["amount"].to_list() == [100.0, 50.0]
    assert orders["customer_id"].to_list() == ["c1", "c2"]
    assert [d.rows for d in loaded.dropped] == [1]


def test_a_totals_row_inside_the_file_is_refused_with_its_row(tmp_path):
    (tmp_path / "o.csv").write_text(
        "order_id,at,amount,member_id\nA1,2026-10-01,5,m\n小计,,5,\nA2,2026-10-02,7,m\n"
    )
    loaded = load_source(SPEC, {"path": "o.csv"}, base_dir=tmp_path)
    assert loaded.dropped == []
    bad = [str(p) for p in loaded.problems if p.column == "amount"]
    assert len(bad) == 1 and bad[0].startswith("o.csv row 3, column amount: '5 (a 合计/Total")


def test_table_forced_and_user_columns_with_path(tmp_path):
    (tmp_path / "x.csv").write_text("单据,时间,实收,买家\nR1,2026-10-01 10:00,12.5,b1\n")
    options = {"path": "x.csv", "table": "orders"}
    options["columns"] = {"orders": {"单据": "order_id", "时间": "at", "实收": "amount"}}
    got = check_source(SPEC, options, base_dir=tmp_path)["orders"]
    row = got.row(0, named=True)
    assert (row["order_id"], row["amount"], row["customer_id"]) == ("R1", 12.5, "b1")  # 买家
    assert got["at"][0] == datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
    # the user's mapping also makes the table recognisable without table = …
    del options["table"]
    assert check_source(SPEC, options, base_dir=tmp_path)["orders"]["amount"].to_list() == [12.5]


def test_unrecognised_path_is_one_line_data_error(tmp_path):
    with pytest.raises(DataError) as exc:
        load_source(SPEC, {"path": "收款流水.csv"}, base_dir=DATA)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(
        "收款流水.csv: the headers (流水号, 交易时间, 实收金额, 买家) make no canonical table "
        '(closest: orders, no header for order_id); set table = "orders"'
    )


def test_not_a_table_name():
    with pytest.raises(DataError, match="'sales' is not a table"):
        load("订单导出.csv", table="sales")


# -- the hint -----------------------------------------------------------------------------


def test_hint_lists_headers_and_a_snippet_that_is_valid_toml():
    text = hint(DATA / "收款流水.csv")
    first, *rest = text.splitlines()
    assert first == (
        "files: headers found in 收款流水.csv: 流水号, 交易时间, 实收金额, 买家; closest "
        "canonical table: orders (no header for order_id), which needs order_id, at, amount"
    )
    snippet = "\n".join(rest[rest.index("[[sources]]") :])
    (source,) = tomllib.loads(snippet)["sources"]
    assert source["type"] == "files"
    assert source["orders"] == str(DATA / "收款流水.csv")
    assert source["columns"] == {
        "orders": {"买家": "customer_id", "实收金额": "amount", "交易时间": "at"}
    }
    assert '"交易时间" = "at"   # guessed: check it' in rest
    assert '# "<your header>" = "order_id"   # required' in rest
    assert '# "流水号" = "…"' in rest


@pytest.mark.parametrize(
    "first",
    [
        "00004 0001 19970101  2   29.33",  # the CDNOW sample: space-separated, no header
        "1001,2024-10-04 11:42,99.00",
        "1001;45567.5;1.234,50",
    ],
)
def test_hint_says_a_file_without_a_header_row_starts_with_data(tmp_path, first):
    p = tmp_path / "export.txt"
    p.write_text(f"{first}\n{first}\n", encoding="utf-8")
    text = hint(p)
    assert text.startswith("files: the first line of export.txt (")
    assert "is data, not a header row; add a first line naming each column" in text
    assert "closest canonical table" not in text and "\n" not in text


def test_hint_only_for_tables():
    assert hint(REPO_DATA / "telegram") is None
    assert hint(DATA / "README.md") is None


# -- reading robustness -----------------------------------------------------------------


def test_duplicate_header_names_both_columns():
    with pytest.raises(DataError) as exc:
        load("orders_duplicate_header.csv")
    assert str(exc.value) == (
        "orders_duplicate_header.csv: header 'amount' appears twice (columns 3 and 5); rename one"
    )


def test_duplicate_header_in_xlsx(tmp_path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(tmp_path / "o.xlsx")
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["订单号", "实付金额", "下单时间", "会员ID", "实付金额"])
    ws.write_row(1, 0, ["A1", "10", "2026-10-01", "m1", "12"])
    wb.close()
    with pytest.raises(DataError, match=r"header '实付金额' appears twice \(columns 2 and 5\)"):
        load_source(SPEC, {"orders": "o.xlsx"}, base_dir=tmp_path)


def test_semicolons_and_decimal_commas():
    loaded = load("orders_semicolon.csv")
    assert loaded.problems == []
    orders = loaded.frames["orders"].collect()
    assert orders["order_id"].to_list() == ["E1", "E2", "E3", "E4"]
    # 1.234,50 / 12,5 / 2.000 (thousands, as the file writes numbers) / 7
    assert orders["amount"].to_list() == [1234.5, 12.5, 2000.0, 7.0]


def test_mixed_decimal_styles_are_refused_with_the_row():
    loaded = load("orders_mixed_decimals.csv")
    got = {(p.row, p.column): p.message for p in loaded.problems}
    assert sorted(got) == [(3, "amount"), (4, "amount")]  # 1.234,50 and the ambiguous 1,299
    assert got[(3, "amount")].startswith("'1.234,50 (this file writes numbers both as")
    assert "write every number one way" in got[(4, "amount")]
    orders = loaded.frames["orders"].collect()
    assert orders.filter(pl.col("order_id") == "M1")["amount"].item() == 1234.5
    assert orders.filter(pl.col("order_id") == "M4")["amount"].item() == 59.9


def test_excel_serial_dates_in_csv():
    orders = check_source(SPEC, {"path": "orders_excel_serial.csv"}, base_dir=DATA)["orders"]
    assert orders["at"].to_list() == [
        datetime(2024, 10, 2, 12, 0, tzinfo=UTC),  # 45567.5 = 2024-10-02 12:00
        datetime(2024, 10, 1, 0, 0, tzinfo=UTC),  # 45566
        datetime(2026, 10, 5, 8, 0, tzinfo=UTC),
    ]


def test_excel_serial_dates_in_xlsx(tmp_path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(tmp_path / "costs.xlsx")
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["日期", "费用类别", "金额"])
    ws.write_row(1, 0, [45931, "广告费", 300])  # 2025-10-01, a number cell
    ws.write_row(2, 0, ["2026-10-02", "人工", "1.500,00"])
    ws.write_row(3, 0, [45933.25, "工具", "99,5"])
    wb.close()
    costs = check_source(SPEC, {"path": "costs.xlsx"}, base_dir=tmp_path)["costs"]
    assert costs["incurred_on"].cast(pl.String).to_list() == [
        "2025-10-01",
        "2026-10-02",
        "2025-10-03",
    ]
    assert costs["category"].to_list() == ["ads", "labour", "tools"]
    assert costs["amount"].to_list() == [300.0, 1500.0, 99.5]


def test_bad_ndjson_line_names_the_line():
    with pytest.raises(DataError) as exc:
        load("activities_bad_line.ndjson")
    assert str(exc.value).startswith(
        'activities_bad_line.ndjson line 4: not a JSON object (\'{"member_id": "m3"'
    )
    assert "fix or remove line 4" in str(exc.value)


def test_good_ndjson_loads():
    acts = check_source(SPEC, {"path": "activities.ndjson"}, base_dir=DATA)["activities"]
    assert acts["kind"].to_list() == ["message", "reply"]
    assert acts["platform"].to_list() == ["files", "files"]
    assert acts["at"][1] == datetime(2026, 10, 1, 1, 5, tzinfo=UTC)


def test_detect_is_false_for_what_it_cannot_read(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\xff\xfe\x00garbage")
    assert detect(tmp_path / "x.csv") is False
    assert detect(tmp_path / "missing.csv") is False
    assert files.detect(REPO_DATA / "telegram") is False


# -- communityroi validate FILE ---------------------------------------------------------


def test_validate_recognises_chinese_orders_csv():
    result = CliRunner().invoke(main, ["validate", str(DATA / "订单导出.csv")])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())  # rich wraps long lines
    assert "looks like a files export (orders table by headers (订单编号 → order_id," in flat
    assert "│ orders │ 3 │ 2026-10-01 09:30 │ 2026-10-03 08:00 │" in flat  # 合计 row dropped
    assert "totals row at the end of the orders file" in flat


def test_validate_unrecognised_csv_prints_headers_and_snippet():
    result = CliRunner().invoke(main, ["validate", str(DATA / "收款流水.csv")])
    assert result.exit_code != 0
    text = result.output
    assert "not a recognised export" in text
    assert "流水号, 交易时间, 实收金额, 买家" in text
    assert "[[sources]]" in text and '"实收金额" = "amount"' in text
