"""Safe reading of JSON exports (a folder or a zip) for the chat-platform sources.

- :class:`Export` lists and reads the files of an export folder or zip one at a time, so a
  big export is never unpacked or held in memory whole. Zip entry names are validated when
  the zip is opened: an entry that would escape its folder (``../x``, ``/etc/x``, ``C:\\x``)
  is a :class:`DataError` naming the zip and the entry.
- :func:`read_records` reads a JSON list of objects into a typed Polars frame with an
  explicit schema (only the fields a source needs; others are skipped by the parser).
  When Polars refuses the file, :func:`explain` re-reads it with the standard library to
  say exactly what is wrong in one line: truncated or damaged JSON (line and column), a
  list expected, or a field of the wrong type (which record, which field).
- :func:`load_json` parses a whole document with the standard library, with the same errors.
- :func:`require` checks that required fields are present in every record.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from communityroi import DataError

_DRIVE = re.compile(r"^[A-Za-z]:")


class Export:
    """Files of an export, from a folder or a zip, named by their POSIX relative path."""

    def __init__(self, path: Path, label: str | None = None):
        self.path = path
        self.label = label or str(path)
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self.names = sorted(
                p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()
            )
        elif path.is_file() and zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            self.names = sorted(_checked_names(self._zip, self.label))
        elif path.exists():
            raise DataError(
                f"{self.label}: not a folder or a zip file; point 'path' at the "
                "unzipped export folder or at the export's .zip"
            )
        else:
            raise DataError(
                f"{self.label}: no such file or folder; check 'path' (relative "
                "paths start at the config's folder)"
            )

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def origin(self, name: str) -> str:
        """How errors name one file of the export."""
        if self._zip is not None:
            return f"{self.label}:{name}"
        return str(Path(self.label) / name)

    def read(self, name: str) -> bytes:
        try:
            if self._zip is not None:
                return self._zip.read(name)
            return (self.path / name).read_bytes()
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise DataError(
                f"{self.origin(name)}: cannot read it ({exc}); check the file or export again"
            ) from None

    def size(self, name: str) -> int:
        """Uncompressed size in bytes."""
        if self._zip is not None:
            return self._zip.getinfo(name).file_size
        return (self.path / name).stat().st_size

    def files(self, suffix: str = ".json") -> Iterator[str]:
        return (n for n in self.names if n.lower().endswith(suffix))


def response_files(given: str, path: Path, keep: Callable[[Path], bool], hint: str) -> list[Path]:
    """The saved API responses at ``path`` (the option's value ``given``, resolved): the
    file itself, or every file under the folder that ``keep`` accepts, sorted. A missing
    path or a folder without responses is a one-line :class:`DataError` (``hint``: what to
    save there)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(
            f"{given}: no such file or folder; check 'path' (relative paths "
            "start at the config's folder)"
        )
    files = sorted(p for p in path.rglob("*") if keep(p) and p.is_file())
    if not files:
        raise DataError(f"{given}: no .json files; save {hint} there")
    return files


def _checked_names(zf: zipfile.ZipFile, label: str) -> Iterator[str]:
    for info in zf.infolist():
        raw = info.filename
        name = raw.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or _DRIVE.match(name) or ".." in parts:
            raise DataError(
                f"{label}: zip entry '{raw}' escapes the export folder; this is "
                "not a genuine export — re-download it from the platform"
            )
        if not info.is_dir():
            yield name


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _expected(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Struct):
        return "an object"
    if isinstance(dtype, pl.List):
        return "a list"
    if dtype == pl.String:
        return "text"
    if dtype == pl.Boolean:
        return "true/false"
    return "a number"


def _mismatch(value: Any, dtype: pl.DataType, where: str) -> str | None:
    """The first place where ``value`` does not fit ``dtype`` (None if it fits)."""
    if value is None:
        return None
    ok = (
        (isinstance(dtype, pl.Struct) and isinstance(value, dict))
        or (isinstance(dtype, pl.List) and isinstance(value, list))
        or (dtype == pl.String and not isinstance(value, (dict, list)))
        or (dtype == pl.Boolean and isinstance(value, bool))
        or (dtype.is_numeric() and isinstance(value, (int, float)) and not isinstance(value, bool))
    )
    if not ok:
        return f"field '{where}' should be {_expected(dtype)} but is {_describe(value)}"
    if isinstance(dtype, pl.Struct):
        for f in dtype.fields:
            found = _mismatch(value.get(f.name), f.dtype, f"{where}.{f.name}")
            if found:
                return found
    if isinstance(dtype, pl.List):
        for i, item in enumerate(value):
            found = _mismatch(item, dtype.inner, f"{where}[{i}]")
            if found:
                return found
    return None


def _syntax(data: bytes, origin: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(f"{origin}: not UTF-8 text; export it again as JSON") from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{origin}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
            "the file is truncated or damaged — export it again"
        ) from None


def load_json(data: bytes, origin: str) -> Any:
    """Parse a whole JSON document; one-line DataError when it is not valid JSON."""
    return _syntax(data, origin)


def explain(data: bytes, schema: pl.Schema, origin: str, what: str, exc: Exception) -> DataError:
    """A one-line DataError saying why ``data`` is not a JSON list of ``what`` objects."""
    doc = _syntax(data, origin)
    if not isinstance(doc, list):
        return DataError(
            f"{origin}: expected a JSON list of {what}s but found "
            f"{_describe(doc)}; is this the right file?"
        )
    for i, record in enumerate(doc, start=1):
        if not isinstance(record, dict):
            return DataError(
                f"{origin}: {what} {i} should be an object but is "
                f"{_describe(record)}; the export is damaged — export it again"
            )
        for name, dtype in schema.items():
            found = _mismatch(record.get(name), dtype, name)
            if found:
                return DataError(
                    f"{origin}: {what} {i}: {found}; the export is damaged or "
                    "not from the expected tool"
                )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"{origin}: cannot read it ({first}); export it again")


def read_records(data: bytes, schema: pl.Schema, origin: str, what: str) -> pl.DataFrame:
    """Read a JSON list of objects, keeping only the ``schema`` fields (typed)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head != b"[":
        raise explain(data, schema, origin, what, ValueError("not a list"))
    try:
        return pl.read_json(io.BytesIO(data), schema=schema)
    except Exception as exc:  # Polars' messages are cryptic: explain in one line
        raise explain(data, schema, origin, what, exc) from None


def read_object(data: bytes, schema: pl.Schema, origin: str) -> pl.DataFrame:
    """Read one JSON object (a whole export document) as a one-row frame of ``schema``."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    try:
        if head != b"{":
            raise ValueError("not an object")
        return pl.read_json(io.BytesIO(data), schema=schema)
    except Exception as exc:
        doc = _syntax(data, origin)
        if not isinstance(doc, dict):
            raise DataError(
                f"{origin}: expected a JSON object but found {_describe(doc)}; is "
                "this the right file?"
            ) from None
        for name, dtype in schema.items():
            found = _mismatch(doc.get(name), dtype, name)
            if found:
                raise DataError(
                    f"{origin}: {found}; the export is damaged or not from the expected tool"
                ) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{origin}: cannot read it ({first}); export it again") from None


def frame_of(records: list[Any], schema: pl.Schema, origin: str, what: str) -> pl.DataFrame:
    """Like :func:`read_records` for an already parsed list (part of a bigger document)."""
    if not isinstance(records, list):
        raise DataError(f"{origin}: expected a list of {what}s but found {_describe(records)}")
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise DataError(
                f"{origin}: {what} {i} should be an object but is "
                f"{_describe(record)}; the export is damaged — export it again"
            )
    try:
        return (
            pl.DataFrame(records, schema=schema, strict=False)
            if records
            else (pl.DataFrame(schema=schema))
        )
    except Exception as exc:
        data = json.dumps(records).encode()
        raise explain(data, schema, origin, what, exc) from None


def require(frame: pl.DataFrame, fields: tuple[str, ...], origin: str, what: str) -> None:
    """DataError naming the first record (1-based) that lacks one of ``fields``."""
    for name in fields:
        missing = frame.select(pl.col(name).is_null().arg_true().first()).item()
        if missing is not None:
            raise DataError(
                f"{origin}: {what} {missing + 1} has no '{name}'; the export is "
                "incomplete — export it again"
            )
