"""The data-quality appendix: what was loaded, read but not loaded, and left unlinked.

Reads ``Report.data_quality`` (see ``core.quality``) and returns pre-formatted rows for
``data_quality.html``; the numbers are the ones ``communityroi validate`` prints.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from plugins.renderers import formatting as fmt
from plugins.renderers.labels import label

_TABLES = (
    "members", "activities", "orders", "costs", "campaigns", "groups", "operator_days",
)  # fmt: skip
KIND_ZH = {  # canonical activity kinds (core.schema.ACTIVITY_KINDS) in Chinese reports
    "message": "消息", "reply": "回复", "reaction": "表情回应", "share": "分享", "post": "发帖",
    "comment": "评论", "checkin": "打卡", "attend": "参加活动", "join": "加入", "leave": "退出",
    "invite": "邀请", "mention": "提及",
}  # fmt: skip


def data_quality_view(dq: dict[str, Any] | None, lang: str, currency: str) -> dict | None:
    """Rows of the appendix, or None when the report carries no summary."""
    if not dq:
        return None

    def n(v: Any) -> str:
        return fmt.number(v, lang, 0)

    def money(v: Any) -> str:
        return fmt.currency(v, currency, lang, 2)

    tables = dq.get("tables", {})
    loaded = []
    for t in _TABLES:
        if t not in tables:
            continue
        row = tables[t]
        if t == "members":
            detail = label(
                "dq_members", lang, rows=n(row["rows"]), accounts=n(row["accounts"]),
                people=n(row["people"]),
            )  # fmt: skip
        elif t == "activities":
            names = KIND_ZH if lang == "zh-CN" else {}
            detail = " · ".join(f"{names.get(k, k)} {n(v)}" for k, v in row["by_kind"].items())
        elif t == "orders":
            detail = label("dq_orders", lang, paid=n(row["paid"]), amount=money(row["paid_amount"]))
        else:
            detail = ""
        loaded.append({"table": label(f"dq_table_{t}", lang), "rows": n(row["rows"]),
                       "detail": detail})  # fmt: skip
    orders = tables.get("orders")
    linked = None
    if orders:
        linked = label(
            "dq_linked", lang, linked=n(orders["linked_to_members"]), rows=n(orders["rows"]),
            unlinked=n(orders["unlinked"]), amount=money(orders["unlinked_paid_amount"]),
        )  # fmt: skip
    ident = dq.get("identity")
    merged = None
    if ident:
        merged = label(
            "dq_identity", lang, accounts=n(ident.get("members", 0)),
            people=n(ident.get("persons", 0)), merged=n(ident.get("members_merged", 0)),
        )  # fmt: skip
    dropped = [
        {"file": PurePath(d["file"]).name or d["file"], "reason": d["reason"], "rows": n(d["rows"])}
        for d in dq.get("dropped", [])
    ]
    sources = [
        {"type": s["type"], "path": PurePath(s["path"]).name if s.get("path") else ""}
        for s in dq.get("sources", [])
    ]
    return {"loaded": loaded, "linked": linked, "merged": merged, "dropped": dropped,
            "sources": sources}  # fmt: skip
