"""The boundary's one pass (issue 17): every check is a flag computed beside the
conformed values, and only a flagged frame runs the detailed problem queries.

A clean frame must flag nothing; each kind of check must flag its bad row and still be
reported with file, row and column; the person keys can be made Categorical in the
same pass."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from core.conform import conform
from core.loading import conform_frames
from core.schema import PERSON_KEY
from core.specs import SourceFrame

UTC = UTC


def _orders(**over) -> pl.LazyFrame:
    row = {
        "order_id": "o1",
        "member_id": "m1",
        "at": "2026-10-01 09:30",
        "amount": "10.5",
        "currency": "CNY",
        "status": "paid",
        "refunded_amount": "0",
    }
    return _text_frame([row, {**row, "order_id": "o2", **over}])


def _text_frame(rows: list[dict]) -> pl.LazyFrame:
    """Rows as a CSV gives them: every column text."""
    return pl.LazyFrame(rows, schema=dict.fromkeys(rows[0], pl.String))


def _flag(frame: pl.LazyFrame, table: str = "orders") -> bool:
    res = conform(frame, table, tz="Asia/Shanghai", currency="CNY")
    return res.flags.collect().item()


def test_clean_frame_flags_nothing():
    assert _flag(_orders()) is False


@pytest.mark.parametrize(
    "over",
    [
        {"at": "yesterday"},  # not a datetime
        {"at": " "},  # required and empty
        {"order_id": None},  # required and missing
        {"status": "lost"},  # not an allowed value
        {"currency": "XYZ"},  # no exchange rate
        {"amount": "-3"},  # negative amount
        {"refunded_amount": "-1"},  # negative refund
        {"refunded_amount": "11"},  # refund above the amount
        {"member_id": None},  # neither member_id nor customer_id
    ],
)
def test_each_check_flags_its_row(over):
    frame = _orders(**over)
    assert _flag(frame) is True
    loaded = conform_frames(
        [SourceFrame("orders", frame, origin="orders.csv")], tz="Asia/Shanghai", currency="CNY"
    )
    assert {p.row for p in loaded.problems} == {3}  # header is row 1, o2 is row 3
    assert all(p.origin == "orders.csv" for p in loaded.problems)


def test_typed_columns_skip_the_text_cast_and_stay_checked():
    """A typed timestamp never prints as empty text: null is the only empty value."""
    at = [datetime(2026, 10, 1, tzinfo=UTC), None]
    frame = pl.LazyFrame(
        {"member_id": ["m1", "m2"], "platform": ["wechat"] * 2, "at": at, "kind": ["message"] * 2}
    )
    loaded = conform_frames(
        [SourceFrame("activities", frame, origin="a.parquet")], tz="UTC", currency="CNY"
    )
    assert [(p.row, p.column) for p in loaded.problems] == [(3, "at")]
    assert _flag(frame.head(1), "activities") is False


def test_person_keys_made_categorical_in_the_same_pass():
    frame = _orders()
    loaded = conform_frames(
        [SourceFrame("orders", frame, origin="orders.csv")],
        tz="Asia/Shanghai",
        currency="CNY",
        person_keys=True,
    )
    schema = loaded.frames["orders"].collect_schema()
    assert schema["member_id"] == PERSON_KEY and schema["customer_id"] == PERSON_KEY
    assert schema["order_id"] == pl.String
    plain = conform_frames(
        [SourceFrame("orders", frame, origin="orders.csv")], tz="Asia/Shanghai", currency="CNY"
    )
    assert plain.frames["orders"].collect_schema()["member_id"] == pl.String
    assert loaded.frames["orders"].collect()["member_id"].cast(pl.String).to_list() == [
        "m1",
        "m1",
    ]


def test_text_trimmed_once_same_values_and_messages():
    """Text is trimmed, blank → null and cased in the conformed pass (one trim per column,
    issue 17); the detailed queries still name the source's own value."""
    spaced = _orders(member_id=" m2 ", status=" Paid ", currency=" cny", customer_id="  ")
    res = conform(spaced, "orders", tz="Asia/Shanghai", currency="CNY")
    assert res.flags.collect().item() is False
    row = res.frame.collect().row(1, named=True)
    assert (row["member_id"], row["status"], row["currency"], row["customer_id"]) == (
        "m2",
        "paid",
        "CNY",
        None,
    )
    bad = _orders(order_id="  ", status=" Lost ")
    loaded = conform_frames(
        [SourceFrame("orders", bad, origin="orders.csv")], tz="Asia/Shanghai", currency="CNY"
    )
    assert [str(p) for p in loaded.problems] == [
        "orders.csv row 3, column order_id: required value is empty; fill it in or drop the row",
        "orders.csv row 3, column status: ' Lost ' is not one of paid, refunded, pending, "
        "cancelled; use one of those (or map it)",
    ]


def _activities(**over) -> pl.LazyFrame:
    row = {
        "member_id": "m1",
        "platform": "wechat",
        "at": "2026-10-01 09:30",
        "kind": "message",
        "group_id": "G1",
        "target_member_id": "m2",
    }
    return _text_frame([row, {**row, "member_id": "m2", "target_member_id": None}, {**row, **over}])


def _load(frame: pl.LazyFrame, table: str, person_keys: bool):
    return conform_frames(
        [SourceFrame(table, frame, origin=f"{table}.csv")],
        tz="Asia/Shanghai",
        currency="CNY",
        person_keys=person_keys,
    )


def _as_text(loaded, table: str) -> pl.DataFrame:
    df = loaded.frames[table].collect()
    return df.with_columns(pl.col(pl.Categorical).cast(pl.String))


@pytest.mark.parametrize(
    ("over", "dirty", "problem"),
    [
        ({}, False, False),  # clean: keys and labels cast as they are
        ({"member_id": " m3 "}, True, False),  # padded person key
        ({"target_member_id": "  "}, True, False),  # blank person key → null
        ({"kind": "Message"}, True, False),  # a label compared lower-case
        ({"platform": " WeChat"}, True, False),
        ({"group_id": " G1"}, True, False),  # a label trimmed, its case kept
        ({"member_id": ""}, True, True),  # required and blank
        ({"platform": "  "}, True, True),
        ({"kind": "shout"}, False, False),  # a kind of its own, nothing to clean
    ],
)
def test_categorical_labels_checked_on_distinct_values_same_result(over, dirty, problem):
    """With the person keys Categorical, keys and labels are cast as the source has them
    and only their distinct values are checked; a value the boundary would trim, null or
    lower-case sends the part through the usual conforming. Either way the tables and the
    problems are exactly those of conforming first and casting after."""
    frame = _activities(**over)
    res = conform(frame, "activities", tz="Asia/Shanghai", currency="CNY", categorical=True)
    assert res.dirty.collect().item() is dirty
    fast, slow = _load(frame, "activities", True), _load(frame, "activities", False)
    assert fast.frames["activities"].collect_schema()["kind"] == pl.Categorical
    assert_frame_equal(_as_text(fast, "activities"), _as_text(slow, "activities"))
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert bool(fast.problems) is problem


def test_clean_values_are_cast_without_conforming_twice():
    frame = _activities()
    res = conform(frame, "activities", tz="UTC", currency="CNY", categorical=True)
    assert res.dirty.collect().item() is False
    schema = res.frame.collect_schema()
    assert schema["member_id"] == PERSON_KEY and schema["platform"] == pl.Categorical
    assert res.frame.collect()["group_id"].cast(pl.String).to_list() == ["G1"] * 3


def test_one_part_to_clean_of_two_reloads_its_table_only():
    parts = [
        SourceFrame("activities", _activities(), origin="a.csv"),
        SourceFrame("activities", _activities(member_id=" m9"), origin="b.csv"),
        SourceFrame("orders", _orders(), origin="orders.csv"),
    ]
    kw = {"tz": "UTC", "currency": "CNY"}
    fast, slow = conform_frames(parts, person_keys=True, **kw), conform_frames(parts, **kw)
    for table in ("activities", "orders"):
        assert_frame_equal(_as_text(fast, table), _as_text(slow, table))
    assert _as_text(fast, "activities")["member_id"].to_list()[-1] == "m9"
