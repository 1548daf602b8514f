"""Staggered difference-in-differences on purchase rates, with a customer bootstrap.

The numeric core of the ``incrementality`` metric (see its module docstring for the
method in words). Everything here is NumPy/SciPy on already-collected arrays: the Polars
side aggregates the orders to one value per (customer, month bin, before/after joining).

Notation. Bins are calendar weeks ``0 … M−1`` (the history, then the report period's
weeks, clipped to the period); ``D_t`` is the number of days in bin ``t``. A customer
``k`` has a join bin ``J_k`` (``M`` for customers who never joined) and ``y_kt``, the value
of their paid orders in bin ``t`` before joining. Treated members are grouped in pairs
``(g, l)``: join bin ``g`` (the cohort) and a display label ``l`` (the join month).

For cohort ``g`` and a period bin ``t ≥ g`` the controls are every customer not yet
joined by the end of ``t`` (``J_k > t``: never-members and later joiners; Callaway &
Sant'Anna's not-yet-treated group), measured over the same calendar bins. Their rate
ratio between bin ``t`` and the cohort's pre-window ``W_g = {g−L, …, g−1}`` is

    ρ_g(t) = (Σ_{J_k>t} y_kt / D_t) / (Σ_{J_k>t} Σ_{s∈W_g} y_ks / D(W_g)).

A member ``i`` of the cohort bought ``a_i = Σ_{s∈W_g} y_is / D(W_g)`` per day before
joining; without the community they would have bought ``e_it · a_i · ρ_g(t)`` in bin
``t``, where ``e_it`` is the days of ``t`` after they joined (all of ``D_t`` after the join
bin). The incremental value is Σ over members and period bins of (observed after joining
− that counterfactual): per (g, t) effects combined by cohort size, never one pooled
two-way fixed-effects regression (biased under staggered timing, Goodman-Bacon 2021).

Every quantity above is a sum over customers, so the whole estimator is a function of
``S = wᵀA``: ``A`` is a sparse (customers × features) matrix and ``w`` a vector of
customer weights (all ones for the estimate). A bootstrap replicate resamples customers
with replacement — ``w`` becomes the number of times each was drawn — so every replicate
is one sparse product; the interval is the percentile interval of the replicates.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from plugins.metrics._common import scipy_modules

if TYPE_CHECKING:
    from scipy import sparse


# ``MetricSpec.prepare`` of the metrics built on this module: scipy is imported where it
# is used
prepare = scipy_modules("sparse")


@dataclass(frozen=True)
class Grid:
    """The bins: ``days[t]`` for ``t`` in ``0 … M−1``; the report period is ``p0 … M−1``;
    ``pre`` = L (pre-window months), ``placebo`` = P (months of the pre-trend check)."""

    days: np.ndarray
    p0: int
    pre: int
    placebo: int

    @property
    def m(self) -> int:
        return int(self.days.size)

    def window_days(self, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """Days in bins ``start … stop−1`` (vectorised)."""
        cum = np.concatenate([[0.0], np.cumsum(self.days)])
        return cum[stop] - cum[start]


@dataclass(frozen=True)
class Design:
    """The customer × feature matrix and what its columns mean.

    Columns: ``R[j, s]`` (value before joining of customers with join bin ``j`` in bin
    ``s``, ``j`` in ``0 … M``), then per pair ``k``: ``Y[k]`` (value after joining, in the
    period), ``PS[k]`` (value in the pre-window), ``Q[k]`` (``e_ig · a_i`` summed over the
    pair's members, for the join bin when it lies in the period). The counterfactual of a
    pair is linear in them: ``PS[k] · Σ_{t>g} D_t ρ_g(t) / D(W_g) + Q[k] · ρ_g(g)``, so
    nothing per (pair, bin) is kept."""

    matrix: sparse.csr_matrix
    grid: Grid
    pair_g: np.ndarray  # cohort (join bin) of each pair
    pair_label: np.ndarray  # label code of each pair (the join month, for display)
    pair_members: np.ndarray  # members per pair
    # per customer, for breakdowns of the estimate itself (by group): pair (−1: not
    # treated), value after joining in the period, baseline sum PS, join-bin term Q
    cust_pair: np.ndarray
    cust_y: np.ndarray
    cust_ps: np.ndarray
    cust_q: np.ndarray

    @property
    def k(self) -> int:
        return int(self.pair_g.size)

    def split(self, s: np.ndarray) -> tuple[np.ndarray, ...]:
        """Feature sums ``s`` (B × F) → R (B, M+1, M), Y (B, K), PS (B, K), Q (B, K)."""
        m, k = self.grid.m, self.k
        r_end = (m + 1) * m
        return (
            s[:, :r_end].reshape(s.shape[0], m + 1, m),
            s[:, r_end : r_end + k],
            s[:, r_end + k : r_end + 2 * k],
            s[:, r_end + 2 * k : r_end + 3 * k],
        )


def design(
    grid: Grid,
    join_bin: np.ndarray,
    eligible: np.ndarray,
    label: np.ndarray,
    join_exposure: np.ndarray,
    flow_customer: np.ndarray,
    flow_bin: np.ndarray,
    flow_post: np.ndarray,
    flow_value: np.ndarray,
) -> Design:
    """Build the sparse design from per-customer and per-flow arrays.

    Per customer (index = position): ``join_bin`` (``M`` = never joined, negative =
    joined before the history), ``eligible`` (a treated member in the estimate),
    ``label`` (an int code carried along for display, e.g. the join month; pairs never mix
    labels), ``join_exposure`` (days of the join bin after joining, within the period; 0
    when the join bin is before the period). Per flow
    (one customer, bin and side of the join): ``flow_bin`` in ``0 … M−1``, ``flow_post``
    (placed at or after joining), ``flow_value``."""
    from scipy import sparse  # on use (the metric's prepare imports it early)

    m, p0 = grid.m, grid.p0
    n = join_bin.size
    # pairs (cohort, label) of the treated members: a few hundred at most, so every
    # bootstrap replicate stays small whatever the number of customers or groups
    lab = label[eligible]
    lab0 = int(lab.min()) if lab.size else 0
    lab_w = int(lab.max()) - lab0 + 1 if lab.size else 1
    code = np.where(eligible, join_bin.astype(np.int64) * lab_w + label - lab0, -1)
    pairs, pair_of = np.unique(code[eligible], return_inverse=True)
    k = pairs.size
    pair_idx = np.full(n, -1, dtype=np.int64)
    pair_idx[eligible] = pair_of
    pair_label = pairs % lab_w + lab0
    pair_g = pairs // lab_w
    r_end = (m + 1) * m
    y0, ps0, q0 = r_end, r_end + k, r_end + 2 * k

    j = join_bin[flow_customer]
    kk = pair_idx[flow_customer]
    # R: before joining, in a bin before the join bin (never-members: every bin)
    is_r = ~flow_post & (flow_bin < j)
    # Y: after joining, in the period, treated members only
    is_y = flow_post & (kk >= 0) & (flow_bin >= p0)
    # PS: the treated member's pre-window g−L … g−1
    is_ps = ~flow_post & (kk >= 0) & (flow_bin >= j - grid.pre) & (flow_bin < j)
    ps_cust = np.bincount(flow_customer[is_ps], flow_value[is_ps], minlength=n)
    has_q = eligible & (join_exposure > 0) & (join_bin >= p0)
    q_val = (
        join_exposure[has_q]
        * ps_cust[has_q]
        / grid.window_days(join_bin[has_q] - grid.pre, join_bin[has_q])
    )
    rows = np.concatenate(
        [flow_customer[is_r], flow_customer[is_y], flow_customer[is_ps], np.flatnonzero(has_q)]
    )
    cols = np.concatenate(
        [
            np.minimum(j[is_r], m) * m + flow_bin[is_r],
            y0 + kk[is_y],
            ps0 + kk[is_ps],
            q0 + pair_idx[has_q],
        ]
    )
    vals = np.concatenate([flow_value[is_r], flow_value[is_y], flow_value[is_ps], q_val])
    a = sparse.csr_matrix((vals, (rows, cols)), shape=(n, q0 + k))
    a.sum_duplicates()
    members = np.bincount(pair_of, minlength=k) if k else np.zeros(0, dtype=np.int64)
    q_cust = np.zeros(n)
    q_cust[has_q] = q_val
    y_cust = np.bincount(flow_customer[is_y], flow_value[is_y], minlength=n)
    return Design(
        a, grid, pair_g.astype(np.int64), pair_label, members, pair_idx, y_cust, ps_cust, q_cust
    )


def replicate_sums(d: Design, draws: int, seed: int, chunk: int = 16) -> np.ndarray:
    """Feature sums for the estimate (row 0, every weight 1) and ``draws`` bootstrap
    replicates (customers resampled with replacement; seeded), shape (1 + draws, F).

    A replicate resamples n customers with replacement. Customers with no value in any
    feature add nothing wherever they are drawn, so only the ``z`` others are drawn from:
    how many of the n draws land on them is Binomial(n, z/n), and those land uniformly
    among them — the same multinomial, with a quarter fewer draws on the bench data. The
    weights (times drawn) come from counting the draws. Replicates come in chunks of
    ``chunk``, each with its own random stream spawned from ``seed`` (so the result does
    not depend on which thread runs it) and one dense · sparse product; the chunks run on
    two threads (NumPy and SciPy release the GIL in these loops)."""
    n = d.matrix.shape[0]
    out = np.empty((1 + draws, d.matrix.shape[1]))
    out[0] = np.asarray(d.matrix.sum(axis=0)).ravel()
    busy = np.flatnonzero(np.diff(d.matrix.indptr))
    a = d.matrix[busy]
    z = busy.size
    dtype = np.uint32 if z < 2**32 else np.uint64
    starts = list(range(0, draws, chunk))
    streams = np.random.SeedSequence(seed).spawn(len(starts))
    at = a.T  # CSC: (wᵀ·a)ᵀ = aᵀ·wᵀ is how SciPy multiplies a dense w by a sparse a

    def run(work: list[tuple[int, np.random.SeedSequence]]) -> None:
        # one worker's chunks, one after another in the same two buffers: a fresh
        # (chunk × z) array and SciPy's transposed copy of it for every chunk were
        # ≈ 1.4 GB of new pages on the bench data, zeroed by the kernel
        w, wt = np.empty((chunk, z)), np.empty((z, chunk))
        for lo, stream in work:
            b = min(chunk, draws - lo)
            rng = np.random.default_rng(stream)
            hits = rng.binomial(n, z / n, size=b) if n else np.zeros(b, dtype=np.int64)
            for c in range(b):  # one row per replicate: contiguous writes
                w[c] = np.bincount(
                    rng.integers(0, max(z, 1), size=hits[c], dtype=dtype), minlength=z
                )
            t = wt if b == chunk else np.empty((z, b))
            np.copyto(t, w[:b].T)
            out[1 + lo : 1 + lo + b] = (at @ t).T  # (b × z) dense · (z × F) sparse

    work = list(zip(starts, streams, strict=True))
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, [work[0::2], work[1::2]]))
    return out


@dataclass(frozen=True)
class Estimates:
    """Per replicate (row 0 = the estimate): observed and counterfactual value after
    joining in the period per pair, and the placebo's per cohort."""

    observed: np.ndarray  # (B, K)
    counterfactual: np.ndarray  # (B, K), nan where not estimable
    later: np.ndarray  # (B, K): Σ_{t>g} D_t ρ_g(t) / D(W_g) of each pair's cohort
    at_join: np.ndarray  # (B, K): ρ_g(g) of each pair's cohort (0 before the period)
    placebo_observed: np.ndarray  # (B, M): per cohort g
    placebo_counterfactual: np.ndarray  # (B, M)


def estimate(d: Design, s: np.ndarray) -> Estimates:
    """The ratio difference-in-differences for every replicate row of ``s``."""
    g = d.grid
    m, p0, L = g.m, g.p0, g.pre
    r, y, ps, q = d.split(s)
    b = s.shape[0]
    # controls of bin t: join bin > t, i.e. rows t+1 … M of R (suffix sums over j)
    sr = np.flip(np.cumsum(np.flip(r, axis=1), axis=1), axis=1)  # sr[:, j] = Σ_{j'≥j} r
    cum = np.concatenate([np.zeros((b, m + 1, 1)), np.cumsum(sr, axis=2)], axis=2)
    days = g.days
    cohorts, of_pair = np.unique(d.pair_g, return_inverse=True)
    later = np.zeros((b, cohorts.size))  # Σ_{t>g} D_t ρ_g(t) / D(W_g) per cohort
    at_join = np.zeros((b, cohorts.size))  # ρ_g(g) when the join bin is in the period
    wdays = g.window_days(cohorts - L, cohorts)
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in range(p0, m):  # the period's bins (weeks)
            ctrl = sr[:, t + 1, t] / days[t]  # control value per day in bin t
            sel = np.flatnonzero(cohorts <= t)
            gk = cohorts[sel]
            pre = (cum[:, t + 1, gk] - cum[:, t + 1, gk - L]) / wdays[sel]
            rho = ctrl[:, None] / pre
            later[:, sel] += np.where(gk < t, days[t] * rho / wdays[sel], 0.0)
            at_join[:, sel] += np.where(gk == t, rho, 0.0)
        cf = ps * later[:, of_pair] + q * at_join[:, of_pair]
        cf = np.where(np.isfinite(cf), cf, np.nan)
        pl_obs, pl_cf = _placebo(d, r, sr, cum)
    return Estimates(y, cf, later[:, of_pair], at_join[:, of_pair], pl_obs, pl_cf)


def _placebo(d: Design, r, sr, cum) -> tuple[np.ndarray, np.ndarray]:
    """Pre-trend check: pretend each cohort joined P bins early and measure the "effect"
    over its last P bins before joining, against a pre-window L bins before that, with
    the controls not yet joined by then (the cohort itself left out)."""
    g = d.grid
    b, m, L, P = r.shape[0], g.m, g.pre, g.placebo
    obs, cf = np.zeros((b, m)), np.zeros((b, m))
    if P == 0:
        return obs, cf
    cum_r = np.concatenate([np.zeros((b, m + 1, 1)), np.cumsum(r, axis=2)], axis=2)
    for c in np.unique(d.pair_g):
        if c - P - L < 0:
            continue
        lo, hi = c - P - L, c - P
        wdays = g.window_days(np.array([lo]), np.array([hi]))[0]
        own_pre = (cum_r[:, c, hi] - cum_r[:, c, lo]) / wdays
        for t in range(c - P, c):
            ctrl_t = (sr[:, t + 1, t] - r[:, c, t]) / g.days[t]
            ctrl_pre = cum[:, t + 1, hi] - cum[:, t + 1, lo] - cum_r[:, c, hi] + cum_r[:, c, lo]
            rho = ctrl_t / (ctrl_pre / wdays)
            ok = np.isfinite(rho)
            obs[:, c] += np.where(ok, r[:, c, t], 0.0)
            cf[:, c] += np.where(ok, g.days[t] * own_pre * rho, 0.0)
    return obs, cf


def by_customer(d: Design, est: Estimates, key: np.ndarray, size: int, who=None):
    """The estimate (row 0) summed by ``key``, an int code in ``0 … size−1`` per customer
    of ``who`` (customer positions; all customers by default, one code each; a customer
    may appear in ``who`` more than once, e.g. once per campaign taken part in): value after
    joining, counterfactual and members of the treated customers, leaving out the pairs
    that cannot be estimated."""
    who = np.arange(d.cust_pair.size) if who is None else np.asarray(who, dtype=np.int64)
    key = np.asarray(key, dtype=np.int64)
    pair = d.cust_pair[who]
    keep = pair >= 0
    keep[keep] = np.isfinite(est.counterfactual[0, pair[keep]])
    idx, pair, key = who[keep], pair[keep], key[keep]
    cf = d.cust_ps[idx] * est.later[0, pair] + d.cust_q[idx] * est.at_join[0, pair]
    obs = np.bincount(key, d.cust_y[idx], minlength=size)
    members = np.bincount(key, minlength=size)
    return obs, np.bincount(key, cf, minlength=size), members


def interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap draws along axis 0 (nan-aware)."""
    tail = (1 - level) / 2 * 100
    lo, hi = np.nanpercentile(draws, [tail, 100 - tail], axis=0)
    return lo, hi
