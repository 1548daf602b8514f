"""Two more WeChat group-chat CSV layouts, read by the ``wechat`` source.

``pywxdump`` — the chat CSV of PyWxDump (xaoyaoo/PyWxDump, ``export_csv``): one row per
message, headers ``id, MsgSvrID, type_name, is_sender, talker, room_name`` then the text as
``content`` (2024 releases, a JSON string) or ``msg`` + ``src`` (later releases), then
``CreateTime``. In a group chat ``talker`` is the sender's wxid and ``room_name`` the group
(``…@chatroom``). ``CreateTime`` is local time, ``2024-10-04 11:42:05`` as written, or
``2024/10/4 11:42`` once the file went through Excel; both are read (report time zone).

``memotrace`` — the CSV of WeChatMsg's successor MemoTrace (留痕), Chinese headers
``消息ID, 类型, 发送人, 时间, 内容, 备注, 昵称, 更多信息`` (or the English ``MsgSvrID,
type_name, sender, time, content, remark, nickname, more``). It has **no account id**:
``发送人`` is the sender's display name in that chat. Display names are not identities, so
a member here is "this name in this export" — ``member_id`` = ``<file>/<name>``, never
matched across files, platforms or orders (two people sharing a name count once; a rename
counts twice). Use PyWxDump or WeChatMsg exports when members must be linked.

``type_name`` / ``类型`` (PyWxDump's names; MemoTrace's are the same words) → kind:
``引用回复``/``引用消息`` → ``reply`` (the CSV does not say whom it quotes: no target);
``(分享)…``, ``合并转发的聊天记录``, ``小程序`` → ``share``; ``系统通知``, ``消息撤回…``,
``撤回消息``, ``拍一拍``, ``邀请加群``, ``添加好友`` and ``未知-…`` are no member activity:
reported as dropped (``ctx.drop``) with their count; everything else (文本, 图片,
语音, 视频, 动画表情, 文件, 位置 …) → ``message``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from communityroi import DataError, SourceContext
from plugins.sources import _groupchat as gc
from plugins.sources._io import blank_to_null, check_rows, header_names, scan_csv

PYWXDUMP_HEADERS = ("MsgSvrID", "type_name", "is_sender", "talker", "room_name", "CreateTime")
MEMOTRACE_FIELDS = {  # field -> headers it is written under (Chinese first)
    "msg_id": ["消息ID", "MsgSvrID"],
    "type_name": ["类型", "type_name"],
    "sender": ["发送人", "sender"],
    "time": ["时间", "time"],
    "content": ["内容", "content"],
    "remark": ["备注", "remark"],
    "nickname": ["昵称", "nickname"],
}
_NOT_ACTIVITY = r"^(系统通知|消息撤回|撤回|拍一拍|邀请加群|添加好友|未知-|系统消息)"
_REPLY = r"^引用(回复|消息)"
_SHARE = r"^(\(分享\)|（分享）|合并转发|小程序|分享)"


def layout_of(headers: list[str]) -> str | None:
    """``pywxdump``, ``memotrace`` or None, from a CSV's header row."""
    if all(h in headers for h in PYWXDUMP_HEADERS):
        return "pywxdump"
    for i in (0, 1):  # all Chinese or all English headers
        if all(names[i] in headers for f, names in MEMOTRACE_FIELDS.items() if f != "remark"):
            return "memotrace"
    return None


def _kind(type_name: pl.Expr) -> pl.Expr:
    return (
        pl.when(type_name.str.contains(_NOT_ACTIVITY))
        .then(None)
        .when(type_name.str.contains(_REPLY))
        .then(pl.lit("reply"))
        .when(type_name.str.contains(_SHARE))
        .then(pl.lit("share"))
        .otherwise(pl.lit("message"))
    )


def _drops(ctx: SourceContext, raw: pl.LazyFrame, type_name: pl.Expr, origin: str) -> None:
    """Report the system rows (recalls, notices, pats …), counted lazily with the data."""
    ctx.drop(
        origin,
        "WeChat system rows (系统通知, 消息撤回, 拍一拍, 邀请加群 …): not a member's activity",
        raw.select(type_name.str.contains(_NOT_ACTIVITY).sum()),
    )


def pywxdump(path: Path, opts: Any, ctx: SourceContext) -> gc.Chat:
    origin = str(path)
    raw = scan_csv(path, encoding=opts.encoding, origin=origin, required=PYWXDUMP_HEADERS)
    type_name = blank_to_null("type_name").fill_null("")
    kind = _kind(type_name)
    me = pl.col("is_sender").str.strip_chars() == "1"
    sender = blank_to_null("talker")
    if opts.self_id:
        sender = pl.when(me).then(pl.lit(opts.self_id)).otherwise(sender)
    check_rows(
        raw,
        [
            (
                kind.is_not_null() & sender.is_null(),
                "talker",
                'empty sender; set self_id = "<your wxid>" for your own messages, or drop the row',
            ),
        ],
        origin=origin,
    )
    _drops(ctx, raw, type_name, origin)
    events = raw.filter(kind.is_not_null()).select(
        sender.alias("member_id"),
        pl.col("CreateTime").alias("at"),
        kind.alias("kind"),
        pl.lit(None, pl.String).alias("target_member_id"),
        pl.lit(None, pl.String).alias("display_name"),
        blank_to_null("room_name").alias("group_id"),
    )
    name = path.stem
    return gc.Chat(events, None, opts.group_id, name, origin)


def memotrace(path: Path, opts: Any, ctx: SourceContext) -> gc.Chat:
    origin = str(path)
    raw = scan_csv(
        path,
        defaults=MEMOTRACE_FIELDS,
        required=("type_name", "sender", "time"),
        encoding=opts.encoding,
        origin=origin,
    )
    have = raw.collect_schema().names()
    type_name = blank_to_null("type_name").fill_null("")
    kind = _kind(type_name)
    name = path.stem
    who = blank_to_null("sender")
    written = header_names(path, encoding=opts.encoding)  # name the column as in the file
    sender_header = next((h for h in MEMOTRACE_FIELDS["sender"] if h in written), "发送人")
    check_rows(
        raw,
        [(kind.is_not_null() & who.is_null(), sender_header, "empty sender name; drop the row")],
        origin=origin,
    )
    _drops(ctx, raw, type_name, origin)
    display = blank_to_null("nickname") if "nickname" in have else who
    events = raw.filter(kind.is_not_null()).select(
        (pl.lit(f"{name}/") + who).alias("member_id"),  # a name in this export, see docstring
        pl.col("time").alias("at"),
        kind.alias("kind"),
        pl.lit(None, pl.String).alias("target_member_id"),
        pl.coalesce(display, who).alias("display_name"),
    )
    return gc.Chat(events, None, opts.group_id or name, name, origin)


def read(path: Path, layout: str, opts: Any, ctx: SourceContext) -> gc.Chat:
    if layout == "pywxdump":
        return pywxdump(path, opts, ctx)
    if layout == "memotrace":
        return memotrace(path, opts, ctx)
    raise DataError(f"{path}: unknown WeChat CSV layout '{layout}'")  # pragma: no cover
