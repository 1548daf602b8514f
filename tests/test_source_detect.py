"""Each chat source's ``detect`` recognises only its own export: the hand-written
fixtures of Slack, Discord, Telegram and Discourse, and the real samples in
``shared/samples/`` (tests skip when that folder is absent), against each other and
against files of another kind."""

from __future__ import annotations

import zipfile
from pathlib import Path

from conftest import sample
from test_source_discourse import _real_topic_with_likes

from plugins.sources import discord, discourse, slack, telegram

DATA = Path(__file__).parent / "data"


DETECTORS = {
    "slack": slack.detect,
    "discord": discord.detect,
    "telegram": telegram.detect,
    "discourse": discourse.detect,
}


def test_each_detect_recognises_only_its_own_export(tmp_path):
    slack_zip = tmp_path / "slack.zip"  # the hand-written Slack export, zipped
    with zipfile.ZipFile(slack_zip, "w") as zf:
        for f in sorted((DATA / "slack" / "threads").rglob("*.json")):
            zf.write(f, f.relative_to(DATA / "slack" / "threads").as_posix())
    exports = {
        "slack": [slack_zip, DATA / "slack" / "threads"],
        "discord": [DATA / "discord" / "guild", DATA / "discord" / "guild" / "general.json"],
        "telegram": [DATA / "telegram" / "full", DATA / "telegram" / "single" / "result.json"],
        "discourse": [
            DATA / "discourse" / "forum",
            DATA / "discourse" / "responses",
            DATA / "discourse" / "responses" / "u_frank.json",
        ],
    }
    (tmp_path / "orders.csv").write_text("order_id,amount\n1,2\n")
    for name, detect in DETECTORS.items():
        for kind, paths in exports.items():
            for p in paths:
                assert bool(detect(p)) is (kind == name), (name, p)  # True, or what matched
        assert detect(tmp_path / "orders.csv") is False
        assert detect(tmp_path / "missing") is False


def test_each_detect_recognises_only_its_own_real_sample(tmp_path):
    exports = {
        "slack": [sample("slack/testarchive.zip")],
        "discord": [sample("discord/zulip_dce_export_general.json")],
        "discourse": [_real_topic_with_likes(tmp_path / "sample")],
    }
    for name, detect in DETECTORS.items():
        for kind, paths in exports.items():
            for p in paths:
                assert bool(detect(p)) is (kind == name), (name, p)  # True, or what matched
