"""Numbers, money, percentages and dates in the report language (babel / CLDR).

One place decides how a value of each unit looks, so tiles, tables, charts and the
spreadsheet agree:

- ``count``: grouped integer (``12,345``); a non-integral count gets one decimal.
- ``currency``: the locale's currency pattern; no decimals from 1,000 up, two below
  (``¥12,345`` / ``¥12.50``). CNY is shown as ``¥`` in every language (CLDR's English
  symbol is ``CN¥``, which Chinese clients do not use).
- ``percent``: the value is already a percentage (152.3 means 152.3 %): ``152.3%``.
- ``ratio`` two decimals; ``score`` one; ``days``/``hours``/``minutes`` one decimal (none for
  an integer value, such as days counted in whole days) plus the unit word;
  ``per_member`` two decimals plus "per member".
- KPI change: percentage *points* for percent KPIs (``+3.2 pts`` / ``+3.2 个百分点``),
  relative change otherwise (0.125 → ``+12.5%``).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    NumberPattern,
    format_compact_decimal,
    format_currency,
    format_decimal,
    parse_pattern,
)

from communityroi import KPI, Period
from plugins.renderers.labels import label

MISSING = "—"
NARROW_SYMBOLS = {"CNY": "¥"}


def locale_of(lang: str) -> Locale:
    """Babel locale for a report language: ``zh-CN`` → ``zh_CN``, anything else ``en``.

    A ``Locale``, made once per language: babel parses a locale given by name on every
    call (≈ 26,000 times, a fifth of the view's time, for one HTML and one print page of
    the full-size report)."""
    return _locale("zh_CN" if lang.lower().startswith("zh") else "en")


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


@lru_cache(maxsize=32)
def _currency_pattern(loc: Locale, decimals: int) -> NumberPattern:
    pattern = loc.currency_formats["standard"].pattern
    return _pattern(pattern.replace(".00", "") if decimals == 0 else pattern)


@lru_cache(maxsize=64)
def _pattern(text: str) -> NumberPattern:
    """A number pattern parsed once (babel parses a pattern given as text on every call)."""
    return parse_pattern(text)


def _symbol_fix(text: str, code: str, loc: Locale) -> str:
    narrow = NARROW_SYMBOLS.get(code)
    if narrow is None:
        return text
    from babel.numbers import get_currency_symbol

    return text.replace(get_currency_symbol(code, loc), narrow)


def currency(value: float | int | None, code: str, lang: str, decimals: int | None = None) -> str:
    """``12345.6`` → ``¥12,346`` (``decimals`` None: 0 from 1,000 up, else 2).

    >>> currency(12345.6, "CNY", "en"), currency(12.5, "CNY", "zh-CN")
    ('¥12,346', '¥12.50')
    """
    if is_missing(value):
        return MISSING
    loc = locale_of(lang)
    if decimals is None:
        decimals = 0 if abs(value) >= 1000 else 2
    text = format_currency(
        value,
        code,
        format=_currency_pattern(loc, decimals),
        locale=loc,
        currency_digits=False,
    )
    return _symbol_fix(text, code, loc)


def number(value: float | int | None, lang: str, decimals: int | None = None) -> str:
    """Grouped number; ``decimals`` None keeps integers whole and gives floats one decimal.

    >>> number(1234567, "en"), number(2.346, "zh-CN", 2)
    ('1,234,567', '2.35')
    """
    if is_missing(value):
        return MISSING
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    fmt = _pattern("#,##0" + ("." + "0" * decimals if decimals else ""))
    return format_decimal(value, format=fmt, locale=locale_of(lang))


def percent(value: float | int | None, lang: str, decimals: int = 1) -> str:
    """A percentage value (152.3 = 152.3 %) → ``152.3%``."""
    if is_missing(value):
        return MISSING
    return number(value, lang, decimals) + "%"


def value(v: Any, unit: str, lang: str, code: str = "CNY", tz: str | None = None) -> str:
    """Any report value in its unit (KPI units plus ``text``/``date``/``datetime``/``member``)."""
    if is_missing(v):
        return MISSING
    if unit in ("text", "member") or isinstance(v, str):
        return str(v)
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, datetime) or unit == "datetime":
        return datetime_(v, lang, tz) if isinstance(v, datetime) else str(v)
    if isinstance(v, date) or unit == "date":
        return date_(v, lang) if isinstance(v, date) else str(v)
    if not isinstance(v, int | float):
        return str(v)
    if unit == "currency":
        return currency(v, code, lang)
    if unit == "percent":
        return percent(v, lang)
    if unit == "ratio":
        return number(v, lang, 2)
    if unit == "score":
        return number(v, lang, 1)
    if unit in ("days", "hours", "minutes"):  # whole days (an integer column) as whole
        places = 0 if isinstance(v, int) else 1
        return f"{number(v, lang, places)} {label('unit_' + unit, lang)}"
    if unit == "per_member":
        return f"{number(v, lang, 2)} {label('unit_per_member', lang)}"
    return number(v, lang)


def compact(v: float | int | None, unit: str | None, lang: str, code: str = "CNY") -> str:
    """Short tick labels for charts: ``¥1.2M`` / ``¥123.5万``, ``45%``, ``12K``."""
    if is_missing(v):
        return MISSING
    loc = locale_of(lang)
    if unit == "percent":
        return number(v, lang, 0 if abs(v) >= 10 or float(v).is_integer() else 1) + "%"
    if unit == "ratio":
        return number(v, lang, 2)
    if abs(v) < 10_000:
        digits = 0 if float(v).is_integer() or abs(v) >= 100 else 1
        text = number(v, lang, digits)
    else:
        text = format_compact_decimal(v, locale=loc, fraction_digits=1)
    if unit == "currency":
        sym = NARROW_SYMBOLS.get(code)
        if sym is None:
            from babel.numbers import get_currency_symbol

            sym = get_currency_symbol(code, loc)
        return ("-" + sym + text[1:]) if text.startswith("-") else sym + text
    return text


def change(kpi: KPI, lang: str) -> dict[str, Any] | None:
    """How a KPI moved against the previous period, or None when unknown.

    Returns ``text`` (``+12.5%`` or ``+3.2 pts``), ``direction`` (up/down/flat) and
    ``good`` (True/False, None when flat) judged by ``kpi.higher_is_better``.
    """
    if is_missing(kpi.change):
        return None
    c = float(kpi.change)
    if kpi.unit == "percent":
        text = f"{'+' if c > 0 else ''}{number(c, lang, 1)} {label('points', lang)}"
        flat = round(c, 1) == 0
    else:
        text = f"{'+' if c > 0 else ''}{number(c * 100, lang, 1)}%"
        flat = round(c * 100, 1) == 0
    direction = "flat" if flat else ("up" if c > 0 else "down")
    good = None if flat else ((c > 0) == kpi.higher_is_better)
    return {"text": text, "direction": direction, "good": good}


def date_(d: date, lang: str, fmt: str = "medium") -> str:
    """``2025-03-01`` → ``Mar 1, 2025`` / ``2025年3月1日``."""
    return format_date(d, fmt, locale=locale_of(lang))


def datetime_(dt: datetime, lang: str, tz: str | None = None) -> str:
    """A timestamp in the report time zone (naive ones are taken as already local)."""
    loc = locale_of(lang)
    if dt.tzinfo is not None and tz:
        dt = dt.astimezone(ZoneInfo(tz))
    return plain_spaces(format_datetime(dt.replace(tzinfo=None), "yyyy-MM-dd HH:mm", locale=loc))


def period(p: Period | None, lang: str) -> str:
    """``Jan 1 – Mar 31, 2025`` / ``2025年1月1日 – 3月31日``."""
    if p is None:
        return MISSING
    from babel.dates import format_interval

    return plain_spaces(format_interval(p.start, p.end, "yMMMd", locale=locale_of(lang)))


def plain_spaces(text: str) -> str:
    """CLDR uses thin and narrow no-break spaces; the bundled font has plain ones only."""
    return text.replace("\u2009", " ").replace("\u202f", "\u00a0")
