"""Slack: the workspace export's users, channels and day-files, read into narrow frames.

Day-files are read channel by channel in batches of about ``BATCH_BYTES`` (their JSON lists
spliced into one; a batch that does not parse is read again file by file so the error
names the bad file), with an explicit schema, and cut down at once to the columns the
mapping in ``slack.py`` needs.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import polars as pl

from communityroi import DataError, SourceContext
from plugins.sources._chat import UTC
from plugins.sources._json_io import Export, read_records, require

MENTION = r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>"

_USER = pl.Schema(
    {
        "id": pl.String,
        "name": pl.String,
        "real_name": pl.String,
        "is_bot": pl.Boolean,
        "profile": pl.Struct({"display_name": pl.String, "real_name": pl.String}),
    }
)
_CHANNEL = pl.Schema(
    {"id": pl.String, "name": pl.String, "created": pl.String, "members": pl.List(pl.String)}
)
_MESSAGE = pl.Schema(
    {
        "subtype": pl.String,
        "user": pl.String,
        "bot_id": pl.String,
        "ts": pl.String,
        "thread_ts": pl.String,
        "parent_user_id": pl.String,
        "inviter": pl.String,
        "text": pl.String,
        "reactions": pl.List(
            pl.Struct({"name": pl.String, "users": pl.List(pl.String), "count": pl.Int64})
        ),
    }
)


def export_root(ex: Export) -> str:
    """The folder inside the export holding channels.json ('' or 'name/')."""
    roots = sorted(
        str(PurePosixPath(n).parent) for n in ex.names if PurePosixPath(n).name == "channels.json"
    )
    roots = [r for r in roots if r == "." or "/" not in r]
    if not roots:
        raise DataError(
            f"{ex.label}: no channels.json found; is this a Slack workspace "
            "export (zip or unzipped folder)?"
        )
    return "" if roots[0] == "." else roots[0] + "/"


def seconds(col: str) -> pl.Expr:
    return (pl.col(col).cast(pl.Float64, strict=False) * 1_000_000).cast(pl.Int64).cast(UTC)


def read_users(ex: Export, root: str) -> pl.DataFrame:
    name = next((root + f for f in ("users.json", "org_users.json") if root + f in ex.names), None)
    if name is None:
        raise DataError(
            f"{ex.label}: no users.json (or org_users.json) next to channels.json; "
            "export the workspace again with its member list"
        )
    users = read_records(ex.read(name), _USER, ex.origin(name), "user")
    require(users, ("id",), ex.origin(name), "user")
    return users.select(
        pl.col("id").alias("member_id"),
        pl.coalesce(
            pl.col("profile").struct.field("display_name").replace("", None),
            pl.col("real_name").replace("", None),
            pl.col("profile").struct.field("real_name").replace("", None),
            pl.col("name"),
        ).alias("display_name"),
        (pl.col("is_bot").fill_null(False) | (pl.col("id") == "USLACKBOT")).alias("is_bot"),
    )


def read_channels(
    ex: Export, root: str, names: list[str] | None, include_private: bool
) -> pl.DataFrame:
    """channels.json (and groups.json when ``include_private``), only ``names`` if given."""
    files = ["channels.json"] + (["groups.json"] if include_private else [])
    parts = []
    for f in files:
        if root + f not in ex.names:
            continue
        origin = ex.origin(root + f)
        frame = read_records(ex.read(root + f), _CHANNEL, origin, "channel")
        require(frame, ("id", "name"), origin, "channel")
        parts.append(frame.with_columns(pl.lit(f == "groups.json").alias("private")))
    channels = pl.concat(parts)
    if names is not None:
        unknown = sorted(set(names) - set(channels["name"].to_list()))
        if unknown:
            raise DataError(
                f"{ex.label}: channel '{unknown[0]}' named in 'channels' is not in "
                f"the export (found: {', '.join(channels['name'].to_list())})"
            )
        channels = channels.filter(pl.col("name").is_in(names))
    return channels


BATCH_BYTES = 32 * 2**20  # day-files are read together in batches of about this size


def _day(data: bytes, origin: str, channel_id: str) -> pl.DataFrame:
    """Day-file(s) cut down to the columns the mapping needs (text → mention ids)."""
    df = read_records(data, _MESSAGE, origin, "message")
    require(df, ("ts",), origin, "message")
    bad = df.select((pl.col("ts").cast(pl.Float64, strict=False).is_null()).arg_true().first())
    if bad.item() is not None:
        i = bad.item()
        raise DataError(
            f"{origin}: message {i + 1}: 'ts' is '{df['ts'][i]}', not a Slack "
            "timestamp such as 1454884927.000002; the export is damaged"
        )
    return df.select(
        pl.lit(channel_id).alias("group_id"),
        pl.exclude("text", "reactions"),
        pl.col("text")
        .str.extract_all(MENTION)
        .list.eval(pl.element().str.extract(MENTION))
        .list.unique(maintain_order=True)
        .alias("mentions"),
        pl.col("reactions")
        .list.eval(pl.element().struct.field("users").explode().drop_nulls())
        .alias("reactors"),
    )


def _inner(data: bytes) -> bytes | None:
    """The items of a JSON list as bytes (None when the file is not a plain list)."""
    body = data.strip().removeprefix(b"\xef\xbb\xbf").strip()
    if not (body.startswith(b"[") and body.endswith(b"]")):
        return None
    return body[1:-1].strip()


def _batch(ex: Export, names: list[str], channel_id: str) -> pl.DataFrame:
    """Several day-files of one channel read as one list (the per-file Polars overhead
    dominates otherwise); if that fails, each file is read alone to name the bad one."""
    blobs = [ex.read(n) for n in names]
    inner = [_inner(b) for b in blobs]
    if len(names) > 1 and all(i is not None for i in inner):
        joined = b"[" + b",".join(i for i in inner if i) + b"]"
        try:
            return _day(joined, ex.origin(names[0]), channel_id)
        except DataError:
            pass
    parts = [_day(b, ex.origin(n), channel_id) for b, n in zip(blobs, names, strict=True)]
    return pl.concat(parts)


def read_messages(ex: Export, root: str, channels: pl.DataFrame, ctx: SourceContext):
    by_folder: dict[str, list[str]] = {}
    for name in ex.files():
        folder = name[len(root) :].rpartition("/")[0]
        if name.startswith(root) and folder and "/" not in folder:
            by_folder.setdefault(folder, []).append(name)
    parts: list[pl.DataFrame] = []
    for channel_id, channel_name in channels.select("id", "name").iter_rows():
        days = by_folder.get(channel_name, [])
        ctx.progress(f"slack: reading #{channel_name} ({len(days)} day files)")
        batch: list[str] = []
        size = 0
        for name in days:
            batch.append(name)
            size += ex.size(name)
            if size >= BATCH_BYTES:
                parts.append(_batch(ex, batch, channel_id))
                batch, size = [], 0
        if batch:
            parts.append(_batch(ex, batch, channel_id))
    if not parts:
        return (
            pl.DataFrame(schema={"group_id": pl.String, **_MESSAGE})
            .drop("text", "reactions")
            .with_columns(
                pl.lit(None, pl.List(pl.String)).alias("mentions"),
                pl.lit(None, pl.List(pl.String)).alias("reactors"),
            )
        )
    return pl.concat(parts, how="vertical_relaxed", rechunk=True)
