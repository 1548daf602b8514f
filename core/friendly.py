"""User mistakes as one line on stderr (exit 2), for every command of the CLI."""

from __future__ import annotations

import functools
import sys

import click

from core.console import err, escape
from core.errors import CommunityROIError, PluginError


def friendly(fn):
    """User mistakes print one line and exit 2; --verbose adds the traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CommunityROIError as exc:
            ctx = click.get_current_context()
            if ctx.obj and ctx.obj.verbose:
                err.print_exception()
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            if isinstance(exc, PluginError) and not (ctx.obj and ctx.obj.verbose):
                err.print("[dim](run with --verbose for the plugin's traceback)[/]")
            sys.exit(2)

    return wrapper
