"""The demo report's KPI numbers are pinned: a refactoring that changes one fails here.

``tests/data/demo_kpis.json`` holds, per metric, every KPI's value and previous-period
value of ``communityroi demo --format json`` (seed 2026, October 2026). When a change to
a figure is intended (a documented fix, a new demo story), rewrite it with
``python tests/test_demo_kpis.py --write`` and say why in the commit. Metrics not in the
file (a new section) are not compared; every KPI of a pinned metric is.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

PINNED = Path(__file__).parent / "data" / "demo_kpis.json"


def demo_kpis(out: Path) -> dict[str, dict[str, list]]:
    """``{metric: {kpi: [value, previous]}}`` of the demo's report.json, built in ``out``."""
    from click.testing import CliRunner

    from core.cli import main

    result = CliRunner().invoke(
        main, ["-q", "demo", "--out", str(out), "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        name: {key: [k["value"], k["previous"]] for key, k in section["kpis"].items()}
        for name, section in doc["metrics"].items()
    }


def _dump(kpis: dict[str, dict[str, list]]) -> str:
    lines = []
    for m, (name, section) in enumerate(kpis.items()):
        lines.append(f" {json.dumps(name)}: {{")
        for i, (key, pair) in enumerate(section.items()):
            comma = "," if i < len(section) - 1 else ""
            lines.append(f"  {json.dumps(key)}: {json.dumps(pair)}{comma}")
        lines.append(" }" + ("," if m < len(kpis) - 1 else ""))
    return "{\n" + "\n".join(lines) + "\n}\n"


def test_demo_kpis_are_unchanged(tmp_path):
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    got = demo_kpis(tmp_path)
    changed = [
        f"{name}.{key}: {pinned[name].get(key)} → {got.get(name, {}).get(key)}"
        for name in pinned
        for key in set(pinned[name]) | set(got.get(name, {}))
        if pinned[name].get(key) != got.get(name, {}).get(key)
    ]
    assert not changed, (
        "demo KPIs [value, previous] changed (if intended: python tests/test_demo_kpis.py "
        "--write):\n" + "\n".join(sorted(changed))
    )


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    with tempfile.TemporaryDirectory() as tmp:
        PINNED.write_text(_dump(demo_kpis(Path(tmp))), encoding="utf-8")
    print(f"rewrote {PINNED}")
