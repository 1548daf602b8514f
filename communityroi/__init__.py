"""The public plugin API of communityroi.

Third-party plugins import only this module (never ``core`` or ``plugins``)::

    from communityroi import hookimpl, MetricSpec, MetricResult, Section, KPI, T

    @hookimpl
    def communityroi_metrics():
        return [MetricSpec(name="nps", title=T("NPS", "净推荐值"), description="…",
                           compute=compute)]

What "member", "active", "paid order" and "buyer" mean — the views the built-in metrics
count with — is in :mod:`communityroi.views`.
"""

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
    ORDER_STATUSES,
    PERSON_KEY,
    SCHEMA,
    TABLE_NAMES,
    cast_person_keys,
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
    "hookimpl",
]
