"""The member scorecard: the ``communityroi_member_scores`` hook, the built-in columns on
hand-computed cases, and ``--format members`` (members.csv with a BOM, members.parquet)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import networkx as nx
import polars as pl
import pytest

from communityroi import ColumnInfo, MemberScores, MemberScoreSpec, T, hookimpl
from communityroi.testing import make_data, plugin_registry, sample_data
from core.errors import PluginError
from core.pipeline import build_report, compute_all, render
from core.settings import load_settings

ALL = ("influence", "loyalty", "clv", "actions")


def _setup(data, *, plugins=(), metrics=ALL, options=None, show_names=True, strict=True):
    registry = plugin_registry(*plugins, builtins=("metrics", "renderers"), strict=strict)
    registry.metrics = {
        k: v for k, v in registry.metrics.items() if k in metrics or not v[1].builtin
    }
    settings = load_settings(
        None,
        report={"period_start": data.period.start, "period_end": data.period.end,
                "timezone": data.timezone, "currency": data.currency, "language": "en"},
        metrics=dict(options or {}),
        privacy={"pseudonymize": not show_names},
        plugins={"strict": strict},
    )  # fmt: skip
    return settings, registry


def card(data, **kw) -> pl.DataFrame:
    settings, registry = _setup(data, **kw)
    _sections, members = compute_all(settings, registry, data, members=True)
    return members.data.sort("member_id")  # the scorecard comes in no set order


def _row(df: pl.DataFrame, member: str) -> dict:
    return df.filter(pl.col("member_id") == member).row(0, named=True)


def test_profile_columns_on_the_sample_community():
    df = card(sample_data())
    assert df["member_id"].to_list() == ["m1", "m2", "m3", "m4", "m5"]
    expected = {  # hand-computed from communityroi.testing.sample_tables (October 2026)
        "m1": dict(tenure_days=60, activities=3, activities_total=4, active_days=3,
                   days_inactive=20, orders=1, revenue=199.0, invites_sent=1, referrals=1,
                   stage="active"),
        "m2": dict(tenure_days=46, activities=2, activities_total=3, active_days=2,
                   days_inactive=16, orders=1, revenue=99.0, invites_sent=0, referrals=0,
                   stage="active"),
        "m3": dict(tenure_days=28, activities=1, activities_total=1, active_days=1,
                   days_inactive=27, orders=0, revenue=0.0, stage="new"),
        "m4": dict(tenure_days=21, activities=1, activities_total=1, active_days=1,
                   days_inactive=20, orders=1, revenue=59.9, stage="new"),
        "m5": dict(activities=0, activities_total=1, active_days=0, days_inactive=39,
                   orders=0, stage="left"),
    }  # fmt: skip
    for member, values in expected.items():
        row = _row(df, member)
        assert {k: row[k] for k in values} == values, member
    assert _row(df, "m1")["platforms"] == "test"
    assert _row(df, "m5")["left_at"] is not None and _row(df, "m1")["left_at"] is None


def test_platforms_union_of_memberships_and_activities():
    """platforms = the distinct platforms of a person's memberships and activities, sorted,
    joined by ","; people on one platform take a shorter path than the others, so both
    kinds are checked."""
    at = "2026-10-05 10:00"
    members = [
        {"member_id": "same", "platform": "wechat", "joined_at": "2026-09-01", "group_id": "g"},
        {"member_id": "two", "platform": "wechat", "joined_at": "2026-09-01", "group_id": "g"},
        {"member_id": "listed2", "platform": "wecom", "joined_at": "2026-09-01", "group_id": "g"},
        {"member_id": "listed2", "platform": "discord", "joined_at": "2026-09-02", "group_id": "h"},
        {"member_id": "quiet", "platform": "slack", "joined_at": "2026-09-01", "group_id": "g"},
    ]
    acts = [
        {"member_id": "same", "platform": "wechat", "at": at, "kind": "message"},
        {"member_id": "two", "platform": "discord", "at": at, "kind": "message"},
        {"member_id": "many", "platform": "telegram", "at": at, "kind": "message"},
        {"member_id": "many", "platform": "slack", "at": at, "kind": "reply"},
        {"member_id": "many", "platform": "discord", "at": at, "kind": "reply"},
        {"member_id": "only", "platform": "discourse", "at": at, "kind": "message"},
        {"member_id": "listed2", "platform": "wecom", "at": at, "kind": "message"},
    ]
    data = make_data({"members": members, "activities": acts},
                     start=date(2026, 10, 1), end=date(2026, 10, 31))  # fmt: skip
    df = card(data, metrics=())
    got = dict(zip(df["member_id"], df["platforms"], strict=True))
    assert got == {
        "same": "wechat",
        "two": "discord,wechat",
        "listed2": "discord,wecom",
        "many": "discord,slack,telegram",
        "only": "discourse",
        "quiet": "slack",
    }


def test_loyalty_and_clv_columns_hand_computed():
    df = card(sample_data())
    # love = Σ weight × 0.9^(months ago): m1 Oct 1+1+2, Sep 1 → 4 + 0.9
    love = {r["member_id"]: r["loyalty"] for r in df.iter_rows(named=True)}
    assert love == pytest.approx({"m1": 4.9, "m2": 3.9, "m3": 1.0, "m4": 1.0, "m5": 0.9})
    assert df["loyalty_tier"].to_list() == ["casual", "casual", "casual", "casual", None]
    # one order each; R: recency 26, 19, 11 days → scores 1, 2, 4; only m4 is "new"
    assert df["rfm_segment"].to_list() == ["hibernating", "hibernating", None, "new", None]
    assert df["clv_observed"].to_list() == [199.0, 99.0, None, 59.9, None]
    # 3 customers < min_customers (50): no BG/NBD fit, so no prediction
    assert df["clv_predicted"].null_count() == 5 and df["p_alive"].null_count() == 5


def test_influence_is_pagerank_and_its_percentile():
    df = card(sample_data())
    # edges: m2 → m1 (reply), m1 → m4 (reply), m4 → m1 (invitation, weight 2)
    g = nx.DiGraph()
    g.add_weighted_edges_from([("m2", "m1", 1.0), ("m1", "m4", 1.0), ("m4", "m1", 2.0)])
    ref = nx.pagerank(g, tol=1e-13, max_iter=1000)
    for member, score in ref.items():
        assert _row(df, member)["influence"] == pytest.approx(score, abs=1e-9)
    order = sorted(ref, key=ref.get)  # m2 < m4 < m1
    assert [_row(df, m)["influence_pct"] for m in order] == pytest.approx([100 / 3, 200 / 3, 100])
    assert _row(df, "m3")["influence"] is None and _row(df, "m3")["influence_pct"] is None


def _karate() -> pl.DataFrame:
    rows = []
    for u, v in nx.karate_club_graph().edges():
        for a, b in ((u, v), (v, u)):
            rows.append(dict(member_id=f"m{a:02d}", platform="discord", at="2026-03-05 12:00",
                             kind="reply", target_member_id=f"m{b:02d}"))  # fmt: skip
    return pl.DataFrame(rows)


def test_members_csv_on_karate_club_equals_networkx_pagerank(tmp_path):
    data = make_data({"activities": _karate()}, start=date(2026, 3, 1), end=date(2026, 3, 31))
    settings, registry = _setup(data, options={"influence": {"weighted": False, "tol": 1e-13}})
    sections, members = compute_all(settings, registry, data, members=True)
    report = build_report(settings, sections, data, [], members=members)
    written = render(settings, registry, report, ["members"], tmp_path)
    assert [p.name for p in written] == ["members.csv", "members.parquet"]
    raw = (tmp_path / "members.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfmember,")
    csv = pl.read_csv(io.BytesIO(raw[3:]))
    ref = nx.pagerank(nx.karate_club_graph(), weight=None, tol=1e-13, max_iter=1000)
    got = dict(zip(csv["member"], csv["influence"], strict=True))
    assert len(got) == 34
    for node, score in ref.items():
        assert got[f"m{node:02d}"] == pytest.approx(score, abs=1e-6)
    parquet = pl.read_parquet(tmp_path / "members.parquet")
    assert parquet.height == 34 and parquet.columns == csv.columns


def test_members_csv_is_pseudonymised_and_has_no_names(tmp_path):
    data = sample_data()
    settings, registry = _setup(data, show_names=False)
    sections, members = compute_all(settings, registry, data, members=True)
    report = build_report(settings, sections, data, [], members=members)
    render(settings, registry, report, ["members"], tmp_path)
    text = (tmp_path / "members.csv").read_text(encoding="utf-8-sig")
    for secret in ("m1", "阿茶", "小叶", "Lin", "Wu"):
        assert secret not in text
    labels = pl.read_parquet(tmp_path / "members.parquet")["member"]
    assert labels.str.contains(r"^M-[0-9A-F]{8,16}$").all() and labels.n_unique() == 5
    assert labels.is_sorted()  # sorted by label, so the id order is not revealed
    # the same person has the same label in the report tables
    top = report.section("loyalty").table("top_loyal").data["member_id"]
    assert set(top) <= set(labels)


def test_members_file_with_names_is_sorted_by_id(tmp_path):
    """The scorecard is assembled in no set order; the written file is sorted by id
    (with --show-names; pseudonymised files are sorted by label, above)."""
    data = sample_data()
    settings, registry = _setup(data, show_names=True)
    sections, members = compute_all(settings, registry, data, members=True)
    scrambled = replace(members, data=members.data.reverse())
    report = build_report(settings, sections, data, [], members=scrambled)
    render(settings, registry, report, ["members"], tmp_path)
    ids = pl.read_parquet(tmp_path / "members.parquet")["member"]
    assert ids.to_list() == sorted(ids.to_list()) and ids.len() == 5


class Third:
    """A third-party plugin adding one column and one derived column."""

    @hookimpl
    def communityroi_member_scores(self):
        def compute(data, _opts):
            return data.activities.group_by("member_id").agg(
                pl.col("kind").eq("checkin").sum().alias("checkins")
            )

        def derive(card, _opts):
            return card.with_columns(busy=pl.col("activities") >= 3)

        return [
            MemberScoreSpec("checkins", "Check-ins", {"checkins": ColumnInfo(T("C", "C"), "count")},
                            compute=compute),
            MemberScoreSpec("busy", "Busy", {"busy": ColumnInfo(T("B", "B"))}, derive=derive),
        ]  # fmt: skip


def test_hook_communityroi_member_scores_adds_columns_of_any_plugin():
    df = card(sample_data(), plugins=[Third()])
    assert df["checkins"].to_list() == [0, 0, 1, 0, 0]
    assert df["busy"].to_list() == [True, False, False, False, False]


def test_derived_columns_are_made_stable_like_every_other_column():
    """Derived columns come after the parts were made stable: the scorecard rounds their
    floats to 12 significant digits and turns Categorical values into text too."""

    class Derived:
        @hookimpl
        def communityroi_member_scores(self):
            def derive(card, _opts):
                return card.with_columns(
                    third=pl.col("activities") / 3 * (1 + 1e-14),
                    tag=pl.lit("x").cast(pl.Categorical),
                )

            cols = {"third": ColumnInfo(T("T", "T"), "ratio"), "tag": ColumnInfo(T("G", "G"))}
            return [MemberScoreSpec("third", "Third", cols, derive=derive)]

    df = card(sample_data(), plugins=[Derived()])
    assert df.schema["tag"] == pl.String and set(df["tag"]) == {"x"}
    expected = (df["activities"] / 3).round_sig_figs(12)
    assert df["third"].to_list() == expected.to_list()


def test_member_scores_with_a_numpy_build_step():
    class Plugin:
        @hookimpl
        def communityroi_member_scores(self):
            def compute(data, _opts):
                lf = data.members.select(pl.col("member_id").cast(pl.String))
                return MemberScores({"ids": lf}, lambda got: got["ids"].with_columns(n=pl.len()))

            return [MemberScoreSpec("n", "N", {"n": ColumnInfo(T("N", "N"))}, compute=compute)]

    assert card(sample_data(), plugins=[Plugin()])["n"].to_list() == [5] * 5


def test_a_failing_or_bad_plugin_is_named_and_left_out():
    class Broken:
        @hookimpl
        def communityroi_member_scores(self):
            def dupes(data, _opts):
                return pl.concat([data.members.select("member_id")] * 2).with_columns(x=1)

            return [MemberScoreSpec("dupes", "d", {"x": ColumnInfo(T("x", "x"))}, compute=dupes)]

    with pytest.raises(PluginError, match=r"member scores 'dupes'.*not unique"):
        card(sample_data(), plugins=[Broken()])
    settings, registry = _setup(sample_data(), plugins=[Broken()], strict=False)
    _s, members = compute_all(settings, registry, sample_data(), members=True)
    assert "x" not in members.data.columns and "loyalty" in members.data.columns
    assert any("member scores 'dupes'" in w for w in registry.warnings)


def test_columns_of_a_disabled_metric_are_left_out():
    df = card(sample_data(), metrics=("loyalty",))
    assert "loyalty" in df.columns and "influence" not in df.columns
    assert "act_at_risk" not in df.columns and "stage" in df.columns


def test_a_hash_collision_never_puts_two_members_in_one_row(monkeypatch):
    """The scorecard's parts are joined on a 64-bit hash of the id; when two different
    ids share a hash (forced here: every id gets the same key) the parts are joined on the
    text instead, so the table is the same row for row."""
    import core.scorecard as sc

    expected = card(sample_data())
    collide = pl.when(pl.col("member_id").is_not_null()).then(pl.lit(7, pl.UInt64))
    monkeypatch.setattr(
        sc,
        "_hash_key",
        lambda column: collide.alias("_key") if column == "member_id" else
        pl.when(pl.col(column).is_not_null()).then(pl.lit(7, pl.UInt64)).alias("_key"),
    )  # fmt: skip
    got = card(sample_data())
    assert got.height == expected.height == 5
    assert got.equals(expected)


class Helpers:
    """A third-party plugin whose columns are named like the hash join's own helper
    columns (``_id``, ``_key``, ``_clash``): a plugin may name its columns anything."""

    @hookimpl
    def communityroi_member_scores(self):
        def compute(data, _opts):
            ids = data.members.select(pl.col("member_id").cast(pl.String))
            return ids.with_columns(_id=pl.lit(1), _key=pl.col("member_id").str.tail(1))

        def derive(card, _opts):
            return card.with_columns(_clash=pl.col("activities") == 0)

        def col(name: str) -> ColumnInfo:
            return ColumnInfo(T(name, name))

        return [
            MemberScoreSpec("ids", "I", {"_id": col("_id"), "_key": col("_key")}, compute=compute),
            MemberScoreSpec("flag", "F", {"_clash": col("_clash")}, derive=derive),
        ]


def test_plugin_columns_named_like_the_hash_join_helpers_come_out_as_returned():
    df = card(sample_data(), plugins=[Helpers()])
    assert df["member_id"].to_list() == ["m1", "m2", "m3", "m4", "m5"]
    assert df["_id"].to_list() == [1] * 5
    assert df["_key"].to_list() == ["1", "2", "3", "4", "5"]
    # activities in October: m1 3, m2 2, m3 1, m4 1 (the join is not engaged), m5 0
    assert df["_clash"].to_list() == [False, False, False, False, True]
    assert df["loyalty"].to_list() == pytest.approx([4.9, 3.9, 1.0, 1.0, 0.9])


def test_a_derived_column_named_clash_is_kept_when_all_false():
    class Flag:
        @hookimpl
        def communityroi_member_scores(self):
            def derive(card, _opts):  # no member has more than 3 activities in October
                return card.with_columns(_clash=pl.col("activities") > 3)

            cols = {"_clash": ColumnInfo(T("c", "c"))}
            return [MemberScoreSpec("flag", "F", cols, derive=derive)]

    assert card(sample_data(), plugins=[Flag()])["_clash"].to_list() == [False] * 5
