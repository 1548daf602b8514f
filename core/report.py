"""The plain report model that metrics build and renderers read.

Everything here is already computed: values are Python numbers, tables are collected
Polars DataFrames. Renderers never compute; they format and lay out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import polars as pl

from core.text import Text

Unit = Literal[
    "count", "currency", "percent", "ratio", "days", "hours", "minutes", "score", "per_member"
]
Status = Literal["met", "near", "missed"]


@dataclass(frozen=True, slots=True)
class KPI:
    """One headline number.

    ``value`` is in ``unit``: ``percent`` values are percentages (152.3 means 152.3 %),
    ``currency`` values are in the report currency, ``ratio`` is a plain ratio (0.42).
    """

    key: str
    label: Text
    value: float | int | None
    unit: Unit = "count"
    formula: Text | None = None
    higher_is_better: bool = True
    headline: bool = False  # candidate for the executive summary tiles
    previous: float | int | None = None  # same KPI over the previous period (core fills)
    change: float | None = None  # relative change vs previous, or points for percent units
    target: float | None = None  # core fills from settings.targets
    target_op: str | None = None  # ">=" or "<="
    status: Status | None = None  # core fills: met / near / missed
    # an estimate's interval (same unit as value), e.g. a 90 % bootstrap interval;
    # ``level`` is its coverage (0.9). None for exact counts and sums.
    low: float | None = None
    high: float | None = None
    level: float | None = None

    def with_(self, **changes: Any) -> KPI:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """How to show one table column: label, unit, and whether it holds personal data."""

    label: Text
    unit: Unit | Literal["text", "date", "datetime", "member"] = "text"
    # "member": a member id / name; pseudonymised by the core unless privacy allows names.
    values: dict[str, Text] | None = None  # display labels for coded values (e.g. categories)


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: Text
    data: pl.DataFrame
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    note: Text | None = None
    show: bool = True  # False: only in machine-readable outputs (json, xlsx)


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart drawn from one of the section's tables.

    kinds: ``bar`` (x, y…), ``hbar``, ``line`` (x, y…), ``heatmap`` (x, y, value),
    ``funnel`` (x, y), ``histogram`` (x = bin label, y = count), ``network`` (edges table
    with source, target, weight).
    """

    key: str
    kind: str
    title: Text
    table: str
    x: str
    y: tuple[str, ...]
    value: str | None = None  # heatmap cell value
    unit: Unit | None = None
    x_label: Text | None = None
    y_label: Text | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    text: Text
    tone: Literal["good", "bad", "neutral"] = "neutral"
    weight: float = 0.0  # higher = more important; the summary shows the top findings


@dataclass(frozen=True, slots=True)
class Formula:
    """One methodology entry: what a number means and exactly how it is computed."""

    name: Text
    formula: Text
    notes: Text | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """What one metric contributes to the report."""

    kpis: tuple[KPI, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    findings: tuple[Finding, ...] = ()
    methodology: tuple[Formula, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # plain JSON data (e.g. model fits)
    intro: Text | None = None
    # set by the core:
    metric: str = ""
    title: Text | None = None
    template: str | None = None  # optional template name for this section
    compared: bool = True  # False: the metric has no previous-period figures by design

    def kpi(self, key: str) -> KPI | None:
        return next((k for k in self.kpis if k.key == key), None)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a renderer needs. Plain data; no lazy frames, no callables."""

    title: str
    client: str
    agency: str
    language: str
    currency: str
    timezone: str
    period: Period
    previous_period: Period | None
    sections: tuple[Section, ...]
    branding: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # the settings used, for the appendix
    warnings: tuple[str, ...] = ()
    pseudonymized: bool = True
    # what was loaded, dropped and left unlinked (core.quality.summarize), for the
    # data-quality appendix and report.json
    data_quality: dict[str, Any] | None = None
    # the member scorecard (one row per person, pseudonymised like the tables), when a
    # renderer that writes it (RendererSpec(members=True)) is among the formats; a metric
    # asking for it (the action lists) gets it in build, but it is not put here then
    members: Table | None = None

    def section(self, metric: str) -> Section | None:
        return next((s for s in self.sections if s.metric == metric), None)

    @property
    def headline_kpis(self) -> list[KPI]:
        return [k for s in self.sections for k in s.kpis if k.headline]

    @property
    def findings(self) -> list[Finding]:
        found = [f for s in self.sections for f in s.findings]
        return sorted(found, key=lambda f: -f.weight)
