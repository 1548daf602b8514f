"""Bench: load a large synthetic Slack workspace export through the ``slack`` source.

Generates an export in a temporary folder (``users.json``, ``channels.json`` and one JSON
file per channel per day, in Slack's format, with threads, mentions, reactions, joins and
bot posts), optionally zips it, then times ``check_source`` (read every day-file, build and
conform the canonical frames, collect them) and reports the peak resident memory.

    python bench/bench_slack.py                      # 40 channels × 250 days × 100 = 1 M posts
    python bench/bench_slack.py --zip                # the same, read from a zip
    python bench/bench_slack.py --per-day 20         # smaller

The Python-side peak is one day-file: each file is cut down to narrow columns when read.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from communityroi.testing import check_source
from plugins.sources import slack

START = 1_672_531_200  # 2023-01-01 UTC


def generate(root: Path, channels: int, days: int, per_day: int, users: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    ids = [f"U{i:08d}" for i in range(users)]
    people = [
        {
            "id": u,
            "name": f"user{i}",
            "real_name": f"User {i}",
            "is_bot": False,
            "profile": {"display_name": f"u{i}", "real_name": f"User {i}"},
        }
        for i, u in enumerate(ids)
    ]
    people.append({"id": "UBOT00001", "name": "bot", "is_bot": True, "profile": {}})
    (root / "users.json").write_text(json.dumps(people))
    chans = [
        {
            "id": f"C{c:08d}",
            "name": f"channel-{c}",
            "created": START,
            "members": [ids[j] for j in rng.choice(users, 50, replace=False)],
        }
        for c in range(channels)
    ]
    (root / "channels.json").write_text(json.dumps(chans))
    total = 0
    for c in chans:
        folder = root / c["name"]
        folder.mkdir()
        last_parent: tuple[str, str] | None = None
        for d in range(days):
            day0 = START + d * 86_400
            secs = np.sort(rng.integers(0, 86_400, per_day))
            who = rng.integers(0, users, per_day)
            roll = rng.random((per_day, 4))
            msgs = []
            for k in range(per_day):
                ts = f"{day0 + int(secs[k])}.{k:06d}"
                user = ids[who[k]]
                if roll[k, 0] < 0.03:
                    msgs.append(
                        {
                            "type": "message",
                            "subtype": "bot_message",
                            "bot_id": "B1",
                            "text": "build passed",
                            "ts": ts,
                        }
                    )
                    continue
                if roll[k, 0] < 0.05:
                    msgs.append(
                        {
                            "type": "message",
                            "subtype": "channel_join",
                            "user": user,
                            "inviter": ids[who[k - 1]],
                            "ts": ts,
                            "text": f"<@{user}> has joined the channel",
                        }
                    )
                    continue
                text = "lorem ipsum dolor sit amet " * 4
                if roll[k, 1] < 0.2:
                    text += f" <@{ids[who[k - 1]]}>"
                m = {
                    "client_msg_id": f"{c['id']}-{d}-{k}",
                    "type": "message",
                    "user": user,
                    "text": text,
                    "ts": ts,
                    "team": "T1",
                    "blocks": [],
                }
                if roll[k, 2] < 0.15 and last_parent:
                    m["thread_ts"], m["parent_user_id"] = last_parent
                elif roll[k, 2] > 0.9:
                    m["thread_ts"] = ts
                    last_parent = (ts, user)
                if roll[k, 3] < 0.1:
                    m["reactions"] = [
                        {"name": "+1", "count": 2, "users": [ids[who[k - 1]], ids[who[k - 2]]]}
                    ]
                msgs.append(m)
            (folder / f"2023-{1 + d // 28:02d}-{1 + d % 28:02d}.json").write_text(
                json.dumps(msgs, indent=4)
            )
            total += len(msgs)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--channels", type=int, default=40)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--per-day", type=int, default=100)
    ap.add_argument("--users", type=int, default=5_000)
    ap.add_argument("--zip", action="store_true", help="read the export from a zip")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        root.mkdir()
        t0 = time.perf_counter()
        n = generate(root, args.channels, min(args.days, 336), args.per_day, args.users, 7)
        size = sum(f.stat().st_size for f in root.rglob("*.json"))
        files = sum(1 for _ in root.rglob("*.json"))
        print(
            f"generated {n:,} messages in {files:,} files, {size / 2**20:,.0f} MiB "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        path = root
        if args.zip:
            path = Path(tmp) / "export.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(root.rglob("*.json")):
                    zf.write(f, f.relative_to(root).as_posix())
            print(f"zipped: {path.stat().st_size / 2**20:,.0f} MiB")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        out = check_source(slack.communityroi_sources()[0], {"path": str(path)})
        took = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kinds = dict(out["activities"].group_by("kind").len().sort("kind").iter_rows())
        print(
            f"loaded in {took:.2f} s; peak RSS {peak:,.0f} MiB (before loading {before:,.0f} MiB)"
        )
        print(
            f"activities {out['activities'].height:,} {kinds}; member rows "
            f"{out['members'].height:,}"
        )


if __name__ == "__main__":
    main()
