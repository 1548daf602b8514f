"""The ``preset`` source: shop order exports and paid-circle memberships read through a
declarative preset (a small TOML file per platform; see :mod:`._preset_spec` and "Presets"
in docs/connectors-business.md).

```toml
[[sources]]
type = "preset"
path = "exports/ExportOrderList*.csv"   # a file or a glob (CSV/TSV any encoding, or XLSX)
# preset = "tmall"                      # default: recognised from the header row
# presets = ["my_presets/"]             # your own preset files or folders
# circle = "读书会星球"                  # memberships: the circle when no column names it
```

``communityroi validate FILE`` recognises a file from its header row alone and names the
preset; ``validate FILE --json`` reports it as ``sources[].options.preset``.
"""

from __future__ import annotations

import glob
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from communityroi import DataError, Detected, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources import _preset_read as read
from plugins.sources._files_recognise import TABULAR, headers_of
from plugins.sources._preset_spec import Fit, all_presets, best_fit, fit, nearest


class PresetOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str  # a file or a glob of files
    preset: str | None = None  # default: the preset the header row fits
    presets: list[str] = Field(default_factory=list)  # extra preset files or folders
    sheet: str | None = None  # XLSX sheet (default: the first)
    circle: str | None = None  # memberships: the circle's name when no column says


def _fit_for(headers: list[str], opts: PresetOptions, ctx: SourceContext, origin: str) -> Fit:
    """The preset for a file's header row (as the file writes it): the one named, or the
    one the row fits."""
    presets = all_presets([ctx.resolve(p) for p in opts.presets])
    if opts.preset is not None:
        if opts.preset not in presets:
            raise DataError(
                f"preset '{opts.preset}' not found; known: {', '.join(sorted(presets))} "
                "(your own go in a presets folder, see docs/connectors-business.md)"
            )
        got = fit(headers, presets[opts.preset])
        if not got.ok:
            raise DataError(
                f"{origin}: the header row does not fit preset {opts.preset} (no header for "
                f"{', '.join(got.missing)}); check the export, or add the header name as a "
                f"variant under [columns] in the preset"
            )
        return got
    got = best_fit(headers, presets)
    if got is None:
        near = nearest(headers, presets)
        raise DataError(
            f"{origin}: no preset fits its header row"
            + (f" (closest: {near.preset.name}, no header for {', '.join(near.missing)})"
               if near else "")
            + "; name one with preset = \"…\", or write a preset for this export"
        )  # fmt: skip
    return got


def load(opts: PresetOptions, ctx: SourceContext) -> list[SourceFrame]:
    pattern = ctx.resolve(opts.path)
    # a file named as it is ('订单报表[1].csv' is no glob: validate passes the file itself)
    if Path(pattern).is_file():
        paths = [Path(pattern)]
    else:
        paths = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not paths:
        raise DataError(f"{pattern}: no such file; check 'path' of the preset source")
    out = []
    for path in paths:
        origin = str(path)
        frame = read.read_rows(path, opts.sheet, origin)
        names = frame.collect_schema().names()
        got = _fit_for(names, opts, ctx, origin)
        p = got.preset
        ctx.progress(f"reading {path.name} ({p.label})")
        read.check_duplicates(names, got, origin)
        kw = {"origin": origin, "platform": p.platform, "timezone": p.timezone}
        if p.table == "orders":
            out.append(SourceFrame("orders", read.orders(frame, got, origin, ctx), **kw))
            continue
        for table, part in read.memberships(frame, got, origin, opts.circle).items():
            out.append(SourceFrame(table, part, **kw))
    return out


def _detect(path: Path) -> Detected | bool:
    """``Detected("preset tmall: 天猫/淘宝 订单报表 (订单编号, …)", {"preset": "tmall"})``."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in TABULAR:
        return False
    try:
        got = best_fit(headers_of(path), all_presets())
    except Exception:
        return False
    return Detected(got.describe(), {"preset": got.preset.name}) if got else False


def _hint(path: Path) -> str | None:
    """For a file no source recognises: the preset it nearly fits."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in TABULAR:
        return None
    try:
        presets = all_presets()
    except DataError as exc:  # a broken preset in the user's folder: say so, not nothing
        return f"preset: {exc}"
    try:
        near = nearest(headers_of(path), presets)
    except Exception:
        return None
    if near is None:
        return None
    return (
        f"preset: {path.name} nearly fits preset {near.preset.name} ({near.preset.title}) "
        f"but has no header for {', '.join(near.missing)}; if your export names it "
        f"differently, add that name under [columns] in a copy of the preset (see "
        f"'Presets' in docs/connectors-business.md)"
    )


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="preset",
            description="shop order exports (天猫/淘宝, 抖店, 有赞, 微店, 小鹅通) and paid-circle "
            "memberships (知识星球, 小鹅通) through declarative presets",
            load=load,
            options=PresetOptions,
            detect=_detect,
            hint=_hint,
        )
    ]
