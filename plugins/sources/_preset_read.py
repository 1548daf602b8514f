"""Reading an export through a preset (:mod:`plugins.sources._preset_spec`).

**Orders** (one row per order, or one per sub-order 子订单 rolled up by the order id):

- a row's *state* is its status word through ``[status]``; an after-sale word through
  ``[refund_status]`` (售后状态 退款成功 …) that says ``refunded`` makes it refunded, and so
  does a ``cancelled`` word on a row that was paid (``paid_at`` set) and has a refund
  (天猫 closes an order as 交易关闭 after a full refund). A status word the preset does not
  list stops the load with its row; after-sale words it does not list move no money;
- the row's paid amount is ``amount``, plus ``refund`` when the preset says the amount is
  ``net_of_refund`` (天猫 买家实际支付金额 already excludes 退款金额, so it must not be
  subtracted twice); a refunded row without a refund amount refunds its whole amount;
- per order: ``amount`` = the sum (``rollup = "sum"``) or the first (``"first"``) of the
  rows' amounts — the paid or refunded rows' when there are any; ``refunded_amount``
  likewise; status = ``paid`` when a row was paid or refunded (the boundary then makes a
  full refund ``refunded``; a partial refund stays paid and counts amount − refund),
  else ``pending``, else ``cancelled``. Without a status column the boundary's rule
  applies (an empty ``paid_at`` is pending). Extra sub-order rows are reported as rolled up.

**Memberships** (one row per payment: a join or a renewal) give orders (the fee, with
``product`` = the circle and ``expires_at``), members (one per member and circle: joined
at the first payment or the join time, ``left_at`` = the last paid expiry) and a
``renew`` activity for every paid payment after a member's first in that circle. A fee
not paid (a ``pending`` or ``cancelled`` status word) needs no payment time; it is dated
by its join time and gives no membership.

**Identities**: a WeChat ``unionid`` column, when the export has one, is the customer key
as written (the ``wecom`` source keys WeCom customers by it, so orders link to them);
otherwise a buyer or member id is stored as ``<platform>:`` + SHA-256 of the trimmed id,
never as written; a phone as ``phone_hash`` (E.164, ``default_country_code``) and, when
there is no buyer id, as the customer key ``phone:<hash>``; an order with neither is
``guest:<platform>:<order id>`` (a one-off buyer). Masked values (``138****0000``,
``$$密文``, ``##…``) are treated as empty. Display names are never read.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from communityroi import DataError, SourceContext
from core.parsing import parse_datetime
from plugins.sources import _io
from plugins.sources._preset_spec import Fit, norm

_MONEY_JUNK = r"[¥￥,\s\u00a0]|元|CNY|RMB"
LINE = "__line"
IDS = ("order_id", "sub_order_id")


def read_rows(path: Path, sheet: str | None, origin: str) -> pl.LazyFrame:
    """The file as text columns named as written (duplicate names get Polars' suffix)."""
    suffix = path.suffix.lower()
    try:
        if suffix in _io.EXCEL_SUFFIXES:
            kwargs = {"sheet_name": sheet} if sheet else {"sheet_id": 1}
            frame = pl.read_excel(path, engine="calamine", infer_schema_length=0, **kwargs)
            return frame.lazy()
        source = _io.utf8_copy(path)
        sep = "\t" if suffix == ".tsv" else _io.sniff_separator(source)
        frame = pl.scan_csv(source, separator=sep, infer_schema=False, truncate_ragged_lines=True)
        frame.collect_schema()
        return frame
    except DataError:
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{origin}: cannot read it ({first})") from None


def check_duplicates(names: list[str], fit: Fit, origin: str) -> None:
    """A header the preset reads must appear once (an unused duplicate is harmless)."""
    for role, header in fit.mapping.items():
        same = [n for n in names if norm(n.split("_duplicated_")[0]) == norm(header)]
        if len(same) > 1:
            raise DataError(
                f"{origin}: header '{header.strip()}' ({role}) appears {len(same)} times; "
                "rename or remove the extra column"
            )


def _cell(col: str, empty: list[str]) -> pl.Expr:
    e = _io.blank_to_null(col)
    return pl.when(~e.is_in(empty)).then(e)


def _ident(col: str, empty: list[str]) -> pl.Expr:
    """An id as Excel-guarded exports write it (tab, ``'``, ``="…"``) → the bare id."""
    e = _cell(col, empty).str.strip_chars("\t '=\"")
    return pl.when(e != "").then(e)


def _unmasked(e: pl.Expr) -> pl.Expr:
    return pl.when(~e.str.contains(r"\*|^\$\$|^##")).then(e)


def _money(col: str, empty: list[str]) -> pl.Expr:
    return _cell(col, empty).str.replace_all(_MONEY_JUNK, "").cast(pl.Float64, strict=False)


def _hash_key(platform: str, e: pl.Expr) -> pl.Expr:
    return pl.lit(f"{platform}:") + e.chash.sha2_256()


def _rows(frame: pl.LazyFrame, fit: Fit, origin: str) -> pl.LazyFrame:
    """Every role as a clean column (state, gross, refund …), checked row by row."""
    p, m = fit.preset, fit.mapping
    empty = p.empty
    have = set(m)
    gross_paid = _money(m["amount"], empty)
    refund = _money(m["refund"], empty).fill_null(0.0) if "refund" in have else pl.lit(0.0)
    word = _cell(m["status"], empty) if "status" in have else pl.lit(None, pl.String)
    state = word.replace_strict(p.status, default=None, return_dtype=pl.String)
    after = (
        _cell(m["refund_status"], empty).replace_strict(
            p.refund_status, default=None, return_dtype=pl.String
        )
        if "refund_status" in have
        else pl.lit(None, pl.String)
    )
    paid_at = _cell(m["paid_at"], empty) if "paid_at" in have else pl.lit(None, pl.String)
    checks = [
        (
            _cell(m["amount"], empty).is_not_null() & gross_paid.is_null(),
            m["amount"].strip(),
            "not an amount such as 199.00",
            _cell(m["amount"], empty),
        ),
        (gross_paid < 0, m["amount"].strip(), "negative amount; the export writes amounts ≥ 0"),
    ]
    if "refund" in have:
        checks.append((
            _cell(m["refund"], empty).is_not_null() & _money(m["refund"], empty).is_null(),
            m["refund"].strip(),
            "not an amount such as 20.00 (0 or empty for none; a word that means none "
            "goes under empty = [...] in the preset)",
            _cell(m["refund"], empty),
        ))  # fmt: skip
    if "status" in have:
        checks.append((
            word.is_not_null() & state.is_null(),
            m["status"].strip(),
            f"status word not in preset {p.name}; add it under [status] in the preset "
            f"(= \"paid\", \"pending\", \"cancelled\" or \"refunded\")",
            word,
        ))  # fmt: skip
    _io.check_rows(frame, checks, origin=origin)
    # (rounded to 6 decimals: 148.9 + 178.8 is 327.70000000000005 in floating point)
    gross = (gross_paid + refund).round(6) if p.amounts.net_of_refund else gross_paid
    full = (
        (after == "refunded")
        | (state == "refunded")
        | ((state == "cancelled") & paid_at.is_not_null() & (refund > 0))
    ).fill_null(False)
    return frame.with_row_index(LINE, offset=2).select(
        pl.col(LINE).cast(pl.Int64),
        gross.alias("gross"),
        pl.when(full & (refund <= 0)).then(gross).otherwise(refund).alias("refund"),
        pl.when(full).then(pl.lit("refunded")).otherwise(state).alias("state"),
        paid_at.alias("paid_at"),
        *[
            (_ident(m[r], empty) if r in IDS else _cell(m[r], empty)).alias(r)
            for r in (*IDS, "placed_at", "product", "circle", "joined_at", "expires_at")
            if r in have
        ],
        *[
            _unmasked(_ident(m[r], empty)).alias(r)
            for r in ("buyer", "member", "unionid")
            if r in have
        ],
        *(
            [_io.phone_hash(_cell(m["phone"], empty), p.default_country_code).alias("phone_hash")]
            if "phone" in have
            else []
        ),
    )


def orders(frame: pl.LazyFrame, fit: Fit, origin: str, ctx: SourceContext) -> pl.LazyFrame:
    """Canonical orders from an order export (see the module docstring)."""
    p, have = fit.preset, set(fit.mapping)
    rows = _rows(frame, fit, origin)
    checks = [(pl.col("order_id").is_null(), fit.mapping["order_id"].strip(),
               "empty order id; fill it in or remove the row")]  # fmt: skip
    for c in ("placed_at", "paid_at"):  # named as the export writes them, not 'at'
        if c in have:
            bad = parse_datetime(pl.col(c), pl.String, p.timezone or "UTC").is_null()
            checks.append((
                pl.col(c).is_not_null() & bad, fit.mapping[c].strip(),
                "not a time such as 2026-10-01 09:30:00", pl.col(c),
            ))  # fmt: skip
    _io.check_rows(rows, checks, origin=origin)
    counted = pl.col("state").is_in(["paid", "refunded"])
    take = (lambda e: e.sum().round(6)) if p.amounts.rollup == "sum" else (lambda e: e.first())

    def money(col: str) -> pl.Expr:
        return (
            pl.when(counted.any())
            .then(take(pl.col(col).filter(counted)))
            .otherwise(take(pl.col(col)))
            .alias(col)
        )

    status = (
        pl.when(counted.any())
        .then(pl.lit("paid"))
        .when((pl.col("state") == "pending").any())
        .then(pl.lit("pending"))
        .when((pl.col("state") == "cancelled").any())
        .then(pl.lit("cancelled"))
        .alias("status")
    )
    first = [
        pl.col(c).drop_nulls().first().alias(c)
        for c in ("placed_at", "paid_at", "product", "buyer", "unionid", "phone_hash")
        if c in rows.collect_schema()
    ]
    grouped = rows.group_by("order_id", maintain_order=True).agg(
        pl.col(LINE).min(), money("gross"), money("refund"), status, *first, pl.len().alias("n")
    )
    if "sub_order_id" in have:
        why = "sub-order rows (子订单) rolled up into their order; their amounts are in the order's"
    else:  # an export of one row per order that repeats an order (e.g. two exports pasted)
        kept = "their amounts added up" if p.amounts.rollup == "sum" else "the first one counts"
        why = f"rows repeating an order id merged into one order ({kept})"
    ctx.drop(origin, why, grouped.select((pl.col("n") - 1).sum()))
    keys = [pl.col("unionid")] if "unionid" in have else []  # WeChat's own id, as wecom
    if "buyer" in have:
        keys.append(_hash_key(p.platform, pl.col("buyer")))
    if "phone" in have:
        keys.append(pl.lit("phone:") + pl.col("phone_hash"))
    keys.append(pl.lit(f"guest:{p.platform}:") + pl.col("order_id"))
    out = [
        "order_id",
        pl.coalesce(keys).alias("customer_id"),
        pl.col("placed_at").alias("at"),
        pl.col("gross").alias("amount"),
        pl.col("refund").alias("refunded_amount"),
        pl.col("status") if "status" in have or "refund_status" in have else None,
        "paid_at" if "paid_at" in have else None,
        "product" if "product" in have else None,
        "phone_hash" if "phone" in have else None,
        pl.lit(p.currency).alias("currency") if p.currency else None,
        LINE,
        (pl.lit("order ") + pl.col("order_id")).alias("__ref"),
    ]
    # cached: the boundary's checks and its typed table read the grouped orders once
    return grouped.select([c for c in out if c is not None]).cache()


def memberships(
    frame: pl.LazyFrame, fit: Fit, origin: str, circle: str | None
) -> dict[str, pl.LazyFrame]:
    """Orders (fees), members and renew activities from a membership export."""
    p, m, have = fit.preset, fit.mapping, set(fit.mapping)
    tz = p.timezone or "UTC"
    rows = _rows(frame, fit, origin)
    when = {
        c: parse_datetime(pl.col(c), pl.String, tz)
        for c in ("paid_at", "expires_at", "joined_at")
        if c in rows.collect_schema()
    }
    checks = [(pl.col("member").is_null(), m["member"].strip(), "empty member id; fill it in")]
    for c, parsed in when.items():
        checks.append((
            pl.col(c).is_not_null() & parsed.is_null(), m[c].strip(),
            "not a time such as 2026-10-01 09:30:00", pl.col(c),
        ))  # fmt: skip
    # a fee not paid (待付款, 已关闭) has no payment time; a paid one (or one without a
    # status word) must have it
    unpaid = pl.col("state").is_in(["pending", "cancelled"]).fill_null(False)
    checks.append((
        pl.col("paid_at").is_null() & ~unpaid, m["paid_at"].strip(),
        "empty payment time on a paid fee; fill it in",
    ))  # fmt: skip
    _io.check_rows(rows, checks, origin=origin)
    name = circle or p.circle or p.title
    group = pl.col("circle") if "circle" in have else pl.lit(name)
    fees = rows.with_columns(
        *[e.alias(c) for c, e in when.items()],
        pl.coalesce(
            *([pl.col("unionid")] if "unionid" in have else []),
            _hash_key(p.platform, pl.col("member")),
        ).alias("key"),
        group.fill_null(pl.lit(name)).alias("group_id"),
        pl.col("state").fill_null(pl.lit("paid")),
    ).cache()
    order_id = pl.col("order_id") if "order_id" in have else None
    # an unpaid fee is dated by its join time when the export has one
    at = pl.coalesce("paid_at", "joined_at") if "joined_at" in have else pl.col("paid_at")
    synthetic = pl.col("key") + pl.lit(":") + at.dt.strftime("%Y%m%dT%H%M%S")
    paid = pl.col("state").is_in(["paid", "refunded"])
    orders_out = fees.select(
        (pl.coalesce(order_id, synthetic) if order_id is not None else synthetic).alias("order_id"),
        pl.col("key").alias("customer_id"),
        at.alias("at"),
        pl.when(paid).then(pl.col("paid_at")).alias("paid_at"),
        pl.col("gross").alias("amount"),
        pl.col("refund").alias("refunded_amount"),
        pl.when(paid).then(pl.lit("paid")).otherwise(pl.col("state")).alias("status"),
        pl.col("group_id").alias("product"),
        "expires_at",
        *(["phone_hash"] if "phone" in have else []),
        *([pl.lit(p.currency).alias("currency")] if p.currency else []),
        LINE,
    )
    joined = pl.col("joined_at") if "joined_at" in have else pl.col("paid_at")
    kept = fees.filter(paid & (pl.col("refund") < pl.col("gross")))  # refunded in full: no stay
    members = kept.group_by("key", "group_id", maintain_order=True).agg(
        pl.col(LINE).min(),
        pl.min_horizontal(joined.min(), pl.col("paid_at").min()).alias("joined_at"),
        pl.col("expires_at").max().alias("left_at"),
        *([pl.col("phone_hash").drop_nulls().first()] if "phone" in have else []),
    )
    members = members.select(
        pl.col("key").alias("member_id"),
        "group_id",
        "joined_at",
        "left_at",
        pl.col("key").alias("customer_id"),
        *(["phone_hash"] if "phone" in have else []),
        LINE,
    )
    renew = (
        kept.with_columns(pl.col("paid_at").rank("ordinal").over("key", "group_id").alias("n"))
        .filter(pl.col("n") > 1)
        .select(
            pl.col("key").alias("member_id"),
            pl.col("paid_at").alias("at"),
            pl.lit("renew").alias("kind"),
            "group_id",
            LINE,
        )
    )
    return {"orders": orders_out, "members": members, "activities": renew}
