"""Telegram: result.json read into one typed frame per chat, the expressions every later
step reads it with (canonical peer ids, local dates, who is a member), and the count of
what is read and not loaded (the rules are in ``telegram.py``'s docstring).
"""

from __future__ import annotations

import polars as pl

from communityroi import DataError
from plugins.sources._chat import UTC, reason_counts
from plugins.sources._json_io import frame_of, require

JOINS = ("join_group_by_link", "join_group_by_request")
LOADED_ACTIONS = (*JOINS, "invite_members", "remove_members")
# why records read are not loaded (ctx.drop reasons)
NOT_USER = "sent by a channel or chat, or without from_id/actor_id: not a member"
BOT = "sent by a bot listed in 'bots': bots are not members"
REMOVED = "remove_members of someone else: the removed are names, not ids"
UNLISTED = "reaction beyond the recent reactors Telegram lists: reactor unknown"
REACTOR = "reaction by a channel or a listed bot: not a member"

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


def chats_of(doc: object, origin: str, chat_types: tuple[str, ...] | list[str]) -> list[dict]:
    """The chats of a single-chat export, or those of ``chat_types`` in a full export."""
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
        wanted = set(chat_types)
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


def chat_frame(chat: dict, origin: str) -> pl.DataFrame:
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


def peer_id(value: str | int) -> str:
    """The canonical id of a peer given in the options: ``123`` → ``user123``."""
    text = str(value).strip()
    return f"user{text}" if text.isdigit() else text


def peer(col: pl.Expr) -> pl.Expr:
    """Canonical peer ids: exports before 2021 wrote a user as a bare number (``123``),
    later ones as ``user123`` (and ``channel123`` / ``chat123`` for the others)."""
    return col.str.replace(r"^(\d+)$", "user$1")


def local_time(col: pl.Expr, tz: str) -> pl.Expr:
    return (
        col.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False)
        .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .cast(UTC)
    )


def typed(raw: pl.LazyFrame, tz: str) -> pl.LazyFrame:
    return raw.with_columns(
        pl.coalesce(
            (pl.col("date_unixtime").cast(pl.Int64, strict=False) * 1_000_000).cast(UTC),
            local_time(pl.col("date"), tz),
        ).alias("at"),
        peer(pl.coalesce("from_id", "actor_id")).alias("member_id"),
        pl.coalesce("from", "actor").alias("name"),
    )


def is_user(bots: list[str], col: str = "member_id") -> pl.Expr:
    return pl.col(col).str.starts_with("user") & ~pl.col(col).is_in(bots)


def recent_reactors() -> pl.Expr:
    """Every listed reactor of a message (a list of ``{from, from_id, date}``)."""
    return pl.col("reactions").list.eval(pl.element().struct.field("recent").explode().drop_nulls())


def drops(raw: pl.LazyFrame, bots: list[str]) -> pl.LazyFrame:
    """``(reason, rows)``: the records read and not loaded (see the module docstring)."""
    raw = raw.with_columns(peer(pl.coalesce("from_id", "actor_id")).alias("member_id"))
    typ, action = pl.col("type"), pl.col("action")
    alone = (pl.col("members").list.len() == 1) & (
        pl.col("members").list.first() == pl.coalesce("from", "actor")
    )
    reason = (
        pl.when(~typ.is_in(["message", "service"]))
        .then(pl.format("record of type '{}': not a message", typ))
        .when(~pl.col("member_id").str.starts_with("user").fill_null(False))
        .then(pl.lit(NOT_USER))
        .when(pl.col("member_id").is_in(bots))
        .then(pl.lit(BOT))
        .when((typ == "service") & ~action.is_in(LOADED_ACTIONS).fill_null(False))
        .then(pl.format("service message ({}): not an activity", action.fill_null("no action")))
        .when((typ == "service") & (action == "remove_members") & ~alone.fill_null(False))
        .then(pl.lit(REMOVED))
    )
    messages = reason_counts(raw, reason)
    posts = raw.filter(typ == "message")
    unlisted = posts.select(
        pl.lit(UNLISTED).alias("reason"),
        pl.col("reactions")
        .list.eval(
            (
                pl.element().struct.field("count").fill_null(0)
                - pl.element().struct.field("recent").list.len().fill_null(0)
            ).clip(lower_bound=0)
        )
        .list.sum()
        .sum()
        .cast(pl.Int64)
        .alias("rows"),
    )
    reactors = (
        posts.select(recent_reactors().alias("r"))
        .explode("r")
        .drop_nulls("r")
        .select(peer(pl.col("r").struct.field("from_id")).alias("who"))
        .select(
            pl.lit(REACTOR).alias("reason"),
            (~is_user(bots, "who").fill_null(False)).sum().cast(pl.Int64).alias("rows"),
        )
    )
    return (
        pl.concat([messages, unlisted, reactors], how="vertical_relaxed")
        .filter(pl.col("rows") > 0)
        .sort("reason")
    )
