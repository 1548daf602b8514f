"""The public plugin API of communityroi.

Third-party plugins import only this module (never ``core`` or ``plugins``)::

    from communityroi import hookimpl, MetricSpec, MetricResult, Section, KPI, T

    @hookimpl
    def communityroi_metrics():
        return [MetricSpec(name="nps", title=T("NPS", "净推荐值"), description="…",
                           compute=compute)]

What "member", "active", "paid order" and "buyer" mean — the views the built-in metrics
count with — is in :mod:`communityroi.views`.

Every name is imported when first used (module ``__getattr__``), so importing
``communityroi`` — or ``hookimpl`` alone, as a command-only plugin does — loads neither
Polars, numpy nor pydantic; ``MetricSpec`` and friends cost what their modules cost.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.casting import cast_person_keys, cast_table
    from core.data import CommunityData
    from core.errors import (
        CommunityROIError,
        ConfigError,
        DataError,
        PluginConflictError,
        PluginError,
        RenderError,
    )
    from core.hookspecs import hookimpl
    from core.privacy import DEMO_KEY
    from core.report import KPI, Chart, ColumnInfo, Finding, Formula, Period, Report, Section, Table
    from core.schema import (
        ACTIVITY_KINDS,
        COST_CATEGORIES,
        LABEL,
        ORDER_STATUSES,
        PERSON_KEY,
        SCHEMA,
        TABLE_NAMES,
    )
    from core.specs import (
        Detected,
        MemberScores,
        MemberScoreSpec,
        MetricResult,
        MetricSpec,
        RenderContext,
        RendererSpec,
        SourceContext,
        SourceFrame,
        SourceSpec,
        TransformSpec,
    )
    from core.text import T, Text

__all__ = [
    "ACTIVITY_KINDS",
    "COST_CATEGORIES",
    "DEMO_KEY",
    "KPI",
    "LABEL",
    "ORDER_STATUSES",
    "PERSON_KEY",
    "SCHEMA",
    "TABLE_NAMES",
    "Chart",
    "ColumnInfo",
    "CommunityData",
    "CommunityROIError",
    "ConfigError",
    "DataError",
    "Detected",
    "Finding",
    "Formula",
    "MemberScoreSpec",
    "MemberScores",
    "MetricResult",
    "MetricSpec",
    "Period",
    "PluginConflictError",
    "PluginError",
    "RenderContext",
    "RenderError",
    "RendererSpec",
    "Report",
    "Section",
    "SourceContext",
    "SourceFrame",
    "SourceSpec",
    "T",
    "Table",
    "Text",
    "TransformSpec",
    "cast_person_keys",
    "cast_table",
    "hookimpl",
]

# where each public name is defined (imported on first use, then cached in this module)
_WHERE = {
    "CommunityData": "core.data",
    "CommunityROIError": "core.errors",
    "ConfigError": "core.errors",
    "DataError": "core.errors",
    "PluginConflictError": "core.errors",
    "PluginError": "core.errors",
    "RenderError": "core.errors",
    "hookimpl": "core.hookspecs",
    "DEMO_KEY": "core.privacy",
    **dict.fromkeys(
        ("KPI", "Chart", "ColumnInfo", "Finding", "Formula", "Period", "Report", "Section",
         "Table"),
        "core.report",
    ),
    **dict.fromkeys(
        ("ACTIVITY_KINDS", "COST_CATEGORIES", "LABEL", "ORDER_STATUSES", "PERSON_KEY",
         "SCHEMA", "TABLE_NAMES"),
        "core.schema",
    ),
    **dict.fromkeys(("cast_person_keys", "cast_table"), "core.casting"),
    **dict.fromkeys(
        ("Detected", "MemberScores", "MemberScoreSpec", "MetricResult", "MetricSpec",
         "RenderContext", "RendererSpec", "SourceContext", "SourceFrame", "SourceSpec",
         "TransformSpec"),
        "core.specs",
    ),
    "T": "core.text",
    "Text": "core.text",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'communityroi' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
