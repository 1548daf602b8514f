"""Named periods (core/periods.py): month, quarter and year ends, and the time zone that
decides what "today" is. Expected dates are read off a calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from core.errors import ConfigError
from core.periods import NamedPeriod, classify, resolve
from core.settings import load_settings


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "now", "tz", "start", "end", "label"),
    [
        # 2026-12-31 20:00 UTC is already 1 January 2027 04:00 in Shanghai
        ("last-month", "2026-12-31T20:00", "Asia/Shanghai", "2026-12-01", "2026-12-31", "2026-12"),
        ("last-month", "2026-12-31T20:00", "America/New_York", "2026-11-01", "2026-11-30",
         "2026-11"),
        ("last-month", "2026-12-31T20:00", "UTC", "2026-11-01", "2026-11-30", "2026-11"),
        ("last-quarter", "2026-12-31T20:00", "Asia/Shanghai", "2026-10-01", "2026-12-31",
         "2026-Q4"),
        ("last-quarter", "2026-12-31T20:00", "America/New_York", "2026-07-01", "2026-09-30",
         "2026-Q3"),
        ("last-year", "2026-12-31T20:00", "Asia/Shanghai", "2026-01-01", "2026-12-31", "2026"),
        ("last-year", "2026-12-31T20:00", "Europe/London", "2025-01-01", "2025-12-31", "2025"),
        # 1 March 00:30 in Shanghai is still 28 February in UTC; February has 28 days in 2026
        ("last-month", "2026-02-28T16:30", "Asia/Shanghai", "2026-02-01", "2026-02-28",
         "2026-02"),
        ("last-month", "2026-02-28T16:30", "UTC", "2026-01-01", "2026-01-31", "2026-01"),
        # leap year: February 2028 has 29 days
        ("last-month", "2028-03-10T00:00", "UTC", "2028-02-01", "2028-02-29", "2028-02"),
        # January: last month is December of the year before
        ("last-month", "2027-01-15T00:00", "UTC", "2026-12-01", "2026-12-31", "2026-12"),
        # quarter boundaries: 1 April 07:00 in Shanghai vs 31 March in Los Angeles
        ("last-quarter", "2026-03-31T23:00", "Asia/Shanghai", "2026-01-01", "2026-03-31",
         "2026-Q1"),
        ("last-quarter", "2026-03-31T23:00", "America/Los_Angeles", "2025-10-01",
         "2025-12-31", "2025-Q4"),
        # the UTC+14 / UTC-11 extremes around one instant
        ("last-month", "2026-06-30T12:00", "Pacific/Kiritimati", "2026-06-01", "2026-06-30",
         "2026-06"),
        ("last-month", "2026-06-30T12:00", "Pacific/Pago_Pago", "2026-05-01", "2026-05-31",
         "2026-05"),
    ],
)  # fmt: skip
def test_relative_periods(name, now, tz, start, end, label):
    p = resolve(name, tz, now=at(now))
    assert (p.start.isoformat(), p.end.isoformat(), p.label) == (start, end, label)


@pytest.mark.parametrize(
    ("name", "start", "end", "kind"),
    [
        ("2026-10", "2026-10-01", "2026-10-31", "month"),
        ("2026-9", "2026-09-01", "2026-09-30", "month"),
        ("2026-02", "2026-02-01", "2026-02-28", "month"),
        ("2024-02", "2024-02-01", "2024-02-29", "month"),
        ("2026-Q1", "2026-01-01", "2026-03-31", "quarter"),
        ("2026-Q2", "2026-04-01", "2026-06-30", "quarter"),
        ("2026-q3", "2026-07-01", "2026-09-30", "quarter"),
        ("2026-Q4", "2026-10-01", "2026-12-31", "quarter"),
        ("2026", "2026-01-01", "2026-12-31", "year"),
    ],
)
def test_absolute_periods(name, start, end, kind):
    p = resolve(name, "Asia/Shanghai")
    assert (p.start.isoformat(), p.end.isoformat(), p.kind) == (start, end, kind)


@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-Q5", "last-week", "26-10", "", "2026-10-01", "0000", "0000-01", "9999"]
)  # 0000 and the end of 9999 are no Python dates: still a one-line ConfigError
def test_bad_names_say_what_to_write(bad):
    with pytest.raises(ConfigError, match="last-month, last-quarter"):
        resolve(bad, "UTC")


def test_previous_periods_cross_year_ends():
    q1 = resolve("2026-Q1", "UTC")
    assert q1.previous() == NamedPeriod(date(2025, 10, 1), date(2025, 12, 31), "quarter")
    jan = resolve("2026-01", "UTC")
    assert jan.previous() == NamedPeriod(date(2025, 12, 1), date(2025, 12, 31), "month")
    mar = resolve("2026-03", "UTC")
    assert mar.previous().end == date(2026, 2, 28)
    assert resolve("2026", "UTC").previous().label == "2025"
    days = NamedPeriod(date(2026, 10, 5), date(2026, 10, 11), "days")
    assert days.previous() == NamedPeriod(date(2026, 9, 28), date(2026, 10, 4), "days")


def test_classify_explicit_dates():
    assert classify(date(2026, 10, 1), date(2026, 10, 31)).kind == "month"
    assert classify(date(2026, 7, 1), date(2026, 9, 30)).kind == "quarter"
    assert classify(date(2026, 8, 1), date(2026, 10, 31)).kind == "days"  # not a quarter
    assert classify(date(2026, 1, 1), date(2026, 12, 31)).kind == "year"
    assert classify(date(2026, 10, 2), date(2026, 10, 31)).label == "2026-10-02…2026-10-31"


def test_period_in_a_report_config(tmp_path):
    cfg = tmp_path / "report.toml"
    cfg.write_text('[report]\nperiod = "2026-Q3"\n')
    rs = load_settings(cfg).report
    assert (rs.period_start, rs.period_end) == (date(2026, 7, 1), date(2026, 9, 30))
    cfg.write_text('[report]\nperiod = "2026-Q9"\n')
    with pytest.raises(ConfigError, match=r"report\.toml: report: period '2026-Q9' is not"):
        load_settings(cfg)
    cfg.write_text('[report]\nperiod = "2026-10"\nperiod_start = 2026-10-03\n')
    with pytest.raises(ConfigError, match="either period or both"):
        load_settings(cfg)


def test_report_period_flag_beats_the_config_dates(tmp_path):
    from core.cli import main

    cfg = tmp_path / "report.toml"
    cfg.write_text(
        '[report]\nperiod_start = 2026-09-01\nperiod_end = 2026-09-30\nlanguage = "en"\n'
        '[[sources]]\ntype = "demo"\nmembers = 60\nstart = 2026-09-01\n'
    )
    res = CliRunner().invoke(
        main,
        ["report", str(cfg), "--period", "2026-10", "--format", "json",
         "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "period 2026-10 = 2026-10-01 … 2026-10-31 (Asia/Shanghai)" in res.stderr
    assert '"start": "2026-10-01"' in (tmp_path / "o" / "report.json").read_text()
