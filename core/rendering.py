"""Rendering the report: each format's context (templates, allowed files, validated
options) and the files, rendered in memory first and then written atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.errors import ConfigError, PluginError
from core.manager import Registry, guard
from core.outputs import write_atomically
from core.report import Report
from core.settings import Settings, validate_options
from core.specs import RenderContext

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    """Progress that prints nothing."""


def _resolve(settings: Settings, p: Path) -> Path:
    p = Path(p).expanduser()
    return p if p.is_absolute() else (settings.base_dir / p).resolve()


def builtin_templates() -> Path:
    from report_templates import bundled  # package data, not a plugin

    return bundled()


def render_contexts(
    settings: Settings, registry: Registry, formats: list[str]
) -> dict[str, RenderContext]:
    """Each format's :class:`RenderContext` (templates, allowed files, its validated
    options); raises ConfigError for an unknown format, theme or branding file — before
    any metric runs, when the report job calls it."""
    unknown = [f for f in formats if f not in registry.renderers]
    if unknown:
        raise ConfigError(
            f"unknown format '{unknown[0]}'; installed: {', '.join(sorted(registry.renderers))}"
        )
    br = settings.branding
    theme_dirs: list[Path] = []
    if br.template_dir:
        theme_dirs.append(_resolve(settings, br.template_dir))
    builtin = builtin_templates()
    if br.theme != "default":
        theme = builtin / "themes" / br.theme
        theme = theme if theme.is_dir() else _resolve(settings, Path(br.theme))
        if not theme.is_dir():
            raise ConfigError(
                f"branding.theme: '{br.theme}' is neither a built-in theme nor a folder"
            )
        theme_dirs.append(theme)
    template_dirs = (*theme_dirs, *registry.template_dirs, builtin / "default")
    allowed = frozenset(_resolve(settings, p) for p in (br.logo, br.cover_image) if p)
    for p in allowed:
        if not p.is_file():
            raise ConfigError(f"branding: file {p} does not exist")
    contexts = {}
    for name in formats:
        spec, _info = registry.renderers[name]
        opts = validate_options(
            spec.options, settings.renderers.get(name), f"renderer '{name}'", settings.base_dir
        )
        contexts[name] = RenderContext(
            template_dirs=template_dirs, allowed_files=allowed, options=opts
        )
    return contexts


def render(
    settings: Settings,
    registry: Registry,
    report: Report,
    formats: list[str],
    out_dir: Path,
    *,
    progress: Progress = _quiet,
    contexts: dict[str, RenderContext] | None = None,
) -> list[Path]:
    """Render every format in memory first, then write each file atomically."""
    contexts = contexts or render_contexts(settings, registry, formats)
    outputs: list[tuple[Path, bytes]] = []
    for fmt in formats:
        spec, info = registry.renderers[fmt]
        progress(f"rendering {fmt}")
        ctx = contexts[fmt]
        make = spec.files or (
            lambda r, c, spec=spec: {f"report.{spec.extension}": spec.render(r, c)}
        )
        blobs = guard(
            info, f"rendering {fmt}", registry.strict, lambda make=make, ctx=ctx: make(report, ctx)
        )
        for name, blob in blobs.items():
            if Path(name).name != name or name.startswith("."):
                raise PluginError(f"{info.describe()} named an output file '{name}'; "
                                  f"use plain file names without folders")  # fmt: skip
            outputs.append((out_dir / name, blob))
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, blob in outputs:
        write_atomically(path, blob)
    return [p for p, _ in outputs]


def _wants_members(registry: Registry, formats: list[str]) -> bool:
    return any(registry.renderers[f][0].members for f in formats if f in registry.renderers)
