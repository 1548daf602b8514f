"""SQL databases → any canonical table: SQLite by file path, PostgreSQL by URL.

Read with Polars' database reader (``pl.read_database_uri``) through ADBC (default; the
``adbc-driver-postgresql`` / ``adbc-driver-sqlite`` packages, ``pip install
communityroi[sql]``) or ConnectorX (``engine = "connectorx"``); both are tested against
SQLite and a real PostgreSQL. ADBC is the default because it fails at once on a wrong
password or an unreachable server (ConnectorX's connection pool retries for 30 s first) and
copes with SQLite's per-value types (ConnectorX stops on a column mixing integers and
reals). PostgreSQL ``numeric`` arrives from ADBC as text and is parsed at the boundary.
Each canonical table gets a ``query`` or a ``table`` name and, optionally, ``columns``
mapping canonical names to the result's column names (by name, never position)::

    [[sources]]
    type = "sql"
    url = "postgresql://report@db.example.internal:5432/shop"
    password_env = "SHOP_DB_PASSWORD"     # the password comes from this env variable
    [sources.tables.orders]
    query = "select id, buyer_email, created_at, total, state from orders"
    columns = { order_id = "id", customer_id = "buyer_email", at = "created_at",
                amount = "total", status = "state" }

Credentials never live in the config file: a URL with a password is refused; the password
comes from ``password`` (a SecretStr, e.g. set through the environment) or from the
environment variable named by ``password_env``, and is redacted from every message.
Databases are read eagerly (one query per table, when the source loads), so a bad query or
connection fails early with a one-line DataError naming the source and table.
"""

from __future__ import annotations

import os
import re
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

import polars as pl
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from communityroi import SCHEMA, DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources._io import map_columns

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_SCHEMES = ("postgresql", "postgres", "sqlite")


class TableQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str | None = None
    table: str | None = None  # schema.table or table; read whole
    columns: dict[str, str] = {}  # canonical name -> result column
    platform: str | None = None  # for members/activities without a platform column

    @model_validator(mode="after")
    def _one(self) -> TableQuery:
        if (self.query is None) == (self.table is None):
            raise ValueError("give either 'query' or 'table'")
        if self.table is not None and not _IDENT.match(self.table):
            raise ValueError(f"'{self.table}' is not a plain table name; use 'query' instead")
        return self

    def sql(self) -> str:
        if self.query is not None:
            return self.query
        return "SELECT * FROM " + ".".join(f'"{p}"' for p in self.table.split("."))


class SqlOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None  # postgresql://user@host:5432/db (no password here)
    path: str | None = None  # a SQLite file, relative to the config file
    password: SecretStr | None = None
    password_env: str | None = None  # name of the env variable holding the password
    engine: Literal["adbc", "connectorx"] = "adbc"
    tables: dict[str, TableQuery]

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v)
        if parts.scheme not in _SCHEMES:
            raise ValueError(
                f"url must start with postgresql:// (or use path for SQLite), "
                f"not '{parts.scheme}://'"
            )
        if parts.password:
            raise ValueError(
                "url contains a password; remove it and put the password in an "
                "environment variable named by password_env"
            )
        return v

    @field_validator("tables")
    @classmethod
    def _tables(cls, v: dict[str, TableQuery]) -> dict[str, TableQuery]:
        unknown = sorted(set(v) - set(SCHEMA))
        if unknown:
            raise ValueError(
                f"tables.{unknown[0]} is not a canonical table; use {', '.join(SCHEMA)}"
            )
        if not v:
            raise ValueError("add at least one [sources.tables.<table>] with a query")
        return v

    @model_validator(mode="after")
    def _where(self) -> SqlOptions:
        if (self.url is None) == (self.path is None):
            raise ValueError("give either url (PostgreSQL) or path (SQLite file)")
        return self


def _secret(opts: SqlOptions) -> str | None:
    if opts.password is not None:
        return opts.password.get_secret_value()
    if opts.password_env:
        value = os.environ.get(opts.password_env)
        if value is None:
            raise DataError(
                f"sql source: environment variable {opts.password_env} (the "
                f"database password) is not set; set it or remove password_env"
            )
        return value
    return None


def _uri(opts: SqlOptions, ctx: SourceContext) -> tuple[str, str, str | None]:
    """(uri to connect with, uri to show, password) for the configured database."""
    if opts.path is not None:
        path = ctx.resolve(opts.path).resolve()
        if not path.is_file():
            raise DataError(f"{path}: no such SQLite file; check 'path' of the sql source")
        uri = f"sqlite:///{path.as_posix()}"  # four slashes: both engines read it
        return uri, str(path), None
    parts = urlsplit(opts.url)
    password = _secret(opts)
    shown = opts.url
    if password is None or parts.scheme == "sqlite":
        return opts.url, shown, password
    user = quote(parts.username or "", safe="")
    host = parts.hostname or ""
    netloc = f"{user}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), shown, password


def _first_line(exc: BaseException, secret: str | None) -> str:
    text = str(exc).strip() or type(exc).__name__
    if secret:
        text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return text.splitlines()[0][:300]


def load(opts: SqlOptions, ctx: SourceContext) -> list[SourceFrame]:
    uri, shown, secret = _uri(opts, ctx)
    out = []
    for table, spec in opts.tables.items():
        origin = f"{shown} [{table}]"
        try:
            df = pl.read_database_uri(spec.sql(), uri, engine=opts.engine)
        except ImportError as exc:
            raise DataError(
                f"sql source {origin}: the {opts.engine} driver is not installed "
                f"({_first_line(exc, secret)}); pip install 'communityroi[sql]'"
            ) from None
        except Exception as exc:  # drivers raise their own types
            raise DataError(
                f"sql source {origin}: {_first_line(exc, secret)}; check the "
                f"query and the connection"
            ) from None
        # driver-specific extension types (ADBC's PostgreSQL numeric) become their storage
        df = df.with_columns(
            pl.col(n).ext.storage() for n, t in df.schema.items() if isinstance(t, pl.Extension)
        )
        required = [c.name for c in SCHEMA[table].columns if c.required and c.name != "platform"]
        frame = map_columns(df.lazy(), spec.columns, origin=origin, required=required)
        out.append(
            SourceFrame(
                table, frame, origin, row_base=1, row_label="result row", platform=spec.platform
            )
        )
    return out


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="sql",
            description="SQLite file or PostgreSQL database: one query or table per "
            "canonical table",
            load=load,
            options=SqlOptions,
        )
    ]
