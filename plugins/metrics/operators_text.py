"""Words of the operators section (运营人员考核): KPI and column labels, target statuses and
the methodology entries, in both languages (numbers in :mod:`plugins.metrics.operators`
and :mod:`plugins.metrics.operators_report`)."""

from __future__ import annotations

from communityroi import ColumnInfo, Formula, T

# per-operator KPI: label, unit, higher is better (the keys of [targets.operators])
OPERATOR_KPIS = {
    "customers": (T("Customers", "客户数"), "count", True),
    "added": (T("Added", "新增客户"), "count", True),
    "reachable": (T("Reachable", "仍可触达"), "count", True),
    "active": (T("Active", "期内活跃"), "count", True),
    "activity_rate": (T("Activity rate", "活跃率"), "percent", True),
    "retention": (T("Retention", "留存率"), "percent", True),
    "buyers": (T("Buyers", "购买客户"), "count", True),
    "revenue": (T("Customers' revenue", "客户贡献收入"), "currency", True),
    "revenue_per_customer": (T("Revenue per customer", "客均收入"), "currency", True),
    "cost": (T("Cost", "成本"), "currency", False),
    "roi": (T("ROI", "投资回报率"), "percent", True),
    "hours": (T("Hours", "工时"), "hours", False),
    "revenue_per_hour": (T("Revenue per hour", "每工时收入"), "currency", True),
    "new_contacts": (T("New contacts (WeCom)", "新增客户（企微统计）"), "count", True),
    "chats": (T("Chats (WeCom)", "聊天数（企微统计）"), "count", True),
    "messages": (T("Messages (WeCom)", "发送消息数"), "count", True),
    "reply_rate": (T("Reply rate (WeCom)", "已回复聊天占比"), "percent", True),
    "avg_reply_minutes": (T("Avg. first reply (WeCom)", "平均首次回复时长"), "minutes", False),
    "negative_feedback": (T("Deleted/blocked by customers", "被删除/拉黑数"), "count", False),
    "questions": (T("Customer questions", "客户提问数"), "count", True),
    "first_response_minutes": (T("First response", "首次响应时长"), "minutes", False),
    "reply_within_rate": (T("Answered within 3 min", "3 分钟回复率"), "percent", True),
    "unreplied_rate": (T("Unreplied", "未回复率"), "percent", False),
}
EXTRA_COLUMNS = {  # in report.json and the spreadsheet only
    "median_response_minutes": (T("Median first response", "首次响应中位数"), "minutes"),
    "new_applies": (T("Friend requests (WeCom)", "发起好友申请数"), "count"),
    "at_start": (T("Customers at the start", "期初客户"), "count"),
    "retained": (T("Of them still reachable", "期初客户中仍可触达"), "count"),
    "orders": (T("Orders", "订单数"), "count"),
}
STATUS = {
    "met": T("met", "达成"),
    "missed": T("missed", "未达成"),
    "no_data": T("no such operator this period", "本期无此运营人员"),
}
NO_OPERATOR = T("No operator", "无负责人")


def column(key: str) -> ColumnInfo:
    label, unit = OPERATOR_KPIS[key][:2] if key in OPERATOR_KPIS else EXTRA_COLUMNS[key]
    return ColumnInfo(label, unit)


def within_label(minutes: float) -> T:
    m = f"{minutes:g}"
    return T(f"Answered within {m} min", f"{m} 分钟回复率")


INTRO = T(
    "Which operator's work pays? Per operator (运营人员): the customers they added and keep, "
    "what those customers buy, what the operator costs, and how fast customers get an answer "
    "in the groups during working hours.",
    "哪位运营人员的工作最有回报？逐一列出每位运营人员添加并维护的客户、客户贡献的收入、"
    "人员成本，以及工作时段内群内客户得到回复的速度。",
)


def methodology(hours: str, days: list[int], within: float) -> tuple[Formula, ...]:
    w = f"{within:g}"
    d = ", ".join(str(x) for x in days)
    f = [
        (
            T("Operator of a customer", "客户的负责人"),
            T(
                "members.operator_id of the member's earliest row that names one (WeCom: the "
                "userid who added the customer first)",
                "成员最早一条带负责人的记录中的 operator_id（企业微信：最先添加该客户的成员）",
            ),
        ),
        (
            T("Customers, added, reachable, active", "客户、新增、可触达、活跃"),
            T(
                "members of the operator joined by the period end; of them joined in the period; "
                "not left by the end; with an engaged activity (not join/leave) in the period",
                "截至期末已加入的该负责人客户；其中期内加入的；期末未退出的；期内有互动（不含入群/退群）的",
            ),
        ),
        (
            T("Activity rate", "活跃率"),
            T("active / reachable × 100 %", "活跃客户 ÷ 可触达客户 × 100%"),
        ),
        (
            T("Retention", "留存率"),
            T(
                "customers at the period start still reachable at its end / customers at the "
                "period start × 100 %",
                "期初客户中期末仍可触达的人数 ÷ 期初客户数 × 100%",
            ),
        ),
        (
            T("Customers' revenue", "客户贡献收入"),
            T(
                "Σ net amount (after refunds) of paid orders in the period placed by the "
                "operator's customers as members (the ROI section's rule)",
                "期内该负责人客户以成员身份下的已支付订单净额（扣除退款）之和"
                "（与 ROI 部分口径一致）",
            ),
        ),
        (
            T("Cost and ROI", "成本与 ROI"),
            T(
                "cost = Σ costs in the period with the operator's operator_id + its cost_split "
                "share of labour costs without an operator; ROI = (revenue − cost) / cost × 100 %",
                "成本 = 期内标记该运营人员的成本之和 + 其 cost_split 比例 × 未指定人员的人力成本；"
                "ROI =（收入 − 成本）÷ 成本 × 100%",
            ),
        ),
        (
            T("Revenue per hour", "每工时收入"),
            T(
                "revenue / Σ hours of the operator's costs in the period",
                "收入 ÷ 期内该运营人员成本记录的工时之和",
            ),
        ),
        (
            T("WeCom statistics", "企微联系客户统计"),
            T(
                "sums over the period's days of new contacts, chats, messages and customers who "
                "deleted or blocked the operator; reply rate and average first reply = mean of "
                "the daily values WeCom gives (days with chats)",
                "期内每日新增客户、聊天数、消息数、删除/拉黑数之和；已回复聊天占比与平均首次回复时长"
                "为企业微信给出的每日数值的平均（仅有聊天的日子）",
            ),
        ),
        (
            T("Customer question", "客户提问"),
            T(
                f"in a group, a customer's first message since the last operator response "
                f"that is not a filler and is sent inside working hours {hours} on weekdays {d} "
                f"(1 = Monday), asked in the period (a wait begun off hours counts from the "
                f"first message inside them); a response is an operator account's message that "
                f"is not a filler reply (好的, OK, an emoji, per the source's list)",
                f"群内自上次运营回复后，客户在工作时段 {hours}（星期 {d}，1 = 周一）内发出的"
                f"第一条非敷衍消息，且在期内（非工作时段开始的等待，从工作时段内的第一条消息算起）；"
                f"回复指运营账号发出的非敷衍消息（“好的”、“OK”、表情等，按数据源的列表）",
            ),
        ),
        (
            T("First response", "首次响应时长"),
            T(
                "minutes from a question to the first response in the group, over the questions "
                "answered before that day's working hours end (mean; the median is in report.json)",
                "从提问到群内第一条回复的分钟数，按当天工作时段结束前得到回复的提问平均"
                "（中位数见 report.json）",
            ),
        ),
        (
            within_label(within),
            T(
                f"questions answered within {w} minutes / questions × 100 %",
                f"{w} 分钟内得到回复的提问 ÷ 提问数 × 100%",
            ),
        ),
        (
            T("Unreplied", "未回复率"),
            T(
                "questions with no response before that day's working hours end / questions "
                "× 100 %",
                "当天工作时段结束前未得到回复的提问 ÷ 提问数 × 100%",
            ),
        ),
        (
            T("Where one more operator pays", "增加一名运营人员的收益"),
            T(
                "least-squares line of revenue per customer r = a + b·n over the operators' "
                "portfolio sizes n (3 or more operators); splitting the largest portfolio N "
                "between its operator and a new one changes revenue by −b·N²/2, compared with the "
                "operators' mean cost (a cross-section: operators' customers differ too, so "
                "it is a hint, not a causal estimate)",
                "用最小二乘拟合各运营人员的客均收入与客户数：r = a + b·n（至少 3 人）；"
                "把最大的客户盘 N "
                "分给一名新人员一半，收入变化为 −b·N²/2，与人均成本比较（横向比较：各人的客户本身"
                "也不同，仅供参考，并非因果估计）",
            ),
        ),
        (
            T("Incremental revenue", "增量收入"),
            T(
                "per operator in the incrementality section's table by operator (the same "
                "estimate summed over each operator's customers); not repeated here",
                "按运营人员的增量收入见“社群带来的增量收入”部分的按运营人员表（同一估计按各运营人员"
                "的客户加总），此处不重复",
            ),
        ),
    ]
    return tuple(Formula(name, formula) for name, formula in f)
