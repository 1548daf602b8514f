"""``communityroi reveal LABEL [CONFIG]``: who is behind a pseudonym, for the operator.

Needs the key that made the label (``privacy.key``, ``privacy.key_file``,
``COMMUNITYROI_PRIVACY__KEY`` or the user's key file — never a new one) and the data:
it loads CONFIG's sources, hashes every person key (member ids, inviters, reply targets,
buyers) and prints the ids whose full label starts with LABEL. ``--demo`` reads the demo
community with the published demo key.

Declared in ``plugins.COMMANDS`` (as a plugin declares a ``communityroi.commands`` entry
point): Polars and the data code load when the command runs, not for ``--help``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from communityroi import ConfigError
from communityroi.cli import friendly, load_settings

if TYPE_CHECKING:
    import polars as pl

_LABEL = re.compile(r"^(?:M-)?([0-9A-Fa-f]{8,16})$")


def reveal_ids(label: str, settings) -> pl.DataFrame:
    """``id``, ``label``, ``full``: the people whose full label starts with ``label``."""
    import polars as pl

    from core.pipeline import load, registry_for
    from core.privacy import PREFIX, label_map, resolve_key
    from core.schema import PERSON_TABLES, SCHEMA

    m = _LABEL.match(label.strip())
    if not m:
        raise ConfigError(f"'{label}' is not a label like M-1A2B3C4D (8–16 hex digits)")
    key = resolve_key(settings.privacy, base_dir=settings.base_dir, create=False)
    _loaded, data = load(settings, registry_for(settings), materialize=False)
    ids = pl.concat(
        [
            data.frame(t).select(pl.col(c).cast(pl.String).alias("id"))
            for t in PERSON_TABLES
            for c in SCHEMA[t].person_keys
        ]
    ).unique()
    mapping = label_map(ids.collect()["id"], key.secret)
    want = m.group(1).upper()
    return mapping.filter(pl.col("full").str.starts_with(want)).with_columns(
        (pl.lit(PREFIX) + pl.col("full")).alias("full")
    )


@click.command()
@click.argument("label")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--demo", is_flag=True, help="Reveal a label of the demo report.")
@friendly
def reveal(label: str, config: Path | None, demo: bool):
    """Print the member id behind LABEL (needs the key and CONFIG's data)."""
    if demo:
        from core.privacy import DEMO_KEY
        from plugins.sources import demo as d

        settings = load_settings(
            None,
            sources=[{"type": "demo"}],
            report={"period_start": d.DEMO_PERIOD_START, "period_end": d.DEMO_PERIOD_END,
                    "timezone": d.DEMO_TIMEZONE, "currency": d.DEMO_CURRENCY},
            privacy={"key": DEMO_KEY},
        )  # fmt: skip
    elif config is None:
        raise ConfigError("give the report.toml the label's report was made from (or --demo)")
    else:
        settings = load_settings(config)
    found = reveal_ids(label, settings)
    if found.is_empty():
        raise ConfigError(
            f"no member of this data has the label {label} under this key "
            f"(a different key or different data made it)"
        )
    for row in found.iter_rows(named=True):
        click.echo(f"{row['full']}\t{row['id']}")
