"""``CommunityData.keyed``: the person-keyed tables the built-in metrics query.

Same rows and values as the public String tables, clipped the same way for the period
and the previous period; the core hands ``build`` String columns whichever tables a
metric used.
"""

from datetime import date

import polars as pl
import pytest

from communityroi import SCHEMA, MetricResult, MetricSpec, Section, T, Table
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


def _as_text(frame: pl.LazyFrame) -> pl.DataFrame:
    df = frame.collect()
    cats = [c for c, t in df.schema.items() if isinstance(t, pl.Categorical)]
    return df.with_columns(pl.col(cats).cast(pl.String))


@pytest.mark.parametrize("table", ["members", "activities", "orders"])
def test_keyed_tables_hold_the_public_rows_with_categorical_person_keys(data, table):
    for view in (data, data.previous()):
        keyed = getattr(view.keyed, table)
        schema = keyed.collect_schema()
        keys = SCHEMA[table].person_keys
        assert keys and all(isinstance(schema[k], pl.Categorical) for k in keys)
        public = getattr(view, table).collect_schema()
        assert {c: t for c, t in schema.items() if c not in keys} == {
            c: t for c, t in public.items() if c not in keys
        }
        assert _as_text(keyed).equals(getattr(view, table).collect())


def test_keyed_tables_are_clipped_like_the_public_ones(data):
    assert sorted(data.keyed.members.collect()["member_id"].cast(pl.String)) == ["amy", "zoe"]
    prev = data.previous()  # 2026-09-01 … 2026-09-30
    assert prev.keyed.members.collect()["member_id"].cast(pl.String).to_list() == ["zoe"]
    assert prev.keyed.activities.collect().height == 1
    assert prev.keyed.orders.collect().height == 0


def test_keyed_and_public_tables_give_the_same_join():
    data = make_data(
        {"members": MEMBERS, "activities": ACTS, "orders": ORDERS}, start=START, end=END
    )
    # the reply targets zoe, a member: the join on Categorical codes finds her
    replies = data.keyed.activities.filter(pl.col("kind") == "reply")
    found = replies.join(
        data.keyed.members.select(pl.col("member_id").alias("target_member_id"), "customer_id"),
        on="target_member_id",
    ).collect()
    assert found["customer_id"].cast(pl.String).to_list() == ["c9"]


def test_build_gets_text_ids_from_keyed_queries(data):
    seen = {}

    def build(got) -> Section:
        seen.update({k: df.schema for k, df in got.items()})
        df = got["active"]
        return Section(tables=(Table("active", T("Active", "活跃"), df, {}),))

    def compute(d, _opts):
        active = d.keyed.activities.filter(d.in_period("at")).select("member_id").unique()
        nested = d.keyed.activities.group_by("kind").agg(pl.struct("member_id", "at").alias("who"))
        return MetricResult({"active": active.sort("member_id"), "nested": nested}, build)

    spec = MetricSpec(name="active", title=T("Active", "活跃"), description="x", compute=compute)
    section = run_metric(spec, data)
    assert seen["active"]["member_id"] == pl.String
    assert seen["nested"]["who"] == pl.List(
        pl.Struct({"member_id": pl.String, "at": pl.Datetime("us", "UTC")})
    )
    assert section.tables[0].data["member_id"].to_list() == ["amy", "zoe"]  # text order
