"""Keyed pseudonyms: known answers, unique short labels, the key's life cycle, 300,000
members, and ``communityroi reveal``."""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from core.errors import ConfigError, DataError
from core.privacy import (
    DEMO_KEY,
    default_key_file,
    label_map,
    pseudonym,
    pseudonymize,
    resolve_key,
    short_labels,
)
from core.report import ColumnInfo, Section, Table
from core.settings import PrivacySettings
from core.text import T

KEY = DEMO_KEY.encode()


def test_label_is_keyed_blake2b_of_64_bits():
    full = hashlib.blake2b(b"wxid_abc", key=KEY, digest_size=8).hexdigest().upper()
    assert pseudonym("wxid_abc") == "M-" + full
    mapping = label_map(pl.Series(["wxid_abc"]), KEY)
    assert mapping.row(0) == ("wxid_abc", "M-" + full[:8], full)
    unkeyed = hashlib.blake2b(b"wxid_abc", digest_size=8).hexdigest().upper()
    assert full != unkeyed


def test_short_labels_are_the_shortest_unique_prefix_of_at_least_8_digits():
    codes = np.array(
        [0xABCDEF0123456789, 0xABCDEF0123456780, 0x1111111100000000, 0x1111111110000000,
         0x2000000000000000], dtype=np.uint64,
    )  # fmt: skip
    # first two share 15 hex digits → 16; next two share 8 → 9; the last is alone → 8
    assert short_labels(codes).tolist() == [16, 16, 9, 9, 8]


def test_a_collision_of_full_labels_is_an_error():
    with pytest.raises(DataError, match="same 64-bit pseudonym"):
        short_labels(np.array([5, 7, 5], dtype=np.uint64))


def test_300k_members_distinct_stable_and_not_the_unkeyed_hash():
    ids = pl.Series([f"wxid_{i:07d}" for i in range(300_000)])
    t0 = time.perf_counter()
    first = label_map(ids, KEY)
    elapsed = time.perf_counter() - t0
    again = label_map(ids, KEY)
    assert first["label"].n_unique() == 300_000 and first["full"].n_unique() == 300_000
    assert first.equals(again)
    sample = ids.head(2000).to_list()
    unkeyed = {hashlib.blake2b(v.encode(), digest_size=8).hexdigest().upper() for v in sample}
    assert not unkeyed & set(first["full"].head(2000))
    assert first["label"].str.len_chars().min() == 10  # "M-" + 8
    assert elapsed < 5  # about 0.4 s on one core
    other = label_map(ids.head(1000), b"another key")
    assert not set(other["full"]) & set(first["full"].head(1000))


def test_key_is_made_on_first_use_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("COMMUNITYROI_PRIVACY__KEY", raising=False)
    settings = PrivacySettings()
    with pytest.raises(ConfigError, match="no privacy key"):
        resolve_key(settings, create=False)
    made = resolve_key(settings)
    path = default_key_file()
    assert path == tmp_path / "communityroi" / "privacy.key" and path.is_file()
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600
    assert resolve_key(settings).secret == made.secret and len(made.secret) == 64


def test_key_sources_in_order(tmp_path):
    (tmp_path / "k.txt").write_text("file-key\n", encoding="utf-8")
    assert resolve_key(PrivacySettings(key="given")).secret == b"given"
    by_file = resolve_key(PrivacySettings(key_file="k.txt"), base_dir=tmp_path)
    assert by_file.secret == b"file-key"
    warned = []
    old = resolve_key(PrivacySettings(salt="s3cr3t"), warn=warned.append)
    assert old.secret == b"s3cr3t" and "privacy.salt is deprecated" in warned[0]


def test_env_key_is_read_by_settings(monkeypatch):
    from core.settings import load_settings

    monkeypatch.setenv("COMMUNITYROI_PRIVACY__KEY", "from-env")
    settings = load_settings(None)
    assert resolve_key(settings.privacy).secret == b"from-env"
    assert "from-env" not in repr(settings)


def _table(key, values):
    return Table(key, T(key, key), pl.DataFrame({"who": values, "n": range(len(values))}),
                 {"who": ColumnInfo(T("Who", "谁"), "member")})  # fmt: skip


def test_one_label_per_person_across_tables_and_the_scorecard():
    sections = [Section(tables=(_table("a", ["x", "y"]), _table("b", ["y", None])))]
    members = Table("members", T("m", "m"), pl.DataFrame({"member_id": ["y", "x", "z"]}),
                    {"member_id": ColumnInfo(T("M", "M"), "member")})  # fmt: skip
    out, card = pseudonymize(sections, members, KEY)
    a, b = (t.data["who"].to_list() for t in out[0].tables)
    label = {v: pseudonym(v)[:10] for v in "xyz"}
    assert a == [label["x"], label["y"]] and b == [label["y"], None]
    assert sorted(card.data["member_id"]) == card.data["member_id"].to_list()
    assert set(card.data["member_id"]) == set(label.values())


def test_report_settings_never_carry_the_key():
    from communityroi.testing import sample_data
    from core.pipeline import build_report
    from core.settings import load_settings

    settings = load_settings(None, privacy={"key": "top-secret"})
    report = build_report(settings, [], sample_data(), [])
    assert "top-secret" not in str(report.settings)


def test_reveal_maps_a_demo_label_back():
    from core.cli import main

    label = pseudonym("wxid_005v1tni6n")[:10]
    result = CliRunner().invoke(main, ["reveal", label, "--demo"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{pseudonym('wxid_005v1tni6n')}\twxid_005v1tni6n"
    bad = CliRunner().invoke(main, ["reveal", "M-00000000", "--demo"])
    assert bad.exit_code == 2 and "no member" in bad.output
