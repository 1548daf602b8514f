"""Plugins' one-time set-up, run in the background while the metrics collect.

A report spends its first second importing libraries and its last seconds in the PDF
renderer, one core busy; in between, the metrics' ``collect_all`` runs in Polars' threads
with the interpreter idle. ``MetricSpec.prepare()`` and ``RendererSpec.prepare(context)``
are what a plugin would otherwise do on first use — import scipy or WeasyPrint, load
fonts, compile templates — and the core runs them, one after another, in one thread
started when the collect starts (:func:`core.metrics.run_all`). Renderers wait for it
before rendering; a build that imports a module the thread is still importing waits for
that import (Python's import lock), so nothing is done twice or half-done.

A step that raises is ignored here: the same work fails again where the plugin does it
for real, and is reported there with the plugin named. Steps must be idempotent and safe
to run beside the metrics' own code (module imports and process-wide caches are).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

Step = Callable[[], object]


class Prepare:
    """Steps run in one background thread; :meth:`start` once, :meth:`wait` before use."""

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        self._steps = list(steps)
        self._thread: threading.Thread | None = None

    def start(self, more: Iterable[Step] = ()) -> None:
        """Add ``more`` steps and start the thread; once it has started, nothing more."""
        if self._thread is not None:
            return
        self._steps.extend(more)
        if not self._steps:
            return
        # not a daemon: an interpreter that exits mid-import can crash, so a failing run
        # waits for the last step (at most the import in progress)
        self._thread = threading.Thread(target=self._run, name="communityroi-prepare")
        self._thread.start()

    def _run(self) -> None:
        for step in self._steps:
            try:
                step()
            except Exception:  # the real call raises it again, naming the plugin
                continue

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
