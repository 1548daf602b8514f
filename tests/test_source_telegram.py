"""Telegram Desktop result.json source: a full export (chats.list + left_chats), an older
single-chat export (no date_unixtime, entities inside text), a 2021 export (integer
from_id/actor_id), the drops reported, and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError
from communityroi.testing import check_source, load_source
from plugins.sources import telegram

DATA = Path(__file__).parent / "data" / "telegram"
SPEC = telegram.communityroi_sources()[0]
A, B, C, D, E = (f"user100{i}" for i in range(1, 6))
VIP, OLD = "1900000001", "1800000002"


def _load(path, tz="Asia/Shanghai", **opts):
    return check_source(SPEC, {"path": str(path), **opts}, timezone=tz)


def _drops(path, **opts) -> list[tuple[str, str, int]]:
    loaded = load_source(SPEC, {"path": str(path), **opts}, timezone="Asia/Shanghai")
    assert loaded.problems == []
    return [(d.origin, d.reason, d.rows) for d in loaded.dropped]


def _kinds(out) -> dict[str, int]:
    return dict(out["activities"].group_by("kind").len().iter_rows())


def _independent_counts(doc: dict, bots: set[str]) -> dict[str, int]:
    """Count the group chats of the fixture with plain Python and the documented rules."""
    counts = dict.fromkeys(
        ("message", "reply", "mention", "reaction", "join", "leave", "invite"), 0
    )
    chats = doc["chats"]["list"] + doc["left_chats"]["list"]
    for chat in (c for c in chats if c["type"] in telegram.GROUP_TYPES):
        for m in chat["messages"]:
            who = m.get("from_id") or m.get("actor_id") or ""
            if not who.startswith("user") or who in bots:
                continue
            if m["type"] == "message":
                counts["reply" if "reply_to_message_id" in m else "message"] += 1
                seen = set()
                for e in m["text_entities"]:
                    if e["type"] == "mention_name" and f"user{e['user_id']}" != who:
                        seen.add(("id", e["user_id"]))
                    elif e["type"] == "mention":
                        seen.add(("handle", e["text"].lower()))
                counts["mention"] += len(seen)
                counts["reaction"] += sum(len(r.get("recent", [])) for r in m.get("reactions", []))
            elif m["action"] in ("join_group_by_link", "join_group_by_request"):
                counts["join"] += 1
            elif m["action"] in ("invite_members", "remove_members"):
                alone = m["members"] == [m["actor"]]
                if m["action"] == "invite_members":
                    counts["join" if alone else "invite"] += 1 if alone else len(m["members"])
                elif alone:
                    counts["leave"] += 1
    return counts


def test_full_export_counts_match_an_independent_count():
    doc = json.loads((DATA / "full" / "result.json").read_text(encoding="utf-8"))
    out = _load(DATA / "full", bots=["user5550001"])
    expected = _independent_counts(doc, {"user5550001"})
    assert _kinds(out) == expected
    # and by hand, once
    assert expected == {
        "message": 3,
        "reply": 5,
        "mention": 3,
        "reaction": 4,
        "join": 3,
        "leave": 1,
        "invite": 2,
    }
    assert out["members"]["member_id"].n_unique() == 5  # no channel, no bot, no personal chat
    assert out["members"].height == 7
    assert set(out["groups"]["group_id"]) == {VIP, OLD}  # personal chat left out
    # the supergroup's 16 records: 11 loaded, 5 dropped (the left group's 2 are loaded)
    f = str(DATA / "full" / "result.json")
    assert _drops(DATA / "full", bots=["user5550001"]) == [
        (f, telegram.UNLISTED, 1),  # 👍 count 3, 2 recent reactors
        (f, telegram.REMOVED, 1),
        (f, telegram.BOT, 1),
        (f, telegram.NOT_USER, 1),  # the linked channel's post
        (f, "service message (migrate_from_group): not an activity", 1),
        (f, "service message (pin_message): not an activity", 1),
    ]
    assert telegram.BOT not in {r for _, r, _ in _drops(DATA / "full")}  # no bots named


def test_full_export_targets_times_and_members():
    out = _load(DATA / "full", bots=["user5550001"])
    acts = out["activities"]
    replies = acts.filter(pl.col("kind") == "reply").sort("at")
    assert replies.select("member_id", "target_member_id").rows() == [
        (A, C),  # left chat
        (B, A),
        (C, None),  # reply to a channel post
        (E, None),  # reply to a service message
        (D, A),
    ]
    mentions = acts.filter(pl.col("kind") == "mention")
    assert sorted(mentions.select("member_id", "target_member_id").rows(), key=str) == sorted(
        [(A, C), (A, None), (D, E)], key=str
    )  # @bob_li twice → once, no id; self dropped
    invites = acts.filter(pl.col("kind") == "invite")
    assert invites["target_member_id"].to_list() == [None, None]  # names only: never linked
    # reaction time: the reactor's own (local) date read in the export's zone
    r = acts.filter((pl.col("kind") == "reaction") & (pl.col("member_id") == D))
    assert r["at"].to_list() == [datetime(2023, 11, 20, 2, 9, tzinfo=UTC)]
    assert r["target_member_id"].to_list() == [C]
    # message time from date_unixtime
    first = acts.filter((pl.col("kind") == "message") & (pl.col("group_id") == VIP)).sort("at")
    assert first["at"][0] == datetime(2023, 11, 20, 2, 0, tzinfo=UTC)
    m = {(r["member_id"], r["group_id"]): r for r in out["members"].iter_rows(named=True)}
    assert m[(B, VIP)]["joined_at"] == datetime(2023, 11, 20, 1, 1, tzinfo=UTC)
    assert m[(B, VIP)]["left_at"] == datetime(2023, 11, 22, 0, 0, tzinfo=UTC)
    assert m[(D, VIP)]["joined_at"] == datetime(2023, 11, 20, 1, 3, tzinfo=UTC)  # self-join
    assert m[(A, OLD)]["display_name"] == "阿丽"
    # the bot is left out only when named
    with_bot = _load(DATA / "full")
    assert with_bot["members"]["member_id"].n_unique() == 6


def test_chat_types_and_single_legacy_export():
    out = _load(DATA / "full", chat_types=["personal_chat"])
    assert _kinds(out) == {"message": 2}
    assert out["groups"]["kind"].to_list() == ["personal_chat"]
    old = _load(DATA / "single" / "result.json")
    assert _kinds(old) == {"join": 1, "message": 1, "mention": 1, "reply": 1}
    acts = old["activities"].sort("at")
    # no date_unixtime: the local date is read in the configured zone (UTC+8 here)
    assert acts["at"][0] == datetime(2021, 3, 1, 1, 0, tzinfo=UTC)
    assert acts.filter(pl.col("kind") == "mention")["target_member_id"].to_list() == [A]
    utc = _load(DATA / "single", tz="UTC", timezone="Asia/Shanghai")
    assert utc["activities"]["at"].min() == datetime(2021, 3, 1, 1, 0, tzinfo=UTC)
    assert telegram.detect(DATA / "full") == "Telegram Desktop result.json"
    assert telegram.detect(DATA / "single" / "result.json") == "Telegram Desktop result.json"
    assert telegram.detect(DATA / "export2021") == "Telegram Desktop result.json"
    assert not telegram.detect(DATA.parent / "discord" / "guild" / "vip.json")


def test_2021_export_with_integer_ids_is_read():
    """12 records: 2 joins (by link; invite_members listing only the actor), 3 messages,
    2 replies (one to the bot: no target), 2 mentions (mention_name → id; @handle → no
    target), 1 invite_members of 2 names, 1 self-removal; a pin, a title change and the
    bot's message are dropped. Dates have no zone: read in Asia/Shanghai."""
    path = DATA / "export2021"
    out = _load(path, bots=[5550001])
    assert _kinds(out) == {
        "join": 2,
        "message": 3,
        "reply": 2,
        "mention": 2,
        "invite": 2,
        "leave": 1,
    }
    acts = out["activities"]
    assert set(acts["member_id"]) == {A, B, C}  # 1001 → user1001, as in later exports
    pairs = ("member_id", "target_member_id")
    assert acts.filter(pl.col("kind") == "reply").select(pairs).rows() == [(B, A), (C, None)]
    mentions = acts.filter(pl.col("kind") == "mention").select(pairs).rows()
    assert sorted(mentions, key=str) == sorted([(B, A), (C, None)], key=str)
    first = acts.filter(pl.col("kind") == "message").sort("at")
    assert first["at"][0] == datetime(2021, 3, 4, 2, 11, 12, tzinfo=UTC)
    m = {r["member_id"]: r for r in out["members"].iter_rows(named=True)}
    assert set(m) == {A, B, C} and out["members"].height == 3
    assert m[A]["joined_at"] == datetime(2021, 3, 4, 1, 0, tzinfo=UTC)
    assert m[B]["joined_at"] == datetime(2021, 3, 4, 1, 5, tzinfo=UTC)
    assert m[B]["left_at"] == datetime(2021, 3, 4, 3, 0, tzinfo=UTC)
    assert (m[A]["display_name"], m[C]["display_name"]) == ("阿丽", "Carol")
    f = str(path / "result.json")
    assert _drops(path, bots=[5550001]) == [
        (f, telegram.BOT, 1),
        (f, "service message (edit_group_title): not an activity", 1),
        (f, "service message (pin_message): not an activity", 1),
    ]
    # a bot named as in newer exports, or as text, is the same bot
    for bots in (["user5550001"], ["5550001"]):
        assert _kinds(_load(path, bots=bots)) == _kinds(out)
    # the same person in a 2021 and a 2023 export is one member id
    full = _load(DATA / "full", bots=["user5550001"])
    assert set(full["members"]["member_id"]) & set(out["members"]["member_id"]) == {A, B, C}


def test_ids_are_canonical_across_versions():
    ids = pl.DataFrame({"id": ["user123", "123", "channel123", "chat123", None]})
    got = ids.select(telegram.peer(pl.col("id")))["id"].to_list()
    assert got == ["user123", "user123", "channel123", "chat123", None]
    assert [telegram.peer_id(v) for v in (123, "123", "user123", "channel123")] == [
        "user123",
        "user123",
        "user123",
        "channel123",
    ]


def test_truncated_result_json_in_a_folder_names_the_file(tmp_path):
    folder = tmp_path / "ChatExport_2021-03-05"
    folder.mkdir()
    text = (DATA / "export2021" / "result.json").read_text(encoding="utf-8")
    (folder / "result.json").write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DataError) as err:
        check_source(SPEC, {"path": str(folder)})
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'result.json'}: invalid JSON at line ")
    assert msg.endswith("the file is truncated or damaged — export it again")
    assert "\n" not in msg


def _write(tmp_path, doc_or_text) -> Path:
    f = tmp_path / "result.json"
    text = (
        doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text, ensure_ascii=False)
    )
    f.write_text(text, encoding="utf-8")
    return f


def _single():
    return json.loads((DATA / "single" / "result.json").read_text(encoding="utf-8"))


def _bad_reply(doc):
    doc["messages"][2]["reply_to_message_id"] = "two"
    return doc


def _no_id(doc):
    del doc["messages"][1]["id"]
    return doc


def _no_date(doc):
    del doc["messages"][1]["date"]
    return doc


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            (DATA / "single" / "result.json").read_text(encoding="utf-8")[:300],
            "invalid JSON at line",
        ),
        ({"about": "x", "list": []}, "neither a chat"),
        (_bad_reply(_single()), "message 3: field 'reply_to_message_id' should be a number"),
        (_no_id(_single()), "message 2 has no 'id'"),
        (_no_date(_single()), "message 2 has neither 'date_unixtime' nor 'date'"),
        ({"chats": {"list": "oops"}}, "'chats.list' should be a list"),
        (
            {"name": "x", "type": "private_group", "id": 1, "messages": [1, 2]},
            "message 1 should be an object",
        ),
    ],
)
def test_bad_input_is_one_line_error_naming_the_file(tmp_path, content, expected):
    f = _write(tmp_path, content)
    with pytest.raises(DataError) as err:
        check_source(SPEC, {"path": str(f)})
    msg = str(err.value)
    assert "result.json" in msg and expected in msg and "\n" not in msg


def test_no_group_chat_and_missing_file(tmp_path):
    only_personal = {
        "chats": {"list": [{"name": "x", "type": "personal_chat", "id": 1, "messages": []}]}
    }
    with pytest.raises(DataError, match="chat_types"):
        check_source(SPEC, {"path": str(_write(tmp_path, only_personal))})
    with pytest.raises(DataError, match=r"no result\.json"):
        check_source(SPEC, {"path": str(tmp_path / "nowhere")})
