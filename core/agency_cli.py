"""``communityroi batch`` and ``communityroi history`` (registered by core/cli.py).

Imports only click at module level (rich when it prints): the batch machinery loads when a
command runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from core.console import err, escape, out
from core.friendly import friendly


def load_with_period(config: Path | None, over: dict[str, Any], period: str | None):
    from core.agency import load_with_period as load

    return load(config, over, period)


def describe_period(settings) -> str:
    rs = settings.report
    name = f"{rs.period} = " if rs.period else ""
    return f"period {name}{rs.period_start} … {rs.period_end} ({rs.timezone})"


def _line(o) -> str:
    period = f" {o.period.label}" if o.period else ""
    if o.status == "ok":
        return f"ok       {o.name}{period}  {o.seconds:.1f} s"
    if o.status == "skipped":
        return f"skipped  {o.name}{period}  unchanged"
    return f"failed   {o.name}{period}: {o.error}"


@click.command()
@click.argument("agency_toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("agency-reports"),
    show_default=True,
    help="Output folder: OUT/<client>/, OUT/index.html, OUT/index.json.",
)
@click.option("--period", help="last-month, last-quarter, 2026-10, 2026-Q3 or 2026.")
@click.option("--only", multiple=True, help="Run only this client (repeatable).")
@click.option("--force", is_flag=True, help="Rebuild clients whose inputs did not change.")
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: a process pool; dask: a Dask cluster.",
)
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option("--workers", type=int, help="Processes (local) or local Dask workers.")
@click.pass_obj
def batch(obj, agency_toml, out_dir, period, only, force, engine, scheduler, workers):
    """Build every client's report listed in AGENCY_TOML, with a portfolio page.

    Exit code 1 when any client failed (each is named with its error), 0 otherwise."""
    friendly(_batch)(obj, agency_toml, out_dir, period, only, force, engine, scheduler, workers)


def _batch(obj, agency_toml, out_dir, period, only, force, engine, scheduler, workers):
    from core.agency import load_agency
    from core.batch import run_batch

    agency = load_agency(agency_toml)
    quiet = obj.quiet if obj else False
    tty = err.is_terminal and not quiet
    state: dict[str, Any] = {"progress": None, "task": None, "failed": 0}

    def on_event(kind: str, value: Any) -> None:
        if kind == "period" and not quiet:
            err.print(escape(value), highlight=False)
        elif kind == "planned" and tty:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            state["progress"] = Progress(
                TextColumn("[bold]clients"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeRemainingColumn(),
                console=err.real,
                transient=True,
            )
            state["progress"].start()
            state["task"] = state["progress"].add_task("batch", total=value, failed=0)
        elif kind == "done":
            state["failed"] += value.status == "failed"
            if state["progress"] is not None:
                state["progress"].update(state["task"], advance=1, failed=state["failed"])
                if value.status == "failed":
                    state["progress"].console.print(escape(_line(value)), highlight=False)
            elif value.status == "failed" or not quiet:
                err.print(escape(_line(value)), highlight=False, soft_wrap=True)

    try:
        result = run_batch(
            agency,
            out_dir,
            period=period,
            only=tuple(only),
            force=force,
            engine=engine,
            workers=workers,
            scheduler=scheduler,
            on_event=on_event,
        )
    finally:
        if state["progress"] is not None:
            state["progress"].stop()
    counts = {s: sum(o.status == s for o in result.outcomes) for s in ("ok", "skipped", "failed")}
    if not quiet:
        out.print(
            f"{counts['ok']} built, {counts['skipped']} unchanged, {counts['failed']} failed"
            f"  ·  {result.out / 'index.html'}  ·  history {result.history}",
            highlight=False,
            soft_wrap=True,
        )
    sys.exit(1 if counts["failed"] else 0)


@click.command()
@click.argument("client")
@click.option(
    "--agency",
    "agency_toml",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("agency.toml"),
    show_default=True,
    help="The agency.toml whose history database to read.",
)
@click.option("--kpi", help="One KPI, e.g. roi.roi (default: every headline KPI).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def history(client, agency_toml, kpi, as_json):
    """Print a client's KPIs by period from the agency's history database."""
    friendly(_history)(client, agency_toml, kpi, as_json)


def _history(client, agency_toml, kpi, as_json):
    from rich.table import Table

    from core.agency import load_agency
    from core.errors import ConfigError
    from core.history import History
    from core.periods import NamedPeriod

    agency = load_agency(agency_toml)
    a = agency.agency
    with History.open(a.history, agency.base_dir, a.history_password_env) as db:
        rows = db.series(client, kpi=kpi, headline_only=kpi is None)
    if not rows:
        what = f"KPI {kpi} of " if kpi else ""
        raise ConfigError(
            f"the history has no {what}client '{client}'; run "
            f"'communityroi batch {agency_toml}' first (names: agency.toml)"
        )
    periods: dict[tuple, dict[str, Any]] = {}
    keys: dict[str, dict[str, Any]] = {}
    for r in rows:
        label = NamedPeriod(r["period_start"], r["period_end"], r["period_kind"]).label
        entry = periods.setdefault(
            (r["period_start"], r["period_end"]),
            {
                "start": r["period_start"].isoformat(),
                "end": r["period_end"].isoformat(),
                "kind": r["period_kind"],
                "label": label,
                "kpis": {},
            },
        )
        entry["kpis"][r["kpi"]] = r["value"]
        keys.setdefault(
            r["kpi"], {"unit": r["unit"], "label": {"en": r["label_en"], "zh-CN": r["label_zh"]}}
        )
    if as_json:
        doc = {"client": client, "kpis": keys, "periods": list(periods.values())}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    # one row per KPI, one column per period (the latest 12): fits a terminal
    shown = list(periods.values())[-12:]
    table = Table(title=escape(client))
    table.add_column("KPI", overflow="fold", min_width=12)
    for p in shown:
        table.add_column(escape(p["label"]), justify="right", no_wrap=True)
    for key, info in keys.items():
        cells = [_num(p["kpis"].get(key), info["unit"]) for p in shown]
        table.add_row(escape(f"{info['label']['en']} ({key})"), *cells)
    out.print(table)


def _num(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "percent":
        return f"{v:,.1f} %"
    return f"{v:,.0f}" if unit in ("count", "currency") else f"{v:,.2f}"
