"""The CLV section: KPIs, tables, charts, findings and methodology from collected frames.

Everything here works on collected DataFrames (the ``build`` step of ``plugins.metrics.clv``);
the numbers' definitions are in :mod:`plugins.metrics.clv`, the model maths in
:mod:`plugins.metrics.clv_models`, and the labels and methodology formulas (shown in the
report) in :mod:`plugins.metrics.clv_text`.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from communityroi import KPI, Chart, ColumnInfo, Section, T, Table
from plugins.metrics import clv_findings
from plugins.metrics import clv_text as txt

NOTE_FEW = txt.NOTE_FEW
NOTE_FEW_REPEAT = txt.NOTE_FEW_REPEAT
NOTE_NO_REPEAT = txt.NOTE_NO_REPEAT
NOTE_FAILED = txt.NOTE_FAILED

_CUR, _CNT, _PCT = "currency", "count", "percent"


def section(*, customers, pairs, n_members, groups, orders_check, fits, predicted, opts, currency):
    """``pairs``: per dimension (group_id, segment) its members per value (dim, members)
    and the distinct (member_id, dim) rows of the members table for the members who
    bought; ``n_members``: distinct member ids listed or buying."""
    members_only = customers.filter(pl.col("member_id").is_not_null())
    pop = members_only if opts.population == "members" else customers
    has_spend = predicted and pop.height > 0 and pop["predicted_clv"].null_count() < pop.height
    unit = txt.UNIT[opts.time_unit]
    horizon = opts.horizon_units
    h = T(f"{horizon:g} {unit.en}", f"{horizon:g} {unit.zh}")

    def agg(expr, frame=pop, ok=True):
        return frame.select(expr).item() if ok and frame.height else None

    p_ok = predicted and pop.height > 0
    kpis = (
        KPI(
            "avg_observed_clv",
            txt.K_AVG_OBS,
            agg(pl.col("total").mean()),
            _CUR,
            txt.F_AVG_OBS.formula,
            headline=True,
        ),
        KPI(
            "observed_clv_per_member",
            txt.K_PER_MEMBER,
            members_only["total"].sum() / n_members if n_members else None,
            _CUR,
            txt.F_PER_MEMBER.formula,
        ),
        KPI("buyers", txt.K_BUYERS, pop.height, _CNT, txt.F_BUYERS.formula),
        KPI(
            "repeat_purchase_rate",
            txt.K_REPEAT,
            agg((pl.col("x") > 0).mean() * 100),
            _PCT,
            txt.F_REPEAT.formula,
        ),
        KPI(
            "avg_predicted_clv",
            txt.K_AVG_PRED.format(h=h.en, hz=h.zh),
            agg(pl.col("predicted_clv").mean(), ok=has_spend),
            _CUR,
            txt.F_CLV.formula,
        ),
        KPI(
            "predicted_clv_total",
            txt.K_TOTAL_PRED.format(h=h.en, hz=h.zh),
            agg(pl.col("predicted_clv").sum(), ok=has_spend),
            _CUR,
            txt.F_CLV.formula,
        ),
        KPI(
            "expected_purchases",
            txt.K_EXP.format(h=h.en, hz=h.zh),
            agg(pl.col("expected_purchases").sum(), ok=p_ok),
            _CNT,
            txt.F_EXP.formula,
        ),
        KPI(
            "share_alive",
            txt.K_ALIVE,
            agg((pl.col("p_alive") >= 0.5).mean() * 100, ok=p_ok),
            _PCT,
            txt.F_ALIVE.formula,
        ),
    )
    tables, charts = [], []
    if pop.height:
        tables.append(_distribution(pop["total"].to_numpy(), opts.histogram_bins, currency))
        charts.append(
            Chart(
                "clv_histogram",
                "histogram",
                txt.TITLE_DIST,
                "clv_distribution",
                "bin",
                ("buyers",),
                unit=_CNT,
                x_label=txt.COL_VALUE.format(c=currency),
                y_label=txt.COL_BUYERS,
            )
        )
    named = groups.select("group_id", pl.col("name").fill_null(pl.col("group_id")))
    for dim, label, key, title in (
        ("group_id", "group", "clv_by_group", txt.TITLE_GROUP),
        ("segment", "segment", "clv_by_segment", txt.TITLE_SEGMENT),
    ):
        table = _by(dim, *pairs[dim], members_only, named, predicted, key, title)
        if table is not None:
            tables.append(table)
            charts.append(
                Chart(f"{key}_chart", "bar", title, key, label, ("avg_clv_per_member",), unit=_CUR)
            )
    if pop.height:
        tables.append(_members_table(pop, opts, predicted, top=True))
        if opts.member_table:
            tables.append(_members_table(pop, opts, predicted, top=False))
    params = _parameters(fits, opts)
    if params is not None:
        tables.append(params)
    findings = clv_findings.findings(
        pop, tables, fits, orders_check, opts, currency, h, predicted, has_spend
    )
    model = _model_extra(fits, opts)
    return Section(
        kpis=kpis,
        tables=tuple(tables),
        charts=tuple(charts),
        findings=tuple(findings),
        methodology=txt.methodology(opts),
        extra={"model": model},
        intro=txt.INTRO,
    )


def _nice(v: float) -> float:
    """Smallest 1, 2, 2.5 or 5 × 10^k that is ≥ v."""
    if v <= 0 or not math.isfinite(v):
        return 1.0
    k = 10.0 ** math.floor(math.log10(v))
    return next(k * m for m in (1, 2, 2.5, 5, 10) if k * m >= v * (1 - 1e-12))


def histogram(values: np.ndarray, bins: int) -> pl.DataFrame:
    """``bins`` bins of width s = nice(p99 / (bins−1)): [0, s), [s, 2s), …, [(bins−1)s, ∞);
    values below 0 fall in the first bin. Columns bin, lower, upper, buyers, share (%)."""
    v = np.asarray(values, dtype=float)
    top = float(np.quantile(v, 0.99)) if v.size else 0.0
    step = _nice((top if top > 0 else max(float(v.max(initial=0.0)), 1.0)) / (bins - 1))
    idx = np.clip(np.floor(v / step), 0, bins - 1).astype(int)
    counts = np.bincount(idx, minlength=bins)
    lower = step * np.arange(bins)
    digits = 0 if step >= 1 else 2

    def fmt(z: float) -> str:
        return f"{z:,.{digits}f}"

    labels = [f"{fmt(lo)}–{fmt(lo + step)}" for lo in lower[:-1]] + [f"≥ {fmt(lower[-1])}"]
    return pl.DataFrame(
        {
            "bin": labels,
            "lower": lower,
            "upper": [*list(lower[1:]), None],
            "buyers": counts,
            "share": counts / max(v.size, 1) * 100,
        },
        schema_overrides={"upper": pl.Float64, "buyers": pl.Int64},
    )


def _distribution(values, bins, currency) -> Table:
    cols = {
        "bin": ColumnInfo(txt.COL_VALUE.format(c=currency)),
        "lower": ColumnInfo(T("From", "下限"), _CUR),
        "upper": ColumnInfo(T("To (excl.)", "上限（不含）"), _CUR),
        "buyers": ColumnInfo(txt.COL_BUYERS, _CNT),
        "share": ColumnInfo(T("Share", "占比"), _PCT),
    }
    return Table(
        "clv_distribution", txt.TITLE_DIST, histogram(values, bins), cols, note=txt.NOTE_HIST
    )


def _osum(column: str) -> pl.Expr:
    """Σ in ascending order of the values (0 when all are null): the same digits every run,
    whatever order the group-by visits the rows in."""
    return pl.col(column).drop_nulls().sort().cum_sum().last().fill_null(0.0)


def _by(dim, sizes, pairs, members, named, predicted, key, title) -> Table | None:
    """``sizes``: (dim, members) per value of ``dim``; ``pairs``: (member_id, dim) of the
    members who bought. A value whose members bought nothing has 0 buyers and value."""
    if sizes[dim].null_count() == sizes.height:
        return None
    value_cols = ["member_id", "total"] + (["predicted_clv"] if predicted else [])
    joined = pairs.join(members.select(value_cols), on="member_id", how="left")
    buyers = pl.col("total").is_not_null().sum()
    aggs = [buyers.alias("buyers"), _osum("total").alias("observed_value")]
    if predicted:
        n_pred = pl.col("predicted_clv").is_not_null().sum()
        aggs.append(
            pl.when(n_pred > 0).then(_osum("predicted_clv") / n_pred).alias("avg_predicted_clv")
        )
    value, n = pl.col("observed_value"), pl.col("buyers")
    out = (
        sizes.join(joined.group_by(dim).agg(aggs), on=dim, how="left", nulls_equal=True)
        .with_columns(n.fill_null(0), value.fill_null(0.0))
        .with_columns(
            (value / pl.col("members")).alias("avg_clv_per_member"),
            pl.when(n > 0).then(value / n).alias("avg_clv_per_buyer"),
        )
        .select(dim, "members", "buyers", "observed_value", "avg_clv_per_member",
                "avg_clv_per_buyer", *(["avg_predicted_clv"] if predicted else []))
    )  # fmt: skip
    none = txt.NO_GROUP if dim == "group_id" else txt.NO_SEGMENT
    if dim == "group_id":
        out = (
            out.join(named, on="group_id", how="left")
            .with_columns(
                pl.col("name").fill_null(pl.col("group_id")).fill_null(none.en).alias("group")
            )
            .drop("name")
        )
    else:
        out = out.with_columns(pl.col("segment").fill_null(none.en))
    label = "group" if dim == "group_id" else "segment"
    out = out.sort(["avg_clv_per_member", label], descending=[True, False], nulls_last=True)
    out = out.select(label, pl.exclude(label, "group_id")) if label == "group" else out
    cols = {
        label: ColumnInfo(T("Group", "社群") if label == "group" else T("Segment", "分层")),
        "members": ColumnInfo(T("Members (incl. former)", "成员数（含已退群）"), _CNT),
        "buyers": ColumnInfo(txt.COL_BUYERS, _CNT),
        "observed_value": ColumnInfo(T("Observed value", "已实现价值"), _CUR),
        "avg_clv_per_member": ColumnInfo(T("Observed CLV per member", "人均已实现价值"), _CUR),
        "avg_clv_per_buyer": ColumnInfo(T("Observed CLV per buyer", "买家人均已实现价值"), _CUR),
        "avg_predicted_clv": ColumnInfo(T("Predicted CLV per buyer", "买家人均预测价值"), _CUR),
    }
    return Table(
        key, title, out, {k: v for k, v in cols.items() if k in out.columns}, note=txt.NOTE_GROUPS
    )


def _members_table(pop, opts, predicted, *, top: bool) -> Table:
    """Per-customer outputs: the top ``top_n`` (shown) or everyone (``member_clv``, only in
    machine-readable outputs). Sorted by predicted CLV, or observed value without a model."""
    order = (
        "predicted_clv" if predicted and pop["predicted_clv"].null_count() < pop.height else "total"
    )
    who = (
        pl.col("member_id")
        if opts.population == "members"
        else pl.coalesce("member_id", "customer_id")
    )
    u = {"days": 1.0, "weeks": 7.0}[opts.time_unit]
    rfm = [] if top else [
        (pl.col("tx_days") / u).alias("t_x"),
        (pl.col("T_days") / u).alias("T"),
    ]  # fmt: skip
    extra = (
        [
            (pl.col("p_alive") * 100).alias("p_alive"),
            "expected_purchases",
            "expected_spend",
            "predicted_clv",
        ]
        if predicted
        else []
    )
    data = _ranked(pop, order, opts.top_n if top else None).select(
        who.alias("member"),
        pl.col("total").alias("observed_value"),
        (pl.col("x") + 1).alias("purchase_days"),
        *rfm,
        *extra,
    )
    unit = txt.UNIT[opts.time_unit]
    t_unit = "days" if opts.time_unit == "days" else "ratio"
    cols = {
        "member": ColumnInfo(T("Member", "成员"), "member"),
        "observed_value": ColumnInfo(T("Observed value", "已实现价值"), _CUR),
        "purchase_days": ColumnInfo(T("Purchase days", "购买天数"), _CNT),
        "t_x": ColumnInfo(T(f"Recency t_x ({unit.en})", f"最近购买 t_x（{unit.zh}）"), t_unit),
        "T": ColumnInfo(T(f"Age T ({unit.en})", f"客龄 T（{unit.zh}）"), t_unit),
        "p_alive": ColumnInfo(T("P(alive)", "存活概率"), _PCT),
        "expected_purchases": ColumnInfo(T("Expected purchases", "预期购买次数"), _CNT),
        "expected_spend": ColumnInfo(T("Expected spend per purchase", "预期单次消费"), _CUR),
        "predicted_clv": ColumnInfo(T("Predicted CLV", "预测终身价值"), _CUR),
    }
    cols = {k: v for k, v in cols.items() if k in data.columns}
    if top:
        return Table("top_members", txt.TITLE_TOP, data, cols)
    return Table("member_clv", txt.TITLE_ALL, data, cols, show=False)


def _ranked(pop: pl.DataFrame, order: str, top: int | None) -> pl.DataFrame:
    """``pop`` by ``order`` descending (nulls last), then ``key``; the first ``top`` rows
    only when given. Those are among the rows whose value is at least the top-th largest,
    so only they are sorted (375 k rows sorted by a number and a text for 20: 0.2 CPU-s)."""
    values = pop[order]
    nan = values.dtype.is_float() and values.is_nan().any()  # NaN sorts above every number
    if top is not None and not nan and values.len() - values.null_count() >= top > 0:
        pop = pop.filter(pl.col(order) >= values.top_k(top).min())
    data = pop.sort([order, "key"], descending=[True, False], nulls_last=True)
    return data if top is None else data.head(top)


def _parameters(fits, opts) -> Table | None:
    rows = []
    for model, fit in (("BG/NBD", fits["bgnbd"]), ("Gamma-Gamma", fits["gamma_gamma"])):
        if fit is None:
            continue
        for name, value in fit.params.items():
            rows.append((model, name, value, txt.PARAM_NOTES[name].en))
        rows.append((model, "log_likelihood", fit.log_likelihood, txt.NOTE_LL.en))
        rows.append((model, "n_customers", float(fit.n_customers), txt.NOTE_N_FIT.en))
    if not rows:
        return None
    data = pl.DataFrame(
        rows,
        schema={
            "model": pl.String,
            "parameter": pl.String,
            "value": pl.Float64,
            "meaning": pl.String,
        },
        orient="row",
    )
    cols = {
        "model": ColumnInfo(T("Model", "模型")),
        "parameter": ColumnInfo(T("Parameter", "参数")),
        "value": ColumnInfo(T("Value", "数值"), "ratio"),
        # the data keeps the English text (JSON); tables show it in the report language
        "meaning": ColumnInfo(
            T("Meaning", "含义"),
            values={m.en: m for m in (*txt.PARAM_NOTES.values(), txt.NOTE_LL, txt.NOTE_N_FIT)},
        ),
    }
    note = txt.NOTE_PARAMS.format(u=txt.UNIT[opts.time_unit].en, uz=txt.UNIT[opts.time_unit].zh)
    return Table("model_parameters", txt.TITLE_PARAMS, data, cols, note=note)


def _model_extra(fits, opts) -> dict:
    bg, gg = fits["bgnbd"], fits["gamma_gamma"]

    def val(fit, k):
        v = fit.params.get(k) if fit is not None and fit.converged else None
        return None if v is None or not math.isfinite(v) else v

    return {
        "bgnbd": {
            **{k: val(bg, k) for k in ("r", "alpha", "a", "b")},
            "log_likelihood": bg.log_likelihood if bg is not None and bg.converged else None,
            "n_customers": bg.n_customers if bg is not None else None,
            "time_unit": opts.time_unit,
            "converged": bool(bg is not None and bg.converged),
        },
        "gamma_gamma": {
            **{k: val(gg, k) for k in ("p", "q", "gamma")},
            "n_customers": gg.n_customers if gg is not None else None,
            "converged": bool(gg is not None and gg.converged),
        },
        "horizon": opts.horizon_units,
        "annual_discount_rate": opts.annual_discount_rate,
        "value_basis": opts.value_basis,
        "notes": [n.en for n in fits["notes"]],
    }
