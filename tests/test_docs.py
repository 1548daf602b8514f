"""Meta-tests that keep docs/plugins.md honest: every hook is documented and exercised by a
test, the canonical schema reference equals core.schema.SCHEMA, every testing helper and
public name is mentioned.

When SCHEMA changes, rewrite the table with ``python tests/test_docs.py --write``.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plugins.md"
HOOKSPECS = ROOT / "core" / "hookspecs.py"
START, END = "<!-- schema:start -->", "<!-- schema:end -->"


def hook_names() -> list[str]:
    """Functions decorated with ``@hookspec`` in core/hookspecs.py."""
    tree = ast.parse(HOOKSPECS.read_text(encoding="utf-8"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(d, ast.Name) and d.id == "hookspec" for d in node.decorator_list)
    ]


def _type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return f"datetime ({dtype.time_zone})" if dtype.time_zone else "datetime"
    return {pl.String: "text", pl.Float64: "number", pl.Date: "date", pl.Boolean: "true/false"}.get(
        dtype.base_type(), str(dtype)
    )


def schema_markdown() -> str:
    """The schema reference, generated from SCHEMA."""
    sys.path.insert(0, str(ROOT))
    from core.schema import SCHEMA

    out: list[str] = []
    for table in SCHEMA.values():
        out += [f"#### `{table.name}`", "", table.doc]
        if table.key:
            out[-1] += f" Key: {', '.join(f'`{k}`' for k in table.key)}."
        out += ["", "| column | type | required | meaning |", "|---|---|---|---|"]
        for c in table.columns:
            meaning = c.doc.replace("|", "\\|")
            if c.allowed:
                meaning += f" One of: {', '.join(c.allowed)}."
            kind = "person key" if c.person_key else "label" if c.label else _type(c.dtype)
            out.append(f"| `{c.name}` | {kind} | {'yes' if c.required else ''} | {meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_hook_is_documented():
    text = doc_text()
    hooks = hook_names()
    assert len(hooks) >= 5
    for hook in hooks:
        assert re.search(rf"^### `{hook}\(\)`", text, re.M), f"{hook} has no heading"
        section = text.split(f"### `{hook}()`", 1)[1].split("\n### ", 1)[0]
        assert "Returns" in section and "```python" in section, f"{hook}: no return/example"


def test_every_hook_is_exercised_by_a_test():
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_docs.py"]
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in tests)
    for hook in hook_names():
        assert re.search(rf"\b{hook}\b", corpus), f"no test exercises {hook}"


def test_schema_reference_matches_schema():
    text = doc_text()
    assert START in text and END in text
    block = text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert block == schema_markdown(), "run: python tests/test_docs.py --write"


def test_testing_helpers_and_public_api_are_documented():
    import communityroi
    import communityroi.testing as testing
    import communityroi.views as views

    text = doc_text()
    helpers = [n for n in dir(testing) if not n.startswith("_") and callable(getattr(testing, n))]
    helpers = [
        n for n in helpers if getattr(getattr(testing, n), "__module__", "") == testing.__name__
    ]
    for name in helpers:
        assert f"`{name}" in text, f"communityroi.testing.{name} is not documented"
    for fixture in ("sample_data", "make_community", "strict_plugins", "communityroi_cli"):
        assert f"`{fixture}`" in text
    for name in communityroi.__all__:
        assert name in text, f"communityroi.{name} is not mentioned in docs/plugins.md"
    for name in views.__all__:
        assert f"`{name}" in text, f"communityroi.views.{name} is not documented"


def test_walkthrough_commands_are_the_ones_the_scaffold_test_runs():
    text = doc_text()
    for command in (
        "communityroi new-plugin mymetric --kind metric",
        "pip install -e .",
        "python -m pytest",
        "communityroi demo --format pdf,json",
        "communityroi plugins --json",
    ):
        assert command in text, command


def test_toml_examples_parse():
    """Every ```toml block of the README and docs/ loads (bare keys are ASCII only: a
    Chinese column name must be quoted)."""
    import tomllib

    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"```toml\n(.*?)```", text, re.S):
            line = text[: m.start()].count("\n") + 2
            try:
                tomllib.loads(m.group(1))
            except tomllib.TOMLDecodeError as e:
                raise AssertionError(f"{path.name}:{line}: {e}") from None


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        text = doc_text()
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        DOC.write_text(f"{head}{START}\n{schema_markdown()}{END}{tail}", encoding="utf-8")
        print(f"rewrote the schema reference in {DOC}")
    else:
        print(schema_markdown())
