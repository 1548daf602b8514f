"""The installed program's allocator options (core.allocator, issue 17)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core import allocator

ROOT = Path(__file__).resolve().parents[1]


def test_one_arena_per_four_cpus_at_least_one():
    assert allocator.options(1).startswith("narenas:1,")
    assert allocator.options(2).startswith("narenas:1,")
    assert allocator.options(7).startswith("narenas:1,")
    assert allocator.options(8).startswith("narenas:2,")
    assert allocator.options(64).startswith("narenas:16,")
    assert "dirty_decay_ms:2000" in allocator.options(2)
    assert "muzzy_decay_ms:2000" in allocator.options(2)
    assert allocator.options(2).endswith(",oversize_threshold:0")


def test_set_before_polars_loads(monkeypatch):
    monkeypatch.delitem(sys.modules, "polars")
    env: dict[str, str] = {}
    assert allocator.tune(env) == allocator.options()
    assert env == {allocator.VARIABLE: allocator.options()}


def test_the_users_own_setting_wins(monkeypatch):
    monkeypatch.delitem(sys.modules, "polars")
    env = {allocator.VARIABLE: "narenas:8"}
    assert allocator.tune(env) is None
    assert env == {allocator.VARIABLE: "narenas:8"}


def test_nothing_once_polars_is_loaded():
    import polars  # noqa: F401

    env: dict[str, str] = {}
    assert allocator.tune(env) is None
    assert env == {}


def test_polars_takes_the_options_and_jemalloc_accepts_them():
    """In a fresh process, as the installed program does it: Polars appends the options
    to its own (later ones win) and jemalloc reports no invalid option on stderr."""
    code = (
        "import os\n"
        "from core.allocator import VARIABLE, tune\n"
        "os.environ.pop(VARIABLE, None)\n"
        "set_ = tune()\n"
        "import polars as pl\n"
        "pl.DataFrame({'a': list(range(100_000))}).sum()\n"
        "conf = os.environ[VARIABLE]\n"
        "assert conf.endswith(set_), conf\n"
        "print(conf)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "narenas:" in done.stdout
    assert "<jemalloc>" not in done.stderr
