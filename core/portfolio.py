"""The agency's portfolio: ``OUT/index.json`` and ``OUT/index.html`` after a batch.

index.json (docs/agency.md)::

    {"format": "communityroi-portfolio", "version": 1, "agency": …, "period": …,
     "engine": …, "history": …, "finished_at": …,
     "clients": [{"name", "status": "ok"|"failed"|"skipped", "error", "outputs",
                  "kpis": {"roi.roi": {"value", "unit", "label", "previous", "change",
                                       "higher_is_better"}},
                  "seconds", "period": {"start", "end", "label"}}]}

``kpis`` are the client's headline KPIs as its report gave them (for a skipped client, as
its last successful run of the period stored them in the history); ``outputs`` are paths
relative to OUT. index.html shows the same rows: one per client with the chosen KPI
columns, their change against the previous period, the status and a link to the report.
It is one self-contained file (inline CSS, a few lines of script to sort a column, the
bundled Chinese font cut to its characters; nothing is fetched) in the agency's language.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import jinja2
from babel.numbers import format_currency, format_decimal

from core.history import KpiRow
from core.jobs import Outcome
from core.outputs import write_atomically
from core.periods import classify
from core.text import T

if TYPE_CHECKING:
    from core.jobs import Batch

FORMAT, VERSION = "communityroi-portfolio", 1
COLUMNS = 4  # KPI columns when [agency] kpis is not set: the first headline KPIs
LABELS = {
    "title": T("Client portfolio", "客户总览"),
    "client": T("Client", "客户"),
    "period": T("Period", "期间"),
    "status": T("Status", "状态"),
    "report": T("Report", "报告"),
    "seconds": T("Seconds", "耗时（秒）"),
    "ok": T("ok", "完成"),
    "failed": T("failed", "失败"),
    "skipped": T("unchanged", "未变化"),
    "open": T("open", "打开"),
    "summary": T(
        "{ok} built, {skipped} unchanged, {failed} failed",
        "生成 {ok} 份，未变化 {skipped} 份，失败 {failed} 份",
    ),
    "sort": T("Click a column title to sort.", "点击列标题排序。"),
    "vs": T("vs previous period", "较上期"),
}


def carried_over(batch: Batch) -> list[Outcome]:
    """The enabled clients this run left out (``--only``), as the previous index.json of
    OUT listed them, so the portfolio keeps one row per client."""
    ran = {o.name for o in batch.outcomes}
    wanted = [c.name for c in batch.agency.clients if c.enabled and c.name not in ran]
    path = batch.out / "index.json"
    if not wanted or not path.is_file():
        return []
    try:
        entries = {c["name"]: c for c in json.loads(path.read_text(encoding="utf-8"))["clients"]}
        out = []
        for name in (n for n in wanted if n in entries):
            c, p = entries[name], entries[name]["period"]
            period = (
                classify(date.fromisoformat(p["start"]), date.fromisoformat(p["end"]))
                if p
                else None
            )
            kpis = [
                KpiRow(k, v["value"], v["unit"], True, v["label"]["en"], v["label"]["zh-CN"],
                       v["previous"], v["change"], v.get("higher_is_better", True))
                for k, v in c["kpis"].items()
            ]  # fmt: skip
            outputs = [f.split("/", 1)[1] for f in c["outputs"]]
            out.append(
                Outcome(
                    name,
                    c["status"],
                    c["error"],
                    outputs,
                    kpis,
                    c["seconds"],
                    period,
                    currency=c.get("currency"),
                    client=c.get("client"),
                )
            )
        return out
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return []  # an index.json of another version or edited by hand: start afresh


def rows(batch: Batch) -> list[Outcome]:
    """This run's clients and the carried-over ones, in agency.toml order."""
    order = {c.name: i for i, c in enumerate(batch.agency.clients)}
    return sorted([*batch.outcomes, *carried_over(batch)], key=lambda o: order.get(o.name, 0))


def document(batch: Batch, outcomes: list[Outcome]) -> dict[str, Any]:
    clients = []
    for o in outcomes:
        kpis = {
            k.kpi: {
                "value": k.value,
                "unit": k.unit,
                "label": {"en": k.label_en, "zh-CN": k.label_zh},
                "previous": k.previous,
                "change": k.change,
                "higher_is_better": k.higher_is_better,
            }
            for k in o.kpis
            if k.headline
        }
        p = o.period
        clients.append(
            {
                "name": o.name,
                "status": o.status,
                "error": o.error,
                "outputs": [f"{o.name}/{f}" for f in o.outputs],
                "kpis": kpis,
                "seconds": round(o.seconds, 3),
                "client": o.client,
                "currency": o.currency,
                "period": {"start": p.start.isoformat(), "end": p.end.isoformat(), "label": p.label}
                if p
                else None,
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "agency": batch.agency.agency.name,
        "period": batch.period or batch.agency.agency.period,
        "engine": batch.engine,
        "history": batch.history,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": clients,
    }


def _columns(batch: Batch, outcomes: list[Outcome]) -> list[tuple[str, KpiRow]]:
    """The KPI columns: ``[agency] kpis`` or the first headline KPIs, with a sample row."""
    seen: dict[str, KpiRow] = {}
    for o in outcomes:
        for k in o.kpis:
            if k.headline or k.kpi in batch.agency.agency.kpis:
                seen.setdefault(k.kpi, k)
    wanted = batch.agency.agency.kpis or list(seen)[:COLUMNS]
    return [(key, seen[key]) for key in wanted if key in seen]


def fmt(value: float | None, unit: str, currency: str, lang: str) -> str:
    """A KPI value as the portfolio shows it (— for none)."""
    if value is None or not math.isfinite(value):
        return "—"
    loc = "zh_CN" if lang == "zh-CN" else "en_US"
    if unit == "currency":
        return format_currency(value, currency, locale=loc, format="¤#,##0", currency_digits=False)
    if unit == "percent":
        return format_decimal(value, "#,##0.0", locale=loc) + " %"
    if unit in ("ratio", "per_member"):
        return format_decimal(value, "#,##0.00", locale=loc)
    if unit in ("days", "hours", "score"):
        return format_decimal(value, "#,##0.0", locale=loc)
    return format_decimal(value, "#,##0", locale=loc)


def _change(k: KpiRow | None, lang: str) -> tuple[str, str]:
    """The change text and its tone (good / bad / "")."""
    if k is None or k.change is None or not math.isfinite(k.change):
        return "", ""
    c = k.change
    text = (
        (f"{c:+.1f} pt" if lang == "en" else f"{c:+.1f} 个百分点")
        if k.unit == "percent"
        else f"{c * 100:+.1f} %"
    )
    good = (c > 0) == k.higher_is_better  # more customers at risk: red
    return text, ("" if c == 0 else "good" if good else "bad")


def html(batch: Batch, outcomes: list[Outcome]) -> str:
    """index.html, carrying the bundled Chinese font cut to its characters (a page with
    Chinese text; ``report_templates.webfonts``), as the clients' reports do."""
    from report_templates import bundled, webfonts

    lang = batch.agency.agency.language
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled("portfolio"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    columns = _columns(batch, outcomes)
    rows = []
    for o in outcomes:
        by_key = {k.kpi: k for k in o.kpis}
        currency = o.currency or "CNY"
        cells = []
        for key, sample in columns:
            k = by_key.get(key)
            value = k.value if k else None
            change, tone = _change(k, lang)
            cells.append(
                {
                    "text": fmt(value, sample.unit, currency, lang),
                    "change": change,
                    "tone": tone,
                    "sort": "" if value is None else repr(value),
                }
            )
        report = next((f for f in o.outputs if f.endswith(".html")), None)
        rows.append(
            {
                "name": o.name,
                "client": o.client or o.name,
                "status": o.status,
                "status_text": LABELS[o.status].get(lang),
                "error": o.error,
                "period": o.period.label if o.period else "",
                "cells": cells,
                "report": f"{o.name}/{report}" if report else None,
                "seconds": f"{o.seconds:.1f}",
            }
        )
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "failed")}
    brand = batch.agency.agency.branding
    page = env.get_template("index.html").render(
        lang=lang,
        agency=batch.agency.agency.name,
        primary=brand.get("primary_color", "#1f4e79"),
        accent=brand.get("accent_color", "#e07a1f"),
        label={k: v.get(lang) for k, v in LABELS.items()},
        summary=LABELS["summary"].format(**counts).get(lang),
        period=batch.period or batch.agency.agency.period or "",
        columns=[
            {"key": key, "label": (s.label_zh if lang == "zh-CN" else s.label_en)}
            for key, s in columns
        ],
        rows=rows,
    )
    return webfonts.embed(page)


def write_portfolio(batch: Batch) -> None:
    """Write OUT/index.json and OUT/index.html atomically."""
    outcomes = rows(batch)
    text = json.dumps(document(batch, outcomes), ensure_ascii=False, indent=2, allow_nan=False)
    write_atomically(batch.out / "index.json", (text + "\n").encode("utf-8"))
    write_atomically(batch.out / "index.html", html(batch, outcomes).encode("utf-8"))
