"""After the metrics' one collect the core lets go of the tables (issue 17).

The tables are about half of a full-size run's memory; the views handed to the metrics,
their shared frames and the memo objects that kept LazyFrames for the collect held them
through the scorecard, the builds and rendering. Now a build that reads a table fails
with a message that says so, instead of reading data it is not meant to read.
"""

from __future__ import annotations

import polars as pl
import pytest

from communityroi import KPI, MetricResult, MetricSpec, Section, T
from communityroi.testing import sample_data
from core.metrics import MetricJob, run_all
from plugins.metrics import _interaction_graph, clv, influence


class _Holder:
    """A memo value keeping a frame for the collect, as clv's Models does."""

    def __init__(self, data) -> None:
        self.frame = data.activities.select(pl.len().alias("n"))
        self.released = False

    def release(self) -> None:
        del self.frame
        self.released = True


def _spec(seen: dict, *, read_table: bool = False) -> MetricSpec:
    def compute(data, _opts):
        held = data.memo(_Holder)
        seen.setdefault("view", data)  # the period's view (compute runs for the previous too)
        seen.setdefault("held", held)

        def build(got):
            if read_table:
                data.activities.select(pl.len()).collect()
            return Section(kpis=(KPI("n", T("N"), got["n"].item(), "count"),))

        return MetricResult({"n": held.frame}, build)

    return MetricSpec(name="count", title=T("Count", "计数"), description="n", compute=compute)


def _job(spec: MetricSpec) -> MetricJob:
    return MetricJob(spec, None, "plugin 'count'")


def test_release_lets_go_of_every_view_and_memo_frame_after_the_collect():
    data = sample_data()
    rows = data.activities.select(pl.len()).collect().item()
    seen: dict = {}
    (section,), _ = run_all(data, [_job(_spec(seen))], (), strict=True, release=True)
    assert section.kpi("n").value == rows  # built from the collected frame
    assert seen["held"].released and not hasattr(seen["held"], "frame")
    for view in (data, seen["view"]):
        with pytest.raises(RuntimeError, match="released after the metrics' collect"):
            view.activities.collect()
    assert data.period == seen["view"].period and data.previous_period.days == data.period.days


def test_without_release_the_callers_data_stays_usable():
    data = sample_data()
    seen: dict = {}
    run_all(data, [_job(_spec(seen))], (), strict=True)
    run_all(data, [_job(_spec(seen))], (), strict=True)  # the same data, run again
    assert data.activities.select(pl.len()).collect().item() > 0
    with pytest.raises(RuntimeError, match="released"):  # the run's own view is let go
        seen["view"].members.collect()


def test_a_build_reading_a_table_is_named_not_silently_wrong():
    warnings: list[str] = []
    spec = _spec({}, read_table=True)
    sections, _ = run_all(sample_data(), [_job(spec)], (), warn=warnings.append)
    assert sections == []
    assert len(warnings) == 1 and "metric 'count'" in warnings[0]
    assert "data.activities was released" in warnings[0]


def test_clv_models_and_the_ranked_graph_drop_their_lazy_frames():
    data = sample_data()
    weights = tuple(sorted(influence.InfluenceOptions().edge_weights.items()))
    for held in (clv.Models(data, "revenue"), _interaction_graph.Ranked(data, weights, True)):
        assert any(isinstance(v, pl.LazyFrame) for v in vars(held).values())
        held.release()
        assert not any(isinstance(v, pl.LazyFrame) for v in vars(held).values())


def test_the_pipeline_releases_the_tables_it_loaded(tmp_path):
    from core.pipeline import run
    from core.settings import load_settings

    settings = load_settings(
        None,
        report={"language": "en"},
        sources=[{"type": "demo"}],
        output={"dir": str(tmp_path), "formats": ["json"]},
    )
    result = run(settings)
    assert (tmp_path / "report.json").is_file()
    assert result.loaded.tables == {} and result.loaded.frames == {}
    with pytest.raises(RuntimeError, match="released"):
        result.data.orders.collect()
