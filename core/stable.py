"""What the core does to every metric's output: check its shape, round floats to 12
significant digits and turn person keys back to text (same input, same report)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from core.report import Section
from core.specs import MetricResult


def _checked(result: object) -> MetricResult:
    if not isinstance(result, MetricResult):
        raise TypeError(f"compute returned {type(result).__name__}, expected MetricResult")
    for key, frame in result.frames.items():
        if not isinstance(frame, pl.LazyFrame):
            raise TypeError(f"frame '{key}' is a {type(frame).__name__}, expected LazyFrame")
    unknown = set(result.kpi_frames or ()) - set(result.frames)
    if unknown:
        raise TypeError(f"kpi_frames names frames it does not return: {sorted(unknown)}")
    return result


def _stable(df: pl.DataFrame) -> pl.DataFrame:
    """Round floats to 12 significant digits; person keys back to text.

    Multi-threaded float sums differ in their last bits from run to run (the order of
    partial sums varies); rounding far above that noise keeps "same input, same report"
    true byte for byte while changing no reported digit. Categorical columns (person
    keys, whose type in ``CommunityData`` is ``core.schema.PERSON_KEY``; also inside lists
    and structs) become ``pl.String`` again, so ``build`` and the report see ids as text.
    """
    floats = [c for c, t in df.schema.items() if t in (pl.Float64, pl.Float32)]
    texts = {c: _as_text(t) for c, t in df.schema.items()}
    cats = [pl.col(c).cast(t) for c, t in texts.items() if t != df.schema[c]]
    if not floats and not cats:
        return df
    return df.with_columns(pl.col(floats).round_sig_figs(12), *cats)


def _as_text(dtype: pl.DataType) -> pl.DataType:
    """``dtype`` with every Categorical in it — nested in lists, arrays and structs too —
    replaced by String."""
    if isinstance(dtype, pl.Categorical):
        return pl.String()
    if isinstance(dtype, pl.List):
        return pl.List(_as_text(dtype.inner))
    if isinstance(dtype, pl.Array):
        return pl.Array(_as_text(dtype.inner), dtype.shape)
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, _as_text(f.dtype)) for f in dtype.fields])
    return dtype


def _sig(value):
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _stable_section(section: Section) -> Section:
    """The same rounding for what ``build`` computed eagerly: KPI values and tables."""
    return replace(
        section,
        kpis=tuple(
            k.with_(value=_sig(k.value), low=_sig(k.low), high=_sig(k.high)) for k in section.kpis
        ),
        tables=tuple(replace(t, data=_stable(t.data)) for t in section.tables),
    )
