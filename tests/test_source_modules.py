"""The source modules stay small (issue 19: at most 400 lines each, split by concern), and
the shared chat fragments do what their examples say."""

from __future__ import annotations

import doctest
from pathlib import Path

from plugins.sources import _chat, _filler, _values

SOURCES = Path(__file__).resolve().parents[1] / "plugins" / "sources"
MAX_LINES = 400


def test_every_source_module_is_at_most_400_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in SOURCES.glob("*.py")}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_shared_fragments_match_their_examples():
    for module in (_chat, _values, _filler):  # _filler: emoji-only, [强], punctuation
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted and not result.failed, module.__name__


def test_chat_sources_share_the_helper():
    for name in ("slack", "discord", "telegram", "_discourse_build"):
        text = (SOURCES / f"{name}.py").read_text(encoding="utf-8")
        assert "from plugins.sources._chat import" in text, name
        assert 'pl.Datetime("us", "UTC")' not in text, f"{name}: use _chat.UTC"
