"""The interaction graph behind the influence metric: who interacted with whom.

- :func:`edges`: the period's weighted directed edges (src → dst) from replies, mentions,
  reactions and invitations (an invitation points from the invitee to the inviter, and
  counts once per pair), as person keys;
- :func:`indexed`: the same edges as integer node positions, sorted for the PageRank
  transition matrix, with the sorted node ids;
- :func:`reach`: direct and two-hop reach of a few nodes;
- :func:`ranked`: the indexed graph of one data object and edge options, shared by the
  influence metric and the scorecard's influence columns, and its PageRank, computed by
  whichever ``build`` asks first and reused by the other.

Nothing here collects except :func:`reach`, which works on numpy arrays in ``build``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import numpy as np
import polars as pl

from communityroi import CommunityData
from plugins.metrics.pagerank import PageRank, pagerank, transition


def edges(data: CommunityData, weights: Mapping[str, float], weighted: bool) -> pl.LazyFrame:
    """The period's aggregated interaction edges: src, dst, w (member ids).

    One scan of the activities serves interactions and invitations alike (each scan of
    the conformed activities re-runs the boundary's text cleaning). Node indices are
    assigned by :func:`indexed`, over a cached copy of this frame."""
    invite = weights["invite"]
    kinds = {k: v for k, v in weights.items() if k != "invite" and v > 0}
    is_invite = pl.col("kind") == "invite"
    acts = data.activities.filter(
        data.in_period("at")
        & pl.col("target_member_id").is_not_null()
        & (pl.col("target_member_id") != pl.col("member_id"))
        & pl.col("kind").is_in([*kinds, "invite"])
    ).select(
        src=pl.when(is_invite).then("target_member_id").otherwise("member_id"),
        dst=pl.when(is_invite).then("member_id").otherwise("target_member_id"),
        w=pl.col("kind").replace_strict({**kinds, "invite": 0.0}, return_dtype=pl.Float64),
        invite=is_invite,
    )
    listed = data.members.filter(
        data.in_period("joined_at")
        & pl.col("invited_by").is_not_null()
        & (pl.col("invited_by") != pl.col("member_id"))
    ).select(src="member_id", dst="invited_by", w=pl.lit(0.0), invite=pl.lit(True))
    named = (
        pl.concat([acts, listed])
        .group_by("src", "dst")  # an invitation counts once per pair
        .agg((pl.col("w").sum() + pl.col("invite").any().cast(pl.Float64) * invite).alias("w"))
        .filter(pl.col("w") > 0)
    )
    if not weighted:
        named = named.with_columns(w=pl.lit(1.0))
    return named


def indexed(named: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The edges as positions (s, t, w) in the sorted node ids, sorted
    by (t, s), and the node ids (``id``). Done in the plan (the edge list cached so that it
    is aggregated once) rather than in ``build``, so that Polars runs it alongside the other
    metrics' queries instead of in the serial build step; sorted by target so that
    :func:`~plugins.metrics.pagerank.transition` needs no sort and the matrix's row order
    (and so every digit of the scores) does not depend on hash-join output order."""
    named = named.cache()
    nodes = (
        # the distinct sources and targets first: the union of 2 × 3.2 M edge ends made
        # distinct at once cost ≈ 0.1 CPU-s more
        pl.concat([named.select(id="src").unique(), named.select(id="dst").unique()])
        .unique()
        .sort("id")
        .with_row_index("i")
        .cache()
    )
    # sorted by (t, s) as one 64-bit key t·2³² + s: the same order (positions are
    # 32-bit), but a two-column sort of 3.2 M edges cost 1.5 CPU-s and this 0.3
    key = pl.col("t").cast(pl.UInt64) * (1 << 32) + pl.col("s").cast(pl.UInt64)
    graph = (
        named.join(nodes.select(src="id", s="i"), on="src")
        .join(nodes.select(dst="id", t="i"), on="dst")
        .select("s", "t", "w")
        .sort(key)
    )
    return graph, nodes.select("id")


def reach(src: np.ndarray, dst: np.ndarray, n: int, rows: np.ndarray):
    """Direct and two-hop reach (undirected, excluding the member) of the nodes ``rows``.

    Only edges touching ``rows`` or their neighbours can count, so the symmetric matrix
    is built from those alone (a third of the edges for the top 20 on the bench graph,
    half the time); the counts are the same as on the whole graph."""
    from scipy import sparse  # on use (the metric's prepare imports it early)

    near = np.zeros(n, dtype=bool)
    near[rows] = True
    touch = near[src] | near[dst]
    near[src[touch]] = True
    near[dst[touch]] = True
    keep = near[src] | near[dst]
    src, dst = src[keep], dst[keep]
    ones = np.ones(src.shape[0] * 2, dtype=np.int32)
    sym = sparse.csr_matrix((ones, (np.r_[src, dst], np.r_[dst, src])), shape=(n, n))
    sym.data[:] = 1  # duplicates (u→v and v→u) were summed
    near = sym[rows]
    two = (near + near @ sym).tocsr()
    counts = np.diff(two.indptr)
    row_of = np.repeat(np.arange(rows.size), counts)
    self_hit = np.bincount(row_of[two.indices == rows[row_of]], minlength=rows.size)
    return np.diff(near.indptr), counts - self_hit


class Ranked:
    """The interaction graph (:func:`indexed`) of one data object and edge options, as
    cached LazyFrames ``graph`` and ``nodes``, and its PageRank computed once per
    (damping, tol, max_iter) from the collected frames: the influence metric and the
    scorecard's influence columns get the same object (:func:`ranked`), so the graph is
    aggregated and ranked once for both."""

    def __init__(self, data: CommunityData, weights: tuple[tuple[str, float], ...],
                 weighted: bool) -> None:  # fmt: skip
        graph, nodes = indexed(edges(data, dict(weights), weighted))
        self.graph, self.nodes = graph.cache(), nodes.cache()
        self._lock = threading.Lock()
        self._done: dict[tuple[float, float, int], PageRank] = {}

    def release(self) -> None:
        """Drop the lazy frames once collected (PageRank reads the collected ones)."""
        del self.graph, self.nodes

    def pagerank(self, got: Mapping[str, pl.DataFrame], damping: float, tol: float,
                 max_iter: int) -> PageRank:  # fmt: skip
        """PageRank of ``got["graph"]`` over ``got["nodes"]`` (the collected ``graph`` and
        ``nodes``: the same rows whoever collected them)."""
        key = (damping, tol, max_iter)
        with self._lock:  # builds run in threads: the second caller waits for the first
            if key not in self._done:
                g = got["graph"]
                t = transition(*(g[c].to_numpy() for c in ("s", "t", "w")), got["nodes"].height)
                self._done[key] = pagerank(t, damping=damping, tol=tol, max_iter=max_iter)
            return self._done[key]


def ranked(data: CommunityData, weights: Mapping[str, float], weighted: bool) -> Ranked:
    """The :class:`Ranked` graph of ``data`` for these edge options (one per data object)."""
    return data.memo(Ranked, tuple(sorted(weights.items())), weighted)
