"""End-to-end CLI: demo, report, validate, init, plugins — as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from communityroi.testing import check_source
from core.cli import main
from plugins.sources import demo as demo_source


def cli(*args, expect=0):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    cli("-q", "demo", "--format", "json,html", "--out", str(out), "--lang", "en")
    return json.loads((out / "report.json").read_text(encoding="utf-8")), out


def _hand_roi() -> tuple[float, float, float]:
    """ROI of the demo's October, computed independently of the roi metric, in plain
    Python over the rows: investment = October costs; return = paid October orders placed
    by a member who had joined by then (member_id, or customer_id linked to a member), or
    tagged with a campaign."""
    (spec,) = demo_source.communityroi_sources()
    t = check_source(spec, {}, timezone=demo_source.DEMO_TIMEZONE)
    tz = ZoneInfo(demo_source.DEMO_TIMEZONE)
    start = datetime(2026, 10, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(2026, 11, 1, tzinfo=tz).astimezone(UTC)
    first_join: dict[str, datetime | None] = {}
    by_customer: dict[str, str] = {}
    for m in t["members"].iter_rows(named=True):
        if m["joined_at"] is not None and m["joined_at"] >= end:
            continue
        j = first_join.get(m["member_id"], m["joined_at"])
        first_join[m["member_id"]] = min(j, m["joined_at"]) if j and m["joined_at"] else None
        if m["customer_id"]:
            by_customer[m["customer_id"]] = min(
                by_customer.get(m["customer_id"], "~"), m["member_id"]
            )
    ret = 0.0
    for o in t["orders"].iter_rows(named=True):
        if o["status"] != "paid" or not (start <= o["at"] < end):
            continue
        buyer = o["member_id"] or by_customer.get(o["customer_id"])
        member = buyer in first_join and (first_join[buyer] is None or first_join[buyer] <= o["at"])
        if member or o["campaign_id"]:
            ret += o["amount"]
    inv = sum(
        c["amount"]
        for c in t["costs"].iter_rows(named=True)
        if date(2026, 10, 1) <= c["incurred_on"] <= date(2026, 10, 31)
    )
    return (ret - inv) / inv * 100, ret, inv


def test_demo_roi_matches_a_hand_computation(demo_json):
    report, _ = demo_json
    kpis = report["metrics"]["roi"]["kpis"]
    roi, ret, inv = _hand_roi()
    assert kpis["return"]["value"] == pytest.approx(ret)
    assert kpis["investment"]["value"] == pytest.approx(inv)
    assert kpis["roi"]["value"] == pytest.approx(roi)
    assert kpis["roi"]["unit"] == "percent"


def test_demo_html_shows_the_same_roi(demo_json):
    report, out = demo_json
    html = (out / "report.html").read_text(encoding="utf-8")
    roi = report["metrics"]["roi"]["kpis"]["roi"]["value"]
    assert f"{roi:.1f}" in html


def test_demo_is_deterministic(tmp_path):
    for name in ("a", "b"):
        cli("-q", "demo", "--format", "json", "--out", str(tmp_path / name))
    assert (tmp_path / "a" / "report.json").read_bytes() == (
        tmp_path / "b" / "report.json"
    ).read_bytes()


def test_report_from_files_and_validate(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "members.csv").write_text(
        "member_id,joined_at,group_id\nm1,2026-09-01,g1\nm2,2026-10-03,g1\n", encoding="utf-8"
    )
    (exports / "orders.csv").write_text(
        '订单号,下单时间,实付金额,会员\nA1,2026-10-05 20:00,"¥1,000.00",m1\n', encoding="utf-8"
    )
    (exports / "costs.csv").write_text(
        "category,amount,incurred_on\nlabour,400,2026-10-01\n", encoding="utf-8"
    )
    config = tmp_path / "report.toml"
    config.write_text(
        '[report]\nclient = "Acme"\nperiod_start = "2026-10-01"\nperiod_end = "2026-10-31"\n'
        'language = "en"\n[[sources]]\ntype = "files"\nmembers = "exports/members.csv"\n'
        'orders = "exports/orders.csv"\ncosts = "exports/costs.csv"\n'
        'columns = { orders = { 订单号 = "order_id", 下单时间 = "at", 实付金额 = "amount", '
        '会员 = "member_id" } }\n',
        encoding="utf-8",
    )
    res = cli("validate", str(config))
    assert "no problems found" in res.output
    cli("-q", "report", str(config), "--format", "json", "--out", str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"]["roi"]["kpis"]["roi"]["value"] == pytest.approx(150.0)


def test_bad_data_is_one_line_and_nothing_is_written(tmp_path):
    (tmp_path / "costs.csv").write_text("category,amount,incurred_on\nads,12x,2026-10-01\n")
    config = tmp_path / "r.toml"
    config.write_text(
        '[report]\nperiod_start = "2026-10-01"\nperiod_end = "2026-10-31"\n'
        '[[sources]]\ntype = "files"\ncosts = "costs.csv"\n'
    )
    res = CliRunner().invoke(main, ["report", str(config), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "costs.csv row 2, column amount: '12x' is not a valid amount" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()
    res = CliRunner().invoke(main, ["validate", str(config)])
    assert res.exit_code == 1 and "1 problem(s)" in res.output


def test_init_writes_a_valid_starter(tmp_path):
    path = tmp_path / "report.toml"
    cli("init", str(path))
    assert "[[sources]]" in path.read_text(encoding="utf-8")
    res = CliRunner().invoke(main, ["init", str(path)])
    assert res.exit_code != 0 and "--force" in res.output


def test_plugins_lists_builtins_as_json():
    data = json.loads(cli("plugins", "--json").output)
    names = {(p["kind"], p["name"]) for p in data["plugins"]}
    assert {("source", "demo"), ("metric", "roi"), ("renderer", "html")} <= names
    assert all(p["distribution"] and p["version"] for p in data["plugins"])


def test_period_is_inferred_as_the_last_month_with_data(tmp_path):
    (tmp_path / "a.csv").write_text(
        "member_id,at,kind\nm,2026-09-12 10:00,message\nm,2026-10-02 10:00,message\n"
    )
    config = tmp_path / "r.toml"
    config.write_text('[[sources]]\ntype = "files"\nactivities = "a.csv"\n')
    cli("-q", "report", str(config), "--format", "json", "--out", str(tmp_path / "o"))
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["period"]["start"] == "2026-10-01"
    assert report["period"]["end"] == "2026-10-31"
    assert timedelta(days=30) == date(2026, 10, 31) - date(2026, 10, 1)


def test_demo_pdf_in_chinese_shows_the_json_roi(tmp_path):
    from pypdf import PdfReader

    cli("-q", "demo", "--format", "pdf,json", "--out", str(tmp_path), "--lang", "zh-CN")
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(tmp_path / "report.pdf")
    text = [page.extract_text() for page in reader.pages]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    roi = report["metrics"]["roi"]["kpis"]["roi"]["value"]
    assert f"{roi:.1f}%" in text[1]  # the executive summary follows the cover
    assert "执行摘要" in text[1] and "投资回报率" in text[1]
    assert "山岚茶饮" in text[0]  # cover: client
    n = len(reader.pages)
    assert 15 <= n <= 40
    assert f"第 2 页 / 共 {n} 页" in text[1]  # running footer with page x / y
    assert "第 1 页" not in text[0]  # the cover has no page number


def test_out_is_relative_to_the_current_directory(tmp_path, monkeypatch):
    """`--out out` lands where the user typed it, not beside the config (issue 13 §5)."""
    conf = tmp_path / "clients" / "acme"
    conf.mkdir(parents=True)
    (conf / "costs.csv").write_text("category,amount,incurred_on\nads,10,2026-10-01\n")
    (conf / "report.toml").write_text(
        '[report]\nperiod_start = "2026-10-01"\nperiod_end = "2026-10-31"\n'
        '[[sources]]\ntype = "files"\ncosts = "costs.csv"\n'
    )
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    cli("-q", "report", str(conf / "report.toml"), "--format", "json", "--out", "out")
    assert (work / "out" / "report.json").is_file()
    assert not (conf / "out").exists()


def test_plugins_add_commands_through_the_hook():
    """communityroi_commands (the older way to add a command; declaring it in the
    ``communityroi.commands`` entry points is the newer, tests/test_cli_commands.py): a
    third-party command joins the group; a broken one is a warning naming its plugin, and
    the others still load."""
    import click

    from communityroi import hookimpl
    from core.manager import command_registry

    @click.group()
    def group():
        pass

    class Good:
        @hookimpl
        def communityroi_commands(self, cli):
            @cli.command()
            def hello():
                click.echo("hello from a plugin")

    class Broken:
        @hookimpl
        def communityroi_commands(self, cli):
            raise RuntimeError("boom")

    warnings = command_registry(group, disabled=[], extra=[("good", Good()), ("bad", Broken())])
    assert sorted(group.commands) == ["hello"]  # the built-ins are declared (plugins.COMMANDS)
    assert any("plugin 'bad'" in w and "boom" in w for w in warnings)
    assert CliRunner().invoke(group, ["hello"]).output == "hello from a plugin\n"
