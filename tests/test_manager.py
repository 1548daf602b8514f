"""The plugin manager: built-ins, entry points, isolation, strict mode, disabling, conflicts."""

from __future__ import annotations

import importlib.metadata as md
import sys
import types

import pytest

from communityroi import (
    MetricResult,
    MetricSpec,
    PluginConflictError,
    PluginError,
    Section,
    T,
    hookimpl,
)
from core import manager
from core.manager import build_registry


def _metric(name: str) -> MetricSpec:
    return MetricSpec(
        name=name,
        title=T(name),
        description=f"{name} metric",
        compute=lambda data, opts: MetricResult({}, lambda got: Section()),
    )


class GoodPlugin:
    @hookimpl
    def communityroi_metrics(self):
        return [_metric("nps")]


class BrokenDeclaration:
    @hookimpl
    def communityroi_metrics(self):
        raise RuntimeError("boom")


class WrongType:
    @hookimpl
    def communityroi_metrics(self):
        return ["not a spec"]


class Dist:
    def __init__(self, name, version="1.2.3"):
        self.name, self.version = name, version


class FakeEntryPoint:
    """Just enough of importlib.metadata.EntryPoint for the manager."""

    def __init__(self, name, target, dist="communityroi-nps"):
        self.name, self._target, self.dist = name, target, Dist(dist)

    def load(self):
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


@pytest.fixture
def entry_points(monkeypatch):
    eps: list[FakeEntryPoint] = []
    monkeypatch.setattr(manager, "_entry_points", lambda: eps)
    return eps


SMALL = ("plugins.sources.files", "plugins.metrics.roi")


def test_builtins_are_registered_like_third_party_plugins(entry_points):
    reg = build_registry()
    assert {"files", "demo"} <= set(reg.sources)
    assert "roi" in reg.metrics
    assert {"html", "pdf", "json"} <= set(reg.renderers)
    _spec, info = reg.metrics["roi"]
    assert info.builtin and info.distribution == "communityroi"
    assert not reg.warnings


def test_entry_point_plugin_is_discovered_with_its_distribution(entry_points):
    entry_points.append(FakeEntryPoint("nps", GoodPlugin()))
    reg = build_registry(builtins=SMALL)
    _spec, info = reg.metrics["nps"]
    assert (info.name, info.distribution, info.version) == ("nps", "communityroi-nps", "1.2.3")
    assert not info.builtin


def test_plugin_that_fails_to_import_is_skipped_with_a_named_warning(entry_points):
    entry_points.append(FakeEntryPoint("bad", ImportError("no module named foo"), "bad-dist"))
    entry_points.append(FakeEntryPoint("nps", GoodPlugin()))
    reg = build_registry(builtins=SMALL)
    assert "nps" in reg.metrics and "roi" in reg.metrics
    (warning,) = reg.warnings
    assert "plugin 'bad' (bad-dist 1.2.3) failed to load" in warning
    assert "no module named foo" in warning


@pytest.mark.parametrize(
    "plugin, text", [(BrokenDeclaration(), "boom"), (WrongType(), "expected MetricSpec")]
)
def test_plugin_that_raises_in_a_hook_is_skipped(entry_points, plugin, text):
    entry_points.append(FakeEntryPoint("bad", plugin, "bad-dist"))
    reg = build_registry(builtins=SMALL)
    assert "roi" in reg.metrics
    assert len(reg.warnings) == 1 and text in reg.warnings[0]
    assert "plugin 'bad' (bad-dist" in reg.warnings[0]


def test_strict_mode_reraises(entry_points):
    entry_points.append(FakeEntryPoint("bad", BrokenDeclaration(), "bad-dist"))
    with pytest.raises(PluginError, match=r"plugin 'bad' \(bad-dist 1.2.3\).*boom"):
        build_registry(strict=True, builtins=SMALL)


def test_disable_by_plugin_name_or_declared_name(entry_points):
    entry_points.append(FakeEntryPoint("nps", GoodPlugin()))
    assert "nps" not in build_registry(disabled=["nps"], builtins=SMALL).metrics
    assert "roi" not in build_registry(disabled=["roi"], builtins=SMALL).metrics
    reg = build_registry(disabled=["communityroi-nps"], builtins=SMALL)
    assert "nps" not in reg.metrics


def test_two_plugins_declaring_one_name_is_an_error_naming_both(entry_points):
    entry_points.append(FakeEntryPoint("nps", GoodPlugin(), "first-dist"))
    entry_points.append(FakeEntryPoint("nps2", GoodPlugin(), "second-dist"))
    with pytest.raises(PluginConflictError) as exc:
        build_registry(builtins=SMALL)
    assert "first-dist" in str(exc.value) and "second-dist" in str(exc.value)


def test_misspelt_hook_fails_loudly(entry_points):
    class Typo:
        @hookimpl
        def communityroi_metric(self):  # missing "s"
            return []

    with pytest.raises(Exception, match="communityroi_metric"):
        build_registry(extra=[("typo", Typo())], builtins=SMALL)


def test_builtin_list_is_importable_by_dotted_name():
    import plugins

    for dotted in plugins.BUILTIN:
        assert dotted.startswith("plugins.")
    # core never imports plugins at module level
    for name in [m for m in sys.modules if m.startswith("core.")]:
        mod = sys.modules[name]
        assert isinstance(mod, types.ModuleType)
    import ast
    import pathlib

    for path in pathlib.Path("core").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                assert not any(n and n.split(".")[0] == "plugins" for n in names), path


def test_real_entry_point_group_is_queried(monkeypatch):
    seen = {}

    def fake(group):
        seen["group"] = group
        return []

    monkeypatch.setattr(md, "entry_points", fake)
    build_registry(builtins=SMALL)
    assert seen["group"] == "communityroi"
