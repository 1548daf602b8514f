"""The ``files`` source's header knowledge: which canonical table a file's headers make
(English names and variants, the usual Chinese ones), and, when none, a hint with the
headers found and a ``[[sources]]`` snippet to start from (see ``files.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from communityroi import SCHEMA, TABLE_NAMES, DataError
from plugins.sources import _io

TABULAR = (".csv", ".tsv", ".txt", ".parquet", ".ndjson", ".jsonl", *_io.EXCEL_SUFFIXES)

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
        "operator_id": ("operator", "运营人员", "跟进人", "添加人", "负责人"),
        "channel": ("add_way", "来源", "添加渠道", "获客渠道"),
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
        "product": ("product_name", "item", "商品名称", "商品", "宝贝标题", "商品标题"),
        "expires_at": ("expiry", "expires", "valid_until", "到期时间", "有效期至", "过期时间"),
    },
    "costs": {
        "category": ("类别", "费用类别", "分类", "费用类型", "类型", "科目"),
        "amount": ("cost", "金额", "费用", "金额(元)", "金额（元）", "支出金额"),
        "currency": ("币种", "货币"),
        "incurred_on": ("date", "日期", "发生日期", "费用日期", "支出日期"),
        "campaign_id": _CAMPAIGN,
        "group_id": _GROUP,
        "note": ("备注", "说明", "摘要"),
        "operator_id": ("operator", "运营人员", "员工", "人员"),
        "hours": ("工时", "小时", "工作时长"),
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
        "purpose": ("群用途", "用途", "群定位"),
    },
    "operator_days": {
        "operator_id": ("operator", "userid", "员工ID", "成员ID", "运营人员"),
        "day": ("date", "stat_time", "日期", "统计日期"),
        "platform": ("平台",),
        "new_contacts": ("new_contact_cnt", "新增客户数"),
        "new_applies": ("new_apply_cnt", "发起申请数"),
        "chats": ("chat_cnt", "聊天总数"),
        "messages": ("message_cnt", "发送消息数"),
        "reply_rate": ("reply_percentage", "已回复聊天占比"),
        "avg_reply_minutes": ("avg_reply_time", "平均首次回复时长"),
        "negative_feedback": ("negative_feedback_cnt", "删除/拉黑成员的客户数"),
    },
}


# -- recognising a table by its headers ---------------------------------------------------


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-]", "", str(header).strip().lstrip("\ufeff").casefold())


def required_columns(table: str) -> list[str]:
    """The columns a table needs (``platform`` aside: a source sets it)."""
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
        if len(required_columns(self.table)) >= 2:
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
    missing = tuple(c for c in required_columns(table) if c not in taken)
    return Match(table, mapping, missing, tuple(headers))


def recognise(headers: list[str], columns: dict[str, dict[str, str]] | None = None) -> Match | None:
    """The table the headers make (most columns named, then most required), or None."""
    found = [match_headers(headers, t, (columns or {}).get(t)) for t in TABLE_NAMES]
    found = [m for m in found if m.recognised]
    if not found:
        return None
    return max(found, key=lambda m: (len(m.mapping), len(required_columns(m.table))))


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
    return min(
        found, key=lambda m: (len(m.missing), -len(m.mapping), -len(required_columns(m.table)))
    )


def excel_headers(path: Path, sheet: str | None) -> list[str]:
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
        return excel_headers(path, sheet)
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
    if not any(ch.isalpha() for h in headers for ch in h):  # numbers and dates only
        first = ", ".join(headers)
        return (
            f"files: the first line of {path.name} ({first[:60]}{'…' if len(first) > 60 else ''}) "
            "is data, not a header row; add a first line naming each column (e.g. "
            "order_id,at,amount), separated by , ; tab or |, then run validate again"
        )
    near = closest(headers)
    lines = [
        f"files: headers found in {path.name}: {', '.join(headers)}; closest canonical "
        f"table: {near.table}"
        + (f" (no header for {', '.join(near.missing)})" if near.missing else "")
        + f", which needs {', '.join(required_columns(near.table))}",
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
