"""``communityroi batch`` when things go wrong (issue 16): failed runs keep the previous
folder, the content hash covers every input, killed workers and failed history writes
stay with their client, and the portfolio colours a change by whether a rise is good."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from batch_fixture import BROKEN, GOOD, make_agency
from click.testing import CliRunner

from core.cli import main


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_client_keeps_the_previous_folder_when_a_run_fails(tmp_path):
    from core.agency import load_agency, plan_client
    from core.jobs import Job, run_client

    agency = load_agency(make_agency(tmp_path))
    plan = plan_client(agency, agency.clients[0], "2026-10")
    folder = tmp_path / "out" / plan.name
    folder.mkdir(parents=True)
    (folder / "report.json").write_text("previous")
    job = Job(plan.name, plan.settings, str(folder), ("json", "no-such-format"), plan.period, ())
    outcome = run_client(job)
    assert outcome.status == "failed" and "no-such-format" in outcome.error
    assert [p.name for p in (tmp_path / "out").iterdir()] == [plan.name]  # no staging left
    assert (folder / "report.json").read_text() == "previous"
    ok = run_client(Job(plan.name, plan.settings, str(folder), ("json",), plan.period, ()))
    assert ok.status == "ok" and ok.outputs == ["report.json"]
    assert json.loads((folder / "report.json").read_text())["period"]["start"] == "2026-10-01"


def test_agency_defaults_fill_only_what_a_client_leaves_unset(tmp_path):
    from core.agency import load_agency, plan_client

    agency_toml = make_agency(
        tmp_path, extra='period = "2026-Q3"\n[agency.branding]\nprimary_color = "#112233"'
    )
    cfg = tmp_path / "clients" / f"{GOOD[0]}.toml"
    cfg.write_text(cfg.read_text().replace("client = ", 'agency = "Own agency"\nclient = '))
    agency = load_agency(agency_toml)
    own, other = (plan_client(agency, agency.clients[i], None) for i in (0, 1))
    assert own.settings.report.agency == "Own agency"
    assert other.settings.report.agency == "知群运营"
    assert other.settings.branding.primary_color == "#112233"
    assert (other.period.start.isoformat(), other.period.end.isoformat()) == (
        "2026-07-01", "2026-09-30")  # fmt: skip
    assert other.period.kind == "quarter"
    cli_period = plan_client(agency, agency.clients[1], "2026")
    assert cli_period.period.label == "2026"  # --period beats [agency] period


def test_content_hash_covers_input_files(tmp_path):
    from core.agency import content_hash, input_files
    from core.settings import load_settings

    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "members.csv").write_text("a\n")
    cfg = tmp_path / "report.toml"
    cfg.write_text('[[sources]]\ntype = "files"\nmembers = "exports/members.csv"\n'
                   '[[sources]]\ntype = "files"\npath = "exports"\n')  # fmt: skip
    settings = load_settings(cfg)
    files = input_files(settings)
    assert list(files) == [str(tmp_path / "exports" / "members.csv")]
    before = content_hash(settings, ["p 1"], ["json"], [])
    assert before == content_hash(settings, ["p 1"], ["json"], [])
    assert before != content_hash(settings, ["p 2"], ["json"], [])  # a plugin upgrade
    (tmp_path / "exports" / "members.csv").write_text("b\n")
    assert before != content_hash(settings, ["p 1"], ["json"], [])


def test_content_hash_covers_the_files_a_glob_matches(tmp_path):
    """exports/*.csv (wechat, preset, shopify, ledger): adding or editing a matching
    export changes the hash, so the rerun is not skipped with last week's files."""
    from core.agency import content_hash, input_files
    from core.settings import load_settings

    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "g1.csv").write_text("a\n")
    cfg = tmp_path / "report.toml"
    cfg.write_text('[[sources]]\ntype = "wechat"\npath = "exports/*.csv"\n')
    settings = load_settings(cfg)
    assert list(input_files(settings)) == [str(tmp_path / "exports" / "g1.csv")]
    before = content_hash(settings, [], ["json"], [])
    (tmp_path / "exports" / "g1.csv").write_text("b\n")
    edited = content_hash(settings, [], ["json"], [])
    assert edited != before
    (tmp_path / "exports" / "g2.csv").write_text("b\n")
    assert content_hash(settings, [], ["json"], []) not in (before, edited)


def test_workers_never_get_the_key_file_path(tmp_path, monkeypatch):
    """The coordinator reads the pseudonym key; the job carries it (same labels anywhere)."""
    from core.agency import load_agency, plan_client

    monkeypatch.delenv("COMMUNITYROI_PRIVACY__KEY")
    key = tmp_path / "k.key"
    key.write_text("a-test-key\n")
    agency = load_agency(make_agency(tmp_path))
    cfg = tmp_path / "clients" / f"{GOOD[0]}.toml"
    cfg.write_text(cfg.read_text() + f'[privacy]\nkey_file = "{key}"\n')
    plan = plan_client(agency, agency.clients[0], "2026-10")
    assert plan.settings.privacy.key_file is None
    assert plan.settings.privacy.key.get_secret_value() == "a-test-key\n"


def test_history_json_path_is_beside_agency_toml(tmp_path):
    agency = make_agency(tmp_path, history="db/h.sqlite")
    cli("batch", str(agency), "--out", str(tmp_path / "o"), "--period", "2026-10",
        "--workers", "1", "--only", GOOD[0])  # fmt: skip
    assert (tmp_path / "db" / "h.sqlite").is_file()


def test_out_defaults_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    agency = make_agency(tmp_path)
    res = cli("batch", str(agency), "--period", "2026-10", "--workers", "1", "--only", GOOD[0])
    assert res.exit_code == 0 and (Path("agency-reports") / GOOD[0] / "report.json").is_file()


def test_a_killed_pool_worker_is_retried_in_a_fresh_pool(tmp_path):
    """SIGKILL one process of the local pool while it runs a client: the pool breaks, its
    unfinished clients run again in a new pool, and every good report is still built."""
    import multiprocessing
    import os
    import signal

    from core.agency import load_agency
    from core.batch import run_batch

    agency = load_agency(make_agency(tmp_path))
    killed = []

    def on_event(kind, value):
        if kind == "done" and value.status == "ok" and not killed:
            alive = [p for p in multiprocessing.active_children() if p.is_alive()]
            os.kill(alive[0].pid, signal.SIGKILL)
            killed.append(alive[0].pid)

    batch = run_batch(agency, tmp_path / "out", period="2026-10", workers=2, on_event=on_event)
    assert killed
    assert {o.name: o.status for o in batch.outcomes} == {
        **dict.fromkeys(GOOD, "ok"), BROKEN: "failed"}  # fmt: skip
    assert all((tmp_path / "out" / n / "report.json").is_file() for n in GOOD)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_only_keeps_the_other_clients_rows_in_the_portfolio(tmp_path):
    agency = make_agency(tmp_path)
    out = tmp_path / "out"
    base = ("batch", str(agency), "--out", str(out), "--period", "2026-10", "--workers", "1")
    cli(*base, "--only", GOOD[0], "--only", GOOD[1])
    first = json.loads((out / "index.json").read_text(encoding="utf-8"))["clients"]
    res = cli(*base, "--only", GOOD[1], "--force")
    assert "1 built, 0 unchanged, 0 failed" in res.stdout  # counts of this run only
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))["clients"]
    assert [c["name"] for c in index] == [GOOD[0], GOOD[1]]  # agency.toml order
    assert index[0] == first[0]  # carried over as the previous index had it
    assert index[0]["client"] == "Demo shop 11" and index[0]["currency"] == "CNY"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.count("<tr data-client=") == 2 and "Demo shop 11" in html


def test_a_client_that_kills_its_worker_twice_fails_alone(tmp_path, monkeypatch):
    """The retry logic of the local engine without real processes: the first pool breaks
    with two clients unfinished, one of which had started (the suspect). The suspect is
    retried alone and dies again: it fails, and only it; the one that had not started
    runs in a fresh pool (before, every client unfinished in the second pool failed too,
    so one out-of-memory client took dozens of good ones with it)."""
    from core import engines
    from core.agency import load_agency, plan_client
    from core.jobs import Job

    agency = load_agency(make_agency(tmp_path))
    plans = [plan_client(agency, c, "2026-10") for c in agency.clients[:3]]
    jobs = [Job(p.name, p.settings, str(tmp_path / p.name), ("json",), p.period, ()) for p in plans]
    calls = []

    def pool(todo, workers, on_done):
        calls.append(([j.name for j in todo], workers))
        if len(calls) == 1:  # job 0 done; job 1 running when the pool broke; job 2 queued
            return todo[1:], {todo[0].name, todo[1].name}
        if todo == [jobs[1]]:
            return todo, {todo[0].name}  # dies again, alone
        return [], {j.name for j in todo}

    monkeypatch.setattr(engines, "_pool", pool)
    done = []
    engines.execute(jobs, engine="local", workers=2, scheduler=None, on_done=done.append)
    assert calls == [([j.name for j in jobs], 2), ([jobs[1].name], 1), ([jobs[2].name], 2)]
    assert [(o.name, o.status) for o in done] == [(jobs[1].name, "failed")]
    assert "died twice" in done[0].error and done[0].period == jobs[1].period


def test_cleanup_puts_back_the_previous_folder_a_killed_swap_left_aside(tmp_path):
    """A worker killed between swap_in's two renames leaves only .<client>.old-…: the
    batch's cleanup restores it (the last good report) and drops the staging folders."""
    from core.batch import _clean_staging

    aside = tmp_path / ".shop.old-0123456789ab"
    aside.mkdir()
    (aside / "report.json").write_text("previous")
    (tmp_path / ".shop.partial-0123456789ab").mkdir()
    (tmp_path / ".other.old-0123456789ab").mkdir()  # another batch's client: not ours
    _clean_staging(tmp_path, ["shop"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.old-0123456789ab", "shop"]
    assert (tmp_path / "shop" / "report.json").read_text() == "previous"
    (tmp_path / ".shop.old-ba9876543210").mkdir()  # OUT/shop exists: the old one goes
    _clean_staging(tmp_path, ["shop"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.old-0123456789ab", "shop"]


def test_a_history_write_that_fails_is_named_and_the_batch_goes_on(tmp_path, monkeypatch):
    """The report is already in OUT when the coordinator records it: a locked database
    fails that client with a line saying so (exit 1), not the batch with a traceback."""

    from core.history import History

    real = History.record

    def record(self, client, *args, **kwargs):
        if client == GOOD[0]:
            raise sqlite3.OperationalError("database is locked")
        return real(self, client, *args, **kwargs)

    monkeypatch.setattr(History, "record", record)
    agency = make_agency(tmp_path)
    out = tmp_path / "o"
    res = cli("batch", str(agency), "--out", str(out), "--period", "2026-10", "--workers", "1",
              "--only", GOOD[0], "--only", GOOD[1])  # fmt: skip
    assert res.exit_code == 1
    (line,) = [x for x in res.stderr.splitlines() if x.startswith("failed")]
    assert GOOD[0] in line and "database is locked" in line and "rerun" in line
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert [c["status"] for c in index["clients"]] == ["failed", "ok"]
    assert (out / GOOD[0] / "report.json").is_file()  # built; the next run redoes it


def test_portfolio_colours_a_change_by_whether_a_rise_is_good():
    """+50 % customers at risk is red, −10 % is green; ROI +3 pt is green (the report's own
    rule, core.report.KPI.higher_is_better)."""
    from core.history import KpiRow
    from core.portfolio import _change

    def row(unit, change, better):
        return KpiRow("m.k", 1.0, unit, True, "K", "K", 1.0, change, better)

    assert _change(row("count", 0.5, False), "en") == ("+50.0 %", "bad")
    assert _change(row("count", -0.1, False), "en") == ("-10.0 %", "good")
    assert _change(row("percent", 3.0, True), "en") == ("+3.0 pt", "good")
    assert _change(row("percent", 3.0, True), "zh-CN") == ("+3.0 个百分点", "good")
    assert _change(row("count", 0.0, False), "en") == ("+0.0 %", "")
