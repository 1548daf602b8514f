"""Shop exports through presets (issue 18 part 1), against hand-written fixtures in each
platform's shape (tests/data/presets/). Expected values are counted by hand:

天猫 订单报表 (tmall_订单报表.csv, GB18030, the full 42-column header, some names with a
trailing space). 买家实际支付金额 is already net of 退款金额:

| order …567x | 订单状态 | 付款时间 | 总金额 | 实际支付 | 退款 | → status, amount, refund |
|---|---|---|---|---|---|---|
| 67 tb_小明 | 交易成功 | set | 120 | 120 | 0 | paid 120 |
| 68 tb_阿花 | 等待买家付款 | — | 80 | 0 | 0 | pending |
| 69 tb_老王 | 交易关闭 | — | 45 | 0 | 0 | cancelled |
| 70 tb_阿花 | 交易关闭 | set | 200 | 0 | 200 | refunded 200 / 200 |
| 71 tb_老王 | 交易成功 | set | 300 | 250 | 50 | paid 300, refund 50 → 250 |
| 72 tb_小明 | 卖家已发货，等待买家确认 | set | 99.50 | 99.50 | 0 | paid 99.50 |
| 73 tb_小红 | 买家已付款，等待卖家发货 | set | 58 | 58 | 0 | paid 58 |

Paid orders 4; net paid 120 + 250 + 99.50 + 58 = 527.50 (naively summing 总金额 over every
order would say 902.50; summing 实际支付 and subtracting 退款 again would say 477.50).

The public extract's shape (tmall_order_report.csv, UTF-8 BOM, 7 columns, the header's
trailing spaces; rows made up): orders 101 and 103 have no 订单付款时间 (pending); 102 and
104 paid 88 and 120.50; 105 refunded 45.90 in full; 106: 总金额 260, 141.60 refunded, so
买家实际支付金额 118.40. Paid 3, net 88 + 120.50 + 118.40 = 326.90 (subtracting the refund
again would say 185.30).

抖店 (douyin_订单导出.csv, UTF-8 BOM, tab-guarded ids, "-" empties): 8 sub-order rows, 6
orders. …001: 29.90 + 49.90 (the second 退款成功) → paid 79.80, refund 49.90; …002 paid
20; …003 待支付 → pending; …004 已关闭 + 退款成功 → refunded 88; …005 已关闭 unpaid →
cancelled; …006: a closed unpaid 10.00 row and a shipped 30.00 row → paid 30. Paid 3, net
29.90 + 20 + 30 = 79.90; 2 rows rolled up.

有赞 订单维度 (youzan_订单维度.csv, 分销员 twice): paid 100 and 200 (30 refunded) → 2 paid,
net 270; 待付款 pending; 交易关闭 + 全额退款 60 → refunded; 交易关闭 unpaid → cancelled.
微店: paid 150 and 45.50 (5.50 refunded) → net 190. 小鹅通: paid 199 and 299 → 498.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from communityroi import DataError
from communityroi.testing import check_source, load_source
from core.cli import main
from plugins.sources import preset
from plugins.sources._files_recognise import headers_of
from plugins.sources._preset_spec import all_presets, best_fit, fit

DATA = Path(__file__).parent / "data" / "presets"
SPEC = preset.communityroi_sources()[0]


def sha(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def load(path: str, **options) -> dict[str, pl.DataFrame]:
    return check_source(SPEC, {"path": path, **options}, base_dir=DATA, timezone="UTC")


def summary(orders: pl.DataFrame) -> dict[str, tuple[int, float]]:
    net = pl.col("amount") - pl.col("refunded_amount").fill_null(0)
    rows = orders.group_by("status").agg(pl.len(), net.sum().round(2)).iter_rows()
    return {s: (n, v) for s, n, v in rows}


def test_tmall_report_paid_unpaid_refunded():
    orders = load("tmall_订单报表.csv")["orders"].sort("order_id")
    status = dict(zip(orders["order_id"].str.slice(-2), orders["status"], strict=True))
    assert status == {
        "67": "paid", "68": "pending", "69": "cancelled", "70": "refunded",
        "71": "paid", "72": "paid", "73": "paid",
    }  # fmt: skip
    assert summary(orders)["paid"] == (4, 527.50)
    partial = orders.filter(pl.col("order_id").str.ends_with("71")).row(0, named=True)
    assert (partial["amount"], partial["refunded_amount"]) == (300.0, 50.0)  # not 250 − 50
    full = orders.filter(pl.col("order_id").str.ends_with("70")).row(0, named=True)
    assert (full["amount"], full["refunded_amount"]) == (200.0, 200.0)
    assert orders["product"][0] == "秋季新款 茶具套装"
    # placed at Beijing time: 2026-10-02 09:15 +08:00 is 01:15 UTC
    assert orders["at"][0].isoformat() == "2026-10-02T01:15:00+00:00"


def test_tmall_buyers_and_phones_are_hashed_never_kept():
    orders = load("tmall_订单报表.csv")["orders"].sort("order_id")
    ids = orders["customer_id"].to_list()
    assert ids[0] == ids[5] == "taobao:" + sha("tb_小明")  # the same buyer twice
    assert ids[1] == ids[3] == "taobao:" + sha("tb_阿花")
    assert len(set(ids)) == 4
    # 138****1234 is masked (no identity); 13800138000 is a phone: E.164 with +86
    assert orders["phone_hash"].to_list()[0] is None
    assert orders["phone_hash"].to_list()[3] == sha("+8613800138000")
    text = orders.select(pl.all().cast(pl.String)).write_csv()
    assert "tb_" not in text and "13800138000" not in text


def test_tmall_public_extract_refund_not_subtracted_twice():
    orders = load("tmall_order_report.csv")["orders"].sort("order_id")
    assert orders["status"].to_list() == [
        "pending", "paid", "pending", "paid", "refunded", "paid",
    ]  # fmt: skip
    assert summary(orders)["paid"] == (3, 326.90)
    last = orders.row(5, named=True)
    assert (last["amount"], last["refunded_amount"]) == (260.0, 141.6)
    assert orders["customer_id"][0] == "guest:taobao:101"  # the extract has no buyer column


def test_douyin_sub_orders_roll_up():
    loaded = load_source(SPEC, {"path": "douyin_订单导出.csv"}, base_dir=DATA)
    orders = loaded.frames["orders"].collect().sort("order_id")
    assert orders["order_id"].to_list() == [f"691700000000000000{i}" for i in range(1, 7)]
    assert orders["status"].to_list() == [
        "paid", "paid", "pending", "refunded", "cancelled", "paid",
    ]  # fmt: skip
    first = orders.row(0, named=True)
    assert (first["amount"], first["refunded_amount"]) == (79.80, 49.90)
    assert orders["amount"][5] == 30.0  # the closed, unpaid sub-order is not counted
    assert summary(orders)["paid"] == (3, 79.90)
    assert [(d.reason.startswith("sub-order rows"), d.rows) for d in loaded.dropped] == [(True, 2)]
    assert orders["phone_hash"].null_count() == 6  # 收件人手机号 is encrypted ($$密文)
    assert orders["customer_id"][0] == "guest:douyin:6917000000000000001"


def test_youzan_duplicate_unused_header_and_phone_customers():
    orders = load("youzan_订单维度.csv")["orders"].sort("order_id")
    assert orders["status"].to_list() == ["paid", "pending", "refunded", "paid", "cancelled"]
    assert summary(orders)["paid"] == (2, 270.0)
    key = "phone:" + sha("+8613800138000")
    assert orders["customer_id"][0] == orders["customer_id"][3] == key
    assert orders["customer_id"][4] == "guest:youzan:E20261006140000005"


@pytest.mark.parametrize(
    ("name", "paid", "net"),
    [("weidian_订单.csv", 2, 190.0), ("xiaoe_订单.csv", 2, 498.0)],
)
def test_unconfirmed_order_presets(name, paid, net):
    orders = load(name)["orders"]
    assert summary(orders)["paid"] == (paid, net)
    assert orders.filter(pl.col("status") == "refunded").height == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tmall_订单报表.csv", "tmall"),
        ("tmall_order_report.csv", "tmall"),
        ("douyin_订单导出.csv", "douyin"),
        ("youzan_订单维度.csv", "youzan"),
        ("weidian_订单.csv", "weidian"),
        ("xiaoe_订单.csv", "xiaoe"),
        ("zsxq_成员付费.csv", "zsxq"),
        ("xiaoe_会员开通.csv", "xiaoe_membership"),
    ],
)
def test_header_row_alone_picks_the_preset(name, expected):
    got = best_fit(headers_of(DATA / name), all_presets())
    assert got is not None and got.preset.name == expected


def test_plain_order_files_are_left_to_the_files_source(tmp_path):
    plain = tmp_path / "orders.csv"
    plain.write_text("订单编号,下单时间,实付金额,会员ID\nA1,2026-10-01,10,m1\n", encoding="utf-8")
    assert best_fit(headers_of(plain), all_presets()) is None
    # an unconfirmed preset needs its whole row: 微店 without 退款金额 is not claimed
    rows = (DATA / "weidian_订单.csv").read_bytes().decode("gb18030").splitlines()
    cut = [",".join(c for i, c in enumerate(r.split(",")) if i != 8) for r in rows]
    short = tmp_path / "w.csv"
    short.write_text("\n".join(cut), encoding="utf-8")
    assert best_fit(headers_of(short), all_presets()) is None


def test_validate_json_reports_preset_paid_and_net():
    res = CliRunner().invoke(main, ["validate", str(DATA / "tmall_订单报表.csv"), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["sources"][0]["options"] == {"preset": "tmall"}
    assert doc["sources"][0]["detected_by"].startswith("preset tmall: 天猫/淘宝 订单报表")
    assert (doc["tables"]["orders"]["paid"], doc["tables"]["orders"]["paid_amount"]) == (4, 527.5)


def test_validate_names_the_preset_in_words():
    res = CliRunner().invoke(main, ["validate", str(DATA / "douyin_订单导出.csv")])
    assert res.exit_code == 0, res.output
    assert "preset douyin: 抖店 订单导出" in res.stdout
    assert "3 paid, 79.90 CNY" in res.stdout


def test_unknown_status_word_names_row_and_column(tmp_path):
    text = (DATA / "youzan_订单维度.csv").read_text(encoding="utf-8")
    (tmp_path / "y.csv").write_text(text.replace("待付款", "拼团中"), encoding="utf-8")
    with pytest.raises(DataError, match=r"y\.csv row 3, column 订单状态: '拼团中': status word"):
        check_source(SPEC, {"path": "y.csv"}, base_dir=tmp_path)


USER_PRESET = """
name = "myshop"
title = "自建商城 订单"
platform = "myshop"
[columns]
order_id = ["单号"]
buyer = ["会员"]
placed_at = ["时间"]
amount = ["实收"]
status = ["状态"]
[status]
"成功" = "paid"
"退了" = "refunded"
"""


def test_a_users_own_preset_from_the_config_and_from_the_user_folder(tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "myshop.toml").write_text(USER_PRESET, encoding="utf-8")
    (tmp_path / "o.csv").write_text(
        "单号,会员,时间,实收,状态\n"
        "S1,v1,2026-10-01 10:00,10.5,成功\n"
        "S2,v2,2026-10-02 10:00,8,退了\n",
        encoding="utf-8",
    )
    got = check_source(SPEC, {"path": "o.csv", "presets": ["mine"]}, base_dir=tmp_path)["orders"]
    assert got["status"].to_list() == ["paid", "refunded"]
    assert got["customer_id"][0] == "myshop:" + sha("v1")
    # the user folder: $XDG_CONFIG_HOME/communityroi/presets
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    folder = tmp_path / "cfg" / "communityroi" / "presets"
    folder.mkdir(parents=True)
    (folder / "myshop.toml").write_text(USER_PRESET, encoding="utf-8")
    assert best_fit(headers_of(tmp_path / "o.csv"), all_presets()).preset.name == "myshop"


def test_a_broken_preset_says_what_is_wrong(tmp_path):
    (tmp_path / "bad.toml").write_text(USER_PRESET.replace('buyer = ["会员"]', 'who = ["会员"]'))
    (tmp_path / "o.csv").write_text("单号\n1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.toml: 'who' is not a role of orders presets"):
        check_source(SPEC, {"path": "o.csv", "presets": ["bad.toml"]}, base_dir=tmp_path)
    (tmp_path / "bad.toml").write_text(USER_PRESET.replace('"paid"', '"ok"'))
    with pytest.raises(DataError, match=r"status.*maps to one of paid"):
        check_source(SPEC, {"path": "o.csv", "presets": ["bad.toml"]}, base_dir=tmp_path)


def test_every_builtin_preset_documents_its_header_row_and_sources():
    for p in all_presets().values():
        assert p.header and p.sources, p.name
        assert fit(p.header, p).ok, p.name  # its own documented row fits it


def test_zsxq_memberships_give_fees_members_and_renewals():
    got = load("zsxq_成员付费.csv")
    orders, members, acts = got["orders"], got["members"], got["activities"]
    assert orders.height == 6 and set(orders["status"]) == {"paid"}
    assert set(orders["product"]) == {"增长实验室"}
    first = orders.sort("order_id").row(0, named=True)
    assert first["expires_at"].isoformat() == "2026-01-10T01:00:00+00:00"  # 09:00 Beijing
    assert first["customer_id"] == "zsxq:" + sha("48512121")
    m = members.sort("joined_at")
    assert m["member_id"].to_list() == [
        "zsxq:" + sha(u) for u in ("48512121", "48512122", "48512123", "48512124")
    ]
    assert m["left_at"][0].isoformat() == "2027-01-10T01:00:00+00:00"  # the last paid expiry
    assert (m["customer_id"] == m["member_id"]).all()
    assert sorted(acts["kind"].to_list()) == ["renew", "renew"]


def test_xiaoe_membership_refunded_fee_is_no_stay():
    got = load("xiaoe_会员开通.csv")
    assert summary(got["orders"])["paid"] == (3, 1058.5)
    assert got["members"].height == 2  # u_aa03 was refunded in full
    assert got["members"]["phone_hash"].to_list().count(sha("+8613500135000")) == 1


def test_an_xlsx_download_reads_like_the_csv(tmp_path):
    text = (DATA / "tmall_订单报表.csv").read_bytes().decode("gb18030")
    sheet = pl.read_csv(text.encode(), infer_schema=False)
    sheet.write_excel(tmp_path / "ExportOrderList.xlsx", worksheet="订单报表")
    assert best_fit(headers_of(tmp_path / "ExportOrderList.xlsx"), all_presets()).preset.name == (
        "tmall"
    )
    orders = check_source(SPEC, {"path": "ExportOrderList.xlsx"}, base_dir=tmp_path)["orders"]
    assert summary(orders)["paid"] == (4, 527.50)


def test_a_broken_user_preset_is_named_when_validate_finds_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    folder = tmp_path / "cfg" / "communityroi" / "presets"
    folder.mkdir(parents=True)
    (folder / "oops.toml").write_text("name = 'oops'\n", encoding="utf-8")
    (tmp_path / "x.csv").write_text("单号,时间\n1,2026-10-01\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "x.csv")])
    assert res.exit_code != 0
    assert "oops.toml" in res.output and "title" in res.output


def test_plain_files_name_product_and_expiry_too(tmp_path):
    from plugins.sources import files

    (tmp_path / "fees.csv").write_text(
        "订单号,客户ID,下单时间,实付金额,商品名称,到期时间\n"
        "F1,c1,2026-10-01 10:00,199,读书会星球,2027-10-01 10:00\n",
        encoding="utf-8",
    )
    spec = files.communityroi_sources()[0]
    got = check_source(spec, {"path": "fees.csv"}, base_dir=tmp_path)["orders"].row(0, named=True)
    assert got["product"] == "读书会星球"
    assert got["expires_at"].isoformat() == "2027-10-01T10:00:00+00:00"


def test_a_unionid_column_keys_the_customer_as_wecom_does(tmp_path):
    (tmp_path / "p.toml").write_text(
        USER_PRESET.replace('buyer = ["会员"]', 'buyer = ["会员"]\nunionid = ["unionid"]'),
        encoding="utf-8",
    )
    (tmp_path / "o.csv").write_text(
        "单号,会员,unionid,时间,实收,状态\n"
        "S1,v1,oUNION1,2026-10-01 10:00,10,成功\n"
        "S2,v2,,2026-10-02 10:00,8,成功\n",
        encoding="utf-8",
    )
    got = check_source(SPEC, {"path": "o.csv", "presets": ["p.toml"]}, base_dir=tmp_path)
    assert got["orders"]["customer_id"].to_list() == ["oUNION1", "myshop:" + sha("v2")]


def test_an_unpaid_membership_fee_needs_no_payment_time(tmp_path):
    # a 待付款 row as the admin lists it: no 支付时间, no 到期时间 (review of issue 18: it
    # stopped the load with "empty payment time")
    text = (DATA / "xiaoe_会员开通.csv").read_text(encoding="utf-8")
    text += "o_m_0005,u_aa05,会员丁,,年度会员,2026-02-05 10:00:00,,,365.00,0.00,待付款\n"
    (tmp_path / "m.csv").write_text(text, encoding="utf-8")
    got = check_source(SPEC, {"path": "m.csv"}, base_dir=tmp_path, timezone="UTC")
    assert summary(got["orders"])["paid"] == (3, 1058.5)  # unchanged
    pending = got["orders"].filter(pl.col("status") == "pending").row(0, named=True)
    assert pending["order_id"] == "o_m_0005" and pending["paid_at"] is None
    assert pending["at"].isoformat() == "2026-02-05T02:00:00+00:00"  # its join time
    assert got["members"].height == 2  # no membership for an unpaid fee
    # a paid fee without its payment time is still an error naming row and column
    (tmp_path / "m.csv").write_text(text.replace(",待付款", ",已支付"), encoding="utf-8")
    with pytest.raises(DataError, match=r"m\.csv row 6, column 支付时间: empty payment time"):
        check_source(SPEC, {"path": "m.csv"}, base_dir=tmp_path)


def test_masked_buyers_guarded_ids_and_money_signs(tmp_path):
    (tmp_path / "p.toml").write_text(USER_PRESET, encoding="utf-8")
    (tmp_path / "o.csv").write_text(
        "单号,会员,时间,实收,状态\n"
        '"=""0012""",t**1,2026-10-01 10:00,"¥1,280.50",成功\n'
        "'0013,t**1,2026-10-02 10:00,99元,成功\n"
        "0014,v3,2026-10-03 10:00,￥8.00,成功\n",
        encoding="utf-8",
    )
    got = check_source(SPEC, {"path": "o.csv", "presets": ["p.toml"]}, base_dir=tmp_path)
    orders = got["orders"].sort("order_id")
    assert orders["order_id"].to_list() == ["0012", "0013", "0014"]  # leading zeros kept
    assert orders["amount"].to_list() == [1280.5, 99.0, 8.0]
    # a masked buyer (t**1) is no identity: two one-off guests, not one merged buyer
    assert orders["customer_id"].to_list() == [
        "guest:myshop:0012", "guest:myshop:0013", "myshop:" + sha("v3"),
    ]  # fmt: skip


def test_a_header_the_preset_reads_twice_is_an_error(tmp_path):
    (tmp_path / "p.toml").write_text(USER_PRESET, encoding="utf-8")
    (tmp_path / "o.csv").write_text(
        "单号,会员,时间,实收,状态,实收\nS1,v1,2026-10-01 10:00,10,成功,12\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"o\.csv: header '实收' \(amount\) appears 2 times"):
        check_source(SPEC, {"path": "o.csv", "presets": ["p.toml"]}, base_dir=tmp_path)


def test_a_bad_time_names_the_exports_header(tmp_path):
    text = (DATA / "youzan_订单维度.csv").read_text(encoding="utf-8")
    (tmp_path / "y.csv").write_text(text.replace("2026-10-05 13:02:00", "10月5日"), "utf-8")
    match = r"y\.csv row 5, column 买家付款时间: '10月5日': not a time"
    with pytest.raises(DataError, match=match):
        check_source(SPEC, {"path": "y.csv"}, base_dir=tmp_path)


def test_a_file_name_with_brackets_is_the_file_not_a_glob(tmp_path):
    # browsers and 千牛 downloads name copies '订单报表[1].csv'; validate found the preset
    # and then the load said "no such file"
    (tmp_path / "订单报表[1].csv").write_bytes((DATA / "tmall_订单报表.csv").read_bytes())
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "订单报表[1].csv"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["tables"]["orders"]["paid"] == 4


def test_a_repeated_order_in_a_one_row_per_order_export_is_reported_as_such(tmp_path):
    # the same 天猫 order twice (two exports pasted together): counted once, and the report
    # says a row repeated an order — not that sub-orders were rolled up
    lines = (DATA / "tmall_订单报表.csv").read_bytes().decode("gb18030").splitlines()
    (tmp_path / "t.csv").write_bytes("\n".join([*lines, lines[5]]).encode("gb18030"))
    loaded = load_source(SPEC, {"path": "t.csv"}, base_dir=tmp_path)
    assert summary(loaded.frames["orders"].collect())["paid"] == (4, 527.50)
    assert [(d.reason, d.rows) for d in loaded.dropped] == [
        ("rows repeating an order id merged into one order (the first one counts)", 1)
    ]
