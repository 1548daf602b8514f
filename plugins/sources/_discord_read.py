"""Discord: one DiscordChatExporter JSON file read into narrow message rows, and each
message id kept once across every file read (the rules are in ``discord.py``'s docstring).
"""

from __future__ import annotations

import polars as pl

from communityroi import DataError
from plugins.sources._chat import iso_time, reason_counts
from plugins.sources._json_io import read_object, require

POSTS = ("Default", "Reply")
KINDS = (*POSTS, "GuildMemberJoin", "RecipientAdd", "RecipientRemove")  # the types mapped
# why records read are not loaded (ctx.drop reasons)
AGAIN_HERE = "message id already read earlier in this file"
AGAIN = "message id already read in another file"
BOT_MESSAGE = "message by a bot (isBot): bots are not members"
BOT_REACTION = "reaction by a bot (isBot): bots are not members"
NO_USERS = "reaction without user list (DiscordChatExporter before 2.40, 2023): reactor unknown"

_USER = pl.Struct({"id": pl.String, "name": pl.String, "nickname": pl.String, "isBot": pl.Boolean})
_MESSAGE = pl.Struct(
    {
        "id": pl.String,
        "type": pl.String,
        "timestamp": pl.String,
        "author": _USER,
        "mentions": pl.List(_USER),
        "reactions": pl.List(pl.Struct({"count": pl.Int64, "users": pl.List(_USER)})),
        "reference": pl.Struct({"messageId": pl.String, "channelId": pl.String}),
    }
)
_TOP = pl.Schema(
    {
        "guild": pl.Struct({"id": pl.String, "name": pl.String}),
        "channel": pl.Struct({"id": pl.String, "type": pl.String, "name": pl.String}),
        "messages": pl.List(_MESSAGE),
    }
)


def _humans(col: str) -> pl.Expr:
    """Ids of the non-bot users in a list-of-users column."""
    return pl.col(col).list.eval(
        pl.element().filter(~pl.element().struct.field("isBot").fill_null(False)).struct.field("id")
    )


def read_file(data: bytes, origin: str) -> tuple[pl.DataFrame, dict]:
    """One DCE file → (narrow message frame, channel row)."""
    top = read_object(data, _TOP, origin)
    guild, channel = top["guild"][0], top["channel"][0]
    if not guild or not guild.get("id") or not channel or not channel.get("id"):
        raise DataError(
            f"{origin}: no guild.id or channel.id; is this a DiscordChatExporter JSON export?"
        )
    if top["messages"][0] is None:
        raise DataError(f"{origin}: no 'messages' list; is this a DiscordChatExporter JSON export?")
    msgs = (
        top.select(pl.col("messages").explode())
        .unnest("messages")
        .with_columns(pl.col("author").struct.field("id").alias("author.id"))
    )
    require(msgs, ("id", "type", "timestamp", "author.id"), origin, "message")
    msgs = msgs.with_columns(iso_time("timestamp").alias("at"))
    bad = msgs.select(pl.col("at").is_null().arg_true().first()).item()
    if bad is not None:
        raise DataError(
            f"{origin}: message {bad + 1}: timestamp '{msgs['timestamp'][bad]}' "
            "is not ISO 8601 with an offset; the export is damaged"
        )
    reactions = pl.col("reactions").fill_null([])
    narrow = msgs.select(
        pl.lit(guild["id"]).alias("guild_id"),
        pl.lit(channel["id"]).alias("group_id"),
        "id",
        "type",
        "at",
        pl.col("author.id").alias("author_id"),
        pl.coalesce(
            pl.col("author").struct.field("nickname"), pl.col("author").struct.field("name")
        ).alias("author_name"),
        pl.col("author").struct.field("isBot").fill_null(False).alias("author_bot"),
        pl.col("reference").struct.field("messageId").alias("ref_id"),
        _humans("mentions").list.unique(maintain_order=True).alias("mentioned"),
        reactions.list.eval(pl.element().struct.field("users").explode().drop_nulls())
        .list.eval(pl.element().filter(~pl.element().struct.field("isBot").fill_null(False)))
        .list.eval(pl.element().struct.field("id"))
        .alias("reactors"),
        reactions.list.eval(
            pl.element().filter(pl.element().struct.field("users").is_null()).struct.field("count")
        )
        .list.sum()
        .alias("unattributed"),
        reactions.list.eval(pl.element().struct.field("users").explode().drop_nulls())
        .list.eval(pl.element().struct.field("isBot").fill_null(False))
        .list.sum()
        .alias("bot_reactions"),
        pl.concat_list(
            pl.col("mentions").fill_null([]),
            reactions.list.eval(pl.element().struct.field("users").explode().drop_nulls()),
        ).alias("people"),
    )
    kind = channel.get("type") or ""
    row = {
        "group_id": channel["id"],
        "name": channel.get("name"),
        "kind": "thread" if "Thread" in kind else "channel",
    }
    return narrow, row


def dedupe(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Each message id once (its first copy in read order), and what is not loaded.

    ``raw`` is the narrow frame of every file in read order with a ``file`` column (the
    file's index). Returns the kept messages and the drops as ``(file, reason, rows)``.
    """
    pos = pl.int_range(pl.len())
    raw = raw.with_columns(
        (pos.over("id") > 0).alias("_again"), (pos.over("file", "id") > 0).alias("_again_here")
    )
    kept = raw.filter(~pl.col("_again")).drop("_again", "_again_here")
    typ = pl.col("type")
    reason = (
        pl.when(pl.col("_again_here"))
        .then(pl.lit(AGAIN_HERE))
        .when(pl.col("_again"))
        .then(pl.lit(AGAIN))
        .when(~typ.is_in(KINDS))
        .then(pl.format("system message ({}): not an activity", typ))
        .when(pl.col("author_bot") & ~typ.is_in(["RecipientAdd", "RecipientRemove"]))
        .then(pl.lit(BOT_MESSAGE))
    )
    messages = reason_counts(raw, reason, "file")
    reactions = (
        kept.group_by("file")
        .agg(
            pl.col("unattributed").sum().cast(pl.Int64).alias(NO_USERS),
            pl.col("bot_reactions").sum().cast(pl.Int64).alias(BOT_REACTION),
        )
        .unpivot(index="file", variable_name="reason", value_name="rows")
    )
    drops = (
        pl.concat([messages, reactions], how="vertical_relaxed")
        .filter(pl.col("rows") > 0)
        .sort("file", "reason")
    )
    return kept, drops
