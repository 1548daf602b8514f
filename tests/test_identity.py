"""Identity transform on a hand-built community (10 accounts on 3 platforms).

| account | keys | rule | person |
|---|---|---|---|
| wx_a, d_a, t_a | e-mail A (wx_a, d_a); phone 1 (d_a, t_a) | hashes, transitive | d_a |
| wechat wx_b, discord d_b | none | mapping → P-bob | P-bob |
| wechat wx_c | customer C3 | — | wx_c |
| wechat wx_d, discord d_d | same display name 同名 | never merged | wx_d, d_d |
| wechat wx_e, discord d_e | both phone 9 | mapping → P-eve, P-frank (mapping wins) | conflict |

7 persons; 5 accounts merged. Orders: o1 e-mail A → d_a; o2 customer C3 → wx_c; o3 phone 1 →
d_a; o4 member wx_b → P-bob; o5 unknown e-mail → unlinked; o6 phone 9 → two persons →
unlinked (ambiguous). 4 linked, 2 unlinked, 1 ambiguous; members without any way to link:
wx_d, d_d → 2.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from communityroi import SCHEMA, DataError, SourceContext
from communityroi.testing import make_data
from plugins.transforms import identity


def h(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


A, P1, P9 = h("alice@example.com"), h("+8613800000001"), h("+8613900000009")


def member(platform, mid, group, **kw):
    return {
        "platform": platform,
        "member_id": mid,
        "group_id": group,
        "joined_at": "2026-10-01 09:00",
        **kw,
    }


MEMBERS = [
    member("wechat", "wx_a", "g1", email_hash=A, display_name="阿爱"),
    member("discord", "d_a", "g2", email_hash=A, phone_hash=P1),
    member("telegram", "t_a", "g3", phone_hash=P1),
    member("wechat", "wx_b", "g1"),
    member("discord", "d_b", "g2"),
    member("wechat", "wx_c", "g1", customer_id="C3", invited_by="wx_a"),
    member("wechat", "wx_d", "g1", display_name="同名"),
    member("discord", "d_d", "g2", display_name="同名"),
    member("wechat", "wx_e", "g1", phone_hash=P9),
    member("discord", "d_e", "g2", phone_hash=P9),
]
ACTIVITIES = [
    {"platform": "wechat", "member_id": "wx_a", "at": "2026-10-02 10:00", "kind": "message"},
    {
        "platform": "discord",
        "member_id": "d_a",
        "at": "2026-10-02 10:01",
        "kind": "reply",
        "target_member_id": "d_b",
    },
    {"platform": "telegram", "member_id": "t_a", "at": "2026-10-02 10:02", "kind": "message"},
    {
        "platform": "wechat",
        "member_id": "wx_b",
        "at": "2026-10-02 10:03",
        "kind": "mention",
        "target_member_id": "wx_a",
    },
]
ORDERS = [
    {"order_id": "o1", "customer_id": "alice@example.com", "email_hash": A, "amount": 10},
    {"order_id": "o2", "customer_id": "C3", "amount": 20},
    {"order_id": "o3", "customer_id": "guest:o3", "phone_hash": P1, "amount": 30},
    {"order_id": "o4", "member_id": "wx_b", "amount": 40},
    {"order_id": "o5", "customer_id": "zed@example.com", "email_hash": h("zed"), "amount": 50},
    {"order_id": "o6", "customer_id": "guest:o6", "phone_hash": P9, "amount": 60},
]
MAPPING = (
    "platform,member_id,person_id\nwechat,wx_b,P-bob\ndiscord,d_b,P-bob\n"
    "wechat,wx_e,P-eve\ndiscord,d_e,P-frank\n"
)


def frames(members=MEMBERS, activities=ACTIVITIES, orders=ORDERS):
    orders = [{"at": "2026-10-03 12:00", **o} for o in orders]
    tables = {"members": members, "orders": orders}
    if activities:
        tables["activities"] = activities
    data = make_data(
        tables,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        timezone="Asia/Shanghai",
    )
    # transforms run before the data is assembled: they get person keys and labels as text
    return {
        t: data.frame(t).with_columns(pl.col(SCHEMA[t].categorical).cast(pl.String))
        for t in ("members", "activities", "orders")
    }


def run(tmp_path: Path, mapping: str | None = MAPPING, inputs=None, **options):
    if mapping is not None:
        (tmp_path / "people.csv").write_text(mapping, encoding="utf-8")
        options["mapping"] = "people.csv"
    ctx = SourceContext(base_dir=tmp_path, timezone="Asia/Shanghai", currency="CNY")
    out = identity.apply(inputs or frames(), identity.IdentityOptions(**options), ctx)
    names = list(out)
    return dict(zip(names, pl.collect_all([out[n] for n in names]), strict=True))


def test_merges_and_report(tmp_path):
    out = run(tmp_path)
    members = out["members"]
    person = dict(
        zip(
            members["group_id"] + "/" + members["display_name"].fill_null(""),
            members["member_id"],
            strict=True,
        )
    )
    assert person["g1/阿爱"] == "d_a"  # wx_a
    assert sorted(members["member_id"].unique()) == [
        "P-bob",
        "P-eve",
        "P-frank",
        "d_a",
        "d_d",
        "wx_c",
        "wx_d",
    ]
    assert members.filter(pl.col("member_id") == "d_a")["group_id"].sort().to_list() == [
        "g1",
        "g2",
        "g3",
    ]
    assert members.filter(pl.col("member_id") == "wx_c")["invited_by"].item() == "d_a"
    # same display name, no verified identifier: still two people
    assert {"wx_d", "d_d"} <= set(members["member_id"])
    report = out["identity_report"].row(0, named=True)
    assert report == {
        "members": 10,
        "persons": 7,
        "members_merged": 5,
        "members_unlinked": 2,
        "orders": 6,
        "orders_linked": 4,
        "orders_unlinked": 2,
        "orders_ambiguous": 1,
        "identifier_conflicts": 1,
        "unsettled": 0,
    }


def test_activities_rewritten_per_platform(tmp_path):
    acts = run(tmp_path)["activities"].sort("at")
    assert acts.select("member_id", "target_member_id").rows() == [
        ("d_a", None),
        ("d_a", "P-bob"),
        ("d_a", None),
        ("P-bob", "d_a"),
    ]


def test_orders_linked(tmp_path):
    orders = run(tmp_path)["orders"].sort("order_id")
    assert orders["member_id"].to_list() == ["d_a", "wx_c", "d_a", "P-bob", None, None]
    assert orders["amount"].sum() == 210.0


def test_without_mapping_and_phone(tmp_path):
    out = run(tmp_path, mapping=None, match_on=["email_hash"])
    members = out["members"]
    assert members.filter(pl.col("platform") == "telegram")["member_id"].item() == "t_a"
    assert out["identity_report"]["persons"].item() == 9  # only wx_a + d_a merged
    # phones are not trusted here, so o3 (phone 1 only) stays unlinked
    assert out["orders"].sort("order_id")["member_id"].to_list()[2] is None


def test_long_chain_needs_rounds(tmp_path):
    chain = [
        member("wechat", "z1", "g", email_hash="k1"),
        member("wechat", "z2", "g1", email_hash="k1", phone_hash="k2"),
        member("wechat", "z3", "g2", phone_hash="k2", customer_id="k3"),
        member("wechat", "a0", "g3", customer_id="x", email_hash="k3"),
        member("wechat", "z4", "g4", email_hash="k3"),
    ]
    # z3—a0 are linked through k3 only via email on a0/z4, not z3's customer_id
    chain[2]["email_hash"] = "k3"
    inputs = frames(members=chain, activities=[], orders=[ORDERS[0]])
    full = run(tmp_path, mapping=None, inputs=inputs)
    assert full["members"]["member_id"].unique().to_list() == ["a0"]
    assert full["identity_report"]["unsettled"].item() == 0
    short = run(
        tmp_path,
        mapping=None,
        inputs=frames(members=chain, activities=[], orders=[ORDERS[0]]),
        max_rounds=1,
    )
    assert short["identity_report"]["unsettled"].item() > 0


def test_mapping_errors(tmp_path):
    with pytest.raises(DataError, match=r"people.csv row 3: wechat account wx_b is mapped to"):
        run(tmp_path, mapping="platform,member_id,person_id\nwechat,wx_b,P1\nwechat,wx_b,P2\n")
    with pytest.raises(DataError, match=r"people.csv row 2: platform, member_id and person_id"):
        run(tmp_path, mapping="platform,member_id,person_id\nwechat,,P1\n")
    with pytest.raises(DataError, match="required column person_id not found"):
        run(tmp_path, mapping="platform,member_id\nwechat,wx_b\n")
    with pytest.raises(DataError, match="display names are never used"):
        run(tmp_path, mapping=None, match_on=["display_name"])


def test_mapping_headers_can_be_renamed(tmp_path):
    out = run(
        tmp_path,
        mapping="平台,账号,统一ID\nwechat,wx_d,P-d\ndiscord,d_d,P-d\n",
        columns={"member_id": "账号"},
    )
    # a-chain → 1, wx_b, d_b, wx_c, wx_d + d_d → P-d, wx_e + d_e (phone 9) → 1
    assert out["identity_report"]["persons"].item() == 6


def test_registered():
    (spec,) = identity.communityroi_transforms()
    assert spec.name == "identity" and spec.options is identity.IdentityOptions
