"""Telegram chats exported by Telegram Desktop as JSON (``result.json``).

Format (Telegram Desktop's JSON writer, ``Telegram/SourceFiles/export/output/
export_output_json.cpp``): a single-chat export is one object ``{name, type, id,
messages}``; a full export wraps chats in ``chats.list`` (and ``left_chats.list``). A
message has ``id``, ``type`` (``message`` or ``service``), ``date`` (local time of the
exporting computer, no zone, ``2021-03-04T10:11:12``) and ``date_unixtime`` (the exact
instant as text — preferred here), ``from`` / ``from_id`` (``user123``, ``channel123``,
``chat123``), ``reply_to_message_id`` (and ``reply_to_peer_id`` when the parent is in
another chat), ``text`` (a string, or a list of strings and entity objects) and
``text_entities`` (always a list of ``{type, text}``; ``mention_name`` entities carry
``user_id``). Service messages have ``actor`` /
``actor_id`` and ``action``: ``invite_members`` and ``remove_members`` list the
``members`` by *name only*, ``join_group_by_link`` names its ``inviter`` by name,
``join_group_by_request`` has none. Newer versions add ``reactions [{type, count, emoji,
recent: [{from, from_id, date}]}]``. The 2021 format (older Telegram Desktop versions)
differs: ``from_id`` / ``actor_id`` are integers (the bare user id, ``123456789``), there is
no ``date_unixtime`` (``date`` is read in ``timezone``) and no ``text_entities`` (the
entities are the objects inside ``text``). No sample export is public under a free
licence; the test fixtures are written in these formats by hand.

member_id is the canonical ``from_id`` / ``actor_id``: ``user123``, and a bare integer
``123`` (2021 format) is the same ``user123``, so one person in a 2021 and a later export
is one member; ``mention_name``'s ``user_id`` gives the same id. ``channel…`` / ``chat…``
senders (anonymous admins, linked channels) stay distinct and are not members. The export
has no bot flag: list known bot ids in ``bots`` (``"user123"`` or ``123``).

Mapping:

- activities: a ``message`` by a user is one ``message`` row, or one ``reply`` row when it
  has ``reply_to_message_id``, aimed at the author of that message in the same chat (no
  target when it is not in the export, is in another chat or was sent by a channel).
  ``mention_name`` entities are ``mention`` rows aimed at their ``user_id``; ``mention``
  entities (``@username``) are ``mention`` rows with no target, because the export never
  ties a username to an id. Self-mentions and repeats within a message are dropped.
  Reactions: each ``recent`` user reactor is a ``reaction`` aimed at the message's author
  (no target when a channel or a bot wrote it), dated at its own ``date`` (read in
  ``timezone``); Telegram lists only recent reactors, so ``count`` may be larger — only
  listed reactors are counted, and the rest is reported as dropped.
- service messages: ``join_group_by_link`` / ``join_group_by_request`` → ``join`` of the
  actor. ``invite_members`` → one ``invite`` row per listed name, by the actor, **with no
  target**: the invitees are names only, and a name is never an identity (we do not guess
  an id by matching names with later senders). The one exception: when the only listed
  member has exactly the actor's name, Telegram Desktop is writing a user who joined a
  public group by themselves, so it is that actor's ``join``. Likewise ``remove_members``
  listing only the actor is the actor's ``leave``; a removal of somebody else cannot be
  tied to an id and is not a row. Other service actions are skipped.
- dropped and reported (``ctx.drop``, origin the result.json, with the count): records sent
  by a channel/chat or without a sender, by a listed bot, other service actions (one
  reason per action), ``remove_members`` of somebody else, reactions beyond the listed
  reactors, and reactions by channels or listed bots. Every record of a chat read is thus
  either loaded or counted in a drop.
- members: one row per (user, chat) for each user acting in the chat, plus one row with
  no chat for users only ever targeted; ``joined_at`` is the first join in the chat,
  ``left_at`` a leave after the last join; ``display_name`` the latest ``from``/``actor``.
- groups: each chat read (``kind`` is Telegram's chat type). A full export reads group
  chats only (``private_group``, ``private_supergroup``, ``public_supergroup``) unless
  ``chat_types`` says otherwise; a single-chat export is always read.

Telegram writes one document for the whole export, so it is parsed whole with the
standard library (its ``text`` field is a string or a list, which no fixed schema holds);
each chat's messages then become a typed Polars frame and the mapping is one lazy query.
Errors and drops name the result.json itself (also when ``path`` is its folder).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._chat import ACTIVITY_ORDER, MEMBER_ORDER, left_at, memberships
from plugins.sources._json_io import load_json
from plugins.sources._telegram_read import (  # the drop reasons, named here for tests
    BOT,
    JOINS,
    NOT_USER,
    REACTOR,
    REMOVED,
    UNLISTED,
    chat_frame,
    chats_of,
    drops,
    is_user,
    local_time,
    peer,
    peer_id,
    recent_reactors,
    typed,
)

__all__ = ["BOT", "NOT_USER", "REACTOR", "REMOVED", "UNLISTED", "drops", "peer", "peer_id"]

PLATFORM = "telegram"
GROUP_TYPES = ("private_group", "private_supergroup", "public_supergroup")


class TelegramOptions(BaseModel):
    """``[[sources]] type = "telegram"``: ``path`` is result.json or its folder."""

    model_config = ConfigDict(extra="forbid")

    path: str
    chat_types: list[str] | None = None  # full export: chat types to read (default: groups)
    bots: list[str | int] = []  # ids ("user123" or 123) to leave out (there is no bot flag)
    timezone: str | None = None  # zone of the exporting computer (for reaction dates)


def build(raw: pl.LazyFrame, chats: pl.LazyFrame, tz: str, bots: list[str]) -> dict:
    """The canonical frames from the typed message frame (lazy; see module docstring)."""
    raw = typed(raw, tz)
    human = is_user(bots)
    authors = raw.filter(pl.col("type") == "message").select(
        "group_id",
        pl.col("id").alias("reply_to_message_id"),
        pl.when(human).then("member_id").alias("parent"),
    )
    msgs = raw.filter((pl.col("type") == "message") & human)
    replying = pl.col("reply_to_message_id").is_not_null()
    same_chat = pl.col("reply_to_peer_id").is_null()
    posts = msgs.join(authors, on=["group_id", "reply_to_message_id"], how="left").select(
        "member_id",
        "at",
        pl.when(replying).then(pl.lit("reply")).otherwise(pl.lit("message")).alias("kind"),
        "group_id",
        pl.when(replying & same_chat).then("parent").alias("target_member_id"),
    )
    ent = pl.col("entity")
    mentions = (
        msgs.select("member_id", "at", "group_id", "id", pl.col("text_entities").alias("entity"))
        .explode("entity")
        .filter(ent.struct.field("type").is_in(["mention", "mention_name"]))
        .with_columns(
            ("user" + ent.struct.field("user_id").cast(pl.String)).alias("target_member_id"),
            ent.struct.field("text").str.to_lowercase().alias("handle"),
        )
        .filter(
            (pl.col("target_member_id") != pl.col("member_id")).fill_null(True)
            & ~pl.col("target_member_id").is_in(bots).fill_null(False)
        )
        .unique(["group_id", "id", "target_member_id", "handle"], keep="first")
        .select("member_id", "at", pl.lit("mention").alias("kind"), "group_id", "target_member_id")
    )
    rec = pl.col("recent")
    reactions = (
        raw.filter(pl.col("type") == "message")
        .select(
            pl.when(human).then("member_id").alias("author"),
            "at",
            "group_id",
            recent_reactors().alias("recent"),
        )
        .explode("recent")
        .drop_nulls("recent")
        .select(
            peer(rec.struct.field("from_id")).alias("member_id"),
            pl.coalesce(local_time(rec.struct.field("date"), tz), "at").alias("at"),
            pl.lit("reaction").alias("kind"),
            "group_id",
            pl.col("author").alias("target_member_id"),
        )
        .filter(human)
    )
    svc = raw.filter((pl.col("type") == "service") & human)
    alone = (pl.col("members").list.len() == 1) & (pl.col("members").list.first() == pl.col("name"))
    action = pl.col("action")
    service = svc.filter(
        action.is_in(JOINS)
        | ((action == "invite_members") & alone)
        | ((action == "remove_members") & alone)
    ).select(
        "member_id",
        "at",
        pl.when(action == "remove_members")
        .then(pl.lit("leave"))
        .otherwise(pl.lit("join"))
        .alias("kind"),
        "group_id",
        pl.lit(None, pl.String).alias("target_member_id"),
    )
    invites = (
        svc.filter((action == "invite_members") & ~alone)
        .select("member_id", "at", "group_id", "members")
        .explode("members")
        .select(
            "member_id",
            "at",
            pl.lit("invite").alias("kind"),
            "group_id",
            pl.lit(None, pl.String).alias("target_member_id"),
        )
    )
    activities = pl.concat([posts, mentions, reactions, service, invites]).sort(
        *ACTIVITY_ORDER, nulls_last=True
    )
    names = (
        pl.concat(
            [
                raw.filter(human).select("member_id", "at", "name"),
                raw.select(recent_reactors().alias("r"))
                .explode("r")
                .drop_nulls("r")
                .select(
                    peer(pl.col("r").struct.field("from_id")).alias("member_id"),
                    local_time(pl.col("r").struct.field("date"), tz).alias("at"),
                    pl.col("r").struct.field("from").alias("name"),
                ),
            ]
        )
        .group_by("member_id")
        .agg(pl.col("name").sort_by("at").drop_nulls().last().alias("display_name"))
    )
    groups = chats.select("group_id", "name", pl.lit(PLATFORM).alias("platform"), "kind")
    return {"members": _members(activities, names), "activities": activities, "groups": groups}


def _members(activities: pl.LazyFrame, names: pl.LazyFrame) -> pl.LazyFrame:
    targets = activities.select(pl.col("target_member_id").alias("member_id"))
    kind = pl.col("kind")
    spans = activities.group_by("member_id", "group_id").agg(
        pl.col("at").filter(kind == "join").min().alias("joined_at"),
        pl.col("at").filter(kind == "join").max().alias("last_join"),
        pl.col("at").filter(kind == "leave").max().alias("left"),
    )
    return (
        memberships(activities, targets)
        .join(spans, on=["member_id", "group_id"], how="left", nulls_equal=True)
        .join(names, on="member_id", how="left")
        .select(
            "member_id",
            pl.lit(PLATFORM).alias("platform"),
            "joined_at",
            left_at(),
            "group_id",
            "display_name",
        )
        .sort(*MEMBER_ORDER, nulls_last=True)
    )


def _file(path: Path) -> Path:
    file = path / "result.json" if path.is_dir() else path
    if not file.is_file():
        raise DataError(
            f"{path}: no result.json here; point 'path' at Telegram Desktop's "
            "result.json (Export chat history → format JSON)"
        )
    return file


def load(opts: TelegramOptions, ctx: SourceContext) -> list[SourceFrame]:
    file = _file(ctx.resolve(opts.path))
    ctx.progress(f"telegram: reading {file.name}")
    origin = str(file)  # errors and drops name the file, also when 'path' is its folder
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DataError(f"{origin}: cannot read it ({exc}); check that it is readable") from None
    doc = load_json(data, origin)
    chats = chats_of(doc, origin, opts.chat_types or GROUP_TYPES)
    if not chats:
        raise DataError(
            f"{origin}: no chat of type {', '.join(opts.chat_types or GROUP_TYPES)}"
            " in the export; set 'chat_types' to the chats you want"
        )
    frames = [chat_frame(c, origin) for c in chats]
    raw = pl.concat(frames, how="vertical_relaxed")
    table = pl.DataFrame(
        {
            "group_id": [str(c["id"]) for c in chats],
            "name": [c.get("name") for c in chats],
            "kind": [c.get("type") for c in chats],
        },
        schema={"group_id": pl.String, "name": pl.String, "kind": pl.String},
    ).unique("group_id", keep="first", maintain_order=True)
    bots = [peer_id(b) for b in opts.bots]
    out = build(raw.lazy(), table.lazy(), opts.timezone or ctx.timezone, bots)
    # run the mapping and the drop counts once (the data is in memory)
    *done, dropped = pl.collect_all([*out.values(), drops(raw.lazy(), bots)])
    for reason, rows in dropped.select("reason", "rows").iter_rows():
        ctx.drop(origin, reason, rows)
    return [
        SourceFrame(t, f.lazy(), origin=f"telegram export {origin}", platform=PLATFORM)
        for t, f in zip(out, done, strict=True)
    ]


def detect(path: Path) -> bool | str:
    """Telegram Desktop's result.json (a chat with messages, or chats.list)."""
    try:
        file = path / "result.json" if path.is_dir() else path
        if not file.is_file() or file.suffix.lower() != ".json":
            return False
        with file.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    found = (
        (b'"chats"' in head or b'"messages"' in head)
        and (
            b'"date_unixtime"' in head
            or b'"personal_information"' in head
            or b'"about"' in head
            or b'"from_id"' in head
            or b'"type": "' in head
        )
        and b'"guild"' not in head
    )
    return "Telegram Desktop result.json" if found else False


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="telegram",
            description="Telegram Desktop JSON export (result.json): messages, replies, "
            "mentions, reactions, joins, invitations and leaves",
            load=load,
            options=TelegramOptions,
            detect=detect,
        )
    ]
