"""Targets vs actuals: ``[targets] "roi.roi" = ">= 150"`` attached to the KPIs."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from core.errors import ConfigError
from core.report import KPI, Section

_TARGET = re.compile(r"^\s*(>=|<=|≥|≤)?\s*(-?\d+(?:\.\d+)?)\s*%?\s*$")


def apply_targets(sections: list[Section], targets: dict[str, Any]) -> list[Section]:
    """Attach targets (``"roi.roi" = ">= 150"``) and their met / near / missed status.

    *near* means within 10 % of the target value (relative), on the wrong side.
    """
    known = {f"{s.metric}.{k.key}" for s in sections for k in s.kpis}
    # a table [targets.<metric>] is that metric's own (per-item targets, its option
    # ``targets``); the rest are "metric.kpi" keys
    metrics = {s.metric for s in sections}
    for key, value in targets.items():
        if isinstance(value, dict) and key not in metrics:
            raise ConfigError(f"[targets.{key}]: no such metric in the report")
    targets = {k: v for k, v in targets.items() if not isinstance(v, dict)}
    for key in targets:
        if key not in known:
            raise ConfigError(f"targets.{key}: no such KPI (use metric.kpi, e.g. roi.roi)")
    out = []
    for s in sections:
        kpis = []
        for k in s.kpis:
            raw = targets.get(f"{s.metric}.{k.key}")
            if raw is not None:
                k = _with_target(k, raw, f"{s.metric}.{k.key}")
            kpis.append(k)
        out.append(replace(s, kpis=tuple(kpis)))
    return out


def _with_target(k: KPI, raw: Any, key: str) -> KPI:
    m = _TARGET.match(str(raw))
    if not m:
        raise ConfigError(f"targets.{key}: '{raw}' is not a target like \">= 150\" or 150")
    op = {"≥": ">=", "≤": "<="}.get(m.group(1) or "", m.group(1)) or (
        ">=" if k.higher_is_better else "<="
    )
    target = float(m.group(2))
    status = None
    if k.value is not None:
        v = float(k.value)
        met = v >= target if op == ">=" else v <= target
        near = abs(v - target) <= 0.1 * abs(target) if target else False
        status = "met" if met else ("near" if near else "missed")
    return k.with_(target=target, target_op=op, status=status)
