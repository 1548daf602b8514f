"""How long a shop export takes through its preset: 天猫 订单报表 (one row per order) and
抖店 (one row per sub-order, rolled up), from the file to conformed orders.

    python bench/bench_presets.py [orders] [workdir]

Writes a 天猫-shaped CSV in GB18030 (the full 42-column header, statuses cycling through
paid / pending / closed / refunded) and a 抖店-shaped CSV in UTF-8 with BOM (two sub-orders
per order, tab-guarded ids), then times ``communityroi.testing.load_source`` (detect the
preset from the header row is separate: timed as ``fit``) + one collect of the orders, in
this process. Prints one line per case: rows, orders, paid, seconds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from communityroi.testing import load_source
from plugins.sources import preset
from plugins.sources._files_recognise import headers_of
from plugins.sources._preset_spec import all_presets, best_fit

TMALL = [
    "订单编号", "买家会员名", "买家支付宝账号", "支付交易号", "买家应付货款", "买家应付邮费",
    "买家支付积分", "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态",
    "买家留言", "收货人姓名", "收货地址", "运送方式", "联系电话", "联系手机", "订单创建时间",
    "订单付款时间", "宝贝标题", "宝贝种类", "物流单号", "物流公司", "订单备注", "宝贝总数量",
    "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单",
    "分阶段订单信息", "定金排名", "修改后的sku", "修改后的收货地址", "异常信息", "天猫卡券抵扣",
    "集分宝抵扣", "是否是O2O交易", "退款金额",
]  # fmt: skip


def tmall(n: int, path: Path) -> None:
    i = pl.int_range(n)
    kind = i % 8  # 0–4 paid, 5 pending, 6 closed unpaid, 7 refunded in full
    paid = kind <= 4
    total = (i % 500 + 20).cast(pl.Float64)
    refund = pl.when(kind == 7).then(total).when(kind == 4).then(10.0).otherwise(0.0)
    cols = {h: pl.lit("") for h in TMALL}
    cols |= {
        "订单编号": pl.format("10{}", i + 1_000_000_000),
        "买家会员名": pl.format("tb_{}", i % (n // 3 + 1)),
        "总金额": total,
        "买家实际支付金额": pl.when(paid).then(total - refund).otherwise(0.0),
        "订单状态": pl.when(paid).then(pl.lit("交易成功"))
        .when(kind == 5).then(pl.lit("等待买家付款")).otherwise(pl.lit("交易关闭")),
        "订单创建时间": pl.lit("2026-10-02 09:15:00"),
        "订单付款时间": pl.when(paid | (kind == 7)).then(pl.lit("2026-10-02 09:16:00"))
        .otherwise(pl.lit("")),
        "宝贝标题": pl.lit("茶具套装"),
        "退款金额": refund,
    }  # fmt: skip
    frame = pl.select(**{h: e.cast(pl.String) for h, e in cols.items()})
    path.write_bytes(frame.write_csv(line_terminator="\r\n").encode("gb18030"))


def douyin(n: int, path: Path) -> None:
    i = pl.int_range(2 * n)
    order = i // 2
    frame = pl.select(
        pl.format("\t69{}", order + 10**15).alias("主订单编号"),
        pl.format("\t69{}", i + 10**15).alias("子订单编号"),
        pl.lit("玉肌皂").alias("选购商品"),
        (i % 50 + 9.9).round(2).cast(pl.String).alias("订单应付金额"),
        pl.lit("$$密文").alias("收件人手机号"),
        pl.lit("2026-10-02 10:00:00").alias("订单提交时间"),
        pl.when(order % 5 == 0).then(pl.lit("-")).otherwise(pl.lit("2026-10-02 10:00:30"))
        .alias("支付完成时间"),
        pl.when(order % 5 == 0).then(pl.lit("待支付")).otherwise(pl.lit("已完成"))
        .alias("订单状态"),
        pl.when(i % 7 == 0).then(pl.lit("退款成功")).otherwise(pl.lit("-")).alias("售后状态"),
    )  # fmt: skip
    path.write_bytes(b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"))


def run(path: Path) -> str:
    t0 = time.perf_counter()
    fit = best_fit(headers_of(path), all_presets())
    t1 = time.perf_counter()
    spec = preset.communityroi_sources()[0]
    loaded = load_source(spec, {"path": path.name}, base_dir=path.parent)
    got = loaded.frames["orders"].select(pl.len(), (pl.col("status") == "paid").sum()).collect()
    t2 = time.perf_counter()
    rows, paid = got.row(0)
    return (
        f"{path.name}: preset {fit.preset.name}, {rows:,} orders ({paid:,} paid); "
        f"fit {t1 - t0:.3f} s, load + conform + collect {t2 - t1:.2f} s"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp())
    for name, make in (("tmall_订单报表.csv", tmall), ("douyin_订单导出.csv", douyin)):
        path = work / name
        make(n, path)
        print(f"{name}: {path.stat().st_size / 1e6:.0f} MB written", flush=True)
        print(run(path), flush=True)


if __name__ == "__main__":
    main()
