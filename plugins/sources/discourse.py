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

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._discourse_build import build
from plugins.sources._discourse_read import (  # the drop reasons, named here for tests
    COPY,
    DELETED,
    LIKE_ELSEWHERE,
    LIKES,
    NO_POST_ID,
    NOT_REGULAR,
    PLATFORM,
    RESPONSE,
    SYSTEM_LIKE,
    SYSTEM_POST,
    SYSTEM_USER,
    TOPIC_ONLY,
    Parts,
    read_response,
)
from plugins.sources._json_io import response_files

__all__ = [
    "COPY",
    "DELETED",
    "LIKES",
    "LIKE_ELSEWHERE",
    "NOT_REGULAR",
    "NO_POST_ID",
    "SYSTEM_LIKE",
    "SYSTEM_POST",
    "SYSTEM_USER",
    "TOPIC_ONLY",
    "DiscourseOptions",
    "build",
    "communityroi_sources",
    "detect",
    "load",
]  # fmt: skip


class DiscourseOptions(BaseModel):
    """``[[sources]] type = "discourse"``: ``path`` is a folder of saved API responses."""

    model_config = ConfigDict(extra="forbid")

    path: str


def _responses(paths: Iterable[Path]) -> list[Path]:
    """The saved responses among ``paths``, in path order."""
    return sorted(p for p in paths if RESPONSE.search(p.name) and p.is_file())


def load(opts: DiscourseOptions, ctx: SourceContext) -> list[SourceFrame]:
    files = response_files(
        opts.path,
        ctx.resolve(opts.path),
        lambda p: bool(RESPONSE.search(p.name)),
        "the Discourse API responses (topics, posts, users, likes)",
    )
    parts = Parts()
    for file in files:
        ctx.progress(f"discourse: reading {file.name}")
        read_response(file, parts, ctx)
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
