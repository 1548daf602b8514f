"""`validate --json`, the data-quality summary, drops and unlinked orders (issue 13).

Every expected number is counted by hand from the small files written here.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from click.testing import CliRunner

from communityroi import SourceFrame, SourceSpec
from communityroi.testing import load_source
from core.cli import main

MEMBERS = (
    "member_id,platform,joined_at,group_id,customer_id\n"
    "m1,wechat,2026-09-01,g1,c1\n"
    "m1,wechat,2026-09-05,g2,c1\n"  # the same account in a second group
    "m2,wechat,2026-10-03,g1,\n"
)
ORDERS = (
    "order_id,at,amount,member_id,customer_id,status\n"
    "A1,2026-10-05 20:00,100.00,m1,,paid\n"  # linked by member_id
    "A2,2026-10-06 20:00,50.00,,c1,paid\n"  # linked by customer_id
    "A3,2026-10-07 20:00,30.00,,c9,paid\n"  # a shop customer who is no member
    "A4,2026-10-08 20:00,20.00,m2,,cancelled\n"
)
ACTIVITIES = (
    "member_id,platform,at,kind\n"
    "m1,wechat,2026-10-02 09:00,message\n"
    "m1,wechat,2026-10-02 09:05,message\n"
    "m2,wechat,2026-10-04 10:00,reply\n"
)


def _config(tmp_path, orders=ORDERS, members=MEMBERS) -> str:
    (tmp_path / "members.csv").write_text(members, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(orders, encoding="utf-8")
    (tmp_path / "activities.csv").write_text(ACTIVITIES, encoding="utf-8")
    config = tmp_path / "report.toml"
    config.write_text(
        '[report]\nperiod_start = "2026-10-01"\nperiod_end = "2026-10-31"\n'
        'currency = "CNY"\n[[sources]]\ntype = "files"\nmembers = "members.csv"\n'
        'orders = "orders.csv"\nactivities = "activities.csv"\n',
        encoding="utf-8",
    )
    return str(config)


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_validate_json_counts(tmp_path):
    res = _run("validate", _config(tmp_path), "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # stdout holds the document and nothing else
    assert doc["sources"] == [
        {
            "type": "files",
            "path": None,
            "detected_by": "config",
            "paths": {
                "members": "members.csv",
                "activities": "activities.csv",
                "orders": "orders.csv",
            },
        }
    ]
    assert doc["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    t = doc["tables"]
    assert t["members"] == {"rows": 3, "accounts": 2, "people": 2}
    assert t["activities"] == {"rows": 3, "by_kind": {"message": 2, "reply": 1}}
    assert t["orders"] == {
        "rows": 4,
        "paid": 3,
        "paid_amount": 180.0,
        "linked_to_members": 3,  # A1, A2 and the cancelled A4
        "unlinked": 1,
        "unlinked_paid_amount": 30.0,
        "currency": "CNY",
    }
    assert doc["dropped"] == [] and doc["problems"] == [] and doc["identity"] is None


def test_validate_human_prints_memberships_and_people(tmp_path):
    res = _run("validate", _config(tmp_path))
    assert res.exit_code == 0, res.output
    assert "members: 3 memberships, 2 accounts, 2 people" in res.output
    assert "orders: 4 (3 paid, 180.00 CNY); 3 linked to members, 1 not (30.00 CNY paid)" in (
        res.output
    )
    assert "no problems found" in res.output


def test_validate_json_problems_have_file_row_column(tmp_path):
    bad = ORDERS.replace("30.00", "3O.00")
    res = _run("validate", _config(tmp_path, orders=bad), "--json")
    assert res.exit_code == 1
    (problem,) = json.loads(res.stdout)["problems"]
    assert problem["file"].endswith("orders.csv")
    assert (problem["row"], problem["column"]) == (4, "amount")  # line 4 of the file
    assert "'3O.00' is not a valid amount" in problem["message"]


def test_orders_linked_to_no_member_are_said(tmp_path):
    """A shop export with no member link: 0 linked is a warning everywhere, not silence."""
    orders = "order_id,at,amount,customer_id\nB1,2026-10-05,10,x1\nB2,2026-10-06,15.5,x2\n"
    members = "member_id,platform,joined_at\nm1,wechat,2026-09-01\n"
    config = _config(tmp_path, orders=orders, members=members)
    res = _run("validate", config)
    assert "none of the 2 order(s) (25.50 CNY paid) is linked to a member" in res.output
    res = _run("-q", "report", config, "--format", "json,html", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert any("none of the 2 order(s)" in w for w in report["warnings"])
    assert report["data_quality"]["tables"]["orders"]["unlinked"] == 2
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert 'id="data-quality"' in html and "0 of 2 orders are linked to a member" not in html
    assert "2 are not" in html or "2 笔未关联" in html


def _dropping_source(ctx_calls):
    def load(_opts, ctx):
        for origin, reason, rows in ctx_calls:
            ctx.drop(origin, reason, rows)
        yield SourceFrame(
            "activities",
            pl.LazyFrame({"member_id": ["u1"], "at": ["2026-10-01 10:00"], "kind": ["message"]}),
            origin="chat.json",
            platform="test",
        )

    return SourceSpec("dropper", "test source", load)


def test_drops_counted_lazily_and_zero_drops_ignored():
    lazy = pl.LazyFrame({"unattributed": [2, 0, 3]})
    spec = _dropping_source(
        [
            ("chat.json", "system message", 4),
            ("chat.json", "reaction without user list", lazy),
            ("chat.json", "nothing", 0),
            ("chat.json", "nothing lazy", pl.LazyFrame({"n": [0]})),
        ]
    )
    loaded = load_source(spec, None)
    assert [(d.origin, d.reason, d.rows) for d in loaded.dropped] == [
        ("chat.json", "system message", 4),
        ("chat.json", "reaction without user list", 5),
    ]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_drops_reach_report_json_and_appendix(tmp_path, lang):
    from core.manager import build_registry
    from core.pipeline import run
    from core.settings import load_settings

    spec = _dropping_source([("chat.json", "system message", 4)])
    registry = build_registry(disabled=[])
    registry.sources["dropper"] = (spec, next(iter(registry.sources.values()))[1])
    settings = load_settings(
        None,
        report={"period_start": "2026-10-01", "period_end": "2026-10-31", "language": lang},
        sources=[{"type": "dropper"}],
        output={"dir": str(tmp_path), "formats": ["json", "html"]},
    )
    run(settings, registry=registry)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["data_quality"]["dropped"] == [
        {"file": "chat.json", "reason": "system message", "rows": 4}
    ]
    assert any("4 record(s) read but not loaded" in w for w in report["warnings"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<code>chat.json</code></td><td>system message</td><td class="num">4</td>' in html
