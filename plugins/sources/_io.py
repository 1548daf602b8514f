"""Reading business files: encodings, headers by name, identifier hashes.

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

import atexit
import codecs
import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import polars as pl
import polars_hash  # noqa: F401  (registers the .chash expression namespace)

from communityroi import DataError

CHUNK = 1 << 20  # bytes per read while validating / transcoding
FALLBACK_ENCODING = "gb18030"  # superset of GBK and GB2312
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")

# Order statuses as Chinese shop back-ends and Shopify write them → canonical status.
ORDER_STATUS_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        ("paid", "已支付", "已付款", "支付成功", "交易成功", "已完成", "已发货", "已收货"),
        "paid",
    ),
    **dict.fromkeys(("refunded", "已退款", "退款成功", "全额退款", "已全额退款"), "refunded"),
    **dict.fromkeys(("pending", "待支付", "待付款", "未支付", "未付款", "支付中"), "pending"),
    **dict.fromkeys(
        ("cancelled", "canceled", "已取消", "已关闭", "交易关闭", "取消", "作废"), "cancelled"
    ),
}

_temp_copies: dict[tuple[str, int, int], Path] = {}


@atexit.register
def _remove_temp_copies() -> None:
    for p in _temp_copies.values():
        with contextlib.suppress(OSError):
            p.unlink()
    _temp_copies.clear()


def _line_of(path: Path, offset: int) -> int:
    """1-based line number of byte ``offset`` (counts newlines before it)."""
    line, done = 1, 0
    with path.open("rb") as fh:
        while done < offset:
            block = fh.read(min(CHUNK, offset - done))
            if not block:
                break
            line += block.count(b"\n")
            done += len(block)
    return line


def _decode_all(path: Path, encoding: str, sink=None) -> int | None:
    """Decode ``path`` chunk by chunk; write UTF-8 to ``sink`` if given.

    Returns None when the whole file decodes, else the byte offset of the first bad byte.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    pos = 0  # file offset of the first byte of ``block``
    with path.open("rb") as fh:
        while True:
            block = fh.read(CHUNK)
            final = not block
            carried = len(decoder.getstate()[0])  # bytes held over from the last block
            try:
                text = decoder.decode(block, final)
            except UnicodeDecodeError as exc:
                return max(pos - carried + exc.start, 0)
            if sink is not None and text:
                sink.write(text.encode("utf-8"))
            if final:
                return None
            pos += len(block)


def detect_encoding(path: str | Path) -> str:
    """``utf-8``, ``utf-8-sig``, ``utf-16`` or ``gb18030`` — whichever decodes the whole file.

    Raises DataError naming the file and line when none does.
    """
    path = Path(path)
    if bom := _bom(path):
        return bom
    bad = _decode_all(path, "utf-8")
    if bad is None:
        return "utf-8"
    if _decode_all(path, FALLBACK_ENCODING) is None:
        return FALLBACK_ENCODING
    raise DataError(
        f"{path}: line {_line_of(path, bad)}: the file is neither UTF-8 nor GB18030/GBK; "
        f"save it as 'CSV UTF-8' or set encoding = \"…\" for this source"
    )


def _bom(path: Path) -> str | None:
    with path.open("rb") as fh:
        head = fh.read(4)
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def utf8_copy(path: str | Path, encoding: str | None = None) -> Path:
    """A UTF-8 path with the same content: ``path`` itself when it already is UTF-8,
    else a temporary transcoded copy (cached per file, size and mtime).

    Without ``encoding``: a BOM decides; else the file is validated as UTF-8 and, if that
    fails, transcoded from GB18030 (one decoding pass each). DataError names the line of
    the first byte that decodes in neither.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; check the path in the source's settings")
    enc = (encoding or _bom(path) or "utf-8").lower().replace("_", "-")
    if enc in ("utf-8", "utf8", "utf-8-sig"):
        bad = _decode_all(path, "utf-8-sig")
        if bad is None:
            return path
        if encoding is not None or _bom(path):
            raise DataError(
                f"{path}: line {_line_of(path, bad)}: not valid UTF-8; save it as 'CSV UTF-8' "
                f"or set the right encoding for this source"
            )
        enc, guessed = FALLBACK_ENCODING, bad
    else:
        guessed = None
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _temp_copies and _temp_copies[key].exists():
        return _temp_copies[key]
    fd, tmp = tempfile.mkstemp(prefix="communityroi-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as sink:
            try:
                bad = _decode_all(path, enc, sink)
            except LookupError:
                raise DataError(
                    f"{path}: unknown encoding '{encoding}'; use utf-8 or gb18030"
                ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if bad is not None:
        Path(tmp).unlink(missing_ok=True)
        what = "neither UTF-8 nor GB18030/GBK" if guessed is not None else f"not valid {enc}"
        if guessed is not None:  # show where the encoding that read further stopped
            bad = max(bad, guessed)
        raise DataError(
            f"{path}: line {_line_of(path, bad)}: the file is {what}; save it as "
            f"'CSV UTF-8' or set the right encoding = \"…\" for this source"
        )
    _temp_copies[key] = Path(tmp)
    return Path(tmp)


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


# -- expressions --------------------------------------------------------------------------


def blank_to_null(expr: str | pl.Expr) -> pl.Expr:
    """Trimmed text, with empty strings as null."""
    e = (pl.col(expr) if isinstance(expr, str) else expr).cast(pl.String).str.strip_chars()
    return pl.when(e != "").then(e)


def normal_email(expr: str | pl.Expr) -> pl.Expr:
    """Trimmed, lower-cased e-mail; null when it has no ``@``."""
    e = blank_to_null(expr).str.to_lowercase()
    return pl.when(e.str.contains("@", literal=True)).then(e)


def email_hash(expr: str | pl.Expr) -> pl.Expr:
    """SHA-256 hex of the trimmed, lower-cased e-mail (null stays null).

    >>> pl.select(email_hash(pl.lit(" A@B.com "))).item()[:12]
    'fb98d44ad750'
    """
    return normal_email(expr).chash.sha2_256()


def phone_e164(expr: str | pl.Expr, default_country_code: str | None = None) -> pl.Expr:
    """Phone number in E.164 (``+8613800138000``), or null when it cannot be.

    ``+…`` and ``00…`` numbers keep their country code; other numbers get
    ``default_country_code`` (e.g. ``"86"``) when given, else null. 8–15 digits.
    """
    raw = blank_to_null(expr).str.replace_all(r"[\s\-().]", "").str.strip_prefix("'")
    digits = raw.str.replace_all(r"\D", "")
    intl = (
        pl.when(raw.str.starts_with("+"))
        .then(digits)
        .when(raw.str.starts_with("00"))
        .then(digits.str.slice(2))
    )
    if default_country_code:
        cc = default_country_code.lstrip("+")
        intl = intl.otherwise(pl.lit(cc) + digits.str.strip_chars_start("0"))
    ok = intl.str.contains(r"^[1-9]\d{7,14}$")
    return pl.when(ok & raw.str.contains(r"^\+?\d+$")).then(intl.str.replace("^", "+"))


def phone_hash(expr: str | pl.Expr, default_country_code: str | None = None) -> pl.Expr:
    """SHA-256 hex of the E.164 phone number (null when it is not one)."""
    return phone_e164(expr, default_country_code).chash.sha2_256()


def canonical_status(expr: str | pl.Expr, extra: Mapping[str, str] | None = None) -> pl.Expr:
    """Map order statuses (``已支付``, ``已退款``, ``Paid`` …) to paid/refunded/pending/cancelled.

    Unknown values pass through lower-cased, so the boundary check names them.
    """
    table = {k.casefold(): v for k, v in {**ORDER_STATUS_SYNONYMS, **(extra or {})}.items()}
    e = blank_to_null(expr).str.to_lowercase()
    return e.replace(table)


# Decimal commas: "1.234,50" / "12,5" can only be European; "1,234.50" / "59.90" only
# English; "1,299" or "1.234" (three digits after one kind of mark) could be either.
_NUMBER_JUNK = r"[¥￥$€£\s\u00a0]|CNY|RMB|USD|EUR|元"
_COMMA_DECIMAL = r"^[-+]?(\d{1,3}(\.\d{3})+,\d+|\d+,(\d{1,2}|\d{4,})|\d{1,3}(\.\d{3}){2,})$"
_POINT_DECIMAL = r"^[-+]?(\d{1,3}(,\d{3})+\.\d+|\d+\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3}){2,})$"
_EITHER = r"^[-+]?\d{1,3}[.,]\d{3}$"
MIXED_DECIMALS = (
    " (this file writes numbers both as 1.234,50 and as 1,234.50, so this one is "
    "ambiguous; write every number one way)"
)


def decimal_commas(frame: pl.LazyFrame, columns: Iterable[str]) -> pl.LazyFrame:
    """Rewrite decimal-comma numbers (``1.234,50`` → ``1234.50``) in the text ``columns``.

    The style is decided for the whole file, over all ``columns`` (lazily, no extra
    read): values that can only be decimal-comma and none that can only be decimal-point
    → every number is read the European way (``1.234`` is 1234); both kinds → the
    decimal-comma and ambiguous values get :data:`MIXED_DECIMALS` appended, so the
    boundary refuses them with their row. Otherwise nothing changes (``1,299`` = 1299).

    >>> f = pl.LazyFrame({"amount": ["1.234,50", "12,5", "1.234", "7"]})
    >>> decimal_commas(f, ["amount"]).collect()["amount"].to_list()
    ['1234.50', '12.5', '1234', '7']
    """
    schema = frame.collect_schema()
    cols = [c for c in columns if c in schema and schema[c] == pl.String]
    if not cols:
        return frame
    clean = {c: pl.col(c).str.replace_all(_NUMBER_JUNK, "") for c in cols}
    n_comma = pl.sum_horizontal(clean[c].str.contains(_COMMA_DECIMAL).sum() for c in cols)
    n_point = pl.sum_horizontal(clean[c].str.contains(_POINT_DECIMAL).sum() for c in cols)
    european = (n_comma > 0) & (n_point == 0)
    mixed = (n_comma > 0) & (n_point > 0)
    out = []
    for c in cols:
        v = clean[c]
        affected = v.str.contains(_COMMA_DECIMAL) | v.str.contains(_EITHER)
        normal = v.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
        out.append(
            pl.when(european & affected)
            .then(normal)
            .when(mixed & affected)
            .then(pl.col(c) + pl.lit(MIXED_DECIMALS))
            .otherwise(pl.col(c))
            .alias(c)
        )
    return frame.with_columns(out)


EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's (1900 system) serial dates


def excel_serial_dates(expr: str | pl.Expr) -> pl.Expr:
    """Text that is an Excel serial date (``45567.5``: days since 1899-12-30, 20000–80000,
    i.e. 1954–2119) as ``2024-10-02 12:00:00``; other text passes unchanged.

    >>> pl.select(excel_serial_dates(pl.lit("45567.5"))).item()
    '2024-10-02 12:00:00'
    """
    e = pl.col(expr) if isinstance(expr, str) else expr
    text = e.cast(pl.String).str.strip_chars()
    days = text.cast(pl.Float64, strict=False)
    serial = text.str.contains(r"^\d{5}(\.\d+)?$") & days.is_between(20_000, 80_000)
    when = pl.lit(EXCEL_EPOCH) + pl.duration(
        milliseconds=(days * 86_400_000).round().cast(pl.Int64)
    )
    return pl.when(serial).then(when.dt.strftime("%Y-%m-%d %H:%M:%S")).otherwise(text)


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
