"""``communityroi validate``: load and check data without rendering."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from core.errors import ConfigError
from core.manager import build_registry
from core.schema import SCHEMA
from core.settings import load_settings

_TIME_COLUMN = {
    "members": "joined_at",
    "activities": "at",
    "orders": "at",
    "costs": "incurred_on",
    "campaigns": "starts_at",
    "groups": "created_at",
}


def _when(value, tz: str) -> str:
    """A first/last timestamp as local minutes in the report time zone."""
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return "–" if value is None else str(value)


def detect_source(path: Path, registry) -> list[str]:
    """Names of the source types whose ``detect`` recognises ``path``."""
    found = []
    for name, (spec, info) in sorted(registry.sources.items()):
        if spec.detect is None:
            continue
        try:
            if spec.detect(path):
                found.append(name)
        except Exception as exc:
            registry.warnings.append(f"{info.describe()}: detect failed: {exc}")
    return found


def _hints(path: Path, registry) -> list[str]:
    """What the installed sources can say about a path none of them recognises."""
    found = []
    for _name, (spec, info) in sorted(registry.sources.items()):
        if spec.hint is None:
            continue
        try:
            text = spec.hint(path)
        except Exception as exc:
            registry.warnings.append(f"{info.describe()}: hint failed: {exc}")
            continue
        if text:
            found.append(text)
    return found


def _settings_for(target: Path, registry, out: Console):
    if not target.exists():
        raise ConfigError(f"{target}: no such file or folder")
    kinds = detect_source(target, registry)
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
    out.print(
        f"{target} looks like a [bold]{kinds[0]}[/] export"
        + (f" (also matches: {', '.join(kinds[1:])})" if len(kinds) > 1 else "")
    )
    return load_settings(None, sources=[{"type": kinds[0], "path": str(target.resolve())}])


def validate(
    target: Path, out: Console, err: Console, *, strict: bool = False, verbose: bool = False
) -> bool:
    """Print row counts, date ranges and every problem; True when there is none."""
    from core.pipeline import load

    if target.suffix.lower() == ".toml":
        settings = load_settings(target)
        registry = build_registry(disabled=settings.plugins.disable, strict=strict)
    else:  # an export: detect its type with every plugin, env disables applied
        registry = build_registry(disabled=load_settings(None).plugins.disable, strict=strict)
        settings = _settings_for(target, registry, out)
    # only the period is read from data: no person-keyed tables to collect
    loaded, data = load(settings, registry, raise_problems=False, materialize=False)
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
            ", ".join(loaded.origins.get(t, [])),
        )
    out.print(summary)
    out.print(
        f"report period: {data.period.start} … {data.period.end} ({settings.report.timezone})"
    )
    for w in registry.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    if loaded.problems:
        err.print(f"[bold red]{len(loaded.problems)} problem(s):[/]")
        for p in loaded.problems:
            err.print(f"  {p}", markup=False, highlight=False, soft_wrap=True)
        return False
    out.print("[green]no problems found[/]")
    return True
