"""The previous period is KPI-only when a metric gives ``kpi_frames`` and ``build_kpis``.

The core then collects only those frames for the previous period and builds only the
KPIs; ``previous`` and ``change`` must equal what the full ``build`` gives.
"""

from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from communityroi import KPI, MetricResult, MetricSpec, Section, T
from communityroi.testing import make_data, run_metric, sample_data
from plugins.metrics import campaigns, engagement, funnel, influence, roi


def _counting_spec(calls: dict[str, list]) -> MetricSpec:
    def kpis(got) -> tuple[KPI, ...]:
        calls["kpis"].append(sorted(got))
        return (KPI("posts", T("Posts", "帖子数"), got["n"].item(), "count"),)

    def build(got) -> Section:
        calls["build"].append(sorted(got))
        return Section(kpis=kpis(got))

    def compute(data, _opts):
        acts = data.activities.filter(data.in_period("at"))
        frames = {"n": acts.select(pl.len()), "heavy": acts.select("member_id").unique()}
        return MetricResult(frames, build, kpi_frames=("n",), build_kpis=kpis)

    return MetricSpec(name="posts", title=T("Posts", "帖子"), description="posts", compute=compute)


def test_previous_period_collects_only_kpi_frames_and_builds_only_kpis():
    acts = [
        {"activity_id": "a1", "member_id": "m1", "kind": "message", "at": "2026-09-10 10:00"},
        {"activity_id": "a2", "member_id": "m1", "kind": "message", "at": "2026-10-02 10:00"},
        {"activity_id": "a3", "member_id": "m2", "kind": "message", "at": "2026-10-03 10:00"},
    ]
    data = make_data({"activities": acts}, start=date(2026, 10, 1), end=date(2026, 10, 31))
    calls: dict[str, list] = {"kpis": [], "build": []}
    section = run_metric(_counting_spec(calls), data)
    # build once (this period, every frame); build_kpis for the previous period gets only "n"
    assert calls["build"] == [["heavy", "n"]]
    assert calls["kpis"] == [["heavy", "n"], ["n"]]
    kpi = section.kpi("posts")
    assert (kpi.value, kpi.previous, kpi.change) == (2, 1, 1.0)  # (2 − 1) / 1


def test_kpi_frames_must_name_returned_frames():
    def compute(data, _opts):
        return MetricResult({"n": data.activities.select(pl.len())}, Section, ("missing",), None)

    spec = MetricSpec(name="bad", title=T("Bad", "坏"), description="bad", compute=compute)
    with pytest.raises(Exception, match="missing"):
        run_metric(spec, sample_data())


def _full_previous(spec: MetricSpec) -> MetricSpec:
    """The same metric with the previous period built in full, as before kpi_frames."""

    def compute(data, opts):
        res = spec.compute(data, opts)
        return replace(res, kpi_frames=None, build_kpis=None)

    return replace(spec, compute=compute)


@pytest.mark.parametrize("module", [roi, campaigns, engagement, funnel, influence])
def test_kpi_only_previous_matches_the_full_build(module):
    data = sample_data()
    fast = run_metric(module.SPEC, data)
    full = run_metric(_full_previous(module.SPEC), data)
    assert fast.kpis == full.kpis
    assert any(k.previous is not None for k in fast.kpis)
