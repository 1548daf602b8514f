"""Plugin authors' experience: the example packages installed for real (and
``check_source`` on one), and the safety cases test_manager.py does not cover (options
validated with the plugin and option named, failures while running named with their
distribution, disabling through the config file and the environment, the CLI's strict
mode and ``--json``). The testing helpers: test_plugin_testing_helpers.py."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from editable_install import installed

from communityroi import (
    KPI,
    ConfigError,
    MetricResult,
    MetricSpec,
    PluginError,
    RendererSpec,
    Section,
    SourceSpec,
    T,
    hookimpl,
)
from communityroi.testing import build_report, plugin_registry, sample_data
from core import manager
from core.cli import main
from core.pipeline import compute, load, registry_for, render
from core.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHANLAN = EXAMPLES / "shanlan"
EXPORT = EXAMPLES / "weimiquan-source" / "tests" / "data" / "export"
PACKAGES = {
    "communityroi-weimiquan": EXAMPLES / "weimiquan-source",
    "communityroi-nps": EXAMPLES / "nps-metric",
}


def cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None):
    """Run the installed ``communityroi`` command in a fresh process (entry points are
    read at start-up, so a package installed during the session is seen)."""
    full_env = {**os.environ, "COLUMNS": "250", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def examples_installed():
    with installed(PACKAGES):
        yield


# -- the example packages, installed ---------------------------------------------------


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_example_package_passes_its_own_tests(examples_installed, package):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=PACKAGES[package],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_plugins_json_lists_the_examples_with_distribution_and_version(examples_installed):
    done = cli("plugins", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    rows = {(r["kind"], r["name"]): r for r in doc["plugins"]}
    source, metric = rows[("source", "weimiquan")], rows[("metric", "nps")]
    assert (source["plugin"], source["distribution"], source["version"]) == (
        "weimiquan",
        "communityroi-weimiquan",
        "0.1.0",
    )
    assert (metric["distribution"], metric["version"], metric["builtin"]) == (
        "communityroi-nps",
        "0.1.0",
        False,
    )
    assert rows[("metric", "roi")]["distribution"] == "communityroi"
    assert doc["warnings"] == []


def test_plugins_table_shows_distribution_and_version(examples_installed):
    done = cli("plugins")
    line = next(x for x in done.stdout.splitlines() if "weimiquan" in x and "source" in x)
    assert "communityroi-weimiquan" in line and "0.1.0" in line


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_report_shows_the_example_sections_without_core_changes(examples_installed, tmp_path):
    done = cli("report", "report.toml", "--out", str(tmp_path), cwd=SHANLAN)
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    nps = doc["metrics"]["nps"]["kpis"]
    # examples/shanlan/survey.csv: 16 October answers, 9 promoters (9–10), 3 detractors
    # (u1020 6, u1034 5, u1045 3): (9 − 3) / 16 × 100 = 37.5
    assert nps["nps"]["value"] == pytest.approx(37.5)
    assert nps["answers"]["value"] == 16
    # members at the end of October: joined by then, membership not yet expired
    end = "2026-11-01 00:00:00"
    members = _csv(EXPORT / "members.csv")
    at_end = [
        m for m in members if m["加入时间"] < end and (not m["到期时间"] or m["到期时间"] >= end)
    ]
    ids = {m["用户ID"] for m in at_end}
    respondents = {a["用户ID"] for a in _csv(SHANLAN / "survey.csv")} & ids
    assert nps["response_rate"]["value"] == pytest.approx(len(respondents) / len(ids) * 100)
    roi = doc["metrics"]["roi"]["kpis"]
    paid = [o for o in _csv(EXPORT / "orders.csv") if o["订单状态"] == "已支付"]
    october = sum(float(o["支付金额"]) for o in paid if "2026-10-01" <= o["支付时间"] < end)
    assert roi["return"]["value"] == pytest.approx(october)
    assert roi["investment"]["value"] == pytest.approx(99 + 800 + 3000 + 280)  # costs.csv
    assert roi["members_end"]["value"] == len(ids)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "净推荐值" in html and "山岚茶事研习社" in html


def test_disable_an_installed_plugin_through_the_environment(examples_installed, tmp_path):
    env = {"COMMUNITYROI_PLUGINS__DISABLE": '["nps"]'}
    done = cli("report", "report.toml", "--out", str(tmp_path), cwd=SHANLAN, env=env)
    assert done.returncode == 2
    assert "[metrics.nps] names no installed metric" in done.stderr


# -- options are validated, errors name the plugin and the option ----------------------


@pytest.fixture
def nps_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(PACKAGES["communityroi-nps"]))
    import communityroi_nps

    return communityroi_nps


@pytest.fixture
def weimiquan_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(PACKAGES["communityroi-weimiquan"]))
    import communityroi_weimiquan

    return communityroi_weimiquan


@pytest.mark.parametrize(
    "options, message",
    [
        ({"promoter_min": 11}, r"promoter_min: Input should be less than or equal to 10"),
        ({"surveyy": "x.csv"}, r"surveyy: Extra inputs are not permitted"),
        ({"survey": "nowhere.csv"}, r"survey: survey file \S*nowhere.csv not found"),
    ],
)
def test_metric_options_error_names_the_plugin_and_the_option(nps_plugin, options, message):
    options = {"survey": str(SHANLAN / "survey.csv"), **options}
    settings = load_settings(None, metrics={"nps": options})
    registry = plugin_registry(nps_plugin)
    with pytest.raises(ConfigError, match=r"^metric 'nps' \(plugin 'communityroi_nps'.*" + message):
        compute(settings, registry, sample_data())


def test_source_options_error_names_the_source_and_the_option(weimiquan_plugin):
    settings = load_settings(None, sources=[{"type": "weimiquan", "circle": "x"}])
    registry = plugin_registry(weimiquan_plugin)
    with pytest.raises(ConfigError) as err:
        load(settings, registry)
    assert str(err.value).startswith("source #1 (weimiquan): ")
    assert "path: Field required" in str(err.value) and "(+1 more)" in str(err.value)


def test_renderer_options_error_names_the_renderer(tmp_path):
    settings = load_settings(None, renderers={"html": {"max_table_rows": 0}})
    registry = plugin_registry(builtins=["renderers"])
    report = build_report([], sample_data())
    with pytest.raises(ConfigError, match=r"^renderer 'html': max_table_rows: "):
        render(settings, registry, report, ["html"], tmp_path)


def test_plugin_without_options_refuses_options():
    spec = MetricSpec("plain", T("Plain"), "no options", lambda d, o: MetricResult({}, _empty))
    settings = load_settings(None, metrics={"plain": {"colour": "red"}})
    with pytest.raises(ConfigError, match="takes no options, got: colour"):
        compute(settings, plugin_registry(spec), sample_data())


def _empty(got):
    return Section(kpis=(KPI("n", T("N"), 1),))


# -- failures while running are named with the distribution; strict re-raises ----------


class Dist:
    name, version = "acme-plugins", "2.0.1"


class EntryPoint:
    def __init__(self, name: str, obj: object):
        self.name, self.obj, self.dist = name, obj, Dist()

    def load(self):
        return self.obj


def _raises(*_args):
    raise RuntimeError("kaput")


class Broken:
    @hookimpl
    def communityroi_metrics(self):
        return [MetricSpec("broken", T("Broken"), "raises", _raises)]

    @hookimpl
    def communityroi_sources(self):
        return [SourceSpec("broken_source", "raises", _raises)]

    @hookimpl
    def communityroi_renderers(self):
        return [RendererSpec("broken_format", "raises", _raises, "txt")]


@pytest.fixture
def acme(monkeypatch):
    """An installed (faked) distribution acme-plugins 2.0.1 whose callables all raise."""
    monkeypatch.setattr(manager, "_entry_points", lambda: [EntryPoint("acme", Broken())])


SMALL = ("plugins.metrics.engagement", "plugins.renderers.json")


def test_metric_that_raises_is_left_out_with_a_warning_naming_it(acme):
    registry = manager.build_registry(builtins=SMALL)
    sections = compute(load_settings(None), registry, sample_data())
    assert [s.metric for s in sections] == ["engagement"]
    (warning,) = registry.warnings
    assert warning.startswith(
        "metric 'broken' of plugin 'acme' (acme-plugins 2.0.1) failed while computing: "
        "RuntimeError: kaput"
    )
    assert warning.endswith("its section is left out")


def test_metric_that_raises_stops_the_run_in_strict_mode(acme):
    registry = manager.build_registry(builtins=SMALL, strict=True)
    with pytest.raises(PluginError, match=r"plugin 'acme' \(acme-plugins 2.0.1\).*kaput"):
        compute(load_settings(None), registry, sample_data())


def test_source_that_raises_is_named(acme):
    settings = load_settings(None, sources=[{"type": "broken_source"}])
    registry = manager.build_registry(builtins=SMALL)
    with pytest.raises(
        PluginError, match=r"^plugin 'acme' \(acme-plugins 2.0.1\) failed while loading data"
    ):
        load(settings, registry)


def test_renderer_that_raises_is_named(acme, tmp_path):
    registry = manager.build_registry(builtins=SMALL)
    report = build_report([], sample_data())
    with pytest.raises(PluginError, match=r"plugin 'acme' \(acme-plugins 2.0.1\).*rendering"):
        render(load_settings(None), registry, report, ["json", "broken_format"], tmp_path)
    assert not (tmp_path / "report.json").exists()  # nothing half-written


def test_cli_strict_plugins_flag(monkeypatch):
    class BadImport:
        name, dist = "bad", Dist()

        def load(self):
            raise ImportError("No module named 'acme_nps'")

    monkeypatch.setattr(manager, "_entry_points", lambda: [BadImport()])
    runner = CliRunner()
    ok = runner.invoke(main, ["plugins", "--json"])
    assert ok.exit_code == 0
    (warning,) = json.loads(ok.stdout)["warnings"]
    assert "plugin 'bad' (acme-plugins 2.0.1) failed to load" in warning
    strict = runner.invoke(main, ["plugins", "--strict-plugins"])
    assert strict.exit_code == 2
    assert "No module named 'acme_nps' (strict plugin mode)" in strict.stderr


# -- disabling by name in the config file and the environment --------------------------


def test_disable_in_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv("COMMUNITYROI_PLUGINS__DISABLE", raising=False)
    cfg = tmp_path / "report.toml"
    cfg.write_text('[plugins]\ndisable = ["engagement", "pdf"]\n', encoding="utf-8")
    registry = registry_for(load_settings(cfg))
    assert "engagement" not in registry.metrics and "roi" in registry.metrics
    assert "pdf" not in registry.renderers and "html" in registry.renderers


def test_disable_in_environment_overrides_the_file(tmp_path, monkeypatch):
    cfg = tmp_path / "report.toml"
    cfg.write_text('[plugins]\ndisable = ["engagement"]\n', encoding="utf-8")
    monkeypatch.setenv("COMMUNITYROI_PLUGINS__DISABLE", '["loyalty"]')
    registry = registry_for(load_settings(cfg))
    assert "loyalty" not in registry.metrics and "engagement" in registry.metrics


def test_check_source_helper_on_the_example_source(weimiquan_plugin):
    from communityroi.testing import check_source

    got = check_source(weimiquan_plugin.SPEC, {"path": str(EXPORT)})
    assert got["members"].height == len(_csv(EXPORT / "members.csv"))
