"""Discourse: the canonical frames from the typed responses (``_discourse_read``).

One post id is one post, one user id one user, one (post, user) one like; the rules are in
``discourse.py``'s docstring. Everything stays lazy; ``discourse.load`` collects once.
"""

from __future__ import annotations

import polars as pl

from plugins.sources._chat import ACTIVITY_ORDER, MEMBER_ORDER, iso_time, memberships
from plugins.sources._discourse_read import (
    CATEGORY,
    COPY,
    DELETED,
    LIKE_ELSEWHERE,
    LIKE_ROWS,
    LISTED,
    MENTION,
    NOT_REGULAR,
    ORIGIN,
    PLATFORM,
    POST,
    SYSTEM_LIKE,
    SYSTEM_POST,
    SYSTEM_USER,
    TOPIC_ONLY,
    USER,
    Parts,
)


def _concat(frames: list[pl.DataFrame], schema: pl.Schema) -> pl.LazyFrame:
    return (
        pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=schema)
    ).lazy()


def _why(origin: str, reason: str | pl.Expr) -> list[pl.Expr]:
    reason = pl.lit(reason) if isinstance(reason, str) else reason
    return [pl.col(origin).alias("origin"), reason.alias("reason")]


def build(parts: Parts) -> tuple[dict[str, pl.LazyFrame], pl.LazyFrame]:
    """The canonical frames from the typed responses, and the records not loaded as
    ``(origin, reason, n)`` (lazy; see module docstring)."""
    human = pl.col("member_id") > 0
    topics = _concat(parts.topics, LISTED)
    all_posts = _concat(parts.posts, pl.Schema({**POST, **ORIGIN}))
    # the same post on several pages (topic, posts page, single post, latest): counted
    # once, and each further copy reported, so every file's posts reconcile
    copies = all_posts.filter(~pl.col("id").is_first_distinct())
    posts = all_posts.unique("id", keep="first", maintain_order=True)
    category_of = (
        pl.concat(
            [
                topics.select(pl.col("id").alias("topic_id"), "category_id"),
                posts.select("topic_id", "category_id"),
            ]
        )
        .drop_nulls()
        .unique("topic_id", keep="first", maintain_order=True)
        .rename({"category_id": "topic_category"})
    )
    posts = (
        posts.join(category_of, on="topic_id", how="left")
        .with_columns(
            pl.coalesce("category_id", "topic_category").alias("category_id"),
            iso_time("created_at").alias("at"),
            pl.col("user_id").alias("member_id"),
        )
        .with_columns(
            pl.when(pl.col("user_id").is_null())
            .then(pl.lit(DELETED))
            .when(pl.col("post_type").fill_null(1) != 1)
            .then(pl.lit(NOT_REGULAR))
            .when(~human)
            .then(pl.lit(SYSTEM_POST))
            .alias("skip")
        )
    )
    records = _concat(parts.users, pl.Schema({**USER, **ORIGIN}))
    users = (
        records.with_columns(iso_time("created_at").alias("at"))
        .group_by(pl.col("id").alias("member_id"), maintain_order=True)
        .agg(
            pl.col("origin").first(),
            pl.col("username").drop_nulls().first(),
            pl.col("name").replace("", None).drop_nulls().first(),
            pl.col("at").min().alias("joined_at"),
            pl.col("invited_by").struct.field("id").drop_nulls().first().alias("inviter"),
        )
    )
    likes = _concat(parts.likes, LIKE_ROWS).unique(
        ["post_id", "member_id"], keep="first", maintain_order=True
    )
    handles = (
        pl.concat(
            [
                users.select("member_id", "username"),
                posts.select("member_id", "username"),
                likes.select("member_id", "username"),
            ]
        )
        .drop_nulls()
        .filter(human)
        .unique("username", keep="first", maintain_order=True)
    )
    by_number = posts.filter(human).select(
        "topic_id",
        pl.col("post_number").alias("reply_to_post_number"),
        pl.col("member_id").alias("parent"),
    )
    regular = posts.filter(pl.col("skip").is_null())
    replying = pl.col("reply_to_post_number").is_not_null()
    reply_id = pl.col("reply_to_user").struct.field("id")
    acts = (
        regular.join(by_number, on=["topic_id", "reply_to_post_number"], how="left")
        .join(
            handles.rename({"member_id": "by_handle", "username": "reply_handle"}),
            left_on=pl.col("reply_to_user").struct.field("username"),
            right_on="reply_handle",
            how="left",
        )
        .select(
            "member_id",
            "at",
            pl.when(pl.col("post_number") == 1)
            .then(pl.lit("post"))
            .when(replying)
            .then(pl.lit("reply"))
            .otherwise(pl.lit("comment"))
            .alias("kind"),
            pl.col("category_id").cast(pl.String).alias("group_id"),
            pl.when(replying & (pl.col("post_number") != 1))
            .then(pl.coalesce("parent", pl.when(reply_id > 0).then(reply_id), "by_handle"))
            .alias("target_member_id"),
        )
    )
    mentions = (
        regular.select(
            "id",
            "member_id",
            "at",
            pl.col("category_id").cast(pl.String).alias("group_id"),
            pl.col("cooked")
            .str.extract_all(MENTION)
            .list.eval(pl.element().str.extract(MENTION))
            .alias("handle"),
        )
        .explode("handle")
        .join(handles.rename({"member_id": "target_member_id", "username": "handle"}), on="handle")
        .filter(pl.col("target_member_id") != pl.col("member_id"))
        .unique(["id", "target_member_id"], keep="first")
        .select("member_id", "at", pl.lit("mention").alias("kind"), "group_id", "target_member_id")
    )
    liked = likes.join(
        posts.select(
            pl.col("id").alias("post_id"),
            "at",
            pl.col("category_id").cast(pl.String).alias("group_id"),
            pl.col("member_id").alias("target_member_id"),
            pl.lit(True).alias("found"),
        ),
        on="post_id",
        how="left",
    ).with_columns(
        pl.when(~human)
        .then(pl.lit(SYSTEM_LIKE))
        .when(pl.col("found").is_null())
        .then(pl.lit(LIKE_ELSEWHERE))
        .alias("skip")
    )
    reactions = liked.filter(pl.col("skip").is_null()).select(
        "member_id",
        "at",
        pl.lit("reaction").alias("kind"),
        "group_id",
        pl.when(pl.col("target_member_id") > 0).then("target_member_id").alias("target_member_id"),
    )
    dated = users.filter(human & pl.col("joined_at").is_not_null())
    joins = dated.select(
        "member_id",
        pl.col("joined_at").alias("at"),
        pl.lit("join").alias("kind"),
        pl.lit(None, pl.String).alias("group_id"),
        pl.lit(None, pl.Int64).alias("target_member_id"),
    )
    invites = dated.filter(pl.col("inviter") > 0).select(
        pl.col("inviter").alias("member_id"),
        pl.col("joined_at").alias("at"),
        pl.lit("invite").alias("kind"),
        pl.lit(None, pl.String).alias("group_id"),
        pl.col("member_id").alias("target_member_id"),
    )
    cols = [
        pl.col("member_id").cast(pl.String),
        "at",
        "kind",
        "group_id",
        pl.col("target_member_id").cast(pl.String),
    ]
    activities = pl.concat(
        [f.select(cols) for f in (acts, mentions, reactions, joins, invites)]
    ).sort(*ACTIVITY_ORDER, nulls_last=True)
    names = (
        pl.concat(
            [
                users.select("member_id", "name", "username"),
                posts.select("member_id", pl.col("name").replace("", None), "username"),
                likes.select("member_id", pl.lit(None, pl.String).alias("name"), "username"),
            ]
        )
        .filter(human)
        .group_by("member_id", maintain_order=True)
        .agg(
            pl.coalesce(
                pl.col("name").drop_nulls().first(), pl.col("username").drop_nulls().first()
            ).alias("display_name")
        )
        .with_columns(pl.col("member_id").cast(pl.String))
    )
    seen = pl.concat(
        [
            users.filter(human).select(pl.col("member_id").cast(pl.String)),
            activities.select("member_id"),
            activities.select(pl.col("target_member_id").alias("member_id")),
        ]
    )
    members = (
        memberships(activities.filter(pl.col("group_id").is_not_null()), seen)
        .join(
            users.select(
                pl.col("member_id").cast(pl.String),
                "joined_at",
                pl.when(pl.col("inviter") > 0)
                .then(pl.col("inviter").cast(pl.String))
                .alias("invited_by"),
            ),
            on="member_id",
            how="left",
        )
        .join(names, on="member_id", how="left")
        .select(
            "member_id",
            pl.lit(PLATFORM).alias("platform"),
            "joined_at",
            "invited_by",
            "group_id",
            "display_name",
        )
        .sort(*MEMBER_ORDER, nulls_last=True)
    )
    cats = (
        _concat(parts.categories, CATEGORY)
        .unique("id", keep="first")
        .select(pl.col("id").cast(pl.String).alias("group_id"), "name")
    )
    groups = (
        posts.select(pl.col("category_id").cast(pl.String).alias("group_id"))
        .drop_nulls()
        .unique()
        .join(cats, on="group_id", how="left")
        .select(
            "group_id", "name", pl.lit(PLATFORM).alias("platform"), pl.lit("category").alias("kind")
        )
        .sort("group_id")
    )
    listed_only = (
        topics.filter("listed")
        .unique("id", keep="first", maintain_order=True)
        .join(posts.select(pl.col("topic_id").alias("id")).unique(), on="id", how="anti")
    )
    dropped = (
        pl.concat(
            [
                posts.filter(pl.col("skip").is_not_null()).select(_why("origin", pl.col("skip"))),
                users.filter(~human).select(_why("origin", SYSTEM_USER)),
                liked.filter(pl.col("skip").is_not_null()).select(_why("origin", pl.col("skip"))),
                listed_only.select(_why("origin", TOPIC_ONLY)),
                copies.select(_why("origin", COPY)),
            ]
        )
        .group_by("origin", "reason")
        .len("n")
        .sort("origin", "reason")
    )
    return {"members": members, "activities": activities, "groups": groups}, dropped
