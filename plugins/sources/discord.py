"""Discord channels exported as JSON by DiscordChatExporter (DCE).

Format (DCE's JSON writer, ``DiscordChatExporter.Core/Exporting/JsonMessageWriter.cs``, and
its ``MessageKind`` enum): one file per channel (or thread) with ``guild {id, name}``,
``channel {id, type, categoryId, category, name, topic}``, ``messages`` and
``messageCount``. A message has ``id``, ``type`` (``Default``, ``Reply``,
``GuildMemberJoin``, ``RecipientAdd``, ``RecipientRemove``, ``ChannelPinnedMessage``,
``ThreadCreated`` …), ``timestamp`` (ISO 8601 with offset), ``author {id, name, nickname,
isBot}``, ``mentions`` (users), ``reactions [{emoji, count, users}]`` and, for replies,
``reference {messageId, channelId, guildId}``. ``users`` under a reaction was added to DCE
in 2023; older exports give the ``count`` only. Snowflake ids encode their creation time
(Discord API reference, "Snowflakes": ``(id >> 22) + 1420070400000`` ms since the epoch).
The real sample used in the tests is zulip/zulip's DCE fixture (Apache-2.0).

``path`` is one DCE ``.json`` file or a folder of them (one per channel; sub-folders are
read too). member_id is the Discord user id (snowflake), never a name.

Mapping:

- activities: a ``Default`` or ``Reply`` message by a human is one ``message`` or ``reply``
  row; a reply's target is the author of ``reference.messageId`` looked up across every
  loaded file (none when that message is not in the export or its author is a bot). Each
  distinct human in ``mentions`` other than the author is a ``mention`` — except the
  replied-to author on a reply, whom Discord adds to ``mentions`` by itself (a reply
  "ping"). Each human listed under a reaction is a ``reaction`` aimed at the message's
  author, dated at the message (DCE has no reaction time). ``GuildMemberJoin`` → ``join``;
  ``RecipientAdd`` (group chats) → ``invite`` by the author aimed at the added user plus
  that user's ``join``; ``RecipientRemove`` → the removed user's ``leave``.
- bots (``isBot``) are excluded everywhere; a human's reply or reaction to a bot keeps no
  target.
- one message id is one message: a channel exported twice (a second export beside the
  first, overlapping ``--partition`` files, a repeated id inside one file) is read once —
  the first copy in path order is kept (files are read sorted by path, each in order).
- dropped and reported (``ctx.drop``, per file, with the count): each later copy of a
  message id ("already read in another file" / "earlier in this file"); other system
  messages (``ChannelPinnedMessage``, ``ThreadCreated``, ``ChannelNameChange``, ``Call``
  …; one reason per type); messages by bots; reactions by bots; and reactions without a
  user list (DCE before 2.40, 2023, wrote ``count`` only): they cannot be attributed to a
  reactor, so their ``count`` is reported, never guessed. Every message of a file is thus
  either loaded or counted in a drop.
- members: one row per (member, channel) where the member acted, plus one row without a
  group for each member only ever targeted; ``joined_at`` is their first
  ``GuildMemberJoin`` in that guild (it applies to every channel of the guild);
  ``display_name`` is the latest nickname (else name) seen.
- groups: one row per channel file (kind ``thread`` for thread channels, else
  ``channel``), ``created_at`` from the channel's snowflake.

Each file is read whole with an explicit schema (DCE writes one JSON document per
channel, so there is no smaller unit) and cut down to narrow columns before the next one.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._chat import ACTIVITY_ORDER, MEMBER_ORDER, UTC, memberships
from plugins.sources._discord_read import (  # the drop reasons, named here for tests
    AGAIN,
    AGAIN_HERE,
    BOT_MESSAGE,
    BOT_REACTION,
    NO_USERS,
    POSTS,
    dedupe,
    read_file,
)

__all__ = ["AGAIN", "AGAIN_HERE", "BOT_MESSAGE", "BOT_REACTION", "NO_USERS", "read_file"]

PLATFORM = "discord"
DISCORD_EPOCH_MS = 1_420_070_400_000


class DiscordOptions(BaseModel):
    """``[[sources]] type = "discord"``: ``path`` is a DCE JSON file or a folder of them."""

    model_config = ConfigDict(extra="forbid")

    path: str


def _snowflake_time(col: str) -> pl.Expr:
    ms = (pl.col(col).cast(pl.UInt64, strict=False) // (1 << 22)).cast(pl.Int64) + DISCORD_EPOCH_MS
    return (ms * 1000).cast(UTC)


def build(raw: pl.LazyFrame, channels: pl.LazyFrame) -> dict:
    """The canonical frames from the narrow message frame (lazy; see module docstring)."""
    human = ~pl.col("author_bot")
    cols = ["member_id", "at", "kind", "group_id", "target_member_id"]
    authors = raw.select(
        pl.col("id").alias("ref_id"),
        pl.when(~pl.col("author_bot")).then(pl.col("author_id")).alias("ref_author"),
    ).unique("ref_id", keep="first")
    posts = raw.filter(human & pl.col("type").is_in(POSTS)).join(authors, on="ref_id", how="left")
    is_reply = pl.col("type") == "Reply"
    messages = posts.select(
        pl.col("author_id").alias("member_id"),
        "at",
        pl.when(is_reply).then(pl.lit("reply")).otherwise(pl.lit("message")).alias("kind"),
        "group_id",
        pl.when(is_reply).then(pl.col("ref_author")).alias("target_member_id"),
    )
    mentions = (
        posts.select(
            pl.col("author_id").alias("member_id"),
            "at",
            "group_id",
            "ref_author",
            is_reply.alias("is_reply"),
            pl.col("mentioned").alias("target_member_id"),
        )
        .explode("target_member_id")
        .filter(
            pl.col("target_member_id").is_not_null()
            & (pl.col("target_member_id") != pl.col("member_id"))
            & ~(
                pl.col("is_reply")
                & (pl.col("target_member_id") == pl.col("ref_author")).fill_null(False)
            )
        )
        .with_columns(pl.lit("mention").alias("kind"))
    )
    reactions = (
        raw.select(
            pl.col("reactors").alias("member_id"),
            "at",
            "group_id",
            pl.when(human).then(pl.col("author_id")).alias("target_member_id"),
        )
        .explode("member_id")
        .filter(pl.col("member_id").is_not_null())
        .with_columns(pl.lit("reaction").alias("kind"))
    )
    first_mentioned = pl.col("mentioned").list.first()
    joins = (
        raw.filter(pl.col("type") == "GuildMemberJoin")
        .filter(human)
        .select(
            pl.col("author_id").alias("member_id"),
            "at",
            pl.lit("join").alias("kind"),
            "group_id",
            pl.lit(None, pl.String).alias("target_member_id"),
        )
    )
    added = raw.filter(pl.col("type") == "RecipientAdd")
    invites = added.filter(human).select(
        pl.col("author_id").alias("member_id"),
        "at",
        pl.lit("invite").alias("kind"),
        "group_id",
        first_mentioned.alias("target_member_id"),
    )
    group_joins = added.select(
        first_mentioned.alias("member_id"),
        "at",
        pl.lit("join").alias("kind"),
        "group_id",
        pl.lit(None, pl.String).alias("target_member_id"),
    )
    leaves = raw.filter(pl.col("type") == "RecipientRemove").select(
        first_mentioned.alias("member_id"),
        "at",
        pl.lit("leave").alias("kind"),
        "group_id",
        pl.lit(None, pl.String).alias("target_member_id"),
    )
    activities = (
        pl.concat(
            [
                f.select(cols)
                for f in (messages, mentions, reactions, joins, invites, group_joins, leaves)
            ]
        )
        .filter(pl.col("member_id").is_not_null())
        .sort(*ACTIVITY_ORDER, nulls_last=True)
    )
    return {
        "members": _members(raw, activities),
        "activities": activities,
        "groups": channels.select(
            "group_id",
            "name",
            pl.lit(PLATFORM).alias("platform"),
            "kind",
            _snowflake_time("group_id").alias("created_at"),
        ).sort("group_id"),
    }


def _members(raw: pl.LazyFrame, activities: pl.LazyFrame) -> pl.LazyFrame:
    targets = activities.select(pl.col("target_member_id").alias("member_id"))
    guild_of = raw.select("group_id", "guild_id").unique()
    people = (
        pl.concat(
            [
                raw.select(
                    "at", pl.col("author_id").alias("id"), pl.col("author_name").alias("name")
                ),
                raw.select("at", pl.col("people"))
                .explode("people")
                .select(
                    "at",
                    pl.col("people").struct.field("id"),
                    pl.coalesce(
                        pl.col("people").struct.field("nickname"),
                        pl.col("people").struct.field("name"),
                    ).alias("name"),
                ),
            ]
        )
        .drop_nulls("id")
        .group_by(pl.col("id").alias("member_id"))
        .agg(pl.col("name").sort_by("at").drop_nulls().last().alias("display_name"))
    )
    joined = (
        activities.filter(pl.col("kind") == "join")
        .join(guild_of, on="group_id")
        .group_by("member_id", "guild_id")
        .agg(pl.col("at").min().alias("joined_at"))
    )
    return (
        memberships(activities, targets)
        .join(guild_of, on="group_id", how="left")
        .join(joined, on=["member_id", "guild_id"], how="left")
        .join(people, on="member_id", how="left")
        .select(
            "member_id", pl.lit(PLATFORM).alias("platform"), "joined_at", "group_id", "display_name"
        )
        .sort(*MEMBER_ORDER, nulls_last=True)
    )


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".json")
        if found:
            return found
        raise DataError(
            f"{path}: no .json files; export the channels with DiscordChatExporter in JSON format"
        )
    raise DataError(
        f"{path}: no such file or folder; check 'path' (relative paths start at "
        "the config's folder)"
    )


def load(opts: DiscordOptions, ctx: SourceContext) -> list[SourceFrame]:
    files = _files(ctx.resolve(opts.path))
    parts, channels = [], []
    for i, file in enumerate(files):
        ctx.progress(f"discord: reading {file.name}")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise DataError(f"{file}: cannot read it ({exc}); check that it is readable") from None
        narrow, row = read_file(data, str(file))
        parts.append(narrow.with_columns(pl.lit(i, pl.Int32).alias("file")))
        channels.append(row)
    raw, drops = dedupe(pl.concat(parts, how="vertical_relaxed").lazy())
    ch = pl.DataFrame(
        channels, schema={"group_id": pl.String, "name": pl.String, "kind": pl.String}
    ).unique("group_id", keep="first", maintain_order=True)
    frames = build(raw, ch.lazy())
    # run the mapping and the drop counts once (the data is in memory)
    *done, dropped = pl.collect_all([*frames.values(), drops])
    for i, reason, rows in dropped.select("file", "reason", "rows").iter_rows():
        ctx.drop(files[i], reason, rows)
    return [
        SourceFrame(t, f.lazy(), origin=f"discord export {opts.path}", platform=PLATFORM)
        for t, f in zip(frames, done, strict=True)
    ]


def detect(path: Path) -> bool | str:
    """A DCE JSON file (or a folder whose first .json is one): guild, channel, messages."""
    try:
        file = path if path.is_file() else next(iter(sorted(path.rglob("*.json"))), None)
        if file is None or file.suffix.lower() != ".json":
            return False
        with file.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if b'"guild"' not in head or b'"channel"' not in head:
        return False
    if b'"messages"' in head:
        return "DiscordChatExporter JSON (guild + channel + messages)"
    return "DiscordChatExporter JSON (guild + channel)"


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="discord",
            description="Discord channels exported as JSON by DiscordChatExporter: messages, "
            "replies, mentions, reactions, member joins",
            load=load,
            options=DiscordOptions,
            detect=detect,
        )
    ]
