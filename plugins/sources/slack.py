"""Slack workspace export (the admin's "Export data" zip, or its unzipped folder).

Format (Slack Help Center, "How to read Slack data exports",
https://slack.com/help/articles/220556107): ``users.json`` (``org_users.json`` on Enterprise
Grid), ``channels.json`` (public channels; ``groups.json`` for private channels in full
exports) and one folder per channel named after it, holding one JSON file per day
(``2016-01-14.json``) with that day's messages. A message has ``ts`` (Unix seconds as text,
also its id), ``user``, ``text``, optional ``subtype`` (``channel_join``, ``channel_leave``,
``bot_message``, ``file_share`` …), ``bot_id``; thread replies carry ``thread_ts`` (the
parent's ``ts``) and ``parent_user_id`` (Slack API reference, conversations.replies);
``reactions`` is a list of ``{name, users, count}``; ``channel_join`` may carry ``inviter``.
Mentions are written in ``text`` as ``<@U123>`` or ``<@U123|name>``. The real sample used in
the tests is hfaran/slack-export-viewer's ``testarchive.zip`` (MIT).

Mapping (member_id is always the Slack user id, never a name):

- members: one row per (user, channel) for each id in a channel's ``members`` list and each
  human seen acting in that channel; ids in ``users.json`` or seen as a target but in no
  channel get one row with no group. ``joined_at`` comes from the first ``channel_join``
  in the channel, ``left_at`` from a ``channel_leave`` after the last join;
  ``invited_by`` is set on one membership only — see *referrals* below;
  ``display_name`` is the profile's display name, else the real name, else the handle.
- activities: a human post is one ``message`` row, or one ``reply`` row when it is in a
  thread (``thread_ts`` ≠ ``ts``) with the target = ``parent_user_id`` (else the author of
  the parent message found in the export); each distinct ``<@U…>`` in a post is a
  ``mention`` (self-mentions dropped: Slack writes "<@U1> uploaded a file" for file shares);
  each user listed under a reaction is a ``reaction`` aimed at the message's author, dated
  at the message (exports carry no reaction time; ``users`` may list fewer than ``count``
  — only listed users are counted); ``channel_join`` → ``join``, ``channel_leave`` →
  ``leave``; an ``invite`` (by the inviter, aimed at the joiner) only for a referral
  (below). Posts with subtype
  ``file_share``, ``thread_broadcast`` or ``me_message`` are posts; other subtypes (topic,
  purpose, pins, bot_add, legacy ``file_comment`` …) are not activities.
- bots are excluded everywhere: ``is_bot`` users, ``USLACKBOT``, ``bot_message`` posts and
  posts with a ``bot_id``. A human's reply or reaction to a bot post is kept with no target;
  a mention of a bot is dropped.
- groups: every channel of ``channels.json`` / ``groups.json``.
- referrals: Slack writes ``inviter`` on a ``channel_join`` each time someone adds a
  member to a channel. Only the member's **earliest join in the export** is their
  arrival in the workspace: its ``inviter`` (not a bot, not themselves) becomes
  ``invited_by`` of that membership and one ``invite`` activity. Later joins with an
  ``inviter`` are channel adds of an existing member: the ``join`` is kept, no invite,
  no referral. A member seen acting (posting, reacting, leaving) before their earliest
  join was in the workspace before the export starts, so no join of theirs is a referral.
  With ``channels`` set, the earliest join read may be a channel add (the channel they
  first joined is not read): read #general too for referrals.
- not loaded, and reported with counts (``validate``, the data-quality appendix): bot
  posts (including bot joins and ``bot_add``), messages without a user, and each other
  subtype (``'channel_topic' message``, ``'pinned_item' message`` …).

Streaming: the export (zip or folder) is never unpacked or read whole. Day-files are read
channel by channel in batches of about 32 MiB (their JSON lists spliced into one, because
Polars' per-file overhead dominates on thousands of small files; if a batch does not
parse, its files are read one by one so the error names the bad file), with an explicit
schema, and each batch is cut down at once to the narrow columns the mapping needs — the
message text only long enough to pull out its ``<@U…>`` ids. Everything after that (bots,
thread targets, reactions, joins, members) is one Polars query, run once when loading.
Measured with ``bench/bench_slack.py``: 1 M messages in 10,000 day-files (337 MiB of JSON,
23 MiB zipped) load in about 22 s with a peak RSS under 1 GiB on the 2-core machine while
it was shared (load average ≈ 10).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._chat import ACTIVITY_ORDER, MEMBER_ORDER, left_at, memberships, reason_counts
from plugins.sources._json_io import Export
from plugins.sources._slack_read import (
    export_root,
    read_channels,
    read_messages,
    read_users,
    seconds,
)

PLATFORM = "slack"
POST_SUBTYPES = ("file_share", "thread_broadcast", "me_message")


class SlackOptions(BaseModel):
    """``[[sources]] type = "slack"``: ``path`` is the export zip or its unzipped folder."""

    model_config = ConfigDict(extra="forbid")

    path: str
    channels: list[str] | None = None  # channel names to read (default: all)
    include_private: bool = True  # read groups.json channels when the export has them


def build(raw: pl.LazyFrame, users: pl.LazyFrame, channels: pl.LazyFrame) -> dict:
    """The canonical frames from the narrow message frame (lazy; see module docstring)."""
    bots = users.filter("is_bot").select("member_id")
    bot_ids = bots.collect().to_series().to_list()
    raw = raw.with_columns(
        seconds("ts").alias("at"),
        (
            (pl.col("subtype") == "bot_message").fill_null(False)
            | pl.col("bot_id").is_not_null()
            | pl.col("user").is_in(bot_ids)
        ).alias("by_bot"),
    )
    human = ~pl.col("by_bot") & pl.col("user").is_not_null()
    is_post = human & (pl.col("subtype").is_null() | pl.col("subtype").is_in(POST_SUBTYPES))
    parents = raw.select(
        "group_id",
        pl.col("ts").alias("thread_ts"),
        pl.col("user").alias("parent_author"),
        pl.col("by_bot").alias("parent_by_bot"),
    ).unique(["group_id", "thread_ts"], keep="first")
    in_thread = pl.col("thread_ts").is_not_null() & (pl.col("thread_ts") != pl.col("ts"))
    target = pl.coalesce("parent_user_id", "parent_author")
    posts = (
        raw.filter(is_post)
        .join(parents, on=["group_id", "thread_ts"], how="left")
        .select(
            pl.col("user").alias("member_id"),
            "at",
            pl.when(in_thread).then(pl.lit("reply")).otherwise(pl.lit("message")).alias("kind"),
            "group_id",
            pl.when(in_thread & ~pl.col("parent_by_bot").fill_null(False) & ~target.is_in(bot_ids))
            .then(target)
            .alias("target_member_id"),
        )
    )
    mentions = (
        raw.filter(is_post)
        .select(
            pl.col("user").alias("member_id"),
            "at",
            "group_id",
            pl.col("mentions").alias("target_member_id"),
        )
        .explode("target_member_id")
        .filter(
            pl.col("target_member_id").is_not_null()
            & (pl.col("target_member_id") != pl.col("member_id"))
            & ~pl.col("target_member_id").is_in(bot_ids)
        )
        .with_columns(pl.lit("mention").alias("kind"))
    )
    reactions = (
        raw.select(
            pl.col("reactors").alias("member_id"),
            "at",
            "group_id",
            pl.when(human).then(pl.col("user")).alias("target_member_id"),
        )
        .explode("member_id")
        .filter(pl.col("member_id").is_not_null() & ~pl.col("member_id").is_in(bot_ids))
        .with_columns(pl.lit("reaction").alias("kind"))
    )
    sub = pl.col("subtype")
    joins = raw.filter(human & sub.is_in(["channel_join", "channel_leave"])).select(
        pl.col("user").alias("member_id"),
        "at",
        pl.when(sub == "channel_join")
        .then(pl.lit("join"))
        .otherwise(pl.lit("leave"))
        .alias("kind"),
        "group_id",
        pl.lit(None, pl.String).alias("target_member_id"),
    )
    cols = ["member_id", "at", "kind", "group_id", "target_member_id"]
    own = pl.concat([f.select(cols) for f in (posts, mentions, reactions, joins)])
    referrals = _referrals(raw.filter(human), own, bot_ids)
    invites = referrals.select(
        pl.col("invited_by").alias("member_id"),
        pl.col("joined_at").alias("at"),
        pl.lit("invite").alias("kind"),
        "group_id",
        pl.col("member_id").alias("target_member_id"),
    )
    activities = pl.concat([own, invites.select(cols)], how="vertical").sort(
        *ACTIVITY_ORDER, nulls_last=True
    )
    members = _members(raw, activities, users, channels, bot_ids, referrals)
    groups = channels.select(
        pl.col("id").alias("group_id"),
        "name",
        pl.lit(PLATFORM).alias("platform"),
        pl.when("private")
        .then(pl.lit("private_channel"))
        .otherwise(pl.lit("channel"))
        .alias("kind"),
        seconds("created").alias("created_at"),
    )
    return {"members": members, "activities": activities, "groups": groups}


def _referrals(joins: pl.LazyFrame, own: pl.LazyFrame, bot_ids: list[str]) -> pl.LazyFrame:
    """One row per member referred into the workspace: member_id, group_id and
    joined_at of their first join, invited_by = that join's ``inviter``.

    Slack writes a ``channel_join`` with ``inviter`` each time someone adds a member to
    a channel; only the member's earliest join in the export is their arrival in the
    workspace, and only its inviter earns the referral. A member seen acting (posting,
    reacting, leaving) before that join was in the workspace already (the export starts
    later), so that join is a channel add too."""
    first = (
        joins.filter(pl.col("subtype") == "channel_join")
        .sort("at", "group_id")
        .group_by(pl.col("user").alias("member_id"))
        .agg(
            pl.col("group_id").first(),
            pl.col("at").first().alias("joined_at"),
            pl.col("inviter").first().alias("invited_by"),
        )
    )
    acted = (
        own.filter(pl.col("kind") != "join")
        .group_by("member_id")
        .agg(pl.col("at").min().alias("_acted"))
    )
    return (
        first.join(acted, on="member_id", how="left")
        .filter(
            pl.col("invited_by").is_not_null()
            & (pl.col("invited_by") != pl.col("member_id"))
            & ~pl.col("invited_by").is_in(bot_ids)
            & (pl.col("_acted").is_null() | (pl.col("_acted") >= pl.col("joined_at")))
        )
        .drop("_acted")
    )


def _members(raw, activities, users, channels, bot_ids, referrals) -> pl.LazyFrame:
    listed = channels.select(
        pl.col("id").alias("group_id"), pl.col("members").alias("member_id")
    ).explode("member_id")
    member = pl.col("member_id").is_not_null() & ~pl.col("member_id").is_in(bot_ids)
    acting = activities.select("member_id", "group_id")
    pairs = pl.concat([listed.select("member_id", "group_id"), acting]).filter(member)
    seen = pl.concat(
        [
            users.filter(~pl.col("is_bot")).select("member_id"),
            activities.select(pl.col("target_member_id").alias("member_id")),
        ]
    ).filter(member)
    joins = (
        raw.filter(pl.col("subtype") == "channel_join")
        .group_by(pl.col("user").alias("member_id"), "group_id")
        .agg(
            pl.col("at").min().alias("joined_at"),
            pl.col("at").max().alias("last_join"),
        )
    )
    leaves = (
        raw.filter(pl.col("subtype") == "channel_leave")
        .group_by(pl.col("user").alias("member_id"), "group_id")
        .agg(pl.col("at").max().alias("left"))
    )
    return (
        memberships(pairs, seen)
        .join(joins, on=["member_id", "group_id"], how="left", nulls_equal=True)
        .join(leaves, on=["member_id", "group_id"], how="left", nulls_equal=True)
        .join(
            referrals.select("member_id", "group_id", "invited_by"),
            on=["member_id", "group_id"],
            how="left",
        )
        .join(users.select("member_id", "display_name"), on="member_id", how="left")
        .select(
            "member_id",
            pl.lit(PLATFORM).alias("platform"),
            "joined_at",
            left_at(),
            "invited_by",
            "group_id",
            "display_name",
        )
        .sort(*MEMBER_ORDER, nulls_last=True)
    )


def load(opts: SlackOptions, ctx: SourceContext) -> list[SourceFrame]:
    with Export(ctx.resolve(opts.path), label=opts.path) as ex:
        root = export_root(ex)
        users = read_users(ex, root)
        channels = read_channels(ex, root, opts.channels, opts.include_private)
        raw = read_messages(ex, root, channels, ctx)
    frames = build(raw.lazy(), users.lazy(), channels.lazy())
    origin = f"slack export {opts.path}"
    # The data is in memory already: run the mapping once, so that the core's boundary
    # checks and the metrics scan the (small) results instead of re-running the joins.
    *done, skipped = pl.collect_all([*frames.values(), _skipped(raw.lazy(), users.lazy())])
    for reason, rows in skipped.iter_rows():  # one row per reason (a handful), not per message
        ctx.drop(origin, reason, rows)
    return [
        SourceFrame(table, frame.lazy(), origin=origin, platform=PLATFORM)
        for table, frame in zip(frames, done, strict=True)
    ]


def _skipped(raw: pl.LazyFrame, users: pl.LazyFrame) -> pl.LazyFrame:
    """Messages read and not loaded, counted by reason: bot posts, posts without a user,
    and each subtype that is not an activity (topic, purpose, pins, bot_add …)."""
    bot_ids = users.filter("is_bot").select("member_id").collect().to_series().to_list()
    sub = pl.col("subtype")
    bot = (sub == "bot_message").fill_null(False) | pl.col("bot_id").is_not_null()
    bot = bot | pl.col("user").is_in(bot_ids)
    kept = sub.is_null() | sub.is_in([*POST_SUBTYPES, "channel_join", "channel_leave"])
    reason = (
        pl.when(bot)
        .then(pl.lit("bot message (bots are not members)"))
        .when(pl.col("user").is_null())
        .then(pl.lit("message without a user"))
        .when(~kept)
        .then(pl.lit("'") + sub + pl.lit("' message (not a member activity)"))
    )
    return reason_counts(raw, reason).sort("reason")


def detect(path: Path) -> str | bool:
    """A Slack export has channels.json and users.json (or org_users.json) at its root:
    says which (``"users.json + channels.json"``), else False."""
    try:
        with Export(path) as ex:
            root = export_root(ex)
            users = next(
                (f for f in ("users.json", "org_users.json") if root + f in ex.names), None
            )
    except (DataError, OSError):
        return False
    return f"{users} + channels.json" if users else False


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="slack",
            description="Slack workspace export (zip or folder): members, messages, thread "
            "replies, mentions, reactions, channel joins and invites",
            load=load,
            options=SlackOptions,
            detect=detect,
        )
    ]
