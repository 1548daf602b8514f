"""Testing helpers for plugin authors.

Import the functions directly, or opt in to the pytest plugin (fixtures below) with::

    # conftest.py (or the test module)
    pytest_plugins = ["communityroi.testing"]

Functions:

- :func:`make_data` — CommunityData from small frames, through the same boundary checks.
- :func:`run_metric` — run one metric on small frames and get its collected Section.
- :func:`check_source` — run a source and validate its output against the canonical schema.
- :func:`plugin_registry` — load your plugin as the core does (strict) and see what it declares.
- :func:`build_report` / :func:`render_report` — a Report, or the rendered bytes per format,
  with only your plugin (plus the built-in renderers and any built-in metrics you name).
- :func:`sample_tables` / :func:`sample_data` — a tiny documented community (October 2026).

Fixtures (with ``pytest_plugins``): ``sample_data``, ``make_community`` (make_data with the
sample period as default), ``strict_plugins`` (plugin errors re-raise inside the test) and
``communityroi_cli`` (runs the ``communityroi`` command in-process).
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from core.data import CommunityData
from core.data import make_data as _assemble
from core.errors import DataError
from core.hookspecs import hookimpl
from core.loading import Loaded, conform_frames
from core.manager import Registry, build_registry
from core.metrics import MetricJob, run_all
from core.report import Period, Report, Section
from core.specs import (
    MetricSpec,
    RendererSpec,
    SourceContext,
    SourceFrame,
    SourceSpec,
    TransformSpec,
)

try:  # the fixtures need pytest; the functions do not
    import pytest
except ImportError:  # pragma: no cover - pytest is a dev dependency
    pytest = None

SAMPLE_START = date(2026, 10, 1)
SAMPLE_END = date(2026, 10, 31)
SAMPLE_TIMEZONE = "Asia/Shanghai"


def make_data(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame | list[dict]],
    *,
    start: date,
    end: date,
    timezone: str = "UTC",
    currency: str = "CNY",
    fx_rates: dict[str, float] | None = None,
) -> CommunityData:
    """Conform ``tables`` (canonical column names; text dates and amounts are fine) and
    return CommunityData for the period ``start``–``end`` (inclusive). Raises DataError
    listing every problem, like the real pipeline."""
    parts = []
    for name, frame in tables.items():
        if isinstance(frame, list):
            frame = pl.DataFrame(frame)
        parts.append(SourceFrame(name, frame.lazy(), origin=f"<{name}>", platform="test"))
    loaded = conform_frames(parts, tz=timezone, currency=currency, fx_rates=fx_rates)
    if loaded.problems:
        raise DataError(loaded.problems)
    return _assemble(loaded.frames, Period(start, end), timezone, currency)


def run_metric(
    spec: MetricSpec, data: CommunityData, options: Any = None, *, plugins: Iterable[object] = ()
) -> Section:
    """Compute, collect and build one metric exactly as the pipeline does (strict).

    A metric that reads the member scorecard (``MetricSpec(members=True)``, the table
    arrives as ``got["members"]``) gets the one the pipeline assembles with the default
    metrics: from the built-in member-score specs and any that ``plugins`` declare
    (``communityroi_member_scores``; pass your plugin when the metric needs its own
    columns)."""
    if options is None and spec.options is not None:
        options = spec.options()
    elif isinstance(options, dict) and spec.options is not None:
        options = spec.options(**options)
    scores = []
    if spec.members:
        from core.pipeline import score_jobs

        registry = plugin_registry(*plugins, builtins=("metrics",))
        enabled = {n: s.options() if s.options else None
                   for n, (s, _) in registry.metrics.items() if s.enabled_by_default}  # fmt: skip
        scores = score_jobs(registry, {**enabled, spec.name: options})
    job = MetricJob(spec, options, f"plugin '{spec.name}'")
    (section,), _members = run_all(data, [job], scores, strict=True)
    return section


def check_source(
    spec: SourceSpec,
    options: Any,
    *,
    base_dir: Path | str = ".",
    timezone: str = "UTC",
    currency: str = "CNY",
) -> dict[str, pl.DataFrame]:
    """Load a source, conform its frames and return them collected; DataError on problems."""
    loaded = load_source(spec, options, base_dir=base_dir, timezone=timezone, currency=currency)
    if loaded.problems:
        raise DataError(loaded.problems)
    names = list(loaded.frames)
    return dict(zip(names, pl.collect_all([loaded.frames[n] for n in names]), strict=True))


def load_source(
    spec: SourceSpec,
    options: Any,
    *,
    base_dir: Path | str = ".",
    timezone: str = "UTC",
    currency: str = "CNY",
) -> Loaded:
    """Load and conform a source as the pipeline does, without raising on problems.

    ``Loaded.problems`` lists bad values, ``Loaded.dropped`` the records the source read
    and did not load (with reasons and counts): test both."""
    if isinstance(options, dict) and spec.options is not None:
        options = spec.options(**options)
    ctx = SourceContext(base_dir=Path(base_dir), timezone=timezone, currency=currency)
    parts = list(spec.load(options, ctx))
    return conform_frames(parts, tz=timezone, currency=currency, dropped=ctx.dropped)


# -- whole plugins and reports ---------------------------------------------------------

_SPEC_TYPES = (SourceSpec, TransformSpec, MetricSpec, RendererSpec)


class _Specs:
    """Bare specs wrapped into a plugin object, so they register through the hooks."""

    def __init__(self, specs: Sequence[object]):
        self.specs = list(specs)

    def _of(self, kind: type) -> list:
        return [s for s in self.specs if isinstance(s, kind)]

    @hookimpl
    def communityroi_sources(self):
        return self._of(SourceSpec)

    @hookimpl
    def communityroi_transforms(self):
        return self._of(TransformSpec)

    @hookimpl
    def communityroi_metrics(self):
        return self._of(MetricSpec)

    @hookimpl
    def communityroi_renderers(self):
        return self._of(RendererSpec)


def _as_plugins(plugins: Iterable[object]) -> list[tuple[str, object]]:
    plugins = list(plugins)
    specs = [p for p in plugins if isinstance(p, _SPEC_TYPES)]
    out = []
    for i, obj in enumerate(p for p in plugins if not isinstance(p, _SPEC_TYPES)):
        out.append((getattr(obj, "__name__", None) or f"{type(obj).__name__}-{i}", obj))
    if specs:
        out.append(("test-specs", _Specs(specs)))
    return out


def _builtins(kinds: Iterable[str]) -> list[str]:
    return [d for d in importlib.import_module("plugins").BUILTIN if d.split(".")[1] in kinds]


def plugin_registry(
    *plugins: object, builtins: Iterable[str] = (), strict: bool = True
) -> Registry:
    """Register ``plugins`` (modules or objects with ``@hookimpl`` methods, or bare specs)
    exactly as the core registers an installed plugin, and return what they declared.

    ``builtins`` names kinds of built-in plugins to load too (``"renderers"``,
    ``"metrics"``, ``"sources"``). Installed entry points are not loaded, so the result
    does not depend on what else is installed. ``strict`` (default) re-raises a failing
    hook as :class:`communityroi.PluginError` instead of skipping the plugin.
    """
    return build_registry(
        strict=strict,
        builtins=_builtins(builtins),
        entry_points=False,
        extra=_as_plugins(plugins),
    )


def _prepare(plugins, data, options, builtin_metrics, language, show_names):
    from core.pipeline import build_report as assemble
    from core.pipeline import compute
    from core.settings import load_settings

    kinds = ("renderers", "metrics") if builtin_metrics else ("renderers",)
    registry = plugin_registry(*plugins, builtins=kinds)
    keep = set(builtin_metrics)
    registry.metrics = {
        name: entry
        for name, entry in registry.metrics.items()
        if not entry[1].builtin or name in keep
    }
    settings = load_settings(
        None,
        report={
            "language": language,
            "timezone": data.timezone,
            "currency": data.currency,
            "period_start": data.period.start,
            "period_end": data.period.end,
        },
        privacy={"pseudonymize": not show_names},
        metrics=dict(options or {}),
        plugins={"strict": True},
    )
    sections = compute(settings, registry, data)
    return settings, registry, assemble(settings, sections, data, registry.warnings)


def build_report(
    plugins: Iterable[object],
    data: CommunityData,
    *,
    options: Mapping[str, dict[str, Any]] | None = None,
    builtin_metrics: Iterable[str] = (),
    language: str = "en",
    show_names: bool = False,
) -> Report:
    """The Report the pipeline builds from ``data`` with only ``plugins`` installed.

    ``options`` are per-metric options as in ``[metrics.<name>]`` (a metric that is not
    enabled by default is enabled by naming it here); ``builtin_metrics`` adds built-in
    metrics by name (e.g. ``["roi"]``). Strict: a plugin error re-raises.
    """
    return _prepare(plugins, data, options, builtin_metrics, language, show_names)[2]


def render_report(
    plugins: Iterable[object],
    data: CommunityData,
    formats: Sequence[str] = ("html",),
    *,
    options: Mapping[str, dict[str, Any]] | None = None,
    builtin_metrics: Iterable[str] = (),
    language: str = "en",
    show_names: bool = False,
) -> dict[str, bytes]:
    """Render the report of :func:`build_report` in ``formats`` and return the bytes of
    each file by format, e.g. ``render_report([my_plugin], data, ("html", "json"))``; a
    renderer that writes named files (``members``: members.csv, members.parquet) adds
    them by file name.

    The built-in renderers (html, pdf, json …) are always available; a renderer among
    ``plugins`` adds its own format. Files go through the real render step (into a
    temporary folder, deleted afterwards).
    """
    settings, registry, report = _prepare(
        plugins, data, options, builtin_metrics, language, show_names
    )
    from core.pipeline import render

    with tempfile.TemporaryDirectory(prefix="communityroi-test-") as tmp:
        paths = render(settings, registry, report, list(formats), Path(tmp))
        by_name = {p.name: p.read_bytes() for p in paths}
    out = {}
    for fmt in formats:  # one-file renderers by format; named files (members.csv) by name
        name = f"report.{registry.renderers[fmt][0].extension}"
        if name in by_name:
            out[fmt] = by_name.pop(name)
    return {**out, **by_name}


# -- a tiny sample community -----------------------------------------------------------


def sample_tables() -> dict[str, list[dict]]:
    """A tiny WeChat community, timestamps in Asia/Shanghai, for October 2026.

    - groups: ``g1`` 茶友群 (created 2026-08-01).
    - members (5): m1 joined 09-01; m2 09-15; m3 10-03; m4 10-10, invited by m1; m5
      joined 08-01 and left 10-20. At the end of October 4 members remain.
    - activities (11): in October m1 posts 2 messages, m2 1 message and 1 reply to m1,
      m3 1 checkin, m4 joins (a ``join``) and posts 1 message, m1 replies to m4; in
      September m1 and m2 post 1 message each, m5 1 message.
      So October has 7 engaged activities (all but the join) by 4 members.
    - orders (4): paid m1 199 (10-05), m2 99 (10-12), m4 59.90 (10-20); m3 30 refunded.
    - costs (2): labour 300 (10-01), tools 100 (10-15).
    """
    return {
        "groups": [
            {"group_id": "g1", "name": "茶友群", "platform": "wechat", "created_at": "2026-08-01"}
        ],
        "members": [
            _member("m1", "2026-09-01 10:00", name="阿茶"),
            _member("m2", "2026-09-15 20:00", name="小叶"),
            _member("m3", "2026-10-03 09:30", name="Lin"),
            _member("m4", "2026-10-10 12:00", name="Wu", invited_by="m1"),
            _member("m5", "2026-08-01 08:00", name="Old", left_at="2026-10-20 18:00"),
        ],
        "activities": [
            _act("m1", "2026-10-02 09:00", "message"),
            _act("m1", "2026-10-08 21:15", "message"),
            _act("m2", "2026-10-08 21:20", "reply", target="m1"),
            _act("m2", "2026-10-15 12:00", "message"),
            _act("m3", "2026-10-04 07:45", "checkin"),
            _act("m4", "2026-10-10 12:00", "join"),
            _act("m4", "2026-10-11 19:00", "message"),
            _act("m1", "2026-10-11 19:05", "reply", target="m4"),
            _act("m1", "2026-09-20 10:00", "message"),
            _act("m2", "2026-09-21 10:00", "message"),
            _act("m5", "2026-09-22 10:00", "message"),
        ],
        "orders": [
            {"order_id": "o1", "member_id": "m1", "at": "2026-10-05 10:00", "amount": "¥199.00"},
            {"order_id": "o2", "member_id": "m2", "at": "2026-10-12 10:00", "amount": "99"},
            {"order_id": "o3", "member_id": "m4", "at": "2026-10-20 10:00", "amount": "59.90"},
            {
                "order_id": "o4",
                "member_id": "m3",
                "at": "2026-10-06 10:00",
                "amount": "30",
                "status": "refunded",
            },
        ],
        "costs": [
            {"category": "labour", "amount": "300", "incurred_on": "2026-10-01"},
            {"category": "tools", "amount": "100", "incurred_on": "2026-10-15"},
        ],
    }


def _member(mid, joined, *, name, invited_by=None, left_at=None) -> dict:
    return {
        "member_id": mid,
        "joined_at": joined,
        "left_at": left_at,
        "invited_by": invited_by,
        "group_id": "g1",
        "display_name": name,
    }


def _act(mid, at, kind, *, target=None) -> dict:
    return {"member_id": mid, "at": at, "kind": kind, "group_id": "g1", "target_member_id": target}


def sample_data(**overrides: Any) -> CommunityData:
    """:func:`sample_tables` as CommunityData for October 2026 (Asia/Shanghai)."""
    kw = {"start": SAMPLE_START, "end": SAMPLE_END, "timezone": SAMPLE_TIMEZONE, **overrides}
    return make_data(sample_tables(), **kw)


# -- the pytest plugin (opt in with pytest_plugins = ["communityroi.testing"]) ----------

if pytest is not None:

    @pytest.fixture(name="sample_data")
    def _sample_data_fixture() -> CommunityData:
        """The :func:`sample_data` community (October 2026, Asia/Shanghai)."""
        return sample_data()

    @pytest.fixture(name="make_community")
    def _make_community_fixture() -> Callable[..., CommunityData]:
        """``make_community(tables, start=…, end=…)``: make_data with the sample period and
        time zone as defaults."""

        def make(tables, **kw):
            kw = {"start": SAMPLE_START, "end": SAMPLE_END, "timezone": SAMPLE_TIMEZONE, **kw}
            return make_data(tables, **kw)

        return make

    @pytest.fixture(name="strict_plugins")
    def _strict_plugins_fixture(monkeypatch) -> None:
        """Plugin errors re-raise inside this test (``COMMUNITYROI_PLUGINS__STRICT``)."""
        monkeypatch.setenv("COMMUNITYROI_PLUGINS__STRICT", "true")

    @pytest.fixture(name="communityroi_cli")
    def _communityroi_cli_fixture() -> Callable[..., Any]:
        """``communityroi_cli("plugins", "--json")`` runs the CLI in-process and returns the
        click Result (``exit_code``, ``output``, ``stdout``, ``stderr``)."""
        from click.testing import CliRunner

        from core.cli import main

        def invoke(*args: str, **kw: Any):
            return CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)

        return invoke
