"""What was loaded, what was not, and what could not be linked: the data-quality summary.

One summary serves ``validate`` (printed), ``validate --json`` (docs/json-format.md),
report.json (``data_quality``) and the report's data-quality appendix, so the four never
disagree. Counts (all over the whole loaded history, not only the report period):

- ``members.rows``: membership rows as loaded (one per account and group);
  ``members.accounts``: distinct platform accounts (platform, member_id) as loaded;
  ``members.people``: distinct members after identity merging (the transforms);
- ``activities.by_kind``: rows per ``kind``;
- ``orders.paid``: orders with status ``paid``; ``orders.paid_amount``: their amount minus
  ``refunded_amount`` (when present), in the report currency;
- ``orders.linked_to_members``: orders whose ``member_id`` is a member, or whose
  ``customer_id`` is some member's ``customer_id`` — the orders any metric can credit to
  the community; the rest are ``unlinked`` (count and paid amount).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from core.loading import Loaded
from core.report import Period
from core.schema import SCHEMA

_OTHER_TABLES = ("costs", "campaigns", "groups", "operator_days")


def describe_sources(
    sources: list[dict[str, Any]], detected_by: str | None = None
) -> list[dict[str, Any]]:
    """``{"type", "path", "detected_by"}`` per configured source (passwords masked).

    ``path`` is the source's ``path`` (or ``url``); a source that takes one path per
    table (``files``) lists them under ``paths``."""
    out = []
    for cfg in sources:
        where = cfg.get("path") or cfg.get("url")
        row: dict[str, Any] = {
            "type": cfg["type"],
            "path": re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(where)) if where else None,
            "detected_by": detected_by or "config",
        }
        paths = {t: str(cfg[t]) for t in SCHEMA if isinstance(cfg.get(t), str)}
        if paths:
            row["paths"] = paths
        out.append(row)
    return out


def _net(schema: pl.Schema) -> pl.Expr:
    amount = pl.col("amount")
    if "refunded_amount" in schema:
        amount = amount - pl.col("refunded_amount").fill_null(0.0)
    return amount


def _queries(loaded: Loaded, frames: Mapping[str, pl.LazyFrame]) -> dict[str, pl.LazyFrame]:
    q: dict[str, pl.LazyFrame] = {}
    raw_members = loaded.frames.get("members")
    members = frames.get("members")
    if raw_members is not None and members is not None:
        q["members"] = pl.concat(
            [
                raw_members.select(
                    pl.len().alias("rows"),
                    pl.struct("platform", "member_id").n_unique().alias("accounts"),
                ),
                members.select(pl.col("member_id").n_unique().alias("people")),
            ],
            how="horizontal",
        )
    if "activities" in frames:
        acts = frames["activities"]
        q["activities"] = acts.group_by("kind").agg(pl.len().alias("rows")).sort("kind")
    if "orders" in frames:
        orders = frames["orders"]
        schema = orders.collect_schema()
        if members is not None:
            ids = members.select("member_id").unique()
            customers = members.select("customer_id").drop_nulls().unique()
            linked = pl.col("_by_member").is_not_null() | pl.col("_by_customer").is_not_null()
            orders = orders.join(
                ids.with_columns(pl.lit(True).alias("_by_member")), on="member_id", how="left"
            ).join(
                customers.with_columns(pl.lit(True).alias("_by_customer")),
                on="customer_id",
                how="left",
            )
        else:  # a column, not a literal: a literal's sum is one row, not every order
            orders = orders.with_columns(pl.lit(False).alias("_linked"))
            linked = pl.col("_linked")
        paid = pl.col("status") == "paid"
        q["orders"] = orders.select(
            pl.len().alias("rows"),
            paid.sum().alias("paid"),
            _net(schema).filter(paid).sum().alias("paid_amount"),
            linked.sum().alias("linked_to_members"),
            (~linked).sum().alias("unlinked"),
            _net(schema).filter(paid & ~linked).sum().alias("unlinked_paid_amount"),
        )
    for t in _OTHER_TABLES:
        if t in frames:
            q[t] = frames[t].select(pl.len().alias("rows"))
    return q


def summarize(
    loaded: Loaded,
    frames: Mapping[str, pl.LazyFrame],
    *,
    period: Period,
    currency: str,
    sources: list[dict[str, Any]],
    identity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The data-quality summary (a JSON-ready dict, keys as in docs/json-format.md).

    ``loaded`` holds the frames as loaded (before transforms), its problems and drops;
    ``frames`` the tables after the transforms (identity merging, order linking).
    """
    queries = _queries(loaded, frames)
    names = list(queries)
    done = dict(zip(names, pl.collect_all([queries[n] for n in names]), strict=True))
    tables: dict[str, Any] = {}
    for t in SCHEMA:
        if t not in done:
            continue
        df = done[t]
        if t == "activities":
            by_kind = {k: int(n) for k, n in df.iter_rows()}
            tables[t] = {"rows": sum(by_kind.values()), "by_kind": by_kind}
            continue
        row = df.row(0, named=True)
        if t == "orders":
            row["currency"] = currency
            for k in ("paid_amount", "unlinked_paid_amount"):
                row[k] = round(float(row[k] or 0.0), 2)
        tables[t] = {k: (int(v) if isinstance(v, int) else v) for k, v in row.items()}
    return {
        "sources": sources,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "tables": tables,
        "identity": dict(identity) if identity else None,
        "dropped": [{"file": d.origin, "reason": d.reason, "rows": d.rows} for d in loaded.dropped],
        "problems": [p.as_dict() for p in loaded.problems],
    }


def notes(summary: Mapping[str, Any]) -> list[str]:
    """One-line warnings for what a reader of the numbers must know (English)."""
    out = []
    orders = summary["tables"].get("orders")
    if orders and orders["rows"] and not orders["linked_to_members"]:
        # some unlinked orders are normal (non-member customers); none linked is a config gap
        out.append(
            f"none of the {orders['rows']:,} order(s) "
            f"({orders['paid_amount']:,.2f} {orders['currency']} paid) is linked to a member, "
            "so the community is credited with no revenue; give the orders member_id or "
            "customer_id, or link them by e-mail/phone with [transforms.identity]"
        )
    total = sum(d["rows"] for d in summary["dropped"])
    if total:
        out.append(
            f"{total:,} record(s) read but not loaded in {len(summary['dropped'])} group(s); "
            "see the data-quality appendix or 'communityroi validate'"
        )
    return out
