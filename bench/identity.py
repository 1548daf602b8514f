"""Identity transform on synthetic members: accounts on 3 platforms, 30 % with an e-mail
hash and 30 % with a phone hash drawn from n/2 values (so many chains form).

    python bench/identity.py [members]

Prints the time of ``apply`` (which resolves the identities once) and of collecting the
rewritten members plus the identity report.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl

from communityroi import SCHEMA, SourceContext
from plugins.transforms import identity


def members(n: int) -> pl.LazyFrame:
    i = pl.int_range(n)
    h = (i * 2654435761) % 1000003
    plat = pl.when(i % 3 == 0).then(pl.lit("wechat")).when(i % 3 == 1).then(pl.lit("discord"))
    cols = {
        "member_id": pl.format("m{}", i),
        "platform": plat.otherwise(pl.lit("telegram")),
        "group_id": pl.lit("g"),
        "email_hash": pl.when(h % 10 < 3).then(pl.format("e{}", h % (n // 2))),
        "phone_hash": pl.when((h // 10) % 10 < 3).then(pl.format("p{}", (h * 7) % (n // 2))),
    }
    schema = SCHEMA["members"].polars_schema
    return pl.select(
        cols[c].cast(t).alias(c) if c in cols else pl.lit(None, t).alias(c)
        for c, t in schema.items()
    ).lazy()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frames = {"members": members(n)}
    ctx = SourceContext(base_dir=Path("."), timezone="UTC", currency="CNY")
    t0 = time.perf_counter()
    out = identity.apply(frames, identity.IdentityOptions(), ctx)
    t1 = time.perf_counter()
    _, report = pl.collect_all([out["members"], out["identity_report"]])
    t2 = time.perf_counter()
    print(f"{n} members: apply {t1 - t0:.2f} s, collect {t2 - t1:.2f} s")
    print(report.row(0, named=True))


if __name__ == "__main__":
    main()
