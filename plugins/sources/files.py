"""The generic ``files`` source: one file per canonical table, in CSV, TSV, Parquet,
NDJSON, JSON or XLSX, with a header mapping for the user's own export columns.

```toml
[[sources]]
type = "files"
members = "exports/members.csv"
orders = "exports/orders.xlsx"
columns = { orders = { 订单号 = "order_id", 下单时间 = "at", 实付金额 = "amount" } }
values = { orders = { status = { 已支付 = "paid", 已退款 = "refunded" } } }
```

Text files are read with every column as text, so the core's boundary check can name
the row and column of a bad date or amount; Parquet keeps its types.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from communityroi import TABLE_NAMES, DataError, SourceContext, SourceFrame, SourceSpec, hookimpl
from plugins.sources import _io


class FilesOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: str | None = None
    activities: str | None = None
    orders: str | None = None
    costs: str | None = None
    campaigns: str | None = None
    groups: str | None = None
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    sheets: dict[str, str] = Field(default_factory=dict)  # XLSX sheet per table
    platform: str = "files"
    timezone: str | None = None  # for timestamps without an offset (default: report's)


def _scan(path: Path, sheet: str | None) -> tuple[pl.LazyFrame, int, str]:
    """Scan one file lazily; returns (frame, row number of the first data row, label)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _io.scan_csv(path, separator="\t" if suffix == ".tsv" else ","), 2, "row"
    if suffix == ".parquet":
        return pl.scan_parquet(path), 1, "row"
    if suffix in (".ndjson", ".jsonl"):
        return pl.scan_ndjson(path, infer_schema_length=None), 1, "line"
    if suffix == ".json":
        return pl.read_json(path).lazy(), 1, "item"
    if suffix in (".xlsx", ".xlsm", ".xls"):
        kwargs = {"sheet_name": sheet} if sheet else {"sheet_id": 1}
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0, **kwargs)
        return frame.lazy(), 2, "row"
    raise DataError(
        f"{path}: unsupported file type '{suffix}'; use CSV, TSV, Parquet, NDJSON, JSON or XLSX"
    )


def _mapped(frame: pl.LazyFrame, table: str, opts: FilesOptions, origin: str) -> pl.LazyFrame:
    have = frame.collect_schema().names()
    mapping = opts.columns.get(table, {})
    missing = [src for src in mapping if src not in have]
    if missing:
        raise DataError(
            f"{origin}: column '{missing[0]}' named in columns.{table} is not in "
            f"the file (found: {', '.join(have)})"
        )
    frame = frame.rename(mapping)
    names = frame.collect_schema().names()
    for column, values in opts.values.get(table, {}).items():
        if column in names:
            frame = frame.with_columns(pl.col(column).cast(pl.String).replace(values))
    if table == "orders" and "status" in names:  # 已支付 / Paid / 已退款 … → canonical
        frame = frame.with_columns(_io.canonical_status(pl.col("status").cast(pl.String)))
    return frame


def load(opts: FilesOptions, ctx: SourceContext) -> list[SourceFrame]:
    unknown = set(opts.columns) | set(opts.values) | set(opts.sheets)
    unknown -= set(TABLE_NAMES)
    if unknown:
        raise DataError(
            f"files source: '{sorted(unknown)[0]}' is not a table; use one of "
            f"{', '.join(TABLE_NAMES)}"
        )
    out = []
    for table in TABLE_NAMES:
        name = getattr(opts, table)
        if not name:
            continue
        path = ctx.resolve(name)
        if not path.is_file():
            raise DataError(
                f"{table} = '{name}': no such file ({path}); check the path in "
                f"the config (relative paths start at the config's folder)"
            )
        ctx.progress(f"reading {path.name}")
        try:
            frame, base, label = _scan(path, opts.sheets.get(table))
        except DataError:
            raise
        except Exception as exc:
            raise DataError(
                f"{path}: cannot read it as {path.suffix.lstrip('.').upper()}: "
                f"{str(exc).splitlines()[0]}"
            ) from None
        out.append(
            SourceFrame(
                table,
                _mapped(frame, table, opts, str(name)),
                origin=str(name),
                row_base=base,
                row_label=label,
                platform=opts.platform,
                timezone=opts.timezone,
            )
        )
    if not out:
        raise DataError("files source names no file; set at least one of " + ", ".join(TABLE_NAMES))
    return out


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="files",
            load=load,
            options=FilesOptions,
            description="CSV/TSV/Parquet/NDJSON/JSON/XLSX files, one per canonical "
            "table, with header mapping",
        )
    ]
