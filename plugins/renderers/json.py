"""The machine-readable report (structure documented in docs/json-format.md).

``metrics.<metric>.kpis.<kpi>`` holds each KPI, ``metrics.<metric>.tables.<table>`` each
table as a list of row objects (hidden tables too; at most :data:`MAX_ROWS` rows, longer
ones are listed in ``truncated_tables`` — per-member rows live in the scorecard, whose
files and row count are in ``scorecard``), and each
``Section.extra`` key sits beside them (``metrics.clv.model``). Labels and formulas are in
the report language. Output is deterministic: no generation time, metrics and KPIs in
report order, row keys in column order, and the same bytes for the same report.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from communityroi import KPI, Period, RenderContext, RenderError, RendererSpec, Report, hookimpl

FORMAT = "communityroi-report"
VERSION = 1
MAX_ROWS = 1000  # report.json is a summary: longer tables keep their first rows
SCORECARD_FILES = ("members.csv", "members.parquet")  # written by --format members
RESERVED = {"title", "kpis", "tables", "findings", "methodology"}


def plain(value: Any) -> Any:
    """A value as JSON data: ISO dates, finite floats (NaN/inf → null), lists, objects."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return plain(float(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "get") and hasattr(value, "zh"):  # Text
        return {"en": value.en, "zh-CN": value.zh}
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return plain(value.tolist())
    raise RenderError(
        f"cannot write a {type(value).__name__} to JSON; section extras must be plain data"
    )


def _period(p: Period | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days}


def _kpi(k: KPI, lang: str) -> dict[str, Any]:
    return {
        "value": plain(k.value),
        "low": plain(k.low),
        "high": plain(k.high),
        "level": plain(k.level),
        "unit": k.unit,
        "label": k.label.get(lang),
        "previous": plain(k.previous),
        "change": plain(k.change),
        "target": plain(k.target),
        "target_op": k.target_op,
        "status": k.status,
        "higher_is_better": k.higher_is_better,
        "headline": k.headline,
        "formula": k.formula.get(lang) if k.formula else None,
    }


def document(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    lang = report.language
    metrics: dict[str, Any] = {}
    for s in report.sections:
        entry: dict[str, Any] = {
            "title": s.title.get(lang) if s.title else s.metric,
            "kpis": {k.key: _kpi(k, lang) for k in s.kpis},
            "tables": {t.key: [plain(r) for r in t.data.head(MAX_ROWS).to_dicts()]
                       for t in s.tables},
            "findings": [{"text": f.text.get(lang), "tone": f.tone, "weight": f.weight}
                         for f in s.findings],
            "methodology": [{"name": f.name.get(lang), "formula": f.formula.get(lang),
                             "notes": f.notes.get(lang) if f.notes else None}
                            for f in s.methodology],
        }  # fmt: skip
        for key in sorted(s.extra):
            if key in RESERVED:
                raise RenderError(
                    f"metric '{s.metric}' puts '{key}' in Section.extra, a name the JSON "
                    f"report reserves ({', '.join(sorted(RESERVED))}); rename it"
                )
            entry[key] = plain(s.extra[key])
        metrics[s.metric] = entry
    findings = [
        {"metric": s.metric, "text": f.text.get(lang), "tone": f.tone, "weight": f.weight}
        for s in report.sections
        for f in s.findings
    ]
    findings.sort(key=lambda f: -f["weight"])  # stable: equal weights keep report order
    truncated = [
        {"metric": s.metric, "table": t.key, "rows": t.data.height, "kept": MAX_ROWS}
        for s in report.sections
        for t in s.tables
        if t.data.height > MAX_ROWS
    ]
    card = report.members
    scorecard = (
        {"files": list(SCORECARD_FILES), "rows": card.data.height,
         "columns": ["member", *(c for c in card.data.columns if c != "member_id")]}
        if card is not None else None
    )  # fmt: skip
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": report.title,
        "client": report.client,
        "agency": report.agency,
        "period": _period(report.period),
        "previous_period": _period(report.previous_period),
        "currency": report.currency,
        "timezone": report.timezone,
        "language": lang,
        "pseudonymized": report.pseudonymized,
        "warnings": list(report.warnings),
        "data_quality": plain(report.data_quality),
        "findings": findings,
        "truncated_tables": truncated,
        "scorecard": scorecard,
        "metrics": metrics,
    }


def render(report: Report, ctx: RenderContext) -> bytes:
    text = json.dumps(document(report), ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


@hookimpl
def communityroi_renderers() -> list[RendererSpec]:
    return [
        RendererSpec(
            name="json",
            description="Every KPI, table and finding as JSON (docs/json-format.md)",
            render=render,
            extension="json",
        )
    ]
