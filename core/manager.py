"""Build the plugin manager and collect what the plugins declare.

Built-ins (``plugins.BUILTIN``) are imported by dotted name; third-party plugins come from
the ``communityroi`` entry-point group. Each is loaded, and each declaration hook is
called, on its own: a broken plugin is skipped with a warning naming it and its
distribution, unless ``strict`` is set, which re-raises (for plugin authors and CI).
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from core import hookspecs
from core.errors import CommunityROIError, PluginConflictError, PluginError

if TYPE_CHECKING:  # core.specs is imported when plugins are collected, not for the CLI
    from core.specs import MemberScoreSpec, MetricSpec, RendererSpec, SourceSpec, TransformSpec

ENTRY_POINT_GROUP = hookspecs.PROJECT
Warn = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str  # plugin name: entry-point name, or the built-in module name
    distribution: str
    version: str
    builtin: bool

    def describe(self) -> str:
        return f"plugin '{self.name}' ({self.distribution} {self.version})"


@dataclass
class Registry:
    """Everything the plugins declared, by name, with the plugin that declared it."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    sources: dict[str, tuple[SourceSpec, PluginInfo]] = field(default_factory=dict)
    transforms: dict[str, tuple[TransformSpec, PluginInfo]] = field(default_factory=dict)
    metrics: dict[str, tuple[MetricSpec, PluginInfo]] = field(default_factory=dict)
    renderers: dict[str, tuple[RendererSpec, PluginInfo]] = field(default_factory=dict)
    member_scores: dict[str, tuple[MemberScoreSpec, PluginInfo]] = field(default_factory=dict)
    template_dirs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    strict: bool = False

    def fail(self, info: PluginInfo, what: str, exc: BaseException) -> None:
        """Skip a plugin's contribution with a warning, or re-raise in strict mode."""
        msg = f"{info.describe()} {what}: {type(exc).__name__}: {exc}"
        if self.strict:
            raise PluginError(msg + " (strict plugin mode)") from exc
        self.warnings.append(msg + "; skipped it (use --strict-plugins to stop here)")


def own_version() -> str:
    try:
        return md.version("communityroi")
    except md.PackageNotFoundError:
        return "0+unknown"


def _entry_points() -> Iterable[md.EntryPoint]:
    return md.entry_points(group=ENTRY_POINT_GROUP)


def build_registry(
    *,
    disabled: Iterable[str] = (),
    strict: bool = False,
    builtins: Iterable[str] | None = None,
    entry_points: bool = True,
    extra: Iterable[tuple[str, object]] = (),
) -> Registry:
    """Load plugins and collect their declarations.

    ``disabled`` names plugins (entry-point names, built-in module names such as ``roi``)
    or declared names (a metric, source or renderer) to leave out. ``extra`` registers
    already-imported plugin objects (used by tests and by ``communityroi.testing``).
    """
    off = {d.strip() for d in disabled if d.strip()}
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    reg = Registry(manager=pm, strict=strict)
    version = own_version()

    if builtins is None:
        builtins = importlib.import_module("plugins").BUILTIN
    for dotted in builtins:
        short = dotted.rsplit(".", 1)[-1]
        info = PluginInfo(short, "communityroi", version, True)
        if short in off or dotted in off:
            continue
        try:
            _register(reg, importlib.import_module(dotted), info)
        except PluginError:
            raise
        except Exception as exc:
            reg.fail(info, "failed to load", exc)

    if entry_points:
        _load_entry_points(reg, off)
    for name, obj in extra:
        _register(reg, obj, PluginInfo(name, "local", "0", False))

    pm.check_pending()
    _collect(reg, off)
    return reg


def _load_entry_points(
    reg: Registry,
    off: set[str],
    skip: set[str] = frozenset(),
    entry_points: Iterable[md.EntryPoint] | None = None,
) -> None:
    """Register the third-party plugins (``communityroi`` entry points, read now unless
    given) not in ``off``, nor from a distribution in ``skip``; one that fails to import is
    a warning (``reg.fail``)."""
    for ep in _entry_points() if entry_points is None else entry_points:
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            ep.name, dist.name if dist else "unknown", dist.version if dist else "?", False
        )
        if ep.name in off or info.distribution in off or info.distribution in skip:
            continue
        try:
            _register(reg, ep.load(), info)
        except PluginError:
            raise
        except Exception as exc:
            reg.fail(info, "failed to load", exc)


def _register(reg: Registry, obj: object, info: PluginInfo) -> None:
    if info.name in reg.plugins:
        other = reg.plugins[info.name]
        raise PluginConflictError(
            f"two plugins are named '{info.name}': {other.describe()} and {info.describe()}; "
            f"uninstall one of them or disable one with plugins.disable"
        )
    reg.manager.register(obj, name=info.name)
    reg.plugins[info.name] = info


_KINDS: dict[str, tuple[str, str]] = {  # registry field: (hook, spec type in core.specs)
    "sources": ("communityroi_sources", "SourceSpec"),
    "transforms": ("communityroi_transforms", "TransformSpec"),
    "metrics": ("communityroi_metrics", "MetricSpec"),
    "renderers": ("communityroi_renderers", "RendererSpec"),
    "member_scores": ("communityroi_member_scores", "MemberScoreSpec"),
}


def _collect(reg: Registry, off: set[str]) -> None:
    from core import specs

    for kind, (hook_name, type_name) in _KINDS.items():
        spec_type = getattr(specs, type_name)
        target: dict[str, tuple[Any, PluginInfo]] = getattr(reg, kind)
        for impl in getattr(reg.manager.hook, hook_name).get_hookimpls():
            info = reg.plugins[impl.plugin_name]
            try:
                declared = list(impl.function() or ())
                for spec in declared:
                    if not isinstance(spec, spec_type):
                        raise TypeError(
                            f"{hook_name} returned {type(spec).__name__}, "
                            f"expected {spec_type.__name__}"
                        )
            except Exception as exc:
                reg.fail(info, f"failed in {hook_name}", exc)
                continue
            for spec in declared:
                if spec.name in off:
                    continue
                if spec.name in target:
                    other = target[spec.name][1]
                    raise PluginConflictError(
                        f"{kind[:-1]} '{spec.name}' is declared by both {other.describe()} "
                        f"and {info.describe()}; disable one of them with plugins.disable"
                    )
                target[spec.name] = (spec, info)
    for impl in reg.manager.hook.communityroi_template_dirs.get_hookimpls():
        info = reg.plugins[impl.plugin_name]
        try:
            reg.template_dirs.extend(Path(p) for p in impl.function() or ())
        except Exception as exc:
            reg.fail(info, "failed in communityroi_template_dirs", exc)


def disabled_plugins() -> tuple[list[str], list[str]]:
    """``plugins.disable`` as ``load_settings(None)`` reads it, and the warnings.

    Without a config file only the environment sets it, so Settings (pydantic-settings,
    half a second to import) is built only when a ``COMMUNITYROI_PLUGINS…`` variable is
    set. Settings the environment gets wrong are a warning here: the command that reads
    them reports the error."""
    if not any(k.upper().startswith(f"{ENTRY_POINT_GROUP.upper()}_PLUGINS") for k in os.environ):
        return [], []
    from core.settings import load_settings

    try:
        return list(load_settings(None).plugins.disable), []
    except Exception as exc:  # ConfigError, or pydantic-settings' SettingsError (bad JSON)
        return [], [f"ignored plugins.disable from the environment: {exc}"]


def command_registry(
    cli: Any,
    *,
    disabled: Iterable[str] | None = None,
    extra: Iterable[tuple[str, object]] = (),
    skip_distributions: Iterable[str] = (),
    entry_points: Iterable[md.EntryPoint] | None = None,
) -> list[str]:
    """Let plugins add CLI commands through ``communityroi_commands``; returns the warnings.

    The older way to add a command (core.plugin_commands reads the declared ones): loads
    the third-party entry points (``entry_points``, or read now), except those of
    ``skip_distributions`` (which declare their commands), and calls only this hook — not
    the declaration hooks. Each plugin's
    hook runs on its own: a failing one is skipped with a warning naming it."""
    if disabled is None:
        disabled, warnings = disabled_plugins()
    else:
        warnings = []
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    reg = Registry(manager=pm, warnings=warnings)
    off = {d.strip() for d in disabled if d.strip()}
    _load_entry_points(reg, off, set(skip_distributions), entry_points)
    for name, obj in extra:
        _register(reg, obj, PluginInfo(name, "local", "0", False))
    for impl in reg.manager.hook.communityroi_commands.get_hookimpls():
        info = reg.plugins[impl.plugin_name]
        try:
            impl.function(cli=cli)
        except Exception as exc:
            reg.fail(info, "failed in communityroi_commands", exc)
    return reg.warnings


def guard(info: PluginInfo, what: str, strict: bool, fn: Callable[[], Any]) -> Any:
    """Run plugin code: user-facing errors pass through; crashes name the plugin."""
    try:
        return fn()
    except CommunityROIError:
        raise
    except Exception as exc:
        if strict:
            raise
        raise PluginError(
            f"{info.describe()} failed while {what}: {type(exc).__name__}: {exc}"
        ) from exc
