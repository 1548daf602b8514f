"""The memory allocator's options for one ``communityroi`` process (issue 17).

Polars allocates through jemalloc (Linux and macOS) and reads its options from the
environment variable ``_RJEM_MALLOC_CONF`` when ``polars`` is first imported: it starts
from its own ``dirty_decay_ms:500,muzzy_decay_ms:1000`` and appends the variable's value,
later options winning. With those defaults a report run hands freed column buffers back
to the operating system half a second after it frees them, spread over 4 × CPUs arenas,
so the next query's buffers are fresh pages the kernel must map and zero: on the bench
data (10 M activities) 1.7 M page faults and ≈ 6 CPU-s of system time per run, a sixth
of the run's CPU.

A report is one batch job that frees and re-allocates the same sizes over and over, so
the installed program (:func:`core.cli.console`) asks, before Polars loads, for freed
memory to be kept for 2 s (``dirty_decay_ms`` / ``muzzy_decay_ms``), for fewer arenas
(one per four CPUs, at least one) so a buffer freed by one thread is found by the next
allocation of another, and for no separate arena for allocations of 8 MiB and more
(``oversize_threshold:0``: that arena returns memory at once, and a report's large
column buffers are exactly what it reuses). Measured on the bench data (2 cores,
``bench/README.md``): page faults 1.7 M → 0.8 M, system time ≈ 6 → ≈ 3.7 CPU-s, peak
memory 1.9 → 2.0 GB.

A ``_RJEM_MALLOC_CONF`` the user set is left as it is (theirs wins), and nothing is set
once Polars is loaded (too late to matter: in-process callers such as the tests).
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

VARIABLE = "_RJEM_MALLOC_CONF"
KEEP_FREED_MS = 2000  # how long freed pages stay with the process for reuse


def options(cpus: int | None = None) -> str:
    """The jemalloc options for a machine with ``cpus`` CPUs (default: this one)."""
    arenas = max(1, (cpus or os.cpu_count() or 1) // 4)
    return (
        f"narenas:{arenas},dirty_decay_ms:{KEEP_FREED_MS},muzzy_decay_ms:{KEEP_FREED_MS},"
        "oversize_threshold:0"
    )


def tune(environ: MutableMapping[str, str] | None = None) -> str | None:
    """Set :data:`VARIABLE` to :func:`options` unless it is set or Polars is loaded;
    returns what was set (None: nothing)."""
    environ = os.environ if environ is None else environ
    if VARIABLE in environ or "polars" in sys.modules:
        return None
    environ[VARIABLE] = options()
    return environ[VARIABLE]
