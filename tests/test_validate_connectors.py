"""`validate PATH --json` on an export of every connector: the type is detected and says
what matched, stdout holds only the document, and its counts are the loader's counts
(each connector's own tests check those counts against the file by hand).

A path given as text is a real sample under ``shared/samples/`` (never copied here): that
case skips when the folder is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import sample

from communityroi.testing import load_source
from core.cli import main
from core.manager import build_registry

DATA = Path(__file__).parent / "data"

EXPORTS: list[tuple[str, Path | str]] = [
    ("slack", "slack/testarchive.zip"),  # real samples, in shared/samples/
    ("discord", "discord/zulip_dce_export_general.json"),
    ("slack", DATA / "slack" / "threads"),  # threads, bots, a private channel
    ("discord", DATA / "discord" / "reexport"),  # repeated ids, reactions without users
    ("discourse", DATA / "discourse" / "forum"),
    ("discourse", DATA / "discourse" / "responses"),  # every response type, overlapping
    ("telegram", DATA / "telegram" / "single"),
    ("telegram", DATA / "telegram" / "full"),
    ("telegram", DATA / "telegram" / "export2021"),
    ("wechat", DATA / "wechat" / "读书会_utf8.csv"),
    ("wechat", DATA / "wechat" / "pywxdump_群聊.csv"),
    ("wechat", DATA / "wechat" / "memotrace_读书会.csv"),
    ("wechat", DATA / "wechat" / "memotrace_en.csv"),
    ("shopify", DATA / "shopify" / "orders_export.csv"),
    ("ledger", DATA / "ledger" / "costs_gb18030.csv"),
    ("ledger", DATA / "ledger" / "成本台账.xlsx"),
    ("files", DATA / "files" / "订单导出.csv"),  # recognised by its headers
    ("files", DATA / "files" / "orders_semicolon.csv"),
    ("files", DATA / "files" / "activities.ndjson"),
]


@pytest.mark.parametrize(("kind", "path"), EXPORTS, ids=[f"{k}-{Path(p).name}" for k, p in EXPORTS])
def test_validate_json_on_every_connector(kind, path):
    if isinstance(path, str):
        path = sample(path)
    res = CliRunner().invoke(main, ["validate", str(path), "--json"], catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    doc = json.loads(res.stdout)  # nothing but the document on stdout
    (source,) = doc["sources"]
    assert source["type"] == kind
    assert source["detected_by"] and source["detected_by"] != f"{kind} export", (
        "detect() should say what it matched"
    )
    assert set(doc) == {"sources", "period", "tables", "identity", "dropped", "problems"}

    spec = build_registry().sources[kind][0]
    loaded = load_source(spec, {"path": str(path)}, timezone="Asia/Shanghai")
    for table, frame in loaded.frames.items():
        rows = frame.collect().height
        assert doc["tables"][table]["rows"] == rows, table
    acts = doc["tables"].get("activities")
    if acts:
        assert sum(acts["by_kind"].values()) == acts["rows"]
    assert doc["dropped"] == [
        {"file": d.origin, "reason": d.reason, "rows": d.rows} for d in loaded.dropped
    ]
    assert all(d["rows"] > 0 for d in doc["dropped"])
    assert len(doc["problems"]) == len(loaded.problems)
