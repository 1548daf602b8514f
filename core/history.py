"""The agency's history database: every batch run and every KPI it produced.

Two tables (created on first use), the same on SQLite and PostgreSQL::

    communityroi_runs  one row per client per batch run (appended): client, period_start,
                       period_end, period_kind, status (ok / failed / skipped), error,
                       input_hash, outputs (JSON list of file names), seconds, engine,
                       finished_at (UTC, ISO 8601)
    communityroi_kpis  the KPIs of a client's latest successful run of a period: client,
                       period_start, period_end, period_kind, kpi ("metric.kpi"), value,
                       unit, headline (0/1), label_en, label_zh, previous, change,
                       recorded_at, position (the KPI's place in its report: 0, 1, …),
                       higher_is_better (0/1; the portfolio's green or red change);
                       one row per (client, period_start, period_end, kpi)

Dates are ISO text so both databases hold them alike. SQLite goes through the standard
library; PostgreSQL through ADBC (``adbc-driver-postgresql``, the ``sql`` extra). A
PostgreSQL URL never holds the password: it comes from the environment variable named by
``password_env`` (default ``COMMUNITYROI_HISTORY_PASSWORD``). Only the batch coordinator
opens the database; workers never do.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from core.errors import ConfigError

PASSWORD_ENV = "COMMUNITYROI_HISTORY_PASSWORD"
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS communityroi_runs (
    client TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
    period_kind TEXT NOT NULL, status TEXT NOT NULL, error TEXT, input_hash TEXT,
    outputs TEXT, seconds DOUBLE PRECISION, engine TEXT, finished_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS communityroi_kpis (
    client TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
    period_kind TEXT NOT NULL, kpi TEXT NOT NULL, value DOUBLE PRECISION, unit TEXT,
    headline INTEGER NOT NULL, label_en TEXT, label_zh TEXT, previous DOUBLE PRECISION,
    change DOUBLE PRECISION, recorded_at TEXT NOT NULL, position INTEGER,
    higher_is_better INTEGER,
    PRIMARY KEY (client, period_start, period_end, kpi))""",
)
KPI_COLUMNS = ("kpi", "value", "unit", "headline", "label_en", "label_zh", "previous", "change")


@dataclass(frozen=True, slots=True)
class KpiRow:
    kpi: str  # "metric.kpi", e.g. "roi.roi"
    value: float | None
    unit: str
    headline: bool
    label_en: str
    label_zh: str
    previous: float | None = None  # the report's own previous-period value and change
    change: float | None = None  # (relative, or points for percent units; core.report.KPI)
    higher_is_better: bool = True  # core.report.KPI's: is a rise good news


def _is_url(spec: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", spec, re.I))


class History:
    """An open history database (use as a context manager)."""

    def __init__(self, con: Any, where: str, postgres: bool):
        self.con, self.where, self.postgres = con, where, postgres
        for ddl in SCHEMA:
            self._exec(ddl)
        with closing(self.con.cursor()) as cur:  # a history made before these columns
            cur.execute("SELECT * FROM communityroi_kpis WHERE 1 = 0")
            have = {d[0] for d in cur.description}
        for column in ("position", "higher_is_better"):
            if column not in have:
                self._exec(f"ALTER TABLE communityroi_kpis ADD COLUMN {column} INTEGER")
        self.con.commit()

    @classmethod
    def open(cls, spec: str | Path, base_dir: Path, password_env: str = PASSWORD_ENV) -> History:
        """``spec``: a SQLite file (relative to ``base_dir``) or a ``postgresql://`` URL."""
        text = str(spec)
        if not _is_url(text):
            path = Path(text).expanduser()
            path = path if path.is_absolute() else base_dir / path
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                return cls(sqlite3.connect(path), str(path), postgres=False)
            except (OSError, sqlite3.Error) as exc:
                raise ConfigError(f"history database {path}: {exc}") from None
        parts = urlsplit(text)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ConfigError(f"history = '{text}': use a SQLite file path or a postgresql:// URL")
        if parts.password is not None:
            raise ConfigError(
                f"history: the URL holds a password; remove it and set ${password_env}"
            )
        try:
            import adbc_driver_postgresql.dbapi as pg
        except ImportError:
            raise ConfigError(
                "history: a PostgreSQL history needs the sql extra: pip install 'communityroi[sql]'"
            ) from None
        password = os.environ.get(password_env, "")
        netloc = parts.netloc
        if password:
            netloc = (
                f"{quote(parts.username or '', safe='')}:{quote(password, safe='')}@"
                + (netloc.rsplit("@", 1)[-1])
            )
        try:
            con = pg.connect(parts._replace(netloc=netloc).geturl())
        except Exception as exc:
            msg = str(exc)
            for secret in {password, quote(password, safe="")} - {""}:  # as given, as in URL
                msg = msg.replace(secret, "***")
            raise ConfigError(f"history database {text}: {msg.splitlines()[0]}") from None
        return cls(con, text, postgres=True)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _sql(self, sql: str) -> str:
        if not self.postgres:
            return sql
        parts = sql.split("?")
        return "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, 1))

    def _exec(self, sql: str, params: tuple = ()) -> list[tuple]:
        with closing(self.con.cursor()) as cur:
            cur.execute(self._sql(sql), params) if params else cur.execute(self._sql(sql))
            return cur.fetchall() if cur.description else []

    # -- writing -------------------------------------------------------------------------

    def record(
        self,
        client: str,
        start: date,
        end: date,
        kind: str,
        *,
        status: str,
        error: str | None = None,
        input_hash: str | None = None,
        outputs: list[str] | None = None,
        seconds: float | None = None,
        engine: str | None = None,
        kpis: list[KpiRow] | None = None,
    ) -> None:
        """Append one run; for a successful run, replace the period's KPIs with ``kpis``
        (one transaction: all of it or, on an error, none of it)."""
        try:
            now = datetime.now(UTC).isoformat(timespec="microseconds")
            key = (client, start.isoformat(), end.isoformat())
            self._exec(
                "INSERT INTO communityroi_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    kind,
                    status,
                    error,
                    input_hash,
                    json.dumps(outputs or []),
                    seconds,
                    engine,
                    now,
                ),
            )
            if status == "ok" and kpis is not None:
                self._exec(
                    "DELETE FROM communityroi_kpis WHERE client = ? AND period_start = ? "
                    "AND period_end = ?",
                    key,
                )
                for position, k in enumerate(kpis):
                    self._exec(
                        "INSERT INTO communityroi_kpis (client, period_start, period_end, "
                        f"period_kind, {', '.join(KPI_COLUMNS)}, recorded_at, position, "
                        "higher_is_better) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            *key,
                            kind,
                            k.kpi,
                            k.value,
                            k.unit,
                            int(k.headline),
                            k.label_en,
                            k.label_zh,
                            k.previous,
                            k.change,
                            now,
                            position,
                            int(k.higher_is_better),
                        ),
                    )
            self.con.commit()
        except Exception:
            self.con.rollback()  # PostgreSQL refuses every later statement otherwise
            raise

    # -- reading -------------------------------------------------------------------------

    def last_ok(self, client: str, start: date, end: date) -> dict[str, Any] | None:
        """The latest successful run of ``client`` for this period: input_hash, outputs."""
        rows = self._exec(
            "SELECT input_hash, outputs, seconds, finished_at FROM communityroi_runs "
            "WHERE client = ? AND period_start = ? AND period_end = ? AND status = 'ok' "
            "ORDER BY finished_at DESC",
            (client, start.isoformat(), end.isoformat()),
        )
        if not rows:
            return None
        h, outputs, seconds, finished = rows[0]
        return {
            "input_hash": h,
            "outputs": json.loads(outputs or "[]"),
            "seconds": seconds,
            "finished_at": finished,
        }

    def kpis(self, client: str, start: date, end: date) -> list[KpiRow]:
        """The KPIs stored for ``client`` and this period, in their report's order."""
        rows = self._exec(
            f"SELECT {', '.join(KPI_COLUMNS)}, higher_is_better FROM communityroi_kpis "
            "WHERE client = ? "
            "AND period_start = ? AND period_end = ? ORDER BY position, kpi",
            (client, start.isoformat(), end.isoformat()),
        )
        return [
            KpiRow(k, v, u, bool(h), en, zh, p, c, better != 0)  # None (older rows): True
            for k, v, u, h, en, zh, p, c, better in rows
        ]

    def series(
        self,
        client: str,
        *,
        kind: str | None = None,
        before: date | None = None,
        kpi: str | None = None,
        headline_only: bool = False,
    ) -> list[dict[str, Any]]:
        """KPI values of ``client`` by period, oldest first: periods of ``kind`` that end
        before ``before``; one KPI, or all (headline ones only with ``headline_only``)."""
        where, params = ["client = ?"], [client]
        if kind:
            where.append("period_kind = ?")
            params.append(kind)
        if before:
            where.append("period_end < ?")
            params.append(before.isoformat())
        if kpi:
            where.append("kpi = ?")
            params.append(kpi)
        if headline_only:
            where.append("headline = 1")
        rows = self._exec(
            "SELECT period_start, period_end, period_kind, kpi, value, unit, label_en, "
            f"label_zh FROM communityroi_kpis WHERE {' AND '.join(where)} "
            "ORDER BY period_start, period_end, position, kpi",
            tuple(params),
        )
        cols = (
            "period_start",
            "period_end",
            "period_kind",
            "kpi",
            "value",
            "unit",
            "label_en",
            "label_zh",
        )
        out = [dict(zip(cols, r, strict=True)) for r in rows]
        for r in out:
            r["period_start"] = date.fromisoformat(r["period_start"])
            r["period_end"] = date.fromisoformat(r["period_end"])
        return out

    def runs(self, client: str) -> list[dict[str, Any]]:
        """Every recorded run of ``client``, oldest first."""
        cols = (
            "period_start",
            "period_end",
            "period_kind",
            "status",
            "error",
            "input_hash",
            "outputs",
            "seconds",
            "engine",
            "finished_at",
        )
        rows = self._exec(
            f"SELECT {', '.join(cols)} FROM communityroi_runs WHERE client = ? "
            "ORDER BY finished_at, period_start",
            (client,),
        )
        return [dict(zip(cols, r, strict=True)) for r in rows]
