"""Testing helpers for plugin authors (opt in with ``pytest_plugins = ["communityroi.testing"]``
or import the functions directly).

- :func:`make_data` — CommunityData from small frames, through the same boundary checks.
- :func:`run_metric` — run one metric on small frames and get its collected Section.
- :func:`check_source` — run a source and validate its output against the canonical schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from core.data import CommunityData
from core.data import make_data as _assemble
from core.errors import DataError
from core.loading import Loaded, conform_frames
from core.metrics import MetricJob, run_metrics
from core.report import Period, Section
from core.specs import MetricSpec, SourceContext, SourceFrame, SourceSpec


def make_data(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame | list[dict]],
    *,
    start: date,
    end: date,
    timezone: str = "UTC",
    currency: str = "CNY",
    fx_rates: dict[str, float] | None = None,
) -> CommunityData:
    """Conform ``tables`` (canonical column names; text dates and amounts are fine) and
    return CommunityData for the period ``start``–``end`` (inclusive). Raises DataError
    listing every problem, like the real pipeline."""
    parts = []
    for name, frame in tables.items():
        if isinstance(frame, list):
            frame = pl.DataFrame(frame)
        parts.append(SourceFrame(name, frame.lazy(), origin=f"<{name}>", platform="test"))
    loaded = conform_frames(parts, tz=timezone, currency=currency, fx_rates=fx_rates)
    if loaded.problems:
        raise DataError(loaded.problems)
    return _assemble(loaded.frames, Period(start, end), timezone, currency)


def run_metric(spec: MetricSpec, data: CommunityData, options: Any = None) -> Section:
    """Compute, collect and build one metric exactly as the pipeline does (strict)."""
    if options is None and spec.options is not None:
        options = spec.options()
    elif isinstance(options, dict) and spec.options is not None:
        options = spec.options(**options)
    (section,) = run_metrics(data, [MetricJob(spec, options, f"plugin '{spec.name}'")], strict=True)
    return section


def check_source(
    spec: SourceSpec,
    options: Any,
    *,
    base_dir: Path | str = ".",
    timezone: str = "UTC",
    currency: str = "CNY",
) -> dict[str, pl.DataFrame]:
    """Load a source, conform its frames and return them collected; DataError on problems."""
    if isinstance(options, dict) and spec.options is not None:
        options = spec.options(**options)
    ctx = SourceContext(base_dir=Path(base_dir), timezone=timezone, currency=currency)
    loaded: Loaded = conform_frames(list(spec.load(options, ctx)), tz=timezone, currency=currency)
    if loaded.problems:
        raise DataError(loaded.problems)
    names = list(loaded.frames)
    return dict(zip(names, pl.collect_all([loaded.frames[n] for n in names]), strict=True))
