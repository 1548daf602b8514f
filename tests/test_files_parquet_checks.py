"""Parquet through the files source (issue 17): a clean file skips the trailing-blank and
totals plans (they held the whole file and turned every amount into text), and a file
that has trailing blank rows or totals rows gets exactly what a CSV would: the rows
dropped and reported, an inner totals row refused with its row number."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from communityroi.testing import load_source
from plugins.sources.files import communityroi_sources

(SPEC,) = communityroi_sources()
AT = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def _orders(tmp_path, rows: list[dict]):
    frame = pl.DataFrame(
        rows,
        schema={"order_id": pl.String, "member_id": pl.String, "at": pl.Datetime("us", "UTC"),
                "amount": pl.Float64},
    )  # fmt: skip
    frame.write_parquet(tmp_path / "orders.parquet")
    return load_source(SPEC, {"orders": "orders.parquet"}, base_dir=tmp_path)


def _row(order_id, member_id="m1", amount=10.0, at=AT):
    return {"order_id": order_id, "member_id": member_id, "at": at, "amount": amount}


def test_clean_parquet_loads_every_row_with_no_drop(tmp_path):
    loaded = _orders(tmp_path, [_row("o1"), _row("o2", amount=0.1 + 0.2)])
    assert loaded.problems == [] and loaded.dropped == []
    got = loaded.frames["orders"].collect()
    assert got["order_id"].to_list() == ["o1", "o2"]
    assert got["amount"].to_list() == [10.0, 0.1 + 0.2]  # no round trip through text


def test_trailing_blank_rows_of_a_parquet_file_are_dropped_and_reported(tmp_path):
    blank = {"order_id": None, "member_id": None, "at": None, "amount": None}
    loaded = _orders(tmp_path, [_row("o1"), blank, _row("o2"), blank, blank])
    assert [(d.reason, d.rows) for d in loaded.dropped] == [("empty row at the end of the file", 2)]
    got = loaded.frames["orders"]
    # the blank row in between stays, so the boundary names it
    assert loaded.problems and {p.row for p in loaded.problems} == {2}
    assert got.collect().height == 3


def test_totals_rows_of_a_parquet_orders_file(tmp_path):
    loaded = _orders(
        tmp_path,
        [_row("o1"), _row("合计", None, 5.0), _row("o2"), _row("Total", None, 25.0)],
    )
    ((reason, rows),) = [(d.reason, d.rows) for d in loaded.dropped]
    assert reason.startswith("totals row at the end of the orders file") and rows == 1
    # the totals row inside the file is refused with its row, not counted as an order
    amount = [p for p in loaded.problems if p.column == "amount"]
    assert [p.row for p in amount] == [2]
    assert "合计/Total row inside the file" in amount[0].message
