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

import json
import re
from dataclasses import dataclass, field
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
from plugins.sources.ledger import category_expr, day_expr

_ID = ("会员ID", "会员编号", "用户ID", "用户编号", "成员ID", "member", "user_id", "uid")
_CAMPAIGN = ("campaign", "活动ID", "活动编号", "活动")
_GROUP = ("group", "群ID", "群编号", "社群ID", "社群", "群")

# Header aliases per table: canonical column → headers tried in order after the canonical
# name itself (first found wins, so the paid amount 实付金额 beats the list price 订单金额).
# Kept clear of the layouts the dedicated sources detect (Shopify, WeChatMsg), which
# validate would otherwise read as plain files.
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "members": {
        "member_id": _ID,
        "platform": ("平台", "渠道"),
        "joined_at": (
            "joined",
            "join_time",
            "join_date",
            "加入时间",
            "入群时间",
            "入会时间",
            "注册时间",
            "加入日期",
        ),
        "left_at": ("left", "leave_time", "退出时间", "退群时间", "离开时间"),
        "invited_by": ("inviter", "referrer", "邀请人", "邀请人ID", "推荐人"),
        "group_id": _GROUP,
        "segment": ("tier", "level", "分层", "会员等级", "等级"),
        "customer_id": ("customer", "客户ID", "客户编号"),
        "display_name": ("nickname", "昵称", "群昵称", "姓名", "用户名"),
    },
    "activities": {
        "member_id": _ID,
        "platform": ("平台", "渠道"),
        "at": ("time", "timestamp", "时间", "发生时间", "互动时间", "活动时间"),
        "kind": ("activity", "行为", "互动类型", "行为类型"),
        "group_id": _GROUP,
        "target_member_id": ("target", "对象ID", "目标用户ID"),
        "campaign_id": _CAMPAIGN,
    },
    "orders": {
        "order_id": ("order_no", "order_number", "订单号", "订单编号", "订单ID", "单号"),
        "member_id": _ID,
        "customer_id": ("customer", "buyer_id", "客户ID", "客户编号", "买家ID", "买家"),
        "at": (
            "order_time",
            "ordered_at",
            "order_date",
            "created_at",
            "下单时间",
            "创建时间",
            "订单创建时间",
            "下单日期",
            "成交时间",
        ),
        "amount": (
            "paid_amount",
            "order_amount",
            "total",
            "实付金额",
            "支付金额",
            "实付款",
            "付款金额",
            "实收金额",
            "订单金额",
            "金额",
        ),
        "currency": ("币种", "货币"),
        "campaign_id": _CAMPAIGN,
        "status": ("order_status", "订单状态", "交易状态", "状态"),
        "gross_margin": ("margin", "毛利", "毛利润"),
        "paid_at": ("支付时间", "付款时间"),
        "refunded_amount": ("refund_amount", "refund", "退款金额"),
    },
    "costs": {
        "category": ("类别", "费用类别", "分类", "费用类型", "类型", "科目"),
        "amount": ("cost", "金额", "费用", "金额(元)", "金额（元）", "支出金额"),
        "currency": ("币种", "货币"),
        "incurred_on": ("date", "日期", "发生日期", "费用日期", "支出日期"),
        "campaign_id": _CAMPAIGN,
        "group_id": _GROUP,
        "note": ("备注", "说明", "摘要"),
    },
    "campaigns": {
        "campaign_id": ("campaign", "活动ID", "活动编号"),
        "name": ("活动名称", "名称"),
        "kind": ("活动类型", "类型"),
        "group_id": _GROUP,
        "starts_at": ("start", "开始时间", "开始日期"),
        "ends_at": ("end", "结束时间", "结束日期"),
        "budget": ("预算",),
    },
    "groups": {
        "group_id": ("群ID", "群编号", "社群ID"),
        "name": ("群名", "群名称", "名称"),
        "platform": ("平台",),
        "kind": ("群类型", "类型"),
        "created_at": ("建群时间", "创建时间"),
    },
}
TOTAL_WORDS = ("合计", "总计", "小计", "total", "totals", "sum", "grand total")
TABULAR = (".csv", ".tsv", ".txt", ".parquet", ".ndjson", ".jsonl", *_io.EXCEL_SUFFIXES)


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
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    sheets: dict[str, str] = Field(default_factory=dict)  # XLSX sheet per table
    platform: str = "files"
    timezone: str | None = None  # for timestamps without an offset (default: report's)


# -- recognising a table by its headers ---------------------------------------------------


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-]", "", str(header).strip().lstrip("\ufeff").casefold())


def _required(table: str) -> list[str]:
    return [c.name for c in SCHEMA[table].columns if c.required and c.name != "platform"]


@dataclass(frozen=True)
class Match:
    """How a file's headers map to one table: ``mapping`` is file header → canonical."""

    table: str
    mapping: dict[str, str]
    missing: tuple[str, ...]  # required columns no header names
    headers: tuple[str, ...] = field(default=())
    guessed: tuple[str, ...] = ()  # headers in ``mapping`` guessed from a keyword (hints)

    @property
    def recognised(self) -> bool:
        if self.missing:
            return False
        if len(_required(self.table)) >= 2:
            return True
        # one required id column (members, campaigns, groups) says little on its own:
        # at least two columns, and at least half of the file's named headers
        named = [h for h in self.headers if h.strip()]
        return len(self.mapping) >= 2 and 2 * len(self.mapping) >= len(named)

    def describe(self) -> str:
        cols = ", ".join(h if h == c else f"{h} → {c}" for h, c in self.mapping.items())
        return f"{self.table} table by headers ({cols})"


def match_headers(headers: list[str], table: str, user: dict[str, str] | None = None) -> Match:
    """Map ``headers`` to ``table``: the user's mapping (header → canonical) first, then
    each column's canonical name and :data:`HEADERS` aliases, in order."""
    known = [c.name for c in SCHEMA[table].columns]
    mapping: dict[str, str] = {h: c for h, c in (user or {}).items() if h in headers}
    taken = set(mapping.values())
    by_norm: dict[str, list[str]] = {}
    for h in headers:
        if h not in mapping:
            by_norm.setdefault(_norm(h), []).append(h)
    for col in known:
        if col in taken:
            continue
        for alias in (col, *HEADERS[table].get(col, ())):
            hit = next((h for h in by_norm.get(_norm(alias), []) if h not in mapping), None)
            if hit is not None:
                mapping[hit] = col
                taken.add(col)
                break
    missing = tuple(c for c in _required(table) if c not in taken)
    return Match(table, mapping, missing, tuple(headers))


def recognise(headers: list[str], columns: dict[str, dict[str, str]] | None = None) -> Match | None:
    """The table the headers make (most columns named, then most required), or None."""
    found = [match_headers(headers, t, (columns or {}).get(t)) for t in TABLE_NAMES]
    found = [m for m in found if m.recognised]
    if not found:
        return None
    return max(found, key=lambda m: (len(m.mapping), len(_required(m.table))))


# Keywords for guessing a required column from a header no alias names (hints only).
GUESS: dict[str, tuple[str, ...]] = {
    "order_id": ("订单", "单号", "order"),
    "member_id": ("会员", "用户", "成员", "member", "user"),
    "at": ("时间", "日期", "time", "date"),
    "amount": ("金额", "实收", "实付", "付款", "收入", "amount", "price", "total", "sum"),
    "kind": ("类型", "行为", "type", "action"),
    "category": ("类别", "类型", "科目", "category", "type"),
    "incurred_on": ("日期", "时间", "date", "day"),
    "campaign_id": ("活动", "campaign"),
    "group_id": ("群", "group", "channel"),
}


def closest(headers: list[str]) -> Match:
    """The table the headers come nearest to, with required columns guessed from keywords
    in the remaining headers (``实收`` → amount): fewest missing, then most named."""
    found = []
    for table in TABLE_NAMES:
        m = match_headers(headers, table)
        mapping, guessed, missing = dict(m.mapping), [], []
        for col in m.missing:
            hit = next(
                (
                    h
                    for h in headers
                    if h not in mapping and any(k in h.casefold() for k in GUESS.get(col, ()))
                ),
                None,
            )
            if hit is None:
                missing.append(col)
            else:
                mapping[hit] = col
                guessed.append(hit)
        found.append(Match(table, mapping, tuple(missing), m.headers, tuple(guessed)))
    return min(found, key=lambda m: (len(m.missing), -len(m.mapping), -len(_required(m.table))))


def _excel_headers(path: Path, sheet: str | None) -> list[str]:
    kwargs = {"sheet_name": sheet} if sheet else {"sheet_id": 1}
    head = pl.read_excel(
        path,
        engine="calamine",
        has_header=False,
        infer_schema_length=0,
        read_options={"n_rows": 1},
        **kwargs,
    )
    return ["" if v is None else str(v).strip() for v in (head.row(0) if head.height else ())]


def headers_of(path: Path, sheet: str | None = None) -> list[str]:
    """The header names of a tabular file as written (duplicates kept)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _io.header_names(path, "\t" if suffix == ".tsv" else None)
    if suffix in _io.EXCEL_SUFFIXES:
        return _excel_headers(path, sheet)
    if suffix == ".parquet":
        return list(pl.read_parquet_schema(path))
    if suffix in (".ndjson", ".jsonl"):
        with path.open("rb") as fh:
            for raw in fh:  # the first non-blank line only
                if raw.strip():
                    first = json.loads(raw.decode("utf-8-sig"))
                    return list(first) if isinstance(first, dict) else []
        return []
    raise DataError(
        f"{path}: unsupported file type '{suffix}'; use CSV, TSV, Parquet, NDJSON, JSON or XLSX"
    )


def detect(path: Path) -> str | bool:
    """``"orders table by headers (订单号 → order_id, …)"`` for a recognised file."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in TABULAR:
        return False
    try:
        match = recognise(headers_of(path))
    except Exception:
        return False
    return match.describe() if match else False


def _toml_key(header: str) -> str:
    return json.dumps(header, ensure_ascii=False)


def hint(path: Path) -> str | None:
    """For a tabular file no source recognises: its headers and a snippet to start from."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in TABULAR:
        return None
    try:
        headers = [h for h in headers_of(path) if h.strip()]
    except Exception:
        return None
    if not headers:
        return None
    near = closest(headers)
    lines = [
        f"files: headers found in {path.name}: {', '.join(headers)}; closest canonical "
        f"table: {near.table}"
        + (f" (no header for {', '.join(near.missing)})" if near.missing else "")
        + f", which needs {', '.join(_required(near.table))}",
        "start from this [[sources]] entry (map a header to each required column):",
        "",
        "[[sources]]",
        'type = "files"',
        f"{near.table} = {_toml_key(str(path))}",
        f"[sources.columns.{near.table}]   # your header = canonical column",
    ]
    lines += [
        f"{_toml_key(h)} = {_toml_key(c)}" + ("   # guessed: check it" if h in near.guessed else "")
        for h, c in near.mapping.items()
    ]
    spare = [h for h in headers if h not in near.mapping]
    for col in near.missing:
        lines.append(f'# "<your header>" = "{col}"   # required')
    lines += [f'# {_toml_key(h)} = "…"' for h in spare]
    return "\n".join(lines)


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
        _io.check_unique_headers(_excel_headers(path, sheet), origin)
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
    frame: pl.LazyFrame, first: str | None, origin: str, ctx: SourceContext
) -> pl.LazyFrame:
    """Drop (and report) the totals rows at the end of an orders file: rows after the last
    order whose order id is empty or 合计/Total, or whose first column says 合计/Total. A
    totals row inside the file has its amount refused at the boundary (with its row)."""
    names = frame.collect_schema().names()
    if "order_id" not in names:
        return frame
    total = _is_total(pl.col("order_id"))
    if first is not None and first in names and first != "order_id":
        total = total | _is_total(pl.col(first))
    real = _io.blank_to_null("order_id").is_not_null() & ~total
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


def _trailing_blanks(frame: pl.LazyFrame, origin: str, ctx: SourceContext) -> pl.LazyFrame:
    """Drop (and report) the empty rows spreadsheets leave at the end (``,,,,``); empty
    rows in between stay, so the boundary names them with their row."""
    schema = frame.collect_schema()
    if not schema:
        return frame
    filled = pl.any_horizontal(
        (_io.blank_to_null(c) if t == pl.String else pl.col(c)).is_not_null()
        for c, t in schema.items()
    )
    indexed = frame.with_row_index("__blank_i")
    keep = pl.col("__blank_i") <= pl.col("__blank_i").filter(filled).max().fill_null(-1)
    ctx.drop(origin, "empty row at the end of the file", indexed.select((~keep).sum()))
    return indexed.filter(keep).drop("__blank_i")


def _mapped(
    frame: pl.LazyFrame, table: str, opts: FilesOptions, origin: str, ctx: SourceContext
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
    frame = _trailing_blanks(frame, origin, ctx)
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
        frame = _totals(frame, mapping.get(first, first), origin, ctx)
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
        _mapped(frame, table, opts, name, ctx),
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
    need = near.missing[0] if near.missing else _required(near.table)[0]
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
