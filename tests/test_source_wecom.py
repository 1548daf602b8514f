"""WeCom 客户联系 source: a hand-written folder of saved API responses in the documented
shapes (externalcontact/get, batch/get_by_user with next_cursor pages, groupchat/get,
get_user_behavior_data per operator), counted by hand; unionid linking through orders and
the identity transform; bad input.

tests/data/wecom (times Beijing, UTC+8):
- customers wmA (zhangsan 10-02 09:00 add_way 1 tag VIP; lisi 10-05 20:15 add_way 201,
  read twice: get and batch page 1), wmB (zhangsan 10-03 10:30 add_way 16), wmC (lisi
  10-08 11:00 add_way 2, 企业微信 user, no unionid), wmD (lisi 09-30 08:00 add_way 202);
- group wrPRE 新品售前咨询群: staff zhangsan, wmA (10-09 14:00 invited by zhangsan), wmB
  (10-10 12:00 QR code, no unionid in the list), wmF (10-12 19:00 invitation link by lisi);
- behaviour: zhangsan 10-01 and 10-02, lisi 10-01; one response without a userid in its
  name (a team sum).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError, SourceContext
from communityroi.testing import check_source, load_source, make_data
from communityroi.views import paid_orders
from plugins.sources import wecom
from plugins.transforms import identity

DATA = Path(__file__).parent / "data" / "wecom"
SPEC = wecom.communityroi_sources()[0]


def _load(path=DATA, **opts):
    return check_source(SPEC, {"path": str(path), **opts})


def test_customers_one_row_each_joined_at_first_add():
    m = _load(segment_tags=["VIP", "etKOC"])["members"]
    top = m.filter(pl.col("group_id").is_null()).sort("member_id")
    assert top.select(
        "member_id", "operator_id", "channel", "customer_id", "segment", "display_name"
    ).rows() == [
        ("wmA", "zhangsan", "qr_code", "oUnionA", "VIP", "林小姐"),  # VIP: get's tag name
        ("wmB", "zhangsan", "acquisition_link", "oUnionB", None, "陈先生"),
        ("wmC", "lisi", "search_phone", None, "etKOC", "王经理"),
        ("wmD", "lisi", "assigned", "oUnionD", "etKOC", "周同学"),  # etKOC before VIP ids
    ]
    # first add of wmA: zhangsan at 10-02 09:00 +08 (lisi added later, add_way 201)
    assert top["joined_at"].to_list() == [
        datetime(2026, 10, 2, 1, 0, tzinfo=UTC),
        datetime(2026, 10, 3, 2, 30, tzinfo=UTC),
        datetime(2026, 10, 8, 3, 0, tzinfo=UTC),
        datetime(2026, 9, 30, 0, 0, tzinfo=UTC),
    ]


def test_group_members_referrals_and_channels():
    out = _load()
    g = out["members"].filter(pl.col("group_id") == "wrPRE").sort("member_id")
    assert g.select(
        "member_id", "invited_by", "channel", "customer_id", "operator_id", "display_name"
    ).rows() == [
        # invitor is staff (an operator), never a member's referral
        ("wmA", None, "group_invite", "oUnionA", "zhangsan", "小林"),
        ("wmB", None, "group_qr_code", "oUnionB", "zhangsan", "陈先生"),  # unionid of contact
        ("wmF", None, "group_invite_link", "oUnionF", "lisi", "赵女士"),  # not a contact:
        # its operator is the staff member who invited it
    ]
    assert g["joined_at"][2] == datetime(2026, 10, 12, 11, 0, tzinfo=UTC)
    assert out["members"]["member_id"].n_unique() == 5  # the staff account is no member
    acts = out["activities"]
    assert acts.height == 7 and set(acts["kind"]) == {"join"}  # 4 first adds + 3 group joins
    assert out["groups"].select("group_id", "name", "created_at").rows() == [
        ("wrPRE", "新品售前咨询群", datetime(2026, 9, 30, 16, 0, tzinfo=UTC))
    ]


def test_operator_days_from_behaviour_data():
    days = _load()["operator_days"].sort("operator_id", "day")
    assert days.select(
        "operator_id", "day", "new_contacts", "chats", "messages", "reply_rate",
        "avg_reply_minutes", "negative_feedback", "new_applies",
    ).rows() == [
        ("lisi", date(2026, 10, 1), 0.0, 1.0, 3.0, 100.0, 2.0, 0.0, 0.0),
        ("zhangsan", date(2026, 10, 1), 1.0, 4.0, 12.0, 75.0, 5.0, 0.0, 2.0),
        ("zhangsan", date(2026, 10, 2), 1.0, 2.0, 5.0, None, None, 1.0, 0.0),
    ]  # fmt: skip


def test_everything_not_loaded_is_reported():
    loaded = load_source(SPEC, {"path": str(DATA)})
    assert not loaded.problems
    got = sorted((Path(d.origin).name, d.reason, d.rows) for d in loaded.dropped)
    assert got == [
        ("externalcontact_get_wmA.json", wecom.COPY_RELATION, 1),  # batch p1 read it first
        ("get_user_behavior_data_team.json", wecom.NO_USERID, 1),
        ("groupchat_get_wrPRE.json", wecom.STAFF, 1),
    ]


def test_detect_and_userid_from_name():
    assert SPEC.detect(DATA) == "WeCom API responses (behavior_data)"  # behavior/ first
    assert SPEC.detect(DATA / "contacts") == "WeCom API responses (external_contact_list)"
    assert SPEC.detect(DATA / "groups") == "WeCom API responses (group_chat)"
    assert SPEC.detect(Path(__file__).parent / "data" / "discourse") is False
    assert wecom.behavior_userid("get_user_behavior_data@zhang.san.json") == "zhang.san"
    # a WeCom userid may hold '@' (digits, letters and _-@.): all of it after the first '@'
    assert wecom.behavior_userid("get_user_behavior_data@li.si@corp.JSON") == "li.si@corp"
    assert wecom.behavior_userid("behavior.json") is None


def test_unionid_links_orders_and_other_sources():
    """customer_id = unionid: an order of the shop buyer oUnionB is wmB's without any
    configuration; with match_on customer_id, a shop member with customer_id oUnionA
    becomes the same person as wmA."""
    frames = {k: v.lazy() for k, v in _load().items()}
    shop_member = pl.LazyFrame(
        {"member_id": ["yz1"], "platform": ["youzan"], "customer_id": ["oUnionA"]}
    )
    members = pl.concat([frames["members"], shop_member], how="diagonal_relaxed")
    orders = pl.LazyFrame(
        {
            "order_id": ["o1", "o2"],
            "customer_id": ["oUnionB", "oNobody"],
            "at": [datetime(2026, 10, 20, tzinfo=UTC)] * 2,
            "amount": [99.0, 10.0],
            "status": ["paid", "paid"],
        }
    )
    data = make_data(
        {"members": frames["members"], "orders": orders},
        start=date(2026, 10, 1), end=date(2026, 10, 31), timezone="Asia/Shanghai",
    )  # fmt: skip
    buyers = paid_orders(data).select("order_id", "buyer_id").collect().sort("order_id")
    assert buyers.rows() == [("o1", "wmB"), ("o2", None)]
    ctx = SourceContext(Path("."), "Asia/Shanghai", "CNY")
    opts = identity.IdentityOptions(match_on=["customer_id"])
    merged = identity.apply({"members": members}, opts, ctx)["members"].collect()
    assert set(merged.filter(pl.col("customer_id") == "oUnionA")["member_id"]) == {"wmA"}
    with pytest.raises(DataError, match="display names are never used"):
        identity.apply({"members": members}, identity.IdentityOptions(match_on=["name"]), ctx)


@pytest.mark.parametrize(
    ("name", "doc", "message"),
    [
        ("e.json", {"errcode": 40001, "errmsg": "invalid credential"}, "errcode' is 40001"),
        (
            "b.json",
            {"errcode": 0, "external_contact_list": [{"external_contact": {"name": "x"},
                                                       "follow_info": {"userid": "u",
                                                                       "createtime": 1}}]},
            "external_contact 1 has no 'external_userid'",
        ),
        (
            "g.json",
            {"errcode": 0, "group_chat": {"chat_id": "c", "member_list": [{"userid": "u",
                                                                           "type": "two"}]}},
            "field 'type' should be a number but is text",
        ),
        ("f.json", {"errcode": 0, "external_contact": {"external_userid": "w"}}, "follow_user"),
        ("h.json", {"errcode": 0, "behavior_data": {"stat_time": 1}}, "'behavior_data'"),
    ],
)  # fmt: skip
def test_bad_files_are_one_line_errors_naming_file_and_field(tmp_path, name, doc, message):
    (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        _load(tmp_path)
    assert name in str(err.value) and "\n" not in str(err.value)


def test_truncated_file_and_other_shapes(tmp_path):
    shutil.copy(DATA / "groups" / "groupchat_get_wrPRE.json", tmp_path)
    (tmp_path / "token.json").write_text('{"errcode": 0, "access_token": "x"}')
    loaded = load_source(SPEC, {"path": str(tmp_path)})
    reasons = sorted((Path(d.origin).name, d.reason, d.rows) for d in loaded.dropped)
    assert reasons == [
        ("groupchat_get_wrPRE.json", wecom.STAFF, 1),
        ("token.json", "not a WeCom 客户联系 response this source reads (keys: errcode, "
         "access_token)", 1),
    ]  # fmt: skip
    text = (DATA / "groups" / "groupchat_get_wrPRE.json").read_text(encoding="utf-8")
    (tmp_path / "groupchat_get_wrPRE.json").write_text(text[:200], encoding="utf-8")
    with pytest.raises(DataError, match="invalid JSON at line"):
        _load(tmp_path)


def test_missing_folder_and_empty_folder_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match=r"nowhere: no such file or folder; check 'path'"):
        _load(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("not a response", encoding="utf-8")
    with pytest.raises(DataError, match=r"no \.json files; save the WeCom API responses"):
        _load(tmp_path)
