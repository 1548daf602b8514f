"""Pseudonymise personal data in the report and the scorecard before any renderer sees them.

**Keyed pseudonyms.** A member's label is HMAC-BLAKE2b of their id under a secret key
(``hashlib.blake2b(id, key=key, digest_size=8)``: 64 bits), shown as ``M-`` and the
shortest prefix of its 16 hex digits — at least 8 — that no other label of the same report
shares. The same key gives the same labels on every run, so months can be compared; without
the key a list of ids cannot be turned into labels.

**The key** (first that is set): ``privacy.key`` (or ``COMMUNITYROI_PRIVACY__KEY``), the
file ``privacy.key_file``, the legacy ``privacy.salt`` (used as the key, with a warning), or
the user's key file (:func:`default_key_file`, e.g. ``~/.config/communityroi/privacy.key``),
generated with 256 random bits on first use. No key is ever written into an output. The demo
and the tests use the published :data:`DEMO_KEY` — never use it for real data.

Two distinct ids with the same 64-bit label in one report (about 1 in 4·10⁸ for 300,000
members) stop the run with an error rather than merge two people under one label.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from core.errors import ConfigError, DataError
from core.report import Section, Table

DEMO_KEY = "communityroi-demo-key-not-secret"  # documented; for the demo and the tests only
DIGEST_BYTES = 8  # 64-bit labels
MIN_HEX = 8  # labels are shown with at least 8 hex digits
PREFIX = "M-"


@dataclass(frozen=True, slots=True)
class Key:
    secret: bytes
    origin: str  # where it came from, for messages ("~/.config/communityroi/privacy.key")


def default_key_file() -> Path:
    """The user's key file: ``%APPDATA%\\communityroi\\privacy.key`` on Windows, else
    ``$XDG_CONFIG_HOME/communityroi/privacy.key`` (``~/.config`` by default)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "communityroi" / "privacy.key"


def _as_key(text: str, origin: str) -> Key:
    raw = text.strip().encode("utf-8")
    if not raw:
        raise ConfigError(f"privacy key from {origin} is empty")
    if len(raw) > 64:
        raw = hashlib.blake2b(raw, digest_size=64).digest()  # BLAKE2b keys are ≤ 64 bytes
    return Key(raw, origin)


def read_key_file(path: Path, *, create: bool) -> Key:
    """The key stored in ``path``; with ``create``, a new random key written there first
    (readable by the user only)."""
    path = Path(path).expanduser()
    if not path.exists():
        if not create:
            raise ConfigError(
                f"no privacy key at {path}: labels can only be revealed with the key that "
                f"made them (set privacy.key_file or COMMUNITYROI_PRIVACY__KEY)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    try:
        return _as_key(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"cannot read privacy key {path}: {exc.strerror}") from None


def resolve_key(
    privacy,
    *,
    base_dir: Path = Path("."),
    create: bool = True,
    warn: Callable[[str], None] = lambda _m: None,
) -> Key:
    """The key for ``privacy`` (a :class:`core.settings.PrivacySettings`), see the module
    docstring for the order; a relative ``key_file`` is in ``base_dir`` (the config's
    folder). ``create=False`` (for ``reveal``) never makes a new key."""
    if privacy.key is not None:
        return _as_key(privacy.key.get_secret_value(), "privacy.key")
    if privacy.key_file is not None:
        path = Path(privacy.key_file).expanduser()
        return read_key_file(path if path.is_absolute() else base_dir / path, create=create)
    if privacy.salt:
        warn(
            "privacy.salt is deprecated: it is now used as the key of 64-bit keyed "
            "pseudonyms (labels differ from earlier reports); rename it to privacy.key"
        )
        return _as_key(privacy.salt, "privacy.salt")
    return read_key_file(default_key_file(), create=create)


def digests(values: pl.Series, key: bytes) -> pl.Series:
    """64-bit keyed BLAKE2b (big-endian) of each element of ``values`` as ``pl.UInt64``;
    nulls stay null.

    The hashing runs once per distinct id over a pre-keyed BLAKE2b state (``copy()``
    skips the key block: about 0.3 µs per id); everything else is vectorised.

    >>> digests(pl.Series(["a", "a", None]), b"k").to_list()[0] == \\
    ...     int.from_bytes(hashlib.blake2b(b"a", key=b"k", digest_size=8).digest(), "big")
    True
    """
    text = values.cast(pl.String)
    uniq = text.drop_nulls().unique()
    table = pl.DataFrame({"v": uniq, "d": pl.Series(_digest_distinct(uniq, key), dtype=pl.UInt64)})
    return text.to_frame("v").join(table, on="v", how="left", maintain_order="left")["d"]


def _digest_distinct(uniq: pl.Series, key: bytes) -> np.ndarray:
    """The 64-bit keyed BLAKE2b of each (distinct, non-null) text in ``uniq``, in order."""
    base = hashlib.blake2b(key=key, digest_size=DIGEST_BYTES)
    out = bytearray(DIGEST_BYTES * uniq.len())
    at = 0
    for raw in uniq.cast(pl.Binary).to_list():  # UTF-8 bytes, no per-id encode
        h = base.copy()
        h.update(raw)
        out[at : at + DIGEST_BYTES] = h.digest()
        at += DIGEST_BYTES
    return np.frombuffer(bytes(out), dtype=">u8").astype(np.uint64)


def short_labels(codes: np.ndarray) -> np.ndarray:
    """Hex digits to show per distinct 64-bit code: the shortest prefix (≥ 8) no other
    code shares, from the common leading bits with the sorted neighbours."""
    codes = np.asarray(codes, dtype=np.uint64)
    order = np.argsort(codes, kind="stable")
    s = codes[order]
    if s.size > 1 and np.any(s[1:] == s[:-1]):
        raise DataError(
            "two different members got the same 64-bit pseudonym in this report; "
            "set a new privacy key (or privacy.key_file) and run again"
        )
    shared = np.zeros(s.size, dtype=np.int64)
    if s.size > 1:
        xor = s[1:] ^ s[:-1]
        # leading hex digits two neighbours share: count the k with xor >> (64 − 4k) == 0
        common = sum(((xor >> np.uint64(64 - 4 * k)) == 0).astype(np.int64) for k in range(1, 16))
        shared[1:] = np.maximum(shared[1:], common)
        shared[:-1] = np.maximum(shared[:-1], common)
    need = np.clip(shared + 1, MIN_HEX, 2 * DIGEST_BYTES)
    out = np.empty_like(need)
    out[order] = need
    return out


def label_map(values: pl.Series, key: bytes) -> pl.DataFrame:
    """``id`` → ``label`` (shown, unique in this set) and ``full`` (all 16 hex digits) for
    the distinct values, sorted by id."""
    return _label_map(values, key).drop("_code")


def _label_map(values: pl.Series, key: bytes) -> pl.DataFrame:
    """:func:`label_map` with ``_code``, the 64-bit digest: labels are hex prefixes of it
    and none is a prefix of another, so ordering by ``_code`` orders by label."""
    ids = values.cast(pl.String).drop_nulls().unique().sort()
    codes = _digest_distinct(ids, key)  # distinct already: no second pass or join
    width = pl.Series(short_labels(codes), dtype=pl.UInt32)
    full = _hex(codes).str.to_uppercase()
    return pl.DataFrame(
        {"id": ids, "full": full, "_w": width, "_code": pl.Series(codes, dtype=pl.UInt64)}
    ).select(
        "id",
        (pl.lit(PREFIX) + pl.col("full").str.head(pl.col("_w"))).alias("label"),
        "full",
        "_code",
    )


def _hex(codes: np.ndarray) -> pl.Series:
    """16 lower-case hex digits per uint64 code (vectorised through the binary type)."""
    raw = codes.astype(">u8").view("S8")
    return pl.Series(raw, dtype=pl.Binary).bin.encode("hex")


def pseudonym(value: str, key: bytes | str = DEMO_KEY) -> str:
    """The full (16-digit) label of one id; reports show its unique prefix (≥ 8 digits).

    >>> pseudonym("wxid_abc")[:2]
    'M-'
    """
    secret = key.encode("utf-8") if isinstance(key, str) else key
    h = hashlib.blake2b(value.encode("utf-8"), key=secret, digest_size=DIGEST_BYTES)
    return PREFIX + h.hexdigest().upper()


def _member_columns(table: Table) -> list[str]:
    return [
        name
        for name, info in table.columns.items()
        if info.unit == "member" and name in table.data.columns
    ]


def _values(tables: Iterable[Table]) -> pl.Series:
    parts = [
        t.data.get_column(c).cast(pl.String).drop_nulls().unique()
        for t in tables
        for c in _member_columns(t)
    ]
    return pl.concat(parts) if parts else pl.Series([], dtype=pl.String)


def _mask(table: Table, mapping: pl.DataFrame, by_label: str | None = None) -> Table:
    """``table`` with its member columns replaced by their labels; ``by_label``: a member
    column to sort the result by (its label order, through the 64-bit code: no string
    sort)."""
    cols = _member_columns(table)
    if not cols:
        return table
    data = table.data
    lookup = (
        dict(zip(mapping["id"], mapping["label"], strict=True)) if mapping.height < 2000 else None
    )
    for name in cols:
        if lookup is not None:
            expr = pl.col(name).cast(pl.String).replace_strict(lookup, default=None)
            data = data.with_columns(expr.cast(pl.String).alias(name))
        else:
            order = ["_code"] if name == by_label else []
            data = (
                data.with_columns(pl.col(name).cast(pl.String))
                .join(mapping.select(pl.col("id").alias(name), "label", *order), on=name,
                      how="left", maintain_order="left")
                .with_columns(pl.col("label").alias(name))
                .drop("label")
            )  # fmt: skip
            if order:
                data = data.sort("_code").drop("_code")
                by_label = None
    if by_label is not None:
        data = data.sort(by_label)
    return replace(table, data=data)


def pseudonymize(
    sections: list[Section], members: Table | None, key: bytes
) -> tuple[list[Section], Table | None]:
    """Replace every ``member`` column of every table (and of the scorecard) by its label;
    one mapping for the whole report, so a person has the same label everywhere."""
    tables = [t for s in sections for t in s.tables] + ([members] if members else [])
    mapping = _label_map(_values(tables), key)
    out = [replace(s, tables=tuple(_mask(t, mapping) for t in s.tables)) for s in sections]
    if members is None:
        return out, None
    # sorted by label: the id order is not revealed
    return out, _mask(members, mapping, by_label="member_id")


def pseudonymize_sections(sections: list[Section], key: bytes | str = DEMO_KEY) -> list[Section]:
    """Replace every ``member`` column of every table by its pseudonym."""
    secret = key.encode("utf-8") if isinstance(key, str) else key
    return pseudonymize(sections, None, secret)[0]
