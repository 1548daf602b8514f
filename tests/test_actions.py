"""Action lists: each rule on a hand-built scorecard, the section (rule, size, top N) and
the lists in the demo's HTML and PDF."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import polars as pl
import pytest

from plugins.metrics.actions import ActionOptions, build, flags

ROWS = [  # member, stage, days_inactive, clv_predicted, clv_observed, p_alive, infl_pct,
    #         tier, referrals, tenure, activities_total
    ("a", "active", 40, 900.0, 500.0, 0.9, 10.0, "casual", 0, 200, 30),  # at risk: inactive
    ("b", "active", 1, 800.0, 400.0, 0.2, 95.0, "core", 2, 300, 90),  # at risk (p) + advocate
    ("c", "active", 1, 100.0, 50.0, 0.9, 85.0, "active", 0, 100, 40),  # advocate
    ("d", "new", 5, None, None, None, None, None, 0, 10, 1),  # welcome
    ("e", "dormant", 90, 50.0, 300.0, 0.1, None, "dormant", 0, 400, 12),  # win-back
    ("f", "left", 90, 950.0, 900.0, 0.1, 99.0, None, 5, 5, 0),  # left: never listed
    ("g", "new", 3, None, None, None, None, None, 0, 12, 2),  # two actions: not welcome
    ("h", "active", 1, 10.0, 5.0, 0.9, 50.0, "core", 0, 100, 50),  # nothing
]
COLS = ["member_id", "stage", "days_inactive", "clv_predicted", "clv_observed", "p_alive",
        "influence_pct", "loyalty_tier", "referrals", "tenure_days",
        "activities_total"]  # fmt: skip


def scorecard() -> pl.DataFrame:
    df = pl.DataFrame(ROWS, schema=COLS, orient="row")
    return df.with_columns(
        invites_sent=pl.col("referrals"),
        influence=pl.col("influence_pct") / 100,
        loyalty=pl.lit(1.0),
        joined_at=pl.lit(datetime(2026, 10, 1, tzinfo=UTC)),
        last_active=pl.lit(datetime(2026, 10, 1, tzinfo=UTC)),
        platforms=pl.lit("wechat"),
    )


def flagged(**opts) -> pl.DataFrame:
    return flags(scorecard().lazy(), ActionOptions(**opts)).collect()


def who(df: pl.DataFrame, flag: str) -> list[str]:
    return df.filter(pl.col(flag))["member_id"].to_list()


def test_each_rule_on_hand_built_members():
    df = flagged()
    # predicted values > 0 (f left still counts for the cut): 10 50 100 800 900 950; the
    # top 20 % cut (quantile 0.8, higher) is 900 → a (inactive 40 ≥ 30); b's 800 is below
    assert who(df, "act_at_risk") == ["a"]
    assert who(df, "act_advocate") == ["b", "c"]
    assert who(df, "act_welcome") == ["d"]
    assert who(df, "act_winback") == ["e"]
    assert df["action"].to_list() == ["at_risk", "advocate", "advocate", "welcome", "winback",
                                      None, None, None]  # fmt: skip


def test_thresholds_are_options():
    df = flagged(high_value_share=50, inactive_days=100, advocate_min_referrals=1,
                 new_days=11, winback_min_value=400)  # fmt: skip
    # top half: cut = quantile 0.5 (higher) of 10 50 100 800 900 950 = 800 → a, b; only b
    # has P(alive) < 0.5 (a's 40 days < 100)
    assert who(df, "act_at_risk") == ["b"]
    assert who(df, "act_advocate") == ["b"]
    assert who(df, "act_welcome") == ["d"]
    assert who(df, "act_winback") == []


def test_missing_columns_flag_nobody():
    df = flags(pl.LazyFrame({"member_id": ["a"], "stage": ["active"]}), None).collect()
    assert df.row(0) == ("a", "active", False, False, False, False, None)


def test_section_lists_rule_size_and_top_n():
    section = build({"members": flagged()}, ActionOptions(top_n=1))
    sizes = {k.key: k.value for k in section.kpis}
    assert sizes == {"at_risk": 1, "advocates": 2, "welcome": 1, "winback": 1}
    adv = section.table("advocates")
    assert adv.data["member_id"].to_list() == ["b"]  # by referrals: b (2) before c (0)
    assert adv.columns["member_id"].unit == "member"
    assert "Influence percentile ≥ 80" in adv.note.en and "共 2 人" in adv.note.zh
    assert "first 1 shown" in adv.note.en


def _demo(tmp_path, fmt):
    from click.testing import CliRunner

    from core.cli import main

    result = CliRunner().invoke(
        main, ["-q", "demo", "--format", fmt, "--out", str(tmp_path), "--lang", "zh-CN"]
    )
    assert result.exit_code == 0, result.output


def test_action_lists_in_demo_html(tmp_path):
    _demo(tmp_path, "html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for text in ("行动清单", "高价值流失风险成员", "可发展为推广者的成员", "待欢迎的新成员",
                 "值得唤醒的沉睡成员", "规则："):  # fmt: skip
        assert text in html


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_action_lists_in_demo_pdf(tmp_path):
    _demo(tmp_path, "pdf")
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "行动清单" in text and "高价值流失风险成员" in text and "待欢迎的新成员" in text


def test_scorecard_recorded_in_report_json_only_when_written(tmp_path):
    """The action lists need the scorecard, but report.json names members.csv only when
    --format members writes it (and only then are its million rows pseudonymised)."""
    import json

    _demo(tmp_path / "a", "json")
    doc = json.loads((tmp_path / "a" / "report.json").read_text(encoding="utf-8"))
    assert doc["scorecard"] is None and not (tmp_path / "a" / "members.csv").exists()
    assert "actions" in doc["metrics"]
    _demo(tmp_path / "b", "json,members")
    doc = json.loads((tmp_path / "b" / "report.json").read_text(encoding="utf-8"))
    rows = len((tmp_path / "b" / "members.csv").read_text(encoding="utf-8-sig").splitlines())
    assert doc["scorecard"]["rows"] == rows - 1 > 0
