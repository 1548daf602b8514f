"""Excel workbook: a Summary sheet (report facts), a KPIs sheet, a Findings sheet and one
sheet per table (every row, hidden tables too).

Strings are always written as text — never as formulas, URLs or numbers — so a member
named ``=HYPERLINK(...)`` stays a harmless string (xlsxwriter ``strings_to_formulas``,
``strings_to_urls`` and ``strings_to_numbers`` are off, and cells are written with
``write_string``). Sheet names are at most 31 characters, free of ``[]:*?/\\`` and unique
(case-insensitively). Timestamps are shown in the report time zone. The workbook's
creation date is fixed to the period end, so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from communityroi import RenderContext, RendererSpec, Report, hookimpl
from plugins.renderers.labels import label

if TYPE_CHECKING:
    import xlsxwriter

NUMBER_FORMATS = {
    "count": "#,##0",
    "currency": "#,##0.00",
    "percent": '0.0"%"',
    "ratio": "0.00",
    "days": "0.0",
    "hours": "0.0",
    "minutes": "0.0",
    "score": "0.0",
    "per_member": "0.00",
}
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(wanted: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 chars, no []:*?/\\, not starting/ending with ')."""
    base = BAD_SHEET_CHARS.sub("_", wanted).strip("'") or "Sheet"
    name, k = base[:31], 2
    while name.lower() in used:
        suffix = f"~{k}"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(name.lower())
    return name


class _Writer:
    def __init__(self, wb: xlsxwriter.Workbook, report: Report) -> None:
        self.wb = wb
        self.lang = report.language
        self.tz = ZoneInfo(report.timezone)
        self.header = wb.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.nums = {u: wb.add_format({"num_format": f}) for u, f in NUMBER_FORMATS.items()}

    def cell(self, ws, row: int, col: int, value: Any, unit: str = "text") -> None:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(row, col, None)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value)
        elif isinstance(value, int | float):
            ws.write_number(row, col, value, self.nums.get(unit))
        elif isinstance(value, datetime):
            local = value.astimezone(self.tz).replace(tzinfo=None) if value.tzinfo else value
            ws.write_datetime(row, col, local, self.datetime)
        elif isinstance(value, date):
            ws.write_datetime(row, col, datetime.combine(value, time()), self.date)
        else:
            ws.write_string(row, col, str(value))

    def sheet(self, name: str, headers: list[str], rows, units: list[str] | None = None):
        ws = self.wb.add_worksheet(name)
        units = units or ["text"] * len(headers)
        for c, h in enumerate(headers):
            ws.write_string(0, c, h, self.header)
        widths = [min(max(len(h) * 1.3, 8), 50) for h in headers]
        r = 0
        for r, values in enumerate(rows, start=1):
            for c, v in enumerate(values):
                self.cell(ws, r, c, v, units[c])
                if isinstance(v, str):
                    widths[c] = min(max(widths[c], len(v) * 1.1), 60)
        for c, w in enumerate(widths):
            ws.set_column(c, c, max(w, 12 if units[c] not in ("text", "member") else w))
        ws.freeze_panes(1, 0)
        if r:
            ws.autofilter(0, 0, r, len(headers) - 1)
        return ws


def render(report: Report, ctx: RenderContext) -> bytes:
    """Write the workbook in memory and return its bytes."""
    import xlsxwriter  # on use: every command that loads the plugins paid its ≈ 20 ms import

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "remove_timezone": True,
        },
    )
    wb.set_properties(
        {
            "title": report.title,
            "company": report.agency,
            "created": datetime.combine(report.period.end, time()),
        }
    )
    w, lang, used = _Writer(wb, report), report.language, set()
    L = lambda key: label(key, lang)  # noqa: E731
    facts = [
        ("title", report.title), ("client", report.client), ("agency", report.agency),
        ("period_start", report.period.start), ("period_end", report.period.end),
        ("previous_start", report.previous_period.start if report.previous_period else None),
        ("previous_end", report.previous_period.end if report.previous_period else None),
        ("currency", report.currency), ("timezone", report.timezone), ("language", lang),
        ("pseudonymized", report.pseudonymized),
        *((f"warning_{i + 1}", text) for i, text in enumerate(report.warnings)),
    ]  # fmt: skip
    w.sheet(sheet_name(L("summary"), used), [L("setting"), L("value")], facts)
    kpi_rows = [
        (s.metric, k.key, k.label.get(lang), k.value, k.unit, k.previous, k.change,
         k.target_op, k.target, k.status, k.formula.get(lang) if k.formula else None)
        for s in report.sections for k in s.kpis
    ]  # fmt: skip
    headers = ["metric", "kpi", "label", "value", "unit", "previous", "change", "target_op",
               "target", "status", "formula"]  # fmt: skip
    w.sheet(sheet_name("KPIs", used), headers, kpi_rows)
    findings = [
        (s.metric, f.tone, f.weight, f.text.get(lang)) for s in report.sections for f in s.findings
    ]
    w.sheet(sheet_name(L("findings"), used), ["metric", "tone", "weight", "text"], findings)
    for s in report.sections:
        for t in s.tables:
            cols = list(t.data.columns)
            infos = [t.columns.get(c) for c in cols]
            heads = [i.label.get(lang) if i else c for c, i in zip(cols, infos, strict=True)]
            units = [i.unit if i else "text" for i in infos]
            w.sheet(sheet_name(f"{s.metric}.{t.key}", used), heads, t.data.iter_rows(), units)
    wb.close()
    return buf.getvalue()


@hookimpl
def communityroi_renderers() -> list[RendererSpec]:
    return [
        RendererSpec(
            name="xlsx",
            description="Excel workbook: KPIs, findings and every table (strings never formulas)",
            render=render,
            extension="xlsx",
        )
    ]
