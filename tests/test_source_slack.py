"""Slack export source: counts on the real sample (counted independently from its JSON) and
on a hand-written export with threads, bots, leaves and invitations; bad input."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError
from communityroi.testing import check_source
from plugins.sources import slack

DATA = Path(__file__).parent / "data" / "slack"
SPEC = slack.communityroi_sources()[0]


def _load(path, **opts):
    return check_source(SPEC, {"path": str(path), **opts})


def _kinds(out) -> dict[str, int]:
    return dict(out["activities"].group_by("kind").len().iter_rows())


def _independent_counts(zip_path: Path) -> dict[str, int]:
    """Count the sample by reading its JSON directly (plain Python, the documented rules)."""
    with zipfile.ZipFile(zip_path) as zf:
        users = json.loads(zf.read("users.json"))
        bots = {u["id"] for u in users if u.get("is_bot")} | {"USLACKBOT"}
        counts = dict.fromkeys(
            ("message", "reply", "mention", "reaction", "join", "invite", "leave"), 0
        )
        for name in zf.namelist():
            if "/" not in name or not name.endswith(".json"):
                continue
            for m in json.loads(zf.read(name)):
                human = (
                    m.get("subtype") != "bot_message"
                    and not m.get("bot_id")
                    and m.get("user")
                    and m["user"] not in bots
                )
                for r in m.get("reactions", []):
                    counts["reaction"] += sum(u not in bots for u in r["users"])
                if not human:
                    continue
                sub = m.get("subtype")
                if sub in (None, "file_share", "thread_broadcast", "me_message"):
                    threaded = m.get("thread_ts") not in (None, m["ts"])
                    counts["reply" if threaded else "message"] += 1
                    ids = set(re.findall(r"<@(U[A-Z0-9]+)", m.get("text", "")))
                    counts["mention"] += len(ids - bots - {m["user"]})
                elif sub == "channel_join":
                    counts["join"] += 1
                    counts["invite"] += bool(m.get("inviter"))
                elif sub == "channel_leave":
                    counts["leave"] += 1
        humans = {u["id"] for u in users} - bots
    return {**{k: v for k, v in counts.items() if v}, "members": len(humans)}


def test_real_sample_counts_match_an_independent_count():
    out = _load(DATA / "testarchive.zip")
    expected = _independent_counts(DATA / "testarchive.zip")
    got = _kinds(out)
    got["members"] = out["members"]["member_id"].n_unique()
    assert got == expected
    # the same numbers, checked by hand against the files once
    assert expected == {
        "message": 52,
        "mention": 14,
        "reaction": 1,
        "join": 8,
        "invite": 6,
        "members": 4,
    }
    assert out["groups"]["name"].sort().to_list() == ["enrique", "traveling-sailor"]
    # the one reaction is on a bot's post: kept, with no target
    reaction = out["activities"].filter(pl.col("kind") == "reaction")
    assert reaction["member_id"].to_list() == ["U0BMYT2FL"]
    assert reaction["target_member_id"].to_list() == [None]


def test_threads_fixture_exact_counts_and_targets():
    out = _load(DATA / "threads")
    assert _kinds(out) == {
        "message": 3,
        "reply": 5,
        "mention": 4,
        "reaction": 7,
        "join": 3,
        "leave": 1,
        "invite": 2,
    }
    acts = out["activities"]
    replies = acts.filter(pl.col("kind") == "reply").sort("at")
    assert replies.select("member_id", "target_member_id").rows() == [
        ("U02BOB", "U01ALICE"),  # parent_user_id
        ("U03CAROL", "U01ALICE"),  # no parent_user_id: parent found a day earlier
        ("U02BOB", None),  # reply to a bot post
        ("U01ALICE", "U01ALICE"),  # thread_broadcast in her own thread
        ("U04DAN", "U03CAROL"),
    ]
    mentions = acts.filter(pl.col("kind") == "mention")
    assert sorted(mentions.select("member_id", "target_member_id").rows()) == [
        ("U01ALICE", "U02BOB"),  # mentioned twice in one post: once
        ("U01ALICE", "U03CAROL"),
        ("U01ALICE", "U05ERIN"),
        ("U03CAROL", "U04DAN"),
    ]
    invites = acts.filter(pl.col("kind") == "invite")
    assert sorted(invites.select("member_id", "target_member_id").rows()) == [
        ("U01ALICE", "U02BOB"),
        ("U01ALICE", "U03CAROL"),
    ]
    reactions = acts.filter(pl.col("kind") == "reaction")
    assert reactions["target_member_id"].value_counts().sort("target_member_id").rows() == [
        (None, 1),
        ("U01ALICE", 5),
        ("U04DAN", 1),
    ]
    # no bot anywhere
    bots = {"U09HELPER", "USLACKBOT"}
    assert not set(acts["member_id"]) & bots
    assert not set(acts["target_member_id"].drop_nulls()) & bots


def test_threads_fixture_members_and_groups():
    out = _load(DATA / "threads")
    m = out["members"]
    assert m["member_id"].n_unique() == 5
    assert m.height == 7
    rows = {(r["member_id"], r["group_id"]): r for r in m.iter_rows(named=True)}
    assert rows[("U05ERIN", None)]["display_name"] == "erin"
    bob = rows[("U02BOB", "C10GENERAL")]
    assert bob["joined_at"] == datetime.fromtimestamp(1700000100.0001, UTC)
    assert bob["invited_by"] == "U01ALICE"
    assert bob["left_at"] == datetime.fromtimestamp(1700040300.0004, UTC)
    assert bob["display_name"] == "Bob Li"  # empty display_name → real name
    assert rows[("U01ALICE", "G20VIP")]["display_name"] == "阿丽"
    assert rows[("U04DAN", "G20VIP")]["display_name"] == "Dan Zhou"
    assert rows[("U03CAROL", "G20VIP")]["invited_by"] == "U01ALICE"
    g = out["groups"].sort("group_id")
    assert g.select("group_id", "kind").rows() == [
        ("C10GENERAL", "channel"),
        ("G20VIP", "private_channel"),
    ]
    only = _load(DATA / "threads", channels=["vip-circle"], include_private=True)
    assert _kinds(only) == {
        "join": 1,
        "invite": 1,
        "message": 1,
        "mention": 1,
        "reply": 1,
        "reaction": 1,
    }


def test_zip_with_a_top_folder_reads_like_the_folder(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted((DATA / "threads").rglob("*.json")):
            zf.write(f, "MyWorkspace Slack export/" + f.relative_to(DATA / "threads").as_posix())
    a, b = _load(archive), _load(DATA / "threads")
    for table in ("members", "activities", "groups"):
        assert a[table].equals(b[table])
    assert slack.detect(archive) and slack.detect(DATA / "threads")
    assert not slack.detect(DATA.parent / "discord" / "guild")


@pytest.mark.parametrize(
    "entry", ["../evil.json", "/etc/passwd", "a/../../evil.json", "..\\evil.json", "C:/evil.json"]
)
def test_zip_entry_escaping_its_folder_is_refused(tmp_path, entry):
    archive = tmp_path / "bad.zip"
    shutil.copy(DATA / "testarchive.zip", archive)
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(entry, "[]")
    with pytest.raises(DataError) as err:
        _load(archive)
    msg = str(err.value)
    assert "bad.zip" in msg and entry in msg and "escapes" in msg and "\n" not in msg


def _broken(tmp_path, day: str) -> Path:
    root = tmp_path / "export"
    shutil.copytree(DATA / "threads", root)
    (root / "general" / "2023-11-15.json").write_text(day, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ('[{"type": "message", "user": "U01ALICE", "ts": "17000', "invalid JSON at line 1"),
        ('[{"type": "message", "user": "U01ALICE", "text": "no ts"}]', "message 1 has no 'ts'"),
        (
            '[{"ts": "1700040000.1"}, {"ts": "1.0", "user": {"id": "U1"}}]',
            "message 2: field 'user' should be text but is an object",
        ),
        ('{"messages": []}', "expected a JSON list of messages"),
        ('[{"ts": "yesterday", "user": "U01ALICE"}]', "'ts' is 'yesterday'"),
    ],
)
def test_bad_day_file_is_one_line_error_naming_the_file(tmp_path, day, expected):
    with pytest.raises(DataError) as err:
        _load(_broken(tmp_path, day))
    msg = str(err.value)
    assert "2023-11-15.json" in msg and expected in msg and "\n" not in msg


def test_missing_users_and_unknown_channel(tmp_path):
    root = tmp_path / "export"
    shutil.copytree(DATA / "threads", root)
    with pytest.raises(DataError, match="no-such"):
        _load(root, channels=["no-such"])
    (root / "users.json").unlink()
    with pytest.raises(DataError, match=r"no users\.json"):
        _load(root)
    with pytest.raises(DataError, match=r"no channels\.json"):
        _load(DATA.parent / "discord" / "guild")
    with pytest.raises(DataError, match="no such file"):
        _load(tmp_path / "nowhere.zip")
