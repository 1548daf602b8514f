"""Discord (DiscordChatExporter JSON) source: the real zulip sample counted independently,
a hand-written two-channel guild export, and bad input."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError, SourceContext
from communityroi.testing import check_source
from plugins.sources import discord

DATA = Path(__file__).parent / "data" / "discord"
SPEC = discord.communityroi_sources()[0]
A, B, C, D = (f"118000000000000000{i}" for i in range(1, 5))
GEN, VIP = "1180000000000001000", "1180000000000002000"


def _load(path):
    return check_source(SPEC, {"path": str(path)})


def _kinds(out) -> dict[str, int]:
    return dict(out["activities"].group_by("kind").len().iter_rows())


def test_real_sample_counts_match_an_independent_count():
    doc = json.loads((DATA / "zulip_dce_export_general.json").read_text(encoding="utf-8"))
    human = [m for m in doc["messages"] if not m["author"]["isBot"]]
    posts = [m for m in human if m["type"] in ("Default", "Reply")]
    reactions = sum(
        not u["isBot"] for m in doc["messages"] for r in m["reactions"] for u in r["users"]
    )
    mentions = sum(
        len({u["id"] for u in m["mentions"] if not u["isBot"]} - {m["author"]["id"]}) for m in posts
    )
    out = _load(DATA / "zulip_dce_export_general.json")
    kinds = _kinds(out)
    assert kinds == {"message": len(posts), "reaction": reactions}
    assert (len(posts), reactions, mentions) == (11, 6, 0)  # by hand: pieter only mentions himself
    assert out["members"]["member_id"].sort().to_list() == [
        "1000000000000000001",
        "1000000000000000002",
    ]  # the bot that joined is not a member
    assert set(out["members"]["display_name"]) == {"pieter", "TTW"}
    r = out["activities"].filter(pl.col("kind") == "reaction")
    assert set(r["target_member_id"]) == {"1000000000000000001"}
    g = out["groups"]
    assert g.select("group_id", "name", "kind").rows() == [
        ("1519311538035490958", "general", "channel")
    ]
    # the snowflake's time agrees with the first message (12:04 UTC) in the same hour
    assert g["created_at"][0].replace(microsecond=0) == datetime(2026, 6, 24, 12, 1, 38, tzinfo=UTC)


def test_guild_folder_exact_counts_and_targets():
    progress: list[str] = []
    ctx = SourceContext(
        base_dir=Path("."), timezone="UTC", currency="CNY", progress=progress.append
    )
    assert len(list(SPEC.load(discord.DiscordOptions(path=str(DATA / "guild")), ctx))) == 3
    assert any("4 reaction(s) have no user list" in p for p in progress)
    out = _load(DATA / "guild")
    assert _kinds(out) == {"join": 2, "message": 2, "reply": 4, "mention": 4, "reaction": 6}
    acts = out["activities"]
    replies = acts.filter(pl.col("kind") == "reply").sort("at")
    assert replies.select("member_id", "target_member_id", "group_id").rows() == [
        (B, A, GEN),  # reply ping to A: not also a mention
        (C, None, GEN),  # reply to a bot
        (D, None, GEN),  # reply to a message not in the export
        (A, B, VIP),  # reply across channel files
    ]
    mentions = acts.filter(pl.col("kind") == "mention")
    assert sorted(mentions.select("member_id", "target_member_id").rows()) == [
        (A, B),
        (A, C),
        (C, A),
        (C, D),
    ]
    reactions = acts.filter(pl.col("kind") == "reaction")
    assert sorted(reactions.select("member_id", "target_member_id").rows(), key=str) == sorted(
        [(B, A), (C, A), (A, A), (C, None), (D, C), (A, C)], key=str
    )
    m = out["members"]
    assert m["member_id"].n_unique() == 4 and m.height == 7
    a_rows = m.filter(pl.col("member_id") == A)
    assert (
        a_rows["joined_at"].to_list() == [datetime(2023, 11, 20, 1, 0, 0, 123000, tzinfo=UTC)] * 2
    )
    assert dict(m.select("member_id", "display_name").unique().iter_rows()) == {
        A: "阿丽",
        B: "Bob",
        C: "carol",
        D: "Dan Z",
    }
    assert out["groups"]["name"].to_list() == ["general", "vip"]
    assert discord.detect(DATA / "guild") and discord.detect(DATA / "zulip_dce_export_general.json")
    assert not discord.detect(DATA.parent / "slack" / "threads")


def _broken(tmp_path, text: str) -> Path:
    root = tmp_path / "guild"
    shutil.copytree(DATA / "guild", root)
    (root / "vip.json").write_text(text, encoding="utf-8")
    return root


def _vip(change) -> str:
    doc = json.loads((DATA / "guild" / "vip.json").read_text(encoding="utf-8"))
    change(doc)
    return json.dumps(doc, ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ((DATA / "guild" / "vip.json").read_text(encoding="utf-8")[:900], "invalid JSON at line"),
        ("[]", "expected a JSON object but found a list"),
        (_vip(lambda d: d["messages"][1]["author"].pop("id")), "message 2 has no 'author.id'"),
        (
            _vip(lambda d: d["messages"][0].update(timestamp="yesterday")),
            "timestamp 'yesterday' is not ISO 8601",
        ),
        (
            _vip(lambda d: d["messages"][2].update(mentions="everyone")),
            "field 'messages[2].mentions' should be a list but is text",
        ),
        (_vip(lambda d: d.pop("messages")), "no 'messages' list"),
        (_vip(lambda d: d.pop("guild")), "no guild.id or channel.id"),
    ],
)
def test_bad_file_is_one_line_error_naming_it(tmp_path, text, expected):
    with pytest.raises(DataError) as err:
        _load(_broken(tmp_path, text))
    msg = str(err.value)
    assert "vip.json" in msg and expected in msg and "\n" not in msg


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        _load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no \.json files"):
        _load(tmp_path / "empty")
