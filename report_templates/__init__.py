"""The bundled templates, styles and fonts (package data).

:func:`bundled` is the one place that finds them: the core (built-in template folder),
the HTML renderer (default theme) and the PDF renderer (fonts) all ask it.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled(*parts: str) -> Path:
    """Path of a bundled file or folder, e.g. ``bundled("fonts")``; ``bundled()`` is the
    package folder itself (installed or in a source checkout alike)."""
    return Path(str(files(__name__))).joinpath(*parts)
