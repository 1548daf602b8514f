"""Turn a :class:`communityroi.Report` into the plain, pre-formatted values templates show.

Templates receive these view dicts (every number already formatted for the report
language) plus the raw ``report`` for custom templates that need more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl
from markupsafe import Markup

from communityroi import KPI, Finding, Report, Section, Table
from plugins.renderers import assets
from plugins.renderers import formatting as fmt
from plugins.renderers.charts import render_chart
from plugins.renderers.charts.svg import mix
from plugins.renderers.labels import label
from plugins.renderers.layout import column_widths, css_content, print_cut, slug
from plugins.renderers.quality_view import data_quality_view
from plugins.renderers.settings_view import settings_rows

# Fonts tried in order: the bundled CJK subset (defined in the PDF stylesheet), then
# common system fonts for Latin and Chinese.
FALLBACK_FONTS = (
    "Noto Sans SC CR",
    "Helvetica Neue",
    "Arial",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "sans-serif",
)
NUMERIC_UNITS = {
    "count", "currency", "percent", "ratio", "days", "hours", "minutes", "score", "per_member"
}  # fmt: skip
INVESTMENT_KEYS = ("investment", "cost", "total_cost", "costs")
RETURN_KEYS = ("return", "revenue", "attributed_return", "attributed_revenue")


class View:
    """Formatting bound to one report (language, currency, time zone)."""

    def __init__(
        self,
        report: Report,
        allowed: frozenset,
        max_rows: int,
        print_rows: int | None = None,
        medium: str = "screen",
    ) -> None:
        """``medium="print"`` (the PDF) shows what paper can: long tables keep their
        first ``print_rows`` rows, charts come as images without hover tooltips. On screen
        every row is there and the print stylesheet hides the cut ones (browser print)."""
        if medium not in ("screen", "print"):
            raise ValueError(f"medium must be 'screen' or 'print', not {medium!r}")
        self.medium = medium
        self.report = report
        self.lang = report.language
        self.allowed = allowed
        self.max_rows = max_rows
        self.print_rows = print_rows
        b = report.branding or {}
        self.primary = assets.colour(b, "primary_color")
        self.accent = assets.colour(b, "accent_color")
        self.font_stack = assets.font_stack(b, FALLBACK_FONTS)
        # KPIs of metrics that never compare with the previous period (no "no previous
        # period" under them: there is one, the metric just does not measure it)
        self.uncompared = {id(k) for s in report.sections if not s.compared for k in s.kpis}

    def label(self, key: str, **values: Any) -> str:
        return label(key, self.lang, **values)

    def t(self, text: Any) -> str:
        """A :class:`Text` (or plain string, or None) in the report language."""
        if text is None:
            return ""
        return text.get(self.lang) if hasattr(text, "get") and hasattr(text, "zh") else str(text)

    def fmt(self, value: Any, unit: str = "count") -> str:
        return fmt.value(value, unit, self.lang, self.report.currency, self.report.timezone)

    # --- pieces -----------------------------------------------------------------------

    def brand(self) -> dict[str, Any]:
        b = self.report.branding or {}
        logo = b.get("logo")
        cover = b.get("cover_image")
        return {
            "logo": assets.data_uri(logo, self.allowed, "branding.logo") if logo else None,
            "cover_image": (
                assets.data_uri(cover, self.allowed, "branding.cover_image") if cover else None
            ),
            "primary": self.primary,
            "accent": self.accent,
            "primary_dark": mix(self.primary, "#000000", 0.3),
            "primary_tint": mix(self.primary, "#ffffff", 0.92),
            "primary_soft": mix(self.primary, "#ffffff", 0.75),
            "accent_tint": mix(self.accent, "#ffffff", 0.88),
            "font_stack": Markup(self.font_stack),  # validated names
            "footer": str(b.get("footer") or ""),
            "contact": str(b.get("contact") or ""),
            "agency": str(b.get("agency") or self.report.agency or ""),
        }

    def kpi(self, k: KPI) -> dict[str, Any]:
        target = None
        if k.target is not None:
            op = {">=": "≥", "<=": "≤"}.get(k.target_op or "", k.target_op or "")
            target = f"{op} {self.fmt(k.target, k.unit)}".strip()
        return {
            "key": k.key,
            "label": self.t(k.label),
            "value": self.fmt(k.value, k.unit),
            "unit": k.unit,
            "change": fmt.change(k, self.lang),
            "previous": None if k.previous is None else self.fmt(k.previous, k.unit),
            "compared": id(k) not in self.uncompared,
            "status": k.status,
            "status_text": self.label(f"status_{k.status}") if k.status else None,
            "target": target,
            "formula": self.t(k.formula),
            "interval": self.interval(k),
            "raw": k,
        }

    def interval(self, k: KPI) -> str | None:
        """ "90 % interval: low – high" for an estimate, or "at most high" for an upper
        bound with no estimate; None for exact figures."""
        if k.low is not None and k.high is not None:
            return self.label(
                "interval",
                level=f"{(k.level or 0.9) * 100:.0f}",
                low=self.fmt(k.low, k.unit),
                high=self.fmt(k.high, k.unit),
            )
        if k.value is None and k.high is not None:
            return self.label("upper_bound", high=self.fmt(k.high, k.unit))
        return None

    def finding(self, f: Finding, metric: str = "") -> dict[str, Any]:
        return {
            "text": self.t(f.text),
            "tone": f.tone,
            "tone_text": self.label(f"tone_{f.tone}"),
            "metric": metric,
        }

    def table(self, t: Table, metric: str = "") -> dict[str, Any]:
        df = t.data
        cols = list(df.columns)
        infos = [t.columns.get(c) for c in cols]
        units = [i.unit if i else "text" for i in infos]
        shown = df.head(self.max_rows)
        rows = [
            [
                {"text": self.fmt(v, u), "numeric": u in NUMERIC_UNITS, "unit": u}
                for v, u in zip(r, units, strict=True)
            ]
            for r in shown.iter_rows()
        ]
        headers = [self.t(i.label) if i else c for c, i in zip(cols, infos, strict=True)]
        cut = print_cut(shown.height, self.print_rows)
        if cut is not None and self.medium == "print":
            rows = rows[:cut]
        return {
            "key": t.key,
            "widths": column_widths(headers, [[c["text"] for c in r] for r in rows]),
            "id": slug(f"{metric}-{t.key}" if metric else t.key),
            "title": self.t(t.title),
            "note": self.t(t.note) if t.note else None,
            "headers": [
                {"label": h, "numeric": u in NUMERIC_UNITS}
                for h, u in zip(headers, units, strict=True)
            ],
            "rows": rows,
            "total": df.height,
            "shown": shown.height,
            "truncated": df.height > shown.height,
            "print_cut": cut,
            "print_note": None
            if cut is None
            else self.label(
                "rows_printed" if df.height == shown.height else "rows_shown",
                shown=self.fmt(cut),
                total=self.fmt(df.height),
            ),
            "has_members": "member" in units,
            "wide": len(cols) > 8,
            "raw": t,
        }

    def localized(self, t: Table | None) -> Table | None:
        """The table with coded values (ColumnInfo.values) shown as labels in the report
        language, for tables and the charts drawn from them alike."""
        if t is None:
            return None
        coded = {c: i.values for c, i in t.columns.items() if i.values and c in t.data.columns}
        if not coded:
            return t
        data = t.data.with_columns(
            pl.col(c).replace({k: self.t(v) for k, v in values.items()})
            for c, values in coded.items()
        )
        return replace(t, data=data)

    def section(self, s: Section, index: int) -> dict[str, Any]:
        sid = f"sec-{slug(s.metric or str(index))}"
        s = replace(s, tables=tuple(self.localized(t) for t in s.tables))
        charts = []
        for j, c in enumerate(s.charts):
            svg = render_chart(
                c,
                s.table(c.table),
                lang=self.lang,
                currency=self.report.currency,
                primary=self.primary,
                accent=self.accent,
                uid=f"{sid}-c{j}-{slug(c.key)}",
                font=self.font_stack,
                medium=self.medium,
            )
            charts.append(
                {
                    "key": c.key,
                    "id": f"{sid}-chart-{slug(c.key)}",
                    "title": self.t(c.title),
                    "svg": Markup(svg),
                    "raw": c,
                }
            )
        return {
            "id": sid,
            "number": index,
            "metric": s.metric,
            "title": self.t(s.title) or s.metric,
            "intro": self.t(s.intro) if s.intro else None,
            "kpis": [self.kpi(k) for k in s.kpis],
            "charts": charts,
            "tables": [self.table(t, s.metric) for t in s.tables if t.show],
            "findings": [self.finding(f, s.metric) for f in s.findings],
            "template": s.template or "section.html",
            "raw": s,
        }

    def summary(self) -> dict[str, Any]:
        rep = self.report
        roi_sec = rep.section("roi")
        roi = roi_sec.kpi("roi") if roi_sec else None
        # what the community caused leads; the ROI on all members' revenue follows it
        inc_sec = rep.section("incrementality")
        caused = inc_sec.kpi("incremental_roi") if inc_sec else None
        if caused is not None and caused.value is None:
            caused = None
        members_roi = roi
        inv = _first(roi_sec, INVESTMENT_KEYS)
        ret = _first(roi_sec, RETURN_KEYS)
        money = None
        if inv and ret and inv.value is not None and ret.value is not None:
            top = max(float(inv.value), float(ret.value), 1e-9)
            ratio = float(ret.value) / float(inv.value) if inv.value else None
            money = {
                "investment": self.fmt(inv.value, "currency"),
                "return": self.fmt(ret.value, "currency"),
                "net": self.fmt(float(ret.value) - float(inv.value), "currency"),
                "inv_pct": round(100 * max(float(inv.value), 0) / top, 1),
                "ret_pct": round(100 * max(float(ret.value), 0) / top, 1),
                "caused": None,  # filled below when the incremental revenue is estimated
                "caused_pct": None,
                "explainer": None
                if ratio is None
                else self.label(
                    "roi_explainer",
                    one=fmt.currency(1, rep.currency, self.lang, 0),
                    ratio=fmt.currency(ratio, rep.currency, self.lang, 2),
                ),
            }
        inc = inc_sec.kpi("incremental_return") if caused is not None else None
        if inc is not None and inc.value is not None and money is not None and inv.value:
            money["caused"] = self.fmt(inc.value, "currency")
            money["net"] = self.fmt(float(inc.value) - float(inv.value), "currency")
            money["explainer"] = self.label(
                "roi_explainer_caused",
                one=fmt.currency(1, rep.currency, self.lang, 0),
                ratio=fmt.currency(float(inc.value) / float(inv.value), rep.currency, self.lang, 2),
            )
            money["caused_pct"] = round(
                100 * max(float(inc.value), 0) / max(float(inv.value), float(ret.value), 1e-9), 1
            )
        hero = caused if caused is not None else roi
        tiles = [k for k in rep.headline_kpis if k is not hero and k is not members_roi][:8]
        return {
            "roi": self.kpi(hero) if hero is not None else None,
            "caused": caused is not None,
            "members_roi": self.kpi(members_roi) if members_roi is not None else None,
            "money": money,
            "tiles": [self.kpi(k) for k in tiles],
            "findings": [self.finding(f) for f in rep.findings[:6]],
        }

    def methodology(self) -> list[dict[str, Any]]:
        out = []
        for s in self.report.sections:
            if s.methodology:
                out.append(
                    {
                        "metric": s.metric,
                        "title": self.t(s.title) or s.metric,
                        "formulas": [
                            {
                                "name": self.t(f.name),
                                "formula": self.t(f.formula),
                                "notes": self.t(f.notes) if f.notes else None,
                            }
                            for f in s.methodology
                        ],
                    }
                )
        return out

    def attribution(self) -> list[str]:
        """Attribution rules: ``roi`` section ``extra["attribution"]`` (Text-like dicts or
        strings), else none (the ROI formulas in the appendix state them)."""
        s = self.report.section("roi")
        rules = (s.extra.get("attribution") if s else None) or []
        out = []
        for r in rules if isinstance(rules, list | tuple) else [rules]:
            if isinstance(r, dict):
                out.append(
                    str(
                        r.get(self.lang)
                        or r.get("zh" if self.lang != "en" else "en")
                        or next(iter(r.values()), "")
                    )
                )
            else:
                out.append(self.t(r))
        return out

    def settings_rows(self) -> list[tuple[str, str]]:
        """Settings that shape the numbers (presentation and output settings left out)."""
        return settings_rows(self.report.settings)

    def context(self) -> dict[str, Any]:
        rep = self.report
        sections = [self.section(s, i + 1) for i, s in enumerate(rep.sections)]
        return {
            "lang": self.lang,
            "medium": self.medium,
            "report": rep,
            "meta": {
                "title": rep.title,
                "client": rep.client,
                "agency": rep.agency,
                "period": fmt.period(rep.period, self.lang),
                "previous_period": (
                    fmt.period(rep.previous_period, self.lang) if rep.previous_period else None
                ),
                "currency": rep.currency,
                "timezone": rep.timezone,
                "pseudonymized": rep.pseudonymized,
            },
            "brand": self.brand(),
            "summary": self.summary(),
            "sections": sections,
            "toc": [{"id": s["id"], "title": s["title"], "number": s["number"]} for s in sections],
            "methodology": self.methodology(),
            "attribution": self.attribution(),
            "settings_rows": self.settings_rows(),
            "warnings": list(rep.warnings),
            "data_quality": data_quality_view(rep.data_quality, self.lang, rep.currency),
            "page_content": Markup(
                css_content(self.label("page_of", page="{page}", pages="{pages}"))
            ),
        }


def _first(section: Section | None, keys: tuple[str, ...]) -> KPI | None:
    if section is None:
        return None
    return next((k for key in keys if (k := section.kpi(key)) is not None), None)
