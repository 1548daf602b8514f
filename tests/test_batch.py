"""``communityroi batch`` and ``communityroi history`` end to end (issue 16): 8 clients —
7 demo communities with different seeds and 1 whose export is missing — through the local
process pool; the rerun skips, --force rebuilds, trend lines come from the history."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from batch_fixture import BROKEN, GOOD, headline, make_agency
from click.testing import CliRunner

from core.cli import main


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """The first batch (2 worker processes), the files as they were right after it."""
    root = tmp_path_factory.mktemp("agency")
    agency = make_agency(root)
    out = root / "out"
    res = cli("batch", str(agency), "--out", str(out), "--period", "2026-10", "--workers", "2")
    snapshot = {p: p.read_bytes() for p in out.rglob("report.json")}
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    return root, agency, out, res, snapshot, index


def test_good_clients_get_reports_and_the_failure_is_named(first):
    _root, _agency, out, res, _snap, _index = first
    assert res.exit_code == 1
    lines = [line for line in res.stderr.splitlines() if line.startswith("failed")]
    assert len(lines) == 1 and BROKEN in lines[0]
    assert "exports/members.csv" in lines[0] and "no such file" in lines[0]
    assert "period 2026-10 = 2026-10-01 … 2026-10-31 (Asia/Shanghai)" in res.stderr
    for name in GOOD:
        assert sorted(p.name for p in (out / name).iterdir()) == ["report.html", "report.json"]
    assert not (out / BROKEN).exists()
    # no staging folder left behind
    assert sorted(p.name for p in out.iterdir()) == sorted([*GOOD, "index.html", "index.json"])
    assert "7 built, 0 unchanged, 1 failed" in res.stdout


def test_index_json_matches_the_reports(first):
    _root, _agency, out, _res, _snap, index = first
    assert index["format"] == "communityroi-portfolio" and index["agency"] == "知群运营"
    assert index["period"] == "2026-10" and index["engine"] == "local"
    clients = {c["name"]: c for c in index["clients"]}
    assert list(clients) == [*GOOD, BROKEN]  # agency.toml order
    for name in GOOD:
        c = clients[name]
        assert c["status"] == "ok" and c["error"] is None and c["seconds"] > 0
        assert c["outputs"] == [f"{name}/report.html", f"{name}/report.json"]
        assert c["period"] == {"start": "2026-10-01", "end": "2026-10-31", "label": "2026-10"}
        expected = headline(out / name / "report.json")
        assert {k: v["value"] for k, v in c["kpis"].items()} == pytest.approx(expected)
    bad = clients[BROKEN]
    assert bad["status"] == "failed" and bad["outputs"] == [] and bad["kpis"] == {}
    assert "exports/members.csv" in bad["error"] and "\n" not in bad["error"]
    # different seeds: different communities
    rois = {clients[n]["kpis"]["roi.roi"]["value"] for n in GOOD}
    assert len(rois) == len(GOOD)


def test_index_html_is_self_contained_and_lists_every_client(first):
    _root, _agency, out, _res, _snap, _index = first
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.count("<tr data-client=") == 8
    links = re.findall(r'href="([^"]+)"', html)
    assert sorted(links) == sorted(2 * [f"{n}/report.html" for n in GOOD])  # name, "open"
    assert all((out / link).is_file() for link in links)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # the one url(): the bundled font, cut to the page's characters, as data: (both weights)
    assert re.findall(r"url\(([a-z/:]+);", html) == ["data:font/woff", "data:font/woff"]
    assert "font-src data:" in html  # the page's Content-Security-Policy lets it load
    assert "客户总览" in html and "失败" in html  # the agency's language (zh-CN default)
    assert "exports/members.csv" in html  # the failure's message, escaped text
    row = re.search(r'<tr data-client="shop-11">(.*?)</tr>', html, re.S)[1]
    assert 'data-sort="' in row and "完成" in row


def test_history_rows_written(first):
    root, _agency, out, _res, _snap, _index = first
    con = sqlite3.connect(root / "history.db")
    runs = con.execute("SELECT client, status, period_start, period_end FROM communityroi_runs")
    runs = sorted(runs.fetchall())
    assert runs == sorted(
        [(n, "ok", "2026-10-01", "2026-10-31") for n in GOOD]
        + [(BROKEN, "failed", "2026-10-01", "2026-10-31")]
    )
    for name in GOOD:
        stored = dict(
            con.execute(
                "SELECT kpi, value FROM communityroi_kpis WHERE client = ? AND headline = 1",
                (name,),
            ).fetchall()
        )
        assert stored == pytest.approx(headline(out / name / "report.json"))
    none = con.execute("SELECT count(*) FROM communityroi_kpis WHERE client = ?", (BROKEN,))
    assert none.fetchone()[0] == 0


def test_rerun_skips_all_seven_then_force_rebuilds_them(first):
    root, agency, out, _res, snapshot, first_index = first
    res = cli("batch", str(agency), "--out", str(out), "--period", "2026-10", "--workers", "1")
    assert res.exit_code == 1
    assert "0 built, 7 unchanged, 1 failed" in res.stdout
    assert sum(line.startswith("skipped") for line in res.stderr.splitlines()) == 7
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    status = {c["name"]: c["status"] for c in index["clients"]}
    assert status == {**dict.fromkeys(GOOD, "skipped"), BROKEN: "failed"}
    skipped = next(c for c in index["clients"] if c["name"] == GOOD[0])
    assert skipped["kpis"]["roi.roi"]["value"] == pytest.approx(
        headline(out / GOOD[0] / "report.json")["roi.roi"]
    )  # the index still shows a skipped client's KPIs (from the history)
    built = next(c for c in first_index["clients"] if c["name"] == GOOD[0])
    assert list(skipped["kpis"]) == list(built["kpis"])  # same order: same default columns
    res = cli("batch", str(agency), "--out", str(out), "--period", "2026-10", "--force",
              "--workers", "1")  # fmt: skip
    assert "7 built, 0 unchanged, 1 failed" in res.stdout
    assert {p: p.read_bytes() for p in out.rglob("report.json")} == snapshot  # same bytes
    con = sqlite3.connect(root / "history.db")
    counts = dict(
        con.execute("SELECT status, count(*) FROM communityroi_runs GROUP BY status").fetchall()
    )
    assert counts == {"ok": 14, "skipped": 7, "failed": 3}


def test_a_changed_input_is_rebuilt(tmp_path):
    agency = make_agency(tmp_path)
    out = tmp_path / "out"
    args = ("batch", str(agency), "--out", str(out), "--period", "2026-10", "--workers", "1",
            "--only", GOOD[0], "--only", GOOD[1])  # fmt: skip
    assert "2 built" in cli(*args).stdout
    cfg = tmp_path / "clients" / f"{GOOD[1]}.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("members = 60", "members = 61"))
    res = cli(*args)
    assert "1 built, 1 unchanged, 0 failed" in res.stdout and res.exit_code == 0
    assert f"ok       {GOOD[1]}" in res.stderr


def test_trend_lines_come_from_the_history(tmp_path):
    agency = make_agency(tmp_path)
    out = tmp_path / "out"
    name = GOOD[2]
    base = ("batch", str(agency), "--out", str(out), "--only", name, "--workers", "1")
    assert cli(*base, "--period", "2026-09").exit_code == 0
    september = headline(out / name / "report.json")
    doc = json.loads((out / name / "report.json").read_text(encoding="utf-8"))
    assert "trends" not in doc["metrics"]  # nothing earlier yet: no trend section
    assert cli(*base, "--period", "2026-10").exit_code == 0
    doc = json.loads((out / name / "report.json").read_text(encoding="utf-8"))
    october = headline(out / name / "report.json")
    rows = doc["metrics"]["trends"]["tables"]["trends"]
    assert [r["period"] for r in rows] == [
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04",
        "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
    ]  # fmt: skip
    assert all(v is None for r in rows[:10] for k, v in r.items() if k != "period")
    assert rows[10]["roi.roi"] == pytest.approx(september["roi.roi"])
    assert rows[11]["roi.roi"] == pytest.approx(october["roi.roi"])
    assert set(rows[11]) - {"period"} == set(october)  # one line per headline KPI
    html = (out / name / "report.html").read_text(encoding="utf-8")
    assert 'id="sec-trends"' in html and html.count('id="sec-trends-chart-trend-') == len(october)

    res = cli("history", name, "--agency", str(agency), "--kpi", "roi.roi", "--json")
    hist = json.loads(res.stdout)
    assert [p["label"] for p in hist["periods"]] == ["2026-09", "2026-10"]
    assert [p["kpis"]["roi.roi"] for p in hist["periods"]] == pytest.approx(
        [september["roi.roi"], october["roi.roi"]]
    )
    table = cli("history", name, "--agency", str(agency)).stdout
    assert "2026-09" in table and "roi.roi" in table
    missing = cli("history", "nobody", "--agency", str(agency))
    assert missing.exit_code == 2 and "no client 'nobody'" in missing.stderr


def test_bad_agency_toml_is_one_line(tmp_path):
    path = tmp_path / "agency.toml"
    path.write_text('[agency]\nname = "x"\n[[clients]]\nname = "a/b"\nconfig = "c.toml"\n')
    res = cli("batch", str(path))
    assert res.exit_code == 2 and "clients.0.name" in res.stderr and "Traceback" not in res.output
    make_agency(tmp_path)
    res = cli("batch", str(tmp_path / "agency.toml"), "--only", "zzz")
    assert res.exit_code == 2 and "--only zzz: no such client" in res.stderr
    res = cli("batch", str(tmp_path / "agency.toml"), "--period", "October")
    assert res.exit_code == 2 and "--period: period 'October' is not a period name" in res.stderr
    res = cli("batch", str(tmp_path / "agency.toml"), "--period", "0000")  # no Python date
    assert res.exit_code == 2 and "--period: period '0000' is not a period name" in res.stderr
    toml = (tmp_path / "agency.toml").read_text()
    (tmp_path / "agency.toml").write_text(toml + "enabled = false\n")  # the last client
    res = cli("batch", str(tmp_path / "agency.toml"), "--only", BROKEN)
    assert res.exit_code == 2 and f"--only {BROKEN}: that client has enabled = false" in res.stderr


def test_a_client_config_error_does_not_stop_the_others(tmp_path):
    agency = make_agency(tmp_path)
    (tmp_path / "clients" / f"{GOOD[0]}.toml").write_text("[report]\nlanguage = 'xx'\n")
    res = cli("batch", str(agency), "--out", str(tmp_path / "o"), "--period", "2026-10",
              "--workers", "1", "--only", GOOD[0], "--only", GOOD[1])  # fmt: skip
    assert res.exit_code == 1 and "1 built, 0 unchanged, 1 failed" in res.stdout
    assert re.search(rf"failed +{GOOD[0]}: .*report\.language", res.stderr)


def test_quiet_prints_only_failures(tmp_path):
    agency = make_agency(tmp_path)
    res = cli("-q", "batch", str(agency), "--out", str(tmp_path / "o"), "--period", "2026-10",
              "--workers", "1", "--only", GOOD[0], "--only", BROKEN)  # fmt: skip
    assert res.stdout == ""
    assert [line.split()[:2] for line in res.stderr.splitlines()] == [["failed", BROKEN]]
