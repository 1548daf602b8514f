"""NPS metric tests; every expected number is counted by hand from tests/data/survey.csv.

Counted answers in October 2026 (Asia/Shanghai): a (latest answer, 3), b 9, c 9, d 8, e 7,
f 6, g 2, anonymous 10, h 10, k 9 — ten. Not counted: a's earlier 10, i (September),
j (November), l (no score).
Promoters (9–10): b, c, anonymous, h, k = 5; passives (7–8): d, e = 2;
detractors (0–6): a, f, g = 3.  NPS = (5 − 3) / 10 × 100 = 20.
Margin: p = 0.5, d = 0.3; 1.96 × √((0.8 − 0.04) / 10) × 100 = 54.03.
Members at the end of October: a–h, x, y (z left on 10-15) = 10, of whom a–h answered:
response rate 80 %.
"""

import json
import shutil
from datetime import date
from pathlib import Path

import communityroi_nps as plugin
import pytest

from communityroi import CommunityROIError, ConfigError
from communityroi.testing import make_data, plugin_registry, render_report, run_metric

SURVEY = Path(__file__).parent / "data" / "survey.csv"
SEGMENTS = {"a": "annual", "b": "annual", "c": "annual", "d": "annual", "e": "monthly",
            "f": "monthly", "g": "trial", "h": "trial", "x": "annual", "y": "annual",
            "z": "annual"}  # fmt: skip


def members():
    rows = [{"member_id": m, "joined_at": "2026-09-01", "segment": s} for m, s in SEGMENTS.items()]
    rows[-1]["left_at"] = "2026-10-15 12:00"  # z
    return rows


@pytest.fixture
def data():
    return make_data(
        {"members": members()},
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        timezone="Asia/Shanghai",
    )


def test_the_plugin_declares_its_metric():
    spec, _info = plugin_registry(plugin).metrics["nps"]
    assert not spec.enabled_by_default  # it needs a survey file


def test_numbers_counted_by_hand(data):
    section = run_metric(plugin.SPEC, data, {"survey": SURVEY})
    kpi = {k.key: k.value for k in section.kpis}
    assert kpi["nps"] == pytest.approx(20.0)
    assert kpi["answers"] == 10
    assert kpi["promoters"] == pytest.approx(50.0)
    assert kpi["detractors"] == pytest.approx(30.0)
    assert kpi["margin"] == pytest.approx(54.03, abs=0.005)
    assert kpi["response_rate"] == pytest.approx(80.0)


def test_by_segment_and_distribution(data):
    section = run_metric(plugin.SPEC, data, {"survey": SURVEY})
    seg = {r["segment"]: r for r in section.table("by_segment").data.iter_rows(named=True)}
    # annual a(3) b(9) c(9) d(8); monthly e(7) f(6); trial g(2) h(10); unknown anon(10) k(9)
    assert {s: (r["answers"], r["nps"]) for s, r in seg.items()} == {
        "annual": (4, 25.0),
        "monthly": (2, -50.0),
        "trial": (2, 0.0),
        "unknown": (2, 100.0),
    }
    dist = dict(section.table("distribution").data.iter_rows())
    assert dist == {"0": 0, "1": 0, "2": 1, "3": 1, "4": 0, "5": 0, "6": 1, "7": 1, "8": 1,
                    "9": 3, "10": 2}  # fmt: skip


def test_cutoffs_are_options(data):
    # promoters 8–10 (adds d), detractors 0–5 (drops f): (6 − 2) / 10 × 100 = 40
    section = run_metric(
        plugin.SPEC, data, {"survey": SURVEY, "promoter_min": 8, "detractor_max": 5}
    )
    assert section.kpi("nps").value == pytest.approx(40.0)


def test_bad_options_name_the_option():
    with pytest.raises(ValueError, match=r"survey file .* not found"):
        plugin.NPSOptions(survey="nope.csv")
    with pytest.raises(ValueError, match="detractor_max must be below promoter_min"):
        plugin.NPSOptions(survey=SURVEY, promoter_min=7, detractor_max=7)


def test_a_bad_score_is_named_by_row(data, tmp_path):
    bad = tmp_path / "survey.csv"
    shutil.copy(SURVEY, bad)
    with bad.open("a", encoding="utf-8") as f:
        f.write("15,2026-10-20 10:00,x,11,\n")
    # the metric raises DataError; the core names the plugin around it
    with pytest.raises(CommunityROIError, match=r"row 16, column 推荐意愿.*: '11' is not a whole"):
        run_metric(plugin.SPEC, data, {"survey": bad})


def test_the_section_is_in_a_rendered_report(data):
    out = render_report([plugin], data, ("html", "json"), options={"nps": {"survey": SURVEY}})
    doc = json.loads(out["json"])
    assert doc["metrics"]["nps"]["kpis"]["nps"]["value"] == pytest.approx(20.0)
    assert "Net Promoter Score" in out["html"].decode()


def test_options_errors_name_the_metric(data):
    with pytest.raises(ConfigError, match=r"metric 'nps'.*promoter_min"):
        render_report([plugin], data, options={"nps": {"survey": SURVEY, "promoter_min": 11}})
