"""Plugins' one-time set-up runs in the background while the metrics collect (issue 17).

``MetricSpec.prepare()`` and ``RendererSpec.prepare(context)`` do what a plugin would
otherwise do on first use (import scipy or WeasyPrint, compile templates); the core runs
them in one thread during the collect, so start-up and the PDF no longer pay for them.
"""

from __future__ import annotations

import json
import threading

import polars as pl
import pytest

from communityroi import (
    KPI,
    ConfigError,
    MetricResult,
    MetricSpec,
    RendererSpec,
    Section,
    SourceFrame,
    SourceSpec,
    T,
    hookimpl,
)
from core.manager import build_registry
from core.pipeline import run
from core.prepare import Prepare
from core.settings import load_settings


def test_steps_run_in_order_in_another_thread_and_a_failing_one_is_skipped():
    seen: list[tuple[str, str]] = []

    def step(name: str):
        return lambda: seen.append((name, threading.current_thread().name))

    def broken():
        raise ImportError("no such library")

    prepare = Prepare([step("a")])
    prepare.start([broken, step("b")])
    prepare.start([step("ignored")])  # already started: nothing more is added
    prepare.wait()
    assert [name for name, _ in seen] == ["a", "b"]
    assert {thread for _, thread in seen} == {"communityroi-prepare"}
    Prepare().wait()  # nothing to run: no thread, nothing to wait for


class _Probe:
    """A metric and a renderer that record when their prepare and work ran."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.contexts: list[object] = []

    def _metric_prepare(self) -> None:
        self.events.append(f"metric prepare in {threading.current_thread().name}")

    def _compute(self, data, _opts) -> MetricResult:
        def build(got):
            self.events.append("metric build")
            return Section(kpis=(KPI("n", T("N"), got["n"].item(), "count"),))

        return MetricResult({"n": data.activities.select(pl.len().alias("n"))}, build)

    def _renderer_prepare(self, ctx) -> None:
        self.contexts.append(ctx)
        self.events.append(f"renderer prepare in {threading.current_thread().name}")

    def _render(self, report, ctx) -> bytes:
        self.contexts.append(ctx)
        self.events.append("render")
        return json.dumps({"n": report.section("probe").kpi("n").value}).encode()

    @hookimpl
    def communityroi_metrics(self):
        return [MetricSpec("probe", T("Probe"), "n", self._compute, prepare=self._metric_prepare)]

    @hookimpl
    def communityroi_renderers(self):
        return [
            RendererSpec(
                "probe", "n", self._render, extension="txt", prepare=self._renderer_prepare
            )
        ]


def test_the_report_job_runs_metric_and_renderer_prepare_before_their_work(tmp_path):
    probe = _Probe()
    registry = build_registry(builtins=("plugins.sources.demo",), extra=[("probe", probe)])
    settings = load_settings(
        None,
        report={"language": "en"},
        sources=[{"type": "demo"}],
        output={"dir": str(tmp_path), "formats": ["probe"]},
    )
    run(settings, registry=registry)
    assert json.loads((tmp_path / "report.txt").read_text())["n"] > 0
    prepared = [e for e in probe.events if "prepare" in e]
    assert sorted(prepared) == [
        "metric prepare in communityroi-prepare",
        "renderer prepare in communityroi-prepare",
    ]
    assert probe.events.index("render") > max(probe.events.index(e) for e in prepared)
    # the renderer prepared with the context it rendered with
    assert probe.contexts[0] is probe.contexts[1]


def test_a_bad_format_fails_before_any_source_is_read(tmp_path):
    read: list[str] = []

    class Source:
        @hookimpl
        def communityroi_sources(self):
            def load(_opts, _ctx):
                read.append("read")
                return [SourceFrame("members", pl.LazyFrame({"member_id": ["m1"]}), "x")]

            return [SourceSpec("tracked", "records reads", load)]

    registry = build_registry(builtins=(), extra=[("tracked", Source())])
    settings = load_settings(
        None, sources=[{"type": "tracked"}], output={"dir": str(tmp_path), "formats": ["nope"]}
    )
    with pytest.raises(ConfigError, match="unknown format 'nope'"):
        run(settings, registry=registry)
    assert read == []
