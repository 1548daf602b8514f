"""The settings appendix: the settings that shape the numbers, as (key, value) rows."""

from __future__ import annotations

import json
from typing import Any

PRESENTATION_SETTINGS = {"branding", "output"}
SECRET_WORDS = ("salt", "secret", "token", "password", "api_key", "apikey")


def settings_rows(settings: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Dotted keys and their text, sorted; presentation and output settings left out,
    empty values skipped and anything that looks like a secret masked."""
    rows: list[tuple[str, str]] = []
    shaping = {k: v for k, v in (settings or {}).items() if k not in PRESENTATION_SETTINGS}
    _flatten(shaping, "", rows)
    return rows


def _flatten(value: Any, prefix: str, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(value[k], f"{prefix}.{k}" if prefix else str(k), rows)
        return
    if value is None or value == "" or value == [] or value == {}:
        return
    if any(w in prefix.lower() for w in SECRET_WORDS):
        rows.append((prefix, "••••••"))
        return
    if isinstance(value, list | tuple):
        text = ", ".join(
            json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in value
        )
    else:
        text = str(value)
    rows.append((prefix, text))
