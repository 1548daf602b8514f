"""Slack export source: counts on the real sample (counted independently from its JSON) and
on hand-written exports with threads, bots, leaves and invitations; bad input.

The real sample is hfaran/slack-export-viewer's ``testarchive.zip``, read from
``shared/samples/slack/`` (never copied here); its tests skip when that folder is absent.

tests/data/slack/invites/ (hand-written, UTC, 2024-03-01/02): Ann joins #general on her
own; Ann adds Ben (01:00); Dev joins on his own (02:00); Ben adds Cat (12:00); Eve posts at
00:03 without a join in the export. On 03-02 Ann adds Cat to #tea, Ben adds Dev and Ann
adds Eve — three channel adds of members already in the workspace. So exactly two
referrals: Ben ← Ann and Cat ← Ben (not Ann). Activities: 8 join, 2 invite, 3 message,
1 reply = 14. Not loaded: 1 ``channel_topic``, 1 bot post.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import sample

from communityroi import DataError, views
from communityroi.testing import check_source, load_source, make_data
from plugins.metrics import _referrals
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
        joins: dict[str, list] = {}  # user -> [(ts, inviter)]
        acted: dict[str, list] = {}  # user -> ts of their posts, reactions, leaves
        for name in zf.namelist():
            if "/" not in name or not name.endswith(".json"):
                continue
            for m in json.loads(zf.read(name)):
                for r in m.get("reactions", []):
                    for u in r["users"]:
                        acted.setdefault(u, []).append(float(m["ts"]))
                if m.get("user") and m.get("subtype") != "channel_join":
                    acted.setdefault(m["user"], []).append(float(m["ts"]))
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
                    joins.setdefault(m["user"], []).append((float(m["ts"]), m.get("inviter")))
                elif sub == "channel_leave":
                    counts["leave"] += 1
        humans = {u["id"] for u in users} - bots
    # a referral = the inviter of a member's earliest join, if they did nothing before it
    for user, seen in joins.items():
        ts, inviter = min(seen, key=lambda j: j[0])
        early = any(t < ts for t in acted.get(user, []))
        counts["invite"] += bool(inviter) and inviter not in bots and not early
    return {**{k: v for k, v in counts.items() if v}, "members": len(humans)}


def test_real_sample_counts_match_an_independent_count():
    archive = sample("slack/testarchive.zip")
    out = _load(archive)
    expected = _independent_counts(archive)
    got = _kinds(out)
    got["members"] = out["members"]["member_id"].n_unique()
    assert got == expected
    # the same numbers, checked by hand against the files once
    assert expected == {
        "message": 52,
        "mention": 14,
        "reaction": 1,
        "join": 8,
        "invite": 3,  # 6 joins carry an inviter; 3 are second-channel adds
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
        "invite": 1,  # Carol's #vip-circle invite is a channel add: she joined #general first
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
    assert invites.select("member_id", "target_member_id").rows() == [("U01ALICE", "U02BOB")]
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
    assert rows[("U03CAROL", "G20VIP")]["invited_by"] is None  # a channel add
    assert m["invited_by"].drop_nulls().to_list() == ["U01ALICE"]  # Bob, in #general
    g = out["groups"].sort("group_id")
    assert g.select("group_id", "kind").rows() == [
        ("C10GENERAL", "channel"),
        ("G20VIP", "private_channel"),
    ]
    # reading #vip-circle alone, Carol's add there is the earliest join seen (documented)
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
    assert slack.detect(archive) == slack.detect(DATA / "threads") == "users.json + channels.json"
    assert slack.detect(DATA.parent / "discord" / "guild") is False


@pytest.mark.parametrize(
    "entry", ["../evil.json", "/etc/passwd", "a/../../evil.json", "..\\evil.json", "C:/evil.json"]
)
def test_zip_entry_escaping_its_folder_is_refused(tmp_path, entry):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # the hand-written export, zipped
        for f in sorted((DATA / "threads").rglob("*.json")):
            zf.write(f, f.relative_to(DATA / "threads").as_posix())
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


def test_only_the_first_join_into_the_workspace_is_a_referral():
    loaded = load_source(SPEC, {"path": str(DATA / "invites")})
    assert loaded.problems == []
    out = dict(zip(loaded.frames, pl.collect_all(list(loaded.frames.values())), strict=True))
    assert _kinds(out) == {"join": 8, "invite": 2, "message": 3, "reply": 1}
    invites = out["activities"].filter(pl.col("kind") == "invite")
    assert invites.select("member_id", "target_member_id", "group_id").rows() == [
        ("U1ANN", "U2BEN", "C1GENERAL"),
        ("U2BEN", "U3CAT", "C1GENERAL"),
    ]
    m = out["members"]
    assert m.height == 9  # 5 in #general + 4 in #tea
    referred = m.filter(pl.col("invited_by").is_not_null())
    assert referred.select("member_id", "group_id", "invited_by").rows() == [
        ("U2BEN", "C1GENERAL", "U1ANN"),
        ("U3CAT", "C1GENERAL", "U2BEN"),  # the first inviter; Ann's #tea add is not one
    ]
    # the channel adds are still joins, dated in #tea
    tea_joins = out["activities"].filter(
        (pl.col("group_id") == "C2TEA") & (pl.col("kind") == "join")
    )
    assert sorted(tea_joins["member_id"]) == ["U1ANN", "U3CAT", "U4DEV", "U5EVE"]
    assert sorted((d.reason, d.rows) for d in loaded.dropped) == [
        ("'channel_topic' message (not a member activity)", 1),
        ("bot message (bots are not members)", 1),
    ]

    # the referral metric sees the same: one referral each for Ann and Ben
    data = make_data(out, start=date(2024, 3, 1), end=date(2024, 3, 31))
    refs = _referrals.referrals(_referrals.invites(data), views.roster(data)).collect()
    assert sorted(refs.select("invitee", "inviter").rows()) == [
        ("U2BEN", "U1ANN"),
        ("U3CAT", "U2BEN"),
    ]
    per = _referrals.per_inviter(data, views.roster(data)).sort("member_id").collect()
    assert per.select("member_id", "invites_sent", "invitees_joined").rows() == [
        ("U1ANN", 1, 1),
        ("U2BEN", 1, 1),
    ]


def test_dropped_messages_of_the_real_sample_are_counted():
    archive = sample("slack/testarchive.zip")
    loaded = load_source(SPEC, {"path": str(archive)})
    with zipfile.ZipFile(archive) as zf:
        msgs = [
            m
            for n in zf.namelist()
            if "/" in n and n.endswith(".json")
            for m in json.loads(zf.read(n))
        ]
    bots = sum(m.get("subtype") == "bot_message" or bool(m.get("bot_id")) for m in msgs)
    no_user = sum(not m.get("user") and m.get("subtype") != "bot_message" for m in msgs)
    assert (bots, no_user) == (97, 1)  # 95 bot posts + 2 bot_add; 1 legacy file_comment
    assert sorted((d.reason, d.rows) for d in loaded.dropped) == [
        ("bot message (bots are not members)", 97),
        ("message without a user", 1),
    ]


def test_a_message_without_a_user_is_dropped_and_counted(tmp_path):
    # a legacy ``file_comment``: the commenter is inside ``comment``, not in ``user``
    root = tmp_path / "export"
    shutil.copytree(DATA / "threads", root)
    day = root / "general" / "2023-11-15.json"
    messages = json.loads(day.read_text(encoding="utf-8"))
    messages.append(
        {
            "type": "message",
            "subtype": "file_comment",
            "text": "<@U02BOB> commented on <@U01ALICE>’s file "
            "<https://tea.slack.com/files/U01ALICE/F1/menu.pdf|menu>: 好看",
            "file": {"id": "F1", "name": "menu.pdf", "title": "menu", "user": "U01ALICE"},
            "comment": {"id": "Fc1", "created": 1700049000, "user": "U02BOB", "comment": "好看"},
            "ts": "1700049000.000200",
        }
    )
    day.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
    loaded = load_source(SPEC, {"path": str(root)})
    assert loaded.problems == []
    assert _kinds(_load(root)) == _kinds(_load(DATA / "threads"))  # nothing else changes
    assert sorted((d.reason, d.rows) for d in loaded.dropped) == [
        ("'channel_purpose' message (not a member activity)", 1),
        ("bot message (bots are not members)", 3),
        ("message without a user", 1),
    ]
