"""Which encoding a business file is in, and a UTF-8 copy when it is not UTF-8.

Chinese spreadsheet exports come as UTF-8, UTF-8 with a BOM, or GB18030/GBK, and nobody
says which. A BOM decides; otherwise the file is validated as UTF-8 in ``CHUNK``-sized
reads; if that fails it is decoded as GB18030 (a superset of GBK and GB2312) and written
once to a temporary UTF-8 copy (removed when the process exits). A file that is neither
stops with a one-line DataError naming the line of the first undecodable byte.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import os
import tempfile
from pathlib import Path

from communityroi import DataError

CHUNK = 1 << 20  # bytes per read while validating / transcoding
FALLBACK_ENCODING = "gb18030"  # superset of GBK and GB2312
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

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
