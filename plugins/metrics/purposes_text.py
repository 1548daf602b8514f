"""Words of the groups-by-purpose section: purpose labels, columns, findings and the
methodology entries in both languages (numbers in :mod:`plugins.metrics.purposes`)."""

from __future__ import annotations

import polars as pl

from communityroi import ColumnInfo, Finding, Formula, T

LABELS = {
    "presales": T("Pre-sales", "售前"),
    "aftersales": T("After-sales", "售后"),
    "distribution": T("Distribution", "渠道分销"),
    "vip": T("VIP / dedicated service", "VIP/专属服务"),
    "other": T("Other", "其他"),
}


def columns(first: dict[str, ColumnInfo]) -> dict[str, ColumnInfo]:
    return first | {
        "members": ColumnInfo(T("Members", "成员"), "count"),
        "active_rate": ColumnInfo(T("Active rate", "活跃率"), "percent"),
        "conversion": ColumnInfo(T("Conversion", "转化率"), "percent"),
        "repeat_rate": ColumnInfo(T("Repeat (renewal) rate", "复购率"), "percent"),
        "retention": ColumnInfo(T("Retention", "留存率"), "percent"),
        "partner_orders": ColumnInfo(T("Orders via partners", "分销订单"), "count"),
        "active_partners": ColumnInfo(T("Active partners", "出单分销员"), "count"),
        "partner_revenue": ColumnInfo(T("Revenue via partners", "分销收入"), "currency"),
        "revenue": ColumnInfo(T("Members' revenue", "成员收入"), "currency"),
    }


def findings(by: pl.DataFrame) -> tuple[Finding, ...]:
    out = []
    for row in by.iter_rows(named=True):
        p, label = row["purpose"], LABELS.get(row["purpose"], LABELS["other"])
        if p == "presales" and row["conversion"] is not None:
            text = T(
                "Pre-sales groups converted {v:.1f} % of their {n:,} members into buyers.",
                "售前群 {n:,} 位成员中 {v:.1f}% 转化为购买者。",
            )
            out.append(Finding(text.format(v=row["conversion"], n=row["members"]), "neutral", 4))
        elif p in ("aftersales", "vip") and row["repeat_rate"] is not None:
            ret = row["retention"]
            r_en, r_zh = ("–", "–") if ret is None else (f"{ret:.1f} %", f"{ret:.1f}%")
            text = T(
                f"{label.en} groups: {row['repeat_rate']:.1f} % of earlier buyers bought "
                f"again; retention {r_en}.",
                f"{label.zh}群：{row['repeat_rate']:.1f}% 的老客户再次购买；留存率 {r_zh}。",
            )
            out.append(Finding(text, "neutral", 4))
        elif p == "distribution":
            text = T(
                "Distribution groups: {o:,} orders via {a:,} active partners, {v:,.0f} revenue.",
                "分销群：{a:,} 位分销员带来 {o:,} 笔订单，收入 {v:,.0f}。",
            )
            out.append(
                Finding(
                    text.format(
                        o=row["partner_orders"], a=row["active_partners"], v=row["partner_revenue"]
                    ),
                    "neutral",
                    4,
                )
            )
    return tuple(out)


def methodology() -> tuple[Formula, ...]:
    f = [
        (
            T("Purpose", "用途"),
            T(
                "groups.purpose, else the configured purpose of the group id or name, else the "
                "first keyword found in the name (vip, distribution, after-sales, pre-sales order)",
                "优先取 groups.purpose，其次配置中按群 ID 或群名指定的用途，再按群名关键词识别"
                "（依次 VIP、分销、售后、售前）",
            ),
        ),
        (
            T("Conversion", "转化率"),
            T(
                "members with a paid order in the period placed after joining / members × 100 %",
                "期内入群后有已支付订单的成员 ÷ 成员 × 100%",
            ),
        ),
        (
            T("Repeat (renewal) rate", "复购率"),
            T(
                "members who bought before the period and again in it / members who bought "
                "before × 100 %",
                "期前购买过且期内再次购买的成员 ÷ 期前购买过的成员 × 100%",
            ),
        ),
        (
            T("Retention", "留存率"),
            T(
                "members at the period start still in the group at its end / members at the "
                "start × 100 %",
                "期初在群且期末仍在群的成员 ÷ 期初在群成员 × 100%",
            ),
        ),
        (
            T("Orders via partners", "分销订单"),
            T(
                "paid orders in the period by customers invited (invited_by) by a member of the "
                "group",
                "期内由本群成员邀请（invited_by）的客户下的已支付订单",
            ),
        ),
    ]
    return tuple(Formula(name, formula) for name, formula in f)
