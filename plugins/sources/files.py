"""The generic ``files`` source: one file per canonical table, in CSV, TSV, Parquet,
NDJSON, JSON or XLSX, with a header mapping for the user's own export columns.

```toml
[[sources]]
type = "files"
members = "exports/members.csv"
orders = "exports/orders.xlsx"
columns = { orders = { 订单号 = "order_id", 下单时间 = "at", 实付金额 = "amount" } }
values = { orders = { status = { 已支付 = "paid", 已退款 = "refunded" } } }

[[sources]]
type = "files"
path = "exports/订单导出.csv"     # one file; its table is recognised from its headers
```

Headers are matched after the user's ``columns`` through :data:`HEADERS` (English names
and common variants, and the usual Chinese ones; compared trimmed, case-insensitively,
ignoring spaces, ``_`` and ``-``). A file is recognised as the table whose required
columns its headers all name (:func:`recognise`); ``validate FILE`` uses :func:`detect`,
and :func:`hint` shows the headers and a ``[[sources]]`` snippet when none fits.

Text files are read with every column as text, so the core's boundary check can name
the row and column of a bad date or amount; Parquet keeps its types. Reading never
guesses a number in silence: a duplicated header is an error naming both columns;
``;``-delimited CSVs are sniffed; decimal commas (``1.234,50``) are read when the file
writes its numbers consistently so, else refused with the row; Excel serial dates
(``45567.5``) in date columns are read as dates; a totals row (合计 / Total, or no order
id) at the end of an orders file is dropped and reported; a bad NDJSON line stops the
load with its line number.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from communityroi import (
    SCHEMA,
    TABLE_NAMES,
    DataError,
    SourceContext,
    SourceFrame,
    SourceSpec,
    hookimpl,
)
from plugins.sources import _io
from plugins.sources._files_recognise import (
    GUESS,
    HEADERS,
    TABULAR,
    Match,
    closest,
    detect,
    excel_headers,
    headers_of,
    hint,
    match_headers,
    recognise,
    required_columns,
)
from plugins.sources.ledger import category_expr, day_expr

__all__ = [  # recognising a file by its headers, in _files_recognise.py
    "GUESS", "HEADERS", "TABULAR", "Match", "closest", "detect", "headers_of", "hint",
    "match_headers", "recognise",
]  # fmt: skip

TOTAL_WORDS = ("合计", "总计", "小计", "total", "totals", "sum", "grand total")


class FilesOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = None  # one file; its table is recognised from its headers
    table: str | None = None  # the table of ``path`` when the headers do not say
    sheet: str | None = None  # XLSX sheet of ``path``
    members: str | None = None
    activities: str | None = None
    orders: str | None = None
    costs: str | None = None
    campaigns: str | None = None
    groups: str | None = None
    operator_days: str | None = None
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    sheets: dict[str, str] = Field(default_factory=dict)  # XLSX sheet per table
    platform: str = "files"
    timezone: str | None = None  # for timestamps without an offset (default: report's)


# -- reading ------------------------------------------------------------------------------


def _scan(path: Path, sheet: str | None, origin: str) -> tuple[pl.LazyFrame, int, str]:
    """Scan one file lazily; returns (frame, row number of the first data row, label)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        sep = "\t" if suffix == ".tsv" else None  # sniffed: , ; tab |
        return _io.scan_csv(path, separator=sep, origin=origin), 2, "row"
    if suffix == ".parquet":
        return pl.scan_parquet(path), 1, "row"
    if suffix in (".ndjson", ".jsonl"):
        _io.check_ndjson(path, origin)
        return pl.scan_ndjson(path, infer_schema_length=None), 1, "line"
    if suffix == ".json":
        return pl.read_json(path).lazy(), 1, "item"
    if suffix in _io.EXCEL_SUFFIXES:
        _io.check_unique_headers(excel_headers(path, sheet), origin)
        kwargs = {"sheet_name": sheet} if sheet else {"sheet_id": 1}
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0, **kwargs)
        return frame.lazy(), 2, "row"
    raise DataError(
        f"{path}: unsupported file type '{suffix}'; use CSV, TSV, Parquet, NDJSON, JSON or XLSX"
    )


def _is_total(expr: pl.Expr) -> pl.Expr:
    text = _io.blank_to_null(expr).str.to_lowercase()
    return text.is_in(TOTAL_WORDS).fill_null(False)


def _totals(
    frame: pl.LazyFrame, first: str | None, origin: str, ctx: SourceContext, *, typed: bool
) -> pl.LazyFrame:
    """Drop (and report) the totals rows at the end of an orders file: rows after the last
    order whose order id is empty or 合计/Total, or whose first column says 合计/Total. A
    totals row inside the file has its amount refused at the boundary (with its row).

    ``typed`` (Parquet): first one cheap scan of the id columns; a file with no totals row
    whose last row is an order is returned as it is (the general plan below holds every
    row until it knows the last order, and turns every amount into text to mark one)."""
    names = frame.collect_schema().names()
    if "order_id" not in names:
        return frame
    total = _is_total(pl.col("order_id"))
    if first is not None and first in names and first != "order_id":
        total = total | _is_total(pl.col(first))
    real = _io.blank_to_null("order_id").is_not_null() & ~total
    if typed:
        found = frame.select(total.any().alias("total"), real.last().alias("last")).collect()
        if not found["total"].item() and found["last"].item() is not False:
            return frame
    indexed = frame.with_row_index("__total_i")
    last = pl.col("__total_i").filter(real).max()
    keep = pl.col("__total_i") <= last.fill_null(pl.len())  # no order at all: keep all
    ctx.drop(
        origin,
        "totals row at the end of the orders file (合计/总计/Total or no order id); not an order",
        indexed.select((~keep).sum()),
    )
    kept = indexed.filter(keep).drop("__total_i")
    if "amount" in names:
        marked = pl.col("amount").cast(pl.String) + pl.lit(
            " (a 合计/Total row inside the file; remove it, or the orders count twice)"
        )
        kept = kept.with_columns(
            pl.when(total).then(marked).otherwise(pl.col("amount")).alias("amount")
        )
    return kept


def _trailing_blanks(
    frame: pl.LazyFrame, origin: str, ctx: SourceContext, *, typed: bool = False
) -> pl.LazyFrame:
    """Drop (and report) the empty rows spreadsheets leave at the end (``,,,,``); empty
    rows in between stay, so the boundary names them with their row.

    ``typed`` (Parquet: the last row is read without the rest): a file whose last row is
    filled has none and is returned as it is — the general plan tests every cell of every
    row and holds the whole file until it knows the last filled row (on 10 M activities,
    seconds and 1.8 GB)."""
    schema = frame.collect_schema()
    if not schema:
        return frame
    filled = pl.any_horizontal(
        (_io.blank_to_null(c) if t == pl.String else pl.col(c)).is_not_null()
        for c, t in schema.items()
    )
    if typed and frame.tail(1).select(filled.all()).collect().item() is not False:
        return frame  # the last row is filled, or there is none
    indexed = frame.with_row_index("__blank_i")
    keep = pl.col("__blank_i") <= pl.col("__blank_i").filter(filled).max().fill_null(-1)
    ctx.drop(origin, "empty row at the end of the file", indexed.select((~keep).sum()))
    return indexed.filter(keep).drop("__blank_i")


def _mapped(
    frame: pl.LazyFrame,
    table: str,
    opts: FilesOptions,
    origin: str,
    ctx: SourceContext,
    *,
    typed: bool = False,
) -> pl.LazyFrame:
    have = frame.collect_schema().names()
    user = opts.columns.get(table, {})
    missing = [src for src in user if src not in have]
    if missing:
        raise DataError(
            f"{origin}: column '{missing[0]}' named in columns.{table} is not in "
            f"the file (found: {', '.join(have)})"
        )
    mapping = match_headers(have, table, user).mapping
    # an unmapped column already holding a canonical name that a mapped one takes goes
    clash = [h for h in have if h in mapping.values() and h not in mapping]
    frame = frame.drop(clash).rename({h: c for h, c in mapping.items() if h != c})
    frame = _trailing_blanks(frame, origin, ctx, typed=typed)
    schema = frame.collect_schema()
    names = schema.names()
    for column, values in opts.values.get(table, {}).items():
        if column in names:
            frame = frame.with_columns(pl.col(column).cast(pl.String).replace(values))
    if table == "orders" and "status" in names:  # 已支付 / Paid / 已退款 … → canonical
        frame = frame.with_columns(_io.canonical_status(pl.col("status").cast(pl.String)))
    if table == "costs" and "category" in names and schema["category"] == pl.String:
        label = _io.blank_to_null("category")  # 人工 → labour, 广告费 → ads (as the ledger)
        frame = frame.with_columns(pl.coalesce(category_expr(label), label).alias("category"))
    spec = SCHEMA[table]
    text = {n for n, t in schema.items() if t == pl.String}
    dates = [c.name for c in spec.columns if c.dtype in (pl.Date, pl.Datetime("us", "UTC"))]
    fixes = [_io.excel_serial_dates(c).alias(c) for c in dates if c in text]
    if table == "costs" and "incurred_on" in text:
        fixes = [
            e if e.meta.output_name() != "incurred_on" else day_expr(e).alias("incurred_on")
            for e in fixes
        ]
    if fixes:
        frame = frame.with_columns(fixes)
    frame = _io.decimal_commas(frame, [c.name for c in spec.columns if c.dtype == pl.Float64])
    if table == "orders":
        first = next((h for h in have if h.strip()), None)
        frame = _totals(frame, mapping.get(first, first), origin, ctx, typed=typed)
    return frame


def _frame(
    table: str, name: str, path: Path, sheet: str | None, opts: FilesOptions, ctx: SourceContext
) -> SourceFrame:
    ctx.progress(f"reading {path.name}")
    try:
        frame, base, label = _scan(path, sheet, name)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"{path}: cannot read it as {path.suffix.lstrip('.').upper()}: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    return SourceFrame(
        table,
        _mapped(frame, table, opts, name, ctx, typed=path.suffix.lower() == ".parquet"),
        origin=name,
        row_base=base,
        row_label=label,
        platform=opts.platform,
        timezone=opts.timezone,
    )


def _file(name: str, what: str, ctx: SourceContext) -> Path:
    path = ctx.resolve(name)
    if not path.is_file():
        raise DataError(
            f"{what} = '{name}': no such file ({path}); check the path in "
            f"the config (relative paths start at the config's folder)"
        )
    return path


def _table_of(path: Path, opts: FilesOptions, name: str) -> str:
    if opts.table is not None:
        return opts.table
    try:
        headers = headers_of(path, opts.sheet)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{name}: cannot read its headers ({str(exc).splitlines()[0]})") from None
    match = recognise(headers, opts.columns)
    if match is not None:
        return match.table
    near = closest([h for h in headers if h.strip()])
    need = near.missing[0] if near.missing else required_columns(near.table)[0]
    raise DataError(
        f"{name}: the headers ({', '.join(h for h in headers if h.strip()) or 'none'}) make "
        f"no canonical table (closest: {near.table}"
        + (f", no header for {', '.join(near.missing)}" if near.missing else "")
        + f'); set table = "{near.table}" and map them, e.g. columns = {{ {near.table} = '
        f'{{ "<your header>" = "{need}" }} }}'
    )


def load(opts: FilesOptions, ctx: SourceContext) -> list[SourceFrame]:
    unknown = set(opts.columns) | set(opts.values) | set(opts.sheets)
    unknown |= {opts.table} if opts.table is not None else set()
    unknown -= set(TABLE_NAMES)
    if unknown:
        raise DataError(
            f"files source: '{sorted(unknown)[0]}' is not a table; use one of "
            f"{', '.join(TABLE_NAMES)}"
        )
    out = []
    if opts.path:
        path = _file(opts.path, "path", ctx)
        table = _table_of(path, opts, opts.path)
        out.append(_frame(table, opts.path, path, opts.sheet, opts, ctx))
    for table in TABLE_NAMES:
        name = getattr(opts, table)
        if name:
            path = _file(name, table, ctx)
            out.append(_frame(table, name, path, opts.sheets.get(table), opts, ctx))
    if not out:
        raise DataError(
            "files source names no file; set path, or at least one of " + ", ".join(TABLE_NAMES)
        )
    return out


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="files",
            load=load,
            options=FilesOptions,
            description="CSV/TSV/Parquet/NDJSON/JSON/XLSX files, one per canonical "
            "table (recognised by their headers, or mapped)",
            detect=detect,
            hint=hint,
            generic=True,  # a platform source's match on the same file wins
        )
    ]
