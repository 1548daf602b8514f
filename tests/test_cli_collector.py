"""A report pauses Python's cyclic collector (issue 17) and gives it back to in-process
callers; the installed program (one command per process) freezes the objects instead."""

from __future__ import annotations

import gc

from click.testing import CliRunner

import core.pipeline
from core.cli import Ctx, main


def _demo(tmp_path, *extra):
    return CliRunner().invoke(
        main, ["-q", "demo", "--format", "json", "--out", str(tmp_path), *extra],
        catch_exceptions=False,
    )  # fmt: skip


def _spy_run(monkeypatch) -> list[bool]:
    seen: list[bool] = []
    real = core.pipeline.run

    def run(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(core.pipeline, "run", run)
    return seen


def test_the_report_runs_without_the_collector_and_gives_it_back(tmp_path, monkeypatch):
    seen = _spy_run(monkeypatch)
    assert gc.isenabled()
    assert _demo(tmp_path).exit_code == 0
    assert seen == [False] and gc.isenabled()
    # a run that fails (here: at rendering, an unknown format) gives it back too
    result = _demo(tmp_path, "--format", "nope")
    assert result.exit_code != 0 and "unknown format" in result.output
    assert seen == [False, False] and gc.isenabled()


def test_the_installed_program_freezes_instead(tmp_path, monkeypatch):
    frozen: list[bool] = []
    monkeypatch.setattr(Ctx, "one_shot", True)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    try:
        assert _demo(tmp_path).exit_code == 0
        assert frozen == [True] and not gc.isenabled()
    finally:
        gc.enable()
