"""The full report's numbers on a seeded mid-size data set are pinned (issue 17).

The speed work on the whole ``communityroi report`` (one pass over the data, a smaller
report.json, faster renderers) must not change a figure. ``tests/data/bench_kpis.json``
holds, per metric, every KPI's value, previous-period value and interval (low, high) of
``communityroi report --format json`` over ``bench/generate.py --scale 0.02 --seed 17``
(20 k members, 200 k activities, 40 k orders; period 2025, Asia/Shanghai, CNY, en), and
the data-quality row counts, as computed by the code *before* that work (commit
93f9276). When a change to a figure is intended, rewrite it with
``python tests/test_bench_kpis.py --write`` and say why in the commit.

Floats are compared to 1e-9 relative: at full size the love score can move by 1e-9
between two identical runs (a multi-threaded sum, see bench/README.md); everything else
is compared exactly.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PINNED = Path(__file__).parent / "data" / "bench_kpis.json"
SCALE, SEED = 0.02, 17

CONFIG = """\
[report]
timezone = "Asia/Shanghai"
currency = "CNY"
period_start = 2025-01-01
period_end = 2025-12-31
language = "en"

[[sources]]
type = "files"
members = "data/members.parquet"
activities = "data/activities.parquet"
orders = "data/orders.parquet"
costs = "data/costs.parquet"
campaigns = "data/campaigns.parquet"
groups = "data/groups.parquet"
"""


def _generate(out: Path) -> None:
    """bench/generate.py, loaded from its path (a script of the repository, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    generate.generate(out, SCALE, SEED)


def bench_kpis(work: Path) -> dict:
    """``{"metrics": {metric: {kpi: [value, previous, low, high]}}, "tables": {...}}``."""
    from click.testing import CliRunner

    from core.cli import main

    (work / "data").mkdir(parents=True, exist_ok=True)
    _generate(work / "data")
    (work / "report.toml").write_text(CONFIG, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["-q", "report", str(work / "report.toml"), "--out", str(work / "out"), "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((work / "out" / "report.json").read_text(encoding="utf-8"))
    metrics = {
        name: {
            key: [k["value"], k["previous"], k.get("low"), k.get("high")]
            for key, k in section["kpis"].items()
        }
        for name, section in doc["metrics"].items()
    }
    return {"metrics": metrics, "tables": doc["data_quality"]["tables"]}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def test_bench_kpis_are_unchanged(tmp_path):
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    got = bench_kpis(tmp_path)
    old, new = pinned["metrics"], got["metrics"]
    changed = [
        f"{name}.{key}: {old[name].get(key)} → {new.get(name, {}).get(key)}"
        for name in old
        for key in set(old[name]) | set(new.get(name, {}))
        if not _same(old[name].get(key), new.get(name, {}).get(key))
    ]
    if not _same(pinned["tables"], got["tables"]):
        changed.append(f"data_quality.tables: {pinned['tables']} → {got['tables']}")
    assert not changed, (
        "bench KPIs [value, previous, low, high] changed (if intended: python "
        "tests/test_bench_kpis.py --write):\n" + "\n".join(sorted(changed))
    )


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    with tempfile.TemporaryDirectory() as tmp:
        kpis = bench_kpis(Path(tmp))
    lines = ['{"tables": ' + json.dumps(kpis["tables"]) + ', "metrics": {']
    for m, (name, section) in enumerate(kpis["metrics"].items()):
        rows = [f"  {json.dumps(key)}: {json.dumps(v)}" for key, v in section.items()]
        end = "}" if m == len(kpis["metrics"]) - 1 else "},"
        lines += [f" {json.dumps(name)}: {{", ",\n".join(rows), " " + end]
    PINNED.write_text("\n".join(lines) + "\n}}\n", encoding="utf-8")
    print(f"wrote {PINNED}")
