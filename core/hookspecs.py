"""Hook specifications. Every hook is documented in docs/plugins.md and tested.

Registration hooks only *declare*: they return specs whose callables the core runs one
plugin at a time, so a failure names the plugin and cannot take the others down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from core.specs import (
        MemberScoreSpec,
        MetricSpec,
        RendererSpec,
        SourceSpec,
        TransformSpec,
    )

PROJECT = "communityroi"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def communityroi_sources() -> list[SourceSpec]:
    """Declare data source types (``[[sources]] type = "<name>"``)."""


@hookspec
def communityroi_transforms() -> list[TransformSpec]:
    """Declare data transforms run after loading (``[transforms.<name>]``)."""


@hookspec
def communityroi_metrics() -> list[MetricSpec]:
    """Declare metrics; each becomes a report section and ``metrics.<name>`` in JSON."""


@hookspec
def communityroi_member_scores() -> list[MemberScoreSpec]:
    """Declare columns of the member scorecard (``--format members``), keyed by member."""


@hookspec
def communityroi_renderers() -> list[RendererSpec]:
    """Declare output formats (``--format <name>``)."""


@hookspec
def communityroi_template_dirs() -> list[Path]:
    """Add folders of Jinja2 templates, searched after the user's folder, before built-ins."""


@hookspec
def communityroi_commands(cli) -> None:
    """Add subcommands to the ``communityroi`` command line (``cli`` is its click group).

    The older way: a plugin implementing it is imported for every ``communityroi --help``.
    Declaring the command in the ``communityroi.commands`` entry points (docs/plugins.md)
    imports only the command's module, and only when it runs or the list is shown."""
