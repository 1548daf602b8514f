"""Page-layout helpers of the report view: table column widths, how many rows a table
keeps on paper, anchors and CSS ``content`` values."""

from __future__ import annotations

import re
import unicodedata


def text_width(text: str) -> int:
    """Display width in Latin-letter units: CJK and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(headers: list[str], rows: list[list[str]]) -> list[float]:
    """Column widths in % for ``table-layout: fixed`` (fast in WeasyPrint, which otherwise
    lays out every cell twice to measure it): each column gets room for its widest cell
    (cells do not wrap numbers) and for its header on at most two lines."""
    need = []
    for j, head in enumerate(headers):
        cells = max((text_width(r[j]) for r in rows), default=0)
        words = max((text_width(w) for w in head.split()), default=0)
        need.append(max(cells, words, (text_width(head) + 1) // 2, 3) + 2)
    total = sum(need) or 1
    return [round(100 * n / total, 2) for n in need]


def print_cut(rows: int, print_rows: int | None) -> int | None:
    """How many rows a table keeps on paper: ``print_rows`` when it has more than one and a
    half times as many (a top-20 ranking prints its top 10), else all (None) — cutting a
    row or two from a short table would lose information and save no paper."""
    if print_rows is None or rows <= print_rows * 3 // 2:
        return None
    return print_rows


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def css_content(template: str) -> str:
    """A label with ``{page}``/``{pages}`` as a CSS ``content`` value (strings escaped)."""
    out = []
    for piece in re.split(r"(\{page\}|\{pages\})", template):
        if piece == "{page}":
            out.append("counter(page)")
        elif piece == "{pages}":
            out.append("counter(pages)")
        elif piece:
            out.append('"' + re.sub(r'(["\\\n])', lambda m: "\\" + m.group(1), piece) + '"')
    return " ".join(out)
