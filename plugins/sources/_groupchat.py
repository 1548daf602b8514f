"""Shared by the chat sources: the generic group chat CSV layout, and turning a chat's
events into canonical activities, members and groups frames (all lazy).

Members are derived per (group, sender): ``joined_at`` is a ``join`` event, else a resolved
invitation, else (when ``first_message_as_joined``) the first event — the earliest when the
times are numbers, the first in file order when they are text (exports are written in time
order); ``left_at`` is the last ``leave`` when no later ``join`` follows; ``invited_by`` is
the first inviter; ``display_name`` the last name seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from communityroi import DataError, SourceFrame
from plugins.sources._io import blank_to_null, scan_csv

GENERIC_FIELDS = (
    "sender_id",
    "time",
    "group_id",
    "kind",
    "quoted_sender_id",
    "mentioned_ids",
    "target_id",
    "sender_name",
)
EVENT_COLUMNS = ("member_id", "at", "kind", "target_member_id", "display_name", "group_id")


@dataclass(frozen=True)
class Chat:
    """One file's events. ``events`` has EVENT_COLUMNS (``group_id`` optional);
    ``invites`` (member_id, at, target_member_id) and ``mentions`` are extra activities."""

    events: pl.LazyFrame
    invites: pl.LazyFrame | None
    group_id: str | None
    name: str
    origin: str
    platform: str = "wechat"
    mentions: pl.LazyFrame | None = None


def generic(path: Path, opts: Any, platform: str = "wechat") -> Chat:
    """The documented generic group chat CSV (see wechat.py's docstring)."""
    origin = str(path)
    unknown = sorted(set(opts.columns) - set(GENERIC_FIELDS))
    if unknown:
        raise DataError(
            f"{origin}: columns has unknown field '{unknown[0]}'; use {', '.join(GENERIC_FIELDS)}"
        )
    raw = scan_csv(
        path,
        opts.columns,
        defaults={f: [f] for f in GENERIC_FIELDS},
        required=("sender_id", "time"),
        encoding=opts.encoding,
        origin=origin,
    )
    have = raw.collect_schema().names()
    col = {f: (blank_to_null(f) if f in have else pl.lit(None, pl.String)) for f in GENERIC_FIELDS}
    kind = col["kind"].str.to_lowercase().fill_null("message")
    quoted = col["quoted_sender_id"]
    kind = pl.when((kind == "message") & quoted.is_not_null()).then(pl.lit("reply")).otherwise(kind)
    events = raw.select(
        col["sender_id"].alias("member_id"),
        pl.col("time").alias("at"),
        kind.alias("kind"),
        pl.coalesce(quoted, col["target_id"]).alias("target_member_id"),
        col["sender_name"].alias("display_name"),
        col["group_id"].alias("group_id"),
    )
    mentions = None
    if "mentioned_ids" in have:
        mentions = (
            raw.select(
                col["sender_id"].alias("member_id"),
                pl.col("time").alias("at"),
                col["group_id"].alias("group_id"),
                col["mentioned_ids"].str.split(opts.mention_separator).alias("target_member_id"),
            )
            .explode("target_member_id")
            .with_columns(blank_to_null("target_member_id"), pl.lit("mention").alias("kind"))
            .drop_nulls("target_member_id")
        )
    name = path.stem.removesuffix("_utf8")
    return Chat(events, None, opts.group_id or name, name, origin, platform, mentions)


def _with_group(frame: pl.LazyFrame, group_id: str | None) -> pl.LazyFrame:
    """The row's own group_id when it has one, else the chat's default."""
    g = pl.lit(group_id, pl.String)
    if "group_id" in frame.collect_schema().names():
        g = pl.coalesce("group_id", g)
    return frame.with_columns(g.alias("group_id"))


def _members(chat: Chat, events: pl.LazyFrame, first_message_as_joined: bool) -> pl.LazyFrame:
    ordered = events.with_row_index("__ord")
    rows = ordered.select(
        "member_id",
        "group_id",
        "at",
        "kind",
        "display_name",
        "__ord",
        pl.lit(None, pl.String).alias("inviter"),
    )
    invites = ordered.filter(pl.col("kind") == "invite")
    if chat.invites is not None:
        extra = _with_group(chat.invites, chat.group_id).with_row_index("__ord")
        invites = pl.concat([invites.select(extra.collect_schema().names()), extra])
    at_type = rows.collect_schema()["at"]
    rows = pl.concat(
        [
            rows,
            invites.filter(pl.col("target_member_id").is_not_null()).select(
                pl.col("target_member_id").alias("member_id"),
                "group_id",
                pl.col("at").cast(at_type),
                pl.lit("invited").alias("kind"),
                pl.lit(None, pl.String).alias("display_name"),
                "__ord",
                pl.col("member_id").alias("inviter"),
            ),
        ]
    )
    numeric = rows.collect_schema()["at"].is_numeric()

    def first(expr: pl.Expr) -> pl.Expr:
        return expr.min() if numeric else expr.first()

    kind = pl.col("kind")
    at = pl.col("at")
    parts = [first(at.filter(kind == "join")), first(at.filter(kind == "invited"))]
    if first_message_as_joined:
        parts.append(first(at))
    joined_at = pl.min_horizontal(*parts) if numeric else pl.coalesce(*parts)
    state = pl.col("kind").filter(kind.is_in(["join", "leave"])).last()
    left = at.filter(kind == "leave").last()
    return (
        rows.filter(pl.col("member_id").is_not_null())
        .sort("__ord", maintain_order=True)  # "first"/"last" below mean in file order
        .group_by("group_id", "member_id", maintain_order=True)
        .agg(
            joined_at.alias("joined_at"),
            pl.when(state == "leave").then(left).alias("left_at"),
            pl.col("inviter").filter(kind == "invited").first().alias("invited_by"),
            pl.col("display_name").drop_nulls().last().alias("display_name"),
        )
    )


def frames(
    chats: list[Chat], *, platform: str | None, first_message_as_joined: bool, timezone: str | None
) -> list[SourceFrame]:
    """Activities (events, mentions, invitations), members and groups of every chat."""
    out: list[SourceFrame] = []
    groups = []
    for chat in chats:
        plat = platform or chat.platform
        events = _with_group(chat.events, chat.group_id)
        extra = ["filler"] if "filler" in events.collect_schema().names() else []
        acts = events.select("member_id", "at", "kind", "group_id", "target_member_id", *extra)
        out.append(SourceFrame("activities", acts, chat.origin, platform=plat, timezone=timezone))
        for extra, label in ((chat.mentions, "mentions"), (chat.invites, "invitations")):
            if extra is not None:
                part = _with_group(extra.with_columns(pl.lit(None).alias("kind")), chat.group_id)
                kind = "mention" if label == "mentions" else "invite"
                part = part.select(
                    "member_id", "at", pl.lit(kind).alias("kind"), "group_id", "target_member_id"
                )
                out.append(
                    SourceFrame(
                        "activities",
                        part,
                        f"{chat.origin} ({label})",
                        platform=plat,
                        timezone=timezone,
                        row_label="item",
                    )
                )
        members = _members(chat, events, first_message_as_joined)
        out.append(
            SourceFrame(
                "members",
                members,
                f"{chat.origin} (members)",
                platform=plat,
                timezone=timezone,
                row_label="member",
            )
        )
        groups.append(
            events.select("group_id")
            .unique()
            .drop_nulls()
            .with_columns(
                pl.when(pl.col("group_id") == pl.lit(chat.group_id, pl.String))
                .then(pl.lit(chat.name))
                .alias("name"),
                pl.lit(plat).alias("platform"),
            )
        )
    if groups:
        out.append(
            SourceFrame(
                "groups",
                pl.concat(groups).unique("group_id", keep="first", maintain_order=True),
                chats[0].origin + " (groups)",
            )
        )
    return out
