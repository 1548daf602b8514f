"""PyWxDump and MemoTrace chat CSVs (issue 13): detected, read, system rows reported.

The fixtures in tests/data/wechat/ are written by hand in each tool's layout (headers and
cell shapes from the tools' export code); every count below is counted from them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from communityroi import DataError
from communityroi.testing import load_source
from core.cli import main
from plugins.sources import wechat, wechat_csv

DATA = Path(__file__).parent / "data" / "wechat"
(SPEC,) = wechat.communityroi_sources()


def _load(name: str):
    loaded = load_source(SPEC, {"path": str(DATA / name)}, timezone="Asia/Shanghai")
    assert not loaded.problems, loaded.problems
    return {t: f.collect() for t, f in loaded.frames.items()}, loaded.dropped


def _kinds(acts: pl.DataFrame) -> dict[str, int]:
    return dict(acts.group_by("kind").len().sort("kind").iter_rows())


def test_pywxdump_csv_is_read_with_its_type_names():
    t, dropped = _load("pywxdump_群聊.csv")
    acts = t["activities"]
    # 8 rows: 文本 ×2, 图片, 动画表情 → message; 引用回复 → reply; 卡片式链接 → share;
    # 消息撤回1 and 系统通知 are no member activity
    assert _kinds(acts) == {"message": 4, "reply": 1, "share": 1}
    assert set(acts["group_id"]) == {"123@chatroom"}
    assert sorted(t["members"]["member_id"]) == ["wxid_a", "wxid_b", "wxid_c", "wxid_d", "wxid_me"]
    # "2024/10/4 11:42" is Shanghai time: 03:42 UTC
    first = acts.filter(pl.col("member_id") == "wxid_a")["at"].min()
    assert first == datetime(2024, 10, 4, 3, 42, tzinfo=UTC)
    assert [(Path(d.origin).name, d.rows) for d in dropped] == [("pywxdump_群聊.csv", 2)]
    assert "not a member's activity" in dropped[0].reason


def test_pywxdump_2024_layout_with_content_column():
    t, dropped = _load("pywxdump_2024.csv")
    assert _kinds(t["activities"]) == {"message": 1, "share": 1}  # 拍一拍 is a system row
    assert [d.rows for d in dropped] == [1]


def test_memotrace_csv_members_are_names_within_one_export():
    t, dropped = _load("memotrace_读书会.csv")
    assert _kinds(t["activities"]) == {"message": 2, "reply": 1}
    members = t["members"].sort("member_id")
    # no account id in this export: a member is "this name in this file", never merged
    assert members["member_id"].to_list() == [
        "memotrace_读书会/张三",
        "memotrace_读书会/李四",
        "memotrace_读书会/王五",
    ]
    assert [d.rows for d in dropped] == [2]  # 撤回消息, 系统消息


def test_memotrace_csv_with_english_headers_reads_the_same():
    zh, zh_dropped = _load("memotrace_读书会.csv")
    en, en_dropped = _load("memotrace_en.csv")
    assert _kinds(en["activities"]) == {"message": 2, "reply": 1}
    assert (
        en["activities"]
        .drop("member_id", "group_id")
        .equals(zh["activities"].drop("member_id", "group_id"))
    )
    assert en["members"]["member_id"].to_list() == [
        "memotrace_en/张三",
        "memotrace_en/李四",
        "memotrace_en/王五",
    ]
    assert [d.rows for d in en_dropped] == [d.rows for d in zh_dropped] == [2]


def test_memotrace_empty_sender_names_the_column_as_written(tmp_path):
    for name, header in (("memotrace_en.csv", "sender"), ("memotrace_读书会.csv", "发送人")):
        text = (DATA / name).read_text(encoding="utf-8-sig").replace(",王五,2024", ",,2024")
        bad = tmp_path / name
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(DataError) as err:
            load_source(SPEC, {"path": str(bad)}, timezone="Asia/Shanghai")
        assert f"{name} row 6, column {header}: empty sender name" in str(err.value)


def test_layouts_are_told_apart_by_headers():
    assert wechat_csv.layout_of(["消息ID", "类型", "发送人", "时间", "内容", "备注", "昵称"]) == (
        "memotrace"
    )
    english = ["MsgSvrID", "type_name", "sender", "time", "content", "nickname", "more"]
    assert wechat_csv.layout_of(english) == "memotrace"
    assert wechat_csv.layout_of(["sender_id", "time"]) is None
    assert SPEC.detect(DATA / "pywxdump_群聊.csv").startswith("PyWxDump CSV")
    assert SPEC.detect(DATA / "memotrace_读书会.csv").startswith("MemoTrace CSV")
    assert SPEC.detect(DATA / "读书会_utf8.csv").startswith("WeChatMsg CSV")
    assert SPEC.detect(DATA / "generic_chat.csv") is False


def test_validate_recognises_a_pywxdump_file_and_lists_the_drop():
    path = DATA / "pywxdump_群聊.csv"
    res = CliRunner().invoke(main, ["validate", str(path), "--json"], catch_exceptions=False)
    doc = json.loads(res.stdout)
    assert doc["sources"][0]["type"] == "wechat"
    assert doc["sources"][0]["detected_by"].startswith("PyWxDump CSV")
    assert doc["tables"]["activities"]["by_kind"] == {"message": 4, "reply": 1, "share": 1}
    assert [d["rows"] for d in doc["dropped"]] == [2]
    human = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
    assert "2 record(s) read but not loaded" in human.output
    assert "no problems found in the rows loaded (drops listed above)" in human.output
