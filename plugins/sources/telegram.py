"""Telegram chats exported by Telegram Desktop as JSON (``result.json``).

Format (Telegram Desktop's JSON writer, ``Telegram/SourceFiles/export/output/
export_output_json.cpp``): a single-chat export is one object ``{name, type, id,
messages}``; a full export wraps chats in ``chats.list`` (and ``left_chats.list``). A
message has ``id``, ``type`` (``message`` or ``service``), ``date`` (local time of the
exporting computer, no zone) and ``date_unixtime`` (the exact instant as text — preferred
here), ``from`` / ``from_id`` (``user123``, ``channel123``), ``reply_to_message_id`` (and
``reply_to_peer_id`` when the parent is in another chat), ``text`` (a string, or a list of
strings and entity objects) and ``text_entities`` (always a list of ``{type, text}``;
``mention_name`` entities carry ``user_id``). Service messages have ``actor`` /
``actor_id`` and ``action``: ``invite_members`` and ``remove_members`` list the
``members`` by *name only*, ``join_group_by_link`` names its ``inviter`` by name,
``join_group_by_request`` has none. Newer versions add ``reactions [{type, count, emoji,
recent: [{from, from_id, date}]}]``. No sample export is public under a free licence; the
test fixture is written in this format by hand.

member_id is the ``from_id`` / ``actor_id`` as written (``user123``); ``channel…`` senders
(anonymous admins, linked channels) are not members. The export has no bot flag: list
known bot ids in ``bots``.

Mapping:

- activities: a ``message`` by a user is one ``message`` row, or one ``reply`` row when it
  has ``reply_to_message_id``, aimed at the author of that message in the same chat (no
  target when it is not in the export, is in another chat or was sent by a channel).
  ``mention_name`` entities are ``mention`` rows aimed at their ``user_id``; ``mention``
  entities (``@username``) are ``mention`` rows with no target, because the export never
  ties a username to an id. Self-mentions and repeats within a message are dropped.
  Reactions: each ``recent`` reactor is a ``reaction`` aimed at the message's author,
  dated at its own ``date`` (read in ``timezone``); Telegram lists only recent reactors,
  so ``count`` may be larger — only listed reactors are counted.
- service messages: ``join_group_by_link`` / ``join_group_by_request`` → ``join`` of the
  actor. ``invite_members`` → one ``invite`` row per listed name, by the actor, **with no
  target**: the invitees are names only, and a name is never an identity (we do not guess
  an id by matching names with later senders). The one exception: when the only listed
  member has exactly the actor's name, Telegram Desktop is writing a user who joined a
  public group by themselves, so it is that actor's ``join``. Likewise ``remove_members``
  listing only the actor is the actor's ``leave``; a removal of somebody else cannot be
  tied to an id and is not a row. Other service actions are skipped.
- members: one row per (user, chat) for each user acting in the chat, plus one row with
  no chat for users only ever targeted; ``joined_at`` is the first join in the chat,
  ``left_at`` a leave after the last join; ``display_name`` the latest ``from``/``actor``.
- groups: each chat read (``kind`` is Telegram's chat type). A full export reads group
  chats only (``private_group``, ``private_supergroup``, ``public_supergroup``) unless
  ``chat_types`` says otherwise; a single-chat export is always read.

Telegram writes one document for the whole export, so it is parsed whole with the
standard library (its ``text`` field is a string or a list, which no fixed schema holds);
each chat's messages then become a typed Polars frame and the mapping is one lazy query.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._json_io import frame_of, load_json, require

PLATFORM = "telegram"
GROUP_TYPES = ("private_group", "private_supergroup", "public_supergroup")
UTC = pl.Datetime("us", "UTC")
JOINS = ("join_group_by_link", "join_group_by_request")

_ENTITY = pl.Struct({"type": pl.String, "text": pl.String, "user_id": pl.Int64})
_MESSAGE = pl.Schema(
    {
        "id": pl.Int64,
        "type": pl.String,
        "date": pl.String,
        "date_unixtime": pl.String,
        "from": pl.String,
        "from_id": pl.String,
        "actor": pl.String,
        "actor_id": pl.String,
        "action": pl.String,
        "members": pl.List(pl.String),
        "reply_to_message_id": pl.Int64,
        "reply_to_peer_id": pl.String,
        "text_entities": pl.List(_ENTITY),
        "reactions": pl.List(
            pl.Struct(
                {
                    "count": pl.Int64,
                    "recent": pl.List(
                        pl.Struct({"from": pl.String, "from_id": pl.String, "date": pl.String})
                    ),
                }
            )
        ),
    }
)


class TelegramOptions(BaseModel):
    """``[[sources]] type = "telegram"``: ``path`` is result.json or its folder."""

    model_config = ConfigDict(extra="forbid")

    path: str
    chat_types: list[str] | None = None  # full export: chat types to read (default: groups)
    bots: list[str] = []  # ids such as "user123" to leave out (the export has no bot flag)
    timezone: str | None = None  # zone of the exporting computer (for reaction dates)


def _chats(doc: object, origin: str, opts: TelegramOptions) -> list[dict]:
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        return [doc]
    if isinstance(doc, dict) and isinstance(doc.get("chats"), dict):
        chats = []
        for key in ("chats", "left_chats"):
            if key not in doc:  # left_chats only exists when the user left some
                continue
            part = doc[key]
            items = part.get("list") if isinstance(part, dict) else None
            if not isinstance(items, list):
                raise DataError(
                    f"{origin}: '{key}.list' should be a list of chats; the export "
                    "is damaged — export it again"
                )
            chats.extend(items)
        wanted = set(opts.chat_types or GROUP_TYPES)
        return [c for c in chats if isinstance(c, dict) and c.get("type") in wanted]
    raise DataError(
        f"{origin}: neither a chat ('messages') nor a full export ('chats.list'); "
        "is this Telegram Desktop's result.json (JSON format)?"
    )


def _legacy_entities(messages: list) -> None:
    """Exports before ``text_entities`` existed kept entities only inside ``text``."""
    for m in messages:
        if isinstance(m, dict) and "text_entities" not in m and isinstance(m.get("text"), list):
            m["text_entities"] = [e for e in m["text"] if isinstance(e, dict)]


def _chat_frame(chat: dict, origin: str) -> pl.DataFrame:
    if chat.get("id") is None or not isinstance(chat.get("messages"), list):
        raise DataError(
            f"{origin}: chat '{chat.get('name')}' has no 'id' or no 'messages' "
            "list; the export is damaged — export it again"
        )
    where = f"{origin} (chat {chat.get('name') or chat['id']})"
    _legacy_entities(chat["messages"])
    df = frame_of(chat["messages"], _MESSAGE, where, "message")
    require(df, ("id", "type"), where, "message")
    no_time = df.select(
        (pl.col("date_unixtime").is_null() & pl.col("date").is_null()).arg_true().first()
    ).item()
    if no_time is not None:
        raise DataError(
            f"{where}: message {no_time + 1} has neither 'date_unixtime' nor "
            "'date'; the export is damaged — export it again"
        )
    return df.with_columns(pl.lit(str(chat["id"])).alias("group_id"))


def _local(col: pl.Expr, tz: str) -> pl.Expr:
    return (
        col.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False)
        .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .cast(UTC)
    )


def build(raw: pl.LazyFrame, chats: pl.LazyFrame, tz: str, bots: list[str]) -> dict:
    """The canonical frames from the typed message frame (lazy; see module docstring)."""
    is_user = pl.col("member_id").str.starts_with("user") & ~pl.col("member_id").is_in(bots)
    raw = raw.with_columns(
        pl.coalesce(
            (pl.col("date_unixtime").cast(pl.Int64, strict=False) * 1_000_000).cast(UTC),
            _local(pl.col("date"), tz),
        ).alias("at"),
        pl.coalesce("from_id", "actor_id").alias("member_id"),
        pl.coalesce("from", "actor").alias("name"),
    )
    authors = raw.filter(pl.col("type") == "message").select(
        "group_id",
        pl.col("id").alias("reply_to_message_id"),
        pl.when(is_user).then("member_id").alias("parent"),
    )
    msgs = raw.filter((pl.col("type") == "message") & is_user)
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
        msgs.select(
            pl.col("member_id").alias("author"),
            "at",
            "group_id",
            pl.col("reactions")
            .list.eval(pl.element().struct.field("recent").explode().drop_nulls())
            .alias("recent"),
        )
        .explode("recent")
        .drop_nulls("recent")
        .select(
            rec.struct.field("from_id").alias("member_id"),
            pl.coalesce(_local(rec.struct.field("date"), tz), "at").alias("at"),
            pl.lit("reaction").alias("kind"),
            "group_id",
            pl.col("author").alias("target_member_id"),
        )
        .filter(is_user)
    )
    svc = raw.filter((pl.col("type") == "service") & is_user)
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
        "at", "group_id", "kind", "member_id", "target_member_id", nulls_last=True
    )
    names = (
        pl.concat(
            [
                raw.filter(is_user).select("member_id", "at", "name"),
                raw.select(
                    pl.col("reactions")
                    .list.eval(pl.element().struct.field("recent").explode().drop_nulls())
                    .alias("r")
                )
                .explode("r")
                .drop_nulls("r")
                .select(
                    pl.col("r").struct.field("from_id").alias("member_id"),
                    _local(pl.col("r").struct.field("date"), tz).alias("at"),
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
    pairs = activities.select("member_id", "group_id").unique()
    loose = (
        activities.select(pl.col("target_member_id").alias("member_id"))
        .drop_nulls()
        .unique()
        .join(pairs, on="member_id", how="anti")
        .with_columns(pl.lit(None, pl.String).alias("group_id"))
    )
    kind = pl.col("kind")
    spans = activities.group_by("member_id", "group_id").agg(
        pl.col("at").filter(kind == "join").min().alias("joined_at"),
        pl.col("at").filter(kind == "join").max().alias("last_join"),
        pl.col("at").filter(kind == "leave").max().alias("left"),
    )
    return (
        pl.concat([pairs, loose.select("member_id", "group_id")])
        .join(spans, on=["member_id", "group_id"], how="left", nulls_equal=True)
        .join(names, on="member_id", how="left")
        .select(
            "member_id",
            pl.lit(PLATFORM).alias("platform"),
            "joined_at",
            pl.when(pl.col("last_join").is_null() | (pl.col("left") > pl.col("last_join")))
            .then("left")
            .alias("left_at"),
            "group_id",
            "display_name",
        )
        .sort("member_id", "group_id", nulls_last=True)
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
    origin = str(opts.path)
    doc = load_json(file.read_bytes(), origin)
    chats = _chats(doc, origin, opts)
    if not chats:
        raise DataError(
            f"{origin}: no chat of type {', '.join(opts.chat_types or GROUP_TYPES)}"
            " in the export; set 'chat_types' to the chats you want"
        )
    frames = [_chat_frame(c, origin) for c in chats]
    raw = pl.concat(frames, how="vertical_relaxed")
    table = pl.DataFrame(
        {
            "group_id": [str(c["id"]) for c in chats],
            "name": [c.get("name") for c in chats],
            "kind": [c.get("type") for c in chats],
        },
        schema={"group_id": pl.String, "name": pl.String, "kind": pl.String},
    ).unique("group_id", keep="first", maintain_order=True)
    out = build(raw.lazy(), table.lazy(), opts.timezone or ctx.timezone, list(opts.bots))
    done = pl.collect_all(list(out.values()))  # run the mapping once (data is in memory)
    return [
        SourceFrame(t, f.lazy(), origin=f"telegram export {opts.path}", platform=PLATFORM)
        for t, f in zip(out, done, strict=True)
    ]


def detect(path: Path) -> bool:
    """Telegram Desktop's result.json (a chat with messages, or chats.list)."""
    try:
        file = path / "result.json" if path.is_dir() else path
        if not file.is_file() or file.suffix.lower() != ".json":
            return False
        with file.open("rb") as fh:
            head = fh.read(4096)
        return (
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
    except OSError:
        return False


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
