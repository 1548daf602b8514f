"""Discourse source: real API responses from discourse/discourse_api (counted by hand and
independently), a hand-written forum folder with mentions, likes and invitations, bad input."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError
from communityroi.testing import check_source
from plugins.sources import discourse

DATA = Path(__file__).parent / "data" / "discourse"
SPEC = discourse.communityroi_sources()[0]


def _load(path):
    return check_source(SPEC, {"path": str(path)})


def _kinds(out) -> dict[str, int]:
    return dict(out["activities"].group_by("kind").len().iter_rows())


def test_real_topic_and_likes():
    doc = json.loads((DATA / "sample" / "discourse_api_topic.json").read_text(encoding="utf-8"))
    posts = [p for p in doc["post_stream"]["posts"] if p["post_type"] == 1 and p["user_id"] > 0]
    likes = json.loads((DATA / "sample" / "post_action_users_86.json").read_text())
    out = _load(DATA / "sample")
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


def test_real_user_list_latest_posts_and_group_members(tmp_path):
    users = json.loads((DATA / "discourse_api_user_list.json").read_text())
    humans = [u for u in users if u["id"] > 0]
    shutil.copy(DATA / "discourse_api_user_list.json", tmp_path)
    out = _load(tmp_path)
    assert out["members"]["member_id"].n_unique() == len(humans) == 19
    assert _kinds(out) == {"join": 19}
    j = dict(out["members"].select("member_id", "joined_at").iter_rows())
    assert j["18"] == datetime(2015, 1, 2, 13, 53, 4, 206000, tzinfo=UTC)

    latest = tmp_path / "latest"
    latest.mkdir()
    shutil.copy(DATA / "discourse_api_posts_latest.json", latest)
    out = _load(latest)
    assert _kinds(out) == {"post": 1, "comment": 1}  # two more are by 'system' (id -1)
    assert out["members"]["member_id"].to_list() == ["1"]
    assert out["groups"]["group_id"].to_list() == ["1", "3"]  # categories of all posts

    group = tmp_path / "group"
    group.mkdir()
    shutil.copy(DATA / "discourse_api_members_0.json", group)
    shutil.copy(DATA / "discourse_api_user.json", group)
    out = _load(group)
    members = json.loads((DATA / "discourse_api_members_0.json").read_text())["members"]
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
    assert discourse.detect(DATA / "forum") and not discourse.detect(DATA.parent / "slack")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("t_101.json", '{"post_stream": {"posts": [{"id": 1', "invalid JSON at line 1"),
        (
            "t_101.json",
            '{"post_stream": {"posts": [{"id": 1, "user_id": 2, "post_number": 1}]}}',
            "post 1 has no 'created_at'",
        ),
        (
            "t_101.json",
            '{"post_stream": {"posts": [{"id": "x", "user_id": 2}]}}',
            "field 'id' should be a number but is text",
        ),
        ("likes.json", '{"post_action_users": []}', "name the file after the post id"),
        ("other.json", '{"whatever": 1}', "not a Discourse API response"),
    ],
)
def test_bad_input_is_one_line_error_naming_the_file(tmp_path, name, text, expected):
    root = tmp_path / "forum"
    shutil.copytree(DATA / "forum", root)
    (root / name).write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        _load(root)
    msg = str(err.value)
    assert name in msg and expected in msg and "\n" not in msg


def test_each_detect_recognises_only_its_own_export(tmp_path):
    from plugins.sources import discord, slack, telegram

    root = DATA.parent
    samples = {
        "slack": [root / "slack" / "testarchive.zip", root / "slack" / "threads"],
        "discord": [root / "discord" / "guild", root / "discord" / "zulip_dce_export_general.json"],
        "telegram": [root / "telegram" / "full", root / "telegram" / "single" / "result.json"],
        "discourse": [root / "discourse" / "forum", root / "discourse" / "sample"],
    }
    detectors = {
        "slack": slack.detect,
        "discord": discord.detect,
        "telegram": telegram.detect,
        "discourse": discourse.detect,
    }
    (tmp_path / "orders.csv").write_text("order_id,amount\n1,2\n")
    for name, detect in detectors.items():
        for kind, paths in samples.items():
            for p in paths:
                assert detect(p) is (kind == name), (name, p)
        assert detect(tmp_path / "orders.csv") is False
        assert detect(tmp_path / "missing") is False
