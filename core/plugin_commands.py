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


def _entry_points() -> Iterable[md.EntryPoint]:
    return md.entry_points(group=COMMAND_GROUP)


def declared_commands(disabled: Iterable[str]) -> tuple[dict[str, DeclaredCommand], list[str]]:
    """Every declared command not disabled, by name, and the warnings (a name declared
    twice: the first declaration wins).

    ``disabled`` (``plugins.disable``) leaves a command out by its name, by its plugin's
    name (a built-in's module name such as ``reveal``, or the name of its distribution's
    ``communityroi`` entry point) or by its distribution's name."""
    off = {d.strip() for d in disabled if d.strip()}
    found: list[DeclaredCommand] = []
    version = own_version()
    for name, target in importlib.import_module("plugins").COMMANDS.items():
        module = target.partition(":")[0]
        short = module.rsplit(".", 1)[-1]
        info = PluginInfo(short, "communityroi", version, True)
        found.append(DeclaredCommand(name, target, info, frozenset({name, short, module})))
    for ep in _entry_points():
        dist = getattr(ep, "dist", None)
        plugins = (
            {e.name for e in dist.entry_points if e.group == ENTRY_POINT_GROUP} if dist else ()
        )
        info = PluginInfo(
            ep.name, dist.name if dist else "unknown", dist.version if dist else "?", False
        )
        aliases = frozenset({ep.name, info.distribution, *plugins})
        found.append(DeclaredCommand(ep.name, ep.value, info, aliases))
    out: dict[str, DeclaredCommand] = {}
    warnings = []
    for decl in found:
        if decl.aliases & off:
            continue
        if decl.name in out:
            warnings.append(
                f"command '{decl.name}' is declared by both {out[decl.name].info.describe()} "
                f"and {decl.info.describe()}; kept the first (disable one with plugins.disable)"
            )
            continue
        out[decl.name] = decl
    return out, warnings


def hook_distributions_to_skip() -> set[str]:
    """Distributions that declare ``communityroi.commands``: their commands are those
    entry points, so the command line does not import them to ask the older hook."""
    return {ep.dist.name for ep in _entry_points() if getattr(ep, "dist", None)}
