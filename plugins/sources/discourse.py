"""Discourse forums, from saved responses of Discourse's public JSON API.

Format (Discourse API documentation, https://docs.discourse.org, and the response
fixtures of the official client discourse/discourse_api, MIT): ``GET /t/{id}.json`` → a
topic ``{id, title, category_id, created_at, post_stream: {posts}}``; ``GET /posts.json``
→ ``{latest_posts}``; a post has ``id``, ``user_id``, ``username``, ``name``,
``created_at``, ``post_number``, ``post_type`` (1 regular, 2 moderator action, 3 small
action, 4 whisper), ``reply_to_post_number``, ``reply_to_user {username}``, ``topic_id``,
``category_id`` (latest posts) and ``cooked`` HTML, where a mention is
``<a class="mention" href="/u/name">@name</a>``. ``GET /admin/users/list/{flag}.json`` →
a list of users ``{id, username, name, created_at}``; ``GET /u/{username}.json`` →
``{user: {…, invited_by}}``; ``GET /groups/{name}/members.json`` → ``{members}``;
``GET /post_action_users.json?id={post_id}&post_action_type_id=2`` →
``{post_action_users}`` (who liked the post; the response does not repeat the post id);
``GET /categories.json`` → ``{category_list: {categories}}``. User ids ≤ 0 are Discourse's
own accounts (``system``, ``discobot``).

``path`` is a folder of such responses saved as ``.json`` files (or one file). Each file
is recognised by its shape; a likes file must carry the post id as the last number of its
name (``post_action_users_86.json``, ``likes-86.json``). member_id is the Discourse user
id, never the username or name.

Mapping:

- activities: each regular post (``post_type`` 1) by a user is one row: post 1 of a topic
  is a ``post``; a post with ``reply_to_post_number`` is a ``reply`` aimed at the author of
  that post in the topic (else at the id of ``reply_to_user.username`` among the users and
  authors in the files — a username is Discourse's unique handle); any other post is a
  ``comment`` on the topic, with no target. Each distinct ``@username`` mention in
  ``cooked`` that resolves to a known id is a ``mention`` (self-mentions dropped). Each
  user who liked a post is a ``reaction`` aimed at its author, dated at the post (the API
  gives no like time); likes of posts not in the files are skipped. A user record with
  ``created_at`` is that user's ``join``; one with ``invited_by`` also an ``invite`` by
  the inviter aimed at the user, at the same time.
- members: one row per (user, category) where the user acted, plus one row without a
  category for users known only from user lists or as targets; ``joined_at`` and
  ``invited_by`` from the user record, ``display_name`` = name, else username.
- groups: the categories of the posts (names from a categories response when present).

API responses are small pages; each is parsed with the standard library and turned into
typed Polars frames, and the mapping is one lazy query.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._json_io import frame_of, load_json, require

PLATFORM = "discourse"
UTC = pl.Datetime("us", "UTC")
MENTION = r'<a class="mention" href="/u/([^"/]+)"'
_POST = pl.Schema(
    {
        "id": pl.Int64,
        "user_id": pl.Int64,
        "username": pl.String,
        "name": pl.String,
        "created_at": pl.String,
        "post_number": pl.Int64,
        "post_type": pl.Int64,
        "reply_to_post_number": pl.Int64,
        "reply_to_user": pl.Struct({"username": pl.String}),
        "topic_id": pl.Int64,
        "category_id": pl.Int64,
        "cooked": pl.String,
    }
)
_USER = pl.Schema(
    {
        "id": pl.Int64,
        "username": pl.String,
        "name": pl.String,
        "created_at": pl.String,
        "invited_by": pl.Struct({"id": pl.Int64}),
    }
)
_LIKER = pl.Schema({"id": pl.Int64, "username": pl.String})
_CATEGORY = pl.Schema({"id": pl.Int64, "name": pl.String})
_LIKES = pl.Schema({"post_id": pl.Int64, "member_id": pl.Int64, "username": pl.String})


class DiscourseOptions(BaseModel):
    """``[[sources]] type = "discourse"``: ``path`` is a folder of saved API responses."""

    model_config = ConfigDict(extra="forbid")

    path: str


class _Parts:
    def __init__(self) -> None:
        self.posts: list[pl.DataFrame] = []
        self.users: list[pl.DataFrame] = []
        self.likes: list[pl.DataFrame] = []
        self.categories: list[pl.DataFrame] = []


def _read(file: Path, parts: _Parts) -> None:
    origin = str(file)
    doc = load_json(file.read_bytes(), origin)
    if isinstance(doc, list):
        users = frame_of(doc, _USER, origin, "user")
        require(users, ("id",), origin, "user")
        parts.users.append(users)
    elif isinstance(doc, dict) and isinstance(doc.get("post_stream"), dict):
        posts = frame_of(doc["post_stream"].get("posts"), _POST, origin, "post")
        require(posts, ("id", "user_id", "created_at", "post_number"), origin, "post")
        parts.posts.append(
            posts.with_columns(
                pl.col("topic_id").fill_null(doc.get("id")),
                pl.col("category_id").fill_null(doc.get("category_id")),
            )
        )
    elif isinstance(doc, dict) and "latest_posts" in doc:
        posts = frame_of(doc["latest_posts"], _POST, origin, "post")
        require(posts, ("id", "user_id", "created_at", "post_number", "topic_id"), origin, "post")
        parts.posts.append(posts)
    elif isinstance(doc, dict) and isinstance(doc.get("user"), dict):
        user = frame_of([doc["user"]], _USER, origin, "user")
        require(user, ("id",), origin, "user")
        parts.users.append(user)
    elif isinstance(doc, dict) and "members" in doc:
        users = frame_of(doc["members"], _USER, origin, "member")
        require(users, ("id",), origin, "member")
        parts.users.append(users)
    elif isinstance(doc, dict) and "post_action_users" in doc:
        number = re.findall(r"\d+", file.stem)
        if not number:
            raise DataError(
                f"{origin}: a post_action_users response does not say which post it "
                "is for; name the file after the post id, e.g. "
                "post_action_users_86.json"
            )
        likers = frame_of(doc["post_action_users"], _LIKER, origin, "user")
        require(likers, ("id",), origin, "user")
        parts.likes.append(
            likers.select(
                pl.lit(int(number[-1])).alias("post_id"),
                pl.col("id").alias("member_id"),
                "username",
            )
        )
    elif isinstance(doc, dict) and isinstance(doc.get("category_list"), dict):
        cats = frame_of(doc["category_list"].get("categories"), _CATEGORY, origin, "category")
        parts.categories.append(cats)
    else:
        raise DataError(
            f"{origin}: not a Discourse API response this source reads (topic, "
            "latest posts, user list, user, group members, post_action_users or "
            "categories); move other files out of the folder"
        )


def _time(col: str) -> pl.Expr:
    text = pl.col(col).str.replace(r"Z$", "+00:00")
    return text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC").cast(UTC)


def _concat(frames: list[pl.DataFrame], schema: pl.Schema) -> pl.LazyFrame:
    return (
        pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=schema)
    ).lazy()


def build(parts: _Parts) -> dict:
    """The canonical frames from the typed responses (lazy; see module docstring)."""
    human = pl.col("member_id") > 0
    posts = (
        _concat(parts.posts, _POST)
        .unique("id", keep="first")
        .with_columns(_time("created_at").alias("at"), pl.col("user_id").alias("member_id"))
    )
    users = (
        _concat(parts.users, _USER)
        .with_columns(_time("created_at").alias("at"))
        .group_by(pl.col("id").alias("member_id"))
        .agg(
            pl.col("username").drop_nulls().first(),
            pl.col("name").drop_nulls().first(),
            pl.col("at").min().alias("joined_at"),
            pl.col("invited_by").struct.field("id").drop_nulls().first().alias("inviter"),
        )
    )
    handles = (
        pl.concat([users.select("member_id", "username"), posts.select("member_id", "username")])
        .drop_nulls()
        .filter(human)
        .unique("username", keep="first")
    )
    by_number = posts.select(
        "topic_id",
        pl.col("post_number").alias("reply_to_post_number"),
        pl.col("member_id").alias("parent"),
    )
    regular = posts.filter((pl.col("post_type").fill_null(1) == 1) & human)
    replying = pl.col("reply_to_post_number").is_not_null()
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
            .then(pl.coalesce("parent", "by_handle"))
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
    likes = (
        _concat(parts.likes, _LIKES)
        .filter(human)
        .join(
            posts.select(
                pl.col("id").alias("post_id"),
                "at",
                pl.col("category_id").cast(pl.String).alias("group_id"),
                pl.col("member_id").alias("target_member_id"),
            ),
            on="post_id",
        )
        .select(
            "member_id",
            "at",
            pl.lit("reaction").alias("kind"),
            "group_id",
            pl.when(pl.col("target_member_id") > 0)
            .then("target_member_id")
            .alias("target_member_id"),
        )
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
    activities = pl.concat([f.select(cols) for f in (acts, mentions, likes, joins, invites)]).sort(
        "at", "group_id", "kind", "member_id", "target_member_id", nulls_last=True
    )
    names = (
        pl.concat(
            [
                users.select("member_id", "name", "username"),
                posts.select("member_id", pl.col("name").replace("", None), "username"),
                _concat(parts.likes, _LIKES).select(
                    "member_id", pl.lit(None, pl.String).alias("name"), "username"
                ),
            ]
        )
        .filter(human)
        .group_by("member_id")
        .agg(
            pl.coalesce(
                pl.col("name").drop_nulls().first(), pl.col("username").drop_nulls().first()
            ).alias("display_name")
        )
        .with_columns(pl.col("member_id").cast(pl.String))
    )
    known = users.filter(human).select(pl.col("member_id").cast(pl.String))
    pairs = (
        activities.filter(pl.col("group_id").is_not_null()).select("member_id", "group_id").unique()
    )
    loose = (
        pl.concat(
            [
                known,
                activities.select("member_id"),
                activities.select(pl.col("target_member_id").alias("member_id")),
            ]
        )
        .drop_nulls()
        .unique()
        .join(pairs, on="member_id", how="anti")
        .with_columns(pl.lit(None, pl.String).alias("group_id"))
    )
    members = (
        pl.concat([pairs, loose])
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
        .sort("member_id", "group_id", nulls_last=True)
    )
    cats = (
        _concat(parts.categories, _CATEGORY)
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
    return {"members": members, "activities": activities, "groups": groups}


def load(opts: DiscourseOptions, ctx: SourceContext) -> list[SourceFrame]:
    path = ctx.resolve(opts.path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
    elif path.is_file():
        files = [path]
    else:
        raise DataError(
            f"{opts.path}: no such file or folder; check 'path' (relative paths "
            "start at the config's folder)"
        )
    if not files:
        raise DataError(
            f"{opts.path}: no .json files; save the Discourse API responses "
            "(topics, posts, users, likes) there"
        )
    parts = _Parts()
    for file in files:
        ctx.progress(f"discourse: reading {file.name}")
        _read(file, parts)
    frames = build(parts)
    done = pl.collect_all(list(frames.values()))  # run the mapping once (data is in memory)
    return [
        SourceFrame(t, f.lazy(), origin=f"discourse export {opts.path}", platform=PLATFORM)
        for t, f in zip(frames, done, strict=True)
    ]


def detect(path: Path) -> bool:
    """A folder (or file) of Discourse API responses: post_stream / latest_posts / likes."""
    try:
        files = [path] if path.is_file() else sorted(path.glob("*.json"))[:20]
        for file in files:
            with file.open("rb") as fh:
                head = fh.read(2048)
            if (
                b'"post_stream"' in head
                or b'"latest_posts"' in head
                or (b'"post_action_users"' in head)
            ):
                return True
        return False
    except OSError:
        return False


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="discourse",
            description="Discourse forum from saved public-API responses: users, topics, "
            "posts, replies, mentions and likes",
            load=load,
            options=DiscourseOptions,
            detect=detect,
        )
    ]
