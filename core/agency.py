"""agency.toml: the agency, its history database and its clients; each client's settings
for one batch run, with its period resolved and its content hash.

```toml
[agency]
name = "知群运营"            # default report.agency of every client
history = "history.db"       # SQLite file beside agency.toml, or a postgresql:// URL
period = "last-month"        # default period of every client (else the client's own)
language = "zh-CN"           # of the portfolio page (index.html)
kpis = ["roi.roi"]           # columns of the portfolio page (default: first 4 headline)
[agency.branding]            # default [branding] of every client
primary_color = "#1f4e79"
[[clients]]
name = "tea-brand"           # folder name under --out
config = "clients/tea/report.toml"   # a normal report config, relative to agency.toml
```

A client's period is, first found: ``--period``, ``[agency] period``, the client's own
``report.period`` or ``period_start``/``period_end``, else ``last-month``. It is always
resolved before the run (in the client's time zone), so the history and the skip check know
it; the batch never lets the pipeline infer a period from the data.

**Content hash** (skip unchanged): SHA-256 over the client's resolved settings, the bytes of
every existing file or folder named by a string in its ``[[sources]]``, ``[transforms]`` or
``[branding]`` (relative to its config; for a glob such as ``exports/*.csv``, every file it
matches), the name and version of every installed plugin, the output formats, the earlier
history its trend lines show, and a digest of its pseudonym key. A source that reads a
database or an API is hashed by its options only: rerun it with ``--force`` when the data
behind it changed.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from core.errors import CommunityROIError, ConfigError
from core.history import PASSWORD_ENV
from core.periods import NamedPeriod, classify, resolve
from core.settings import BrandingSettings, Settings, load_settings

_NAME = re.compile(r"^[\w][\w.\-]{0,79}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgencySection(_Strict):
    name: str = ""
    history: str = "history.db"
    history_password_env: str = PASSWORD_ENV
    period: str | None = None
    language: Literal["zh-CN", "en"] = "zh-CN"
    kpis: list[str] = Field(default_factory=list)
    formats: list[str] | None = None
    branding: dict[str, Any] = Field(default_factory=dict)

    @field_validator("branding")
    @classmethod
    def _branding(cls, v: dict[str, Any]) -> dict[str, Any]:
        BrandingSettings.model_validate(v)  # same checks as a report's [branding]
        return v


class ClientEntry(_Strict):
    name: str
    config: Path
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                f"'{v}' is not a usable folder name: letters, digits, '_', '.', '-' only"
            )
        return v


class AgencyConfig(_Strict):
    agency: AgencySection = Field(default_factory=AgencySection)
    clients: list[ClientEntry] = Field(min_length=1)
    base_dir: Path = Path(".")

    @field_validator("clients")
    @classmethod
    def _unique(cls, v: list[ClientEntry]) -> list[ClientEntry]:
        seen: set[str] = set()
        for c in v:
            if c.name.lower() in seen:
                raise ValueError(f"two clients are named '{c.name}'; names must be unique")
            seen.add(c.name.lower())
        return v


def load_agency(path: Path) -> AgencyConfig:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    data["base_dir"] = Path(path).resolve().parent
    try:
        return AgencyConfig.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        raise ConfigError(f"{path}: {loc}: {e['msg'].removeprefix('Value error, ')}") from None


@dataclass
class Plan:
    """One client of one batch: its settings (period resolved) or why it cannot run."""

    name: str
    config: Path
    settings: Settings | None = None
    period: NamedPeriod | None = None
    error: str | None = None
    formats: list[str] = field(default_factory=list)


def load_with_period(config: Path | None, over: dict[str, Any], period: str | None) -> Settings:
    """A report's settings with ``period`` (a period name, or None) taking precedence over
    the config's dates, resolved in the config's time zone."""
    settings = load_settings(config, **over)
    if period is None:
        return settings
    named = resolve(period, settings.report.timezone)
    dates = {"period": period, "period_start": named.start, "period_end": named.end}
    return load_settings(config, **_deep(over, {"report": dates}))


def _deep(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _deep(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def plan_client(agency: AgencyConfig, entry: ClientEntry, period: str | None) -> Plan:
    """Load one client's settings under the agency's defaults; errors go into the plan."""
    cfg = entry.config if entry.config.is_absolute() else agency.base_dir / entry.config
    plan = Plan(entry.name, cfg)
    try:
        own = load_settings(cfg)
        defaults: dict[str, Any] = {}
        if agency.agency.name and "agency" not in own.report.model_fields_set:
            defaults["report"] = {"agency": agency.agency.name}
        brand = {
            k: v
            for k, v in agency.agency.branding.items()
            if k not in own.branding.model_fields_set
        }
        for key in ("logo", "cover_image", "template_dir"):  # relative to agency.toml
            if brand.get(key) and not Path(brand[key]).expanduser().is_absolute():
                brand[key] = str(agency.base_dir / brand[key])
        if brand:
            defaults["branding"] = brand
        name = period or agency.agency.period
        if (
            name is None
            and not own.report.period
            and not (own.report.period_start and own.report.period_end)
        ):
            name = "last-month"
        settings = load_with_period(cfg, defaults, name)
        rs = settings.report
        plan.period = classify(rs.period_start, rs.period_end)
        plan.settings = _with_key(settings)
        plan.formats = list(agency.agency.formats or settings.output.formats)
    except CommunityROIError as exc:
        plan.error = str(exc).splitlines()[0]
    return plan


def _with_key(settings: Settings) -> Settings:
    """The settings with the pseudonym key read here, in the coordinator, so a worker on
    another machine labels members exactly as this one would (``privacy.key`` travels
    with the task; the key file is never needed there)."""
    p = settings.privacy
    if not settings.privacy.pseudonymize or p.key is not None or p.salt:
        return settings
    from core.privacy import default_key_file

    path = Path(p.key_file).expanduser() if p.key_file else default_key_file()
    path = path if path.is_absolute() else settings.base_dir / path
    from core.privacy import read_key_file

    read_key_file(path, create=p.key_file is None)  # makes the user's key on first use
    text = path.read_text(encoding="utf-8")
    privacy = p.model_copy(update={"key": SecretStr(text), "key_file": None})
    return settings.model_copy(update={"privacy": privacy})


# -- content hash ---------------------------------------------------------------------------


def _paths(value: Any) -> list[str]:
    if isinstance(value, str | Path):
        return [str(value)]
    if isinstance(value, dict):
        return [p for v in value.values() for p in _paths(v)]
    if isinstance(value, list | tuple):
        return [p for v in value for p in _paths(v)]
    return []


def _file_digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def input_files(settings: Settings) -> dict[str, str]:
    """``{path: sha256}`` of every existing file named (directly, or inside a named folder)
    by a string in the sources, transforms or branding."""
    named = _paths(settings.sources) + _paths(settings.transforms)
    named += _paths(settings.branding.model_dump(mode="json"))
    found: dict[str, str] = {}
    for text in named:
        if "\n" in text or len(text) > 4096 or re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
            continue
        p = Path(text).expanduser()
        p = p if p.is_absolute() else settings.base_dir / p
        # a glob ("exports/*.csv", read by the preset/wechat/shopify/ledger sources): the
        # files it matches now, so an added or edited export is not "unchanged"
        glob_ = not p.exists() and any(c in text for c in "*?[")
        for q in sorted(Path(x) for x in glob.glob(str(p))) if glob_ else [p]:
            try:
                if q.is_file():
                    found[str(q)] = _file_digest(q)
                elif q.is_dir() and q != settings.base_dir:
                    for f in sorted(x for x in q.rglob("*") if x.is_file()):
                        found[str(f)] = _file_digest(f)
            except OSError:
                continue
    return dict(sorted(found.items()))


def content_hash(
    settings: Settings, plugins: list[str], formats: list[str], earlier: list[dict[str, Any]]
) -> str:
    key = settings.privacy.key.get_secret_value() if settings.privacy.key else settings.privacy.salt
    doc = {
        "settings": settings.model_dump(mode="json"),
        "files": input_files(settings),
        "plugins": plugins,
        "formats": formats,
        "trend": [{k: str(v) for k, v in r.items()} for r in earlier],
        "key": hashlib.sha256(key.encode("utf-8")).hexdigest(),
    }
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
