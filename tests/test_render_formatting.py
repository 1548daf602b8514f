"""Number, money, percent and date formatting per report language (babel / CLDR)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from communityroi import KPI, Period, T
from plugins.renderers import formatting as f
from plugins.renderers.labels import LABELS, label


@pytest.mark.parametrize(
    ("value", "unit", "lang", "expected"),
    [
        (12345.6, "currency", "en", "¥12,346"),  # CNY is ¥ in English too (CLDR says CN¥)
        (12345.6, "currency", "zh-CN", "¥12,346"),
        (12.5, "currency", "zh-CN", "¥12.50"),
        (-1234.0, "currency", "en", "-¥1,234"),
        (1234567, "count", "en", "1,234,567"),
        (2.5, "count", "en", "2.5"),
        (152.3, "percent", "en", "152.3%"),
        (0.4215, "ratio", "zh-CN", "0.42"),
        (35.14, "days", "en", "35.1 days"),
        (35.14, "days", "zh-CN", "35.1 天"),
        (44, "days", "en", "44 days"),  # whole days (an integer column) shown whole
        (44, "days", "zh-CN", "44 天"),
        (44.0, "days", "en", "44.0 days"),
        (2.4, "hours", "zh-CN", "2.4 小时"),
        (14.25, "per_member", "zh-CN", "14.25 /人"),
        (None, "currency", "en", "—"),
        (float("nan"), "percent", "en", "—"),
        ("<b>", "member", "en", "<b>"),  # text is passed through; templates escape it
        (date(2025, 3, 1), "date", "en", "Mar 1, 2025"),
        (date(2025, 3, 1), "date", "zh-CN", "2025年3月1日"),
    ],
)
def test_value(value, unit, lang, expected):
    assert f.value(value, unit, lang, "CNY") == expected


def test_other_currencies_keep_babel_symbols():
    assert f.currency(1523.4, "USD", "en") == "$1,523"
    assert f.currency(1523.4, "USD", "zh-CN") == "US$1,523"


def test_datetime_in_report_time_zone():
    at = datetime(2025, 3, 1, 14, 5, tzinfo=UTC)
    assert f.value(at, "datetime", "en", tz="Asia/Shanghai") == "2025-03-01 22:05"


def test_compact_axis_labels():
    assert f.compact(1_234_567, "currency", "zh-CN") == "¥123.5万"
    assert f.compact(1_234_567, "currency", "en") == "¥1.2M"
    assert f.compact(-25_000, "currency", "en") == "-¥25K"
    assert f.compact(55.5, "percent", "en") == "56%"


def test_change_points_for_percent_relative_otherwise():
    pct = KPI("r", T("r"), 58.2, "percent", change=-2.8)
    assert f.change(pct, "en") == {"text": "-2.8 pts", "direction": "down", "good": False}
    assert f.change(pct, "zh-CN")["text"] == "-2.8 个百分点"
    cost = KPI("c", T("c"), 127.86, "currency", change=0.0654, higher_is_better=False)
    assert f.change(cost, "en") == {"text": "+6.5%", "direction": "up", "good": False}
    flat = KPI("s", T("s"), 0.31, "ratio", change=0.0)
    assert f.change(flat, "en")["direction"] == "flat" and f.change(flat, "en")["good"] is None
    assert f.change(KPI("n", T("n"), 1), "en") is None


def test_period_uses_plain_spaces():
    p = Period(date(2025, 1, 1), date(2025, 3, 31))
    assert f.period(p, "en") == "Jan 1 – Mar 31, 2025"
    assert f.period(p, "zh-CN") == "2025年1月1日 – 3月31日"


def test_every_label_has_both_languages_and_same_placeholders():
    import re

    for key, text in LABELS.items():
        assert text.en and text.zh, key
        assert set(re.findall(r"\{\w+\}", text.en)) == set(re.findall(r"\{\w+\}", text.zh)), key
    assert label("page_of", "zh-CN", page=2, pages=9) == "第 2 页 / 共 9 页"
    with pytest.raises(KeyError, match="no UI label 'nope'"):
        label("nope", "en")
