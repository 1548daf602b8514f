"""The ``communityroi`` command line."""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.console import err, escape, out
from core.friendly import friendly

if TYPE_CHECKING:
    from core.settings import Settings


class Ctx:
    # True in the installed program (:func:`console`): one command, then the process ends
    one_shot = False

    def __init__(self, quiet: bool, verbose: bool):
        self.quiet, self.verbose = quiet, verbose
        self.t0 = time.perf_counter()

    def step(self, status):
        def progress(msg: str) -> None:
            if self.verbose:
                err.print(f"[dim]{time.perf_counter() - self.t0:6.2f}s[/] {escape(msg)}")
            if status is not None:
                status.update(f"[bold]{msg}…")

        return progress


class PluginCommands(click.Group):
    """The core's commands, plus those plugins declare or add.

    ``communityroi report …`` loads no plugin. A declared command (``communityroi.commands``
    entry points, ``plugins.COMMANDS``; core.plugin_commands) is imported when it runs —
    only its module — or when the list is shown (``--help``). Plugins using the older
    ``communityroi_commands`` hook are asked when a name is found neither way, or for the
    list. Settings are not built unless a ``COMMUNITYROI_PLUGINS…`` variable is set."""

    # per process, like the commands added to the group
    _disabled: list[str] | None = None
    _scan: Any = None  # core.plugin_commands.Commands
    _hooks_asked = False

    def _warn(self, warnings: list[str]) -> None:
        for warning in warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)

    def _off(self) -> list[str]:
        if type(self)._disabled is None:
            from core.manager import disabled_plugins

            type(self)._disabled, warnings = disabled_plugins()
            self._warn(warnings)
        return type(self)._disabled

    def _plugins(self):
        """The installed plugins' declared commands and plugins (read once)."""
        if type(self)._scan is None:
            from core.plugin_commands import scan

            type(self)._scan = scan(self._off())
            self._warn(type(self)._scan.warnings)
        return type(self)._scan

    def _declared_command(self, name: str):
        """The declared command ``name`` (imported now), or None."""
        decl = self._plugins().declared.pop(name, None)
        if decl is None:
            return None
        if name in self.commands:  # a core command keeps its name
            self._warn([f"{decl.info.describe()} declares command '{name}', a core command"])
            return None
        try:
            cmd = decl.load()
        except Exception as exc:
            self._warn([f"{decl.info.describe()} failed to load command '{name}': "
                        f"{type(exc).__name__}: {exc}; skipped it"])  # fmt: skip
            return None
        self.add_command(cmd, name)
        return cmd

    def _ask_hooks(self) -> None:
        if type(self)._hooks_asked:
            return
        type(self)._hooks_asked = True
        from core.manager import command_registry

        found = self._plugins()
        self._warn(
            command_registry(
                self,
                disabled=self._off(),
                skip_distributions=found.skip,
                entry_points=found.plugins,
            )
        )

    def get_command(self, ctx, cmd_name):
        found = super().get_command(ctx, cmd_name)
        if found is None:
            found = self._declared_command(cmd_name)
        if found is None:
            self._ask_hooks()
            found = super().get_command(ctx, cmd_name)
        return found

    def list_commands(self, ctx):
        for name in list(self._plugins().declared):
            self._declared_command(name)
        self._ask_hooks()
        return super().list_commands(ctx)


@click.group(cls=PluginCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print every step with timings.")
@click.version_option(package_name="communityroi")
@click.pass_context
def main(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """communityroi — what is your community worth? ROI, CLV, loyalty and health reports."""
    ctx.obj = Ctx(quiet, verbose)


def overrides(lang, fmt, out_dir, start, end, show_names, strict) -> dict[str, Any]:
    """The settings the common report flags set (None: not given)."""
    return {
        "report": {"language": lang, "period_start": start, "period_end": end},
        "privacy": {"pseudonymize": False if show_names else None},
        "plugins": {"strict": True if strict else None},
        # --out is typed at a prompt: relative to where the user is, not to the config
        "output": {
            "dir": out_dir.resolve() if out_dir else None,
            "formats": fmt.split(",") if fmt else None,
        },
    }


def report_options(fn):
    for deco in reversed(
        [
            click.option(
                "--out",
                "out_dir",
                type=click.Path(file_okay=False, path_type=Path),
                help="Output folder (relative to the current directory).",
            ),
            click.option("--format", "fmt", help="Comma-separated formats, e.g. html,pdf,json."),
            click.option("--lang", type=click.Choice(["zh-CN", "en"]), help="Report language."),
            click.option("--period-start", "start", help="First day, e.g. 2026-10-01."),
            click.option("--period-end", "end", help="Last day, e.g. 2026-10-31."),
            click.option(
                "--show-names",
                is_flag=True,
                help="Show real member ids and names (internal use only).",
            ),
            click.option(
                "--strict-plugins",
                "strict",
                is_flag=True,
                help="Stop at the first plugin error instead of skipping the plugin.",
            ),
            click.option("--open", "open_", is_flag=True, help="Open the HTML report afterwards."),
        ]
    ):
        fn = deco(fn)
    return fn


def merge(a: dict, b: dict) -> dict:
    """``b`` over ``a``, recursively; ``None`` in ``b`` keeps ``a``'s value."""
    res = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(res.get(k), dict):
            res[k] = merge(res[k], {kk: vv for kk, vv in v.items() if vv is not None})
        elif v is not None:
            res[k] = v
    return res


def run_report(obj: Ctx, settings: Settings, open_: bool) -> None:
    """Run the whole report job with progress, print the outcome (the ``report`` command)."""
    from core.pipeline import run  # imported here: keeps `--help` fast

    # Python's cyclic collector is paused for the run: a report makes millions of
    # container objects (the PDF's layout alone ≈ 300 k, all in cycles) and each pass
    # rescans the survivors — 0.56 CPU-s of the demo report. Reference counting still
    # frees everything outside a cycle. The installed program ends after this command,
    # so there the objects are frozen instead (the interpreter's last pass skips them);
    # an in-process caller (tests, a plugin's code) gets the collector back.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if obj.quiet or obj.verbose:
            result = run(settings, progress=obj.step(None))
        else:
            with err.status("[bold]starting…") as status:
                result = run(settings, progress=obj.step(status))
    finally:
        if obj.one_shot:
            gc.freeze()
        elif was_enabled:
            gc.enable()
    for w in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    if obj.quiet:
        return
    # the headline: every headline KPI that carries an interval (an estimate), then ROI
    period = f"period {result.report.period.start} … {result.report.period.end}"
    for k in result.report.headline_kpis:
        if k.unit == "percent" and k.value is not None and k.low is not None:
            out.print(
                f"{k.label.en} {k.value:.1f} % ({(k.level or 0.9) * 100:.0f} % interval "
                f"{k.low:.1f} … {k.high:.1f} %)  ·  {period}"
            )
    roi = result.report.section("roi")
    if roi and roi.kpi("roi") and roi.kpi("roi").value is not None:
        out.print(f"ROI on revenue from members {roi.kpi('roi').value:.1f} %  ·  {period}")
    for path in result.written:
        out.print(f"wrote {path}  ({path.stat().st_size / 1024:,.0f} KiB)")
    html = next((p for p in result.written if p.suffix == ".html"), None)
    if open_ and html and sys.stdout.isatty():
        import webbrowser

        webbrowser.open(html.resolve().as_uri())


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@report_options
@click.option("--seed", type=int, default=None, help="Seed of the bootstrap intervals (default 0).")
@click.option("--period", help="last-month, last-quarter, 2026-10, 2026-Q3 or 2026.")
@click.pass_obj
@friendly
def report(obj, config, out_dir, fmt, lang, start, end, show_names, strict, open_, seed, period):
    """Build the report described by CONFIG (a report.toml)."""
    from core.agency_cli import load_with_period

    over = overrides(lang, fmt, out_dir, start, end, show_names, strict)
    settings = load_with_period(config, merge(over, {"report": {"seed": seed}}), period)
    if settings.report.period and not obj.quiet:
        err.print(escape(describe_period(settings)), highlight=False)
    run_report(obj, settings, open_)


@main.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the summary as JSON on stdout (docs/json-format.md); messages go to stderr.",
)
@click.pass_obj
@friendly
def validate(obj, target: Path, as_json: bool):
    """Load and check data without rendering: a report.toml, or an export file/folder.

    Prints what was loaded (memberships, people, activities by kind, orders paid and
    linked to members), every record read but not loaded, and every problem with its
    file, row and column. Exit code 1 when there is a problem."""
    from core.validate import validate as run_validate

    ok = run_validate(
        target, out.real, err.real, strict=False, verbose=obj.verbose, as_json=as_json
    )
    sys.exit(0 if ok else 1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Apply this report.toml's [plugins] settings (disable, strict).",
)
@click.option("--strict-plugins", "strict", is_flag=True)
@friendly
def plugins(as_json: bool, config: Path | None, strict: bool):
    """List every source, transform, metric and renderer with its plugin and version."""
    from core.pipeline import registry_for
    from core.settings import load_settings

    settings = load_settings(config)  # also reads COMMUNITYROI_PLUGINS__DISABLE
    reg = registry_for(settings, strict=strict or None)
    rows = []
    for kind in ("sources", "transforms", "metrics", "renderers"):
        for name, (spec, info) in sorted(getattr(reg, kind).items()):
            rows.append(
                {
                    "kind": kind[:-1],
                    "name": name,
                    "plugin": info.name,
                    "distribution": info.distribution,
                    "version": info.version,
                    "builtin": info.builtin,
                    "description": spec.description,
                }
            )
    if as_json:
        click.echo(
            json.dumps({"plugins": rows, "warnings": reg.warnings}, ensure_ascii=False, indent=2)
        )
        return
    from rich.table import Table as RichTable

    table = RichTable()
    for col in ("kind", "name", "plugin", "from"):
        table.add_column(col, no_wrap=True)
    table.add_column("description", overflow="fold", min_width=20)
    for r in rows:
        # plugin-supplied text is not rich markup
        table.add_row(
            *(escape(str(r[k])) for k in ("kind", "name", "plugin")),
            escape(f"{r['distribution']} {r['version']}"),
            escape(r["description"]),
        )
    out.print(table)
    for w in reg.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)


@main.command()
@click.argument(
    "path", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.toml")
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@friendly
def init(path: Path, force: bool):
    """Write a commented starter report.toml."""
    from core.outputs import write_atomically
    from core.starter import STARTER_TOML

    if path.exists() and not force:
        raise click.UsageError(f"{path} exists; use --force to overwrite it")
    write_atomically(path, STARTER_TOML.encode("utf-8"))
    out.print(
        f"wrote {path} — edit the [[sources]] paths, then run: communityroi report {path}",
        markup=False,
    )


@main.command("new-plugin")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["source", "metric", "renderer"]),
    default="metric",
    show_default=True,
    help="What the plugin adds.",
)
@click.option(
    "--dir",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to create (default ./communityroi-NAME); must be new or empty.",
)
@friendly
def new_plugin(name: str, kind: str, target: Path | None):
    """Write a new plugin package NAME: pyproject.toml, module, test, README."""
    from core.scaffold import scaffold

    written = scaffold(name, kind, target)
    folder = written[0].parent
    for path in written:
        out.print(f"wrote {path}")
    out.print(
        f"next:  cd {folder}  &&  pip install -e .  &&  python -m pytest  &&  "
        f"communityroi plugins   (guide: docs/plugins.md)",
        highlight=False,
        soft_wrap=True,
    )


from core.agency_cli import batch, describe_period, history  # noqa: E402 (light: click only)

main.add_command(batch)
main.add_command(history)


def console() -> None:
    """The installed ``communityroi`` program: :func:`main`, one command per process,
    with the memory allocator set for it before Polars loads (:mod:`core.allocator`)."""
    from core.allocator import tune

    tune()
    Ctx.one_shot = True
    main()


if __name__ == "__main__":  # pragma: no cover
    console()
