"""Building blocks for plugin commands (``communityroi_commands``).

A plugin adds a command to ``communityroi`` with the same options and behaviour as
``communityroi report``::

    import click
    from communityroi import hookimpl
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

    @hookimpl
    def communityroi_commands(cli):
        cli.add_command(weekly)

``friendly`` turns a :class:`communityroi.CommunityROIError` into a one-line error (exit
code 2); ``report_options`` adds ``--out --format --lang --period-start --period-end
--show-names --strict-plugins --open``.
"""

from core.cli import friendly, merge, overrides, report_options, run_report
from core.settings import load_settings

__all__ = ["friendly", "load_settings", "merge", "overrides", "report_options", "run_report"]
