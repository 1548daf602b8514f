"""Bilingual UI labels of the rendered reports (English and Simplified Chinese).

Templates call ``label("key")``; a missing key is an error (tests catch it), never a
silently English word in a Chinese report.
"""

from __future__ import annotations

from communityroi import T, Text

LABELS: dict[str, Text] = {
    # cover and front matter
    "prepared_for": T("Prepared for", "客户"),
    "prepared_by": T("Prepared by", "出品方"),
    "reporting_period": T("Reporting period", "报告期"),
    "previous_period": T("Compared with", "对比期"),
    "currency": T("Currency", "货币"),
    "timezone": T("Time zone", "时区"),
    "report_kind": T("Community business-value report", "社群运营商业价值报告"),
    "contents": T("Contents", "目录"),
    "page": T("Page", "页码"),
    "page_of": T("Page {page} of {pages}", "第 {page} 页 / 共 {pages} 页"),
    # executive summary
    "summary": T("Executive summary", "执行摘要"),
    "roi": T("Return on investment", "投资回报率"),
    "roi_short": T("ROI", "ROI"),
    "investment": T("Investment", "投入"),
    "return": T("Return", "回报"),
    "net_return": T("Net return", "净回报"),
    "headline_kpis": T("Key figures", "核心指标"),
    "top_findings": T("What stands out", "关键发现"),
    "no_findings": T("No notable findings for this period.", "本期无需要特别关注的发现。"),
    "no_roi": T(
        "ROI is not available: no costs or no attributed revenue in this period.",
        "本期无法计算 ROI：缺少成本或归因收入数据。",
    ),
    "interval": T("{level} % interval: {low} to {high}", "{level}% 区间：{low} 至 {high}"),
    "upper_bound": T("not estimable; at most {high}", "无法估计；至多 {high}"),
    "incremental_roi_hero": T(
        "Incremental ROI — what the community caused", "增量投资回报率——社群带来的回报"
    ),
    "members_roi_line": T(
        "ROI on revenue from members (not all caused by the community)",
        "按成员贡献收入计算的 ROI（并非全部由社群带来）",
    ),
    "members_roi_upper": T(
        "ROI on revenue from members — an upper bound: not all of it was caused by the "
        "community, and the incremental revenue could not be estimated",
        "按成员贡献收入计算的 ROI——仅为上限：并非全部由社群带来，且无法估计增量收入",
    ),
    "caused_return": T("Caused by the community", "社群带来的增量"),
    "members_return": T("Revenue from members", "成员贡献收入"),
    "roi_explainer_caused": T(
        "Every {one} invested caused {ratio} of revenue that would not exist without the "
        "community.",
        "每投入 {one}，带来 {ratio} 若无社群便不会产生的收入。",
    ),
    "roi_explainer": T(
        "Every {one} invested came with {ratio} of revenue from members (not all of it "
        "caused by the community).",
        "每投入 {one}，对应 {ratio} 的成员贡献收入（并非全部由社群带来）。",
    ),
    # KPI tiles
    "vs_previous": T("vs previous period", "较上期"),
    "no_previous": T("no previous period", "无上期数据"),
    "target": T("Target", "目标"),
    "status_met": T("Target met", "达成目标"),
    "status_near": T("Near target", "接近目标"),
    "status_missed": T("Target missed", "未达目标"),
    "points": T("pts", "个百分点"),
    "not_available": T("n/a", "暂无"),
    "change_up": T("up", "上升"),
    "change_down": T("down", "下降"),
    "change_flat": T("unchanged", "持平"),
    "tone_good": T("Positive", "积极"),
    "tone_bad": T("Needs attention", "需关注"),
    "tone_neutral": T("Note", "提示"),
    # sections
    "key_figures": T("Key figures", "指标"),
    "findings": T("Findings", "发现"),
    "how_computed": T("How it is computed", "计算方法"),
    "rows_shown": T(
        "Showing {shown} of {total} rows; the JSON and Excel outputs hold every row.",
        "仅显示 {total} 行中的前 {shown} 行；JSON 与 Excel 输出包含全部数据。",
    ),
    "rows_printed": T(
        "First {shown} of {total} rows; the HTML report and the JSON and Excel outputs hold "
        "the whole table.",
        "仅列出 {total} 行中的前 {shown} 行；完整表格见 HTML 报告及 JSON、Excel 输出。",
    ),
    "empty_table": T("No data for this period.", "本期无数据。"),
    "empty_chart": T("No data to chart for this period.", "本期无可绘制的数据。"),
    "pseudonymized_note": T(
        "Member names and ids are pseudonymised.", "成员姓名与 ID 已做假名化处理。"
    ),
    # methodology appendix
    "methodology": T("Methodology", "方法说明"),
    "methodology_intro": T(
        "How every number in this report is computed, and the settings used.",
        "本报告中每个数字的计算方法及所用设置。",
    ),
    "formula": T("Formula", "公式"),
    "notes": T("Notes", "说明"),
    "metric": T("Metric", "指标"),
    "settings_used": T("Settings used", "所用设置"),
    "attribution": T("Attribution rules", "归因规则"),
    "setting": T("Setting", "设置项"),
    "value": T("Value", "取值"),
    "warnings": T("Data warnings", "数据提示"),
    # data-quality appendix
    "data_quality": T("Data quality", "数据质量"),
    "dq_intro": T(
        "What was loaded from each source (all history up to the period end), what was read "
        "but not loaded and why, and which orders could not be linked to a member. "
        "'communityroi validate' prints the same counts.",
        "各数据源载入的数据（截至报告期末的全部历史）、读取但未载入的记录及原因，以及无法关联到成员的订单。"
        "“communityroi validate”给出相同的计数。",
    ),
    "dq_sources": T("Sources", "数据源"),
    "dq_loaded": T("Loaded", "已载入"),
    "dq_table": T("Table", "数据表"),
    "dq_rows": T("Rows", "行数"),
    "dq_detail": T("Detail", "明细"),
    "dq_table_members": T("Members", "成员"),
    "dq_table_activities": T("Activities", "互动"),
    "dq_table_orders": T("Orders", "订单"),
    "dq_table_costs": T("Costs", "成本"),
    "dq_table_campaigns": T("Campaigns", "活动"),
    "dq_table_groups": T("Groups", "群组"),
    "dq_table_operator_days": T("Operator days", "运营人员日统计"),
    "dq_members": T(
        "{rows} memberships, {accounts} platform accounts, {people} people",
        "{rows} 条成员关系，{accounts} 个平台账号，{people} 人",
    ),
    "dq_orders": T("{paid} paid, {amount} net of refunds", "已支付 {paid} 笔，扣除退款后 {amount}"),
    "dq_linked": T(
        "{linked} of {rows} orders are linked to a member; {unlinked} are not "
        "({amount} paid) and are never counted as community revenue.",
        "{rows} 笔订单中 {linked} 笔关联到成员；{unlinked} 笔未关联（已支付 {amount}），"
        "不计入社群收入。",
    ),
    "dq_identity": T(
        "Identity merging: {accounts} accounts became {people} people ({merged} accounts "
        "merged through the mapping file or matching hashed e-mail/phone, never names).",
        "身份合并：{accounts} 个账号合并为 {people} 人（{merged} 个账号经映射文件或一致的"
        "邮箱/手机号哈希合并，从不依据昵称）。",
    ),
    "dq_dropped": T("Read but not loaded", "读取但未载入"),
    "dq_file": T("File", "文件"),
    "dq_reason": T("Reason", "原因"),
    "dq_none_dropped": T("Every record read was loaded.", "读取的全部记录均已载入。"),
    "contact": T("Contact", "联系方式"),
    # charts
    "chart_of": T("Chart: {title}", "图表：{title}"),
    "other": T("Other", "其他"),
    "nodes_shown": T(
        "The {shown} most connected members and their {links} strongest links; "
        "node size = weighted degree, line width = interactions.",
        "连接最多的 {shown} 位成员及其间最强的 {links} 条连接；节点大小 = 加权度，线宽 = 互动量。",
    ),
    # units
    "unit_days": T("days", "天"),
    "unit_hours": T("hours", "小时"),
    "unit_minutes": T("min", "分钟"),
    "unit_per_member": T("per member", "/人"),
}


def label(key: str, lang: str, **values: object) -> str:
    """The UI label ``key`` in ``lang``, with ``{placeholders}`` filled.

    >>> label("contents", "zh-CN")
    '目录'
    """
    try:
        text = LABELS[key]
    except KeyError:
        raise KeyError(f"no UI label '{key}' in plugins/renderers/labels.py") from None
    out = text.get(lang)
    return out.format(**values) if values else out
