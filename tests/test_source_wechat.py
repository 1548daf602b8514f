"""WeChat / WeCom chat sources against hand-counted fixtures (tests/data/wechat/).

读书会_utf8.csv is in WeChatMsg's CSV layout (UTF-8 BOM, CRLF, quoted line breaks):
13 rows = 9 messages by 5 senders, 3 system notices (Type 10000), 1 recall (10002).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from communityroi import DataError
from communityroi.testing import check_source
from plugins.sources import wechat

DATA = Path(__file__).parent / "data" / "wechat"
SPEC = wechat.communityroi_sources()[0]
BASE = 1790856000  # 2026-10-01 20:00 +08:00, the first message


def load(**options):
    return check_source(SPEC, options, base_dir=DATA, timezone="Asia/Shanghai")


def at(minute: int) -> datetime:
    return datetime.fromtimestamp(BASE + 60 * minute, UTC)


def kinds(acts: pl.DataFrame) -> dict[str, int]:
    return dict(acts.group_by("kind").len().sort("kind").iter_rows())


def test_wechatmsg_messages_replies_shares():
    out = load(path="读书会_utf8.csv")
    acts = out["activities"]
    assert kinds(acts) == {"message": 6, "reply": 2, "share": 1}
    assert acts["group_id"].unique().to_list() == ["读书会"]
    assert acts["platform"].unique().to_list() == ["wechat"]
    replies = acts.filter(pl.col("kind") == "reply").sort("at")
    # the quote XML names wxid_carol; the second quote has no XML, so no target
    assert replies["target_member_id"].to_list() == ["wxid_carol", None]
    assert replies["member_id"].to_list() == ["wxid_bob", "wxid_alice"]
    assert acts["at"].min() == at(0)
    assert acts["at"].max() == at(12)
    # no invitations unless names may be resolved
    assert "invite" not in kinds(acts)


def test_wechatmsg_marks_filler_replies():
    """The sticker (localId 13) is a filler reply; with the list ["大家好"] so is localId 2;
    no other text is only a filler word."""
    acts = load(path="读书会_utf8.csv")["activities"].sort("at")
    assert acts.filter("filler")["at"].to_list() == [at(12)]
    acts = load(path="读书会_utf8.csv", filler_replies=["大家好"])["activities"]
    assert sorted(acts.filter("filler")["at"].to_list()) == [at(1), at(12)]


def test_wechatmsg_members_first_seen():
    members = load(path="读书会_utf8.csv")["members"].sort("member_id")
    assert members["member_id"].to_list() == [
        "wxid_alice",
        "wxid_bob",
        "wxid_carol",
        "wxid_dave",
        "wxid_me",
    ]
    joined = dict(zip(members["member_id"], members["joined_at"], strict=True))
    assert joined == {
        "wxid_alice": at(1),
        "wxid_bob": at(2),
        "wxid_carol": at(4),
        "wxid_dave": at(9),
        "wxid_me": at(0),
    }
    assert members["invited_by"].null_count() == 5
    assert (
        dict(zip(members["member_id"], members["display_name"], strict=True))["wxid_dave"] == "张三"
    )


def test_invitations_resolved_only_when_unambiguous():
    out = load(path="读书会_utf8.csv", resolve_invites_by_name=True)
    acts, members = out["activities"], out["members"]
    inv = acts.filter(pl.col("kind") == "invite").sort("at")
    # "运营小助手" invites "王五": both names unique → wxid_me → wxid_carol.
    # "张三" invites two: 张三 is the name of wxid_alice AND wxid_dave → not counted.
    # "赵六" joins by "李四"'s QR code: 李四 → wxid_bob; 赵六 never spoke → no target.
    assert inv.select("member_id", "target_member_id", "at").rows() == [
        ("wxid_me", "wxid_carol", at(3)),
        ("wxid_bob", None, at(10)),
    ]
    carol = members.filter(pl.col("member_id") == "wxid_carol").row(0, named=True)
    assert carol["invited_by"] == "wxid_me"
    assert carol["joined_at"] == at(3)  # the invitation, before her first message
    assert members.height == 5


def test_self_id_fills_own_messages(tmp_path):
    path = tmp_path / "g_utf8.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                *("localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime"),
                *("Status", "StrContent", "StrTime", "Remark", "NickName", "Sender"),
            ]
        )
        w.writerow([1, 3, 1, 0, 1, BASE, 2, "hi", "", "", "", ""])
        w.writerow([2, 3, 1, 0, 0, BASE + 5, 2, "yo", "", "", "B", "wxid_b"])
    with pytest.raises(
        DataError, match=r"g_utf8.csv row 2, column Sender: empty sender; set self_id"
    ):
        load(path=str(path))
    out = load(path=str(path), self_id="wxid_me")
    assert sorted(out["members"]["member_id"]) == ["wxid_b", "wxid_me"]
    assert out["members"]["group_id"].unique().to_list() == ["g"]


def test_wechatmsg_bad_time_names_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,"
        "NickName,Sender\n1,3,1,0,0,1790856000,2,a,,,,w1\n2,3,1,0,0,yesterday,2,b,,,,w2\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"bad.csv row 3, column CreateTime: not a Unix"):
        load(path=str(path))


def test_old_export_without_sender_is_refused(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime\n"
        "1,3,1,0,0,1790856000,2,a,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="no Sender column"):
        load(path=str(path), format="wechatmsg")


def test_generic_layout_gb18030_with_mapping():
    out = load(path="generic_chat.csv", columns={"sender_id": "发送者"})
    acts, members = out["activities"], out["members"]
    assert kinds(acts) == {
        "invite": 1,
        "join": 3,
        "leave": 1,
        "mention": 3,
        "message": 3,
        "reaction": 1,
        "reply": 1,
    }
    mentions = acts.filter(pl.col("kind") == "mention").sort("at", "target_member_id")
    assert mentions.select("member_id", "target_member_id").rows() == [
        ("u1", "u2"),
        ("u1", "u3"),
        ("u3", "u1"),
    ]
    reply = acts.filter(pl.col("kind") == "reply").row(0, named=True)
    assert (reply["member_id"], reply["target_member_id"]) == ("u2", "u1")
    # naive times are Asia/Shanghai: 09:00 +08:00 = 01:00 UTC
    assert acts["at"].min() == datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
    assert members.height == 5
    assert members["member_id"].n_unique() == 4
    m = {(r["group_id"], r["member_id"]): r for r in members.iter_rows(named=True)}
    assert m[("g1", "u2")]["left_at"] == datetime(2026, 10, 2, 2, 0, tzinfo=UTC)
    assert m[("g1", "u1")]["left_at"] is None
    assert m[("g1", "u3")]["invited_by"] == "u1"
    assert m[("g1", "u3")]["joined_at"] == datetime(2026, 10, 2, 1, 21, tzinfo=UTC)
    assert m[("g2", "u1")]["joined_at"] == datetime(2026, 10, 2, 3, 5, tzinfo=UTC)
    assert sorted(out["groups"]["group_id"]) == ["g1", "g2"]


def test_generic_unmapped_header_is_one_line_error():
    with pytest.raises(DataError, match=r'column sender_id = "sender" is not in the file'):
        load(path="generic_chat.csv", columns={"sender_id": "sender"})
    with pytest.raises(DataError, match="required column sender_id not found"):
        load(path="generic_chat.csv", format="generic")


def test_wecom_archive_jsonl():
    out = load(path="wecom_archive.jsonl")
    acts, members = out["activities"], out["members"]
    # m1, m2, m6 are messages sent in rooms; m3 recall, m4 1:1, m5 switch, m7 agree are not
    assert acts.height == 3
    assert acts["platform"].unique().to_list() == ["wecom"]
    assert sorted(acts["group_id"]) == ["wrRoom1", "wrRoom1", "wrRoom2"]
    assert acts["at"].min() == datetime.fromtimestamp(1790900000, UTC)
    assert sorted(members.select("group_id", "member_id").rows()) == [
        ("wrRoom1", "wmExt1"),
        ("wrRoom1", "zhangsan"),
        ("wrRoom2", "lisi"),
    ]


def test_wecom_archive_marks_filler_replies():
    """m6 "收到" is a filler reply by the default list; m1 "早上好" and the image m2 are not;
    with the list ["早上好"] only m1 is."""
    acts = load(path="wecom_archive.jsonl")["activities"].sort("at")
    assert acts["filler"].to_list() == [False, False, True]
    acts = load(path="wecom_archive.jsonl", filler_replies=["早上好"])["activities"].sort("at")
    assert acts["filler"].to_list() == [True, False, False]


def test_wecom_bad_line(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [{"msgid": "1", "action": "send", "from": "", "roomid": "r", "msgtime": 1}]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"a.jsonl row 1, column from: empty sender"):
        load(path=str(path))


def test_missing_file():
    with pytest.raises(DataError, match="no such file"):
        load(path="nope/*.csv")


def test_detect():
    assert SPEC.detect(DATA / "读书会_utf8.csv")
    assert not SPEC.detect(DATA / "generic_chat.csv")
