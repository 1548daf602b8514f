"""Words of the loyalty section: tier and segment labels, the methodology entries and the
tiers table's note, in both languages (the numbers are computed in
:mod:`plugins.metrics.loyalty`)."""

from __future__ import annotations

from communityroi import Formula, T

TIERS = {
    "core": T("Core", "核心"), "active": T("Active", "活跃"),
    "casual": T("Casual", "普通"), "dormant": T("Dormant", "沉睡"),
}  # fmt: skip
SEGMENTS = {
    "champions": T("Champions", "冠军客户"), "loyal": T("Loyal", "忠实客户"),
    "new": T("New", "新客户"), "potential": T("Potential", "潜力客户"),
    "at_risk": T("At risk", "流失风险客户"), "hibernating": T("Hibernating", "休眠客户"),
}  # fmt: skip


def _f(name: tuple[str, str], formula: tuple[str, str], notes: tuple[str, str] | None = None):
    return Formula(T(*name), T(*formula), T(*notes) if notes else None)


METHODOLOGY = (
    _f(("Love score", "热爱值"),
       ("Σ_months (Σ weight(kind) of the member's activities in the month) × decay^(months "
        "ago); month of the period end = 0, report time zone; decay 0.9",
        "Σ_月（该月成员各项行为权重之和）× 衰减系数^(距今月数)；期末所在月 = 0，按报告时区；"
        "衰减系数 0.9"),
       ("Weights: message 1, reply 2, post 3, share 3, invite 5, check-in 1, reaction 0.5, "
        "attend 4, comment 2, mention 1, join/leave 0, other kinds 1 (settings).",
        "权重：消息 1、回复 2、发帖 3、分享 3、邀请 5、签到 1、表情回应 0.5、参加活动 4、"
        "评论 2、提及 1、入群/退群 0、其他 1（可配置）。")),
    _f(("Loyalty tier", "忠诚度层级"),
       ("core: love ≥ 100; active: ≥ 20; casual: ≥ 1; dormant: below (thresholds are "
        "settings); members still in the community at period end",
        "核心：热爱值 ≥ 100；活跃：≥ 20；普通：≥ 1；沉睡：低于 1（阈值可配置）；"
        "统计期末仍在群内的成员")),
    _f(("Recency, frequency, monetary", "最近购买、购买频次、消费金额"),
       ("R = days from the last paid order to the period end; F = number of paid orders; "
        "M = their total; paid orders of members up to the period end",
        "R = 最近一次付款订单距期末的天数；F = 付款订单数；M = 付款金额合计；"
        "统计截至期末的成员付款订单")),
    _f(("RFM score", "RFM 评分"),
       ("score = 1 + ⌊5·(r − 1)/n⌋, r = 1 + number of customers with a strictly worse "
        "value (longer recency, fewer orders, less money); n = customers",
        "评分 = 1 + ⌊5·(r − 1)/n⌋，r = 1 + 数值严格更差的客户数（更久未购、更少订单、"
        "更少金额）；n = 客户数"),
       ("Tied customers share the lower score of their block.",
        "数值相同的客户得到同一（较低的）评分。")),
    _f(("RFM segment", "RFM 分群"),
       ("first match: champions R,F,M ≥ 4; loyal R ≥ 3, F ≥ 4; new R ≥ 4 and one order; "
        "potential R ≥ 3; at risk R ≤ 2, F ≥ 3; hibernating otherwise",
        "按顺序取首个匹配：冠军 R、F、M ≥ 4；忠实 R ≥ 3 且 F ≥ 4；新客 R ≥ 4 且仅 1 单；"
        "潜力 R ≥ 3；流失风险 R ≤ 2 且 F ≥ 3；其余为休眠")),
    _f(("Repeat purchase rate", "复购率"),
       ("customers with ≥ 2 paid orders ÷ customers with ≥ 1 paid order × 100 %, to period "
        "end",
        "付款订单 ≥ 2 的客户 ÷ 付款订单 ≥ 1 的客户 × 100%，截至期末")),
    _f(("Core and active share", "核心与活跃成员占比"),
       ("(core + active members) ÷ members × 100 %", "（核心 + 活跃成员）÷ 成员 × 100%")),
)  # fmt: skip


TIERS_NOTE = T(
    "Members still in the community at the period end. Buyers and revenue: all their paid "
    "orders in the period, so the totals differ from the ROI section, which counts "
    "attributed orders of anyone who was a member when ordering.",
    "仅含期末仍在群内的成员。购买人数与收入为其期内全部已支付订单，"
    "因此与投资回报部分不同：后者统计下单时为成员者的归因订单。",
)
