"""plugins.sources._io: encodings found without being told, headers found by name."""

from __future__ import annotations

import codecs
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError, SourceFrame, SourceSpec
from communityroi.testing import check_source
from plugins.sources import _encoding, _io

TEXT = "订单号,下单时间,实付金额,会员ID,订单状态\r\n"
ROWS = [
    ("DD001", "2026-10-01 09:30:00", "¥1,299.00", "会员甲", "已支付"),
    ("DD002", "2026/10/02 21:15", "¥88.00", "会员乙", "已退款"),
    ("DD003", "2026-10-03 08:00:00", "￥2,001.50", "会员甲", "已支付"),
    ("DD004", "2026-10-04 12:00:00", "¥59.90", "会员丙", "待付款"),
]
BODY = "".join(",".join(f'"{v}"' if "," in v else v for v in r) + "\r\n" for r in ROWS)
MAP = {
    "order_id": "订单号",
    "at": "下单时间",
    "amount": "实付金额",
    "member_id": "会员ID",
    "status": "订单状态",
}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b""), ("gbk", b"")],
)
def test_same_content_in_every_encoding(tmp_path, encoding, prefix):
    body, rows = BODY, ROWS
    if encoding == "gbk":  # GBK has only the full-width yuan sign
        body = BODY.replace("¥", "￥")
        rows = [tuple(v.replace("¥", "￥") for v in r) for r in ROWS]
    p = write(tmp_path, f"o_{encoding}.csv", prefix + (TEXT + body).encode(encoding))
    df = _io.scan_csv(p, MAP).collect()
    assert df.columns == list(MAP)
    assert df.rows() == rows


def test_detect_encoding(tmp_path):
    data = (TEXT + BODY).encode
    assert _io.detect_encoding(write(tmp_path, "a.csv", data("utf-8"))) == "utf-8"
    assert _io.detect_encoding(write(tmp_path, "b.csv", b"\xef\xbb\xbf" + data("utf-8"))) == (
        "utf-8-sig"
    )
    assert _io.detect_encoding(write(tmp_path, "c.csv", data("gb18030"))) == "gb18030"
    assert _io.detect_encoding(write(tmp_path, "d.csv", data("utf-16"))) == "utf-16"


def test_utf16_with_bom_is_transcoded(tmp_path):
    p = write(tmp_path, "u16.csv", (TEXT + BODY).encode("utf-16"))
    assert _io.scan_csv(p, MAP).collect().height == 4


def test_gb18030_copy_is_made_once(tmp_path):
    p = write(tmp_path, "g.csv", (TEXT + BODY).encode("gb18030"))
    first = _io.utf8_copy(p)
    assert first != p and first.read_text(encoding="utf-8").startswith("订单号")
    assert _io.utf8_copy(p) == first
    utf8 = write(tmp_path, "u.csv", (TEXT + BODY).encode("utf-8"))
    assert _io.utf8_copy(utf8) == utf8


@pytest.mark.parametrize("chunk", [7, 1 << 20])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_undecodable_file_names_the_line(tmp_path, monkeypatch, chunk, encoding):
    monkeypatch.setattr(_encoding, "CHUNK", chunk)  # read in chunks of this size
    data = (TEXT + BODY).encode(encoding) + b"DD005,2026-10-05,1,\x80\xff,x\r\n"
    p = write(tmp_path, "bad.csv", data)
    with pytest.raises(DataError) as err:
        _io.scan_csv(p, MAP)
    msg = str(err.value)
    assert msg.startswith(f"{p}: line 6: the file is neither UTF-8 nor GB18030/GBK")
    assert "\n" not in msg


def test_explicit_wrong_encoding(tmp_path):
    p = write(tmp_path, "g.csv", (TEXT + BODY).encode("gb18030"))
    with pytest.raises(DataError, match="line 1: not valid UTF-8"):
        _io.scan_csv(p, MAP, encoding="utf-8")
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        _io.scan_csv(p, MAP, encoding="klingon")


def test_headers_by_name_not_position(tmp_path):
    # same data, columns in another order, headers with spaces and other case
    p = write(tmp_path, "r.csv", b" Amount ,ORDER_ID\r\n5,A\r\n")
    df = _io.scan_csv(p, {"order_id": "order_id", "amount": "amount"}).collect()
    assert df.select("order_id", "amount").rows() == [("A", "5")]


def test_unmapped_and_missing_headers(tmp_path):
    p = write(tmp_path, "h.csv", (TEXT + BODY).encode("gb18030"))
    with pytest.raises(DataError, match=r'column amount = "金额" is not in the file\'s header'):
        _io.scan_csv(p, {"amount": "金额"})
    with pytest.raises(DataError, match=r"required column order_id not found \(found: 订单号,"):
        _io.scan_csv(p, required=("order_id",))


def test_mapped_column_replaces_same_named_column(tmp_path):
    p = write(tmp_path, "m.csv", b"amount,paid\r\n1,2\r\n")
    df = _io.scan_csv(p, {"amount": "paid"}).collect()
    assert df.rows() == [("2",)]


def test_quoted_line_breaks_and_crlf(tmp_path):
    p = write(tmp_path, "q.csv", b'a,b\r\n1,"x\r\ny"\r\n2,z\r\n')
    df = _io.scan_csv(p).collect()
    assert df["a"].to_list() == ["1", "2"]
    assert df["b"][1] == "z"


def test_spreadsheet(tmp_path):
    import xlsxwriter

    p = tmp_path / "o.xlsx"
    wb = xlsxwriter.Workbook(p)
    ws = wb.add_worksheet("订单")
    ws.write_row(0, 0, ["订单号", "实付金额"])
    ws.write_row(1, 0, ["DD001", 1299.5])
    wb.close()
    df = _io.read_table(p, {"order_id": "订单号", "amount": "实付金额"}).collect()
    assert df.rows() == [("DD001", "1299.5")]


def test_chinese_orders_csv_through_the_boundary(tmp_path):
    """A GB18030 CSV with Chinese headers, ¥1,299.00 amounts and 已支付/已退款 statuses,
    mapped and conformed: paid 1,299.00 + 2,001.50 = 3,300.50 from 2 orders."""
    p = write(tmp_path, "订单.csv", (TEXT + BODY).encode("gb18030"))

    def load(_opts, _ctx):
        frame = _io.scan_csv(p, MAP).with_columns(_io.canonical_status("status"))
        return [SourceFrame("orders", frame, str(p))]

    spec = SourceSpec(name="t", description="t", load=load)
    orders = check_source(spec, None, timezone="Asia/Shanghai")["orders"]
    assert orders["status"].to_list() == ["paid", "refunded", "paid", "pending"]
    paid = orders.filter(pl.col("status") == "paid")
    assert paid["amount"].sum() == pytest.approx(3300.50)
    assert orders["amount"].to_list() == [1299.0, 88.0, 2001.5, 59.9]
    assert orders["at"][1] == datetime(2026, 10, 2, 13, 15, tzinfo=UTC)


def test_identifier_hashes_match_hashlib():
    def sha(s: str) -> str:
        return hashlib.sha256(s.encode()).hexdigest()

    df = pl.DataFrame(
        {
            "email": [" Alice@Example.COM ", "no-at-sign", None],
            "phone": ["+86 138-0013-8000", "13800138000", "(0086) 138 0013 8000"],
        }
    ).select(
        _io.email_hash("email").alias("e"),
        _io.phone_hash("phone").alias("p"),
        _io.phone_hash("phone", "86").alias("p86"),
    )
    assert df.row(0) == (sha("alice@example.com"), sha("+8613800138000"), sha("+8613800138000"))
    assert df.row(1) == (None, None, sha("+8613800138000"))
    assert df.row(2)[0] is None


# -- separators, duplicated headers, decimal commas, Excel serials, NDJSON lines ------------


def test_semicolon_separator_is_sniffed_in_gb18030(tmp_path):
    p = write(tmp_path, "eu.csv", '订单号;金额\r\nA1;"1.234,50"\r\n'.encode("gb18030"))
    assert _io.sniff_separator(p) == ";"
    assert _io.scan_csv(p, separator=None).collect().rows() == [("A1", "1.234,50")]
    # the default stays "," (other sources' behaviour is unchanged)
    assert _io.scan_csv(p).collect_schema().names() == ["订单号;金额"]


def test_separator_inside_quotes_does_not_count(tmp_path):
    p = write(tmp_path, "q.csv", b'"a;b;c",d\n1,2\n')
    assert _io.sniff_separator(p) == ","
    assert _io.header_names(p) == ["a;b;c", "d"]


def test_scan_csv_refuses_a_duplicated_header(tmp_path):
    p = write(tmp_path, "o.csv", b"order_id,Amount,at, amount\n1,5,2026-10-01,6\n")
    with pytest.raises(DataError) as exc:
        _io.scan_csv(p, origin="o.csv")
    assert str(exc.value) == "o.csv: header 'amount' appears twice (columns 2 and 4); rename one"
    # blank headers (trailing empty columns of a spreadsheet) are not duplicates
    q = write(tmp_path, "b.csv", b"order_id,amount,,\n1,5,,\n")
    assert _io.scan_csv(q).collect().row(0)[:2] == ("1", "5")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1.234,50", "12,5", "1.234", "7"], ["1234.50", "12.5", "1234", "7"]),
        (["¥1.299,00", "1.000.000"], ["1299.00", "1000000"]),
        (["¥1,299.00", "1,299", "59"], ["¥1,299.00", "1,299", "59"]),  # English: unchanged
        (["1,299", "2.000"], ["1,299", "2.000"]),  # only ambiguous values: unchanged
    ],
)
def test_decimal_commas(values, expected):
    frame = pl.LazyFrame({"amount": values, "note": values})
    got = _io.decimal_commas(frame, ["amount"]).collect()
    assert got["amount"].to_list() == expected
    assert got["note"].to_list() == values  # only the named columns


def test_mixed_decimal_styles_are_marked_not_guessed():
    frame = pl.LazyFrame({"amount": ["1,234.50", "7"], "budget": ["1.234,50", "1,299"]})
    got = _io.decimal_commas(frame, ["amount", "budget"]).collect()
    assert got["amount"].to_list() == ["1,234.50", "7"]
    assert got["budget"].to_list() == [
        "1.234,50" + _io.MIXED_DECIMALS,
        "1,299" + _io.MIXED_DECIMALS,
    ]


def test_excel_serial_dates():
    got = pl.select(
        _io.excel_serial_dates(pl.Series(["45567.5", "45566", "2026-10-01", "123", "99999"]))
    ).to_series()
    assert got.to_list() == [
        "2024-10-02 12:00:00",
        "2024-10-01 00:00:00",
        "2026-10-01",
        "123",
        "99999",  # outside 1954–2119: left for the boundary to refuse
    ]


def test_check_ndjson_names_the_bad_line(tmp_path):
    good = write(tmp_path, "g.ndjson", b'{"a": 1}\n\n{"a": 2}\n')
    _io.check_ndjson(good)
    bad = write(tmp_path, "b.ndjson", b'{"a": 1}\n\n[1, 2]\n{"a": 3}\n')
    with pytest.raises(DataError, match=r"^b\.ndjson line 3: not a JSON object \('\[1, 2\]…'\)"):
        _io.check_ndjson(bad, "b.ndjson")
