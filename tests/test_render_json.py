"""JSON renderer: documented structure (docs/json-format.md), plain values, determinism."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from report_fixture import FORMULA, XSS, make_report

from communityroi import RenderError
from plugins.renderers.json import render


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(render(make_report("zh-CN"), None))


def test_top_level_meta(doc):
    assert doc["format"] == "communityroi-report" and doc["version"] == 1
    assert doc["client"] == "Acme Tea 阿克米茶饮"
    assert doc["period"] == {"start": "2025-01-01", "end": "2025-03-31", "days": 90}
    assert doc["previous_period"]["start"] == "2024-10-01"
    assert (doc["currency"], doc["timezone"], doc["language"]) == ("CNY", "Asia/Shanghai", "zh-CN")
    assert doc["pseudonymized"] is True
    assert doc["warnings"] == ["orders.csv: 3 orders in USD were converted at 7.10"]
    assert list(doc["metrics"]) == ["roi", "health", "retention", "clv", "influence"]


def test_kpis(doc):
    roi = doc["metrics"]["roi"]["kpis"]["roi"]
    assert roi == {
        "value": 156.3, "low": None, "high": None, "level": None,
        "unit": "percent", "label": "投资回报率", "previous": 121.0,
        "change": 35.3, "target": 150.0, "target_op": ">=", "status": "met",
        "higher_is_better": True, "headline": True, "formula": "(R − I) / I × 100 %",
    }  # fmt: skip
    members = doc["metrics"]["health"]["kpis"]["members"]
    assert members["value"] == 5120 and isinstance(members["value"], int)
    assert members["target"] is None and members["status"] is None


def test_tables_hold_every_row_as_plain_values(doc):
    top = doc["metrics"]["clv"]["tables"]["top_members"]
    assert len(top) == 120  # the HTML shows 50
    assert list(top[0]) == ["member", "orders", "clv", "p_alive", "first_order"]
    assert top[0]["first_order"] == "2024-06-01T09:30:00+00:00"
    assert isinstance(top[0]["clv"], float) and isinstance(top[0]["orders"], int)
    assert top[3]["member"] == XSS and top[5]["member"] == FORMULA  # data, unchanged
    cohorts = doc["metrics"]["retention"]["tables"]["cohorts"]  # hidden tables too
    assert cohorts[0] == {"cohort": "2024-10-01", "offset": 0, "retained": 100.0}


def test_section_extra_and_findings(doc):
    assert doc["metrics"]["clv"]["model"] == {"r": 0.243, "alpha": 4.414, "a": 0.793,
                                              "b": 2.426}  # fmt: skip
    weights = [f["weight"] for f in doc["findings"]]
    assert weights == sorted(weights, reverse=True) and doc["findings"][0]["metric"] == "roi"
    assert doc["metrics"]["roi"]["methodology"][0]["formula"] == "ROI = (R − I) / I × 100 %"


def test_nan_becomes_null_and_output_is_deterministic():
    rep = make_report("en")
    roi = rep.sections[0]
    bad = replace(roi, kpis=(roi.kpis[0].with_(value=float("nan")), *roi.kpis[1:]))
    out = render(replace(rep, sections=(bad, *rep.sections[1:])), None)
    assert json.loads(out)["metrics"]["roi"]["kpis"]["roi"]["value"] is None
    assert render(make_report("en"), None) == render(make_report("en"), None)
    assert b"generated" not in render(make_report("en"), None)


def test_reserved_extra_key_is_refused():
    rep = make_report("en")
    clash = replace(rep.sections[0], extra={"kpis": 1})
    with pytest.raises(RenderError, match="reserves"):
        render(replace(rep, sections=(clash,)), None)


def test_json_stays_a_summary_and_records_the_scorecard():
    import polars as pl
    from report_fixture import clv_section

    from communityroi import ColumnInfo, T, Table

    big = clv_section(rows=1500)
    card = pl.DataFrame({"member_id": ["M-1", "M-2"], "x": [1, 2]})
    members = Table("members", T("m", "m"), card, {"member_id": ColumnInfo(T("M", "M"), "member")})
    got = json.loads(render(make_report("en", sections=(big,), members=members), None))
    lengths = {k: len(v) for k, v in got["metrics"]["clv"]["tables"].items()}
    assert max(lengths.values()) == 1000
    assert {"metric": "clv", "table": "top_members", "rows": 1500, "kept": 1000} in got[
        "truncated_tables"
    ]
    assert got["scorecard"] == {"files": ["members.csv", "members.parquet"], "rows": 2,
                                "columns": ["member", "x"]}  # fmt: skip
    assert json.loads(render(make_report("en"), None))["scorecard"] is None
