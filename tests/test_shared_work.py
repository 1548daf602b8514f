"""The scorecard reuses the metrics' work (issue 15): shared frames keyed by arguments, one
PageRank and one CLV fit per run for the metric and its score columns, nothing carried
from one run to the next."""

from __future__ import annotations

import polars as pl
from test_member_scores import _setup

from communityroi.testing import sample_data
from core.pipeline import compute_all
from plugins.metrics import _interaction_graph, clv


def test_shared_frames_and_memos_are_keyed_by_their_arguments():
    d = sample_data()
    calls = []

    def make(data, n):
        calls.append(n)
        return pl.LazyFrame({"n": [n]})

    assert d.shared(make, 1) is d.shared(make, 1)
    assert d.shared(make, 2) is not d.shared(make, 1)
    assert calls == [1, 2]
    objects = []

    def thing(data, n):
        objects.append(n)
        return [n]

    assert d.memo(thing, 1) is d.memo(thing, 1) and objects == [1]
    assert d.memo(thing, 2) == [2] and objects == [1, 2]


def test_a_shared_frame_collects_on_its_own():
    """A plugin may collect a shared frame alone (in its tests, say). A cached plan that
    reads a table twice made Polars 2.1 panic when it was the root of a collect."""
    d = sample_data()

    def make(data):
        acts = data.activities
        per = acts.group_by("member_id").agg(pl.len().alias("n"))
        late = (
            acts.filter(pl.col("kind") == "message").group_by("member_id").agg(pl.len().alias("m"))
        )
        return per.join(late, on="member_id", how="left")

    alone = d.shared(make).collect()
    assert alone.height == d.activities.select(pl.col("member_id").n_unique()).collect().item()
    assert pl.collect_all([d.shared(make)])[0].height == alone.height


def test_pagerank_and_clv_fit_run_once_per_run_for_metric_and_scorecard(monkeypatch):
    ranks, fits = [], []
    real_rank, real_fit = _interaction_graph.pagerank, clv.fit_models

    def rank(*a, **k):
        ranks.append(1)
        return real_rank(*a, **k)

    def fit(*a, **k):
        fits.append(1)
        return real_fit(*a, **k)

    monkeypatch.setattr(_interaction_graph, "pagerank", rank)
    monkeypatch.setattr(clv, "fit_models", fit)
    data = sample_data()
    settings, registry = _setup(data)
    sections, members = compute_all(settings, registry, data, members=True)
    assert members is not None and "influence" in members.data.columns
    assert {s.metric for s in sections} >= {"influence", "clv", "actions"}
    # influence: the period and the previous one (KPIs); clv: the period only
    assert len(ranks) == 2 and len(fits) == 1
    compute_all(settings, registry, data, members=True)  # a second run computes afresh
    assert len(ranks) == 4 and len(fits) == 2
