"""Influence metric: PageRank against networkx, reach and K-factor against hand-computed
values."""

from __future__ import annotations

from datetime import date

import networkx as nx
import numpy as np
import polars as pl
import pytest

from communityroi.testing import make_data, run_metric
from plugins.metrics.influence import SPEC, _top
from plugins.metrics.pagerank import pagerank, pagerank_edges, transition


def _edge_arrays(graph: nx.DiGraph, weight: str | None):
    rows = [(u, v, d.get(weight, 1.0) if weight else 1.0) for u, v, d in graph.edges(data=True)]
    src, dst, w = (np.array(c) for c in zip(*rows, strict=True))
    return src.astype(int), dst.astype(int), w.astype(float)


def _reference(graph: nx.DiGraph, weight: str | None) -> np.ndarray:
    # networkx stops when the L1 change < N × tol: use a tiny tol for a converged reference.
    ref = nx.pagerank(graph, alpha=0.85, weight=weight, tol=1e-12, max_iter=1000)
    return np.array([ref[v] for v in range(graph.number_of_nodes())])


@pytest.mark.parametrize("weight", ["weight", None])
def test_pagerank_matches_networkx_on_karate_club(weight):
    graph = nx.karate_club_graph().to_directed()  # undirected edges become both directions
    src, dst, w = _edge_arrays(graph, weight)
    got = pagerank_edges(src, dst, w, n=34, tol=1e-13)
    assert got.converged and got.scores.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(got.scores, _reference(graph, weight), rtol=0, atol=1e-9)


def test_pagerank_matches_networkx_with_dangling_and_isolated_nodes():
    graph = nx.gnp_random_graph(60, 0.04, seed=3, directed=True)
    graph.add_node(60)  # isolated
    rng = np.random.default_rng(7)
    for u, v in graph.edges:
        graph[u][v]["weight"] = float(rng.integers(1, 6))
    dangling = [v for v in graph if graph.out_degree(v) == 0]
    assert len(dangling) >= 3
    src, dst, w = _edge_arrays(graph, "weight")
    order = np.argsort(-dst)  # unsorted input must give the same result
    got = pagerank_edges(src[order], dst[order], w[order], n=61, tol=1e-13)
    np.testing.assert_allclose(got.scores, _reference(graph, "weight"), rtol=0, atol=1e-9)
    assert got.scores[60] > 0


def test_pagerank_edge_cases():
    assert pagerank(transition(np.array([]), np.array([]), None, 0)).scores.size == 0
    only_dangling = pagerank(transition(np.array([]), np.array([]), None, 4))
    np.testing.assert_allclose(only_dangling.scores, 0.25)
    with pytest.raises(ValueError, match="≥ 0"):
        transition(np.array([0]), np.array([1]), np.array([-1.0]), 2)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        transition(np.array([0]), np.array([2]), None, 2)
    slow = pagerank(transition(np.array([0, 1]), np.array([1, 2]), None, 3), max_iter=2)
    assert not slow.converged and slow.iterations == 2


def _karate_activities() -> list[dict]:
    """One reply per unit of weight, for every direction of every karate-club edge."""
    graph = nx.karate_club_graph()
    rows = []
    for u, v, d in graph.edges(data=True):
        for a, b in ((u, v), (v, u)):
            rows += [
                dict(member_id=f"m{a:02d}", platform="discord", at="2026-03-05 12:00",
                     kind="reply", target_member_id=f"m{b:02d}")
            ] * int(d["weight"])  # fmt: skip
    return rows


@pytest.mark.parametrize("weighted", [True, False])
def test_metric_influence_equals_networkx_pagerank(weighted):
    data = make_data(
        {"activities": _karate_activities()}, start=date(2026, 3, 1), end=date(2026, 3, 31)
    )
    section = run_metric(SPEC, data, {"top_n": 34, "tol": 1e-13, "weighted": weighted})
    top = section.table("top_influencers").data
    ref = _reference(nx.karate_club_graph().to_directed(), "weight" if weighted else None)
    got = dict(top.select("member_id", "share").iter_rows())
    for v in range(34):
        assert got[f"m{v:02d}"] / 100 == pytest.approx(ref[v], abs=1e-9)
    assert top["rank"].to_list() == list(range(1, 35))
    assert top["share"].is_sorted(descending=True)
    assert top["index"].sum() == pytest.approx(34.0)
    assert section.kpi("interacting_members").value == 34
    assert section.extra["pagerank"]["converged"]


# --- hand-computed reach, referrals and K-factor ---------------------------------------
# Period March 2026 (UTC). Members at the start: a, b, g, i (c left in February).
MEMBERS = [
    ("a", "2026-01-01", None, None),
    ("b", "2026-01-15", None, None),
    ("c", "2026-02-01", "2026-02-20", None),
    ("d", "2026-03-05", None, "a"),
    ("e", "2026-03-10", None, "a"),
    ("f", "2026-03-12", None, None),  # invited by b's invite activity on 11 March
    ("g", "2026-02-10", None, "b"),  # referred before the period
    ("h", "2026-03-20", None, None),  # joined before b's invite on 25 March: not referred
    ("i", "2026-01-01", None, None),
]
ACTIVITIES = [
    ("a", "2026-03-04 10:00", "invite", "d"),
    ("b", "2026-03-11 10:00", "invite", "f"),
    ("b", "2026-03-25 10:00", "invite", "h"),
    ("a", "2026-03-15 10:00", "invite", None),  # invitation with no known invitee
    ("d", "2026-03-06 10:00", "reply", "a"),
    ("e", "2026-03-11 10:00", "mention", "a"),
    ("a", "2026-03-07 10:00", "reply", "b"),
    ("b", "2026-03-08 10:00", "reaction", "i"),
    ("i", "2026-03-08 11:00", "reply", "i"),  # self-reply: ignored
    ("c", "2026-02-08 11:00", "reply", "a"),  # before the period
    ("a", "2026-03-09 11:00", "message", None),
]
ORDERS = [
    ("1", "d", "2026-03-15", 100.0, "paid"),
    ("2", "d", "2026-03-16", 50.0, "refunded"),
    ("3", "g", "2026-03-20", 30.0, "paid"),
    ("4", "e", "2026-04-02", 20.0, "paid"),  # after the period
    ("5", "a", "2026-03-02", 500.0, "paid"),  # a was not invited
]
# Edges (actor → target; invitee → inviter weighs 2): d→a 1+2, e→a 1+2, a→b 1,
# b→i 0.5, f→b 2, h→b 2 (an invitation is an interaction even if h was already in).
EDGES = {("d", "a"): 3.0, ("e", "a"): 3.0, ("a", "b"): 1.0, ("b", "i"): 0.5,
         ("f", "b"): 2.0, ("h", "b"): 2.0}  # fmt: skip


def _hand_data():
    members = [dict(member_id=m, platform="wechat", joined_at=j, left_at=lf, invited_by=i)
               for m, j, lf, i in MEMBERS]  # fmt: skip
    acts = [dict(member_id=m, platform="wechat", at=at, kind=k, target_member_id=t)
            for m, at, k, t in ACTIVITIES]  # fmt: skip
    orders = [dict(order_id=o, member_id=m, at=at, amount=x, status=s)
              for o, m, at, x, s in ORDERS]  # fmt: skip
    return make_data(
        {"members": members, "activities": acts, "orders": orders},
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
    )


def test_referrals_and_k_factor_hand_computed():
    section = run_metric(SPEC, _hand_data())
    kpi = {k.key: k.value for k in section.kpis}
    # invitations: pairs (a,d) (a,e) (b,f) (b,h) + one without invitee = 5
    assert kpi["invitations"] == 5
    assert kpi["invited_joins"] == 3  # d, e (invited_by) and f (invite activity)
    assert kpi["invite_conversion"] == pytest.approx(60.0)
    assert kpi["k_factor"] == pytest.approx(3 / 4)  # = (5 / 4) × (3 / 5)
    assert kpi["referral_revenue"] == pytest.approx(130.0)  # d 100 + g 30
    assert kpi["referred_buyers"] == 2
    assert kpi["interacting_members"] == 7
    # previous period (February): g joined invited by b; members at 1 Feb: a, b, i
    k_prev = section.kpi("k_factor")
    assert k_prev.previous == pytest.approx(1 / 3)


def test_reach_and_per_inviter_columns_hand_computed():
    top = run_metric(SPEC, _hand_data()).table("top_influencers").data
    rows = {r["member_id"]: r for r in top.iter_rows(named=True)}
    assert set(rows) == {"a", "b", "d", "e", "f", "h", "i"}
    # undirected neighbours: a {b,d,e}; b {a,i,f,h}; i {b}
    assert {m: r["reach1"] for m, r in rows.items()} == {
        "a": 3, "b": 4, "i": 1, "d": 1, "e": 1, "f": 1, "h": 1
    }  # fmt: skip
    # within two steps: a {b,d,e,i,f,h}; b {a,i,f,h,d,e}; i {b,a,f,h}; d {a,b,e}
    assert rows["a"]["reach2"] == 6 and rows["b"]["reach2"] == 6
    assert rows["i"]["reach2"] == 4 and rows["d"]["reach2"] == 3
    assert rows["a"]["received"] == 6.0 and rows["b"]["received"] == 5.0
    assert (rows["a"]["invites_sent"], rows["a"]["invitees_joined"]) == (3, 2)
    assert (rows["b"]["invites_sent"], rows["b"]["invitees_joined"]) == (2, 1)
    assert (rows["a"]["referred_buyers"], rows["a"]["referral_revenue"]) == (1, 100.0)
    assert (rows["b"]["referred_buyers"], rows["b"]["referral_revenue"]) == (1, 30.0)
    # scores agree with networkx on the same weighted edges
    graph = nx.DiGraph()
    graph.add_weighted_edges_from((u, v, w) for (u, v), w in EDGES.items())
    ref = nx.pagerank(graph, weight="weight", tol=1e-12, max_iter=1000)
    for m, r in rows.items():
        assert r["share"] / 100 == pytest.approx(ref[m], abs=1e-8)


def test_network_edges_table_and_chart():
    section = run_metric(SPEC, _hand_data())
    net = section.table("network_edges").data
    got = {(s, t): w for s, t, w in net.iter_rows()}
    assert got == EDGES
    assert section.table("network_edges").columns["source"].unit == "member"
    chart = section.charts[0]
    assert (chart.kind, chart.table, chart.x, chart.y, chart.value) == (
        "network", "network_edges", "source", ("target",), "weight"
    )  # fmt: skip
    small = run_metric(SPEC, _hand_data(), {"network_nodes": 3})
    drawn = small.table("network_edges").data
    members = set(drawn["source"]) | set(drawn["target"])
    assert len(members) <= 3


def test_reach_is_given_for_the_listed_members():
    top = run_metric(SPEC, _hand_data(), {"top_n": 2}).table("top_influencers").data
    assert top["member_id"].to_list() == ["i", "b"]  # b passes all its rank to i
    assert top["reach1"].to_list() == [1, 4]
    assert top["reach2"].to_list() == [4, 6]


def test_edge_weights_are_settings():
    section = run_metric(SPEC, _hand_data(), {"edge_weights": {"invite": 0, "reaction": 4}})
    got = {(s, t): w for s, t, w in section.table("network_edges").data.iter_rows()}
    assert got == {("d", "a"): 1.0, ("e", "a"): 1.0, ("a", "b"): 1.0, ("b", "i"): 4.0}
    # invitations still count for referrals even when they carry no graph weight
    assert section.kpi("invitations").value == 5


def test_report_states_the_tolerance_it_used():
    # the JSON says which stopping rule produced the scores: the configured tol, not the
    # default 1e-10
    section = run_metric(SPEC, _hand_data(), {"tol": 1e-6})
    assert section.extra["pagerank"]["tolerance"] == 1e-6
    assert run_metric(SPEC, _hand_data()).extra["pagerank"]["tolerance"] == 1e-10


def test_k_factor_base_leaves_out_members_who_were_gone_at_the_start():
    # r left every group in February and rejoins on 3 March; d joins on 5 March invited
    # by a. Members at the start: a only, so K = 1 invited join / 1 = 1.0 (not 1 / 2).
    members = [
        dict(member_id="a", platform="wechat", joined_at="2026-01-01", group_id="g1"),
        dict(member_id="r", platform="wechat", joined_at="2026-01-10", left_at="2026-02-01",
             group_id="g1"),
        dict(member_id="r", platform="wechat", joined_at="2026-03-03", group_id="g2"),
        dict(member_id="d", platform="wechat", joined_at="2026-03-05", invited_by="a",
             group_id="g1"),
    ]  # fmt: skip
    data = make_data({"members": members}, start=date(2026, 3, 1), end=date(2026, 3, 31))
    section = run_metric(SPEC, data)
    assert section.kpi("invited_joins").value == 1
    assert section.kpi("k_factor").value == pytest.approx(1.0)


def test_empty_graph():
    data = make_data({}, start=date(2026, 3, 1), end=date(2026, 3, 31))
    section = run_metric(SPEC, data)
    assert section.kpi("k_factor").value is None
    assert section.kpi("interacting_members").value == 0
    assert section.table("top_influencers").data.height == 0
    assert isinstance(section.table("network_edges").data, pl.DataFrame)


def test_top_nodes_are_the_head_of_the_full_sort_ties_by_member():
    """The influence table and the top-10 share read the first k nodes by score, ties by
    position; they are taken from the candidates at or above the k-th score instead of a
    sort of every node — the same positions, ties at the cut included."""
    rng = np.random.default_rng(3)
    scores = rng.choice([0.1, 0.2, 0.2, 0.3, 0.5], size=200)  # many ties
    full = np.lexsort((np.arange(scores.size), -scores))
    for k in (0, 1, 10, 37, 199, 200):
        assert _top(scores, k).tolist() == full[:k].tolist()
