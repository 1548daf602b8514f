"""The operators section from its collected frames: one row per operator, the ranking, the
service-quality and target tables, the chart, the staffing paragraph (formulas in
:mod:`plugins.metrics.operators` and :func:`staffing`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from communityroi import KPI, Chart, ColumnInfo, Finding, Section, T, Table
from plugins.metrics.operators_staffing import staffing, staffing_findings, targets
from plugins.metrics.operators_text import (
    INTRO,
    NO_OPERATOR,
    OPERATOR_KPIS,
    STATUS,
    column,
    methodology,
    within_label,
)
from plugins.metrics.purposes_text import LABELS as PURPOSE_LABELS

KPI_KEYS = tuple(OPERATOR_KPIS)
NONE = "—"
_COUNTS = (
    "customers",
    "added",
    "reachable",
    "active",
    "at_start",
    "retained",
    "buyers",
    "orders",
    "revenue",
    "direct_cost",
)


def per_operator(got: Mapping[str, pl.DataFrame], opts: Any) -> pl.DataFrame:
    """One row per operator (the customers without one last, as ``—``) with every
    per-operator KPI of :data:`KPI_KEYS`."""
    keys = ("customers", "revenue", "direct", "days", "service")
    ids = pl.concat(
        [got[k].select(pl.col("operator_id").cast(pl.String)) for k in keys]
        + [pl.DataFrame({"operator_id": list(opts.cost_split)}, schema={"operator_id": pl.String})]
    ).unique()
    out = ids
    for k in keys:
        out = out.join(
            got[k].with_columns(pl.col("operator_id").cast(pl.String)), on="operator_id", how="left"
        )
    unassigned = got["unassigned"]["unassigned_labour"][0] or 0.0
    share = pl.col("operator_id").replace_strict(
        opts.cost_split, default=0.0, return_dtype=pl.Float64
    )
    none = pl.col("operator_id") == NONE
    out = (
        out.with_columns(pl.col(c).fill_null(0) for c in _COUNTS if c in out.columns)
        .with_columns(
            pl.when(none)
            .then(None)
            .otherwise(pl.col("direct_cost") + share * unassigned)
            .alias("cost"),
            pl.when(pl.col("reachable") > 0)
            .then(pl.col("active") / pl.col("reachable") * 100)
            .alias("activity_rate"),
            pl.when(pl.col("at_start") > 0)
            .then(pl.col("retained") / pl.col("at_start") * 100)
            .alias("retention"),
            pl.when(pl.col("customers") > 0)
            .then(pl.col("revenue") / pl.col("customers"))
            .alias("revenue_per_customer"),
            pl.when(pl.col("hours") > 0)
            .then(pl.col("revenue") / pl.col("hours"))
            .alias("revenue_per_hour"),
            pl.when(none)
            .then(pl.lit(NONE))
            .otherwise(
                pl.col("operator_id").replace_strict(
                    opts.names, default=pl.col("operator_id"), return_dtype=pl.String
                )
            )
            .alias("name"),
        )
        .with_columns(
            pl.when(pl.col("cost") > 0)
            .then((pl.col("revenue") - pl.col("cost")) / pl.col("cost") * 100)
            .alias("roi"),
        )
    )
    return out.sort(none, pl.col("revenue").neg(), "operator_id")


def kpis(got: Mapping[str, pl.DataFrame], opts: Any) -> tuple[KPI, ...]:
    ops = per_operator(got, opts)
    staff = ops.filter(pl.col("operator_id") != NONE)
    n = staff.height
    rev, cost = staff["revenue"].sum(), staff["cost"].fill_null(0).sum()
    svc = got["service_all"].row(0, named=True)
    base = (
        KPI(
            "operators",
            T("Operators", "运营人员数"),
            n,
            "count",
            formula=T(
                "distinct operator_id in members, costs and WeCom statistics",
                "成员、成本与企微统计中出现的运营人员（去重）",
            ),
        ),
        KPI(
            "customers_per_operator",
            T("Customers per operator", "人均客户数"),
            staff["customers"].sum() / n if n else None,
            "count",
            formula=T("Σ operators' customers / operators", "运营人员客户数之和 ÷ 人数"),
        ),
        KPI(
            "revenue_per_operator",
            T("Revenue per operator", "人均客户贡献收入"),
            rev / n if n else None,
            "currency",
            headline=True,
            formula=T(
                "Σ operators' customers' revenue / operators", "运营人员客户贡献收入之和 ÷ 人数"
            ),
        ),
        KPI(
            "operator_roi",
            T("ROI on operator cost", "运营人力 ROI"),
            (rev - cost) / cost * 100 if cost else None,
            "percent",
            formula=T(
                "(Σ operators' revenue − Σ operator cost) / Σ operator cost × 100 %",
                "（运营人员客户收入之和 − 运营人员成本之和）÷ 运营人员成本之和 × 100%",
            ),
        ),
    )
    if not svc["questions"]:  # no operator accounts in the chats: no response KPIs
        return base
    return (
        *base,
        KPI(
            "first_response_minutes",
            T("First response in groups", "群内首次响应时长"),
            svc["first_response_minutes"],
            "minutes",
            higher_is_better=False,
            formula=T(
                "mean minutes from a customer question to the first operator response, "
                "working hours",
                "工作时段内客户提问到运营首次回复的平均分钟数",
            ),
        ),
        KPI(
            "reply_within_rate",
            within_label(opts.reply_within_minutes),
            svc["reply_within_rate"],
            "percent",
            formula=T(
                "questions answered within the limit / questions × 100 %",
                "限时内回复的提问 ÷ 提问数 × 100%",
            ),
        ),
        KPI(
            "unreplied_rate",
            T("Unreplied questions", "未回复率"),
            svc["unreplied_rate"],
            "percent",
            higher_is_better=False,
            formula=T(
                "questions without a response that working day / questions × 100 %",
                "当天工作时段内未得到回复的提问 ÷ 提问数 × 100%",
            ),
        ),
    )


EXTRA = ("median_response_minutes", "new_applies", "at_start", "retained", "orders")


def _columns(keys: tuple[str, ...]) -> dict[str, ColumnInfo]:
    cols = {
        "operator_id": ColumnInfo(T("Operator account", "运营人员账号")),
        "name": ColumnInfo(T("Operator", "运营人员"), values={NONE: NO_OPERATOR}),
    }
    return cols | {k: column(k) for k in keys}


RANKING = (
    "customers",
    "added",
    "active",
    "retention",
    "revenue",
    "cost",
    "roi",
    "revenue_per_customer",
)
SERVICE = (
    "questions",
    "first_response_minutes",
    "reply_within_rate",
    "unreplied_rate",
    "new_contacts",
    "chats",
    "reply_rate",
    "avg_reply_minutes",
    "negative_feedback",
)


def build(got: Mapping[str, pl.DataFrame], opts: Any) -> Section:
    ops = per_operator(got, opts)
    within = within_label(opts.reply_within_minutes)
    chat = bool(got["service_all"]["questions"][0])  # questions counted from the chats
    service_keys = SERVICE if chat else SERVICE[4:]
    svc_cols = _columns(service_keys) | (
        {"reply_within_rate": ColumnInfo(within, "percent")} if chat else {}
    )
    every = [k for k in (*KPI_KEYS, *EXTRA) if k in ops.columns]
    labels = _columns(tuple(every)) | {"reply_within_rate": ColumnInfo(within, "percent")}
    tables = [
        Table(
            "ranking",
            T("Operators ranked by their customers' revenue", "运营人员排名（按客户贡献收入）"),
            ops.select("name", *RANKING),
            _columns(RANKING),
        ),
        Table(
            "service",
            T("Response and WeCom statistics per operator", "各运营人员响应与企微统计"),
            ops.filter(pl.col("operator_id") != NONE).select("name", *service_keys),
            svc_cols,
        ),
        Table(
            "operators",
            T("Every figure per operator", "各运营人员全部指标"),
            ops.select("operator_id", "name", *every),
            labels,
            show=False,  # report.json and the spreadsheet
        ),
    ]
    if chat:
        groups = got["service_groups"].select(
            pl.coalesce("name", "group_id").alias("name"),
            "purpose",
            *[c for c in got["service_groups"].columns if c not in ("group_id", "name", "purpose")],
        )
        tables.append(
            Table(
                "service_by_group",
                T("Response in each group", "各群响应情况"),
                groups,
                {
                    "name": ColumnInfo(T("Group", "群")),
                    "purpose": ColumnInfo(T("Purpose", "用途"), values=PURPOSE_LABELS),
                    "questions": column("questions"),
                    "first_response_minutes": column("first_response_minutes"),
                    "reply_within_rate": ColumnInfo(within, "percent"),
                    "unreplied_rate": column("unreplied_rate"),
                },
            )
        )
    tgt = targets(ops, opts)
    if tgt.height:
        labels = {k: v[0] for k, v in OPERATOR_KPIS.items()} | {"reply_within_rate": within}
        tables.append(
            Table(
                "targets",
                T("Targets per operator", "运营人员目标达成"),
                tgt.drop("operator_id"),
                {
                    "name": ColumnInfo(T("Operator", "运营人员")),
                    "kpi": ColumnInfo(T("KPI", "指标"), values=labels),
                    "target": ColumnInfo(T("Target", "目标")),
                    "actual": ColumnInfo(T("Actual", "实际"), "score"),
                    "status": ColumnInfo(T("Status", "状态"), values=STATUS),
                },
            )
        )
    charts = [
        Chart(
            "operator_revenue_cost",
            "bar",
            T("Customers' revenue and cost per operator", "各运营人员客户收入与成本"),
            "ranking",
            x="name",
            y=("revenue", "cost"),
            unit="currency",
            y_label=T("Amount", "金额"),
        )
    ]
    if chat:
        charts.append(
            Chart(
                "operator_response",
                "bar",
                T("First response per operator (minutes)", "各运营人员首次响应时长（分钟）"),
                "service",
                x="name",
                y=("first_response_minutes",),
                y_label=T("Minutes", "分钟"),
            )
        )
    s = staffing(ops)
    findings = list(staffing_findings(s))
    staff = ops.filter(pl.col("operator_id") != NONE)
    if staff.height >= 2 and staff["revenue"].sum() > 0:
        best = staff.row(0, named=True)
        findings.append(
            Finding(
                T(
                    "{o}'s customers brought the most revenue: {r:,.0f} from {c:,} customers.",
                    "{o} 的客户贡献收入最高：{c:,} 位客户带来 {r:,.0f}。",
                ).format(o=best["name"], r=best["revenue"], c=best["customers"]),
                "good",
                5,
            )
        )
    missed = tgt.filter(pl.col("status") == "missed") if tgt.height else tgt
    if missed.height:
        findings.append(
            Finding(
                T(
                    "Operator targets: {m} met, {n} missed.",
                    "运营人员目标：{m} 项达成，{n} 项未达成。",
                ).format(n=missed.height, m=tgt.filter(pl.col("status") == "met").height),
                "bad",
                5,
            )
        )
    return Section(
        kpis=kpis(got, opts),
        tables=tuple(tables),
        charts=tuple(charts),
        findings=tuple(findings),
        methodology=methodology(opts.working_hours, opts.working_days, opts.reply_within_minutes),
        intro=INTRO,
        extra={"staffing": s},
    )
