"""Words of the ROI section: KPI definitions, formulas, cost-category labels and the
methodology entries, in both languages (the numbers are computed in :mod:`plugins.metrics.roi`)."""

from __future__ import annotations

from communityroi import Formula, T

CATEGORY_LABELS = {
    "labour": T("Labour", "运营人力"),
    "platform_fee": T("Platform fees", "平台费用"),
    "ads": T("Advertising", "广告投放"),
    "content": T("Content", "内容制作"),
    "campaign": T("Campaigns", "活动经费"),
    "tools": T("Tools", "工具软件"),
    "other": T("Other", "其他"),
}

KPIS = (
    # key, label, unit, headline, higher_is_better
    ("roi", T("ROI on revenue from members", "按成员贡献收入计算的 ROI"), "percent", True, True),
    (
        "return",
        T(
            "Revenue from members (not all caused by the community)",
            "成员贡献收入（并非全部由社群带来）",
        ),
        "currency",
        True,
        True,
    ),
    ("investment", T("Investment", "总投入"), "currency", True, False),
    ("return_per_unit", T("Return per 1 spent", "每元投入回报"), "ratio", False, True),
    ("payback_days", T("Payback period", "回本周期"), "days", False, False),
    ("members_end", T("Members at period end", "期末成员数"), "count", True, True),
    ("new_members", T("New members", "新增成员"), "count", True, True),
    ("growth_rate", T("Member growth rate", "成员增长率"), "percent", False, True),
    ("active_members", T("Active members", "活跃成员"), "count", False, True),
    ("activity_rate", T("Activity rate", "活跃率"), "percent", True, True),
    ("buyers", T("Buyers in the period", "期内购买人数"), "count", False, True),
    ("conversion_rate", T("Conversion rate", "购买转化率"), "percent", True, True),
    ("orders", T("Attributed orders", "归因订单数"), "count", False, True),
    ("cost_per_member", T("Cost per member", "人均成本"), "currency", False, False),
    ("cost_per_new_member", T("Cost per new member", "拉新成本"), "currency", False, False),
    ("cost_per_buyer", T("Cost per buyer", "获客成本（每位购买者）"), "currency", False, False),
)

FORMULAS = {
    "roi": T("(return − investment) / investment × 100 %", "（收益 − 投入）÷ 投入 × 100%"),
    "return": T(
        "Σ paid orders in the period by members or tagged with a campaign",
        "期内会员或活动归因的已支付订单金额之和",
    ),
    "investment": T("Σ cost ledger items incurred in the period", "期内成本台账金额之和"),
    "return_per_unit": T("return / investment", "收益 ÷ 投入"),
    "payback_days": T("investment / (return / days in period)", "投入 ÷（收益 ÷ 期内天数）"),
    "members_end": T(
        "distinct members joined by period end and not left", "截至期末已加入且未退出的成员（去重）"
    ),
    "new_members": T("distinct members who joined in the period", "期内加入的成员（去重）"),
    "growth_rate": T(
        "(members at end − members at start) / members at start × 100 %",
        "（期末成员 − 期初成员）÷ 期初成员 × 100%",
    ),
    "active_members": T(
        "distinct members still in at period end with an activity other than join/leave",
        "期末仍在群、期内有互动（不含入群/退群）的成员（去重）",
    ),
    "activity_rate": T("active members / members at end × 100 %", "活跃成员 ÷ 期末成员 × 100%"),
    "buyers": T(
        "distinct members with a paid order in the period placed after they joined",
        "期内入群后有已支付订单的成员（去重）",
    ),
    "conversion_rate": T("buyers / members at end × 100 %", "购买人数 ÷ 期末成员 × 100%"),
    "orders": T("count of attributed paid orders", "归因已支付订单数"),
    "cost_per_member": T("investment / members at end", "投入 ÷ 期末成员"),
    "cost_per_new_member": T("investment / new members", "投入 ÷ 新增成员"),
    "cost_per_buyer": T("investment / buyers", "投入 ÷ 购买人数"),
}


def methodology(return_basis: str, margin: float) -> tuple[Formula, ...]:
    """Every formula of the section, the return basis and the attribution rule."""
    basis = (
        T("Return = paid order amount (revenue).", "回报按已支付订单金额（收入）计。")
        if return_basis == "revenue"
        else T(
            f"Return = gross margin of paid orders (order margin, else amount × {margin}).",
            f"回报按已支付订单毛利计（订单无毛利时按金额 × {margin}）。",
        )
    )
    out = [Formula(T("Return basis", "回报口径"), basis)]
    out += [Formula(label, FORMULAS[key]) for key, label, *_ in KPIS]
    out.append(
        Formula(
            T("Attribution", "归因规则"),
            T(
                "An order counts when it is paid, placed in the period, and either placed by a "
                "member after joining (member id, or customer id linked to a member) or tagged "
                "with a campaign. Group return: the campaign's group, else the buyer's first "
                "group.",
                "订单需已支付、下单时间在期内，且由入群后的社群成员下单（会员 ID，或与成员关联的"
                "客户 ID）或带有活动标记。社群收益：按活动所属社群，否则按购买者最早加入的社群。",
            ),
        )
    )
    return tuple(out)
