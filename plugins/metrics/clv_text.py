"""Bilingual labels, notes and methodology formulas of the CLV section."""

from __future__ import annotations

from communityroi import Formula, T

UNIT = {"days": T("days", "天"), "weeks": T("weeks", "周")}

INTRO = T(
    "What a buyer is worth: value already paid (observed) and the discounted value expected "
    "over the horizon from the BG/NBD and Gamma-Gamma models.",
    "每位买家的价值：已实际支付的价值（已实现），"
    "以及 BG/NBD 与 Gamma-Gamma 模型预测的预测期内折现价值。",
)

K_AVG_OBS = T("Average observed CLV per buyer", "买家平均已实现终身价值")
K_PER_MEMBER = T(
    "Observed value per member (incl. former members)", "成员人均已实现价值（含已退群成员）"
)
K_BUYERS = T("Buyers to date", "累计买家数")
K_REPEAT = T("Repeat rate (bought on 2+ days)", "复购率（按购买日）")
K_AVG_PRED = T("Average predicted CLV, next {h}", "未来{hz}平均预测终身价值")
K_TOTAL_PRED = T("Predicted value of buyers, next {h}", "未来{hz}买家预测总价值")
K_EXP = T("Expected purchases, next {h}", "未来{hz}预期购买次数")
K_ALIVE = T("Buyers probably active (P(alive) ≥ 50 %)", "大概率仍活跃的买家（存活概率 ≥ 50%）")

TITLE_DIST = T("Distribution of observed CLV (buyers)", "买家已实现终身价值分布")
TITLE_GROUP = T("CLV by group", "各社群终身价值")
TITLE_SEGMENT = T("CLV by segment", "各分层终身价值")
TITLE_TOP = T("Most valuable members", "最有价值成员")
TITLE_ALL = T("CLV per buyer", "每位买家的终身价值")
TITLE_PARAMS = T("Model parameters", "模型参数")
COL_VALUE = T("Observed CLV ({c})", "已实现终身价值（{c}）")
COL_BUYERS = T("Buyers to date", "累计买家数")
NO_GROUP = T("(no group)", "（无社群）")
NO_SEGMENT = T("(no segment)", "（无分层）")

NOTE_HIST = T(
    "Equal-width bins up to the 99th percentile; the last bin is open-ended.",
    "等宽分组至第 99 百分位，最后一组不设上限。",
)
NOTE_GROUPS = T(
    "A member in several groups (or segments) counts in each of them.",
    "同时属于多个社群（或分层）的成员在每个社群中各计一次。",
)
NOTE_PARAMS = T(
    "Time unit: {u}. α and the horizon are in this unit; γ is in the report currency.",
    "时间单位：{uz}。α 与预测期均以此为单位；γ 以报告货币计。",
)
NOTE_FEW = T(
    "Predicted CLV is not shown: {n} customers have bought, fewer than min_customers = {k}.",
    "未显示预测终身价值：仅有 {n} 位顾客购买，少于 min_customers = {k}。",
)
NOTE_FEW_REPEAT = T(
    "Predicted spend is not shown: {n} customers have repeat purchases with a positive value, "
    "fewer than min_repeat_buyers = {k}.",
    "未显示预测消费：有正价值复购的顾客仅 {n} 位，少于 min_repeat_buyers = {k}。",
)
NOTE_NO_REPEAT = T(
    "Predicted CLV is not shown: no customer has bought on a second day yet, so repeat "
    "behaviour cannot be estimated.",
    "未显示预测终身价值：尚无顾客在第二个日期再次购买，无法估计复购行为。",
)
NOTE_FAILED = T(
    "The {model} model could not be fitted ({why}); its predictions are left out.",
    "{model} 模型拟合失败（{why}），相关预测未显示。",
)
FIND_MARGIN = T(
    "{n} paid orders have no gross margin; they count as zero margin.",
    "{n} 笔已支付订单缺少毛利，按毛利为零计算。",
)
FIND_TOP10 = T(
    "The top 10 % of buyers hold {s} % of all observed value.",
    "前 10% 的买家贡献了 {s}% 的已实现价值。",
)
FIND_GROUP = T(
    "Members of {g} are worth {v} each so far, {x}× those of {w}.",
    "{g} 的成员人均已实现价值 {v}，是 {w} 的 {x} 倍。",
)
FIND_LAPSED = T(
    "{n} repeat buyers have probably lapsed (P(alive) < 50 %): a win-back list.",
    "{n} 位复购买家可能已流失（存活概率 < 50%），可作为召回名单。",
)
FIND_FUTURE = T(
    "Over the next {h} the {n} buyers are expected to make {e} purchases worth {v} (discounted).",
    "未来{hz}，{n} 位买家预计购买 {e} 次，折现价值 {v}。",
)

PARAM_NOTES = {
    "r": T("shape of the purchase-rate gamma", "购买率伽马分布形状参数"),
    "alpha": T(
        "scale of the purchase-rate gamma (time unit)", "购买率伽马分布尺度参数（时间单位）"
    ),
    "a": T("beta parameter a of the drop-out probability", "流失概率贝塔分布参数 a"),
    "b": T("beta parameter b of the drop-out probability", "流失概率贝塔分布参数 b"),
    "p": T("shape of spend per purchase", "单次消费形状参数"),
    "q": T("shape of the spend-scale gamma", "消费尺度伽马分布形状参数"),
    "gamma": T("scale of the spend-scale gamma (currency)", "消费尺度伽马分布尺度参数（货币）"),
}
NOTE_LL = T("Σ ln L at the maximum", "最大似然处的对数似然 Σ ln L")
NOTE_N_FIT = T("customers in the fit", "参与拟合的客户数")

F_AVG_OBS = Formula(
    T("Observed CLV", "已实现终身价值"),
    T(
        "observed CLV of a buyer = Σ value of their paid orders up to the period end; "
        "average = Σ observed CLV / buyers",
        "买家已实现终身价值 = 截至报告期末其全部已支付订单价值之和；"
        "平均值 = 已实现价值之和 / 买家数",
    ),
    T(
        "Value is the order amount (value_basis = revenue) or its gross margin "
        "(value_basis = gross_margin; a missing margin counts as 0).",
        "价值为订单金额（value_basis = revenue）或毛利（"
        "value_basis = gross_margin，缺失按 0 计）。",
    ),
)
F_PER_MEMBER = Formula(
    T("Observed value per member", "成员人均已实现价值"),
    T(
        "Σ observed CLV of members / everyone who has been a member up to the period end "
        "(buyers and non-buyers, including members who have left)",
        "成员已实现价值之和 / 截至期末曾入群的成员数（含未购买及已退群成员）",
    ),
)
F_BUYERS = Formula(
    T("Buyers", "买家数"),
    T(
        "customers with at least one paid order up to the period end",
        "截至报告期末至少有一笔已支付订单的顾客数",
    ),
)
F_REPEAT = Formula(
    T("Repeat rate (bought on 2+ days)", "复购率（按购买日）"),
    T(
        "buyers who bought on at least 2 different days (x ≥ 1) / buyers × 100 %",
        "至少在 2 个不同日期购买（x ≥ 1）的买家数 / 买家数 × 100%",
    ),
    T(
        "Counts purchase days, as the BG/NBD model does; the loyalty section's repeat "
        "purchase rate counts orders, so two orders on one day count there and not here.",
        "按购买日计（与 BG/NBD 模型一致）；忠诚度部分的复购率按订单数计，"
        "同一天的两笔订单在那里算复购、在这里不算。",
    ),
)
F_RFM = Formula(
    T("RFM summary (x, t_x, T)", "RFM 摘要（x, t_x, T）"),
    T(
        "x = distinct purchase days − 1; t_x = (last purchase day − first purchase day) / u; "
        "T = (last day of the period − first purchase day) / u; u = 1 (days) or 7 (weeks)",
        "x = 不同购买日期数 − 1；t_x =（最后购买日 − 首次购买日）/ u；"
        "T =（报告期最后一天 − 首次购买日）/ u；u = 1（天）或 7（周）",
    ),
    T(
        "Days are calendar days in the report time zone; same-day orders are one purchase. "
        "Customers are members (buyer_id) or, for non-members, customer_id.",
        "日期按报告时区的日历日计；同一天的订单视为一次购买。"
        "顾客为成员（buyer_id），非成员按 customer_id。",
    ),
)
F_BGNBD = Formula(
    T("BG/NBD likelihood", "BG/NBD 似然函数"),
    T(
        "L = Γ(r+x)α^r/Γ(r) · Γ(a+b)Γ(b+x)/(Γ(b)Γ(a+b+x)) · [(α+T)^−(r+x) + "
        "δ(x>0)·a/(b+x−1)·(α+t_x)^−(r+x)]; (r, α, a, b) maximise Σ ln L",
        "L = Γ(r+x)α^r/Γ(r) · Γ(a+b)Γ(b+x)/(Γ(b)Γ(a+b+x)) · [(α+T)^−(r+x) + "
        "δ(x>0)·a/(b+x−1)·(α+t_x)^−(r+x)]；(r, α, a, b) 使 Σ ln L 最大",
    ),
    T(
        "Fader, Hardie & Lee (2005), “Counting your customers the easy way”, Marketing "
        "Science 24(2), eq. 6. Maximised by Newton's method with the exact gradient and "
        "Hessian, from an L-BFGS-B fit on a sample of the summary rows.",
        "Fader, Hardie & Lee (2005)，《Counting your customers the easy way》，"
        "Marketing Science 24(2)，式 6。先以 L-BFGS-B 在部分汇总行样本上求初值，"
        "再以解析梯度与 Hessian 矩阵的牛顿法求最大值。",
    ),
)
F_ALIVE = Formula(
    T("P(alive)", "存活概率"),
    T(
        "P(alive) = 1 / (1 + δ(x>0)·a/(b+x−1)·((α+T)/(α+t_x))^(r+x)); share = buyers with "
        "P(alive) ≥ 0.5 / buyers × 100 %",
        "P(alive) = 1 / (1 + δ(x>0)·a/(b+x−1)·((α+T)/(α+t_x))^(r+x))；占比 = 存活概率 ≥ 0.5 的"
        "买家数 / 买家数 × 100%",
    ),
)
F_EXP = Formula(
    T("Expected purchases in the next t", "未来 t 内预期购买次数"),
    T(
        "E[Y(t)] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; "
        "t/(α+T+t))] · P(alive); KPI = Σ over buyers with t = horizon",
        "E[Y(t)] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; "
        "t/(α+T+t))] · P(alive)；指标 = 所有买家在 t = 预测期时之和",
    ),
    T("Fader, Hardie & Lee (2005), eq. 10.", "Fader, Hardie & Lee (2005)，式 10。"),
)
F_GG = Formula(
    T("Gamma-Gamma spend model", "Gamma-Gamma 消费模型"),
    T(
        "f(m | x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q · m^(px−1) · x^(px) / (γ+mx)^(px+q), fitted on "
        "buyers with x ≥ 1 and m > 0 (m = mean value of repeat purchase days); "
        "E[M | x, m] = (γ + m·x)·p / (p·x + q − 1)",
        "f(m | x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q · m^(px−1) · x^(px) / (γ+mx)^(px+q)，"
        "以 x ≥ 1 且 m > 0 的买家拟合（m = 复购日平均价值）；"
        "E[M | x, m] = (γ + m·x)·p / (p·x + q − 1)",
    ),
    T(
        "Fader, Hardie & Lee (2005), “RFM and CLV: using iso-value curves”, JMR 42(4); "
        "Fader & Hardie (2013), “The Gamma-Gamma model of monetary value”. Assumes spend "
        "is independent of purchase frequency. Maximised by Newton's method with the exact "
        "gradient and Hessian, from an L-BFGS-B start.",
        "Fader, Hardie & Lee (2005)《RFM and CLV》，JMR 42(4)；Fader & Hardie (2013)"
        "《The Gamma-Gamma model of monetary value》。假设消费金额与购买频率相互独立。"
        "先以 L-BFGS-B 求初值，再以解析梯度与 Hessian 矩阵的牛顿法求最大值。",
    ),
)
F_CLV = Formula(
    T("Predicted (discounted) CLV", "预测（折现）终身价值"),
    T(
        "CLV = E[M | x, m] · Σ_{k=1..K} (E[Y(t_k)] − E[Y(t_{k−1})]) / (1 + d)^(t_k / Y), "
        "t_k = k·H/K, K = round(H in days / 30.44) monthly steps",
        "CLV = E[M | x, m] · Σ_{k=1..K} (E[Y(t_k)] − E[Y(t_{k−1})]) / (1 + d)^(t_k / Y)，"
        "t_k = k·H/K，K = round(H 的天数 / 30.44) 个按月步长",
    ),
    T(
        "H = horizon, d = annual_discount_rate, Y = one year in the time unit (365.25 days "
        "= 52.18 weeks); each month's purchases are discounted from the month's end.",
        "H = 预测期，d = 年折现率 annual_discount_rate，"
        "Y = 以时间单位计的一年（365.25 天 = 52.18 周）；"
        "每月购买额按月末折现。",
    ),
)


def methodology(opts) -> tuple[Formula, ...]:
    u = UNIT[opts.time_unit]
    setting = Formula(
        T("Settings used", "所用设置"),
        T(
            f"time unit = {u.en}; horizon H = {opts.horizon_units:g} {u.en}; "
            f"d = {opts.annual_discount_rate:g}; value basis = {opts.value_basis}",
            f"时间单位 = {u.zh}；预测期 H = {opts.horizon_units:g} {u.zh}；"
            f"d = {opts.annual_discount_rate:g}；价值口径 = {opts.value_basis}",
        ),
    )
    return (
        F_AVG_OBS,
        F_PER_MEMBER,
        F_BUYERS,
        F_REPEAT,
        F_RFM,
        F_BGNBD,
        F_ALIVE,
        F_EXP,
        F_GG,
        F_CLV,
        setting,
    )
