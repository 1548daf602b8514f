"""SQL source against a real SQLite file (always) and a real PostgreSQL server (when
COMMUNITYROI_TEST_POSTGRES_URL is set, e.g. by ``eval "$(bash .ci/postgres.sh)"``).

The same shop is written to both: 3 members, 4 orders (3 paid = 100 + 250.5 + 49.5 = 400,
1 refunded 80), 5 activities.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import UTC, datetime

import polars as pl
import pytest
from pydantic import ValidationError

from communityroi import DataError
from communityroi.testing import check_source
from plugins.sources import sql

SPEC = sql.communityroi_sources()[0]
PG_URL = os.environ.get("COMMUNITYROI_TEST_POSTGRES_URL")
PG_PASSWORD_ENV = "COMMUNITYROI_TEST_POSTGRES_PASSWORD"

DDL = [
    "CREATE TABLE {p}crm_members (uid TEXT, joined TEXT, grp TEXT, phone_sha TEXT)",
    "CREATE TABLE {p}shop_orders (id TEXT, buyer TEXT, created TEXT, total {money}, state TEXT)",
    "CREATE TABLE {p}events (member_id TEXT, at TEXT, kind TEXT, group_id TEXT)",
]
ROWS = {
    "crm_members": [
        ("m1", "2026-10-01 09:00:00", "g1", None),
        ("m2", "2026-10-02 09:00:00", "g1", "ab" * 32),
        ("m3", "2026-10-03 09:00:00", "g2", None),
    ],
    "shop_orders": [
        ("o1", "m1", "2026-10-05T10:00:00+08:00", 100, "已支付"),
        ("o2", "m2", "2026-10-06T10:00:00+08:00", 250.5, "paid"),
        ("o3", "m2", "2026-10-07T10:00:00+08:00", 80, "refunded"),
        ("o4", "m3", "2026-10-08T10:00:00+08:00", 49.5, "paid"),
    ],
    "events": [
        ("m1", "2026-10-01 10:00:00", "message", "g1"),
        ("m1", "2026-10-01 10:05:00", "message", "g1"),
        ("m2", "2026-10-02 11:00:00", "reply", "g1"),
        ("m3", "2026-10-03 12:00:00", "message", "g2"),
        ("m3", "2026-10-03 12:30:00", "checkin", "g2"),
    ],
}


def tables(prefix: str = "") -> dict:
    return {
        "members": {
            "table": f"{prefix}crm_members",
            "columns": {
                "member_id": "uid",
                "joined_at": "joined",
                "group_id": "grp",
                "phone_hash": "phone_sha",
            },
            "platform": "wecom",
        },
        "orders": {
            # statuses are mapped in SQL; the amount stays a number
            "query": f"SELECT id, buyer, created, total, CASE state WHEN '已支付' THEN 'paid' "
            f"ELSE state END AS status FROM {prefix}shop_orders",
            "columns": {"order_id": "id", "member_id": "buyer", "at": "created", "amount": "total"},
        },
        "activities": {"table": f"{prefix}events", "platform": "wecom"},
    }


def check(out: dict[str, pl.DataFrame]) -> None:
    members, orders, acts = out["members"], out["orders"], out["activities"]
    assert members.height == 3
    assert members["platform"].unique().to_list() == ["wecom"]
    assert members["phone_hash"].null_count() == 2
    assert orders.height == 4
    paid = orders.filter(pl.col("status") == "paid")
    assert paid.height == 3
    assert paid["amount"].sum() == pytest.approx(400.0)
    assert orders.filter(pl.col("status") == "refunded")["amount"].sum() == 80.0
    assert orders.sort("order_id")["at"][0] == datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
    assert acts.height == 5
    assert dict(acts.group_by("kind").len().iter_rows()) == {
        "message": 3,
        "reply": 1,
        "checkin": 1,
    }
    # naive text times are read in the report time zone (Asia/Shanghai)
    assert acts["at"].min() == datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_db(tmp_path):
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    for ddl in DDL:
        con.execute(ddl.format(p="", money="REAL"))
    for name, rows in ROWS.items():
        marks = ",".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    con.commit()
    con.close()
    return path


def run(options: dict, base_dir=".") -> dict[str, pl.DataFrame]:
    return check_source(SPEC, options, base_dir=base_dir, timezone="Asia/Shanghai")


@pytest.mark.parametrize("engine", ["adbc", "connectorx"])
def test_sqlite(sqlite_db, engine):
    check(run({"path": sqlite_db.name, "engine": engine, "tables": tables()}, sqlite_db.parent))


def test_sqlite_bad_query_is_one_line(sqlite_db):
    opts = {"path": str(sqlite_db), "tables": {"orders": {"query": "SELECT * FROM nope"}}}
    with pytest.raises(DataError) as err:
        run(opts)
    msg = str(err.value)
    assert msg.startswith(f"sql source {sqlite_db} [orders]: ")
    assert "nope" in msg and "\n" not in msg


def test_sqlite_unmapped_column(sqlite_db):
    t = tables()
    t["orders"]["columns"]["amount"] = "price"
    with pytest.raises(DataError, match=r'\[orders\]: column amount = "price" is not in'):
        run({"path": str(sqlite_db), "tables": {"orders": t["orders"]}})


def test_missing_sqlite_file(tmp_path):
    with pytest.raises(DataError, match="no such SQLite file"):
        run({"path": "missing.db", "tables": {"orders": {"table": "o"}}}, tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "postgresql://u:hunter2@h/db", "tables": {"orders": {"table": "o"}}}, "password"),
        ({"url": "mysql://h/db", "tables": {"orders": {"table": "o"}}}, "postgresql://"),
        ({"path": "x.db", "tables": {"sales": {"table": "o"}}}, "not a canonical table"),
        ({"path": "x.db", "tables": {"orders": {}}}, "either 'query' or 'table'"),
        ({"path": "x.db", "tables": {"orders": {"table": "o; drop"}}}, "plain table name"),
        ({"tables": {"orders": {"table": "o"}}}, "either url"),
    ],
)
def test_options_are_validated(options, message):
    with pytest.raises(ValidationError, match=message):
        sql.SqlOptions(**options)


def test_password_env_must_exist(monkeypatch):
    monkeypatch.delenv("NO_SUCH_PW", raising=False)
    opts = {"url": "postgresql://u@127.0.0.1:1/db", "password_env": "NO_SUCH_PW"}
    with pytest.raises(DataError, match="NO_SUCH_PW"):
        run({**opts, "tables": {"orders": {"table": "o"}}})


def test_password_is_redacted(monkeypatch):
    monkeypatch.setenv("SHOP_PW", "s3cr3t-value")
    opts = {"url": "postgresql://u@127.0.0.1:1/db", "password_env": "SHOP_PW"}
    with pytest.raises(DataError) as err:
        run({**opts, "tables": {"orders": {"table": "o"}}})
    assert "s3cr3t" not in str(err.value)
    assert "postgresql://u@127.0.0.1:1/db [orders]" in str(err.value)


# -- PostgreSQL ------------------------------------------------------------------------

pg = pytest.mark.skipif(not PG_URL, reason="COMMUNITYROI_TEST_POSTGRES_URL not set")


@pytest.fixture(scope="module")
def pg_schema():
    from urllib.parse import quote, urlsplit

    import adbc_driver_postgresql.dbapi as pgdb

    parts = urlsplit(PG_URL)
    pw = quote(os.environ.get(PG_PASSWORD_ENV, ""), safe="")
    netloc = f"{parts.username}:{pw}@{parts.hostname}:{parts.port}"
    uri = parts._replace(netloc=netloc).geturl()
    schema = "t_" + uuid.uuid4().hex[:8]
    with pgdb.connect(uri) as con, con.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
        for ddl in DDL:
            cur.execute(ddl.format(p=schema + ".", money="NUMERIC(10,2)"))
        for name, rows in ROWS.items():
            marks = ",".join(f"${i}" for i in range(1, len(rows[0]) + 1))
            for row in rows:
                cur.execute(f"INSERT INTO {schema}.{name} VALUES ({marks})", row)
        con.commit()
    yield schema
    with pgdb.connect(uri) as con, con.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")
        con.commit()


@pg
@pytest.mark.parametrize("engine", ["adbc", "connectorx"])
def test_postgres(pg_schema, engine):
    opts = {
        "url": PG_URL,
        "password_env": PG_PASSWORD_ENV,
        "engine": engine,
        "tables": tables(pg_schema + "."),
    }
    check(run(opts))


@pg
def test_postgres_wrong_password(monkeypatch, pg_schema):
    monkeypatch.setenv("WRONG_PW", "not-the-password")
    opts = {"url": PG_URL, "password_env": "WRONG_PW", "tables": tables(pg_schema + ".")}
    with pytest.raises(DataError) as err:
        run(opts)
    assert "not-the-password" not in str(err.value)
    assert "\n" not in str(err.value)
