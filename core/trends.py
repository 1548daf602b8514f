"""Trend lines: each headline KPI over this period and the 11 before it, from the agency's
history database (:mod:`core.history`), as one more report section.

The values of earlier periods are what those periods' own reports said (the history keeps
each client's latest successful run per period); this period's value is the report's own.
A period with no stored value is a gap in the line, never a zero. Nothing is recomputed
here: the section only lays out numbers that are already in reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from core.periods import NamedPeriod
from core.report import KPI, Chart, ColumnInfo, Formula, Section, Table
from core.text import T

PERIODS = 12
TITLE = T("Trends", "趋势")
INTRO = T(
    "Each headline KPI over this period and the {n} before it, as each period's own report "
    "gave it (from the agency's history database). A gap is a period without a report.",
    "各核心指标在本期及之前 {n} 期的走势，取自各期报告本身（机构的历史数据库）。"
    "断开处表示该期没有报告。",
)


def headline(sections: Iterable[Section]) -> list[tuple[str, KPI]]:
    """``("metric.kpi", KPI)`` for every headline KPI, in report order."""
    return [(f"{s.metric}.{k.key}", k) for s in sections for k in s.kpis if k.headline]


def periods_to(current: NamedPeriod, n: int = PERIODS) -> list[NamedPeriod]:
    """The ``n`` periods ending with ``current``, oldest first."""
    out = [current]
    while len(out) < n:
        out.append(out[-1].previous())
    return out[::-1]


def trend_section(
    sections: list[Section], current: NamedPeriod, earlier: list[dict[str, Any]]
) -> list[Section]:
    """The trends section (or none when no earlier period has a value).

    ``earlier`` holds history rows (``period_start``, ``period_end``, ``kpi``, ``value``)
    of periods before ``current``."""
    kpis = headline(sections)
    if not kpis:
        return []
    spans = periods_to(current)
    index = {(p.start, p.end): i for i, p in enumerate(spans)}
    columns: dict[str, list[float | None]] = {key: [None] * len(spans) for key, _ in kpis}
    seen = False
    for row in earlier:
        i = index.get((row["period_start"], row["period_end"]))
        if i is not None and row["kpi"] in columns and row["value"] is not None:
            columns[row["kpi"]][i] = float(row["value"])
            seen = True
    if not seen:
        return []
    for key, k in kpis:
        columns[key][-1] = None if k.value is None else float(k.value)
    data = pl.DataFrame(
        {"period": [p.label for p in spans], **columns},
        schema={"period": pl.String, **{key: pl.Float64 for key, _ in kpis}},
    )
    info = {"period": ColumnInfo(T("Period", "期间"))}
    info |= {key: ColumnInfo(k.label, k.unit) for key, k in kpis}
    table = Table("trends", TITLE, data, info, show=False)  # the charts show it; JSON holds it
    charts = tuple(
        Chart(
            f"trend_{key.replace('.', '_')}",
            "line",
            k.label,
            "trends",
            "period",
            (key,),
            unit=k.unit,
        )
        for key, k in kpis
    )
    method = Formula(
        T("Trend lines", "趋势线"),
        T(
            "value of the KPI in each period's own report; this period: this report",
            "各期取该期报告中的指标值；本期取本报告的值",
        ),
        T(
            "Read from the history database the agency batch writes "
            "(communityroi history CLIENT prints it); periods of the same length only.",
            "取自机构批量运行写入的历史数据库（communityroi history 客户 可查看）；"
            "只比较同样长度的期间。",
        ),
    )
    return [
        Section(
            tables=(table,),
            charts=charts,
            methodology=(method,),
            intro=INTRO.format(n=PERIODS - 1),
            metric="trends",
            title=TITLE,
            template="trends.html",
        )
    ]
