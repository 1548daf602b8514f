"""``communityroi validate``: load and check data without rendering."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from core.errors import ConfigError
from core.manager import build_registry
from core.quality import notes
from core.schema import SCHEMA
from core.settings import load_settings
from core.specs import Detected

_TIME_COLUMN = {
    "members": "joined_at",
    "activities": "at",
    "orders": "at",
    "costs": "incurred_on",
    "campaigns": "starts_at",
    "groups": "created_at",
    "operator_days": "day",
}


def _when(value, tz: str) -> str:
    """A first/last timestamp as local minutes in the report time zone."""
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return "–" if value is None else str(value)


def _ask(path: Path, registry, attr: str) -> list[tuple[str, object, object]]:
    """``(name, spec, answer)`` of every source's ``detect``/``hint`` on ``path`` that
    answered something; a plugin that raises is a warning naming it, not a crash."""
    answers = []
    for name, (spec, info) in sorted(registry.sources.items()):
        fn = getattr(spec, attr)
        if fn is None:
            continue
        try:
            got = fn(path)
        except Exception as exc:
            registry.warnings.append(f"{info.describe()}: {attr} failed: {exc}")
            continue
        if got:
            answers.append((name, spec, got))
    return answers


def _detections(path: Path, registry) -> list[tuple[str, str, dict]]:
    """``(source type, what matched, options)`` per source that recognises ``path``,
    platform sources before generic ones (``SourceSpec.generic``)."""
    found = []
    for name, spec, hit in _ask(path, registry, "detect"):
        if isinstance(hit, Detected):
            why, options = hit.what, dict(hit.options)
        else:
            why, options = (hit if isinstance(hit, str) else f"{name} export"), {}
        found.append((spec.generic, name, why, options))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return [(name, why, options) for _generic, name, why, options in found]


def detect_source(path: Path, registry) -> list[tuple[str, str]]:
    """``(source type, what matched)`` for every source whose ``detect`` recognises ``path``,
    platform sources before generic ones (``SourceSpec.generic``)."""
    return [(name, why) for name, why, _options in _detections(path, registry)]


def _hints(path: Path, registry) -> list[str]:
    """What the installed sources can say about a path none of them recognises."""
    return [str(text) for _name, _spec, text in _ask(path, registry, "hint")]


def _settings_for(target: Path, registry, out: Console | None):
    if not target.exists():
        raise ConfigError(f"{target}: no such file or folder")
    kinds = _detections(target, registry)
    if not kinds:
        hints = _hints(target, registry)
        raise ConfigError(
            f"{target}: not a recognised export (known: "
            f"{', '.join(sorted(registry.sources))}); "
            + (
                "; ".join(hints)
                if hints
                else 'describe it in a report.toml with [[sources]] type = "files" and '
                "validate that"
            )
        )
    (kind, why, options), others = kinds[0], [k for k, _w, _o in kinds[1:]]
    if out is not None:
        out.print(
            f"{escape(str(target))} looks like a [bold]{kind}[/] export ({escape(why)})"
            + (f"; also matches: {', '.join(others)}" if others else "")
        )
    source = {**options, "type": kind, "path": str(target.resolve())}
    return load_settings(None, sources=[source]), why, options


def validate(
    target: Path,
    out: Console,
    err: Console,
    *,
    strict: bool = False,
    verbose: bool = False,
    as_json: bool = False,
) -> bool:
    """Print row counts, date ranges, drops and every problem; True when there is no
    problem. ``as_json`` prints only the summary document (docs/json-format.md)."""
    from core.pipeline import data_quality, load

    detected_by, options = None, {}
    if target.suffix.lower() == ".toml":
        settings = load_settings(target)
        registry = build_registry(disabled=settings.plugins.disable, strict=strict)
    else:  # an export: detect its type with every plugin, env disables applied
        registry = build_registry(disabled=load_settings(None).plugins.disable, strict=strict)
        settings, detected_by, options = _settings_for(target, registry, None if as_json else out)
    # only the period is read from data: no person-keyed tables to collect
    loaded, data = load(settings, registry, raise_problems=False, materialize=False)
    summary = data_quality(settings, loaded, data.period, detected_by=detected_by)
    if options:  # what the detector chose for this export, e.g. {"preset": "tmall"}
        summary["sources"][0]["options"] = options
    for w in registry.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        return not loaded.problems
    _print_tables(loaded, settings, out)
    _print_summary(summary, out)
    out.print(
        f"report period: {data.period.start} … {data.period.end} ({settings.report.timezone})"
    )
    if summary["dropped"]:
        total = sum(d["rows"] for d in summary["dropped"])
        out.print(f"[bold yellow]{total:,} record(s) read but not loaded:[/]")
        for d in summary["dropped"]:
            out.print(f"  {d['file']}: {d['reason']} — {d['rows']:,}", markup=False,
                      highlight=False, soft_wrap=True)  # fmt: skip
    for note in notes(summary):
        if not note.endswith("'communityroi validate'"):
            err.print(f"[yellow]warning:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if loaded.problems:
        err.print(f"[bold red]{len(loaded.problems)} problem(s):[/]")
        for p in loaded.problems:
            err.print(f"  {p}", markup=False, highlight=False, soft_wrap=True)
        return False
    dropped = " in the rows loaded (drops listed above)" if summary["dropped"] else ""
    out.print(f"[green]no problems found{dropped}[/]")
    return True


def _print_tables(loaded, settings, out: Console) -> None:
    tables = [t for t in SCHEMA if t in loaded.frames]
    queries = []
    for t in tables:
        col = pl.col(_TIME_COLUMN[t])
        queries.append(
            loaded.frames[t].select(
                pl.len().alias("rows"), col.min().alias("first"), col.max().alias("last")
            )
        )
    summary = RichTable("table", "rows", "first", "last", "from")
    for t, df in zip(tables, pl.collect_all(queries), strict=True):
        r = df.row(0, named=True)
        summary.add_row(
            t,
            f"{r['rows']:,}",
            _when(r["first"], settings.report.timezone),
            _when(r["last"], settings.report.timezone),
            escape(", ".join(loaded.origins.get(t, []))),
        )
    out.print(summary)


def _print_summary(summary: dict, out: Console) -> None:
    t = summary["tables"]
    lines = []
    if "members" in t:
        m = t["members"]
        lines.append(
            f"members: {m['rows']:,} memberships, {m['accounts']:,} accounts, "
            f"{m['people']:,} people"
        )
    if "activities" in t and t["activities"]["by_kind"]:
        kinds = " · ".join(f"{k} {n:,}" for k, n in t["activities"]["by_kind"].items())
        lines.append(f"activities: {kinds}")
    if "orders" in t:
        o = t["orders"]
        lines.append(
            f"orders: {o['rows']:,} ({o['paid']:,} paid, {o['paid_amount']:,.2f} "
            f"{o['currency']}); {o['linked_to_members']:,} linked to members, "
            f"{o['unlinked']:,} not ({o['unlinked_paid_amount']:,.2f} {o['currency']} paid)"
        )
    ident = summary.get("identity")
    if ident:
        lines.append(
            f"identity: {ident.get('members', 0):,} accounts → {ident.get('persons', 0):,} "
            f"people ({ident.get('members_merged', 0):,} accounts merged)"
        )
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)
