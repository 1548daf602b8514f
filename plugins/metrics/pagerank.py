"""PageRank by power iteration on a scipy CSR matrix (used by the ``influence`` metric).

The definition is the one networkx uses (``networkx.pagerank``), so the two agree:

- the graph is directed and weighted; parallel edges are summed beforehand;
- each node's out-edges are normalised by its out-weight ``s_u = Σ_v w_uv``, giving the
  transition probabilities ``P_uv = w_uv / s_u``;
- a *dangling* node (``s_u = 0``: no out-edges, or only zero weights) spreads its score
  uniformly over all ``N`` nodes;
- with damping ``d`` (default 0.85) and uniform teleport::

      x_v ← d · (Σ_u x_u · P_uv + Σ_{u dangling} x_u / N) + (1 − d) / N

  starting from ``x = 1/N``.

Stopping rule: iterate until the L1 change ``Σ_v |x_v − x_v^prev|`` is below ``tol``
(default 1e-10, as the scores sum to 1 this is a relative error). networkx instead stops
at ``N × tol``, which for large graphs stops almost at once; to compare with it use a
tiny ``tol`` there (1e-12) and here. The returned scores are normalised to sum to 1.

The matrix is stored transposed (row = target) so that one step is one CSR
matrix-vector product. Building it from edges already sorted by target needs no sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from plugins.metrics._common import scipy_modules

if TYPE_CHECKING:
    from scipy import sparse

# ``MetricSpec.prepare`` of the metrics built on this module (scipy is imported on use)
prepare = scipy_modules("sparse")

DAMPING = 0.85
TOL = 1e-10
MAX_ITER = 200


@dataclass(frozen=True, slots=True)
class Transition:
    """The column-stochastic transition matrix (row = target, column = source) and the
    mask of dangling nodes."""

    matrix: sparse.csr_matrix
    dangling: np.ndarray  # bool, length N

    @property
    def n(self) -> int:
        return self.dangling.shape[0]


@dataclass(frozen=True, slots=True)
class PageRank:
    scores: np.ndarray  # float64, sums to 1
    iterations: int
    converged: bool
    delta: float  # L1 change in the last iteration


def transition(src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None, n: int) -> Transition:
    """Build the transposed, row-normalised transition matrix from an edge list.

    ``src``/``dst`` are node indices in ``[0, n)``; each (src, dst) pair should appear
    once (duplicates are summed by the product anyway). ``weight`` None means 1 per
    edge. Negative weights are refused. Edges sorted by ``dst`` skip the sort.
    """
    from scipy import sparse  # on use (the metric's prepare imports it early)

    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    w = np.ones(src.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
    if not (src.shape == dst.shape == w.shape):
        raise ValueError("src, dst and weight must have the same length")
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise ValueError(f"edge endpoints must lie in [0, {n})")
    if w.size and w.min() < 0:
        raise ValueError("edge weights must be ≥ 0")
    out = np.bincount(src, weights=w, minlength=n)
    dangling = out == 0
    if dst.size > 1 and np.any(dst[1:] < dst[:-1]):
        order = np.argsort(dst, kind="stable")
        src, dst, w = src[order], dst[order], w[order]
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = np.where(out[src] > 0, w / out[src], 0.0)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=indptr[1:])
    index_type = np.int32 if n < 2**31 and src.size < 2**31 else np.int64
    matrix = sparse.csr_matrix(
        (prob, src.astype(index_type), indptr.astype(index_type)), shape=(n, n)
    )
    return Transition(matrix, dangling)


def pagerank(
    t: Transition, *, damping: float = DAMPING, tol: float = TOL, max_iter: int = MAX_ITER
) -> PageRank:
    """Power iteration (see the module docstring for the formula and stopping rule)."""
    n = t.n
    if n == 0:
        return PageRank(np.zeros(0), 0, True, 0.0)
    if not 0 <= damping < 1:
        raise ValueError("damping must be in [0, 1)")
    x = np.full(n, 1.0 / n)
    teleport = (1.0 - damping) / n
    delta = np.inf
    for it in range(1, max_iter + 1):
        spread = damping * x[t.dangling].sum() / n + teleport
        new = t.matrix @ x
        new *= damping
        new += spread
        delta = float(np.abs(new - x).sum())
        x = new
        if delta < tol:
            return PageRank(x / x.sum(), it, True, delta)
    return PageRank(x / x.sum(), max_iter, False, delta)


def pagerank_edges(
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray | None = None,
    n: int | None = None,
    **kwargs: float,
) -> PageRank:
    """Convenience: :func:`transition` then :func:`pagerank`."""
    if n is None:
        n = int(max(np.max(src, initial=-1), np.max(dst, initial=-1))) + 1
    return pagerank(transition(src, dst, weight, n), **kwargs)
