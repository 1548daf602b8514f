"""Customer lifetime value (CLV): observed value to date and predicted value (BG/NBD + Gamma-Gamma).

**Observed CLV** of a member = Σ value of their paid orders up to the period end, where value is
the order's net ``amount`` (after partial refunds, ``communityroi.views.paid_orders``;
``value_basis = "revenue"``) or its ``gross_margin`` (missing margins count as 0 and are
reported). Buyers are members with at least one paid order.

**Predicted CLV** fits BG/NBD (repeat purchases) and Gamma-Gamma (spend per purchase) by
maximum likelihood on every customer's RFM summary — members, and non-members by their
``customer_id`` — built lazily by Polars from paid orders up to the period end.

Time convention (the source of lifetimes issues #194/#215, so stated exactly): each paid
order is placed on its calendar *day* in the report time zone and purchases on the same day
are one purchase. With d₀ = first purchase day, d_last = last purchase day and d_end = the
last day of the report period (a date, so the calibration ends where that day's purchases
sit)::

    x   = (number of distinct purchase days) − 1
    t_x = (d_last − d₀) in days / u          T = (d_end − d₀) in days / u

with u = 1 for ``time_unit = "days"`` and u = 7 for ``"weeks"``. A purchase on the last day of
the period therefore has t_x = T. For the CDNOW sample (end 1997-09-30, weeks) this gives
T = 38.86 for a first purchase on 1997-01-01 — the published calibration — while measuring
to the end of that day would give 39.0 and move a and b in the second decimal. The horizon
(default 52 weeks = 364 days) and the discounting year (365.25 days = 52.18 weeks) are in the
same unit; see :func:`plugins.metrics.clv_models.discounted_purchases` for the formula.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from communityroi import (
    CommunityData,
    MetricResult,
    MetricSpec,
    Section,
    T,
    hookimpl,
)
from communityroi.views import paid_orders
from plugins.metrics import clv_models as models
from plugins.metrics import clv_report as rep
from plugins.metrics._ordered_sum import lone_sum, ordered_groups

DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0}
YEAR_DAYS = 365.25


class CLVOptions(BaseModel):
    """Options of the ``clv`` metric (``[metrics.clv]``)."""

    model_config = ConfigDict(extra="forbid")

    value_basis: Literal["revenue", "gross_margin"] = "revenue"
    time_unit: Literal["days", "weeks"] = "weeks"
    horizon: float | None = Field(
        None, gt=0, description="Prediction horizon in time_unit; default 52 weeks (364 days)."
    )
    annual_discount_rate: float = Field(0.10, ge=0, le=1)
    min_customers: int = Field(50, ge=5, description="Fewer customers: no BG/NBD fit.")
    min_repeat_buyers: int = Field(20, ge=3, description="Fewer: no Gamma-Gamma fit.")
    population: Literal["members", "customers"] = Field(
        "members",
        description="Whose KPIs, distribution and top list: members only, or every customer.",
    )
    top_n: int = Field(20, ge=1, le=1000)
    histogram_bins: int = Field(10, ge=2, le=50)
    member_table: bool = Field(
        False,
        description="Add every buyer's outputs (t_x, T, expected purchases and spend) as "
        "table member_clv (JSON/Excel only); off by default: report.json is a summary and "
        "the member scorecard has each member's CLV and P(alive).",
    )

    @property
    def horizon_units(self) -> float:
        return self.horizon if self.horizon is not None else 364.0 / DAYS_PER_UNIT[self.time_unit]


def rfm_frame(data: CommunityData, value_basis: str = "revenue") -> pl.LazyFrame:
    """One row per customer: key, member_id, customer_id, x, tx_days, T_days, total, m.

    The key is ``m:<buyer_id>`` for members and ``c:<customer_id>`` otherwise; ``total`` is
    the observed value to date; ``m`` the mean value of the repeat purchase days (null if x=0).
    Sums are in ascending order of the values (``_ordered_sum.ordered_groups``): a day's
    orders, then a customer's days.
    """
    value = pl.col("amount") if value_basis == "revenue" else pl.col("gross_margin").fill_null(0)
    # customers are told apart by (member?, Categorical code of buyer_id or customer_id):
    # grouping and sorting 2 M orders by integer codes instead of a "m:…"/"c:…" string
    # (made only for the one row per customer at the end) costs about half; the order
    # of the groups is irrelevant, the order within each group is the same
    who = pl.coalesce("buyer_id", "customer_id")
    rows = paid_orders(data).select(
        pl.col("buyer_id").is_not_null().alias("_member"),
        who.to_physical().alias("_code"),
        pl.col("buyer_id").alias("member_id"),
        "customer_id",
        data.local("at").dt.date().alias("day"),
        value.alias("value"),
    )
    customer = ["_member", "_code"]
    # member_id is one id within a customer (the buyer's for members, null for others):
    # first() is its min without comparing Categorical texts; customer_id can vary
    total = pl.col("value").cum_sum().last()
    daily = ordered_groups(
        rows,
        [*customer, "day"],
        "value",
        alone=[lone_sum("value"), "member_id", "customer_id"],
        together=[total, pl.col("member_id").first(), pl.col("customer_id").min()],
    )
    day = pl.col("day")
    per_customer = ordered_groups(
        daily,
        customer,
        "value",
        alone=[
            "member_id",
            "customer_id",
            day.alias("first_day"),
            day.alias("last_day"),
            pl.lit(1, pl.UInt32).alias("days"),
            lone_sum("value").alias("total"),
            pl.col("value").alias("first_value"),
        ],
        together=[
            pl.col("member_id").first(),
            pl.col("customer_id").min(),
            day.min().alias("first_day"),
            day.max().alias("last_day"),
            pl.len().alias("days"),
            total.alias("total"),
            pl.col("value").get(day.arg_min()).alias("first_value"),  # days are distinct
        ],
    )
    # within a customer, member_id (members) or customer_id (others) is the one id
    key = (
        pl.when(pl.col("_member"))
        .then(pl.concat_str(pl.lit("m:"), pl.col("member_id").cast(pl.String)))
        .otherwise(pl.concat_str(pl.lit("c:"), pl.col("customer_id").cast(pl.String)))
    )
    x = pl.col("days") - 1
    return per_customer.select(
        key.alias("key"),
        "member_id",
        "customer_id",
        x.cast(pl.Int64).alias("x"),
        (pl.col("last_day") - pl.col("first_day")).dt.total_days().alias("tx_days"),
        (pl.lit(data.period.end) - pl.col("first_day")).dt.total_days().alias("T_days"),
        pl.col("total"),
        pl.when(x > 0).then((pl.col("total") - pl.col("first_value")) / x).alias("m"),
    )


class Models:
    """The RFM frames of one data object and value basis (cached LazyFrames ``rfm`` and
    ``rfm_unique``) and the models fitted on them, computed once per options: the clv
    metric and the scorecard's CLV columns get the same object (:func:`models_for`), so
    the RFM query runs and BG/NBD and Gamma-Gamma are fitted once for both."""

    def __init__(self, data: CommunityData, value_basis: str) -> None:
        # cached: rfm_unique is grouped from it (else the RFM query ran twice, ~0.9 CPU-s)
        self.rfm = rfm_frame(data, value_basis).cache()
        # compression to distinct (x, t_x, T) with weights, done by Polars
        self.rfm_unique = (
            self.rfm.group_by("x", "tx_days", "T_days").agg(pl.len().alias("n")).cache()
        )
        self._lock = threading.Lock()
        self._done: dict[str, tuple[pl.DataFrame, dict, pl.DataFrame | None]] = {}

    def release(self) -> None:
        """Drop the lazy frames once collected (the fits read the collected ones)."""
        del self.rfm, self.rfm_unique

    def fit(
        self, got: Mapping[str, pl.DataFrame], opts: CLVOptions
    ) -> tuple[pl.DataFrame, dict, pl.DataFrame | None]:
        """(rfm sorted by key, fits, per-customer predictions or None) from the collected
        ``rfm`` and ``rfm_unique`` (the same rows whoever collected them); see
        :func:`fit_models`. Treat the results as read-only: they are shared."""
        key = opts.model_dump_json()
        with self._lock:  # builds run in threads: the second caller waits for the first
            if key not in self._done:
                self._done[key] = fit_models(got, opts)
            return self._done[key]


def models_for(data: CommunityData, value_basis: str) -> Models:
    """The :class:`Models` of ``data`` for this value basis (one per data object)."""
    return data.memo(Models, value_basis)


def _pairs(data: CommunityData, dim: str, rfm: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """``members``: (dim, members) — distinct members per value of ``dim`` (null: none
    given); ``buyers``: the distinct (member_id, dim) pairs of the members in ``rfm``."""
    pairs = data.members.select("member_id", dim).unique().cache()
    buyers = rfm.filter(pl.col("member_id").is_not_null()).select("member_id")
    return {
        "members": pairs.group_by(dim).agg(pl.len().alias("members")),
        "buyers": pairs.join(buyers, on="member_id", how="semi"),
    }


def compute(data: CommunityData, opts: CLVOptions) -> MetricResult:
    opts = opts or CLVOptions()
    shared = models_for(data, opts.value_basis)
    rfm = shared.rfm
    frames = {
        "rfm": rfm,
        "rfm_unique": shared.rfm_unique,
        # per group and per segment: its members (distinct), and the distinct (member,
        # group/segment) pairs of the members who bought — not all ~1 M pairs of the
        # bench data, which the build joined to the buyers' values to count the members
        **{
            f"{dim}_{part}": frame
            for dim in ("group_id", "segment")
            for part, frame in _pairs(data, dim, rfm).items()
        },
        "members": pl.concat(
            [
                data.members.select("member_id"),
                rfm.filter(pl.col("member_id").is_not_null()).select("member_id"),
            ]
        )
        .filter(pl.col("member_id").is_not_null())
        .select(pl.col("member_id").n_unique().alias("members")),
        "groups": data.groups.group_by("group_id").agg(pl.col("name").drop_nulls().min()),
        "orders_check": paid_orders(data).select(
            pl.len().alias("paid_orders"),
            pl.col("gross_margin").is_null().sum().alias("missing_margin"),
        ),
    }
    return MetricResult(frames, lambda got: build(got, opts, data.currency, shared))


def predict(rfm_unique: pl.DataFrame, opts: CLVOptions) -> dict:
    """Fit both models on the compressed summary; predict per distinct (x, t_x, T, m)."""
    out: dict = {"bgnbd": None, "gamma_gamma": None, "notes": []}
    u = DAYS_PER_UNIT[opts.time_unit]
    x = rfm_unique["x"].to_numpy().astype(float)
    tx = rfm_unique["tx_days"].to_numpy() / u
    TT = rfm_unique["T_days"].to_numpy() / u
    w = rfm_unique["n"].to_numpy().astype(float)
    n = int(w.sum())
    if n < opts.min_customers:
        out["notes"].append(rep.NOTE_FEW.format(n=n, k=opts.min_customers))
        return out
    if not (x > 0).any():
        out["notes"].append(rep.NOTE_NO_REPEAT)
        return out
    try:
        with np.errstate(all="ignore"):
            fit = models.fit_bgnbd(x, tx, TT, w, compressed=True)
    except (ArithmeticError, ValueError) as exc:
        fit = models.Fit({}, math.nan, n, False, str(exc))
    out["bgnbd"] = fit
    if not fit.converged:
        out["notes"].append(rep.NOTE_FAILED.format(model="BG/NBD", why=fit.message))
    return out


def fit_models(
    got: Mapping[str, pl.DataFrame], opts: CLVOptions
) -> tuple[pl.DataFrame, dict, pl.DataFrame | None]:
    """Fit BG/NBD on ``rfm_unique`` and Gamma-Gamma on the repeat buyers of ``rfm``;
    (rfm sorted by key, fits with their notes, per-customer predictions or None)."""
    # sorted so that sums (and so every printed digit) do not depend on hash-group order
    rfm = got["rfm"].sort("key")
    u = DAYS_PER_UNIT[opts.time_unit]
    fits = predict(got["rfm_unique"].sort("x", "tx_days", "T_days"), opts)
    bg = fits["bgnbd"]
    gg = None
    preds = None
    if bg is not None and bg.converged:
        rep_rows = rfm.filter((pl.col("x") > 0) & (pl.col("m") > 0))
        if rep_rows.height < opts.min_repeat_buyers:
            fits["notes"].append(
                rep.NOTE_FEW_REPEAT.format(n=rep_rows.height, k=opts.min_repeat_buyers)
            )
        else:
            with np.errstate(all="ignore"):
                gg = models.fit_gamma_gamma(rep_rows["x"].to_numpy(), rep_rows["m"].to_numpy())
            if not gg.converged or gg.params["q"] <= 1:
                why = gg.message if not gg.converged else "q ≤ 1 (mean spend is infinite)"
                fits["notes"].append(rep.NOTE_FAILED.format(model="Gamma-Gamma", why=why))
        # E[M] = (γ + m·x)·p / (p·x + q − 1) needs q > 1: below it the spend is negative or
        # infinite, so such a fit gives no predictions (as the note above says)
        usable = gg is not None and gg.converged and gg.params["q"] > 1
        preds = _per_customer(rfm, bg, gg if usable else None, opts, u)
        if preds is None:
            fits["notes"].append(rep.NOTE_FAILED.format(model="BG/NBD", why="non-finite output"))
    fits["gamma_gamma"] = gg
    return rfm, fits, preds


def build(
    got: Mapping[str, pl.DataFrame], opts: CLVOptions, currency: str, shared: Models | None = None
) -> Section:
    rfm, fits, preds = shared.fit(got, opts) if shared is not None else fit_models(got, opts)
    customers = preds if preds is not None else rfm
    return rep.section(
        customers=customers,
        pairs={d: (got[f"{d}_members"], got[f"{d}_buyers"]) for d in ("group_id", "segment")},
        n_members=got["members"].item(),
        groups=got["groups"],
        orders_check=got["orders_check"],
        fits=fits,
        predicted=preds is not None,
        opts=opts,
        currency=currency,
    )


def _per_customer(rfm, bg, gg, opts: CLVOptions, u: float) -> pl.DataFrame | None:
    """P(alive), expected purchases, expected spend and discounted CLV per customer.

    BG/NBD outputs depend only on (x, t_x, T): they are computed once per distinct triple
    and joined back. Gamma-Gamma needs the customer's own m, so it is vectorised per row.
    """
    keys = rfm.select("x", "tx_days", "T_days").unique()
    x = keys["x"].to_numpy().astype(float)
    tx, TT = keys["tx_days"].to_numpy() / u, keys["T_days"].to_numpy() / u
    horizon = opts.horizon_units
    steps = max(1, round(horizon * u / (YEAR_DAYS / 12)))
    year = YEAR_DAYS / u
    bgp = bg.params
    with np.errstate(all="ignore"):
        alive = models.bgnbd_p_alive(bgp, x, tx, TT)
        # D = Σ_k ΔE[Y(t_k)] / (1+d)^(t_k/Y); CLV = E[M] · D (clv_models.discounted_purchases)
        disc, purchases = models.discounted_purchases(
            bgp,
            x,
            tx,
            TT,
            horizon=horizon,
            steps=steps,
            year=year,
            rate=opts.annual_discount_rate,
        )
    if not (np.isfinite(alive).all() and np.isfinite(purchases).all() and np.isfinite(disc).all()):
        return None
    keys = keys.with_columns(
        pl.Series("p_alive", alive),
        pl.Series("expected_purchases", purchases),
        pl.Series("_disc", disc),
    )
    out = rfm.join(keys, on=["x", "tx_days", "T_days"], how="left", maintain_order="left")
    if gg is None:
        return out.with_columns(
            pl.lit(None, pl.Float64).alias("expected_spend"),
            pl.lit(None, pl.Float64).alias("predicted_clv"),
        ).drop("_disc")
    spend = models.gg_expected_spend(
        tuple(gg.params.values()), out["x"].to_numpy(), out["m"].fill_null(0).to_numpy()
    )
    return (
        out.with_columns(pl.Series("expected_spend", spend))
        .with_columns((pl.col("expected_spend") * pl.col("_disc")).alias("predicted_clv"))
        .drop("_disc")
    )


@hookimpl
def communityroi_metrics() -> list[MetricSpec]:
    return [
        MetricSpec(
            name="clv",
            title=T("Customer lifetime value", "客户终身价值"),
            description="Observed and predicted (BG/NBD + Gamma-Gamma) customer lifetime value.",
            compute=compute,
            options=CLVOptions,
            order=40,
            compare_previous=False,
            prepare=models.prepare,
        )
    ]
