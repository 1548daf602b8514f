"""Targets per operator and the staffing paragraph of the operators section (formulas in
:mod:`plugins.metrics.operators_text`)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl

from communityroi import Finding, T
from plugins.metrics.operators_text import OPERATOR_KPIS

NONE = "—"
_TARGET = re.compile(r"^\s*(>=|<=|≥|≤)?\s*(-?\d+(?:\.\d+)?)\s*%?\s*$")


def _parsed(operator: str, key: str, raw: Any) -> tuple[str, float]:
    parsed = _target(raw, OPERATOR_KPIS[key][2])
    if parsed is None:
        raise ValueError(
            f"targets.operators.{operator}.{key}: '{raw}' is not a target like \">= 5000\""
        )
    return parsed


def _target(raw: Any, higher: bool) -> tuple[str, float] | None:
    m = _TARGET.match(str(raw))
    if not m:
        return None
    op = {"≥": ">=", "≤": "<="}.get(m.group(1) or "", m.group(1)) or (">=" if higher else "<=")
    return op, float(m.group(2))


def targets(ops: pl.DataFrame, opts: Any) -> pl.DataFrame:
    """(operator_id, name, kpi, target, actual, status) for each target set in
    ``[targets.operators]`` (a table per operator; ``"*"`` for every operator). A target
    for an operator with no row this period (a typo, or nobody assigned) is listed with
    status ``no_data`` rather than dropped in silence."""
    rows = []
    known = ops.filter(pl.col("operator_id") != NONE)
    for row in known.iter_rows(named=True):
        table = {**opts.targets.get("*", {}), **opts.targets.get(row["operator_id"], {})}
        for key, raw in table.items():
            op, value = _parsed(row["operator_id"], key, raw)
            actual = row.get(key)
            met = None if actual is None else (actual >= value if op == ">=" else actual <= value)
            status = None if met is None else ("met" if met else "missed")
            rows.append((row["operator_id"], row["name"], key, f"{op} {value:g}", actual, status))
    for operator in sorted(set(opts.targets) - {"*"} - set(known["operator_id"])):
        for key, raw in opts.targets[operator].items():
            op, value = _parsed(operator, key, raw)
            name = (getattr(opts, "names", None) or {}).get(operator, operator)
            rows.append((operator, name, key, f"{op} {value:g}", None, "no_data"))
    schema = {
        "operator_id": pl.String,
        "name": pl.String,
        "kpi": pl.String,
        "target": pl.String,
        "actual": pl.Float64,
        "status": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def staffing(ops: pl.DataFrame) -> dict[str, Any]:
    """The staffing figures (formulas in the methodology): operators, customers per
    operator, revenue per operator-hour, and the revenue line r = a + b·n of revenue per
    customer over portfolio size with the gain −b·N²/2 of splitting the largest portfolio."""
    staff = ops.filter((pl.col("operator_id") != NONE) & (pl.col("customers") > 0))
    n_ops = ops.filter(pl.col("operator_id") != NONE).height
    out: dict[str, Any] = {"operators": n_ops}
    out["customers_per_operator"] = staff["customers"].sum() / n_ops if n_ops else None
    hours = staff["hours"].fill_null(0).sum() if "hours" in staff.columns else 0
    timed = staff.filter(pl.col("hours").fill_null(0) > 0)
    out["revenue_per_hour"] = timed["revenue"].sum() / timed["hours"].sum() if hours else None
    costs = ops.filter((pl.col("operator_id") != NONE) & (pl.col("cost") > 0))["cost"]
    out["mean_cost"] = costs.mean() if costs.len() else None
    if staff.height >= 3 and staff["customers"].n_unique() >= 2:
        n = staff["customers"].to_numpy().astype(float)
        r = staff["revenue_per_customer"].to_numpy().astype(float)
        b, a = np.polyfit(n, r, 1)
        top = staff.sort("customers", "operator_id", descending=[True, False]).row(0, named=True)
        out |= {
            "slope": float(b),
            "intercept": float(a),
            "largest": top["operator_id"],
            "largest_name": top["name"],
            "largest_customers": int(top["customers"]),
            "gain": float(-b * top["customers"] ** 2 / 2),
        }
    return out


def staffing_findings(s: dict[str, Any]) -> tuple[Finding, ...]:
    if not s["operators"]:
        return ()
    out = [
        Finding(
            T(
                "{n} operators look after {c:,.0f} customers each on average.",
                "{n} 位运营人员，平均每人维护 {c:,.0f} 位客户。",
            ).format(n=s["operators"], c=s["customers_per_operator"] or 0),
            "neutral",
            4,
        )
    ]
    if s.get("revenue_per_hour") is not None:
        out.append(
            Finding(
                T(
                    "Revenue per operator-hour: {v:,.0f} (customers' revenue / hours in the "
                    "ledger).",
                    "每运营工时收入 {v:,.0f}（客户贡献收入 ÷ 台账工时）。",
                ).format(v=s["revenue_per_hour"]),
                "neutral",
                4,
            )
        )
    if "slope" not in s:
        return tuple(out)
    if s["slope"] < 0:
        cost = s.get("mean_cost")
        pays = cost is not None and s["gain"] > cost
        tail = (
            T(", more than an operator costs on average ({c:,.0f})", "，高于人均成本 {c:,.0f}")
            if pays
            else T(", less than an operator costs on average ({c:,.0f})", "，低于人均成本 {c:,.0f}")
            if cost is not None
            else T("", "")
        )
        tail = tail.format(c=cost) if cost is not None else tail
        text = T(
            "Revenue per customer falls by {b:,.1f} for each extra customer in a portfolio: "
            "one more operator taking half of {o}'s {n:,} customers would add about {g:,.0f}"
            + tail.en
            + ". A comparison across operators whose customers also differ: a hint where to "
            "staff, not a measured effect.",
            "客户盘每多 1 位客户，客均收入下降 {b:,.1f}：增加一名运营人员接手{o}的 {n:,} "
            "位客户中的一半，预计增加收入约 {g:,.0f}" + tail.zh + "。这是不同运营人员之间的比较，"
            "各自的客户本身也不同：可作为人员配置的参考，并非实测效果。",
        ).format(b=-s["slope"], o=s["largest_name"], n=s["largest_customers"], g=s["gain"])
        out.append(Finding(text, "neutral", 5))
    else:
        out.append(
            Finding(
                T(
                    "Revenue per customer does not fall as portfolios grow (+{b:,.2f} per extra "
                    "customer): no sign that any operator has too many customers; one more "
                    "operator "
                    "pays only by adding customers.",
                    "客均收入并未随客户盘增大而下降（每多 1 位客户 +{b:,.2f}）："
                    "没有迹象表明有人负责的"
                    "客户过多；增加运营人员只能靠新增客户带来收入。",
                ).format(b=s["slope"]),
                "neutral",
                4,
            )
        )
    return tuple(out)
