"""Plugin commands and a fast ``--help`` (issue 17): commands declared in the
``communityroi.commands`` entry-point group load one module each, the older
``communityroi_commands`` hook still works, and listing the commands imports neither
Polars, numpy nor pydantic(-settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from editable_install import installed

import plugins
from communityroi import hookimpl
from core import manager, plugin_commands
from core.cli import PluginCommands, main

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("polars", "numpy", "pydantic", "pydantic_settings")

# runs the CLI in this fresh interpreter, then prints which heavy packages it imported
_PROBE = textwrap.dedent(
    """
    import json, sys
    from core.cli import main
    try:
        main(sys.argv[1:], prog_name="communityroi")
    except SystemExit:
        pass
    print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)
    """
).format(HEAVY=HEAVY)


def _heavy_imports(*args: str, env: dict[str, str] | None = None) -> tuple[list[str], str]:
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("COMMUNITYROI_")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, **(env or {})},
        check=True,
    )
    return json.loads(done.stderr.splitlines()[-1]), done.stdout


@pytest.mark.parametrize(
    "args", [("--help",), ("report", "--help"), ("--version",), ("demo", "--help")]
)
def test_help_imports_no_heavy_package(args):
    """The command list comes from declarations and light modules: no Polars, numpy,
    pydantic or pydantic-settings (those took 0.4–0.9 s before the first line of help)."""
    heavy, out = _heavy_imports(*args)
    assert heavy == [], f"communityroi {' '.join(args)} imported {heavy}"
    assert out  # and it did print the help / version


def test_help_lists_the_declared_commands_and_the_disabled_one_is_gone():
    _heavy, out = _heavy_imports("--help")
    assert {"demo", "reveal", "report", "batch"} <= {ln.split()[0] for ln in _lines(out)}
    heavy, out = _heavy_imports(
        "--help", env={"COMMUNITYROI_PLUGINS__DISABLE": '["reveal"]'}
    )  # the variable is read as `communityroi report` reads it (pydantic-settings)
    names = {ln.split()[0] for ln in _lines(out)}
    assert "reveal" not in names and "demo" in names
    assert "polars" not in heavy and "numpy" not in heavy


def _lines(help_text: str) -> list[str]:
    return [ln for ln in help_text.split("Commands:")[1].splitlines() if ln.strip()]


def test_public_module_imports_lazily():
    """``import communityroi`` and ``hookimpl`` load no heavy package; every public name
    still resolves to the object it names."""
    code = (
        "import sys, communityroi\n"
        "from communityroi import hookimpl, DataError\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
        "from communityroi import *\n"
        "import core.specs, core.privacy\n"
        "assert MetricSpec is core.specs.MetricSpec and DEMO_KEY == core.privacy.DEMO_KEY\n"
        "assert set(communityroi.__all__) == set(communityroi._WHERE)\n"
    )
    assert _fresh(code) == "[]"
    import communityroi

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        communityroi.Nope  # noqa: B018


def _fresh(code: str) -> str:
    """What ``code`` prints in a fresh interpreter started in the repository root."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return done.stdout.strip()


def test_loading_the_builtin_plugins_imports_neither_scipy_nor_weasyprint():
    """scipy (≈ 0.3 s) and WeasyPrint (≈ 0.5 s) are imported where they are used, or by
    the plugins' prepare steps during the metrics' collect (core.prepare) — not when the
    plugins load."""
    code = (
        "import sys\n"
        "from core.pipeline import registry_for\n"
        "from core.settings import load_settings\n"
        "registry_for(load_settings(None))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'weasyprint'}))\n"
    )
    assert _fresh(code) == "[]"


def test_the_lazy_names_are_the_ones_type_checkers_see():
    """The ``if TYPE_CHECKING:`` imports of communityroi/__init__.py (what editors and
    type checkers read) name the same module for each name as ``_WHERE`` (what runs)."""
    import ast

    import communityroi

    tree = ast.parse((ROOT / "communityroi" / "__init__.py").read_text(encoding="utf-8"))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n.test)
    )
    seen = {a.name: node.module for node in block.body if isinstance(node, ast.ImportFrom)
            for a in node.names}  # fmt: skip
    assert seen == communityroi._WHERE


# -- declared commands (communityroi.commands entry points) ---------------------------


class Dist:
    def __init__(self, name: str):
        self.name, self.version = name, "1.0"


class FakeEP:
    """Enough of importlib.metadata.EntryPoint: name, value, group, dist, load()."""

    def __init__(self, name, value, group=plugin_commands.COMMAND_GROUP, dist=None):
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self):
        LOADED.append(self.name)
        raise ImportError(f"{self.name} was imported to ask the older hook")


LOADED: list[str] = []  # FakeEP names whose plugin was imported


@pytest.fixture
def commands_pkg(tmp_path, monkeypatch):
    """Importable modules: one with a command, one that fails to import, one without."""
    (tmp_path / "acme_cmds.py").write_text(
        textwrap.dedent(
            '''
            import click

            @click.command()
            def weekly():
                """This week's report for acme."""
                click.echo("weekly ran")

            not_a_command = 42
            '''
        )
    )
    (tmp_path / "acme_broken.py").write_text("raise ImportError('needs acme-sdk')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.fixture
def fresh_cli(monkeypatch):
    """``main`` with only the core's commands and nothing read yet; returns a function
    setting the declared (communityroi.commands) and plugin (communityroi) entry points."""
    core_only = {k: v for k, v in main.commands.items() if k not in plugins.COMMANDS}
    monkeypatch.setattr(main, "commands", core_only)
    monkeypatch.setattr(PluginCommands, "_scan", None)
    monkeypatch.setattr(PluginCommands, "_disabled", None)
    monkeypatch.setattr(PluginCommands, "_hooks_asked", False)
    monkeypatch.delenv("COMMUNITYROI_PLUGINS__DISABLE", raising=False)
    LOADED.clear()
    for m in ("acme_cmds", "acme_broken"):
        monkeypatch.delitem(sys.modules, m, raising=False)

    def set_entry_points(declared=(), hooked=()):
        monkeypatch.setattr(plugin_commands, "_entry_points", lambda: [*declared, *hooked])
        monkeypatch.setattr(manager, "_entry_points", lambda: list(hooked))

    return set_entry_points


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_declared_command_runs_importing_only_its_module(fresh_cli, commands_pkg):
    acme = Dist("acme-dist")
    fresh_cli(
        declared=[
            FakeEP("weekly", "acme_cmds:weekly", dist=acme),
            FakeEP("broken", "acme_broken:cmd", dist=Dist("broken-dist")),
        ],
        hooked=[FakeEP("acme", "acme_plugin", manager.ENTRY_POINT_GROUP, dist=acme)],
    )
    assert run("weekly").output == "weekly ran\n"
    assert "acme_cmds" in sys.modules and "acme_broken" not in sys.modules
    assert "reveal" not in main.commands  # nor any other command's module
    assert LOADED == []  # nor acme-dist's plugin, to ask the older hook


def test_the_list_shows_declared_commands_and_skips_a_broken_one_with_a_warning(
    fresh_cli, commands_pkg
):
    acme = Dist("acme-dist")
    fresh_cli(
        declared=[
            FakeEP("weekly", "acme_cmds:weekly", dist=acme),
            FakeEP("broken", "acme_broken:cmd", dist=Dist("broken-dist")),
            FakeEP("number", "acme_cmds:not_a_command", dist=acme),
            FakeEP("report", "acme_cmds:weekly", dist=acme),
        ],
        # acme-dist declares its commands: its plugin is not imported to ask the hook
        hooked=[FakeEP("acme", "acme_plugin", manager.ENTRY_POINT_GROUP, dist=acme)],
    )
    result = run("--help")
    assert result.exit_code == 0
    names = {ln.split()[0] for ln in _lines(result.stdout)}
    assert {"weekly", "demo", "reveal", "report"} <= names
    assert "broken" not in names and "number" not in names
    assert "This week's report for acme." in result.stdout
    warned = " ".join(result.stderr.split())
    assert "plugin 'broken' (broken-dist 1.0) failed to load command 'broken'" in warned
    assert "ImportError: needs acme-sdk" in warned
    assert "not a click command" in warned
    assert "declares command 'report', a core command" in warned
    assert main.commands["report"].callback.__module__ == "core.cli"
    assert LOADED == []  # acme-dist's plugin module was not imported for the list


@pytest.mark.parametrize("off", ["weekly", "acme", "acme-dist"])
def test_a_declared_command_is_disabled_by_its_name_plugin_or_distribution(
    fresh_cli, commands_pkg, monkeypatch, off
):
    acme = Dist("acme-dist")
    fresh_cli(
        declared=[FakeEP("weekly", "acme_cmds:weekly", dist=acme)],
        hooked=[FakeEP("acme", "acme_plugin", manager.ENTRY_POINT_GROUP, dist=acme)],
    )
    monkeypatch.setenv("COMMUNITYROI_PLUGINS__DISABLE", json.dumps([off]))
    assert run("weekly").exit_code == 2  # click: no such command
    assert "acme_cmds" not in sys.modules


def test_the_older_hook_still_adds_commands(fresh_cli):
    """A plugin using ``communityroi_commands(cli)`` (no declaration) is loaded and asked
    when its command is run or the list is shown."""

    class Old:
        @hookimpl
        def communityroi_commands(self, cli):
            @cli.command()
            def hello():
                """Hello from an older plugin."""
                click.echo("hello from a plugin")

    class OldEP(FakeEP):
        def load(self):
            return Old()

    fresh_cli(hooked=[OldEP("old", "old_plugin", manager.ENTRY_POINT_GROUP, Dist("old-dist"))])
    assert run("hello").output == "hello from a plugin\n"
    assert "Hello from an older plugin." in run("--help").stdout


def test_a_bad_plugins_variable_is_a_warning_for_the_list(fresh_cli, monkeypatch):
    """pydantic-settings reads list settings from the environment as JSON; the list of
    commands still shows, with the mistake named."""
    fresh_cli()
    monkeypatch.setenv("COMMUNITYROI_PLUGINS__DISABLE", "reveal")  # not JSON
    result = run("--help")
    assert result.exit_code == 0 and "reveal" in result.stdout
    assert "ignored plugins.disable from the environment" in " ".join(result.stderr.split())


def test_an_installed_distribution_declares_a_command(tmp_path):
    """Real metadata: a distribution whose pyproject.toml declares a command in the
    ``communityroi.commands`` group; ``--help`` lists it without importing Polars (the
    command imports it when it runs) and ``communityroi NAME`` runs it."""
    pkg = tmp_path / "communityroi-hello-cmd"
    pkg.mkdir()
    (pkg / "communityroi_hello_cmd.py").write_text(
        textwrap.dedent(
            '''
            import click

            from communityroi.cli import friendly


            @click.command()
            @click.argument("n", type=int)
            @friendly
            def hello(n):
                """Greets with a number of rows Polars counted."""
                import polars as pl

                click.echo(f"hello {pl.DataFrame({'x': range(n)}).height}")
            '''
        )
    )
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "communityroi-hello-cmd"
            version = "0.2.0"

            [project.entry-points."communityroi.commands"]
            hello-acme = "communityroi_hello_cmd:hello"

            [tool.setuptools]
            py-modules = ["communityroi_hello_cmd"]
            """
        )
    )
    with installed({"communityroi-hello-cmd": pkg}):
        heavy, out = _heavy_imports("--help")
        assert heavy == []
        assert "hello-acme  Greets with a number of rows Polars counted." in out
        heavy, out = _heavy_imports("hello-acme", "3")
        assert out == "hello 3\n" and "polars" in heavy
