"""``--format members``: the member scorecard as ``members.csv`` (UTF-8 with a BOM, so
Excel opens Chinese text right) and ``members.parquet``, one row per person.

The first column is ``member``: the pseudonym, or the id with ``--show-names``. The
other columns are those every ``communityroi_member_scores`` spec declares (the built-in
ones are listed in docs/json-format.md). No names or free text are written: the only
personal column is ``member``, pseudonymised by the core. Timestamps are ISO 8601 in UTC.
"""

from __future__ import annotations

import io

import polars as pl

from communityroi import RenderContext, RenderError, RendererSpec, Report, hookimpl

FILES = ("members.csv", "members.parquet")


def table(report: Report) -> pl.DataFrame:
    """The scorecard as written: ``member`` first, member-unit columns other than the
    key left out (a plugin's personal columns never reach the file)."""
    card = report.members
    if card is None:
        raise RenderError(
            "the member scorecard was not computed (no communityroi_member_scores plugin "
            "returned columns); see the warnings above"
        )
    personal = {c for c, i in card.columns.items() if i.unit == "member" and c != "member_id"}
    return card.data.drop(personal & set(card.data.columns)).rename({"member_id": "member"})


def files(report: Report, ctx: RenderContext) -> dict[str, bytes]:
    df = table(report)
    csv = io.BytesIO()
    df.write_csv(csv, include_bom=True, datetime_format="%Y-%m-%dT%H:%M:%SZ")
    parquet = io.BytesIO()
    df.write_parquet(parquet, statistics=False)
    return {"members.csv": csv.getvalue(), "members.parquet": parquet.getvalue()}


def render(report: Report, ctx: RenderContext) -> bytes:
    return files(report, ctx)["members.csv"]


@hookimpl
def communityroi_renderers() -> list[RendererSpec]:
    return [
        RendererSpec(
            name="members",
            description="Member scorecard: members.csv (UTF-8 BOM) and members.parquet",
            render=render,
            extension="csv",
            files=files,
            members=True,
        )
    ]
