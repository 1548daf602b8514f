"""One client's run in a worker: the :class:`Job` sent to it, the :class:`Outcome` it
sends back, and :func:`run_client`, which builds the report into a hidden staging folder
and swaps it in (see :mod:`core.batch`). A job is plain, picklable data: resolved settings,
the period, the output folder and the earlier history the trend lines show; a worker opens
no database and reads no clock for the report.
"""

from __future__ import annotations

import math
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import CommunityROIError
from core.history import KpiRow
from core.periods import NamedPeriod
from core.settings import Settings

if TYPE_CHECKING:
    from core.agency import AgencyConfig, Plan


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to build one client's report (no database, no clock)."""

    name: str
    settings: Settings
    out_dir: str  # OUT/<client>; the staging folder is made beside it
    formats: tuple[str, ...]
    period: NamedPeriod
    earlier: tuple[dict[str, Any], ...]  # history rows the trend lines show


@dataclass
class Outcome:
    """What one client's run gave: ``status`` ok / failed / skipped."""

    name: str
    status: str
    error: str | None = None
    outputs: list[str] = field(default_factory=list)
    kpis: list[KpiRow] = field(default_factory=list)
    seconds: float = 0.0
    period: NamedPeriod | None = None
    input_hash: str | None = None
    currency: str | None = None  # the client's report currency and display name
    client: str | None = None  # (report.client), for the portfolio


def one_line(exc: BaseException) -> str:
    """A user error's own message; anything else with its type (first line only)."""
    text = str(exc) if isinstance(exc, CommunityROIError) else f"{type(exc).__name__}: {exc}"
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def run_client(job: Job) -> Outcome:
    """Build one client's report into ``job.out_dir`` (runs in a worker). Never raises for
    a problem of the client's own: the outcome says ``failed`` with a one-line error."""
    from core.pipeline import run
    from core.trends import trend_section

    t0 = time.perf_counter()
    final = Path(job.out_dir)
    staging = final.with_name(f".{final.name}.partial-{uuid.uuid4().hex[:12]}")
    try:
        result = run(
            job.settings,
            formats=list(job.formats),
            out_dir=staging,
            more_sections=lambda sections, _p: trend_section(
                sections, job.period, list(job.earlier)
            ),
        )
        swap_in(staging, final)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return Outcome(
            job.name, "failed", one_line(exc), seconds=time.perf_counter() - t0, period=job.period
        )
    kpis = [
        KpiRow(
            f"{s.metric}.{k.key}",
            _num(k.value),
            k.unit,
            k.headline,
            k.label.en,
            k.label.zh,
            _num(k.previous),
            _num(k.change),
            k.higher_is_better,
        )
        for s in result.report.sections
        for k in s.kpis
    ]
    outputs = sorted(p.name for p in result.written)
    return Outcome(job.name, "ok", None, outputs, kpis, time.perf_counter() - t0, job.period)


def _num(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None  # NaN, inf: no value


def swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` by the finished ``staging`` folder (two renames on one disk)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:12]}")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class Batch:
    """The outcome of a whole batch, in agency.toml order."""

    agency: AgencyConfig
    period: str | None
    out: Path
    outcomes: list[Outcome]
    history: str
    engine: str
    plans: list[Plan] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]
