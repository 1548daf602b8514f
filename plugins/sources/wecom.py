"""WeCom 客户联系 (企业微信 external contacts) from saved responses of its documented API.

Format (企业微信开发者中心, developer.work.weixin.qq.com, 客户联系). Each saved file is
recognised by its shape, whatever its name; every response has ``errcode`` (0 = success)
and ``errmsg``, and the list calls page with ``cursor`` → ``next_cursor``:

- ``externalcontact/get`` (获取客户详情, document/path/92114) →
  ``{external_contact: {external_userid, name, type, unionid, …}, follow_user: [{userid,
  remark, createtime, tags: [{tag_name, tag_id, …}], add_way, oper_userid, state, …}],
  next_cursor}``: one customer and every operator (企业成员) who added them.
- ``externalcontact/batch/get_by_user`` (批量获取客户详情, document/path/92994) →
  ``{external_contact_list: [{external_contact, follow_info: {userid, createtime,
  tag_id: [...], add_way, remark, …}}], next_cursor}``: one (customer, operator) per item.
- ``externalcontact/groupchat/get`` (获取客户群详情, document/path/92122) →
  ``{group_chat: {chat_id, name, owner, create_time, member_list: [{userid, type,
  unionid, join_time, join_scene, invitor: {userid}, group_nickname, name}], admin_list}}``;
  ``type`` 1 is a 企业成员 (staff), 2 an external contact (``userid`` is then its
  external_userid); ``join_scene`` 1 invited directly, 2 by an invitation link, 3 by the
  group's QR code; ``invitor`` is returned only when a staff member invited.
- ``externalcontact/get_user_behavior_data`` (获取「联系客户统计」数据, document/path/92132)
  → ``{behavior_data: [{stat_time, chat_cnt, message_cnt, reply_percentage,
  avg_reply_time, negative_feedback_cnt, new_apply_cnt, new_contact_cnt}]}``, one item per
  day (``stat_time`` = that day's 00:00 Beijing time). The response sums every userid of
  the request and does not name them, so **save one response per operator and name the
  file after them**: ``get_user_behavior_data@USERID.json`` (the text after the first ``@``; a
  userid may itself contain ``@`` and ``.``). One call covers at most 30 days of the last
  60: keep each call's files in a subfolder of their own (``2026-10/…@zhangsan.json``);
  overlapping days count once.

``path`` is a folder of such responses (``.json`` files, subfolders included, read in
path order) or one file. Timestamps are Unix seconds.

Mapping (member_id = external_userid, never a name or remark):

- **members**: each customer once, with no group: ``joined_at`` = the first add (earliest
  ``createtime`` over the operators who added them), ``operator_id`` = the userid of that
  first add (ties: the smallest userid), ``channel`` = its ``add_way`` (:data:`ADD_WAY`:
  1 → qr_code, 2 → search_phone, 16 → acquisition_link, 201 → shared, 202 → assigned …;
  an undocumented code → ``add_way_N``), ``customer_id`` = ``unionid`` (links orders of a
  shop that records the WeChat unionid, and — with ``[transforms.identity] match_on``
  including ``customer_id`` — members of other sources), ``display_name`` = ``name``
  (personal data), ``segment`` = the first of ``segment_tags`` (in the order given) among
  the customer's tag names (``get``) or tag ids (``batch/get_by_user``).
  Each external member of a group chat is also one row per chat: ``joined_at`` =
  ``join_time``, ``channel`` = the ``join_scene`` (group_invite, group_invite_link,
  group_qr_code), ``customer_id`` = its ``unionid`` (else the customer's),
  ``operator_id`` = the customer's, else ``invitor.userid``, ``display_name`` =
  ``group_nickname``, else ``name``. ``invitor`` is always a staff member (WeCom returns
  it only for internal members), so it is not a referral: ``invited_by`` stays empty.
- **activities**: a ``join`` at each customer's first add (no group) and at each group
  join (in that group).
- **groups**: the chats (``name``, ``created_at`` = ``create_time``).
- **operator_days**: one row per operator and day of the behaviour data: new_contacts =
  new_contact_cnt, new_applies = new_apply_cnt, chats = chat_cnt, messages = message_cnt,
  reply_rate = reply_percentage (percent), avg_reply_minutes = avg_reply_time (minutes;
  both given by WeCom only on days with chats), negative_feedback = negative_feedback_cnt.

One relation is one (customer, operator): the pages of ``get`` and ``batch/get_by_user``
overlap freely and each relation counts once (first copy in path order); one group member
is one (chat, userid); one operator day one (userid, day). ``remark`` (the operator's
note, often a real name) is read but not loaded.

Dropped and reported (``ctx.drop``, per file, with the count): further copies of a
relation, group member or operator day; staff (type 1) in a group's member list — an
operator, not a customer; behaviour data whose file name gives no userid; a JSON file of
another shape. A response with ``errcode`` ≠ 0, damaged JSON, a field of the wrong type or
a record without its id or time stops the load with one line naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._json_io import response_files
from plugins.sources._wecom_read import (
    ADD_WAY,
    BEHAVIOR,
    CHAT,
    JOIN_SCENE,
    MEMBER,
    NO_USERID,
    PLATFORM,
    RELATION,
    Parts,
    behavior_userid,
    read_response,
)

__all__ = ["ADD_WAY", "NO_USERID", "WeComOptions", "behavior_userid", "detect", "load"]

COPY_RELATION = "relation already read from an earlier file (same customer and operator)"
COPY_MEMBER = "group member already read from an earlier file (same chat and userid)"
COPY_DAY = "operator day already read from an earlier file (same userid and stat_time)"
STAFF = "staff (企业成员, type 1) in a group's member list: an operator, not a customer"
STAT_TZ = "Asia/Shanghai"  # stat_time is 00:00 Beijing time of the day


class WeComOptions(BaseModel):
    """``[[sources]] type = "wecom"``: ``path`` is a folder of saved API responses."""

    model_config = ConfigDict(extra="forbid")

    path: str
    segment_tags: list[str] = []  # tag names/ids that become members.segment, first wins


def _concat(frames: list[pl.DataFrame], schema: pl.Schema) -> pl.LazyFrame:
    return (
        pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=schema)
    ).lazy()


def _time(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="s").dt.replace_time_zone("UTC")


def _channel(col: str, labels: dict[int, str], prefix: str) -> pl.Expr:
    return (
        pl.col(col)
        .replace_strict(labels, default=None, return_dtype=pl.String)
        .fill_null(pl.format(f"{prefix}_{{}}", pl.col(col)))
    )


def _copies(frame: pl.LazyFrame, keys: list[str], reason: str) -> pl.LazyFrame:
    return (
        frame.filter(~pl.struct(keys).is_first_distinct())
        .group_by("origin")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .select("origin", pl.lit(reason).alias("reason"), "rows")
    )


def build(parts: Parts, opts: WeComOptions) -> tuple[dict[str, pl.LazyFrame], pl.LazyFrame]:
    """The canonical frames from the typed responses, and the records not loaded as
    ``(origin, reason, rows)`` (lazy; rules in the module docstring)."""
    rel_all = _concat(parts.relations, RELATION)
    rel = rel_all.unique(["external_userid", "userid"], keep="first", maintain_order=True)
    order = [pl.col("createtime"), pl.col("userid")]
    segment = pl.lit(None, pl.String)
    if opts.segment_tags:
        rank = {t: i for i, t in enumerate(opts.segment_tags)}
        tagged = (
            rel_all.select("external_userid", "tags")  # tags of every copy (get has names)
            .explode("tags")
            .filter(pl.col("tags").is_in(opts.segment_tags))
            .group_by("external_userid")
            .agg(pl.col("tags").sort_by(pl.col("tags").replace_strict(rank)).first().alias("_s"))
        )
        rel = rel.join(tagged, on="external_userid", how="left", maintain_order="left")
        segment = pl.col("_s").first()
    else:
        rel = rel.with_columns(pl.lit(None, pl.String).alias("_s"))
    customers = rel.group_by("external_userid").agg(
        pl.col("createtime").min(),
        pl.col("userid").sort_by(order).first().alias("operator_id"),
        pl.col("add_way").sort_by(order).first(),
        pl.col("unionid").drop_nulls().first(),
        pl.col("name").drop_nulls().first(),
        segment.alias("segment"),
    )
    c_members = customers.select(
        pl.col("external_userid").alias("member_id"),
        _time("createtime").alias("joined_at"),
        pl.lit(None, pl.String).alias("invited_by"),
        pl.lit(None, pl.String).alias("group_id"),
        "segment",
        pl.col("unionid").alias("customer_id"),
        pl.col("name").alias("display_name"),
        "operator_id",
        _channel("add_way", ADD_WAY, "add_way").alias("channel"),
    )
    mem_all = _concat(
        parts.members, pl.Schema({**MEMBER, "chat_id": pl.String, "origin": pl.String})
    )
    mem = mem_all.unique(["chat_id", "userid"], keep="first", maintain_order=True)
    ext = mem.filter(pl.col("type") != 1)
    owner = customers.select(
        pl.col("external_userid").alias("userid"), "operator_id", pl.col("unionid").alias("_u")
    )
    g_members = ext.join(owner, on="userid", how="left", maintain_order="left").select(
        pl.col("userid").alias("member_id"),
        _time("join_time").alias("joined_at"),
        # invitor is always a staff member (WeCom returns it only for internal members):
        # the operator who brought them in, not a member's referral (裂变)
        pl.lit(None, pl.String).alias("invited_by"),
        pl.col("chat_id").alias("group_id"),
        pl.lit(None, pl.String).alias("segment"),
        pl.coalesce("unionid", "_u").alias("customer_id"),
        pl.coalesce(pl.when(pl.col("group_nickname") != "").then("group_nickname"), "name").alias(
            "display_name"
        ),
        pl.coalesce("operator_id", pl.col("invitor").struct.field("userid")).alias("operator_id"),
        _channel("join_scene", JOIN_SCENE, "join_scene").alias("channel"),
    )
    members = pl.concat([c_members, g_members]).sort(
        "member_id", "group_id", nulls_last=False, maintain_order=True
    )
    activities = (
        members.filter(pl.col("joined_at").is_not_null())
        .select(
            "member_id", pl.col("joined_at").alias("at"), pl.lit("join").alias("kind"), "group_id"
        )
        .sort("at", "group_id", "member_id", nulls_last=True)
    )
    groups = (
        _concat(parts.chats, pl.Schema({**CHAT, "origin": pl.String}))
        .unique("chat_id", keep="first", maintain_order=True)
        .select(
            pl.col("chat_id").alias("group_id"),
            "name",
            pl.lit(PLATFORM).alias("platform"),
            _time("create_time").alias("created_at"),
        )
    )
    day_all = _concat(parts.days, pl.Schema({**BEHAVIOR, "userid": pl.String, "origin": pl.String}))
    days = day_all.unique(["userid", "stat_time"], keep="first", maintain_order=True).select(
        pl.col("userid").alias("operator_id"),
        _time("stat_time").dt.convert_time_zone(STAT_TZ).dt.date().alias("day"),
        pl.col("new_contact_cnt").cast(pl.Float64).alias("new_contacts"),
        pl.col("new_apply_cnt").cast(pl.Float64).alias("new_applies"),
        pl.col("chat_cnt").cast(pl.Float64).alias("chats"),
        pl.col("message_cnt").cast(pl.Float64).alias("messages"),
        pl.col("reply_percentage").alias("reply_rate"),
        pl.col("avg_reply_time").alias("avg_reply_minutes"),
        pl.col("negative_feedback_cnt").cast(pl.Float64).alias("negative_feedback"),
    )
    dropped = pl.concat(
        [
            _copies(rel_all, ["external_userid", "userid"], COPY_RELATION),
            _copies(mem_all, ["chat_id", "userid"], COPY_MEMBER),
            _copies(day_all, ["userid", "stat_time"], COPY_DAY),
            mem.filter(pl.col("type") == 1)
            .group_by("origin")
            .agg(pl.len().cast(pl.Int64).alias("rows"))
            .select("origin", pl.lit(STAFF).alias("reason"), "rows"),
        ]
    ).sort("origin", "reason")
    frames = {
        "members": members,
        "activities": activities,
        "groups": groups,
        "operator_days": days,
    }
    return frames, dropped


def _responses(paths: Iterable[Path]) -> list[Path]:
    return sorted(p for p in paths if p.suffix.lower() == ".json" and p.is_file())


def load(opts: WeComOptions, ctx: SourceContext) -> list[SourceFrame]:
    files = response_files(
        opts.path,
        ctx.resolve(opts.path),
        lambda p: p.suffix.lower() == ".json",
        "the WeCom API responses (externalcontact/get, batch/get_by_user, groupchat/get, "
        "get_user_behavior_data)",
    )
    parts = Parts()
    for file in files:
        ctx.progress(f"wecom: reading {file.name}")
        read_response(file, parts, ctx)
    frames, dropped = build(parts, opts)
    *done, drops = pl.collect_all([*frames.values(), dropped])  # one pass (data in memory)
    for origin, reason, n in drops.iter_rows():
        ctx.drop(origin, reason, n)
    return [
        SourceFrame(t, f.lazy(), origin=f"wecom responses {opts.path}", platform=PLATFORM,
                    timezone="UTC")
        for t, f in zip(frames, done, strict=True)
    ]  # fmt: skip


_MARKERS = (b'"external_contact_list"', b'"external_contact"', b'"group_chat"',
            b'"behavior_data"')  # fmt: skip


def detect(path: Path) -> str | bool:
    """A folder (or file) of WeCom 客户联系 responses: says which key matched."""
    try:
        near = chain(path.glob("*"), path.glob("*/*"))
        files = [path] if path.is_file() else _responses(near)[:20]
        for file in files:
            with file.open("rb") as fh:
                head = fh.read(4096)
            if b'"errcode"' not in head:
                continue
            for marker in _MARKERS:
                if marker in head:
                    return f"WeCom API responses ({marker.decode().strip(chr(34))})"
        return False
    except OSError:
        return False


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="wecom",
            description="WeCom 客户联系 from saved API responses: customers and the operator "
            "who added them, group chats (and who invited them), the operators' daily statistics",
            load=load,
            options=WeComOptions,
            detect=detect,
        )
    ]
