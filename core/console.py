"""The command line's consoles, made on first use: ``communityroi --help`` needs none, and
importing rich costs ≈ 25 ms of a start-up that is ≈ 0.15 s in all (bench/bench_startup.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """A ``rich.console.Console(**options)`` created when first used."""

    def __init__(self, **options: Any):
        self._options = options
        self._console = None

    @property
    def real(self) -> Console:
        """The console itself, to hand to rich (``Progress(console=…)``) or other code."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def escape(text: str) -> str:
    """``rich.markup.escape``: text shown as it is, never read as rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


err = LazyConsole(stderr=True)
out = LazyConsole()
