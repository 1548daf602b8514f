"""Discourse forums, from saved responses of Discourse's public JSON API.

Format (Discourse API documentation, https://docs.discourse.org, and the response
fixtures of the official client discourse/discourse_api, MIT). Each saved file is
recognised by its shape, whatever its name:

- ``GET /t/{id}.json`` → a topic ``{id, category_id, post_stream: {posts}, …}``;
  ``GET /t/{id}/posts.json`` (a later page, ``?post_number=`` or ``?post_ids[]=``) →
  ``{post_stream: {posts}, id}``, without ``category_id``.
- ``GET /posts.json`` → ``{latest_posts}``; ``GET /posts/{id}.json`` → one post object;
  ``GET /posts/{id}/replies.json`` → a JSON list of posts.
- ``GET /latest.json`` (and the other topic lists: ``/top.json``, ``/new.json``,
  ``/c/{slug}/{id}.json``) → ``{users, topic_list: {topics}}``: topics
  ``{id, category_id, …}`` without their posts, and the users shown beside them.
- ``GET /admin/users/list/{flag}.json`` → a JSON list of users; ``GET
  /admin/users/{id}.json`` → one user object; ``GET /u/{username}.json`` → ``{user}``;
  ``GET /groups/{name}/members.json`` → ``{members, owners}``. A user has ``id``,
  ``username``, ``name``, ``created_at`` and (admin and ``/u`` responses) ``invited_by
  {id}``.
- ``GET /post_action_users.json?id={post_id}&post_action_type_id=2`` →
  ``{post_action_users}``: who liked the post. The response does not repeat the post id,
  so it comes from the file name: the ``id=`` of a name saved with its query
  (``post_action_users.json?id=86&post_action_type_id=2``, as wget saves it; ``@`` for
  ``?`` on Windows), else the last number of the name (``post_action_users_86.json``,
  ``likes-86.json``).
- ``GET /categories.json`` → ``{category_list: {categories}}`` (category names).

A post has ``id``, ``user_id``, ``username``, ``name``, ``created_at``, ``post_number``,
``post_type`` (1 regular, 2 moderator action, 3 small action, 4 whisper),
``reply_to_post_number``, ``reply_to_user {id, username}``, ``topic_id``,
``category_id`` (latest posts only) and ``cooked`` HTML, where a mention is ``<a
class="mention" href="/u/name">@name</a>``. User ids ≤ 0 are Discourse's own accounts
(``system``, ``discobot``); a deleted user's posts have no ``user_id``.

``path`` is a folder of such responses (``.json`` files, read in path order, subfolders
included) or one file. member_id is the Discourse user id, never the username or name.

One post id is one post and one user id one user, however many responses show it: a
topic page, its ``/posts.json`` pages, a single post, replies and latest posts overlap
freely and each post counts once (the first copy in path order is kept); a user's
fields are merged over every record of them (first username and name found, earliest
``created_at``, the ``invited_by`` given); a like is one (post, user) pair. A post's
category is its own ``category_id``, else its topic's from any response in the files.
Each further copy is reported (``ctx.drop``, "post already read in another file") so
that every file's posts reconcile: loaded + reported = posts in the file.

Mapping:

- activities: each regular post (``post_type`` 1) by a user is one row: post 1 of a topic
  is a ``post``; a post with ``reply_to_post_number`` is a ``reply`` aimed at the author of
  that post in the topic (else at ``reply_to_user.id``, else at the id of
  ``reply_to_user.username`` among the users and authors in the files — a username is
  Discourse's unique handle); any other post is a ``comment`` on the topic, with no
  target. Each distinct ``@username`` mention in ``cooked`` that resolves to a known id
  is a ``mention`` (self-mentions dropped). Each user who liked a post is a ``reaction``
  aimed at its author, dated at the post (the API gives no like time). A user record
  with ``created_at`` is that user's ``join``; one with ``invited_by`` also an
  ``invite`` by the inviter aimed at the user, at the same time.
- members: one row per (user, category) where the user acted, plus one row without a
  category for users known only from user records or as targets; ``joined_at`` and
  ``invited_by`` from the user records, ``display_name`` = name, else username.
- groups: the categories of the posts (names from a categories response when present).
- dropped and reported (``ctx.drop``, per file, with the count): a JSON file of another
  shape (one response, with its top-level keys); posts that are not a member's (a
  moderator action, small action or whisper; by a Discourse account; by a deleted user);
  user records and likes of Discourse's own accounts; likes of posts not in the files;
  a likes response whose post id is not in its file name, or that lists another action
  type (``post_action_type_id`` ≠ 2); topics listed (``/latest.json``) whose posts are
  not in the files.

Bad input — damaged or truncated JSON, a field of the wrong type, a post without
``id``/``created_at``/``post_number``/``topic_id`` — is a one-line DataError naming the
file. API responses are small pages: each is parsed with the standard library and turned
into typed Polars frames, and the mapping (with the drop counts) is one lazy query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._json_io import frame_of, load_json, require

PLATFORM = "discourse"
UTC = pl.Datetime("us", "UTC")
MENTION = r'<a class="mention" href="/u/([^"/]+)"'
RESPONSE = re.compile(r"\.json(?:[?@].*)?$", re.IGNORECASE)  # x.json, x.json?id=86 (wget)
LIKES = 2  # post_action_type_id of a like

# why records read are not loaded (ctx.drop reasons)
COPY = "post already read from an earlier file (the same post id; counted once)"
NOT_REGULAR = "moderator action, small action or whisper (post_type 2-4), not a member's post"
SYSTEM_POST = "post by Discourse's own account (system, discobot), not a member"
DELETED = "post by a deleted user (no user_id): no member to count it for"
SYSTEM_USER = "user record of Discourse's own account (system, discobot), not a member"
SYSTEM_LIKE = "like by Discourse's own account (system, discobot), not a member"
LIKE_ELSEWHERE = "like of a post that is not in the files; save its topic (/t/{id}.json)"
NO_POST_ID = (
    "likes response without the post id in its file name; name the file after the post, "
    "e.g. post_action_users_86.json"
)
TOPIC_ONLY = "topic listed without its posts; save /t/{id}.json to count them"

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
        "reply_to_user": pl.Struct({"id": pl.Int64, "username": pl.String}),
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
_TOPIC = pl.Schema({"id": pl.Int64, "category_id": pl.Int64})
_LIKER = pl.Schema({"id": pl.Int64, "username": pl.String})
_CATEGORY = pl.Schema({"id": pl.Int64, "name": pl.String})
_ORIGIN = {"origin": pl.String}
_LIKES = pl.Schema({"post_id": pl.Int64, "member_id": pl.Int64, "username": pl.String, **_ORIGIN})
_LISTED = pl.Schema({**_TOPIC, "listed": pl.Boolean, **_ORIGIN})


class DiscourseOptions(BaseModel):
    """``[[sources]] type = "discourse"``: ``path`` is a folder of saved API responses."""

    model_config = ConfigDict(extra="forbid")

    path: str


class _Parts:
    """The typed frames of every response read, each row tagged with its file."""

    def __init__(self) -> None:
        self.posts: list[pl.DataFrame] = []
        self.users: list[pl.DataFrame] = []
        self.likes: list[pl.DataFrame] = []
        self.topics: list[pl.DataFrame] = []
        self.categories: list[pl.DataFrame] = []


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return "null" if value is None else "a number or true/false"


def _records(value: Any, origin: str, where: str, what: str) -> list:
    """``value`` as a list of ``what`` objects, else a one-line DataError."""
    if not isinstance(value, list):
        raise DataError(
            f"{origin}: '{where}' should be a list of {what}s but is {_describe(value)}; "
            "the response is damaged — save it again"
        )
    return value


def _object(value: Any, origin: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise DataError(
            f"{origin}: '{where}' should be an object but is {_describe(value)}; "
            "the response is damaged — save it again"
        )
    return value


def _keys(doc: Any) -> str:
    """How a response this source does not read looks, for the drop reason."""
    if isinstance(doc, dict):
        names = list(doc)
        more = ", …" if len(names) > 8 else ""
        return f"keys: {', '.join(names[:8]) or 'none'}{more}"
    if isinstance(doc, list):
        first = doc[0]  # an empty list is an empty page, read as nothing
        if isinstance(first, dict):
            return f"a list of objects with {_keys(first)}"
        return "a list, not of objects"
    return _describe(doc)


def _tagged(frame: pl.DataFrame, origin: str) -> pl.DataFrame:
    return frame.with_columns(pl.lit(origin).alias("origin"))


def _posts(
    records: list, origin: str, parts: _Parts, topic: int | None = None, category: int | None = None
) -> None:
    posts = frame_of(records, _POST, origin, "post").with_columns(
        pl.col("topic_id").fill_null(pl.lit(topic, pl.Int64)),
        pl.col("category_id").fill_null(pl.lit(category, pl.Int64)),
    )
    require(posts, ("id", "created_at", "post_number", "topic_id"), origin, "post")
    parts.posts.append(_tagged(posts, origin))


def _users(records: list, origin: str, parts: _Parts, what: str = "user") -> None:
    users = frame_of(records, _USER, origin, what)
    require(users, ("id",), origin, what)
    parts.users.append(_tagged(users, origin))


def _topics(records: list, origin: str, parts: _Parts, *, listed: bool) -> None:
    topics = frame_of(records, _TOPIC, origin, "topic")
    require(topics, ("id",), origin, "topic")
    parts.topics.append(_tagged(topics.with_columns(pl.lit(listed).alias("listed")), origin))


def _liked_post(name: str) -> tuple[int | None, int]:
    """(post id, action type) of a post_action_users file, from its name."""
    query = re.search(r"\.json[?@](.*)$", name, re.IGNORECASE)
    if query:
        params = dict(re.findall(r"(?:^|&)([a-z_]+)=(\d+)", query.group(1)))
        post = params.get("id")
        return (int(post) if post else None), int(params.get("post_action_type_id", LIKES))
    numbers = re.findall(r"\d+", Path(name).stem)
    return (int(numbers[-1]) if numbers else None), LIKES


def _likes(doc: dict, file: Path, origin: str, parts: _Parts, ctx: SourceContext) -> None:
    records = _records(doc["post_action_users"], origin, "post_action_users", "user")
    likers = frame_of(records, _LIKER, origin, "user")
    require(likers, ("id",), origin, "user")
    post, action = _liked_post(file.name)
    if action != LIKES:
        reason = f"post_action_users of post_action_type_id {action}, not likes ({LIKES})"
        ctx.drop(origin, reason, likers.height)
    elif post is None:
        ctx.drop(origin, NO_POST_ID, likers.height)
    else:
        parts.likes.append(
            _tagged(
                likers.select(
                    pl.lit(post, pl.Int64).alias("post_id"),
                    pl.col("id").alias("member_id"),
                    "username",
                ),
                origin,
            )
        )


def _read(file: Path, parts: _Parts, ctx: SourceContext) -> None:
    """Add one saved response to ``parts`` by its shape (or report it as not read)."""
    origin = str(file)
    doc = load_json(file.read_bytes(), origin)
    if isinstance(doc, list):  # replies of a post, or an admin user list
        first = next(iter(doc), None)
        if first is None:
            return  # an empty page: nothing to read, nothing lost
        if isinstance(first, dict) and "post_number" in first:
            _posts(doc, origin, parts)
            return
        if isinstance(first, dict) and "username" in first:
            _users(doc, origin, parts)
            return
    elif isinstance(doc, dict):
        if "post_stream" in doc:  # a topic, or a page of its posts
            stream = _object(doc["post_stream"], origin, "post_stream")
            topic = frame_of([{k: doc.get(k) for k in _TOPIC}], _TOPIC, origin, "topic")
            tid, cat = topic.row(0)
            records = _records(stream.get("posts"), origin, "post_stream.posts", "post")
            _posts(records, origin, parts, tid, cat)
            if tid is not None:
                _topics(topic.to_dicts(), origin, parts, listed=False)
            return
        if "latest_posts" in doc:
            _posts(_records(doc["latest_posts"], origin, "latest_posts", "post"), origin, parts)
            return
        if "topic_list" in doc:  # /latest.json and the other topic lists
            topic_list = _object(doc["topic_list"], origin, "topic_list")
            records = _records(topic_list.get("topics", []), origin, "topic_list.topics", "topic")
            _topics(records, origin, parts, listed=True)
            _users(_records(doc.get("users", []), origin, "users", "user"), origin, parts)
            return
        if "post_action_users" in doc:
            _likes(doc, file, origin, parts, ctx)
            return
        if "category_list" in doc:
            cats = _object(doc["category_list"], origin, "category_list")
            where = "category_list.categories"
            records = _records(cats.get("categories"), origin, where, "category")
            parts.categories.append(frame_of(records, _CATEGORY, origin, "category"))
            return
        if "members" in doc:  # a group's members (and owners)
            members = _records(doc["members"], origin, "members", "member")
            owners = _records(doc.get("owners", []), origin, "owners", "member")
            _users(members + owners, origin, parts, "member")
            return
        if isinstance(doc.get("user"), dict):  # /u/{username}.json
            _users([doc["user"]], origin, parts)
            return
        if "post_number" in doc:  # /posts/{id}.json
            _posts([doc], origin, parts)
            return
        if "id" in doc and "username" in doc:  # /admin/users/{id}.json
            _users([doc], origin, parts)
            return
    ctx.drop(origin, f"not a Discourse API response this source reads ({_keys(doc)})", 1)


def _time(col: str) -> pl.Expr:
    text = pl.col(col).str.replace(r"Z$", "+00:00")
    return text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC").cast(UTC)


def _concat(frames: list[pl.DataFrame], schema: pl.Schema) -> pl.LazyFrame:
    return (
        pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=schema)
    ).lazy()


def _why(origin: str, reason: str | pl.Expr) -> list[pl.Expr]:
    reason = pl.lit(reason) if isinstance(reason, str) else reason
    return [pl.col(origin).alias("origin"), reason.alias("reason")]


def build(parts: _Parts) -> tuple[dict[str, pl.LazyFrame], pl.LazyFrame]:
    """The canonical frames from the typed responses, and the records not loaded as
    ``(origin, reason, n)`` (lazy; see module docstring)."""
    human = pl.col("member_id") > 0
    topics = _concat(parts.topics, _LISTED)
    all_posts = _concat(parts.posts, pl.Schema({**_POST, **_ORIGIN}))
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
            _time("created_at").alias("at"),
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
    records = _concat(parts.users, pl.Schema({**_USER, **_ORIGIN}))
    users = (
        records.with_columns(_time("created_at").alias("at"))
        .group_by(pl.col("id").alias("member_id"), maintain_order=True)
        .agg(
            pl.col("origin").first(),
            pl.col("username").drop_nulls().first(),
            pl.col("name").replace("", None).drop_nulls().first(),
            pl.col("at").min().alias("joined_at"),
            pl.col("invited_by").struct.field("id").drop_nulls().first().alias("inviter"),
        )
    )
    likes = _concat(parts.likes, _LIKES).unique(
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
    ).sort("at", "group_id", "kind", "member_id", "target_member_id", nulls_last=True)
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


def _responses(paths: Iterable[Path]) -> list[Path]:
    """The saved responses among ``paths``, in path order."""
    return sorted(p for p in paths if RESPONSE.search(p.name) and p.is_file())


def load(opts: DiscourseOptions, ctx: SourceContext) -> list[SourceFrame]:
    path = ctx.resolve(opts.path)
    if path.is_dir():
        files = _responses(path.rglob("*"))
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
        _read(file, parts, ctx)
    frames, dropped = build(parts)
    *done, drops = pl.collect_all([*frames.values(), dropped])  # one pass (data in memory)
    for origin, reason, n in drops.iter_rows():  # one row per (file, reason)
        ctx.drop(origin, reason, n)
    return [
        SourceFrame(t, f.lazy(), origin=f"discourse export {opts.path}", platform=PLATFORM)
        for t, f in zip(frames, done, strict=True)
    ]


# top-level keys only Discourse writes, and its avatar URL template (every user and post)
_MARKERS = (
    b'"post_stream"',
    b'"latest_posts"',
    b'"topic_list"',
    b'"post_action_users"',
    b'"category_list"',
)


def detect(path: Path) -> str | bool:
    """A folder (or file) of Discourse API responses: says which key matched."""
    try:
        near = chain(path.glob("*"), path.glob("*/*"))  # a folder, or one of subfolders
        files = [path] if path.is_file() else _responses(near)[:20]
        for file in files:
            with file.open("rb") as fh:
                head = fh.read(4096)
            for marker in _MARKERS:
                if marker in head:
                    return f"Discourse API responses ({marker.decode().strip(chr(34))})"
            if re.search(rb'"avatar_template":\s*"[^"]*\{size\}', head):
                return "Discourse API responses (users or posts with avatar_template)"
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
