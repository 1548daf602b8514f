"""Reading business files: encodings, headers by name, identifier hashes.

The encoding step lives in ``_encoding.py`` and the value expressions (hashes, statuses,
decimal commas, Excel dates) in ``_values.py``; both are re-exported here, so sources
import the whole reading API from this module.

Chinese spreadsheet exports come as UTF-8, UTF-8 with a BOM, or GB18030/GBK (often with CRLF
line ends), and nobody says which. :func:`scan_csv` finds out on its own and always returns
a streaming ``pl.LazyFrame`` of text columns:

- UTF-8 (with or without BOM) is scanned in place by ``pl.scan_csv`` (Polars drops the BOM
  and accepts CRLF and quoted line breaks);
- anything else is validated as UTF-8 first; if that fails the file is decoded as GB18030
  (a superset of GBK and GB2312) and written once, in 1 MiB chunks, to a temporary UTF-8
  copy that the scan then reads (the copy is removed when the process exits). Measured with
  ``python bench/io_encodings.py`` on 2 cores: see docs/connectors-business.md;
- a file that is neither stops with a one-line :class:`DataError` naming the file and the
  line of the first undecodable byte.

Columns are found by **header name, never by position**: ``columns_map`` maps canonical
names to the file's headers (``{"order_id": "订单号"}``). Headers are compared after
trimming spaces, then case-insensitively. A mapped header the file lacks is a DataError
listing the headers it has.

Identifier hashes (``email_hash``, ``phone_hash``) follow the canonical schema: SHA-256 hex
of the trimmed, lower-cased e-mail, and of the phone number in E.164 form
(``+8613800138000``); computed natively with the ``polars-hash`` plugin (no Python per row).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

from communityroi import DataError
from plugins.sources._encoding import FALLBACK_ENCODING, detect_encoding, utf8_copy
from plugins.sources._values import (
    EXCEL_EPOCH,
    MIXED_DECIMALS,
    ORDER_STATUS_SYNONYMS,
    blank_to_null,
    canonical_status,
    decimal_commas,
    email_hash,
    excel_serial_dates,
    normal_email,
    phone_e164,
    phone_hash,
)

__all__ = [  # the reading API other sources import from here (docs/connectors-business.md)
    "EXCEL_EPOCH", "EXCEL_SUFFIXES", "FALLBACK_ENCODING", "MIXED_DECIMALS",
    "ORDER_STATUS_SYNONYMS", "blank_to_null", "canonical_status", "check_ndjson",
    "check_rows", "check_unique_headers", "decimal_commas", "detect_encoding", "email_hash",
    "excel_serial_dates", "header_names", "map_columns", "normal_email", "phone_e164",
    "phone_hash", "read_table", "scan_csv", "sniff_separator", "utf8_copy",
]  # fmt: skip

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def _resolve_headers(
    have: Iterable[str], wanted: Mapping[str, str | Iterable[str]]
) -> dict[str, str | None]:
    """For each canonical name, the file header it maps to (exact, then case-insensitive)."""
    names = list(have)
    folded: dict[str, list[str]] = {}
    for h in names:
        folded.setdefault(h.strip().casefold(), []).append(h)
    out: dict[str, str | None] = {}
    for canonical, candidates in wanted.items():
        cands = [candidates] if isinstance(candidates, str) else list(candidates)
        hit = next((c for c in cands if c in names), None)
        if hit is None:
            for c in cands:
                match = folded.get(c.strip().casefold(), [])
                if len(match) == 1:
                    hit = match[0]
                    break
        out[canonical] = hit
    return out


def map_columns(
    frame: pl.LazyFrame,
    columns_map: Mapping[str, str] | None,
    *,
    origin: str,
    defaults: Mapping[str, Iterable[str]] | None = None,
    required: Iterable[str] = (),
) -> pl.LazyFrame:
    """Rename the file's headers to canonical names, by name.

    ``columns_map`` (from the user, canonical → header) must all exist; ``defaults``
    (canonical → candidate headers, tried in order) fill the rest when present. Columns
    not mapped are kept under their own (trimmed) names unless a mapped one takes the name.
    ``required`` canonical names must end up present. Raises DataError otherwise.
    """
    have = frame.collect_schema().names()
    stripped = {h: h.strip().lstrip("\ufeff") for h in have}
    frame = frame.rename({h: s for h, s in stripped.items() if h != s})
    have = list(stripped.values())
    user = dict(columns_map or {})
    found = _resolve_headers(have, user)
    missing = [f'{k} = "{user[k]}"' for k, v in found.items() if v is None]
    if missing:
        raise DataError(
            f"{origin}: column {missing[0]} is not in the file's header (found: "
            f"{', '.join(have) or 'none'}); fix the name in 'columns'"
        )
    rest = {k: v for k, v in (defaults or {}).items() if k not in user}
    for k, v in _resolve_headers(have, rest).items():
        if v is not None and v not in found.values():
            found[k] = v
    renames = {src: dst for dst, src in found.items() if src is not None}
    # a mapped column takes its canonical name; an unmapped column already named so goes
    clash = [h for h in have if h in renames.values() and h not in renames]
    frame = frame.drop(clash).rename({s: d for s, d in renames.items() if s != d})
    dup_targets = {d for d in renames.values() if list(renames.values()).count(d) > 1}
    if dup_targets:
        raise DataError(f"{origin}: two headers map to {sorted(dup_targets)[0]}; map one only")
    present = set(frame.collect_schema().names())
    need = [r for r in required if r not in present]
    if need:
        raise DataError(
            f"{origin}: required column {need[0]} not found (found: {', '.join(have) or 'none'})"
            f'; add it or map it with columns = {{ {need[0]} = "<your header>" }}'
        )
    return frame


SEPARATORS = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 16  # bytes read to find the header line


def _head_line(source: Path) -> str:
    """The first line of a UTF-8 file (quoted line breaks kept), without the BOM."""
    with source.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    text = head.decode("utf-8-sig", errors="ignore")
    line, quoted = [], False
    for ch in text:  # one header line, not rows: quotes may hold a separator or a newline
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            break
        line.append(ch)
    return "".join(line)


def sniff_separator(path: str | Path, encoding: str | None = None) -> str:
    """``,``, ``;``, tab or ``|``: whichever occurs most in the header line (outside
    quotes); ``,`` when none does. European spreadsheet programs write ``;``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "o.csv"
    >>> _ = p.write_text("order_id;amount\\nA1;1.234,50\\n")
    >>> sniff_separator(p)
    ';'
    """
    line = _head_line(utf8_copy(path, encoding))
    outside = "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])  # ties keep the earlier (",")
    return best if counts[best] else ","


def header_names(
    path: str | Path, separator: str | None = None, encoding: str | None = None
) -> list[str]:
    """The header cells of a CSV as written (separator sniffed when not given)."""
    source = utf8_copy(path, encoding)
    sep = separator or sniff_separator(source)
    row = next(csv.reader(io.StringIO(_head_line(source)), delimiter=sep), [])
    return [h.strip() for h in row]


def check_unique_headers(headers: Iterable[str], origin: str) -> None:
    """DataError when a header (trimmed, any case) appears twice: a second ``amount``
    would be renamed silently and one of the two read as the other."""
    seen: dict[str, int] = {}
    for i, h in enumerate(headers, 1):
        key = str(h).strip().lstrip("\ufeff").casefold()
        if not key:
            continue  # blank headers (trailing empty columns) are not read
        if key in seen:
            raise DataError(
                f"{origin}: header '{str(h).strip()}' appears twice (columns {seen[key]} "
                f"and {i}); rename one"
            )
        seen[key] = i


def scan_csv(
    path: str | Path,
    columns_map: Mapping[str, str] | None = None,
    *,
    defaults: Mapping[str, Iterable[str]] | None = None,
    required: Iterable[str] = (),
    encoding: str | None = None,
    separator: str | None = ",",
    origin: str | None = None,
) -> pl.LazyFrame:
    """Stream a CSV of any of the usual encodings as text columns with canonical names.

    ``separator=None`` sniffs it from the header line (``,``, ``;``, tab or ``|``). A
    header that appears twice is a DataError naming both columns.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "o.csv"
    >>> _ = p.write_bytes("订单号,实付金额\\r\\nA1,\\"¥1,299.00\\"\\r\\n".encode("gb18030"))
    >>> scan_csv(p, {"order_id": "订单号", "amount": "实付金额"}).collect().row(0)
    ('A1', '¥1,299.00')
    """
    path = Path(path)
    origin = origin or str(path)
    source = utf8_copy(path, encoding)
    separator = separator or sniff_separator(source)
    check_unique_headers(header_names(source, separator), origin)
    try:
        frame = pl.scan_csv(
            source,
            separator=separator,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
        frame.collect_schema()
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{origin}: not a readable CSV file ({first})") from None
    return map_columns(frame, columns_map, origin=origin, defaults=defaults, required=required)


def read_table(
    path: str | Path,
    columns_map: Mapping[str, str] | None = None,
    *,
    defaults: Mapping[str, Iterable[str]] | None = None,
    required: Iterable[str] = (),
    encoding: str | None = None,
    sheet: str | None = None,
    origin: str | None = None,
) -> pl.LazyFrame:
    """CSV/TSV (streamed) or a spreadsheet sheet (read with fastexcel), as text columns."""
    path = Path(path)
    origin = origin or str(path)
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
        return scan_csv(
            path,
            columns_map,
            defaults=defaults,
            required=required,
            encoding=encoding,
            separator=sep,
            origin=origin,
        )
    if not path.is_file():
        raise DataError(f"{path}: no such file; check the path in the source's settings")
    try:
        df = pl.read_excel(path, sheet_name=sheet, infer_schema_length=0)
    except Exception as exc:  # fastexcel raises its own types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{origin}: cannot read the spreadsheet ({first})") from None
    return map_columns(df.lazy(), columns_map, origin=origin, defaults=defaults, required=required)


def check_ndjson(path: str | Path, origin: str | None = None) -> None:
    """DataError naming the first line of an NDJSON file that is not a JSON object.

    One native pass (the lines are scanned as text and matched as JSON by Polars; no
    Python per line). Blank lines are allowed.
    """
    path = Path(path)
    origin = origin or str(path)
    lines = pl.scan_csv(
        utf8_copy(path),
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        truncate_ragged_lines=True,
        new_columns=["line"],
    ).with_row_index("i", offset=1)
    text = pl.col("line").str.strip_chars().str.strip_chars_start("\ufeff")
    bad = (
        text.is_not_null()
        & (text != "")
        & (~text.str.starts_with("{") | pl.col("line").str.json_path_match("$").is_null())
    )
    hit = lines.filter(bad).select("i", text.str.slice(0, 40).alias("start")).head(1).collect()
    if hit.height:
        i, start = hit.row(0)
        raise DataError(
            f"{origin} line {i}: not a JSON object ('{start}…'); every line must be one "
            f"complete {{…}} record: fix or remove line {i}"
        )


def check_rows(
    frame: pl.LazyFrame,
    checks: Iterable[tuple],
    *,
    origin: str,
    row_base: int = 2,
    extra: Mapping[str, pl.Expr] | None = None,
) -> dict[str, object]:
    """Raise DataError for the earliest row where any check's condition holds.

    ``checks`` are ``(bad_row_condition, column, what_to_do)`` or, to quote the cell,
    ``(condition, column, what_to_do, value_expr)``. One pass over the columns involved;
    use it before filtering rows out, so the row numbers are the file's. ``extra``
    aggregations (over a ``__i`` row index) are computed in the same pass and returned.
    """
    checks = list(checks)
    exprs = [pl.col("__i").filter(c[0]).first().alias(f"c{k}") for k, c in enumerate(checks)]
    exprs += [c[3].filter(c[0]).first().alias(f"v{k}") for k, c in enumerate(checks) if len(c) > 3]
    exprs += [e.alias(f"x_{name}") for name, e in (extra or {}).items()]
    if not exprs:
        return {}
    got = frame.with_row_index("__i").select(exprs).collect().row(0, named=True)
    hits = [(got[f"c{k}"], k) for k in range(len(checks)) if got[f"c{k}"] is not None]
    if hits:
        i, k = min(hits)
        column, todo = checks[k][1], checks[k][2]
        value = f"'{got[f'v{k}']}': " if len(checks[k]) > 3 else ""
        raise DataError(f"{origin} row {i + row_base}, column {column}: {value}{todo}")
    return {name: got[f"x_{name}"] for name in extra or {}}
