"""The incrementality estimate's figures and its report section (see ``incrementality``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import polars as pl

from communityroi import KPI, Chart, ColumnInfo, Section, T, Table
from plugins.metrics import _did
from plugins.metrics import incrementality_text as txt
from plugins.metrics._channels import CHANNEL_LABELS


@dataclass(frozen=True)
class Estimate:
    """A figure and its interval."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, draws: np.ndarray, level: float) -> Estimate:
        """Row 0 is the estimate, the other rows bootstrap replicates."""
        if not np.isfinite(draws[0]):
            return cls(None)
        lo, hi = _did.interval(draws[1:], level)
        return cls(float(draws[0]), _f(lo), _f(hi))


def _f(x) -> float | None:
    return float(x) if np.isfinite(x) else None


def _lift(obs: np.ndarray, cf: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cf > 0, (obs / cf - 1) * 100, np.nan)


@dataclass(frozen=True)
class Outcome:
    """Everything the section shows; ``status`` is ``estimated`` or ``missing``."""

    attributed: float
    investment: float
    members: int
    unknown_join: int
    unlinked: int
    level: float
    eligible: int = 0
    too_early: int = 0
    controls: int = 0
    history_start: date | None = None
    status: str = "missing"
    reason: str | None = None
    incremental: Estimate = Estimate(None)
    observed: float | None = None
    counterfactual: float | None = None
    lift: Estimate = Estimate(None)
    roi: Estimate = Estimate(None)
    placebo: Estimate = Estimate(None)
    placebo_flagged: bool = False
    cohorts: pl.DataFrame | None = None
    groups: pl.DataFrame | None = None
    campaigns: pl.DataFrame | None = None
    channels: pl.DataFrame | None = None
    operators: pl.DataFrame | None = None

    def missing(self, reason: str) -> Outcome:
        return replace(self, status="missing", reason=reason)

    def estimated(
        self,
        d: _did.Design,
        est: _did.Estimates,
        tolerance: float,
        groups: tuple[list[str], np.ndarray],
        channels: tuple[list[str], np.ndarray],
        operators: tuple[list[str], np.ndarray],
        campaigns: tuple[list[str], np.ndarray, np.ndarray],
    ) -> Outcome:
        ok = np.isfinite(est.counterfactual[0])  # pairs that can be estimated
        obs = np.where(ok, est.observed, 0.0)
        cf = np.where(ok, np.nan_to_num(est.counterfactual), 0.0)
        tot_obs, tot_cf = obs.sum(axis=1), cf.sum(axis=1)
        inc = tot_obs - tot_cf
        lvl = self.level
        roi = (inc - self.investment) / self.investment * 100 if self.investment > 0 else None
        pl_obs = est.placebo_observed.sum(axis=1)
        pl_cf = est.placebo_counterfactual.sum(axis=1)
        placebo = Estimate.of(_lift(pl_obs, pl_cf), lvl) if pl_cf[0] > 0 else Estimate(None)
        flagged = (
            placebo.value is not None
            and placebo.low is not None
            and (placebo.low > 0 or placebo.high < 0)
            and abs(placebo.value) >= tolerance * 100
        )
        return replace(
            self,
            status="estimated",
            incremental=Estimate.of(inc, lvl),
            observed=float(tot_obs[0]),
            counterfactual=float(tot_cf[0]),
            lift=Estimate.of(_lift(tot_obs, tot_cf), lvl),
            roi=Estimate.of(roi, lvl) if roi is not None else Estimate(None),
            placebo=placebo,
            placebo_flagged=bool(flagged),
            cohorts=_breakdown(d.pair_label, d.pair_members, obs, cf, lvl).with_columns(
                pl.col("key").replace_strict(_month_labels(d.pair_label), return_dtype=pl.String)
            ),
            groups=_split(d, est, *groups),
            channels=_split(d, est, *channels),
            operators=_split(d, est, *operators),
            campaigns=_split(d, est, *campaigns),
        )


def _month_labels(months: np.ndarray) -> dict[int, str]:
    """Month index (year × 12 + month − 1) → "YYYY-MM", one entry per join month."""
    return {int(m): f"{m // 12}-{m % 12 + 1:02d}" for m in np.unique(months)}


def _breakdown(key, members, obs, cf, level) -> pl.DataFrame:
    """Observed, counterfactual and incremental value (with interval) per value of
    ``key`` (a code per pair), summed over the pairs and period bins."""
    keys, inv = np.unique(key, return_inverse=True)
    b = obs.shape[0]
    o = np.zeros((b, keys.size))
    c = np.zeros((b, keys.size))
    np.add.at(o, (slice(None), inv), obs)
    np.add.at(c, (slice(None), inv), cf)
    inc = o - c
    lo, hi = _did.interval(inc[1:], level) if b > 1 else (inc[0] * np.nan, inc[0] * np.nan)
    return pl.DataFrame(
        {
            "key": keys,
            "members": np.bincount(inv, weights=members, minlength=keys.size).astype(np.int64),
            "observed": o[0],
            "counterfactual": c[0],
            "incremental": inc[0],
            "low": lo,
            "high": hi,
            "lift": _lift(o[0], c[0]),
        }
    ).with_columns(pl.col("lift").fill_nan(None))


def _split(d, est, keys: list[str], key_of: np.ndarray, who=None) -> pl.DataFrame:
    """The estimate split by a label per treated customer (``who``: their positions, one
    row per label they carry; all customers by default). No interval: the bootstrap runs
    by join week."""
    obs, cf, members = _did.by_customer(d, est, key_of, len(keys), who)
    return (
        pl.DataFrame(
            {
                "key": pl.Series(keys, dtype=pl.String),
                "members": members.astype(np.int64),
                "observed": obs,
                "counterfactual": cf,
                "incremental": obs - cf,
                "lift": _lift(obs, cf),
            }
        )
        .with_columns(pl.col("lift").fill_nan(None))
        .filter(pl.col("members") > 0)
        .sort("incremental", "key", descending=[True, False])
    )


def _kpi(key: str, est: Estimate, unit: str, level: float, **kw) -> KPI:
    label, formula = txt.KPIS[key]
    return KPI(
        key,
        label,
        est.value,
        unit,
        formula=formula,
        low=est.low,
        high=est.high,
        level=level if est.low is not None else None,
        **kw,
    )


def section(o: Outcome, opts) -> Section:
    """The report section: the incremental figures first, the attributed one beside them."""
    lvl = o.level
    attributed_roi = (
        (o.attributed - o.investment) / o.investment * 100 if o.investment > 0 else None
    )
    upper = Estimate(None, None, o.attributed)  # missing: attribution as an upper bound only
    inc = o.incremental if o.status == "estimated" else upper
    roi_upper = Estimate(None, None, attributed_roi)
    kpis = (
        _kpi("incremental_return", inc, "currency", lvl, headline=True),
        _kpi(
            "incremental_roi",
            o.roi if o.status == "estimated" else roi_upper,
            "percent",
            lvl,
            headline=True,
        ),
        _kpi("lift", o.lift, "percent", lvl),
        _kpi("attributed_return", Estimate(o.attributed), "currency", lvl),
        _kpi("attributed_roi", Estimate(attributed_roi), "percent", lvl),
        _kpi("members_in_estimate", Estimate(o.eligible), "count", lvl),
        _kpi("controls", Estimate(o.controls), "count", lvl),
        _kpi("placebo_lift", o.placebo, "percent", lvl, higher_is_better=False),
    )
    tables, charts = _tables(o)
    return Section(
        kpis=kpis,
        tables=tables,
        charts=charts,
        findings=txt.findings(o),
        methodology=txt.methodology(opts),
        intro=txt.intro(o),
        extra={
            "status": o.status,
            "missing": o.reason,
            "level": lvl,
            "draws": opts.draws,
            "seed": opts.seed,
            "pre_weeks": opts.pre_weeks,
            "placebo_weeks": opts.placebo_weeks,
            "placebo_flagged": o.placebo_flagged,
            "history_start": o.history_start.isoformat() if o.history_start else None,
            "observed_after_joining": o.observed,
            "counterfactual": o.counterfactual,
            "excluded": {
                "members_joined_before_history": o.too_early,
                "members_unlinked": o.unlinked,
                "members_unknown_join": o.unknown_join,
            },
        },
    )


def _tables(o: Outcome) -> tuple[tuple[Table, ...], tuple[Chart, ...]]:
    checks = pl.DataFrame(
        {
            "check": list(txt.CHECK_KEYS),
            "value": [
                float(o.eligible),
                float(o.controls),
                float(o.too_early),
                float(o.unlinked),
                float(o.unknown_join),
            ],
        }
    )
    tables = [
        Table("checks", T("Who is in the estimate", "估计所用样本"), checks,
              {"check": ColumnInfo(T("", ""), values=txt.CHECK_LABELS),
               "value": ColumnInfo(T("Count", "数量"), "count")}),
    ]  # fmt: skip
    charts: list[Chart] = []
    if o.cohorts is not None:
        cols = txt.breakdown_columns(T("Join month", "加入月份"))
        tables.append(
            Table(
                "by_cohort",
                T("Incremental revenue by join month", "按加入月份的增量收入"),
                o.cohorts.rename({"key": "cohort"}),
                {"cohort": cols.pop("key"), **cols},
                note=txt.COHORT_NOTE,
            )
        )
        cols = txt.breakdown_columns(T("First group", "首个社群"))
        tables.append(
            Table(
                "by_group",
                T("Incremental revenue by first group", "按首个社群的增量收入"),
                o.groups.rename({"key": "group"}),
                {"group": cols.pop("key"), **{c: cols[c] for c in o.groups.columns if c in cols}},
                note=txt.GROUP_NOTE,
            )
        )
        for name, frame, head, title, note in (
            ("channel", o.channels, txt.CHANNEL_HEAD, txt.CHANNEL_TITLE, txt.CHANNEL_NOTE),
            ("operator", o.operators, txt.OPERATOR_HEAD, txt.OPERATOR_TITLE, txt.OPERATOR_NOTE),
        ):
            if frame is None or not (frame["key"] != "").any():
                continue  # not recorded for anyone
            cols = txt.breakdown_columns(head)
            labels = CHANNEL_LABELS if name == "channel" else {}
            key = replace(cols.pop("key"), values={**labels, "": txt.NOT_RECORDED})
            tables.append(
                Table(
                    f"by_{name}",
                    title,
                    frame.rename({"key": name}),
                    {name: key, **{c: cols[c] for c in frame.columns if c in cols}},
                    note=note,
                )
            )
        if o.campaigns is not None and o.campaigns.height:
            cols = txt.breakdown_columns(T("Campaign taken part in", "参与的活动"))
            tables.append(
                Table(
                    "by_campaign",
                    T("Incremental revenue of campaign participants", "活动参与者的增量收入"),
                    o.campaigns.rename({"key": "campaign"}),
                    {
                        "campaign": cols.pop("key"),
                        **{c: cols[c] for c in o.campaigns.columns if c in cols},
                    },
                    note=txt.CAMPAIGN_NOTE,
                )
            )
        charts.append(
            Chart(
                "cohort_bars",
                "bar",
                T("Incremental revenue by join month", "各加入月份的增量收入"),
                "by_cohort",
                x="cohort",
                y=("incremental",),
                unit="currency",
            )
        )
    return tuple(tables), tuple(charts)


def codes(labels: pl.Series) -> tuple[list[str], np.ndarray]:
    """The distinct labels (sorted; null as "") and each row's code among them: a binary
    search in Rust (np.unique on 585 k id strings took 0.85 s)."""
    labels = labels.fill_null("")
    distinct = labels.unique().sort()
    return distinct.to_list(), distinct.search_sorted(labels).to_numpy().astype(np.int64)
