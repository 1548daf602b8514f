"""Identity: one person's accounts across platforms become one member, and orders find
their buyer. Configured as ``[transforms.identity]``; runs after loading, before metrics.

Rules (never on display names):

1. **Explicit mapping** (``mapping = "people.csv"``, headers ``platform, member_id,
   person_id`` — rename with ``columns``): every listed account becomes ``person_id``. The
   mapping always wins: a mapped account is never moved by rule 2.
2. **Verified identifiers**: accounts that share an ``email_hash`` or a ``phone_hash``
   (exact SHA-256 match; both sides must have the value) — and, when ``match_on`` lists
   it, a ``customer_id`` (a shop's customer key such as the WeChat ``unionid``, which
   the wecom source gives its customers) — are one person, transitively
   (A shares an e-mail with B, B a phone with C → A, B, C): the connected components of
   the account–identifier graph, found by label propagation on integer codes (each round
   every identifier takes the smallest label of its accounts, every account the smallest
   label of its identifiers; mapped accounts keep theirs) until nothing changes, at most
   ``max_rounds`` (default 100) rounds; accounts still changing then are ``unsettled``.
   This step reads the members' id columns once when the transform runs (so the many
   uses downstream do not repeat it); everything returned stays lazy.
3. A merged person's id is its ``person_id`` from the mapping if it has one, else the
   ``member_id`` of its smallest account (ordered by platform, then member_id). Accounts
   that merge with nobody keep their id.

``members.member_id``/``invited_by`` and ``activities.member_id``/``target_member_id`` are
rewritten (per platform); members then hold one row per person and group (earliest join),
and a person's ``customer_id`` is shared by all its rows.

**Orders** link to a person through ``member_id`` (when that raw id is unique across
platforms), else ``customer_id`` = a member's ``customer_id``, else ``email_hash``, else
``phone_hash`` — a key is used only when it points at exactly one person.

**What could not be linked** is returned, lazily, as the extra frame
``frames["identity_report"]`` (one row): ``members`` (accounts), ``persons``,
``members_merged`` (accounts in a person of 2+), ``members_unlinked`` (persons with no
customer_id/email/phone and no linked order — they can never count as buyers),
``orders``, ``orders_linked``, ``orders_unlinked``, ``orders_ambiguous`` (a key matched
several persons), ``identifier_conflicts`` (hashes shared by accounts the mapping assigns to
different persons), ``unsettled``. The pipeline collects it with the data checks and shows
non-zero ``members_unlinked`` / ``orders_unlinked`` as a warning.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from communityroi import DataError, SourceContext, TransformSpec, hookimpl
from plugins.sources._io import blank_to_null, read_table

REPORT_COLUMNS = (
    "members",
    "persons",
    "members_merged",
    "members_unlinked",
    "orders",
    "orders_linked",
    "orders_unlinked",
    "orders_ambiguous",
    "identifier_conflicts",
    "unsettled",
)
MAPPING_HEADERS = {
    "platform": ("platform", "平台"),
    "member_id": ("member_id", "成员ID", "账号ID", "用户ID"),
    "person_id": ("person_id", "统一ID", "客户ID", "person"),
}
KEYS = ("email_hash", "phone_hash")
MATCHABLE = (*KEYS, "customer_id")  # customer_id only when match_on names it


class IdentityOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: str | None = None  # CSV/XLSX: platform, member_id, person_id
    columns: dict[str, str] = {}  # mapping file: canonical -> your header
    match_on: list[str] = Field(default_factory=lambda: list(KEYS))
    max_rounds: int = Field(100, ge=1, le=10_000)
    encoding: str | None = None


def _mapping(opts: IdentityOptions, ctx: SourceContext) -> pl.DataFrame:
    """(platform, member_id, person_id) from the mapping file, checked row by row."""
    schema = {"platform": pl.String, "member_id": pl.String, "person_id": pl.String}
    if opts.mapping is None:
        return pl.DataFrame(schema=schema)
    path = ctx.resolve(opts.mapping)
    raw = read_table(
        path,
        opts.columns,
        defaults=MAPPING_HEADERS,
        required=tuple(MAPPING_HEADERS),
        encoding=opts.encoding,
        origin=str(path),
    )
    m = raw.select(
        blank_to_null("platform").str.to_lowercase().alias("platform"),
        blank_to_null("member_id").alias("member_id"),
        blank_to_null("person_id").alias("person_id"),
        pl.int_range(pl.len()).alias("row"),
    ).collect()  # mapping files are small
    bad = m.filter(pl.any_horizontal(pl.col(c).is_null() for c in schema))
    if bad.height:
        raise DataError(
            f"{path} row {bad['row'][0] + 2}: platform, member_id and person_id must all be "
            f"filled in; complete or delete the row"
        )
    clash = (
        m.group_by("platform", "member_id")
        .agg(pl.col("person_id").n_unique().alias("n"), pl.col("row").max())
        .filter(pl.col("n") > 1)
        .sort("row")
    )
    if clash.height:
        c = clash.row(0, named=True)
        raise DataError(
            f"{path} row {c['row'] + 2}: {c['platform']} account {c['member_id']} is mapped "
            f"to more than one person_id; keep one"
        )
    return m.select(*schema).unique(["platform", "member_id"])


def _resolve(
    members: pl.LazyFrame, mapping: pl.DataFrame, keys: list[str], max_rounds: int
) -> tuple[pl.DataFrame, int, int]:
    """Accounts → person: (idmap, identifier conflicts, unsettled accounts)."""
    found = members.select("platform", "member_id", *keys).collect()
    acc = (
        found.select("platform", "member_id")
        .unique()
        .sort("platform", "member_id")
        .with_row_index("a")
        .join(mapping, on=["platform", "member_id"], how="left")
    )
    persons = acc["person_id"].drop_nulls().unique().sort()
    n_persons = persons.len()
    code = dict(zip(persons.to_list(), range(n_persons), strict=True))
    acc = acc.with_columns(
        pl.col("person_id").replace_strict(code, default=None, return_dtype=pl.Int64).alias("fixed")
    ).with_columns(pl.coalesce("fixed", pl.col("a").cast(pl.Int64) + n_persons).alias("label"))
    links = (
        pl.concat(
            [
                found.select("platform", "member_id", pl.format(f"{k[0]}:{{}}", k).alias("ident"))
                for k in keys
            ]
            or [
                pl.DataFrame(
                    schema={"platform": pl.String, "member_id": pl.String, "ident": pl.String}
                )
            ]
        )
        .drop_nulls()
        .join(acc.select("platform", "member_id", "a"), on=["platform", "member_id"])
        .select("a", pl.col("ident").rank("dense").cast(pl.Int64).alias("i"))
        .unique()
    )
    fixed = acc.select("a", "fixed")
    lab = acc.select("a", "label")
    unsettled = 0
    for _ in range(max_rounds):
        per_ident = links.join(lab, on="a").group_by("i").agg(pl.col("label").min())
        cand = links.join(per_ident, on="i").group_by("a").agg(pl.col("label").min().alias("c"))
        new = (
            lab.join(cand, on="a", how="left")
            .join(fixed, on="a")
            .select(
                "a",
                pl.coalesce("fixed", pl.min_horizontal("label", "c")).alias("label"),
            )
            .sort("a")
        )
        unsettled = int((new["label"] != lab["label"]).sum())
        lab = new
        if unsettled == 0:
            break
    conflicts = links.join(fixed.drop_nulls(), on="a").group_by("i").agg(pl.col("fixed").n_unique())
    acc = acc.drop("label").join(lab, on="a").sort("a")  # row a = account a, for gather
    idmap = acc.select(
        "platform",
        "member_id",
        "label",
        pl.when(pl.col("label") < n_persons)
        .then(
            pl.col("label").replace_strict(
                dict(enumerate(persons.to_list())), default=None, return_dtype=pl.String
            )
        )
        .otherwise(pl.col("member_id").gather(pl.col("label") - n_persons))
        .alias("person_id"),
    )
    return idmap, int((conflicts["fixed"] > 1).sum()), unsettled


def _unique_key(frame: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """key -> person when the key names exactly one person (else null = ambiguous)."""
    return (
        frame.filter(pl.col(key).is_not_null())
        .group_by(key)
        .agg(
            pl.when(pl.col("member_id").n_unique() == 1)
            .then(pl.col("member_id").first())
            .alias(f"_by_{key}"),
            (pl.col("member_id").n_unique() > 1).alias(f"_amb_{key}"),
        )
    )


def apply(
    frames: dict[str, pl.LazyFrame], opts: IdentityOptions, ctx: SourceContext
) -> dict[str, pl.LazyFrame]:
    if "members" not in frames:
        return frames
    unknown = sorted(set(opts.match_on) - set(MATCHABLE))
    if unknown:
        raise DataError(
            f"transform identity: match_on '{unknown[0]}' is not email_hash, phone_hash "
            f"or customer_id (display names are never used)"
        )
    idmap_df, conflicts, unsettled = _resolve(
        frames["members"], _mapping(opts, ctx), opts.match_on, opts.max_rounds
    )
    idmap = idmap_df.lazy()

    def rewrite(frame: pl.LazyFrame, col: str) -> pl.LazyFrame:
        m = idmap.select("platform", pl.col("member_id").alias(col), "person_id")
        return (
            frame.join(m, on=["platform", col], how="left")
            .with_columns(pl.coalesce("person_id", col).alias(col))
            .drop("person_id")
        )

    out = dict(frames)
    names = frames["members"].collect_schema().names()
    members = rewrite(rewrite(frames["members"], "member_id"), "invited_by")
    out["members"] = (
        members.with_columns(
            pl.col("customer_id").fill_null(
                pl.col("customer_id").drop_nulls().first().over("member_id")
            )
        )
        .sort("joined_at", nulls_last=True, maintain_order=True)
        .unique(["member_id", "group_id"], keep="first", maintain_order=True)
        .select(names)
    )
    if "activities" in frames:
        acts = frames["activities"]
        out["activities"] = rewrite(rewrite(acts, "member_id"), "target_member_id").select(
            acts.collect_schema().names()
        )
    orders_report = pl.LazyFrame({"orders": [0], "orders_linked": [0], "orders_ambiguous": [0]})
    if "orders" in frames:
        keys = ["customer_id", *(k for k in opts.match_on if k != "customer_id")]
        out["orders"], orders_report = _link_orders(frames["orders"], idmap, out["members"], keys)
    out["identity_report"] = _report(idmap, out, orders_report, conflicts, unsettled)
    return out


def _link_orders(
    orders: pl.LazyFrame, idmap: pl.LazyFrame, members: pl.LazyFrame, keys: list[str]
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    names = orders.collect_schema().names()
    by_raw = (
        idmap.group_by(pl.col("member_id").alias("_raw"))
        .agg(pl.col("label").n_unique().alias("_n"), pl.col("person_id").first().alias("_by_raw"))
        .filter(pl.col("_n") == 1)
        .drop("_n")
    )
    linked = orders.join(by_raw, left_on="member_id", right_on="_raw", how="left")
    amb = []
    for key in keys:
        linked = linked.join(_unique_key(members, key), on=key, how="left")
        amb.append(pl.col(f"_amb_{key}").fill_null(False))
    member = pl.coalesce(
        pl.when(pl.col("member_id").is_not_null()).then(pl.coalesce("_by_raw", "member_id")),
        *(f"_by_{k}" for k in keys),
    )
    known = members.select(pl.col("member_id").unique(), pl.lit(True).alias("_known"))
    linked = linked.with_columns(
        member.alias("member_id"), pl.any_horizontal(amb).alias("_ambiguous")
    ).join(known, on="member_id", how="left")
    report = linked.select(
        pl.len().alias("orders"),
        pl.col("_known").fill_null(False).sum().alias("orders_linked"),
        (pl.col("_known").is_null() & pl.col("_ambiguous")).sum().alias("orders_ambiguous"),
    )
    return linked.select(names), report


def _report(
    idmap: pl.LazyFrame, out: dict, orders_report: pl.LazyFrame, conflicts: int, unsettled: int
) -> pl.LazyFrame:
    sizes = idmap.group_by("label").agg(pl.len().alias("n"))
    keys = (
        out["members"]
        .group_by("member_id")
        .agg(
            pl.any_horizontal(pl.col(k).is_not_null().any() for k in ("customer_id", *KEYS)).alias(
                "has_key"
            )
        )
    )
    unlinked = keys.filter(~pl.col("has_key"))
    if "orders" in out:
        unlinked = unlinked.join(
            out["orders"].select("member_id").unique(), on="member_id", how="anti"
        )
    parts = [
        idmap.select(pl.len().alias("members"), pl.col("label").n_unique().alias("persons")),
        sizes.select(pl.col("n").filter(pl.col("n") > 1).sum().alias("members_merged")),
        unlinked.select(pl.len().alias("members_unlinked")),
        orders_report,
        pl.LazyFrame({"identifier_conflicts": [conflicts], "unsettled": [unsettled]}),
    ]
    report = pl.concat(parts, how="horizontal").with_columns(
        (pl.col("orders") - pl.col("orders_linked")).alias("orders_unlinked")
    )
    return report.select(pl.col(c).cast(pl.Int64) for c in REPORT_COLUMNS)


@hookimpl
def communityroi_transforms() -> list[TransformSpec]:
    return [
        TransformSpec(
            name="identity",
            description="Merge one person's accounts (explicit mapping, exact email/phone "
            "hashes) and link orders to members",
            apply=apply,
            options=IdentityOptions,
            order=10,
        )
    ]
