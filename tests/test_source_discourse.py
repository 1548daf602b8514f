"""Discourse source: real API responses from discourse/discourse_api (counted by hand and
independently), a hand-written forum folder with mentions, likes and invitations, a
hand-written folder with every response type read (overlapping pages counted once, what
is not loaded reported). Odd and bad input: test_source_discourse_bad_input.py; every chat
source's ``detect`` against the others' exports: test_source_detect.py.

The real responses are discourse/discourse_api's spec fixtures, read from
``shared/samples/discourse/`` (never copied here); their tests skip when that folder is
absent."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import sample

from communityroi.testing import check_source, load_source
from plugins.sources import discourse

DATA = Path(__file__).parent / "data" / "discourse"
SPEC = discourse.communityroi_sources()[0]


def _load(path):
    return check_source(SPEC, {"path": str(path)})


def _dropped(path) -> list[tuple[str, str, int]]:
    """(file name, reason, rows) of every drop, sorted."""
    loaded = load_source(SPEC, {"path": str(path)})
    assert not loaded.problems
    return sorted((Path(d.origin).name, d.reason, d.rows) for d in loaded.dropped)


def _kinds(out) -> dict[str, int]:
    return dict(out["activities"].group_by("kind").len().iter_rows())


def _real_topic_with_likes(folder: Path) -> Path:
    """The real topic and the real likes of its post 86, saved as the source requires: the
    likes file named after the post's id (the response does not repeat it)."""
    folder.mkdir(exist_ok=True)
    shutil.copy(sample("discourse/discourse_api_topic.json"), folder)
    likes = sample("discourse/discourse_api_post_action_users.json")
    shutil.copy(likes, folder / "post_action_users_86.json")
    return folder


def test_real_topic_and_likes(tmp_path):
    real = _real_topic_with_likes(tmp_path / "sample")
    doc = json.loads((real / "discourse_api_topic.json").read_text(encoding="utf-8"))
    posts = [p for p in doc["post_stream"]["posts"] if p["post_type"] == 1 and p["user_id"] > 0]
    likes = json.loads((real / "post_action_users_86.json").read_text())
    out = _load(real)
    kinds = _kinds(out)
    assert sum(kinds[k] for k in ("post", "reply", "comment")) == len(posts) == 3
    assert kinds == {
        "post": 1,
        "comment": 1,
        "reply": 1,
        "reaction": len(likes["post_action_users"]),
    }
    acts = out["activities"]
    # post 226 replies to post 1 (by user 15); the moderator-action post 84 is not a row
    assert acts.filter(pl.col("kind") == "reply").select(
        "member_id", "target_member_id"
    ).rows() == [("50", "15")]
    reactions = acts.filter(pl.col("kind") == "reaction")
    assert sorted(reactions["member_id"]) == ["1", "1286"]
    assert set(reactions["target_member_id"]) == {"23"}  # post 86's author
    assert reactions["at"][0] == datetime(2013, 2, 4, 20, 29, 0, 843000, tzinfo=UTC)
    assert out["groups"]["group_id"].to_list() == ["13"]
    assert dict(out["members"].select("member_id", "display_name").iter_rows())["15"] == (
        "Sam Saffron"
    )
    assert _dropped(real) == [("discourse_api_topic.json", discourse.NOT_REGULAR, 1)]


def test_real_user_list_latest_posts_and_group_members(tmp_path):
    users = json.loads(sample("discourse/discourse_api_user_list.json").read_text())
    humans = [u for u in users if u["id"] > 0]
    shutil.copy(sample("discourse/discourse_api_user_list.json"), tmp_path)
    out = _load(tmp_path)
    assert out["members"]["member_id"].n_unique() == len(humans) == 19
    assert _kinds(out) == {"join": 19}
    assert _dropped(tmp_path) == [("discourse_api_user_list.json", discourse.SYSTEM_USER, 1)]
    j = dict(out["members"].select("member_id", "joined_at").iter_rows())
    assert j["18"] == datetime(2015, 1, 2, 13, 53, 4, 206000, tzinfo=UTC)

    latest = tmp_path / "latest"
    latest.mkdir()
    shutil.copy(sample("discourse/discourse_api_posts_latest.json"), latest)
    out = _load(latest)
    assert _kinds(out) == {"post": 1, "comment": 1}  # two more are by 'system' (id -1)
    assert out["members"]["member_id"].to_list() == ["1"]
    assert out["groups"]["group_id"].to_list() == ["1", "3"]  # categories of all posts
    assert _dropped(latest) == [("discourse_api_posts_latest.json", discourse.SYSTEM_POST, 2)]

    group = tmp_path / "group"
    group.mkdir()
    shutil.copy(sample("discourse/discourse_api_members_0.json"), group)
    shutil.copy(sample("discourse/discourse_api_user.json"), group)
    out = _load(group)
    members = json.loads(sample("discourse/discourse_api_members_0.json").read_text())["members"]
    assert out["members"]["member_id"].n_unique() == len({m["id"] for m in members}) == 100
    assert _kinds(out) == {"join": 1}  # only the single-user response has created_at


def test_forum_fixture_exact_counts_targets_and_members():
    out = _load(DATA / "forum")
    assert _kinds(out) == {
        "post": 1,
        "reply": 2,
        "comment": 1,
        "mention": 2,
        "reaction": 2,
        "join": 4,
        "invite": 1,
    }
    acts = out["activities"]
    assert sorted(
        acts.filter(pl.col("kind") == "reply").select("member_id", "target_member_id").rows()
    ) == [
        ("11", "13"),  # reply_to_post_number 9 is not in the files: reply_to_user 'carol'
        ("12", "11"),
    ]
    assert sorted(acts.filter(pl.col("kind") == "mention")["target_member_id"]) == ["12", "13"]
    assert acts.filter(pl.col("kind") == "invite").select(
        "member_id", "target_member_id"
    ).rows() == [("11", "13")]
    m = {r["member_id"]: r for r in out["members"].iter_rows(named=True)}
    assert set(m) == {"11", "12", "13", "14"}
    assert m["13"]["invited_by"] == "11" and m["13"]["display_name"] == "Carol Chen"
    assert m["12"]["display_name"] == "bob"  # no name: username
    assert m["14"]["group_id"] is None  # known from the user list only
    assert out["groups"].select("group_id", "name").rows() == [("5", "VIP 会员")]
    assert discourse.detect(DATA / "forum") == "Discourse API responses (category_list)"
    assert discourse.detect(DATA.parent / "slack") is False
    assert _dropped(DATA / "forum") == [
        ("post_action_users_501.json", discourse.SYSTEM_LIKE, 1),  # discobot
        ("post_action_users_999.json", discourse.LIKE_ELSEWHERE, 1),
        ("t_101.json", discourse.NOT_REGULAR, 2),  # a small action and a whisper
        ("users_active.json", discourse.SYSTEM_USER, 1),
    ]


RESPONSES = DATA / "responses"


def test_every_response_type_read_and_each_post_counted_once():
    # the same posts arrive through a topic, its posts page, a single post, replies and
    # latest posts: 2001-2006 in topic 201 (category 7), 3001-3002 in topic 202 (8)
    out = _load(RESPONSES)
    assert _kinds(out) == {
        "post": 2,  # 2001 (erin), 3001 (frank)
        "reply": 2,  # 2002 frank → erin (in 4 files), 2006 hank → erin (in 2)
        "comment": 1,  # 2004 gina (in 2 files)
        "mention": 3,  # erin → frank once (twice in 2001, self ignored), gina → erin, frank → ivy
        "reaction": 3,  # 2001 liked by frank, gina (in 2 files) and hank
        "join": 2,  # frank (/u/frank.json), gina (/admin/users/23.json)
        "invite": 1,  # erin invited frank
    }
    acts = out["activities"]
    assert acts.height == 14
    pairs = sorted(
        acts.filter(pl.col("kind").is_in(["reply", "mention", "reaction", "invite"]))
        .select("kind", "member_id", "target_member_id", "group_id")
        .rows()
    )
    assert pairs == [
        ("invite", "21", "22", None),
        ("mention", "21", "22", "7"),
        ("mention", "22", "25", "8"),
        ("mention", "23", "21", "7"),
        ("reaction", "22", "21", "7"),
        ("reaction", "23", "21", "7"),
        ("reaction", "24", "21", "7"),
        ("reply", "22", "21", "7"),
        ("reply", "24", "21", "7"),
    ]
    at = datetime(2024, 3, 1, 9, tzinfo=UTC)  # likes are dated at the liked post
    assert set(acts.filter(pl.col("kind") == "reaction")["at"]) == {at}
    # a post's category comes from its topic when the response does not carry it
    assert acts.filter(pl.col("kind") == "comment")["group_id"].to_list() == ["7"]
    cols = ("member_id", "group_id", "joined_at", "invited_by", "display_name")
    members = out["members"].select(cols)
    assert members.rows() == [
        ("21", "7", None, None, "Erin"),
        ("22", "7", datetime(2024, 2, 1, 8, tzinfo=UTC), "21", "Frank Fu"),
        ("22", "8", datetime(2024, 2, 1, 8, tzinfo=UTC), "21", "Frank Fu"),
        ("23", "7", datetime(2024, 2, 10, 8, tzinfo=UTC), None, "Gina"),
        ("24", "7", None, None, "hank"),  # name "" in his posts: the username
        ("25", None, None, None, "Ivy"),  # only in /latest.json users and as a target
    ]
    assert out["groups"].select("group_id", "name").rows() == [("7", "Help"), ("8", "Show & Tell")]
    assert _dropped(RESPONSES) == [
        ("about.json", "not a Discourse API response this source reads (keys: about)", 1),
        ("latest.json", discourse.TOPIC_ONLY, 1),  # topic 203: listed, no posts saved
        ("latest.json", discourse.SYSTEM_USER, 1),
        ("likes_2001.json", discourse.SYSTEM_LIKE, 2),  # discobot, system
        ("likes_4040.json", discourse.LIKE_ELSEWHERE, 1),
        ("posts.json", discourse.SYSTEM_POST, 1),  # 3002
        # copies of posts read from an earlier file (path order): counted once, reported
        ("posts_2001_replies.json", discourse.COPY, 1),
        ("posts_2002.json", discourse.COPY, 1),
        ("t_201.json", discourse.NOT_REGULAR, 1),  # 2003, a small action (also in t_201_posts)
        ("t_201.json", discourse.COPY, 1),
        ("t_201_posts.json", discourse.COPY, 2),
        ("t_201_posts.json", discourse.DELETED, 1),  # 2005
    ]
    assert discourse.detect(RESPONSES).startswith("Discourse API responses (")


@pytest.mark.parametrize(
    ("name", "kinds", "dropped"),
    [
        # /t/{id}/posts.json has no category_id: it crashed on fill_null(None)
        ("t_201_posts.json", {"comment": 1}, {"NOT_REGULAR": 1, "DELETED": 1}),
        ("t_201.json", {"post": 1, "reply": 1, "mention": 1}, {"NOT_REGULAR": 1}),
        ("posts_2002.json", {"reply": 1}, {}),  # /posts/{id}.json
        ("posts_2001_replies.json", {"reply": 2}, {}),  # /posts/{id}/replies.json
        ("posts.json", {"post": 1, "reply": 1, "comment": 1}, {"SYSTEM_POST": 1}),
        ("latest.json", {}, {"SYSTEM_USER": 1, "TOPIC_ONLY": 3}),
        ("u_frank.json", {"join": 1, "invite": 1}, {}),
        ("admin_users_23.json", {"join": 1}, {}),  # /admin/users/{id}.json
        ("likes_2001.json", {}, {"SYSTEM_LIKE": 2, "LIKE_ELSEWHERE": 2}),
        ("categories.json", {}, {}),
    ],
)
def test_each_response_type_read_on_its_own(tmp_path, name, kinds, dropped):
    shutil.copy(RESPONSES / name, tmp_path)
    out = _load(tmp_path)
    assert _kinds(out) == kinds
    assert _dropped(tmp_path) == sorted(
        (name, getattr(discourse, reason), n) for reason, n in dropped.items()
    )


def test_single_post_and_replies_aim_at_reply_to_user_id_when_the_parent_is_missing(tmp_path):
    shutil.copy(RESPONSES / "posts_2001_replies.json", tmp_path)
    out = _load(tmp_path)
    assert sorted(out["activities"].select("member_id", "target_member_id").rows()) == [
        ("22", "21"),
        ("24", "21"),
    ]
    m = dict(out["members"].select("member_id", "display_name").iter_rows())
    assert m == {"21": None, "22": "Frank Fu", "24": "hank"}  # 21 only as a target


def test_latest_users_are_members_and_topics_give_categories_not_activities(tmp_path):
    shutil.copy(RESPONSES / "latest.json", tmp_path)
    out = _load(tmp_path)
    assert out["activities"].height == 0
    assert out["members"].select("member_id", "display_name").rows() == [
        ("21", "Erin"),
        ("22", "Frank Fu"),
        ("25", "Ivy"),
    ]
    shutil.copy(RESPONSES / "t_201_posts.json", tmp_path)  # a page without category_id
    out = _load(tmp_path)
    # gina's post gets topic 201's category; her @erin now resolves (erin is a listed user)
    assert out["activities"].select("kind", "member_id", "group_id").rows() == [
        ("comment", "23", "7"),
        ("mention", "23", "7"),
    ]
    assert _dropped(tmp_path) == [
        ("latest.json", discourse.TOPIC_ONLY, 2),  # 201 now has posts
        ("latest.json", discourse.SYSTEM_USER, 1),
        ("t_201_posts.json", discourse.NOT_REGULAR, 1),
        ("t_201_posts.json", discourse.DELETED, 1),
    ]


@pytest.mark.parametrize(
    ("name", "reactions", "dropped"),
    [
        ("post_action_users.json?id=2001&post_action_type_id=2", 2, []),  # as wget saves it
        ("post_action_users.json@id=2001&post_action_type_id=2", 2, []),  # wget on Windows
        ("likes-2001.json", 2, []),
        ("post_action_users.json", 0, [(discourse.NO_POST_ID, 2)]),
        (
            "post_action_users.json?id=2001&post_action_type_id=8",
            0,
            [("post_action_users of post_action_type_id 8, not likes (2)", 2)],
        ),
    ],
)
def test_likes_take_the_post_from_the_file_name_else_are_reported(
    tmp_path, name, reactions, dropped
):
    # hand-written: topic 201 and the likes of its post 2001 by gina and hank
    shutil.copy(RESPONSES / "t_201.json", tmp_path)
    shutil.copy(RESPONSES / "post_action_users_2001.json", tmp_path / name)
    out = _load(tmp_path)
    assert _kinds(out).get("reaction", 0) == reactions
    assert _dropped(tmp_path) == sorted(
        [("t_201.json", discourse.NOT_REGULAR, 1)] + [(name, reason, n) for reason, n in dropped]
    )


def test_likes_seen_twice_count_once(tmp_path):
    shutil.copy(RESPONSES / "t_201.json", tmp_path)
    for name in ("likes_2001.json", "post_action_users_2001.json"):
        shutil.copy(RESPONSES / name, tmp_path)
    shutil.copy(RESPONSES / "likes_2001.json", tmp_path / "likes-2001-again.json")
    out = _load(tmp_path)
    assert sorted(out["activities"].filter(pl.col("kind") == "reaction")["member_id"]) == [
        "22",
        "23",
        "24",
    ]
    assert _dropped(tmp_path) == [  # the system likes are counted once too, in the first file
        ("likes-2001-again.json", discourse.SYSTEM_LIKE, 2),
        ("t_201.json", discourse.NOT_REGULAR, 1),
    ]
