"""Expression helpers shared by the built-in metrics.

Small functions that take and return Polars expressions; nothing here collects. What
"member", "active", "paid order" and "buyer" mean is public, in :mod:`communityroi.views`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import polars as pl


def scipy_modules(*names: str) -> Callable[[], None]:
    """A ``MetricSpec.prepare`` step that imports ``scipy.<name>`` for each name. The
    built-in metrics import scipy where they use it (each module ≈ 0.1 s to import, which
    every command would otherwise pay at start-up); the core runs this while the frames
    collect, so the builds find it imported."""

    def step() -> None:
        for name in names:
            importlib.import_module(f"scipy.{name}")

    return step


def safe_div(num: str | pl.Expr, den: str | pl.Expr) -> pl.Expr:
    """``num / den``, null when the denominator is zero or null.

    >>> pl.select(safe_div(pl.lit(1.0), pl.lit(0.0))).item() is None
    True
    """
    n = pl.col(num) if isinstance(num, str) else num
    d = pl.col(den) if isinstance(den, str) else den
    return pl.when(d != 0).then(n / d)
