"""The testing helpers a plugin package uses (``communityroi.testing``: the registry, the
report and render helpers, the sample data, the fixtures, the real boundary) and two
hooks met through them: a plugin's own section template and a transform between loading
and the metrics. The example packages installed for real, ``check_source`` on one of
them and the safety cases are in test_plugin_authors.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from pydantic import BaseModel, ConfigDict
from test_plugin_authors import EXAMPLES, _empty

from communityroi import (
    KPI,
    ConfigError,
    MetricResult,
    MetricSpec,
    PluginError,
    RendererSpec,
    Section,
    SourceFrame,
    SourceSpec,
    T,
    TransformSpec,
    hookimpl,
)

# The opt-in fixtures, registered here by importing them (a plugin package would write
# pytest_plugins = ["communityroi.testing"] in its conftest.py instead).
from communityroi.testing import (  # noqa: F401
    _communityroi_cli_fixture,
    _make_community_fixture,
    _sample_data_fixture,
    _strict_plugins_fixture,
    build_report,
    make_data,
    plugin_registry,
    render_report,
    sample_data,
)
from core.pipeline import load
from core.settings import load_settings


def test_plugin_registry_accepts_bare_specs_and_plugin_objects():
    spec = MetricSpec("plain", T("Plain"), "no options", lambda d, o: MetricResult({}, _empty))

    class Obj:
        @hookimpl
        def communityroi_renderers(self):
            return [RendererSpec("txt", "text", lambda r, c: b"x", "txt")]

    registry = plugin_registry(spec, Obj())
    assert set(registry.metrics) == {"plain"} and set(registry.renderers) == {"txt"}
    assert not registry.sources  # no built-ins unless asked for


def test_plugin_registry_is_strict():
    class Wrong:
        @hookimpl
        def communityroi_metrics(self):
            return ["not a spec"]

    with pytest.raises(PluginError, match="expected MetricSpec"):
        plugin_registry(Wrong())


def test_build_report_has_only_your_metric_and_the_builtins_you_name():
    spec = MetricSpec("plain", T("Plain"), "no options", lambda d, o: MetricResult({}, _empty))
    assert [s.metric for s in build_report([spec], sample_data()).sections] == ["plain"]
    report = build_report([spec], sample_data(), builtin_metrics=["roi"])
    assert {s.metric for s in report.sections} == {"plain", "roi"}


def test_render_report_returns_bytes_per_format():
    spec = MetricSpec("plain", T("Plain"), "no options", lambda d, o: MetricResult({}, _empty))
    out = render_report([spec], sample_data(), ("html", "json", "pdf"))
    assert set(out) == {"html", "json", "pdf"}
    assert out["pdf"].startswith(b"%PDF-")
    assert json.loads(out["json"])["metrics"]["plain"]["kpis"]["n"]["value"] == 1


def test_sample_data_matches_its_documentation():
    data = sample_data()
    got = {t: data.frame(t).collect() for t in ("members", "activities", "orders", "costs")}
    assert {t: f.height for t, f in got.items()} == {
        "members": 5,
        "activities": 11,
        "orders": 4,
        "costs": 2,
    }
    report = build_report([], data, builtin_metrics=["roi"])
    roi = {k.key: k.value for k in report.section("roi").kpis}
    # paid 199 + 99 + 59.90 = 357.90; costs 300 + 100 = 400
    assert roi["return"] == pytest.approx(357.9)
    assert roi["investment"] == pytest.approx(400)
    assert roi["members_end"] == 4  # m5 left on 10-20
    assert roi["active_members"] == 4  # m1–m4 (m4's join does not count; m5 silent)


def test_fixtures(sample_data, make_community, communityroi_cli):
    assert sample_data.period.start == date(2026, 10, 1)
    data = make_community({"members": [{"member_id": "a", "joined_at": "2026-10-02"}]})
    assert data.timezone == "Asia/Shanghai" and data.members.collect().height == 1
    result = communityroi_cli("plugins", "--json")
    assert result.exit_code == 0 and '"roi"' in result.stdout


def test_strict_plugins_fixture(strict_plugins):
    assert load_settings(None).plugins.strict is True


def test_make_data_is_the_real_boundary():
    with pytest.raises(Exception, match="row 2, column at"):
        make_data(
            {"activities": [{"member_id": "a", "at": "soon", "kind": "message"}]},
            start=date(2026, 10, 1),
            end=date(2026, 10, 31),
        )


def test_sources_return_frames_through_the_public_api_only():
    """The example plugins and the scaffold templates import only from communityroi."""
    import ast

    from core import scaffold

    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES.glob("*/communityroi_*.py")]
    texts += [
        scaffold.render_files("x_check", k)["communityroi_x_check.py"] for k in scaffold.KINDS
    ]
    assert len(texts) == 5
    for text in texts:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = (
                    [node.module]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                assert not any(m and m.split(".")[0] in ("core", "plugins") for m in mods)
    assert SourceFrame  # the spec types come from communityroi


def test_template_dirs_hook_lets_a_plugin_bring_its_section_template(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "acme_section.html").write_text(
        '{% extends "default:section.html" %}'
        '{% block kpis %}<p class="acme">ACME · {{ section.title }}</p>{% endblock %}',
        encoding="utf-8",
    )

    class WithTemplate:
        @hookimpl
        def communityroi_metrics(self):
            def build(got):
                return Section(kpis=(KPI("n", T("N"), 1),), template="acme_section.html")

            return [
                MetricSpec("acme", T("Acme"), "own template", lambda d, o: MetricResult({}, build))
            ]

        @hookimpl
        def communityroi_template_dirs(self):
            return [folder]

    assert plugin_registry(WithTemplate()).template_dirs == [folder]
    html = render_report([WithTemplate()], sample_data(), ("html",))["html"].decode()
    assert '<p class="acme">ACME · Acme</p>' in html


class BotOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bot_ids: list[str]


class WithTransform:
    """A source of three activities and a transform dropping the bots' ones."""

    @hookimpl
    def communityroi_sources(self):
        rows = pl.LazyFrame(
            {
                "member_id": ["a", "bot", "b"],
                "at": ["2026-10-02 09:00", "2026-10-02 09:01", "2026-10-03 10:00"],
                "kind": ["message", "message", "reply"],
            }
        )
        return [
            SourceSpec(
                "rows",
                "three rows",
                lambda o, c: [SourceFrame("activities", rows, "<rows>", platform="t")],
            )
        ]

    @hookimpl
    def communityroi_transforms(self):
        def drop(frames, opts, ctx):
            keep = ~pl.col("member_id").is_in(opts.bot_ids)
            return {**frames, "activities": frames["activities"].filter(keep)}

        return [TransformSpec("drop_bots", "remove bots", drop, options=BotOptions)]


def test_transform_runs_between_loading_and_metrics():
    period = {"period_start": "2026-10-01", "period_end": "2026-10-31"}
    registry = plugin_registry(WithTransform())
    settings = load_settings(
        None,
        report=period,
        sources=[{"type": "rows"}],
        transforms={"drop_bots": {"bot_ids": ["bot"]}},
    )
    _loaded, data = load(settings, registry)
    assert data.activities.collect()["member_id"].to_list() == ["a", "b"]
    untouched = load(load_settings(None, report=period, sources=[{"type": "rows"}]), registry)[1]
    assert untouched.activities.collect().height == 3  # not configured, not enabled by default
    wrong = load_settings(
        None, report=period, sources=[{"type": "rows"}], transforms={"drop_bots": {"bots": ["x"]}}
    )
    with pytest.raises(ConfigError, match=r"^transform 'drop_bots': bot_ids: Field required"):
        load(wrong, registry)


def test_run_metric_gives_a_scorecard_metric_its_scorecard():
    """A metric that reads the member scorecard (``members=True``) runs through
    ``run_metric`` with the scorecard the pipeline would assemble: the built-in columns
    and those its plugin declares (before, ``got["members"]`` was missing: KeyError)."""
    from communityroi import ColumnInfo, MemberScoreSpec
    from communityroi.testing import run_metric

    def busy(data, opts):  # activity rows per member in the period
        rows = data.frame("activities").filter(data.in_period("at"))
        return rows.group_by("member_id").agg(pl.len().cast(pl.Int64).alias("rows"))

    def build(got, opts):
        card = got["members"]
        kpis = (
            KPI("busy", T("Busy members"), card.filter(pl.col("rows") >= 2).height, "count"),
            KPI("with_clv", T("Has CLV"), int("clv_observed" in card.columns), "count"),
        )
        return Section(kpis=kpis)

    spec = MetricSpec(
        "busy", T("Busy"), "members with 2+ activity rows",
        lambda d, o: MetricResult({}, lambda got: build(got, o)), members=True,
        compare_previous=False,  # the scorecard is the current period's
    )  # fmt: skip

    class Plugin:
        @hookimpl
        def communityroi_metrics(self):
            return [spec]

        @hookimpl
        def communityroi_member_scores(self):
            return [
                MemberScoreSpec(
                    "busy", "activity rows", {"rows": ColumnInfo(T("Rows"), "count")},
                    compute=busy, metric="busy",
                )
            ]  # fmt: skip

    section = run_metric(spec, sample_data(), plugins=[Plugin()])
    got = {k.key: k.value for k in section.kpis}
    # October (sample_tables' docstring): m1 2 messages + 1 reply, m2 a reply and a
    # message, m3 1 checkin, m4 its join and 1 message → m1, m2, m4 have 2 or more
    assert got["busy"] == 3
    assert got["with_clv"] == 1  # the built-in columns are there too (clv is on by default)
    with pytest.raises(PluginError, match='column "rows"'):  # its own columns need it
        run_metric(spec, sample_data())
    # compared with the previous period, its build there would have no scorecard: said so
    compared = replace(spec, compare_previous=True)
    with pytest.raises(PluginError, match=r"current period's only: set compare_previous=False"):
        run_metric(compared, sample_data(), plugins=[Plugin()])
