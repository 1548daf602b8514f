"""The demo's operators and group purposes: the planted differences documented in
plugins/sources/demo_operators.py show in the operators and purposes sections, in zh-CN and
en; and the wecom fixture flows into the operators section (customers per operator)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from communityroi.testing import check_source, make_data, render_report, run_metric
from plugins.metrics import operators, purposes
from plugins.sources import demo, demo_operators, wecom

OCT = {"start": date(2026, 10, 1), "end": date(2026, 10, 31), "timezone": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def data():
    return make_data(demo.generate(demo.DemoOptions()), **OCT)


@pytest.fixture(scope="module")
def section(data):
    return run_metric(operators.SPEC, data, {"names": {"ChenMei": "陈美"}})


def _ops(section) -> dict[str, dict]:
    rows = section.table("operators").data.iter_rows(named=True)
    return {r["operator_id"]: r for r in rows}


def test_planted_operators(section):
    ops = _ops(section)
    assert set(ops) == set(demo_operators.OPERATORS)  # every customer has an operator
    per_customer = {k: r["revenue_per_customer"] for k, r in ops.items()}
    assert max(per_customer, key=per_customer.get) == "ChenMei"  # the heavy buyers
    retention = {k: r["retention"] for k, r in ops.items()}
    assert min(retention, key=retention.get) == "ZhouZhe"  # the flash joiners leave
    assert max(ops, key=lambda k: ops[k]["customers"]) == "LinXiao"
    # first reply around the planted means (gamma draws, ~25 chat days in October)
    minutes = {k: r["avg_reply_minutes"] for k, r in ops.items()}
    for k, planted in zip(demo_operators.OPERATORS, demo_operators.REPLY_MINUTES, strict=True):
        assert minutes[k] == pytest.approx(planted, rel=0.35)
    assert max(minutes, key=minutes.get) == "ZhouZhe"


def test_demo_costs_and_new_contacts_are_consistent(data, section):
    ops = _ops(section)
    labour = (
        data.costs.filter(data.day_in_period("incurred_on") & pl.col("operator_id").is_not_null())
        .group_by("operator_id")
        .agg(pl.col("amount").sum(), pl.col("hours").sum())
        .collect()
    )
    for op, amount, hours in labour.iter_rows():
        assert ops[op]["cost"] == pytest.approx(amount)
        assert hours == pytest.approx(amount / demo_operators.HOURLY)
    # WeCom's new contacts are the customers each operator added in October
    for r in ops.values():
        assert r["new_contacts"] == r["added"]


def test_demo_purposes(data):
    by = run_metric(purposes.SPEC, data, {}).table("by_purpose").data
    assert sorted(by["purpose"]) == ["aftersales", "presales", "vip"]
    vip = by.filter(pl.col("purpose") == "vip").row(0, named=True)
    pre = by.filter(pl.col("purpose") == "presales").row(0, named=True)
    assert vip["conversion"] > pre["conversion"]


@pytest.mark.parametrize(("lang", "title"), [("zh-CN", "运营人员考核"), ("en", "Operators")])
def test_operator_section_rendered(data, lang, title):
    opts = {"operators": {"names": {"ChenMei": "陈美"}}}
    html = render_report([operators], data, ("html",), options=opts, language=lang)["html"]
    html = html.decode()
    assert title in html and "陈美" in html and "LinXiao" in html


def test_wecom_fixture_into_the_operators_section():
    frames = check_source(wecom.communityroi_sources()[0],
                          {"path": str(Path(__file__).parent / "data" / "wecom")})  # fmt: skip
    data = make_data(frames, **OCT)
    ops = _ops(run_metric(operators.SPEC, data, {}))
    # zhangsan added wmA and wmB first, lisi wmC and wmD; wmF (group only, not a contact)
    # is lisi's, who invited it into the group on 10-12 (WeCom's invitor is always staff)
    assert {k: r["customers"] for k, r in ops.items()} == {"zhangsan": 2, "lisi": 3}
    assert {k: r["added"] for k, r in ops.items()} == {"zhangsan": 2, "lisi": 2}
    # behaviour data on 10-01/10-02: zhangsan 2 new contacts, 6 chats; lisi 0 and 1
    assert (ops["zhangsan"]["new_contacts"], ops["zhangsan"]["chats"]) == (2, 6)
    assert (ops["lisi"]["new_contacts"], ops["lisi"]["chats"]) == (0, 1)


def test_service_quality_from_the_wecom_archive(tmp_path):
    """Customers from the wecom source, chats from the WeCom archive (wechat source): wmA
    asks on Mon 10-05 at 10:00, zhangsan says 好的 at 10:01 (a filler reply, marked by the
    archive reader) and answers at 10:04 — one question, answered in 4 minutes."""
    import json

    from plugins.sources import wechat

    lines = [
        {"msgid": "1", "action": "send", "from": "wmA", "roomid": "wrPRE",
         "msgtime": 1791165600000, "msgtype": "text", "text": {"content": "请问有货吗"}},
        {"msgid": "2", "action": "send", "from": "zhangsan", "roomid": "wrPRE",
         "msgtime": 1791165660000, "msgtype": "text", "text": {"content": "好的～"}},
        {"msgid": "3", "action": "send", "from": "zhangsan", "roomid": "wrPRE",
         "msgtime": 1791165840000, "msgtype": "text", "text": {"content": "有的，今天发货"}},
    ]  # fmt: skip
    archive = tmp_path / "archive.jsonl"
    archive.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    contacts = check_source(wecom.communityroi_sources()[0],
                            {"path": str(Path(__file__).parent / "data" / "wecom")})  # fmt: skip
    chats = check_source(wechat.communityroi_sources()[0], {"path": str(archive)})
    frames = {  # the chat export lists zhangsan as a member too: not a customer
        "members": pl.concat([contacts["members"], chats["members"]], how="diagonal_relaxed"),
        "operator_days": contacts["operator_days"],
        "activities": pl.concat([contacts["activities"], chats["activities"]]),
    }
    ops = _ops(run_metric(operators.SPEC, make_data(frames, **OCT), {}))
    z = ops["zhangsan"]
    assert (z["questions"], z["first_response_minutes"], z["reply_within_rate"]) == (1, 4.0, 0)
    assert z["unreplied_rate"] == 0
    assert (z["customers"], ops["lisi"]["customers"]) == (2, 3)  # wmA, wmB; wmC, wmD, wmF
