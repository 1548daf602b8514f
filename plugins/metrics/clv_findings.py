"""Plain-language findings of the CLV section, from its collected tables and model fits."""

from __future__ import annotations

import numpy as np
import polars as pl

from communityroi import Finding
from plugins.metrics import clv_text as txt


def findings(pop, tables, fits, orders_check, opts, cur, h, predicted, has_spend):
    out = [Finding(n, "neutral", 0.5) for n in fits["notes"]]
    money = lambda v: f"{v:,.2f} {cur}"  # noqa: E731
    if opts.value_basis == "gross_margin" and orders_check.height:
        miss = int(orders_check["missing_margin"][0] or 0)
        if miss:
            out.append(Finding(txt.FIND_MARGIN.format(n=miss), "neutral", 0.4))
    if pop.height >= 10:
        v = np.sort(pop["total"].to_numpy())[::-1]
        k = max(1, round(v.size * 0.1))
        if v.sum() > 0:
            share = v[:k].sum() / v.sum() * 100
            out.append(Finding(txt.FIND_TOP10.format(s=f"{share:.0f}"), "neutral", 0.6))
    by = next((t for t in tables if t.key == "clv_by_group"), None)
    if by is not None and by.data.height >= 2 and by.data["avg_clv_per_member"][0]:
        best, worst = by.data.row(0, named=True), by.data.row(by.data.height - 1, named=True)
        if worst["avg_clv_per_member"]:
            times = best["avg_clv_per_member"] / worst["avg_clv_per_member"]
            out.append(
                Finding(
                    txt.FIND_GROUP.format(
                        g=best["group"],
                        v=money(best["avg_clv_per_member"]),
                        w=worst["group"],
                        x=f"{times:.1f}",
                    ),
                    "good",
                    0.7,
                )
            )
    if predicted and pop.height:
        lapsed = pop.filter((pl.col("x") > 0) & (pl.col("p_alive") < 0.5)).height
        if lapsed:
            out.append(Finding(txt.FIND_LAPSED.format(n=lapsed), "bad", 0.8))
        if has_spend:
            out.append(
                Finding(
                    txt.FIND_FUTURE.format(
                        n=pop.height,
                        h=h.en,
                        hz=h.zh,
                        e=f"{pop['expected_purchases'].sum():,.0f}",
                        v=money(pop["predicted_clv"].sum()),
                    ),
                    "good",
                    0.75,
                )
            )
    return out
