"""WeChat and WeCom group chats → members, activities and groups.

Five layouts, chosen by ``format`` (``auto`` looks at the headers / file type); two of
them, ``pywxdump`` and ``memotrace``, are described in :mod:`plugins.sources.wechat_csv`:

``wechatmsg`` — the group chat CSV written by the common open-source PC exporters (e.g.
LC044/WeChatMsg, ``app/util/exporter/exporter_csv.py``): UTF-8 with BOM, one row per
message, headers ``localId, TalkerId, Type, SubType, IsSender, CreateTime, Status,
StrContent, StrTime, Remark, NickName, Sender``. ``CreateTime`` is Unix seconds (the
instant; ``StrTime`` is the exporting PC's local time and is ignored). ``TalkerId`` is the
*conversation*, not the sender; ``Sender`` is the sender's wxid. Mapping:

- ``Type`` 1 text, 3 image, 34 voice, 43 video, 47 sticker, 48 location … → ``message``;
- ``Type`` 49 with ``SubType`` 57 (quote) → ``reply``; the quoted sender is read from
  ``<refermsg>…<chatusr>wxid</chatusr>`` when ``StrContent`` holds the XML (many exports
  keep it in a compressed column instead, then the reply has no target);
- ``Type`` 49 with ``SubType`` 5 (link), 19 (forwarded chat record), 33/36 (mini program)
  → ``share``; other ``Type`` 49 → ``message``;
- ``Type`` 10000 system notices: only invitations are used (below); ``Type`` 10002
  (recall and other system events) is dropped. @-mentions are not in this CSV (WeChat keeps
  them in a binary column), so this layout yields no ``mention`` activities.
- a text (``Type`` 1) that is only a filler reply (``filler_replies``, see the ``wecom``
  layout) and a sticker (``Type`` 47) are marked ``filler = true``.

**Invitations** (``"张三"邀请"李四、王五"加入了群聊``, ``"李四"通过扫描"张三"分享的二维码加入群聊``,
``你邀请"李四"加入了群聊``) name people only by display name, and display names are not
identities. They are therefore ignored unless ``resolve_invites_by_name = true``. Then a name
resolves to a wxid only when, in the same file, exactly one ``Sender`` ever used that name
as ``NickName`` or ``Remark``; ``你`` resolves to ``self_id`` when set. One ``invite``
activity is written per invitee whose *inviter* resolves (at the notice's time, target =
the invitee's wxid when that resolves too, else empty); a resolved invitee gets
``invited_by`` and ``joined_at`` = the notice time. Identities are never merged on names.

``generic`` — a documented group chat CSV for every other tool (headers by name; rename
with ``columns``): ``sender_id``, ``time`` (required), ``group_id``, ``kind`` (message,
reply, join, leave, invite …; default message), ``quoted_sender_id`` (makes a message a
``reply`` to that id), ``mentioned_ids`` (ids separated by ``;`` → one ``mention`` activity
each), ``target_id`` (who was invited, for ``invite`` rows), ``sender_name``.

``wecom`` — 企业微信 会话内容存档 messages as JSON Lines, one decrypted message per line as
the archive SDK returns it (developer.work.weixin.qq.com/document/path/91774): ``msgid``,
``action`` (send / recall / switch), ``from``, ``tolist``, ``roomid`` (empty for 1:1
chats), ``msgtime`` (Unix ms), ``msgtype``, ``text.content``. Only ``send`` messages in rooms are
used, as ``message`` activities (the archive carries no reply or mention ids); a text that
is only a filler reply (``filler_replies``: 好的, 收到, OK …, compared without spaces and
punctuation; or only emoji) and an ``emotion`` (sticker) message are marked
``filler = true``, so service-quality metrics do not count them as answers.

Members are one row per sender per group; ``joined_at`` is the first message (or a join
event / resolved invitation, if earlier) unless ``first_message_as_joined = false``.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources import _groupchat as gc
from plugins.sources import wechat_csv
from plugins.sources._filler import FILLER_REPLIES, is_filler
from plugins.sources._io import blank_to_null, check_rows, scan_csv

WECHATMSG_HEADERS = ("localId", "Type", "SubType", "IsSender", "CreateTime", "StrContent")
SHARE_SUBTYPES = (5, 19, 33, 36)
_INVITE = r'^"(?P<inviter>[^"]+)"邀请"(?P<invitees>[^"]+)"加入了群聊'
_QR = r'^"(?P<invitees>[^"]+)"通过扫描"(?P<inviter>[^"]+)"分享的二维码加入群聊'
_SELF_INVITE = r'^你邀请"(?P<invitees>[^"]+)"加入了群聊'
_WECOM_SKIP = ("agree", "disagree", "revoke", "switch")


class WeChatOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str  # a file or a glob such as "exports/*.csv"; one group per file
    format: Literal["auto", "wechatmsg", "pywxdump", "memotrace", "generic", "wecom"] = "auto"
    platform: str | None = None  # default: wechat (wecom for the wecom layout)
    group_id: str | None = None  # default: the file name (without a trailing _utf8)
    columns: dict[str, str] = {}  # generic layout: field -> your header
    mention_separator: str = ";"
    self_id: str | None = None  # wxid of the exporting account (IsSender = 1 rows)
    resolve_invites_by_name: bool = False
    first_message_as_joined: bool = True
    encoding: str | None = None  # default: detected (UTF-8, UTF-8-BOM, GB18030)
    timezone: str | None = None  # for naive times in the generic layout
    filler_replies: list[str] = list(FILLER_REPLIES)  # wecom layout: filler = true


def _files(opts: WeChatOptions, ctx: SourceContext) -> list[Path]:
    pattern = ctx.resolve(opts.path)
    found = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not found:
        raise DataError(f"{pattern}: no such file; check 'path' of the wechat source")
    return found


def _layout(path: Path, opts: WeChatOptions) -> str:
    if opts.format != "auto":
        return opts.format
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return "wecom"
    head = scan_csv(path, encoding=opts.encoding).collect_schema().names()
    if all(h in head for h in WECHATMSG_HEADERS):
        return "wechatmsg"
    return wechat_csv.layout_of(head) or "generic"


def _group_name(path: Path) -> str:
    return path.stem.removesuffix("_utf8")


def _wechatmsg(path: Path, opts: WeChatOptions, ctx: SourceContext) -> gc.Chat:
    origin = str(path)
    raw = scan_csv(path, encoding=opts.encoding, origin=origin, required=("Type", "CreateTime"))
    have = raw.collect_schema().names()
    if "Sender" not in have:
        raise DataError(
            f"{origin}: no Sender column (found: {', '.join(have)}); this export cannot tell "
            f"group members apart — export again with a current WeChatMsg or use format = "
            f'"generic"'
        )
    for c in ("SubType", "IsSender", "StrContent", "NickName", "Remark"):
        if c not in have:
            raw = raw.with_columns(pl.lit(None, pl.String).alias(c))
    kind_no = pl.col("Type").str.strip_chars().cast(pl.Int64, strict=False)
    sub = pl.col("SubType").str.strip_chars().cast(pl.Int64, strict=False)
    sender = blank_to_null("Sender")
    if opts.self_id:
        is_me = pl.col("IsSender").str.strip_chars() == "1"
        sender = pl.when(sender.is_null() & is_me).then(pl.lit(opts.self_id)).otherwise(sender)
    time = pl.col("CreateTime").str.strip_chars()
    check_rows(
        raw,
        [
            (kind_no.is_null(), "Type", "not a message type number; is this a WeChat export?"),
            (
                ~time.str.contains(r"^\d{9,13}$").fill_null(False),
                "CreateTime",
                "not a Unix timestamp; fix the row or drop it",
            ),
            (
                sender.is_null() & (kind_no < 10000),
                "Sender",
                'empty sender; set self_id = "<your wxid>" for your own messages, or drop the row',
            ),
        ],
        origin=origin,
    )
    group = opts.group_id or _group_name(path)
    rows = raw.select(
        sender.alias("member_id"),
        time.cast(pl.Int64).alias("at"),
        kind_no.alias("type"),
        sub.alias("sub"),
        pl.col("StrContent").alias("content"),
        blank_to_null("NickName").alias("nick"),
        blank_to_null("Remark").alias("remark"),
    )
    msgs = rows.filter(pl.col("type") < 10000).select(
        "member_id",
        "at",
        pl.when((pl.col("type") == 49) & (pl.col("sub") == 57))
        .then(pl.lit("reply"))
        .when((pl.col("type") == 49) & pl.col("sub").is_in(SHARE_SUBTYPES))
        .then(pl.lit("share"))
        .otherwise(pl.lit("message"))
        .alias("kind"),
        pl.when((pl.col("type") == 49) & (pl.col("sub") == 57))
        .then(
            blank_to_null(
                pl.col("content").str.extract(r"(?s)<refermsg>.*?<chatusr>([^<]*)</chatusr>", 1)
            )
        )
        .alias("target_member_id"),
        pl.col("nick").alias("display_name"),
        (
            (pl.col("type") == 47)
            | ((pl.col("type") == 1) & is_filler("content", opts.filler_replies).fill_null(False))
        ).alias("filler"),
    )
    ctx.drop(
        origin,
        "WeChat system rows (Type 10000/10002: notices, recalls): not a member's activity"
        + (" (invitations among them are read as invites)" if opts.resolve_invites_by_name else ""),
        rows.select((pl.col("type") >= 10000).sum()),
    )
    invites = None
    if opts.resolve_invites_by_name:
        invites = _resolved_invites(rows, opts.self_id)
    return gc.Chat(msgs, invites, group, _group_name(path), origin)


def _resolved_invites(rows: pl.LazyFrame, self_id: str | None) -> pl.LazyFrame:
    """Invitation notices whose inviter name resolves to exactly one sender wxid."""
    names = (
        rows.filter(pl.col("type") < 10000, pl.col("member_id").is_not_null())
        .select("member_id", pl.concat_list("nick", "remark").alias("name"))
        .explode("name")
        .drop_nulls("name")
        .unique()
        .group_by("name")
        .agg(pl.col("member_id").first(), pl.len().alias("ids"))
        .filter(pl.col("ids") == 1)
        .drop("ids")
    )
    if self_id:
        names = pl.concat([names, pl.LazyFrame({"name": ["你"], "member_id": [self_id]})])
    text = pl.col("content").str.strip_chars()
    notices = rows.filter(pl.col("type") == 10000).select(
        "at",
        pl.coalesce(
            text.str.extract(_INVITE, 1),
            text.str.extract(_QR, 2),
            pl.when(text.str.contains(_SELF_INVITE)).then(pl.lit("你")),
        ).alias("inviter_name"),
        pl.coalesce(
            text.str.extract(_INVITE, 2),
            text.str.extract(_QR, 1),
            text.str.extract(_SELF_INVITE, 1),
        )
        .str.split("、")
        .alias("invitee_name"),
    )
    by_name = names.rename({"member_id": "_id"})
    return (
        notices.drop_nulls("inviter_name")
        .explode("invitee_name")
        .join(by_name, left_on="inviter_name", right_on="name", how="inner")
        .rename({"_id": "member_id"})
        .join(by_name, left_on="invitee_name", right_on="name", how="left")
        .select("member_id", "at", pl.col("_id").alias("target_member_id"))
    )


def _wecom(path: Path, opts: WeChatOptions, ctx: SourceContext) -> gc.Chat:
    origin = str(path)
    schema = {c: pl.String for c in ("msgid", "action", "from", "roomid", "msgtype")}
    try:
        text = pl.Struct({"content": pl.String})
        raw = pl.scan_ndjson(path, schema={**schema, "msgtime": pl.Int64, "text": text})
        raw.head(1).collect()
    except pl.exceptions.PolarsError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{origin}: not JSON Lines of archived WeCom messages ({first})") from None
    sent = (pl.col("action").fill_null("send") == "send") & (blank_to_null("roomid").is_not_null())
    check_rows(
        raw,
        [
            (sent & blank_to_null("from").is_null(), "from", "empty sender; drop the line"),
            (sent & pl.col("msgtime").is_null(), "msgtime", "missing time; drop the line"),
        ],
        origin=origin,
        row_base=1,
    )
    used = sent & ~pl.col("msgtype").fill_null("").is_in(_WECOM_SKIP)
    ctx.drop(
        origin,
        "WeCom archive lines that are no group message (1:1 chats, recalls, switches, "
        "agree/disagree)",
        raw.select((~used).sum()),
    )
    msgs = raw.filter(used).select(
        blank_to_null("from").alias("member_id"),
        pl.col("msgtime").alias("at"),
        pl.lit("message").alias("kind"),
        pl.lit(None, pl.String).alias("target_member_id"),
        pl.lit(None, pl.String).alias("display_name"),
        blank_to_null("roomid").alias("group_id"),
        (
            (pl.col("msgtype") == "emotion")
            | is_filler(pl.col("text").struct.field("content"), opts.filler_replies).fill_null(
                False
            )
        ).alias("filler"),
    )
    return gc.Chat(msgs, None, opts.group_id, _group_name(path), origin, platform="wecom")


def load(opts: WeChatOptions, ctx: SourceContext) -> list[SourceFrame]:
    chats = []
    for path in _files(opts, ctx):
        layout = _layout(path, opts)
        if layout == "wechatmsg":
            chats.append(_wechatmsg(path, opts, ctx))
        elif layout == "wecom":
            chats.append(_wecom(path, opts, ctx))
        elif layout in ("pywxdump", "memotrace"):
            chats.append(wechat_csv.read(path, layout, opts, ctx))
        else:
            chats.append(gc.generic(path, opts))
    return gc.frames(
        chats,
        platform=opts.platform,
        first_message_as_joined=opts.first_message_as_joined,
        timezone=opts.timezone,
    )


def _detect(path: Path) -> str | bool:
    if path.suffix.lower() != ".csv":
        return False
    try:
        head = scan_csv(path).collect_schema().names()
    except DataError:
        return False
    if all(h in head for h in WECHATMSG_HEADERS):
        return "WeChatMsg CSV (localId, Type, SubType, CreateTime, StrContent)"
    layout = wechat_csv.layout_of(head)
    if layout == "pywxdump":
        return "PyWxDump CSV (MsgSvrID, type_name, talker, room_name, CreateTime)"
    if layout == "memotrace":
        return "MemoTrace CSV (消息ID, 类型, 发送人, 时间, 内容)"
    return False


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="wechat",
            description="WeChat group chat CSV (WeChatMsg, PyWxDump, MemoTrace or the generic "
            "group chat layout) and WeCom archive JSON Lines → members, activities, groups",
            load=load,
            options=WeChatOptions,
            detect=_detect,
        )
    ]
