"""Install plugin packages editable into the running environment for a test, and remove
them afterwards (used by test_plugin_authors.py and test_scaffold.py).

``pip install --no-deps --no-build-isolation`` needs no network: it builds with the
setuptools (and wheel) already installed. Where that setuptools cannot build editable
wheels offline (older setuptools without ``wheel``), it retries with build isolation.
"""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def install(*folders: Path) -> None:
    editable = [a for f in folders for a in ("-e", str(f))]
    done = _run([*PIP, "install", "--no-deps", "--no-build-isolation", "--no-index", *editable])
    if done.returncode != 0 and "bdist_wheel" in done.stdout + done.stderr:
        done = _run([*PIP, "install", "--no-deps", *editable])
    if done.returncode != 0:
        raise RuntimeError(f"pip install failed:\n{done.stdout}\n{done.stderr}")


def uninstall(*distributions: str) -> None:
    present = [d for d in distributions if _installed(d)]
    if present:
        _run([*PIP, "uninstall", "-y", *present])


def _installed(dist: str) -> bool:
    try:
        md.distribution(dist)
    except md.PackageNotFoundError:
        return False
    return True


@contextmanager
def installed(folders: dict[str, Path]) -> Iterator[None]:
    """``{distribution: folder}`` installed editable for the duration of the block."""
    uninstall(*folders)  # left over from an interrupted run
    try:
        install(*folders.values())
        yield
    finally:
        uninstall(*folders)
