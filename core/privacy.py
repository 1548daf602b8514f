"""Pseudonymise personal data in report tables before any renderer sees them."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import polars as pl

from core.report import Section, Table


def pseudonym(value: str, salt: str = "") -> str:
    """A stable, non-reversible label for a member id or name: ``M-`` + 8 hex digits.

    Keyed BLAKE2b of the value; the same value and salt always give the same label.

    >>> pseudonym("wxid_abc")
    'M-FD33FC64'
    """
    digest = hashlib.blake2b(
        value.encode("utf-8"), key=salt.encode("utf-8")[:64], digest_size=4
    ).hexdigest()
    return "M-" + digest.upper()


def _mask_table(table: Table, salt: str) -> Table:
    cols = [
        name
        for name, info in table.columns.items()
        if info.unit == "member" and name in table.data.columns
    ]
    if not cols:
        return table
    # Report tables are small (top-N lists); hashing the distinct values in Python
    # here is outside the metric path and keeps pseudonyms stable across Polars versions.
    data = table.data
    for name in cols:
        values = data.get_column(name).cast(pl.String).unique().drop_nulls().to_list()
        mapping = {v: pseudonym(v, salt) for v in values}
        data = data.with_columns(
            pl.col(name)
            .cast(pl.String)
            .replace_strict(mapping, default=None, return_dtype=pl.String)
        )
    return replace(table, data=data)


def pseudonymize_sections(sections: list[Section], salt: str = "") -> list[Section]:
    """Replace every ``member`` column of every table by its pseudonym."""
    return [replace(s, tables=tuple(_mask_table(t, salt) for t in s.tables)) for s in sections]
