"""Issue 13 end to end: a Shopify export with no member link is said everywhere (validate,
validate --json, report.json warnings, the appendix), and the data-quality appendix of the
HTML and the PDF shows what was loaded, what was dropped and why, the unlinked orders and
the merged identities.

Expected numbers are counted by hand from the fixtures: tests/data/shopify/orders_export.csv
(written in Shopify's export shape) has 7 orders, #1001-#1007; 4 are paid (#1001 358.00,
#1003 598.00 - 100.00 refunded, #1006 45.50, #1007 1,299.00 = 2,200.50 CNY);
alice@example.com placed #1001 and #1003 (358.00 + 498.00 = 856.00 paid net).
tests/data/discord/reexport (DCE's JSON shape) drops, among others, 6 reactions saved
without a user list.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from core.cli import main

DATA = Path(__file__).parent / "data"
SHOPIFY = DATA / "shopify" / "orders_export.csv"
REEXPORT = DATA / "discord" / "reexport"
NO_USERS = "reaction without user list"
HEAD = (
    '[report]\nperiod_start = "2026-10-01"\nperiod_end = "2026-10-31"\ncurrency = "CNY"\n'
    'language = "en"\n'
)


def _shopify_only(tmp_path: Path) -> Path:
    config = tmp_path / "report.toml"
    config.write_text(
        HEAD + f'[[sources]]\ntype = "shopify"\npath = "{SHOPIFY.as_posix()}"\n', encoding="utf-8"
    )
    return config


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_shopify_with_no_member_link_counts_every_order_as_unlinked(tmp_path):
    config = str(_shopify_only(tmp_path))
    res = _run("validate", config, "--json")
    assert res.exit_code == 0, res.output
    orders = json.loads(res.stdout)["tables"]["orders"]
    assert orders == {
        "rows": 7,
        "paid": 4,
        "paid_amount": 2200.5,
        "linked_to_members": 0,
        "unlinked": 7,  # was 1: the sum of a literal False counted one row, not every order
        "unlinked_paid_amount": 2200.5,
        "currency": "CNY",
    }
    res = _run("validate", config)
    assert "orders: 7 (4 paid, 2,200.50 CNY); 0 linked to members, 7 not" in res.output
    assert "none of the 7 order(s) (2,200.50 CNY paid) is linked to a member" in res.output
    res = _run("-q", "report", config, "--format", "json,html", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert any("none of the 7 order(s)" in w for w in report["warnings"])
    assert report["data_quality"]["tables"]["orders"]["unlinked"] == 7
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "0 of 7 orders are linked to a member; 7 are not" in html


def _merged_config(tmp_path: Path) -> Path:
    (tmp_path / "members.csv").write_text(
        "member_id,platform,joined_at,customer_id\n"
        "wx_alice,wechat,2026-09-01,alice@example.com\n"
        "d_alice,discord,2026-09-02,\n"
        "wx_bob,wechat,2026-09-03,\n",
        encoding="utf-8",
    )
    (tmp_path / "people.csv").write_text(
        "platform,member_id,person_id\nwechat,wx_alice,alice\ndiscord,d_alice,alice\n",
        encoding="utf-8",
    )
    config = tmp_path / "report.toml"
    config.write_text(
        HEAD
        + f'[[sources]]\ntype = "discord"\npath = "{REEXPORT.as_posix()}"\n'
        + f'[[sources]]\ntype = "shopify"\npath = "{SHOPIFY.as_posix()}"\n'
        + '[[sources]]\ntype = "files"\nmembers = "members.csv"\n'
        + '[transforms.identity]\nmapping = "people.csv"\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
def test_appendix_in_html_and_pdf_shows_loaded_dropped_unlinked_and_merged(tmp_path):
    config = str(_merged_config(tmp_path))
    res = _run("validate", config, "--json")
    doc = json.loads(res.stdout)
    orders = doc["tables"]["orders"]
    assert (orders["linked_to_members"], orders["unlinked"]) == (2, 5)  # alice: #1001, #1003
    assert orders["unlinked_paid_amount"] == 1344.5  # 2,200.50 - 856.00
    assert doc["tables"]["members"]["people"] == doc["tables"]["members"]["accounts"] - 1
    assert {"file": str(REEXPORT / (
        "Brand Club - Text Channels - general [1180000000000001000] [part 1].json"
    )), "reason": next(d["reason"] for d in doc["dropped"] if NO_USERS in d["reason"]),
        "rows": 6} in doc["dropped"]  # fmt: skip
    res = _run("validate", config)
    drop_lines = [line for line in res.output.splitlines() if line.startswith("  ")]
    assert len(drop_lines) == len(doc["dropped"])  # every drop printed, with its count
    assert any(NO_USERS in line and line.endswith("— 6") for line in drop_lines)
    assert "no problems found in the rows loaded (drops listed above)" in res.output

    out = tmp_path / "o"
    res = _run("-q", "report", config, "--format", "html,pdf", "--out", str(out))
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text(encoding="utf-8")
    appendix = html[html.index('id="data-quality"') :]
    pdf = PdfReader(io.BytesIO((out / "report.pdf").read_bytes()))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    for medium in (appendix, text):
        assert "Loaded" in medium and "Read but not loaded" in medium
        assert NO_USERS in medium  # a drop with its reason
        assert "2 of 7 orders are linked to a member; 5 are not" in medium
        assert "Identity merging:" in medium and "accounts merged" in medium
    people = doc["tables"]["members"]["people"]
    assert f"became {people} people" in appendix and f"became {people} people" in text
