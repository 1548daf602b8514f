"""``communityroi new-plugin``: write a complete, installable plugin package to start from.

The package is named ``communityroi-<name>`` and holds one module ``communityroi_<name>.py``
(importing only from ``communityroi``), registered under the ``communityroi`` entry-point
group; a test using :mod:`communityroi.testing` that passes straight after
``pip install -e``; a README; and a ``pyproject.toml``. The templates are in
``core/scaffold_files/`` as ``string.Template`` files (``*.tmpl``; the walkthrough is in
docs/plugins.md). Placeholders: ``${name}`` (plugin name), ``${module}``
(``communityroi_<name>``), ``${dist}`` (``communityroi-<name>``), ``${kind}``, ``${title}``
and, in the README, ``${usage}`` (``<kind>/usage.md.tmpl``). Each generated package passes
its own tests and ``ruff`` straight away (tests/test_scaffold.py checks both).
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

from core.errors import ConfigError

KINDS = ("source", "metric", "renderer")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


_TITLES = {"metric": "Activity mix", "source": "Message CSV", "renderer": "KPI summary"}
TEMPLATES = Path(__file__).with_name("scaffold_files")


def _template(rel: str) -> Template:
    return Template((TEMPLATES / f"{rel}.tmpl").read_text(encoding="utf-8"))


def check_name(name: str, taken: set[str] | frozenset[str] = frozenset()) -> None:
    """A plugin name: 2–40 lower-case letters, digits or ``_``, starting with a letter,
    not a Python keyword and not already used by an installed plugin."""
    if not _NAME.match(name) or keyword.iskeyword(name) or "__" in name:
        raise ConfigError(
            f"'{name}' is not a valid plugin name; use 2–40 lower-case letters, digits or "
            f"'_', starting with a letter (e.g. nps or weimiquan)"
        )
    if name in taken:
        raise ConfigError(
            f"'{name}' is already used by an installed plugin (see 'communityroi plugins'); "
            f"choose another name"
        )


def installed_names() -> set[str]:
    """Plugin names and declared source/metric/renderer names already installed."""
    from core.manager import build_registry

    reg = build_registry()
    names = set(reg.plugins)
    for kind in ("sources", "transforms", "metrics", "renderers"):
        names |= set(getattr(reg, kind))
    return names


def render_files(name: str, kind: str) -> dict[str, str]:
    """The generated files (relative path → text) for plugin ``name`` of ``kind``."""
    if kind not in KINDS:
        raise ConfigError(f"unknown plugin kind '{kind}'; use one of {', '.join(KINDS)}")
    values = {
        "name": name,
        "kind": kind,
        "module": f"communityroi_{name}",
        "dist": "communityroi-" + name.replace("_", "-"),
        "title": _TITLES[kind],
    }

    def fill(rel: str) -> str:
        return _template(rel).substitute(values)

    values["usage"] = fill(f"{kind}/usage.md")
    return {
        "pyproject.toml": fill("pyproject.toml"),
        "README.md": fill("README.md"),
        "conftest.py": fill("conftest.py"),
        f"{values['module']}.py": fill(f"{kind}/module.py"),
        f"tests/test_{name}.py": fill(f"{kind}/test.py"),
    }


def scaffold(
    name: str, kind: str, target: Path | None = None, *, taken: set[str] | None = None
) -> list[Path]:
    """Write the package for plugin ``name`` into ``target`` (default
    ``./communityroi-<name>``), which must not exist or be empty. Returns the files."""
    check_name(name, installed_names() if taken is None else taken)
    files = render_files(name, kind)
    target = Path(target) if target is not None else Path("communityroi-" + name.replace("_", "-"))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} already exists and is not empty; choose another --dir")
    written = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
