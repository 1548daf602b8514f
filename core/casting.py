"""Giving a frame the data types ``CommunityData`` uses: person keys (:data:`PERSON_KEY`)
and labels (:data:`LABEL`) Categorical, cast through text. The boundary casts the
canonical tables once (:mod:`core.loading`); plugins cast frames of their own with
:func:`cast_person_keys` / :func:`cast_table` (public in ``communityroi``) so that they
join and concatenate with the canonical tables."""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from core.schema import PERSON_KEY, PERSON_KEY_NAMES, SCHEMA

F = TypeVar("F", pl.LazyFrame, pl.DataFrame)


def cast_person_keys(frame: F, *columns: str) -> F:
    """``frame`` with its person-key columns as :data:`PERSON_KEY`, the type they have in
    ``CommunityData`` — so a frame of your own joins and concatenates with the canonical
    tables.

    ``columns`` names the columns to cast; by default every canonical person-key name the
    frame has (``member_id``, ``invited_by``, ``target_member_id``, ``customer_id``).
    Columns of another type (numbers read from a CSV) are cast through text; columns
    already typed are left alone, so the cast is free when there is nothing to do.

    >>> survey = pl.LazyFrame({"member_id": ["m1", "m2"], "score": [9, 4]})
    >>> cast_person_keys(survey).collect_schema()["member_id"]
    Categorical
    """
    schema = frame.collect_schema()
    missing = [c for c in columns if c not in schema]
    if missing:
        raise ValueError(f"cast_person_keys: no column {', '.join(missing)} in the frame")
    names = columns or [c for c in PERSON_KEY_NAMES if c in schema]
    return _categorical(frame, schema, names)


def cast_table(frame: F, table: str) -> F:
    """``frame`` of canonical table ``table`` with the types it has in ``CommunityData``:
    person keys and labels Categorical (:attr:`TableSchema.categorical`), cast through
    text; columns the frame lacks or already has typed are left alone."""
    schema = frame.collect_schema()
    names = [c for c in SCHEMA[table].categorical if c in schema]
    return _categorical(frame, schema, names)


def _categorical(frame: F, schema: pl.Schema, names: list[str] | tuple[str, ...]) -> F:
    todo = [c for c in names if schema[c] != PERSON_KEY]
    if not todo:
        return frame
    return frame.with_columns(pl.col(c).cast(pl.String).cast(pl.Categorical) for c in todo)
