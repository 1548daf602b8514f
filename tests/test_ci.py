"""CI proves the README's set-up on a fresh machine (issue 13 §1): `.ci/run` makes a
throwaway venv that cannot see this machine's packages, installs with `./install.sh` into
it, and then runs the README's test command exactly. Read, not run: running it takes a
full install and the whole suite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(script: str) -> list[str]:
    """The script's command lines, comments and blank lines left out."""
    lines = (line.split(" #")[0].strip() for line in script.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set-up", 1)[1]
    block = re.search(r"```bash\n(.*?)```", setup, re.S).group(1)
    (command,) = [line for line in block.splitlines() if "pytest" in line]
    return command.strip()


def test_ci_runs_install_sh_in_a_fresh_venv_then_the_readme_test_command():
    run = ROOT / ".ci" / "run"
    commands = _commands(run.read_text(encoding="utf-8"))
    venv = next(i for i, c in enumerate(commands) if re.search(r"\bpython3 -m venv\b", c))
    assert "--system-site-packages" not in commands[venv]  # nothing installed here leaks in
    activate = next(i for i, c in enumerate(commands) if "/venv/bin:$PATH" in c)
    install = commands.index("./install.sh")
    tests = commands.index(_readme_test_command())  # exactly the README's command
    assert venv < activate < install < tests
    assert tests == len(commands) - 1  # its exit status is the script's
    assert commands[0] == "set -euo pipefail"  # a failing install step fails CI
    assert run.stat().st_mode & 0o111, ".ci/run must be executable"
    install_sh = (ROOT / "install.sh").read_text(encoding="utf-8")
    assert '-e ".[dev,sql,peers,dask]"' in install_sh  # the extras the tests import
