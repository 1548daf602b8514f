"""Settings: one root model read from report.toml, ``COMMUNITYROI_…`` env vars and CLI flags.

Priority (highest first): CLI flags, environment (``COMMUNITYROI_REPORT__LANGUAGE=en``;
nested keys use ``__``), the TOML file, defaults. Relative paths in the TOML file resolve
against the file's folder.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from core.errors import ConfigError

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_toml_data: ContextVar[dict[str, Any] | None] = ContextVar("communityroi_toml", default=None)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportSettings(_Section):
    title: str | None = None  # default: "Community value report" / "社群运营价值报告"
    client: str = "Client"
    agency: str = ""
    period_start: date | None = None
    period_end: date | None = None
    # a named period (core.periods): last-month, last-quarter, 2026-10, 2026-Q3, 2026,
    # resolved in ``timezone``; period_start/period_end, when both set, take precedence
    period: str | None = None
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    language: Literal["zh-CN", "en"] = "zh-CN"
    fx_rates: dict[str, float] = Field(default_factory=dict)  # 1 unit of key = value × currency
    # seed of every randomised estimate (bootstrap intervals): passed to each metric whose
    # options have a ``seed`` and do not set it; the same seed gives the same report
    seed: int = 0

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone '{v}' (use an IANA name such as Asia/Shanghai)"
            ) from exc
        return v

    @field_validator("currency")
    @classmethod
    def _cur(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", v):
            raise ValueError(f"'{v}' is not an ISO 4217 code such as CNY or USD")
        return v.upper()

    @model_validator(mode="after")
    def _period(self) -> ReportSettings:
        if self.period and not (self.period_start and self.period_end):
            if self.period_start or self.period_end:
                raise ValueError("give either period or both period_start and period_end")
            from core.periods import resolve

            try:
                named = resolve(self.period, self.timezone)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
            self.period_start, self.period_end = named.start, named.end
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class BrandingSettings(_Section):
    logo: Path | None = None
    cover_image: Path | None = None
    primary_color: str = "#1f4e79"
    accent_color: str = "#e07a1f"
    font_family: str | None = None
    footer: str = ""
    contact: str = ""
    theme: str = "default"  # a built-in theme name or a folder of templates and CSS
    template_dir: Path | None = None  # user templates, searched before everything else

    @field_validator("primary_color", "accent_color")
    @classmethod
    def _colour(cls, v: str) -> str:
        if not _HEX.match(v):
            raise ValueError(f"'{v}' is not a colour like #1f4e79")
        return v.lower()

    @field_validator("font_family")
    @classmethod
    def _font(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[\w .\-\u4e00-\u9fff]{1,60}", v):
            raise ValueError("font_family may contain letters, digits, spaces, '.', '-' only")
        return v

    @field_validator("logo", "cover_image", mode="before")
    @classmethod
    def _local(cls, v: str | Path | None) -> str | Path | None:
        if v is not None and re.match(r"^[a-z][a-z0-9+.-]*://", str(v), re.I):
            raise ValueError(
                f"'{v}' is a URL; rendering never touches the network — "
                f"download the file and give its local path"
            )
        return v


class PrivacySettings(_Section):
    """Keyed pseudonyms (see :mod:`core.privacy`): the key is ``key`` (best from
    ``COMMUNITYROI_PRIVACY__KEY``), else the file ``key_file``, else the user's key file,
    made on first use. ``salt`` is the old name of ``key`` (still read, with a warning)."""

    pseudonymize: bool = True
    key: SecretStr | None = None
    key_file: Path | None = None
    salt: str = ""  # deprecated: use key


class PluginSettings(_Section):
    disable: list[str] = Field(default_factory=list)
    strict: bool = False


class OutputSettings(_Section):
    dir: Path = Path("report")
    formats: list[str] = Field(default_factory=lambda: ["html", "pdf", "json"])


class Settings(BaseSettings):
    """The whole configuration (see ``communityroi init`` for a commented example)."""

    model_config = SettingsConfigDict(
        env_prefix="COMMUNITYROI_", env_nested_delimiter="__", extra="forbid"
    )

    report: ReportSettings = Field(default_factory=ReportSettings)
    branding: BrandingSettings = Field(default_factory=BrandingSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    sources: list[dict[str, Any]] = Field(default_factory=list)
    transforms: dict[str, dict[str, Any]] = Field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = Field(default_factory=dict)
    renderers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # "roi.roi" = ">= 150"; a table [targets.<metric>] holds per-item targets (per operator)
    # handed to that metric's ``targets`` option
    targets: dict[str, str | float | dict[str, Any]] = Field(default_factory=dict)
    base_dir: Path = Path(".")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, s in enumerate(v, 1):
            if "type" not in s:
                raise ValueError(f"source #{i} has no 'type' (e.g. type = \"files\")")
        return v


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field, field_name):  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_toml_data.get() or {})


def _pretty(exc: ValidationError, where: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(root)"
    msg = err["msg"].removeprefix("Value error, ")
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {loc}: {msg}{more}"


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read ``path`` (TOML), then env, then ``overrides`` (nested dicts, e.g. from CLI)."""
    data: dict[str, Any] = {}
    where = "settings"
    if path is not None:
        path = Path(path)
        where = str(path)
        try:
            data = _parse_toml(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise ConfigError(
                f"{path}: no such file; create one with 'communityroi init'"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        data.setdefault("base_dir", str(path.resolve().parent))
    token = _toml_data.set(data)
    try:
        return Settings(**_prune(overrides))
    except ValidationError as exc:
        raise ConfigError(_pretty(exc, where)) from None
    except SettingsError as exc:  # an environment variable pydantic-settings cannot parse
        raise ConfigError(_env_error(exc)) from None
    finally:
        _toml_data.reset(token)


def _env_error(exc: SettingsError) -> str:
    """One line naming the environment variable(s) behind a SettingsError and the fix."""
    field = re.search(r'field "([^"]+)"', str(exc))
    prefix = f"COMMUNITYROI_{field[1]}".upper() if field else "COMMUNITYROI_"
    names = sorted(k for k in os.environ if k.upper().startswith(prefix)) or [prefix + "…"]
    return (
        f"environment variable {', '.join(names)}: value not understood — lists and "
        f"tables are written as JSON (COMMUNITYROI_PLUGINS__DISABLE='[\"reveal\"]'); "
        f"fix it or unset it"
    )


# TOML 1.1 allows Unicode bare keys (订单号 = "order_id"); tomllib implements TOML 1.0,
# which needs them quoted. Users copy Chinese headers as they are, so quote them for it.
_UNICODE_BARE_KEY = re.compile(
    r'(^|[{,])(\s*)([^\s"\'=\[\]{},#.]*[^\x00-\x7f][^\s"\'=\[\]{},#.]*)(\s*=)', re.M
)


def _quote_unicode_keys(text: str) -> str:
    """Quote Unicode bare keys outside strings (single-line strings; enough for configs)."""
    out, i, n = [], 0, len(text)
    while i < n:
        j = i
        while j < n and text[j] not in "\"'#":
            j += 1
        out.append(_UNICODE_BARE_KEY.sub(lambda m: f'{m[1]}{m[2]}"{m[3]}"{m[4]}', text[i:j]))
        if j >= n:
            break
        end_char = "\n" if text[j] == "#" else text[j]
        k = j + 1
        while k < n and text[k] != end_char and text[k] != "\n":
            k += 2 if text[k] == "\\" and end_char == '"' else 1
        out.append(text[j : k + 1])
        i = k + 1
    return "".join(out)


def _parse_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        quoted = _quote_unicode_keys(text)
        if quoted == text:
            raise
        try:
            return tomllib.loads(quoted)
        except tomllib.TOMLDecodeError:
            pass
        return tomllib.loads(text)  # report the error against the user's own text


def _prune(d: dict[str, Any]) -> dict[str, Any]:
    """Drop None values (unset CLI flags) recursively."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            v = _prune(v)
            if not v:
                continue
        if v is not None:
            out[k] = v
    return out


def validate_options(
    model: type[BaseModel] | None,
    raw: dict[str, Any] | None,
    owner: str,
    base_dir: Path | None = None,
):
    """Validate a plugin's options; the error names the plugin and the option.

    Validators receive ``info.context["base_dir"]`` (the config file's folder) so an
    option holding a relative path can resolve it the way the user wrote it.
    """
    if model is None:
        if raw:
            raise ConfigError(f"{owner} takes no options, got: {', '.join(raw)}")
        return None
    try:
        return model.model_validate(raw or {}, context={"base_dir": base_dir or Path(".")})
    except ValidationError as exc:
        raise ConfigError(_pretty(exc, owner)) from None
