"""Person keys: one form of the data for every plugin.

``member_id``, ``invited_by``, ``target_member_id`` and ``customer_id`` are
``PERSON_KEY`` (``pl.Categorical``) in every ``CommunityData`` table — cast once when the
data is assembled, and again for a text frame given any other way — and the core hands
``build`` text ids. ``cast_person_keys`` gives a plugin's own frames the same type.
"""

import dataclasses
import gc
import weakref
from datetime import date

import polars as pl
import pytest

from communityroi import (
    LABEL,
    PERSON_KEY,
    SCHEMA,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    cast_person_keys,
)
from communityroi.testing import make_data, run_metric

START, END = date(2026, 10, 1), date(2026, 10, 31)

MEMBERS = [
    {"member_id": "zoe", "platform": "wecom", "joined_at": "2026-08-01", "customer_id": "c9"},
    {"member_id": "amy", "platform": "wecom", "joined_at": "2026-10-05", "invited_by": "zoe"},
    {"member_id": "bob", "platform": "wecom", "joined_at": "2026-11-02"},  # after the period
]
ACTS = [
    {"member_id": "zoe", "kind": "message", "at": "2026-09-03 10:00"},
    {"member_id": "amy", "kind": "reply", "at": "2026-10-06 10:00", "target_member_id": "zoe"},
    {"member_id": "zoe", "kind": "message", "at": "2026-10-07 10:00"},
    {"member_id": "bob", "kind": "message", "at": "2026-11-03 10:00"},
]
ORDERS = [
    {"order_id": "o1", "customer_id": "c9", "at": "2026-10-08 12:00", "amount": 10},
    {"order_id": "o2", "member_id": "amy", "at": "2026-11-09 12:00", "amount": 20},
]


@pytest.fixture
def data():
    return make_data(
        {"members": MEMBERS, "activities": ACTS, "orders": ORDERS}, start=START, end=END
    )


@pytest.mark.parametrize("table", ["members", "activities", "orders"])
def test_tables_have_the_data_schema_with_categorical_person_keys(data, table):
    for view in (data, data.previous()):
        schema = view.frame(table).collect_schema()
        assert schema == SCHEMA[table].data_schema
        keys = SCHEMA[table].person_keys
        assert keys and all(schema[k] == PERSON_KEY for k in keys)
        labels = {
            "members": ["platform", "group_id"],
            "activities": ["platform", "kind", "group_id", "campaign_id"],
            "orders": ["campaign_id"],
        }
        assert [c for c in SCHEMA[table].categorical if c not in keys] == labels[table]
        assert all(schema[c] == LABEL for c in labels[table])
        coded = set(SCHEMA[table].categorical)
        assert all(t == SCHEMA[table].polars_schema[c] for c, t in schema.items() if c not in coded)


def test_tables_are_clipped_to_the_period_end(data):
    assert sorted(data.members.collect()["member_id"].cast(pl.String)) == ["amy", "zoe"]
    prev = data.previous()  # 2026-09-01 … 2026-09-30
    assert prev.members.collect()["member_id"].cast(pl.String).to_list() == ["zoe"]
    assert prev.activities.collect().height == 1
    assert prev.orders.collect().height == 0


def test_joins_between_tables_work_on_the_codes(data):
    # the reply targets zoe, a member: the join on Categorical codes finds her
    replies = data.activities.filter(pl.col("kind") == "reply")
    found = replies.join(
        data.members.select(pl.col("member_id").alias("target_member_id"), "customer_id"),
        on="target_member_id",
    ).collect()
    assert found["customer_id"].cast(pl.String).to_list() == ["c9"]
    # comparisons with text work as on strings
    assert data.members.filter(pl.col("member_id") == "amy").collect().height == 1


def test_a_text_frame_given_with_replace_is_cast(data):
    text = data.activities.with_columns(pl.col("member_id", "target_member_id").cast(pl.String))
    again = dataclasses.replace(data, activities=text)
    assert again.activities.collect_schema()["member_id"] == PERSON_KEY
    joined = again.activities.join(data.members.select("member_id"), on="member_id")
    assert sorted(joined.collect()["member_id"].cast(pl.String)) == ["amy", "zoe", "zoe"]


def test_cast_person_keys_types_a_plugins_own_frame(data):
    survey = pl.LazyFrame({"member_id": ["amy", "zed"], "score": [9, 3]})
    typed = cast_person_keys(survey)
    assert typed.collect_schema() == pl.Schema({"member_id": PERSON_KEY, "score": pl.Int64})
    members = data.members.select("member_id", "joined_at")
    got = typed.join(members, on="member_id", how="left", maintain_order="left")
    assert got.collect()["joined_at"].is_null().to_list() == [False, True]
    # already typed: the same frame back; other columns by name; numbers through text
    assert cast_person_keys(typed) is typed
    ids = pl.DataFrame({"who": [7, 8]})
    assert cast_person_keys(ids, "who")["who"].cast(pl.String).to_list() == ["7", "8"]
    with pytest.raises(ValueError, match="no column nope"):
        cast_person_keys(survey, "nope")


def test_build_gets_text_ids(data):
    seen = {}

    def build(got) -> Section:
        seen.update({k: df.schema for k, df in got.items()})
        df = got["active"]
        return Section(tables=(Table("active", T("Active", "活跃"), df, {}),))

    def compute(d, _opts):
        active = d.activities.filter(d.in_period("at")).select("member_id").unique()
        nested = d.activities.group_by("kind").agg(pl.struct("member_id", "at").alias("who"))
        return MetricResult({"active": active.sort("member_id"), "nested": nested}, build)

    spec = MetricSpec(name="active", title=T("Active", "活跃"), description="x", compute=compute)
    section = run_metric(spec, data)
    assert seen["active"]["member_id"] == pl.String
    assert seen["nested"]["who"] == pl.List(
        pl.Struct({"member_id": pl.String, "at": pl.Datetime("us", "UTC")})
    )
    assert section.tables[0].data["member_id"].to_list() == ["amy", "zoe"]  # text order


def test_shared_frames_live_as_long_as_their_data():
    calls = []

    def make(d):
        calls.append(d)
        return d.members.select("member_id")

    d = make_data({"members": MEMBERS}, start=START, end=END)
    first = d.shared(make)
    assert d.shared(make) is first and len(calls) == 1  # one frame per data and function
    prev = d.previous()
    assert prev.shared(make) is not first and len(calls) == 2  # a derived view starts empty
    ref = weakref.ref(d)
    del d, prev, first, calls[:]
    gc.collect()
    assert ref() is None  # nothing global holds the data or its memo
