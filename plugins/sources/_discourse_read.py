"""Discourse: each saved API response read by its shape into typed frames.

The shapes and what each is read as are listed in ``discourse.py``'s docstring; here each
response becomes rows of ``Parts`` (posts, users, likes, topics, categories) tagged with
its file, or a drop naming the file when this source does not read that shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

from communityroi import DataError, SourceContext
from plugins.sources._json_io import frame_of, load_json, require

PLATFORM = "discourse"
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

POST = pl.Schema(
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
USER = pl.Schema(
    {
        "id": pl.Int64,
        "username": pl.String,
        "name": pl.String,
        "created_at": pl.String,
        "invited_by": pl.Struct({"id": pl.Int64}),
    }
)
TOPIC = pl.Schema({"id": pl.Int64, "category_id": pl.Int64})
LIKER = pl.Schema({"id": pl.Int64, "username": pl.String})
CATEGORY = pl.Schema({"id": pl.Int64, "name": pl.String})
ORIGIN = {"origin": pl.String}
LIKE_ROWS = pl.Schema({"post_id": pl.Int64, "member_id": pl.Int64, "username": pl.String, **ORIGIN})
LISTED = pl.Schema({**TOPIC, "listed": pl.Boolean, **ORIGIN})


class Parts:
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
    records: list, origin: str, parts: Parts, topic: int | None = None, category: int | None = None
) -> None:
    posts = frame_of(records, POST, origin, "post").with_columns(
        pl.col("topic_id").fill_null(pl.lit(topic, pl.Int64)),
        pl.col("category_id").fill_null(pl.lit(category, pl.Int64)),
    )
    require(posts, ("id", "created_at", "post_number", "topic_id"), origin, "post")
    parts.posts.append(_tagged(posts, origin))


def _users(records: list, origin: str, parts: Parts, what: str = "user") -> None:
    users = frame_of(records, USER, origin, what)
    require(users, ("id",), origin, what)
    parts.users.append(_tagged(users, origin))


def _topics(records: list, origin: str, parts: Parts, *, listed: bool) -> None:
    topics = frame_of(records, TOPIC, origin, "topic")
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


def _likes(doc: dict, file: Path, origin: str, parts: Parts, ctx: SourceContext) -> None:
    records = _records(doc["post_action_users"], origin, "post_action_users", "user")
    likers = frame_of(records, LIKER, origin, "user")
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


def read_response(file: Path, parts: Parts, ctx: SourceContext) -> None:
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
            topic = frame_of([{k: doc.get(k) for k in TOPIC}], TOPIC, origin, "topic")
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
            parts.categories.append(frame_of(records, CATEGORY, origin, "category"))
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
