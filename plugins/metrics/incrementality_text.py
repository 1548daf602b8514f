"""Words of the incrementality section, in both languages (numbers: ``incrementality``)."""

from __future__ import annotations

from communityroi import ColumnInfo, Finding, Formula, T

KPIS = {
    "incremental_return": (
        T("Incremental revenue (caused by the community)", "增量收入（社群带来）"),
        T(
            "Σ over members and period weeks of (value after joining − e × a × ρ): a = "
            "the member's own value per day in the weeks before joining, ρ = the change of "
            "customers not yet joined over the same weeks, e = days after joining",
            "对成员与期内各周求和：（加入后金额 − e × a × ρ）；a 为该成员加入前数周的日均金额，"
            "ρ 为同期尚未加入客户的变化倍数，e 为加入后的天数",
        ),
    ),
    "incremental_roi": (
        T("Incremental ROI", "增量投资回报率"),
        T(
            "(incremental revenue − investment) / investment × 100 %",
            "（增量收入 − 投入）÷ 投入 × 100%",
        ),
    ),
    "lift": (
        T("Lift in members' buying", "成员购买提升"),
        T(
            "value after joining / what they would have bought without the community − 1",
            "加入后金额 ÷ 不加入时的预计金额 − 1",
        ),
    ),
    "attributed_return": (
        T(
            "Revenue from members (not all caused by the community)",
            "成员贡献收入（并非全部由社群带来）",
        ),
        T(
            "Σ paid orders placed by members after joining or carrying a campaign id "
            "(the ROI section's return)",
            "成员加入后下单或带活动编号的已付订单金额之和（即投资回报一节的收益）",
        ),
    ),
    "attributed_roi": (
        T("ROI on revenue from members (upper bound)", "按成员贡献收入计算的 ROI（上限）"),
        T(
            "(revenue from members − investment) / investment × 100 %",
            "（成员贡献收入 − 投入）÷ 投入 × 100%",
        ),
    ),
    "members_in_estimate": (
        T("Members in the estimate", "纳入估计的成员"),
        T(
            "members whose buying before joining is in the order history",
            "加入前购买记录可见于订单历史的成员",
        ),
    ),
    "controls": (
        T("Comparison customers", "对照客户"),
        T(
            "customers not yet joined or never joined, in the order history",
            "订单历史中尚未加入或从未加入社群的客户",
        ),
    ),
    "placebo_lift": (
        T("Pre-joining check (should be ≈ 0)", "加入前检验（应接近 0）"),
        T(
            "the same estimate for the weeks just before joining, as a lift",
            "对加入前数周做同样估计所得的提升",
        ),
    ),
}

CHECK_KEYS = (
    "members_in_estimate",
    "controls",
    "joined_before_history",
    "unlinked",
    "unknown_join",
)
CHECK_LABELS = {
    "members_in_estimate": T("Members in the estimate", "纳入估计的成员"),
    "controls": T("Comparison customers (not yet or never joined)", "对照客户（尚未或从未加入）"),
    "joined_before_history": T(
        "Left out: joined before the order history covers their baseline weeks",
        "未纳入：加入时间过早，订单历史不足以覆盖其基线周",
    ),
    "unlinked": T(
        "Left out: members whose buying before joining cannot be seen (no customer id)",
        "未纳入：无法关联加入前购买记录的成员（无客户编号）",
    ),
    "unknown_join": T("Left out: members with an unknown join date", "未纳入：加入时间未知的成员"),
}

GROUP_NOTE = T(
    "The same estimate split by each member's first group; intervals are given by join month only.",
    "同一估计按成员首个社群拆分；区间仅按加入月份给出。",
)

NOT_RECORDED = T("Not recorded", "未记录")

CHANNEL_HEAD = T("Acquisition channel", "获客渠道")
CHANNEL_TITLE = T("Incremental revenue by acquisition channel", "按获客渠道的增量收入")
CHANNEL_NOTE = T(
    "The same estimate split by how each member was acquired (the members table's channel, "
    "e.g. WeCom add_way; the first given): what the community caused among the members of "
    "each channel, not the channel's own effect. No interval: intervals are given by join "
    "month only.",
    "同一估计按成员的获客渠道（成员表的 channel，如企业微信添加方式；取最早给出的）拆分：表示社群在"
    "各渠道成员身上带来的增量，并非渠道本身的效果。区间仅按加入月份给出。",
)

OPERATOR_HEAD = T("Operator", "运营人员")
OPERATOR_TITLE = T("Incremental revenue by operator", "按运营人员的增量收入")
OPERATOR_NOTE = T(
    "The same estimate split by the operator who owns each member's relation (the members "
    "table's operator_id; the first given): what the community caused among each operator's "
    "members. Operators' portfolios differ (who they were given), so this ranks portfolios, "
    "not people. No interval: intervals are given by join month only.",
    "同一估计按负责各成员关系的运营人员（成员表的 operator_id；取最早给出的）拆分：表示社群在各运营"
    "人员所负责成员身上带来的增量。各人负责的客户本就不同，因此这是对客户组合的比较，而非对个人能力的"
    "评价。区间仅按加入月份给出。",
)

CAMPAIGN_NOTE = T(
    "The same estimate for the members who took part in each campaign in the period (an "
    "activity tagged with it, or an order carrying its id): what the community caused among "
    "them, not the campaign's own effect, since those who take part differ from those who do "
    "not. A member in two campaigns counts in both, so the rows do not add up to the total. "
    "No interval: intervals are given by join month only.",
    "同一估计按期内参与各活动的成员（有标记该活动的互动，或订单带有该活动编号）拆分：表示社群"
    "在这些成员身上带来的增量，并非活动本身的效果——参与者与未参与者本就不同。参与两个活动的成员"
    "在两行都计入，各行之和不等于总数。区间仅按加入月份给出。",
)

COHORT_NOTE = T(
    "Members are compared week by week with their own baseline and the customers not yet "
    "joined; the rows add up the members who joined in each month, each with its own "
    "bootstrap interval.",
    "每位成员按周与其自身基线及尚未加入的客户比较；各行汇总当月加入的成员，区间为各自的自助法区间。",
)


def breakdown_columns(key_label: T) -> dict[str, ColumnInfo]:
    money = "currency"
    return {
        "key": ColumnInfo(key_label),
        "members": ColumnInfo(T("Members", "成员"), "count"),
        "observed": ColumnInfo(T("Revenue after joining", "加入后收入"), money),
        "counterfactual": ColumnInfo(T("Without the community", "无社群时预计"), money),
        "incremental": ColumnInfo(T("Incremental", "增量"), money),
        "low": ColumnInfo(T("Low", "下限"), money),
        "high": ColumnInfo(T("High", "上限"), money),
        "lift": ColumnInfo(T("Lift", "提升"), "percent"),
    }


def intro(o) -> T:
    if o.status == "estimated":
        return T(
            "Would members have bought anyway? Each member is compared with their own "
            "buying before joining, corrected by how customers who had not joined changed "
            "over the same weeks. What is left is the revenue the community caused. Revenue "
            "from members counts every order they placed after joining, so it is an upper "
            "bound, not what the community caused.",
            "成员是否本来就会购买？将每位成员与其加入前的购买相比，并以同期未加入客户的变化"
            "校正季节与趋势，剩下的才是社群带来的收入。成员贡献收入包含成员加入后的全部订单，"
            "只是上限，并非全部由社群带来。",
        )
    return MISSING[o.reason or "history"]


MISSING = {
    "history": T(
        "The incremental revenue cannot be estimated: the order history does not reach back "
        "far enough before members joined (or no member can be linked to their orders "
        "before joining). Revenue from members is shown only as an upper bound of what the "
        "community caused. Load orders from before the community started, with customer ids "
        "on the member rows, to get the estimate.",
        "无法估计增量收入：订单历史未能覆盖成员加入前的足够时间（或无法关联成员加入前的订单）。"
        "成员贡献收入仅作为社群带来收入的上限。请载入社群开始之前的订单，并在成员表中提供客户"
        "编号，即可得到估计。",
    ),
    "controls": T(
        "The incremental revenue cannot be estimated: there are no comparison customers "
        "(customers who had not joined, or never joined, with orders in the same weeks). "
        "Revenue from members is shown only as an upper bound. Load the shop's orders of "
        "all customers, not only of members.",
        "无法估计增量收入：没有对照客户（同期有订单且尚未或从未加入社群的客户）。成员贡献收入"
        "仅作为上限。请载入店铺全部客户的订单，而不仅是成员的订单。",
    ),
}


def findings(o) -> tuple[Finding, ...]:
    if o.status != "estimated" or o.incremental.value is None:
        return (Finding(MISSING[o.reason or "history"], "bad", weight=9),)
    inc = o.incremental
    pct = inc.value / o.attributed * 100 if o.attributed else None
    out = [
        Finding(
            T(
                "The community caused about {v:,.0f} of revenue (90 % interval {lo:,.0f} to "
                "{hi:,.0f}), {p:.0f} % of the revenue from members.",
                "社群带来的增量收入约 {v:,.0f}（90% 区间 {lo:,.0f} 至 {hi:,.0f}），占成员贡献"
                "收入的 {p:.0f}%。",
            ).format(v=inc.value, lo=inc.low or 0, hi=inc.high or 0, p=pct or 0),
            "good" if (inc.low or 0) > 0 else "neutral",
            weight=10.5,
        )
    ]
    if o.roi.value is not None:
        out.append(
            Finding(
                T(
                    "Incremental ROI {v:.0f} % (90 % interval {lo:.0f} % to {hi:.0f} %).",
                    "增量投资回报率 {v:.0f}%（90% 区间 {lo:.0f}% 至 {hi:.0f}%）。",
                ).format(v=o.roi.value, lo=o.roi.low or 0, hi=o.roi.high or 0),
                "good" if (o.roi.low or -1) >= 0 else "bad" if (o.roi.high or 0) < 0 else "neutral",
                weight=10.2,
            )
        )
    if o.placebo_flagged:
        out.append(
            Finding(
                T(
                    "Warning: members' buying was already changing before they joined "
                    "({v:+.0f} % in the weeks just before). The estimate assumes it was "
                    "not; read it with care.",
                    "注意：成员在加入前购买已在变化（加入前数周 {v:+.0f}%），而估计假设并无此"
                    "变化，请谨慎解读。",
                ).format(v=o.placebo.value),
                "bad",
                weight=9.5,
            )
        )
    return tuple(out)


def methodology(opts) -> tuple[Formula, ...]:
    basis = T("revenue (net of refunds)", "收入（扣除退款）")
    if opts.return_basis == "gross_margin":
        basis = T(
            f"gross margin (or amount × {opts.margin:g})", f"毛利（或金额 × {opts.margin:g}）"
        )
    # the same placeholder takes each language's own word
    text = T(
        "Σ_i Σ_t (y_it − e_it · a_i · ρ_g(t)) over members i and the period's calendar weeks "
        f"t; a_i = member i's value per day in the {opts.pre_weeks} weeks before the week "
        "they joined (g); ρ_g(t) = (value per day of customers not yet joined by the end of "
        "week t, in t) / (theirs in weeks g−L … g−1); e_it = days of week t after joining. "
        "Value: {basis}.",
        "对成员 i 与期内各日历周 t 求和：Σ_i Σ_t（y_it − e_it · a_i · ρ_g(t)）；a_i 为成员 i "
        f"加入当周（g）之前 {opts.pre_weeks} 周的日均金额；ρ_g(t) 为截至 t 周末尚未加入客户在 "
        "t 周的日均金额与其在 g−L … g−1 周的日均金额之比；e_it 为 t 周中加入后的天数。"
        "金额：{basis}。",
    )
    formula = T(text.en.format(basis=basis.en), text.zh.format(basis=basis.zh))
    return (
        Formula(
            T("Incremental revenue", "增量收入"),
            formula,
            T(
                "A staggered difference-in-differences by join week (Callaway & Sant'Anna "
                "2021): one estimate per join week and calendar week, added up by cohort "
                "size, instead of one pooled regression, which is biased when people join at "
                "different times (Goodman-Bacon 2021). A ratio, because seasons move heavy and "
                "light buyers by the same proportion. Members who leave stay counted (intent "
                "to treat).",
                "按加入周的交错双重差分（Callaway & Sant'Anna 2021）：每个加入周与日历周"
                "各做一次估计，再按人数加总；不使用单一的合并回归（成员在不同时间加入时有偏，"
                "Goodman-Bacon 2021）。使用比值，因为季节对大客户与小客户的影响按比例相同。退群"
                "成员仍计入（意向处理）。",
            ),
        ),
        Formula(
            T("Interval", "区间"),
            T(
                f"{opts.level:.0%} percentile interval of {opts.draws} bootstrap resamples of "
                f"customers (members and comparison customers, with replacement; seed "
                f"{opts.seed}).",
                f"对客户（成员与对照客户）有放回重抽样 {opts.draws} 次的 {opts.level:.0%} 百分位"
                f"区间（随机种子 {opts.seed}）。",
            ),
        ),
        Formula(
            T("Pre-joining check", "加入前检验"),
            T(
                f"The same estimate for the {opts.placebo_weeks} weeks before each cohort "
                "joined, against the weeks before those, with its own cohort left out of the "
                "comparison group. It should be ≈ 0; it is flagged when its interval excludes "
                f"0 and it is at least {opts.placebo_tolerance:.0%}.",
                f"对各批成员加入前 {opts.placebo_weeks} 周做同样估计（以更早的各周为基线，"
                "对照组不含该批成员），应接近 0；若其区间不含 0 且幅度不小于 "
                f"{opts.placebo_tolerance:.0%}，即予标注。",
            ),
        ),
        Formula(
            T("Incremental ROI", "增量投资回报率"),
            T(
                "(incremental revenue − investment) / investment × 100 %; its interval comes "
                "from the same resamples (the investment is fixed).",
                "（增量收入 − 投入）÷ 投入 × 100%；区间来自同一组重抽样（投入视为固定）。",
            ),
        ),
    )
