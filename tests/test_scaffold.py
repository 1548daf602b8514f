"""``communityroi new-plugin``: names, refusals, the generated files, and — the issue's
"done" — from an empty folder to a new metric's section in the PDF report, by running
the commands docs/plugins.md gives."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from editable_install import installed
from pypdf import PdfReader

from core import scaffold
from core.cli import main
from core.errors import ConfigError

NAMES_TAKEN = {"roi", "html", "files"}


@pytest.mark.parametrize("name", ["nps", "weimiquan", "content_mix", "m2"])
def test_valid_names(name):
    scaffold.check_name(name, NAMES_TAKEN)


@pytest.mark.parametrize(
    "name, why",
    [
        ("NPS", "not a valid plugin name"),
        ("my-metric", "not a valid plugin name"),
        ("2fast", "not a valid plugin name"),
        ("x", "not a valid plugin name"),
        ("class", "not a valid plugin name"),
        ("a__b", "not a valid plugin name"),
        ("a" * 41, "not a valid plugin name"),
        ("roi", "already used by an installed plugin"),
    ],
)
def test_invalid_names_are_refused(name, why):
    with pytest.raises(ConfigError, match=why):
        scaffold.check_name(name, NAMES_TAKEN)


def test_cli_refuses_a_taken_name_and_a_non_empty_folder(tmp_path):
    runner = CliRunner()
    taken = runner.invoke(main, ["new-plugin", "roi", "--dir", str(tmp_path / "a")])
    assert taken.exit_code == 2 and "'roi' is already used" in taken.stderr
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    busy = runner.invoke(main, ["new-plugin", "keepme", "--dir", str(tmp_path / "b")])
    assert busy.exit_code == 2 and "already exists and is not empty" in busy.stderr
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["keep.txt"]
    bad = runner.invoke(main, ["new-plugin", "x", "--kind", "exporter"])
    assert bad.exit_code == 2 and "exporter" in bad.stderr


def test_cli_writes_into_an_empty_folder(tmp_path):
    result = CliRunner().invoke(
        main, ["new-plugin", "emptyok", "--kind", "source", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.*")) == [
        "README.md",
        "communityroi_emptyok.py",
        "conftest.py",
        "pyproject.toml",
        "tests/test_emptyok.py",
    ]
    assert "pip install -e ." in result.stdout


@pytest.mark.parametrize("kind", scaffold.KINDS)
def test_generated_files(kind):
    files = scaffold.render_files("content_mix", kind)
    project = tomllib.loads(files["pyproject.toml"])
    assert project["project"]["name"] == "communityroi-content-mix"
    assert project["project"]["entry-points"]["communityroi"] == {
        "content_mix": "communityroi_content_mix"
    }
    assert project["tool"]["setuptools"]["py-modules"] == ["communityroi_content_mix"]
    for path, text in files.items():
        if path.endswith(".py"):
            tree = ast.parse(text)  # valid Python
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert node.module.split(".")[0] not in ("core", "plugins"), path
    module = files["communityroi_content_mix.py"]
    assert f"def communityroi_{kind}s():" in module
    assert 'name="content_mix"' in module
    assert "communityroi.testing" in files["conftest.py"]
    assert "content_mix" in files["README.md"]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_generated_code_is_ruff_clean(tmp_path):
    for kind in scaffold.KINDS:
        scaffold.scaffold(f"my{kind}", kind, tmp_path / kind, taken=set())
    rules = ["--select", "E,F,W,I,B,UP,SIM,RUF", "--ignore", "RUF001,RUF002,RUF003"]
    for kind in scaffold.KINDS:  # each as its own project, like an author's checkout
        args = ["--isolated", "--no-cache", "--line-length", "100"]
        check = subprocess.run(
            ["ruff", "check", *args, *rules, "."], cwd=tmp_path / kind, capture_output=True
        )
        assert check.returncode == 0, check.stdout.decode()
        fmt = subprocess.run(
            ["ruff", "format", "--check", *args, "."], cwd=tmp_path / kind, capture_output=True
        )
        assert fmt.returncode == 0, fmt.stdout.decode()


# -- the walkthrough of docs/plugins.md, run ------------------------------------------


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("COMMUNITYROI_PLUGINS__DISABLE", None)
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("empty-folder")


@pytest.fixture(scope="module")
def scaffolded(workdir):
    """Steps 1–2: new-plugin for each kind, then one pip install -e of the three."""
    cmd = [sys.executable, "-m", "core.cli", "new-plugin"]
    folders = {}
    for kind in scaffold.KINDS:
        name = f"walk{kind}"
        run(*cmd, name, "--kind", kind, cwd=workdir)
        folders[f"communityroi-{name}"] = workdir / f"communityroi-{name}"
    with installed(folders):
        yield folders


@pytest.mark.parametrize("kind", scaffold.KINDS)
def test_each_generated_package_passes_its_own_test(scaffolded, kind):
    done = run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        cwd=scaffolded[f"communityroi-walk{kind}"],
    )  # fmt: skip
    assert " passed" in done.stdout and "warning" not in done.stdout.lower()


def _demo_active_members() -> int:
    """Independently: distinct members of the demo with a non-join/leave activity in
    October 2026 (Asia/Shanghai) — what the scaffolded metric counts."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import polars as pl

    from communityroi.testing import check_source
    from plugins.sources import demo

    (spec,) = demo.communityroi_sources()
    acts = check_source(spec, {}, timezone=demo.DEMO_TIMEZONE)["activities"]
    tz = ZoneInfo(demo.DEMO_TIMEZONE)
    utc = ZoneInfo("UTC")
    start = datetime(2026, 10, 1, tzinfo=tz).astimezone(utc)
    end = datetime(2026, 11, 1, tzinfo=tz).astimezone(utc)
    return acts.filter(
        (pl.col("at") >= start) & (pl.col("at") < end) & ~pl.col("kind").is_in(["join", "leave"])
    )["member_id"].n_unique()


def test_new_metric_reaches_the_pdf_report(scaffolded, workdir):
    """Step 3: the demo report, with the new metric, as PDF and JSON."""
    cli = [sys.executable, "-m", "core.cli"]
    listed = json.loads(run(*cli, "plugins", "--json", cwd=workdir).stdout)
    names = {(r["kind"], r["name"], r["distribution"]) for r in listed["plugins"]}
    assert ("metric", "walkmetric", "communityroi-walkmetric") in names
    assert ("source", "walksource", "communityroi-walksource") in names
    run(*cli, "demo", "--format", "pdf,json,walkrenderer", "--out", "out", cwd=workdir)
    doc = json.loads((workdir / "out" / "report.json").read_text(encoding="utf-8"))
    mine = doc["metrics"]["walkmetric"]
    assert mine["title"] == "互动构成 · walkmetric"
    assert mine["kpis"]["active_members"]["value"] == _demo_active_members()
    text = "".join(page.extract_text() for page in PdfReader(workdir / "out" / "report.pdf").pages)
    assert "互动构成 · walkmetric" in text
    summary = (workdir / "out" / "report.md").read_text(encoding="utf-8")
    assert summary.startswith("# ") and "## 互动构成 · walkmetric" in summary
