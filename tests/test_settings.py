"""Settings: TOML < env < CLI, validation errors as one line naming the key."""

from __future__ import annotations

from datetime import date

import pytest

from communityroi import ConfigError
from core.report import KPI, Section
from core.settings import load_settings
from core.starter import STARTER_TOML
from core.targets import apply_targets
from core.text import T


def write(tmp_path, text):
    path = tmp_path / "report.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_starter_config_is_valid(tmp_path):
    s = load_settings(write(tmp_path, STARTER_TOML))
    assert s.report.period_start == date(2026, 10, 1)
    assert s.sources[0]["type"] == "files"
    assert s.base_dir == tmp_path.resolve()


def test_priority_toml_env_cli(tmp_path, monkeypatch):
    path = write(tmp_path, '[report]\nlanguage = "zh-CN"\nclient = "A"\ncurrency = "CNY"\n')
    monkeypatch.setenv("COMMUNITYROI_REPORT__CLIENT", "B")
    monkeypatch.setenv("COMMUNITYROI_PRIVACY__PSEUDONYMIZE", "false")
    s = load_settings(path, report={"language": "en"})
    assert (s.report.language, s.report.client, s.report.currency) == ("en", "B", "CNY")
    assert s.privacy.pseudonymize is False


@pytest.mark.parametrize(
    "text, needle",
    [
        (
            '[branding]\nprimary_color = "red;}body{display:none"\n',
            "branding.primary_color: 'red;}body{display:none' is not a colour",
        ),
        ('[branding]\nlogo = "https://example.com/logo.png"\n', "is a URL; rendering never"),
        ('[report]\ntimezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
        (
            '[report]\nperiod_start = "2026-10-31"\nperiod_end = "2026-10-01"\n',
            "period_end is before period_start",
        ),
        ('[report]\nlanguge = "en"\n', "report.languge: Extra inputs are not permitted"),
        ("[[sources]]\npath = 'x'\n", "has no 'type'"),
        ("[report\n", "not valid TOML"),
    ],
)
def test_errors_are_one_line_and_name_the_key(tmp_path, text, needle):
    with pytest.raises(ConfigError) as exc:
        load_settings(write(tmp_path, text))
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg
    assert msg.startswith(str(tmp_path / "report.toml"))


def test_missing_config_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="communityroi init"):
        load_settings(tmp_path / "nope.toml")


def _section(value):
    return Section(kpis=(KPI("roi", T("ROI"), value, "percent"),), metric="roi")


@pytest.mark.parametrize(
    "value, target, status",
    [
        (160.0, ">= 150", "met"),
        (140.0, ">= 150", "near"),
        (100.0, ">= 150", "missed"),
        (150.0, "150", "met"),
        (90.0, "<= 100", "met"),
        (120.0, "≤ 100", "missed"),
    ],
)
def test_targets_status(value, target, status):
    (sec,) = apply_targets([_section(value)], {"roi.roi": target})
    assert sec.kpi("roi").status == status


def test_unknown_target_key_is_an_error():
    with pytest.raises(ConfigError, match=r"targets\.roi\.nope: no such KPI"):
        apply_targets([_section(1.0)], {"roi.nope": ">= 1"})


def test_chinese_bare_keys_are_accepted_as_in_toml_1_1(tmp_path):
    path = write(
        tmp_path,
        '[[sources]]\ntype = "files"\norders = "o.csv"  # 注释 = 1\n'
        'columns = { orders = { 订单号 = "order_id", "下单时间" = "at" } }\n'
        'sheets = { orders = "a, 实付 = b" }\n',
    )
    src = load_settings(path).sources[0]
    assert src["columns"] == {"orders": {"订单号": "order_id", "下单时间": "at"}}
    assert src["sheets"] == {"orders": "a, 实付 = b"}  # strings are left alone


def test_outputs_are_written_atomically_with_usual_permissions(tmp_path):
    import os
    import stat

    from core.outputs import write_atomically

    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_an_environment_variable_that_is_not_json_is_a_one_line_error(monkeypatch):
    """pydantic-settings raises its own SettingsError (with a traceback through two
    libraries) for a list or table variable that is not JSON; the user gets one line
    naming the variable and the form it takes."""
    monkeypatch.setenv("COMMUNITYROI_PLUGINS__DISABLE", "reveal,roi")
    with pytest.raises(ConfigError) as exc:
        load_settings(None)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith("environment variable COMMUNITYROI_PLUGINS__DISABLE:")
    assert "JSON" in message and "unset it" in message
