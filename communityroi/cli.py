"""Building blocks for plugin commands.

A plugin adds a command to ``communityroi`` with the same options and behaviour as
``communityroi report``, declared in its pyproject.toml (``[project.entry-points.
"communityroi.commands"]`` ``weekly = "communityroi_acme.commands:weekly"``)::

    import click
    from communityroi.cli import friendly, load_settings, merge, overrides, report_options
    from communityroi.cli import run_report

    @click.command()
    @report_options
    @click.pass_obj
    @friendly
    def weekly(obj, out_dir, fmt, lang, start, end, show_names, strict, open_):
        \"\"\"This week's report for the acme community.\"\"\"
        base = {"sources": [{"type": "acme"}], "report": {"client": "Acme"}}
        over = overrides(lang, fmt, out_dir, start, end, show_names, strict)
        run_report(obj, load_settings(None, **merge(base, over)), open_)

Keep the command's module light — import only click and ``communityroi`` at the top and
anything heavy (Polars, your data code) inside the command — because ``communityroi --help``
imports it to show the command's one-line help (see ``communityroi_commands()`` in
docs/plugins.md). The older ``communityroi_commands(cli)`` hook, calling
``cli.add_command(weekly)``, still works, at the price of importing the plugin for every
``communityroi --help``.

``friendly`` turns a :class:`communityroi.CommunityROIError` into a one-line error (exit
code 2); ``report_options`` adds ``--out --format --lang --period-start --period-end
--show-names --strict-plugins --open``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli import friendly, merge, overrides, report_options, run_report

if TYPE_CHECKING:
    from core.settings import Settings


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read ``path`` (a report.toml, or None), then ``COMMUNITYROI_…`` env vars, then
    ``overrides`` (nested dicts, e.g. from CLI flags); a mistake is a ConfigError.

    pydantic-settings is imported here, when a command runs, not when the plugin's
    module is imported (so ``communityroi --help`` stays fast)."""
    from core.settings import load_settings as load

    return load(path, **overrides)


__all__ = ["friendly", "load_settings", "merge", "overrides", "report_options", "run_report"]
