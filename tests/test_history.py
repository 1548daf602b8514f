"""The history database (core/history.py) on SQLite and, when
COMMUNITYROI_TEST_POSTGRES_URL is set (``eval "$(bash .ci/postgres.sh)"``), on a real
PostgreSQL — the same calls, the same answers — and a whole batch writing to PostgreSQL."""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from batch_fixture import GOOD, headline, make_agency

from core.errors import ConfigError
from core.history import History, KpiRow

PG_URL = os.environ.get("COMMUNITYROI_TEST_POSTGRES_URL")
PG_PASSWORD = "COMMUNITYROI_TEST_POSTGRES_PASSWORD"
OCT = (date(2026, 10, 1), date(2026, 10, 31))
SEP = (date(2026, 9, 1), date(2026, 9, 30))
Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def _rows(value: float) -> list[KpiRow]:
    return [
        KpiRow("roi.roi", value, "percent", True, "ROI", "投资回报率", value - 5, 5.0),
        KpiRow("roi.investment", 1000.0, "currency", False, "Investment", "投入", None, None,
               higher_is_better=False),
    ]  # fmt: skip


def exercise(h: History) -> None:
    """Write a small history and check every read against what was written."""
    h.record("a", *SEP, "month", status="ok", input_hash="h9", outputs=["report.json"],
             seconds=1.25, engine="local", kpis=_rows(10.0))  # fmt: skip
    h.record("a", *OCT, "month", status="failed", error="boom", engine="local")
    assert h.last_ok("a", *OCT) is None
    h.record("a", *OCT, "month", status="ok", input_hash="h10", outputs=["report.html",
             "report.json"], seconds=2.0, engine="dask", kpis=_rows(20.0))  # fmt: skip
    h.record("a", *Q3, "quarter", status="ok", input_hash="q", kpis=_rows(99.0))
    h.record("b", *OCT, "month", status="ok", input_hash="b", kpis=_rows(-1.0))
    last = h.last_ok("a", *OCT)
    assert (last["input_hash"], last["outputs"], last["seconds"]) == (
        "h10", ["report.html", "report.json"], 2.0)  # fmt: skip
    assert {k.kpi: k for k in h.kpis("a", *OCT)}["roi.roi"] == _rows(20.0)[0]
    # in the report's order (the portfolio's default columns), not the key's
    assert [k.kpi for k in h.kpis("a", *OCT)] == ["roi.roi", "roi.investment"]
    assert h.kpis("a", *OCT) == _rows(20.0)  # every field, higher_is_better too
    # a rerun of a period replaces its KPIs, it does not add to them
    h.record("a", *OCT, "month", status="ok", input_hash="h11", kpis=_rows(21.0))
    assert [k.value for k in h.kpis("a", *OCT) if k.kpi == "roi.roi"] == [21.0]
    assert h.last_ok("a", *OCT)["input_hash"] == "h11"
    months = h.series("a", kind="month", headline_only=True)
    assert [(r["period_start"], r["kpi"], r["value"]) for r in months] == [
        (SEP[0], "roi.roi", 10.0), (OCT[0], "roi.roi", 21.0)]  # fmt: skip
    october = [r["kpi"] for r in h.series("a", kind="month") if r["period_start"] == OCT[0]]
    assert october == ["roi.roi", "roi.investment"]  # report order: `history` lists them so
    before = h.series("a", kind="month", before=OCT[0], kpi="roi.roi")
    assert [r["value"] for r in before] == [10.0]
    assert [r["value"] for r in h.series("a", kind="quarter", kpi="roi.roi")] == [99.0]
    assert [r["status"] for r in h.runs("a")] == ["ok", "failed", "ok", "ok", "ok"]
    assert json.loads(h.runs("a")[0]["outputs"]) == ["report.json"]
    assert h.series("nobody") == []


def test_sqlite(tmp_path):
    with History.open("sub/h.db", tmp_path) as h:
        exercise(h)
    assert (tmp_path / "sub" / "h.db").is_file()
    with History.open(tmp_path / "sub" / "h.db", Path("/")) as h:  # reopened: still there
        assert h.last_ok("a", *OCT)["input_hash"] == "h11"


def test_a_history_from_before_the_position_column_is_upgraded(tmp_path):
    import sqlite3

    from core.history import SCHEMA

    with sqlite3.connect(tmp_path / "old.db") as con:
        con.execute(SCHEMA[1].replace(" position INTEGER,", ""))
    with History.open("old.db", tmp_path) as h:
        h.record("a", *OCT, "month", status="ok", input_hash="x", kpis=_rows(1.0))
        assert [k.kpi for k in h.kpis("a", *OCT)] == ["roi.roi", "roi.investment"]


def test_bad_history_specs_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match="use a SQLite file path or a postgresql:// URL"):
        History.open("mysql://h/db", tmp_path)
    with pytest.raises(ConfigError, match="holds a password") as err:
        History.open("postgresql://u:hunter2@127.0.0.1/db", tmp_path)
    assert "hunter2" not in str(err.value)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="history database"):
        History.open("file/h.db", tmp_path)  # a file where the folder should be


pg = pytest.mark.skipif(not PG_URL, reason="COMMUNITYROI_TEST_POSTGRES_URL not set")


@pytest.fixture
def pg_url(monkeypatch):
    """A URL whose search_path is a fresh schema (dropped afterwards); the password is in
    COMMUNITYROI_HISTORY_PASSWORD, as a user would set it."""
    import adbc_driver_postgresql.dbapi as pgdb

    parts = urlsplit(PG_URL)
    pw = os.environ.get(PG_PASSWORD, "")
    admin = parts._replace(netloc=f"{parts.username}:{quote(pw, safe='')}@{parts.hostname}:"
                           f"{parts.port}").geturl()  # fmt: skip
    schema = "h_" + uuid.uuid4().hex[:8]
    with pgdb.connect(admin) as con, con.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
        con.commit()
    monkeypatch.setenv("COMMUNITYROI_HISTORY_PASSWORD", pw)
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with pgdb.connect(admin) as con, con.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")
        con.commit()


@pg
def test_postgres(pg_url, tmp_path):
    with History.open(pg_url, tmp_path) as h:
        exercise(h)
        assert h.where == pg_url  # shown in messages and index.json: never a password


@pg
def test_postgres_wrong_password(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COMMUNITYROI_HISTORY_PASSWORD", "not-the-password")
    with pytest.raises(ConfigError, match="history database") as err:
        History.open(pg_url, tmp_path)
    assert "not-the-password" not in str(err.value) and "\n" not in str(err.value)


@pg
def test_batch_writes_its_history_to_postgres(pg_url, tmp_path):
    from core.agency import load_agency
    from core.batch import run_batch

    agency = load_agency(make_agency(tmp_path, history=pg_url))
    batch = run_batch(agency, tmp_path / "out", period="2026-10", only=(GOOD[0],), workers=1)
    assert [o.status for o in batch.outcomes] == ["ok"]
    with History.open(pg_url, tmp_path) as h:
        stored = {k.kpi: k.value for k in h.kpis(GOOD[0], *OCT) if k.headline}
    assert stored == pytest.approx(headline(tmp_path / "out" / GOOD[0] / "report.json"))
    again = run_batch(agency, tmp_path / "out", period="2026-10", only=(GOOD[0],), workers=1)
    assert [o.status for o in again.outcomes] == ["skipped"]
