"""Plugin commands of the command line, found without loading every plugin.

A plugin declares a command as an entry point of the ``communityroi.commands`` group,
``NAME = "module:command"`` (a click command); the built-ins declare theirs the same way in
``plugins.COMMANDS``. ``communityroi NAME`` imports only NAME's module; the command list
(``--help``) imports each declared command's module for its one-line help, and nothing
else — no plugin's data code, no Settings. A command that fails to load is left out with
a warning naming its plugin.

Plugins that add commands through the older ``communityroi_commands(cli)`` hook still work
(:func:`core.manager.command_registry`): they are asked when a name is neither the core's
nor declared, or when the list is shown.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
from collections.abc import Iterable
from dataclasses import dataclass

import click

from core.manager import ENTRY_POINT_GROUP, PluginInfo, own_version

COMMAND_GROUP = f"{ENTRY_POINT_GROUP}.commands"


@dataclass(frozen=True, slots=True)
class DeclaredCommand:
    name: str  # the command's name on the command line
    target: str  # "module:attribute", the click command
    info: PluginInfo
    aliases: frozenset[str]  # names in plugins.disable that leave it out

    def load(self) -> click.Command:
        """Import the command's module (only it) and return the command."""
        cmd = md.EntryPoint(self.name, self.target, COMMAND_GROUP).load()
        if not isinstance(cmd, click.Command):
            raise TypeError(f"{self.target} is a {type(cmd).__name__}, not a click command")
        return cmd


def _entry_points() -> list[md.EntryPoint]:
    """The ``communityroi.commands`` and ``communityroi`` entry points, from one pass over
    the installed distributions (~25 ms with a few hundred of them)."""
    everything = md.entry_points()  # every group; select() then reads no more files
    return [*everything.select(group=COMMAND_GROUP), *everything.select(group=ENTRY_POINT_GROUP)]


@dataclass
class Commands:
    """What the command line needs from the installed plugins, read without importing any."""

    declared: dict[str, DeclaredCommand]  # not disabled, not loaded yet, by name
    warnings: list[str]
    plugins: list[md.EntryPoint]  # the ``communityroi`` group, for the older hook
    skip: set[str]  # distributions that declare commands: not asked through the hook


def scan(disabled: Iterable[str]) -> Commands:
    """The declared commands not disabled, and the plugins to ask through the older hook.

    ``disabled`` (``plugins.disable``) leaves a command out by its name, by its plugin's
    name (a built-in's module name such as ``reveal``, or the name of its distribution's
    ``communityroi`` entry point) or by its distribution's name. A name declared twice is a
    warning; the first declaration wins. A distribution that declares commands is not
    imported to ask the older hook: its commands are those entry points."""
    off = {d.strip() for d in disabled if d.strip()}
    eps = list(_entry_points())
    plugins = [ep for ep in eps if ep.group == ENTRY_POINT_GROUP]
    found: list[DeclaredCommand] = []
    version = own_version()
    for name, target in importlib.import_module("plugins").COMMANDS.items():
        module = target.partition(":")[0]
        short = module.rsplit(".", 1)[-1]
        info = PluginInfo(short, "communityroi", version, True)
        found.append(DeclaredCommand(name, target, info, frozenset({name, short, module})))
    skip = set()
    for ep in eps:
        if ep.group != COMMAND_GROUP:
            continue
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            ep.name, dist.name if dist else "unknown", dist.version if dist else "?", False
        )
        if dist:
            skip.add(dist.name)
        same_dist = {p.name for p in plugins if dist and getattr(p, "dist", None)
                     and p.dist.name == dist.name}  # fmt: skip
        aliases = frozenset({ep.name, info.distribution, *same_dist})
        found.append(DeclaredCommand(ep.name, ep.value, info, aliases))
    declared: dict[str, DeclaredCommand] = {}
    warnings = []
    for decl in found:
        if decl.aliases & off:
            continue
        if decl.name in declared:
            warnings.append(
                f"command '{decl.name}' is declared by both "
                f"{declared[decl.name].info.describe()} and {decl.info.describe()}; "
                f"kept the first (disable one with plugins.disable)"
            )
            continue
        declared[decl.name] = decl
    return Commands(declared, warnings, plugins, skip)
