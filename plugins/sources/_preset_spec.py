"""Order-export presets: what a preset TOML file says and how a file's header row picks one.

A preset (``plugins/sources/presets/*.toml``, or a user's own file) describes one
platform's export without code: the header names of each role (with known variants), the
status words and what they mean, how sub-order rows roll up and whether the paid amount is
already net of refunds. docs/connectors-business.md ("Presets") documents the format;
:mod:`plugins.sources._preset_read` reads a file through a preset.

Where presets are found, later overriding earlier ones of the same ``name``:

1. the built-in folder ``plugins/sources/presets/``;
2. the user folder :func:`user_dir` (``$XDG_CONFIG_HOME/communityroi/presets/`` or
   ``%APPDATA%\\communityroi\\presets\\``), and the folders or files listed in the
   ``COMMUNITYROI_PRESETS`` environment variable (separated by the OS path separator);
3. the source's own ``presets`` option (folders or files, relative to the report.toml).
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from communityroi import DataError

BUILTIN_DIR = Path(__file__).with_name("presets")
ENV_VAR = "COMMUNITYROI_PRESETS"

ORDER_ROLES = (
    "order_id", "sub_order_id", "buyer", "unionid", "phone", "placed_at", "paid_at", "amount",
    "refund", "status", "refund_status", "product",
)  # fmt: skip
MEMBERSHIP_ROLES = (
    "order_id", "member", "unionid", "phone", "circle", "joined_at", "paid_at", "expires_at",
    "amount", "refund", "status", "product",
)  # fmt: skip
REQUIRED = {
    "orders": ("order_id", "placed_at", "amount"),
    "memberships": ("member", "paid_at", "expires_at", "amount"),
}
CANONICAL = ("paid", "pending", "cancelled", "refunded")

HeaderList = list[str]


class Amounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # the paid amount already excludes the refund (天猫 买家实际支付金额): the order's
    # amount is paid + refund and its revenue paid + refund − refund = paid
    net_of_refund: bool = False
    # sub-order rows of one order: "sum" their amounts (each row holds its own share) or
    # take the "first" (each row repeats the order's amount)
    rollup: Literal["sum", "first"] = "sum"


class Preset(BaseModel):
    """One preset file, validated (unknown keys are errors, so a typo is caught)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str  # e.g. "天猫/淘宝 订单报表"
    title_en: str = ""
    platform: str  # platform written on the rows (taobao, douyin, youzan …)
    table: Literal["orders", "memberships"] = "orders"
    timezone: str | None = "Asia/Shanghai"  # for times written without an offset
    currency: str | None = None  # default: the report's currency
    default_country_code: str | None = "86"  # for phones written without +86
    circle: str | None = None  # memberships: the circle when no column names it
    # documentation: the header row as the platform writes it, and where that is known from
    header: HeaderList = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    confirmed: bool = True  # False: header names not yet seen on a real export
    # recognition: these roles must be present, plus each entry of ``require`` (a header or
    # a list of alternatives) — on top of the roles every table needs
    detect: list[str] = Field(default_factory=list)
    require: list[str | HeaderList] = Field(default_factory=list)
    columns: dict[str, HeaderList]
    amounts: Amounts = Field(default_factory=Amounts)
    empty: list[str] = Field(default_factory=lambda: ["-", "--", "——", "无"])
    status: dict[str, str] = Field(default_factory=dict)
    refund_status: dict[str, str] = Field(default_factory=dict)

    @field_validator("status", "refund_status")
    @classmethod
    def _canonical(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [f"{k} = {s}" for k, s in v.items() if s not in CANONICAL]
        if bad:
            raise ValueError(f"'{bad[0]}': a status word maps to one of {', '.join(CANONICAL)}")
        return v

    def model_post_init(self, _ctx) -> None:
        roles = ORDER_ROLES if self.table == "orders" else MEMBERSHIP_ROLES
        unknown = [r for r in (*self.columns, *self.detect) if r not in roles]
        if unknown:
            raise ValueError(
                f"'{unknown[0]}' is not a role of {self.table} presets; use {', '.join(roles)}"
            )
        missing = [r for r in REQUIRED[self.table] if not self.columns.get(r)]
        if missing:
            raise ValueError(f"columns.{missing[0]} is required for a {self.table} preset")

    @property
    def label(self) -> str:
        return f"{self.title} ({self.name})"


def norm(header: str) -> str:
    """Headers compare trimmed, case-folded, without spaces, ``_``/``-``, a BOM or the
    full-width brackets some exports use (``金额（元）`` = ``金额(元)``)."""
    h = str(header).strip().lstrip("\ufeff").casefold().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_\-]", "", h)


def read_preset(path: Path) -> Preset:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"preset {path}: not a readable TOML file ({exc})") from None
    try:
        return Preset.model_validate(data)
    except (ValidationError, ValueError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        where = ".".join(str(p) for p in first["loc"]) if first and first["loc"] else ""
        msg = (first["msg"] if first else str(exc)).removeprefix("Value error, ")
        raise DataError(
            f"preset {path}: {where + ': ' if where else ''}{msg}; see 'Presets' in "
            "docs/connectors-business.md"
        ) from None


def user_dir() -> Path:
    """The user's preset folder (``~/.config/communityroi/presets`` on Linux/macOS)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "communityroi" / "presets"


def _files(where: Path) -> list[Path]:
    if where.is_dir():
        return sorted(where.glob("*.toml"))
    if where.is_file():
        return [where]
    return []


def search_path(extra: list[Path] = ()) -> list[Path]:
    """Preset folders and files in the order they are read (later names win)."""
    env = [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    return [BUILTIN_DIR, user_dir(), *env, *extra]


def all_presets(extra: list[Path] = ()) -> dict[str, Preset]:
    """Every preset by name (built-in, then the user's, then ``extra``)."""
    found: dict[str, Preset] = {}
    for where in search_path(list(extra)):
        for path in _files(where):
            preset = read_preset(path)
            found[preset.name] = preset
    return found


@dataclass(frozen=True)
class Fit:
    """How one file's header row fits one preset: role → the header as written."""

    preset: Preset
    mapping: dict[str, str]
    missing: tuple[str, ...]  # roles / required headers not found

    @property
    def ok(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        shown = ", ".join(dict.fromkeys(self.mapping.values()))
        return f"preset {self.preset.name}: {self.preset.title} ({shown})"


def fit(headers: list[str], preset: Preset) -> Fit:
    """Map ``headers`` onto the preset's roles (variants tried in order, first found wins,
    a header used once)."""
    by_norm: dict[str, str] = {}
    for h in headers:
        if str(h).strip():
            by_norm.setdefault(norm(h), h)
    mapping: dict[str, str] = {}
    for role, variants in preset.columns.items():
        hit = next((by_norm[norm(v)] for v in variants if norm(v) in by_norm), None)
        if hit is not None and hit not in mapping.values():
            mapping[role] = hit
    # a preset whose names are not confirmed on a real export fits only a complete row
    strict = () if preset.confirmed else tuple(preset.columns)
    need = dict.fromkeys((*REQUIRED[preset.table], *preset.detect, *strict))
    missing = [r for r in need if r not in mapping]
    for req in preset.require:
        alts = [req] if isinstance(req, str) else req
        if not any(norm(a) in by_norm for a in alts):
            missing.append(" / ".join(alts))
    return Fit(preset, mapping, tuple(missing))


def best_fit(headers: list[str], presets: dict[str, Preset]) -> Fit | None:
    """The preset the header row fits (most roles mapped), or None."""
    fits = [f for f in (fit(headers, p) for p in presets.values()) if f.ok]
    if not fits:
        return None
    return max(fits, key=lambda f: (len(f.mapping), len(f.preset.detect) + len(f.preset.require)))


def nearest(headers: list[str], presets: dict[str, Preset]) -> Fit | None:
    """The preset the header row comes closest to (for hints): fewest missing, at most two."""
    fits = [fit(headers, p) for p in presets.values()]
    fits = [f for f in fits if f.missing and len(f.missing) <= 2 and len(f.mapping) >= 2]
    return min(fits, key=lambda f: (len(f.missing), -len(f.mapping)), default=None)
