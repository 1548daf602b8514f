"""Excel renderer: every table a sheet, KPI sheet, strings never formulas."""

from __future__ import annotations

import io
from dataclasses import replace

import openpyxl
import polars as pl
import pytest
from report_fixture import FORMULA, XSS, make_report

from communityroi import T, Table
from plugins.renderers.xlsx import render, sheet_name


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(render(make_report("en"), None)))


def test_sheets(book):
    assert book.sheetnames == [
        "Executive summary", "KPIs", "Findings", "roi.campaigns", "roi.categories",
        "health.daily", "health.hours", "health.funnel", "retention.cohorts",
        "clv.top_members", "clv.distribution", "influence.edges", "influence.ranking",
    ]  # fmt: skip
    kpis = list(book["KPIs"].iter_rows(values_only=True))
    assert kpis[0][:5] == ("metric", "kpi", "label", "value", "unit")
    assert kpis[1][:5] == ("roi", "roi", "ROI", 156.3, "percent")


def test_formula_injection_stays_text(book):
    ws = book["clv.top_members"]
    assert ws.max_row == 121  # header + every row
    cells = {ws.cell(r, 1).value: ws.cell(r, 1) for r in range(2, ws.max_row + 1)}
    evil = cells[FORMULA]
    assert evil.data_type == "s" and evil.value == FORMULA  # a string, not a formula
    assert cells[XSS].data_type == "s"
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f"


def test_values_keep_types_and_local_time(book):
    ws = book["clv.top_members"]
    assert ws.cell(1, 1).value == "Member"  # column labels in the report language
    assert isinstance(ws.cell(2, 3).value, float)
    # 2024-06-01 09:30 UTC is 17:30 in Asia/Shanghai
    assert ws.cell(2, 5).value.isoformat() == "2024-06-01T17:30:00"


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    long = "engagement." + "x" * 40
    names = [sheet_name(n, used) for n in (long, long, "a/b:c", "A/B:C", "'q'")]
    assert names[0] == long[:31] and names[1] == long[:29] + "~2"
    assert names[2] == "a_b_c" and names[3] == "A_B_C~2" and names[4] == "q"
    assert all(len(n) <= 31 for n in names)


def test_long_table_keys_do_not_collide_and_output_is_deterministic():
    rep = make_report("zh-CN")
    df = pl.DataFrame({"a": ["=1+1"]})
    tables = tuple(Table("very_long_table_key_number_" + str(i), T("t"), df) for i in range(3))
    sec = replace(rep.sections[0], tables=tables, charts=())
    blob = render(replace(rep, sections=(sec,)), None)
    names = openpyxl.load_workbook(io.BytesIO(blob)).sheetnames
    assert len(set(n.lower() for n in names)) == len(names) == 6
    assert render(make_report("zh-CN"), None) == render(make_report("zh-CN"), None)
