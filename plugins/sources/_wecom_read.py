"""WeCom 客户联系: each saved API response read by its shape into typed frames.

The shapes and what each is read as are listed in ``wecom.py``'s docstring; here each
response becomes rows of :class:`Parts` (customer relations, group members, groups,
operator days) tagged with its file, or a one-line :class:`DataError` naming the file and
the field when a response is damaged, or a drop naming the file when this source does
not read that shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

from communityroi import DataError, SourceContext
from plugins.sources._json_io import frame_of, load_json, require

PLATFORM = "wecom"
OTHER = "not a WeCom 客户联系 response this source reads"
NO_USERID = (
    "behaviour data without the operator's userid in the file name; save one response per "
    "operator as get_user_behavior_data@USERID.json"
)

# add_way of follow_user / follow_info (企业微信开发者中心, 客户联系 › 获取客户详情,
# developer.work.weixin.qq.com/document/path/92114) → acquisition channel
ADD_WAY: dict[int, str] = {
    0: "unknown",  # 未知来源
    1: "qr_code",  # 扫描二维码
    2: "search_phone",  # 搜索手机号
    3: "business_card",  # 名片分享
    4: "group_chat",  # 群聊
    5: "phone_contacts",  # 手机通讯录
    6: "wechat_contact",  # 微信联系人
    7: "wechat_request",  # 来自微信的添加好友申请
    8: "third_party_app",  # 安装第三方应用时自动添加的客服人员
    9: "search_email",  # 搜索邮箱
    10: "channels",  # 视频号添加
    11: "schedule",  # 通过日程参与人添加
    12: "meeting",  # 通过会议参与人添加
    13: "wechat_friend",  # 添加微信好友对应的企业微信
    14: "smart_device",  # 通过智能硬件专属客服添加
    15: "onsite_service",  # 通过上门服务客服添加
    16: "acquisition_link",  # 通过获客链接添加
    17: "custom_development",  # 通过定制开发添加
    18: "demand_reply",  # 通过需求回复添加
    21: "third_party_presales",  # 通过第三方售前客服添加
    22: "business_partner",  # 通过可能的商务伙伴添加
    24: "wechat_request_accepted",  # 通过接受微信账号收到的好友申请添加
    201: "shared",  # 内部成员共享
    202: "assigned",  # 管理员/负责人分配
}
# join_scene of a group member (获取客户群详情, document/path/92122)
JOIN_SCENE: dict[int, str] = {1: "group_invite", 2: "group_invite_link", 3: "group_qr_code"}

CONTACT = pl.Schema(
    {"external_userid": pl.String, "name": pl.String, "type": pl.Int64, "unionid": pl.String}
)
TAG = pl.Struct({"tag_name": pl.String, "tag_id": pl.String})
FOLLOW = pl.Schema(
    {
        "userid": pl.String,
        "createtime": pl.Int64,
        "add_way": pl.Int64,
        "remark": pl.String,
        "tags": pl.List(TAG),
        "tag_id": pl.List(pl.String),
    }
)
RELATION = pl.Schema(
    {
        **CONTACT,
        "userid": pl.String,
        "createtime": pl.Int64,
        "add_way": pl.Int64,
        "tags": pl.List(pl.String),  # tag names (get) or tag ids (batch/get_by_user)
        "origin": pl.String,
    }
)
CHAT = pl.Schema(
    {"chat_id": pl.String, "name": pl.String, "owner": pl.String, "create_time": pl.Int64}
)
MEMBER = pl.Schema(
    {
        "userid": pl.String,
        "type": pl.Int64,
        "unionid": pl.String,
        "join_time": pl.Int64,
        "join_scene": pl.Int64,
        "invitor": pl.Struct({"userid": pl.String}),
        "group_nickname": pl.String,
        "name": pl.String,
    }
)
BEHAVIOR = pl.Schema(
    {
        "stat_time": pl.Int64,
        "new_contact_cnt": pl.Int64,
        "new_apply_cnt": pl.Int64,
        "chat_cnt": pl.Int64,
        "message_cnt": pl.Int64,
        "reply_percentage": pl.Float64,
        "avg_reply_time": pl.Float64,
        "negative_feedback_cnt": pl.Int64,
    }
)


class Parts:
    """The typed frames of every response read, each row tagged with its file."""

    def __init__(self) -> None:
        self.relations: list[pl.DataFrame] = []  # one row per (customer, operator) seen
        self.members: list[pl.DataFrame] = []  # group members, with the chat id
        self.chats: list[pl.DataFrame] = []
        self.days: list[pl.DataFrame] = []  # behaviour data, with the operator


def _object(value: Any, origin: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise DataError(
            f"{origin}: field '{where}' should be an object but is "
            f"{'missing' if value is None else type(value).__name__}; the response is "
            "damaged — save it again"
        )
    return value


def _list(value: Any, origin: str, where: str) -> list:
    if not isinstance(value, list):
        raise DataError(
            f"{origin}: field '{where}' should be a list but is "
            f"{'missing' if value is None else type(value).__name__}; the response is "
            "damaged — save it again"
        )
    return value


def _relations(pairs: list[tuple[dict, dict]], origin: str, where: str) -> pl.DataFrame:
    """(external_contact, follow) pairs → RELATION rows; every field checked."""
    contacts = frame_of([c for c, _ in pairs], CONTACT, origin, f"{where} external_contact")
    require(contacts, ("external_userid",), origin, f"{where} external_contact")
    follows = frame_of([f for _, f in pairs], FOLLOW, origin, where)
    require(follows, ("userid", "createtime"), origin, where)
    tags = pl.coalesce(
        pl.col("tags").list.eval(pl.element().struct.field("tag_name")), pl.col("tag_id")
    )
    return pl.concat(
        [contacts, follows.select("userid", "createtime", "add_way", tags.alias("tags"))],
        how="horizontal",
    ).with_columns(pl.lit(origin).alias("origin"))


def _contact(doc: dict, origin: str, parts: Parts) -> None:
    """``externalcontact/get``: one customer and every operator who added them."""
    contact = _object(doc["external_contact"], origin, "external_contact")
    follows = _list(doc.get("follow_user"), origin, "follow_user")
    for i, f in enumerate(follows, start=1):
        _object(f, origin, f"follow_user[{i}]")
    pairs = [(contact, f) for f in follows]
    parts.relations.append(_relations(pairs, origin, "follow_user"))


def _batch(doc: dict, origin: str, parts: Parts) -> None:
    """``externalcontact/batch/get_by_user``: one (customer, operator) per item."""
    items = _list(doc["external_contact_list"], origin, "external_contact_list")
    pairs = []
    for i, item in enumerate(items, start=1):
        item = _object(item, origin, f"external_contact_list[{i}]")
        where = f"external_contact_list[{i}]"
        pairs.append(
            (
                _object(item.get("external_contact"), origin, f"{where}.external_contact"),
                _object(item.get("follow_info"), origin, f"{where}.follow_info"),
            )
        )
    parts.relations.append(_relations(pairs, origin, "follow_info"))


def _group(doc: dict, origin: str, parts: Parts) -> None:
    """``externalcontact/groupchat/get``: the group and its members."""
    chat = _object(doc["group_chat"], origin, "group_chat")
    head = frame_of([{k: chat.get(k) for k in CHAT}], CHAT, origin, "group_chat")
    require(head, ("chat_id",), origin, "group_chat")
    records = _list(chat.get("member_list"), origin, "group_chat.member_list")
    members = frame_of(records, MEMBER, origin, "group_chat.member_list item")
    require(members, ("userid", "type"), origin, "group_chat.member_list item")
    chat_id = head["chat_id"][0]
    parts.chats.append(head.with_columns(pl.lit(origin).alias("origin")))
    parts.members.append(
        members.with_columns(pl.lit(chat_id).alias("chat_id"), pl.lit(origin).alias("origin"))
    )


def behavior_userid(name: str) -> str | None:
    """The operator of a saved ``get_user_behavior_data`` response: the text after the
    first ``@`` in the file name, up to ``.json`` (``get_user_behavior_data@zhangsan.json``
    → ``zhangsan``; a userid may itself hold ``@`` and ``.``: ``…@li.si@corp.json`` →
    ``li.si@corp``)."""
    m = re.fullmatch(r"[^@]*@(.+)\.json", name, re.IGNORECASE)
    return m.group(1) if m else None


def _behavior(doc: dict, file: Path, origin: str, parts: Parts, ctx: SourceContext) -> None:
    """``externalcontact/get_user_behavior_data``: one row per day for the file's operator
    (the response itself names no operator: it sums the userids of the request)."""
    records = _list(doc["behavior_data"], origin, "behavior_data")
    days = frame_of(records, BEHAVIOR, origin, "behavior_data item")
    require(days, ("stat_time",), origin, "behavior_data item")
    userid = behavior_userid(file.name)
    if userid is None:
        ctx.drop(origin, NO_USERID, days.height)
        return
    parts.days.append(
        days.with_columns(pl.lit(userid).alias("userid"), pl.lit(origin).alias("origin"))
    )


def read_response(file: Path, parts: Parts, ctx: SourceContext) -> None:
    """Add one saved response to ``parts`` by its shape (or report it as not read)."""
    origin = str(file)
    doc = load_json(file.read_bytes(), origin)
    if not isinstance(doc, dict):
        ctx.drop(origin, f"{OTHER} (a JSON {type(doc).__name__}, not an object)", 1)
        return
    code = doc.get("errcode", 0)
    if code not in (0, None):
        raise DataError(
            f"{origin}: field 'errcode' is {code} ({doc.get('errmsg', '')}): WeCom refused "
            "this call, so its data is missing; call the API again and save a response "
            "with errcode 0"
        )
    if "external_contact_list" in doc:
        _batch(doc, origin, parts)
    elif "external_contact" in doc:
        _contact(doc, origin, parts)
    elif "group_chat" in doc:
        _group(doc, origin, parts)
    elif "behavior_data" in doc:
        _behavior(doc, file, origin, parts, ctx)
    else:
        keys = ", ".join(list(doc)[:8]) or "none"
        ctx.drop(origin, f"{OTHER} (keys: {keys})", 1)
