"""Discord (DiscordChatExporter JSON) source: the real zulip sample counted independently,
a hand-written two-channel guild export, a channel exported again (overlapping partitions, a
repeated id, an older DCE without reaction users), the drops reported, and bad input.

The real sample is zulip/zulip's DCE fixture, read from ``shared/samples/discord/`` (never
copied here); its test skips when that folder is absent."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import sample

from communityroi import DataError
from communityroi.testing import check_source, load_source
from plugins.sources import discord

DATA = Path(__file__).parent / "data" / "discord"
SPEC = discord.communityroi_sources()[0]
A, B, C, D = (f"118000000000000000{i}" for i in range(1, 5))
GEN, VIP = "1180000000000001000", "1180000000000002000"


def _load(path):
    return check_source(SPEC, {"path": str(path)})


def _drops(path) -> list[tuple[str, str, int]]:
    """(file relative to ``path``, reason, rows) of every drop, in the order reported."""
    loaded = load_source(SPEC, {"path": str(path)})
    assert loaded.problems == []
    root = Path(path) if Path(path).is_dir() else Path(path).parent
    return [(Path(d.origin).relative_to(root).as_posix(), d.reason, d.rows) for d in loaded.dropped]


def _kinds(out) -> dict[str, int]:
    return dict(out["activities"].group_by("kind").len().iter_rows())


def test_real_sample_counts_match_an_independent_count():
    real = sample("discord/zulip_dce_export_general.json")
    doc = json.loads(real.read_text(encoding="utf-8"))
    human = [m for m in doc["messages"] if not m["author"]["isBot"]]
    posts = [m for m in human if m["type"] in ("Default", "Reply")]
    reactions = sum(
        not u["isBot"] for m in doc["messages"] for r in m["reactions"] for u in r["users"]
    )
    mentions = sum(
        len({u["id"] for u in m["mentions"] if not u["isBot"]} - {m["author"]["id"]}) for m in posts
    )
    out = _load(real)
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
    # the bot's GuildMemberJoin is the one message not loaded, and it is reported
    assert _drops(real) == [("zulip_dce_export_general.json", discord.BOT_MESSAGE, 1)]
    assert sum(not m["author"]["isBot"] for m in doc["messages"]) == len(doc["messages"]) - 1
    what = "DiscordChatExporter JSON (guild + channel + messages)"
    assert discord.detect(real) == what  # a single channel file, as DCE writes it


def test_guild_folder_exact_counts_and_targets():
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
    # general.json: 9 messages = 2 joins + 4 posts loaded + 2 by MEE6 + 1 pin; vip.json: 3 =
    # 2 posts + 1 thread created. The 👍 with count 4 and no user list is never guessed.
    assert _drops(DATA / "guild") == [
        ("general.json", discord.BOT_MESSAGE, 2),
        ("general.json", discord.BOT_REACTION, 1),
        ("general.json", discord.NO_USERS, 4),
        ("general.json", "system message (ChannelPinnedMessage): not an activity", 1),
        ("vip.json", "system message (ThreadCreated): not an activity", 1),
    ]
    what = "DiscordChatExporter JSON (guild + channel + messages)"
    assert discord.detect(DATA / "guild") == what
    assert discord.detect(DATA / "guild" / "general.json") == what  # a single channel file
    assert not discord.detect(DATA.parent / "slack" / "threads")


REEXPORT = DATA / "reexport"
NAME = "Brand Club - Text Channels - general [1180000000000001000]"
PART1, PART2, LATER = f"{NAME} [part 1].json", f"{NAME} [part 2].json", f"later/{NAME}.json"


def test_a_message_id_seen_twice_counts_once_and_every_drop_is_reported():
    """Part 1 (6 messages, DCE before 2.40: reactions are counts only) repeats message 5;
    part 2 (4) starts with message 5 again; later/ (2, a newer DCE) re-exports message 6
    and adds a reply. 12 messages read = 8 distinct ids; 6 loaded + 6 dropped."""
    out = _load(REEXPORT)
    assert _kinds(out) == {"join": 1, "message": 3, "reply": 2, "mention": 1, "reaction": 1}
    acts = out["activities"]
    assert acts.filter(pl.col("kind") == "message")["member_id"].to_list() == [A, B, C]
    replies = acts.filter(pl.col("kind") == "reply")
    assert replies.select("member_id", "target_member_id").rows() == [(B, A), (A, C)]
    mention = acts.filter(pl.col("kind") == "mention")  # B's reply ping to A is not one
    assert mention.select("member_id", "target_member_id").rows() == [(C, A)]
    reaction = acts.filter(pl.col("kind") == "reaction")  # the bot's 👍 is left out
    assert reaction.select("member_id", "target_member_id").rows() == [(B, A)]
    assert out["members"]["member_id"].to_list() == [A, B, C]
    assert out["groups"]["group_id"].to_list() == [GEN]
    assert _drops(REEXPORT) == [
        (PART1, discord.AGAIN_HERE, 1),
        (PART1, discord.NO_USERS, 6),  # 👍 3 + 🎉 1 on message 2, ❤️ 2 on message 3
        (PART1, "system message (ChannelPinnedMessage): not an activity", 1),
        (PART2, discord.BOT_MESSAGE, 1),
        (PART2, discord.AGAIN, 1),
        (PART2, "system message (ThreadCreated): not an activity", 1),
        (LATER, discord.AGAIN, 1),
        (LATER, discord.BOT_REACTION, 1),
    ]
    # each file reconciles: its messages = loaded + dropped messages
    loaded_per_file = {PART1: 4, PART2: 1, LATER: 1}  # join, 2, 3, 5 | 6 | 9
    for rel, n in loaded_per_file.items():
        doc = json.loads((REEXPORT / rel).read_text(encoding="utf-8"))
        dropped = sum(
            rows for f, reason, rows in _drops(REEXPORT) if f == rel and "reaction" not in reason
        )
        assert len(doc["messages"]) == doc["messageCount"] == n + dropped


def test_the_same_file_twice_loads_it_once(tmp_path):
    shutil.copy(DATA / "guild" / "vip.json", tmp_path / "vip.json")
    shutil.copy(DATA / "guild" / "vip.json", tmp_path / "vip (1).json")
    once = _load(DATA / "guild" / "vip.json")
    twice = _load(tmp_path)
    assert twice["activities"].equals(once["activities"])
    assert _kinds(twice) == {"message": 1, "reply": 1, "mention": 1, "reaction": 2}
    assert _drops(tmp_path) == [
        # "vip (1)" sorts first, so its copy is the one read; all 3 of vip.json are repeats
        ("vip (1).json", "system message (ThreadCreated): not an activity", 1),
        ("vip.json", discord.AGAIN, 3),
    ]


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
