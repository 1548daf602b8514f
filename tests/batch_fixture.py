"""An agency of small demo clients for the batch tests (tests/test_batch*.py).

Seven demo communities with different seeds (60 people from 1 September 2026, so each
report takes well under a second) and one client whose export is missing. Configs are
written by hand here, the way an agency would write them.
"""

from __future__ import annotations

import json
from pathlib import Path

SEEDS = (11, 12, 13, 14, 15, 16, 17)
GOOD = tuple(f"shop-{s}" for s in SEEDS)
BROKEN = "missing-export"


def client_toml(seed: int) -> str:
    return f"""[report]
client = "Demo shop {seed}"
language = "en"
timezone = "Asia/Shanghai"
[[sources]]
type = "demo"
seed = {seed}
members = 60
start = 2026-09-01
[output]
formats = ["json", "html"]
"""


BROKEN_TOML = """[report]
client = "Shop without its export"
[[sources]]
type = "files"
members = "exports/members.csv"
"""


def make_agency(root: Path, *, history: str = "history.db", extra: str = "") -> Path:
    """Write ROOT/agency.toml and ROOT/clients/*.toml; returns the agency.toml path."""
    (root / "clients").mkdir(parents=True, exist_ok=True)
    lines = ["[agency]", 'name = "知群运营"', f"history = {json.dumps(history)}", extra]
    for seed, name in zip(SEEDS, GOOD, strict=True):
        (root / "clients" / f"{name}.toml").write_text(client_toml(seed), encoding="utf-8")
        lines += ["[[clients]]", f'name = "{name}"', f'config = "clients/{name}.toml"']
    (root / "clients" / "broken.toml").write_text(BROKEN_TOML, encoding="utf-8")
    lines += ["[[clients]]", f'name = "{BROKEN}"', 'config = "clients/broken.toml"']
    path = root / "agency.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def headline(report_json: Path) -> dict[str, float | None]:
    """``{"metric.kpi": value}`` of every headline KPI in a report.json."""
    doc = json.loads(report_json.read_text(encoding="utf-8"))
    return {
        f"{m}.{k}": v["value"]
        for m, entry in doc["metrics"].items()
        for k, v in entry["kpis"].items()
        if v["headline"]
    }
