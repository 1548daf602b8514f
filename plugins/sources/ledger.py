"""Cost ledger (成本台账) CSV or spreadsheet → canonical costs.

One row per cost item. Headers are found by name — English canonical names or the usual
Chinese ones (below) — or mapped with ``columns = { amount = "金额(元)" }``:

| canonical | headers recognised |
|---|---|
| incurred_on | incurred_on, date, 日期, 发生日期, 费用日期, 支出日期, 月份 |
| category | category, 类别, 费用类别, 分类, 类型, 费用类型, 科目 |
| amount | amount, 金额, 费用, 金额(元), 金额（元）, 支出金额 |
| currency | currency, 币种, 货币 |
| campaign_id | campaign_id, campaign, 活动, 活动ID, 活动编号 |
| group_id | group_id, 群, 群ID, 社群 |
| note | note, 备注, 说明, 摘要 |
| operator_id | operator_id, operator, 运营人员, 员工, 人员 |
| hours | hours, 工时, 小时, 工作时长 |

Categories are mapped to the canonical seven (labour, platform_fee, ads, content, campaign,
tools, other) through :data:`CATEGORY_SYNONYMS` (trimmed, case-insensitive; a trailing
费 / 费用 / 成本 / 支出 is ignored, so 广告费 = 广告), plus the user's ``categories``
(``{"差旅" = "other"}``). An unknown category stops the run with the file, row and value.

Dates may be ISO days, ``2026/10/5``, ``2026年10月5日``, or a month (``2026-10``,
``2026年10月``), which counts on the month's first day. A row reading 合计 / 总计 / 小计 /
total in its date or category cell is refused (a total row would count the costs twice).
"""

from __future__ import annotations

import glob
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, field_validator

from communityroi import (
    COST_CATEGORIES,
    DataError,
    SourceContext,
    SourceFrame,
    SourceSpec,
    hookimpl,
)
from plugins.sources._io import (
    EXCEL_SUFFIXES,
    _resolve_headers,
    blank_to_null,
    check_rows,
    read_table,
)

HEADERS: dict[str, tuple[str, ...]] = {
    "incurred_on": ("incurred_on", "date", "日期", "发生日期", "费用日期", "支出日期", "月份"),
    "category": ("category", "类别", "费用类别", "分类", "类型", "费用类型", "科目"),
    "amount": ("amount", "金额", "费用", "金额(元)", "金额（元）", "支出金额"),
    "currency": ("currency", "币种", "货币"),
    "campaign_id": ("campaign_id", "campaign", "活动", "活动ID", "活动编号"),
    "group_id": ("group_id", "群", "群ID", "社群"),
    "note": ("note", "备注", "说明", "摘要"),
    "operator_id": ("operator_id", "operator", "运营人员", "员工", "人员"),
    "hours": ("hours", "工时", "小时", "工作时长"),
}

CATEGORY_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        ("labour", "labor", "staff", "人力", "人工", "运营人力", "工资", "薪资", "薪酬", "外包"),
        "labour",
    ),
    **dict.fromkeys(
        ("platform_fee", "platform", "平台", "平台服务", "平台服务费", "技术服务", "佣金"),
        "platform_fee",
    ),
    **dict.fromkeys(("ads", "advertising", "广告", "投放", "广告投放", "推广"), "ads"),
    **dict.fromkeys(("content", "内容", "内容制作", "设计", "拍摄", "文案"), "content"),
    **dict.fromkeys(("campaign", "event", "活动", "活动经费", "奖品", "礼品", "红包"), "campaign"),
    **dict.fromkeys(("tools", "tool", "software", "工具", "软件", "saas", "系统"), "tools"),
    **dict.fromkeys(("other", "misc", "其他", "其它", "杂项"), "other"),
}
_SUFFIX = r"(费用|费|成本|支出)$"
_TOTAL_WORDS = ("合计", "总计", "小计", "total")


class LedgerOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str  # CSV/TSV/XLSX, or a glob
    sheet: str | None = None  # spreadsheet sheet (default: the first)
    columns: dict[str, str] = {}  # canonical name -> your header
    categories: dict[str, str] = {}  # your label -> canonical category
    encoding: str | None = None

    @field_validator("categories")
    @classmethod
    def _known(cls, v: dict[str, str]) -> dict[str, str]:
        for label, cat in v.items():
            if cat not in COST_CATEGORIES:
                raise ValueError(
                    f"categories: '{label}' maps to '{cat}', which is not one of "
                    f"{', '.join(COST_CATEGORIES)}"
                )
        return v


def category_expr(expr: pl.Expr, extra: dict[str, str] | None = None) -> pl.Expr:
    """Canonical category of a ledger label, or null when unknown.

    >>> pl.select(category_expr(pl.lit(" 广告费 "))).item()
    'ads'
    """
    table = {k.casefold(): v for k, v in {**CATEGORY_SYNONYMS, **(extra or {})}.items()}
    label = expr.str.strip_chars().str.to_lowercase()
    opts = {"default": None, "return_dtype": pl.String}
    return pl.coalesce(
        label.replace_strict(table, **opts),
        label.str.replace(_SUFFIX, "").replace_strict(table, **opts),
    )


def day_expr(expr: pl.Expr) -> pl.Expr:
    """Chinese and month-only dates rewritten as ISO days (other text passes unchanged).

    >>> pl.select(day_expr(pl.lit("2026年10月"))).item()
    '2026-10-01'
    """
    e = expr.str.strip_chars()
    e = e.str.replace(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$", "${1}-${2}-${3}")
    e = e.str.replace(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$", "${1}-${2}-01")
    e = e.str.replace(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$", "${1}-${2}-${3}")
    return e.str.replace(r"^(\d{4})[-/](\d{1,2})$", "${1}-${2}-01")


def _ledger(path: Path, opts: LedgerOptions) -> pl.LazyFrame:
    origin = str(path)
    unknown = sorted(set(opts.columns) - set(HEADERS))
    if unknown:
        raise DataError(
            f"{origin}: columns has unknown name '{unknown[0]}'; use {', '.join(HEADERS)}"
        )
    raw = read_table(
        path,
        opts.columns,
        defaults=HEADERS,
        required=("incurred_on", "category", "amount"),
        encoding=opts.encoding,
        sheet=opts.sheet,
        origin=origin,
    )
    have = [c for c in HEADERS if c in raw.collect_schema().names()]
    label = blank_to_null("category")
    canonical = category_expr(label, opts.categories)
    is_total = pl.any_horizontal(
        blank_to_null(c).str.to_lowercase().is_in(_TOTAL_WORDS).fill_null(False)
        for c in ("incurred_on", "category")
    )
    filled = pl.any_horizontal(blank_to_null(c).is_not_null() for c in have)
    found = check_rows(
        raw,
        [
            (
                is_total,
                "category",
                "this looks like a total row (合计); remove it, or costs count twice",
            ),
            (
                label.is_not_null() & canonical.is_null(),
                "category",
                "unknown cost category; use one of "
                f"{', '.join(COST_CATEGORIES)} or map it, e.g. categories = "
                '{ "<your label>" = "other" }',
                label,
            ),
        ],
        origin=origin,
        extra={"last": pl.col("__i").filter(filled).max()},
    )
    last = found["last"]
    # blank rows at the end (spreadsheets leave them) are dropped; blank rows in between
    # stay, so the boundary reports them with their real row numbers
    kept = raw.head(0 if last is None else last + 1)
    return kept.select(
        canonical.alias("category"),
        pl.col("amount"),
        *(
            pl.col(c)
            for c in ("currency", "campaign_id", "group_id", "note", "operator_id", "hours")
            if c in have
        ),
        day_expr(pl.col("incurred_on").cast(pl.String)).alias("incurred_on"),
    )


def load(opts: LedgerOptions, ctx: SourceContext) -> list[SourceFrame]:
    pattern = ctx.resolve(opts.path)
    paths = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not paths:
        raise DataError(f"{pattern}: no such file; check 'path' of the ledger source")
    return [SourceFrame("costs", _ledger(p, opts), str(p)) for p in paths]


LEDGER_SUFFIXES = (".csv", ".tsv", *EXCEL_SUFFIXES)
_NEEDED = ("incurred_on", "category", "amount")


def detect(path: Path) -> str | bool:
    """A CSV/TSV/spreadsheet whose header has a date, a category and an amount column
    (canonical or the usual Chinese names): ``"cost ledger (日期, 类别, 金额(元))"``."""
    suffix = path.suffix.lower()
    if suffix not in LEDGER_SUFFIXES or not path.is_file():
        return False
    try:
        if suffix in EXCEL_SUFFIXES:
            names = pl.read_excel(
                path, engine="calamine", read_options={"n_rows": 0}, infer_schema_length=0
            ).columns
        else:
            names = read_table(path).collect_schema().names()
    except Exception:  # unreadable or not a table: not ours
        return False
    found = _resolve_headers([n.strip().lstrip("\ufeff") for n in names], HEADERS)
    if any(found[c] is None for c in _NEEDED):
        return False
    return f"cost ledger ({', '.join(str(found[c]) for c in _NEEDED)})"


@hookimpl
def communityroi_sources() -> list[SourceSpec]:
    return [
        SourceSpec(
            name="ledger",
            description="Cost ledger CSV/XLSX with Chinese or English headers and categories "
            "→ costs",
            load=load,
            options=LedgerOptions,
            detect=detect,
        )
    ]
