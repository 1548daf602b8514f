"""The files ``communityroi new-plugin`` writes, as ``string.Template`` texts.

Placeholders: ``${name}`` (plugin name), ``${module}`` (``communityroi_<name>``), ``${dist}``
(``communityroi-<name>``), ``${kind}``, ``${title}`` and, in the README, ``${usage}``.
Each generated package passes its own tests and ``ruff`` straight away
(tests/test_scaffold.py checks both).
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "${dist}"
version = "0.1.0"
description = "A communityroi ${kind} plugin: ${name}"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["communityroi"]

[project.optional-dependencies]
test = ["pytest>=8"]

# This is what makes communityroi find the plugin: group "communityroi",
# plugin name = module holding the @hookimpl functions.
[project.entry-points.communityroi]
${name} = "${module}"

[tool.setuptools]
py-modules = ["${module}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

CONFTEST = """\
# Opt in to communityroi's pytest fixtures: sample_data, make_community, strict_plugins,
# communityroi_cli (see communityroi.testing). A conftest.py is the place for this line:
# it is read before the test modules import communityroi.testing.
pytest_plugins = ["communityroi.testing"]
"""

README = """\
# ${dist}

A [communityroi](https://pypi.org/project/communityroi/) ${kind} plugin.

```sh
pip install -e .          # registers the plugin (entry point group "communityroi")
python -m pytest          # its test, with the helpers of communityroi.testing
communityroi plugins      # lists '${name}' with this distribution and version
```

${usage}

Edit `${module}.py`; the hooks, spec types and testing helpers are described in
communityroi's `docs/plugins.md`. Import only from `communityroi` (never `core` or `plugins`).
"""

USAGE = {
    "metric": """\
The metric is enabled by default, so any report now has its section:

```sh
communityroi demo --format html,pdf,json   # section "${name}", JSON metrics.${name}
```

Options go in report.toml:

```toml
[metrics.${name}]
exclude_kinds = ["join", "leave", "reaction"]
```""",
    "source": """\
Use it in report.toml:

```toml
[[sources]]
type = "${name}"
path = "exports/messages.csv"   # columns: user_id, user_name, sent_at, channel
```

Then `communityroi validate report.toml` shows row counts and any problem by row.""",
    "renderer": """\
It adds the output format `${name}` (a Markdown summary of every KPI):

```sh
communityroi demo --format html,${name}     # writes demo-report/report.md
```""",
}

METRIC = '''\
"""${title}: which kinds of activity a community's members engage in.

Definitions (P = the report period; only activities whose kind is not in
``exclude_kinds``, by default join and leave, count as *engaged*):

- **Active members** = distinct member_id with at least one engaged activity in P.
- **Activities per active member** = engaged activities in P / active members.
- **Share of a kind** = engaged activities of that kind in P / engaged activities in P
  × 100 %.

``compute`` only builds lazy Polars queries (no ``.collect()``); the core collects every
metric's frames together and then calls ``build`` with the collected DataFrames.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from communityroi import (
    KPI,
    Chart,
    ColumnInfo,
    CommunityData,
    Finding,
    Formula,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    hookimpl,
)
from pydantic import BaseModel, ConfigDict, Field


class Options(BaseModel):
    """``[metrics.${name}]`` in report.toml; unknown keys are an error naming the metric."""

    model_config = ConfigDict(extra="forbid")

    exclude_kinds: list[str] = Field(
        default=["join", "leave"], description="activity kinds that do not count"
    )


def compute(data: CommunityData, opts: Options) -> MetricResult:
    engaged = data.activities.filter(
        data.in_period("at") & ~pl.col("kind").is_in(opts.exclude_kinds)
    )
    totals = engaged.select(
        pl.len().alias("activities"), pl.col("member_id").n_unique().alias("active_members")
    )
    by_kind = (
        engaged.group_by("kind")
        .agg(pl.len().alias("count"))
        .with_columns((pl.col("count") / pl.col("count").sum() * 100).alias("share"))
        .sort(["count", "kind"], descending=[True, False])
    )
    return MetricResult(frames={"totals": totals, "by_kind": by_kind}, build=build)


def build(got: Mapping[str, pl.DataFrame]) -> Section:
    totals = got["totals"].row(0, named=True)
    active, activities = totals["active_members"], totals["activities"]
    by_kind = got["by_kind"]
    findings = []
    if by_kind.height:
        top = by_kind.row(0, named=True)
        findings.append(
            Finding(
                T(
                    f"'{top['kind']}' is the most common activity: {top['share']:.1f} % of all.",
                    f"最常见的互动是「{top['kind']}」，占全部的 {top['share']:.1f}%。",
                ),
                weight=0.3,
            )
        )
    return Section(
        intro=T("What members do in the community.", "成员在社群中的互动构成。"),
        kpis=(
            KPI(
                "active_members",
                T("Active members", "活跃成员"),
                active,
                "count",
                formula=T("distinct members with an engaged activity", "有有效互动的去重成员数"),
            ),
            KPI(
                "activities_per_active",
                T("Activities per active member", "人均互动"),
                activities / active if active else None,
                "per_member",
                formula=T("engaged activities / active members", "有效互动数 / 活跃成员数"),
            ),
        ),
        tables=(
            Table(
                "by_kind",
                T("Activities by kind", "按类型的互动"),
                by_kind,
                {
                    "kind": ColumnInfo(T("Kind", "类型")),
                    "count": ColumnInfo(T("Activities", "互动数"), "count"),
                    "share": ColumnInfo(T("Share", "占比"), "percent"),
                },
            ),
        ),
        charts=(
            Chart(
                "by_kind",
                "bar",
                T("Activities by kind", "按类型的互动"),
                "by_kind",
                x="kind",
                y=("count",),
                unit="count",
            ),
        ),
        findings=tuple(findings),
        methodology=(
            Formula(
                T("Active members", "活跃成员"),
                T(
                    "distinct member_id with an activity in the period whose kind is not "
                    "excluded (join and leave by default)",
                    "本期内类型未被排除（默认排除入群、退群）的互动的去重成员数",
                ),
            ),
            Formula(
                T("Share of a kind", "类型占比"),
                T(
                    "activities of the kind / all engaged activities × 100 %",
                    "该类型互动数 / 全部有效互动数 × 100%",
                ),
            ),
        ),
    )


SPEC = MetricSpec(
    name="${name}",
    title=T("${title} · ${name}", "互动构成 · ${name}"),
    description="Active members and the mix of activity kinds",
    compute=compute,
    options=Options,
    order=500,  # after the built-in sections
)


@hookimpl
def communityroi_metrics():
    return [SPEC]
'''

METRIC_TEST = '''\
"""Tests for the ${name} metric; numbers are counted by hand from the rows below."""

import json

from communityroi.testing import plugin_registry, render_report, run_metric

import ${module} as plugin

ROWS = {
    "members": [
        {"member_id": "a", "joined_at": "2026-09-01"},
        {"member_id": "b", "joined_at": "2026-09-01"},
        {"member_id": "c", "joined_at": "2026-10-20"},
    ],
    "activities": [
        {"member_id": "a", "at": "2026-10-02 09:00", "kind": "message"},
        {"member_id": "a", "at": "2026-10-03 09:00", "kind": "message"},
        {"member_id": "a", "at": "2026-10-03 09:05", "kind": "reply", "target_member_id": "b"},
        {"member_id": "b", "at": "2026-10-04 20:00", "kind": "message"},
        {"member_id": "c", "at": "2026-10-20 08:00", "kind": "join"},  # not engaged
        {"member_id": "b", "at": "2026-09-30 23:00", "kind": "message"},  # before October
    ],
}


def test_the_plugin_declares_its_metric():
    assert "${name}" in plugin_registry(plugin).metrics


def test_numbers_counted_by_hand(make_community):
    section = run_metric(plugin.SPEC, make_community(ROWS))
    # October: a has 3 engaged activities, b 1; c only joined
    assert section.kpi("active_members").value == 2
    assert section.kpi("activities_per_active").value == 4 / 2
    shares = dict(section.table("by_kind").data.select("kind", "share").iter_rows())
    assert shares == {"message": 75.0, "reply": 25.0}


def test_options_change_what_counts(make_community):
    section = run_metric(plugin.SPEC, make_community(ROWS), {"exclude_kinds": ["reply"]})
    # the join counts now, the reply does not: a 2, b 1, c 1
    assert section.kpi("active_members").value == 3


def test_the_section_is_in_a_rendered_report(sample_data):
    out = render_report([plugin], sample_data, ("html", "json"))
    doc = json.loads(out["json"])
    # the sample community has 7 engaged activities by 4 members in October
    assert doc["metrics"]["${name}"]["kpis"]["active_members"]["value"] == 4
    assert b"${name}" in out["html"]
'''

SOURCE = '''\
"""${title} export → canonical members and activities.

The export is one CSV (UTF-8, header row) with the columns ``user_id``, ``user_name``,
``sent_at`` (``2026-10-01 09:30``, read in ``timezone`` or the report's) and ``channel``.
Each row becomes an activity of kind ``message``; each (user, channel) a member row.
The core parses timestamps and reports a bad one with its file, row and column.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from pydantic import BaseModel, ConfigDict

COLUMNS = ("user_id", "user_name", "sent_at", "channel")


class Options(BaseModel):
    """``[[sources]] type = "${name}"`` in report.toml."""

    model_config = ConfigDict(extra="forbid")

    path: str  # relative paths resolve against the report.toml folder
    platform: str = "${name}"
    timezone: str | None = None  # for timestamps without an offset


def load(opts: Options, ctx: SourceContext) -> list[SourceFrame]:
    path = ctx.resolve(opts.path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; check 'path' of the ${name} source")
    raw = pl.scan_csv(path, infer_schema=False)  # all text: the core parses and checks
    missing = [c for c in COLUMNS if c not in raw.collect_schema().names()]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected {COLUMNS}")
    activities = raw.select(
        pl.col("user_id").alias("member_id"),
        pl.col("sent_at").alias("at"),
        pl.lit("message").alias("kind"),
        pl.col("channel").alias("group_id"),
    )
    members = (
        raw.group_by("user_id", "channel", maintain_order=True)
        .agg(pl.col("user_name").last().alias("display_name"))
        .rename({"user_id": "member_id", "channel": "group_id"})
    )
    common = {"platform": opts.platform, "timezone": opts.timezone}
    return [
        SourceFrame("activities", activities, origin=str(path), **common),
        SourceFrame("members", members, origin=f"{path} (members)", **common),
    ]


def detect(path: Path) -> bool:
    """``communityroi validate FILE`` recognises our export by its header."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    with path.open(encoding="utf-8-sig") as f:
        header = f.readline().strip().split(",")
    return set(COLUMNS) <= set(header)


SPEC = SourceSpec(
    name="${name}",
    description="Messages from a CSV export (user_id, user_name, sent_at, channel)",
    load=load,
    options=Options,
    detect=detect,
)


@hookimpl
def communityroi_sources():
    return [SPEC]
'''

SOURCE_TEST = '''\
"""Tests for the ${name} source: counts checked against the CSV written below."""

import pytest
from communityroi import DataError
from communityroi.testing import check_source, plugin_registry

import ${module} as plugin

CSV = """user_id,user_name,sent_at,channel
u1,Ann,2026-10-01 09:30,general
u2,Bo,2026-10-01 09:31,general
u1,Ann,2026-10-02 10:00,random
"""


def test_the_plugin_declares_its_source():
    assert "${name}" in plugin_registry(plugin).sources


def test_export_becomes_canonical_tables(tmp_path):
    (tmp_path / "export.csv").write_text(CSV, encoding="utf-8")
    got = check_source(
        plugin.SPEC, {"path": "export.csv"}, base_dir=tmp_path, timezone="Asia/Shanghai"
    )
    assert got["activities"].height == 3
    assert set(got["activities"]["kind"]) == {"message"}
    # 09:30 in Shanghai is 01:30 UTC
    assert got["activities"]["at"][0].hour == 1
    assert got["members"].height == 3  # (u1, general), (u2, general), (u1, random)
    assert plugin.detect(tmp_path / "export.csv")


def test_a_bad_timestamp_is_named_by_row(tmp_path):
    (tmp_path / "export.csv").write_text(CSV.replace("2026-10-01 09:31", "yesterday"))
    with pytest.raises(DataError, match="row 3, column at"):
        check_source(plugin.SPEC, {"path": str(tmp_path / "export.csv")})
'''

RENDERER = '''\
"""${title}: a Markdown summary of every section's KPIs (format ``${name}``).

Renderers get the finished :class:`communityroi.Report` (already computed and, by
default, pseudonymised) and return the bytes of one file. They never compute numbers.
"""

from __future__ import annotations

from communityroi import KPI, RenderContext, RendererSpec, Report, hookimpl
from pydantic import BaseModel, ConfigDict, Field


class Options(BaseModel):
    """``[renderers.${name}]`` in report.toml."""

    model_config = ConfigDict(extra="forbid")

    decimals: int = Field(1, ge=0, le=6, description="decimals for non-integer values")


def value(kpi: KPI, currency: str, decimals: int) -> str:
    """A KPI's value as text: ``–`` when unknown, ``12.5 %`` for percentages."""
    v = kpi.value
    if v is None:
        return "–"
    if kpi.unit == "percent":
        return f"{v:.{decimals}f} %"
    if kpi.unit == "currency":
        return f"{v:,.2f} {currency}"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.{decimals}f}"


def render(report: Report, ctx: RenderContext) -> bytes:
    opts = ctx.options or Options()
    lang = report.language
    lines = [
        f"# {report.title}",
        "",
        f"{report.client} · {report.period.start} – {report.period.end}",
    ]
    for section in report.sections:
        title = section.title.get(lang) if section.title else section.metric
        lines += ["", f"## {title}", ""]
        lines += [
            f"- {k.label.get(lang)}: {value(k, report.currency, opts.decimals)}"
            for k in section.kpis
        ]
    return ("\\n".join(lines) + "\\n").encode("utf-8")


SPEC = RendererSpec(
    name="${name}",
    description="Markdown summary of every KPI (.md)",
    render=render,
    extension="md",
    options=Options,
)


@hookimpl
def communityroi_renderers():
    return [SPEC]
'''

RENDERER_TEST = '''\
"""Tests for the ${name} renderer, on the sample community of communityroi.testing."""

from communityroi.testing import plugin_registry, render_report

import ${module} as plugin


def test_the_plugin_declares_its_format():
    assert plugin_registry(plugin).renderers["${name}"][0].extension == "md"


def test_renders_the_kpis(sample_data):
    out = render_report([plugin], sample_data, ("${name}",), builtin_metrics=["roi"])
    text = out["${name}"].decode("utf-8")
    assert text.startswith("# ")
    # sample community, October: paid orders 199 + 99 + 59.90 = 357.90, costs 300 + 100;
    # ROI = (357.90 − 400) / 400 × 100 % = −10.525 %
    assert "ROI: -10.5 %" in text
'''
