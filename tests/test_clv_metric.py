"""The clv metric end to end: hand-computed observed CLV, the CDNOW fit through the pipeline,
time-unit invariance, and clear notes (not crashes) when the models cannot be fitted.

The CDNOW sample is read from ``shared/samples/cdnow/`` (never copied here); the tests on it
skip when it is absent."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pydantic
import pytest
from conftest import sample

from communityroi.testing import make_data, run_metric
from plugins import BUILTIN
from plugins.metrics import clv
from plugins.metrics import clv_models as cm
from plugins.metrics._ordered_sum import lone_sum, ordered_groups

SPEC = clv.communityroi_metrics()[0]


# -- a tiny community, computed by hand ------------------------------------------------
MEMBERS = [
    {"member_id": "m1", "platform": "wechat", "group_id": "g1", "segment": "flash"},
    {"member_id": "m1", "platform": "wechat", "group_id": "g2", "segment": "vip"},
    {"member_id": "m2", "platform": "wechat", "group_id": "g1", "customer_id": "C2"},
    {"member_id": "m3", "platform": "wechat", "group_id": "g2", "segment": "vip"},
    {"member_id": "m4", "platform": "wechat", "group_id": "g1"},
]
GROUPS = [{"group_id": "g1", "name": "闪购群"}, {"group_id": "g2", "name": "VIP群"}]
ORDERS = [
    # m1: two orders on 5 Jan (one purchase day), a refund, and 1 Feb → x = 1
    {"order_id": "o1", "member_id": "m1", "at": "2026-01-05 10:00", "amount": "100",
     "gross_margin": 30.0},
    {"order_id": "o2", "member_id": "m1", "at": "2026-01-05 18:00", "amount": "50"},
    {"order_id": "o3", "member_id": "m1", "at": "2026-01-07", "amount": "30",
     "status": "refunded", "gross_margin": 9.0},
    {"order_id": "o4", "member_id": "m1", "at": "2026-02-01", "amount": "¥200.00",
     "gross_margin": 60.0},
    # m2 through customer_id C2; a later order falls after the period end
    {"order_id": "o5", "customer_id": "C2", "at": "2026-01-20", "amount": "80",
     "gross_margin": 20.0},
    {"order_id": "o8", "member_id": "m2", "at": "2026-04-02", "amount": "999",
     "gross_margin": 99.0},
    # m3 buys late on the last day of the period
    {"order_id": "o6", "member_id": "m3", "at": "2026-03-31 23:00", "amount": "40",
     "gross_margin": 10.0},
    # a customer who is not a member
    {"order_id": "o7", "customer_id": "C9", "at": "2026-02-10", "amount": "60",
     "gross_margin": 15.0},
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny():
    return make_data(
        {"members": MEMBERS, "groups": GROUPS, "orders": pl.DataFrame(ORDERS)},
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
    )


def test_registered_as_builtin():
    assert "plugins.metrics.clv" in BUILTIN
    assert SPEC.name == "clv" and SPEC.order == 40 and SPEC.compare_previous is False
    with pytest.raises(pydantic.ValidationError):
        clv.CLVOptions(time_units="weeks")  # misspelt option


def test_rfm_summary_by_hand(tiny):
    rfm = clv.rfm_frame(tiny).collect().sort("key")
    rows = {r["key"]: r for r in rfm.iter_rows(named=True)}
    assert set(rows) == {"m:m1", "m:m2", "m:m3", "c:C9"}
    m1 = rows["m:m1"]
    # purchase days 5 Jan (100 + 50) and 1 Feb (200): x = 1, t_x = 27 d, T = 31 Mar − 5 Jan
    assert (m1["x"], m1["tx_days"], m1["T_days"], m1["total"], m1["m"]) == (1, 27, 85, 350, 200)
    m3 = rows["m:m3"]  # a purchase on the period's last day: t_x = T = 0
    assert (m3["x"], m3["tx_days"], m3["T_days"], m3["m"]) == (0, 0, 0, None)
    assert rows["m:m2"]["total"] == 80  # the order after the period end is not counted


def test_groups_and_segments_without_buyers(tiny):
    """A group whose members bought nothing, and a segment only non-buyers have, are
    listed with 0 buyers and 0 value (hand-computed), as are groups with buyers."""
    more = [*MEMBERS, {"member_id": "m5", "platform": "wechat", "group_id": "g3",
                       "segment": "new"}]  # fmt: skip
    data = make_data(
        {"members": more, "groups": [*GROUPS, {"group_id": "g3", "name": "新群"}],
         "orders": pl.DataFrame(ORDERS)},
        start=date(2026, 1, 1), end=date(2026, 3, 31),
    )  # fmt: skip
    s = run_metric(SPEC, data)
    rows = {r["group"]: r for r in s.table("clv_by_group").data.iter_rows(named=True)}
    assert rows["新群"] == {"group": "新群", "members": 1, "buyers": 0, "observed_value": 0.0,
                          "avg_clv_per_member": 0.0, "avg_clv_per_buyer": None}  # fmt: skip
    assert rows["VIP群"]["observed_value"] == 390 and rows["闪购群"]["members"] == 3
    seg = {r["segment"]: r for r in s.table("clv_by_segment").data.iter_rows(named=True)}
    assert (seg["new"]["members"], seg["new"]["buyers"], seg["new"]["observed_value"]) == (1, 0, 0)
    assert s.kpi("observed_clv_per_member").value == pytest.approx(470 / 5)


def test_ordered_groups_add_in_ascending_order():
    """Groups of one row and of several give Σ in ascending order of the values, one by
    one from 0.0 (hand-computed: 0.1 + 0.2 + 0.3 ≠ 0.3 + 0.2 + 0.1 in the last bit), with
    null keys one group and a lone −0.0 summed to 0.0 as a running sum gives it."""
    vals = [0.3, 0.2, 0.1, 5.0, 2.0, -0.0, 1.0, 7.0]
    frame = pl.LazyFrame({"k": [1, 1, 1, 2, None, 3, 4, None], "v": vals})
    got = ordered_groups(
        frame, ["k"], "v", alone=[lone_sum("v")], together=[pl.col("v").cum_sum().last()]
    )
    sums = dict(got.collect().iter_rows())
    assert (0.0 + 0.3) + 0.2 + 0.1 != 0.0 + 0.1 + 0.2 + 0.3  # the order shows
    assert sums[1] == 0.0 + 0.1 + 0.2 + 0.3
    assert sums[None] == 2.0 + 7.0 and sums[2] == 5.0 and sums[4] == 1.0
    assert sums[3] == 0.0 and math.copysign(1.0, sums[3]) == 1.0


def test_observed_clv_by_hand(tiny):
    s = run_metric(SPEC, tiny)
    k = {x.key: x.value for x in s.kpis}
    assert k["buyers"] == 3
    assert k["avg_observed_clv"] == pytest.approx((350 + 80 + 40) / 3)
    assert k["observed_clv_per_member"] == pytest.approx(470 / 4)  # m4 bought nothing
    assert k["repeat_purchase_rate"] == pytest.approx(100 / 3)
    assert s.kpi("avg_observed_clv").headline and s.kpi("avg_observed_clv").unit == "currency"
    # 4 customers < min_customers: no model, KPIs None, and a note saying why
    for key in ("avg_predicted_clv", "expected_purchases", "share_alive", "predicted_clv_total"):
        assert k[key] is None
    assert any("min_customers" in f.text.en for f in s.findings)
    assert s.extra["model"]["bgnbd"]["r"] is None

    by_group = s.table("clv_by_group").data
    assert by_group.to_dicts() == [
        {"group": "VIP群", "members": 2, "buyers": 2, "observed_value": 390.0,
         "avg_clv_per_member": 195.0, "avg_clv_per_buyer": 195.0},
        {"group": "闪购群", "members": 3, "buyers": 2, "observed_value": 430.0,
         "avg_clv_per_member": pytest.approx(430 / 3), "avg_clv_per_buyer": 215.0},
    ]  # fmt: skip
    seg = {r["segment"]: r for r in s.table("clv_by_segment").data.iter_rows(named=True)}
    assert seg["flash"]["observed_value"] == 350 and seg["flash"]["members"] == 1
    assert seg["vip"]["avg_clv_per_member"] == 195  # m1 (in the VIP group) and m3
    assert seg["(no segment)"]["avg_clv_per_member"] == 40  # m2 (80) and m4 (0)

    dist = s.table("clv_distribution").data
    # p99 of (40, 80, 350) = 344.6 → width nice(344.6 / 9) = 50
    assert dist["buyers"].sum() == 3 and dist.height == 10
    assert dist.filter(pl.col("buyers") > 0)["bin"].to_list() == ["0–50", "50–100", "350–400"]
    assert any(c.kind == "histogram" and c.table == "clv_distribution" for c in s.charts)

    top = s.table("top_members")
    assert top.columns["member"].unit == "member"
    assert top.data["member"].to_list() == ["m1", "m2", "m3"]
    assert top.data["observed_value"].to_list() == [350, 80, 40]
    names = {f.name.en for f in s.methodology}
    assert {"Observed CLV", "BG/NBD likelihood", "Predicted (discounted) CLV"} <= names
    assert all(f.formula.zh and f.formula.en for f in s.methodology)


def test_population_customers_and_gross_margin(tiny):
    s = run_metric(SPEC, tiny, {"population": "customers"})
    assert s.kpi("buyers").value == 4
    assert s.kpi("avg_observed_clv").value == pytest.approx(530 / 4)
    assert s.kpi("repeat_purchase_rate").value == pytest.approx(25.0)
    s = run_metric(SPEC, tiny, {"value_basis": "gross_margin"})
    # m1: 30 + (missing → 0) + 60; m2: 20; m3: 10; the refund's margin is not counted
    assert s.kpi("avg_observed_clv").value == pytest.approx((90 + 20 + 10) / 3)
    assert any("1 paid orders have no gross margin" in f.text.en for f in s.findings)


def test_days_are_local_calendar_days():
    orders = [
        {"order_id": "a", "member_id": "m1", "at": "2026-01-05T10:00:00Z", "amount": 1},
        {"order_id": "b", "member_id": "m1", "at": "2026-01-05T17:00:00Z", "amount": 1},
    ]
    utc = make_data({"orders": orders}, start=date(2026, 1, 1), end=date(2026, 1, 31))
    cn = make_data(
        {"orders": orders}, start=date(2026, 1, 1), end=date(2026, 1, 31), timezone="Asia/Shanghai"
    )
    assert clv.rfm_frame(utc).collect()["x"].to_list() == [0]  # same UTC day
    assert clv.rfm_frame(cn).collect()["x"].to_list() == [1]  # 18:00 and 01:00 next day


# -- CDNOW through the whole metric ----------------------------------------------------
def cdnow_orders() -> pl.DataFrame:
    cdnow = sample("cdnow/CDNOW_sample.txt")
    lines = pl.read_csv(cdnow, has_header=False, new_columns=["line"], separator="\t")
    parts = lines.select(pl.col("line").str.strip_chars().str.extract_all(r"\S+").alias("p"))
    return parts.with_row_index("i").select(
        pl.format("o{}", "i").alias("order_id"),
        pl.col("p").list.get(0).alias("customer_id"),
        pl.col("p").list.get(2).alias("at"),  # yyyymmdd
        pl.col("p").list.get(4).alias("amount"),
    )


@pytest.fixture(scope="module")
def cdnow():
    return make_data({"orders": cdnow_orders()}, start=date(1997, 1, 1), end=date(1997, 9, 30))


def test_cdnow_end_to_end_reproduces_published_fit(cdnow):
    s = run_metric(SPEC, cdnow, {"population": "customers", "member_table": True})
    bg, gg = s.extra["model"]["bgnbd"], s.extra["model"]["gamma_gamma"]
    assert bg["n_customers"] == 2357 and bg["time_unit"] == "weeks"
    for name, published in (("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)):
        assert bg[name] == pytest.approx(published, abs=0.0005), name
    assert bg["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert gg["n_customers"] == 946
    for name, published in (("p", 6.25), ("q", 3.74), ("gamma", 15.44)):
        assert gg[name] == pytest.approx(published, abs=0.005), name
    assert s.kpi("repeat_purchase_rate").value == pytest.approx(946 / 2357 * 100)
    # KPIs follow from the fitted parameters with the pure model functions
    rfm = clv.rfm_frame(cdnow).collect()
    x, tx, T = rfm["x"].to_numpy(), rfm["tx_days"].to_numpy() / 7, rfm["T_days"].to_numpy() / 7
    params = {k: bg[k] for k in ("r", "alpha", "a", "b")}
    assert s.kpi("expected_purchases").value == pytest.approx(
        cm.bgnbd_expected(params, 52, x, tx, T).sum(), rel=1e-9
    )
    alive = cm.bgnbd_p_alive(params, x, tx, T)
    assert s.kpi("share_alive").value == pytest.approx((alive >= 0.5).mean() * 100)
    disc, _ = cm.discounted_purchases(
        params, x, tx, T, horizon=52, steps=12, year=365.25 / 7, rate=0.10
    )
    spend = cm.gg_expected_spend((gg["p"], gg["q"], gg["gamma"]), x, rfm["m"].to_numpy())
    assert s.kpi("avg_predicted_clv").value == pytest.approx((spend * disc).mean(), rel=1e-9)
    # customer 00004 (first row of the published summary): x = 2, t_x = 30.43, T = 38.86
    row = rfm.filter(pl.col("customer_id") == "00004").row(0, named=True)
    assert (row["x"], row["tx_days"], row["T_days"]) == (2, 213, 272)
    # every buyer's outputs, in the machine-readable table
    table = s.table("member_clv")
    assert table.show is False and table.data.height == 2357
    assert table.columns["member"].unit == "member"
    mine = table.data.filter(pl.col("member") == "00004").row(0, named=True)
    assert mine["t_x"] == pytest.approx(30.43, abs=0.005) and mine["T"] == pytest.approx(
        38.86, abs=0.005
    )
    assert mine["p_alive"] == pytest.approx(
        100 * float(cm.bgnbd_p_alive(params, 2, 213 / 7, 272 / 7)), rel=1e-11
    )
    assert mine["expected_purchases"] == pytest.approx(
        float(cm.bgnbd_expected(params, 52, 2, 213 / 7, 272 / 7)), rel=1e-11
    )


def test_time_unit_days_is_the_same_model(cdnow):
    weeks = run_metric(SPEC, cdnow, {"population": "customers"})
    days = run_metric(SPEC, cdnow, {"population": "customers", "time_unit": "days"})
    w, d = weeks.extra["model"]["bgnbd"], days.extra["model"]["bgnbd"]
    for name in ("r", "a", "b"):
        assert d[name] == pytest.approx(w[name], rel=1e-5)
    assert d["alpha"] == pytest.approx(7 * w["alpha"], rel=1e-5)  # α is a time scale
    # rescaling time by 7 multiplies each likelihood by 7^−x
    total_x = clv.rfm_frame(cdnow).select(pl.col("x").sum()).collect().item()
    assert d["log_likelihood"] == pytest.approx(w["log_likelihood"] - total_x * math.log(7))
    for key in ("expected_purchases", "share_alive", "avg_predicted_clv"):
        assert days.kpi(key).value == pytest.approx(weeks.kpi(key).value, rel=1e-4), key


def test_members_linked_by_customer_id_share_the_population_fit(cdnow):
    orders = cdnow_orders()
    first = orders["customer_id"].unique().sort().head(500)
    members = pl.DataFrame(
        {"member_id": "M" + first, "platform": "shop", "customer_id": first, "group_id": "vip"}
    )
    data = make_data(
        {"orders": orders, "members": members}, start=date(1997, 1, 1), end=date(1997, 9, 30)
    )
    s = run_metric(SPEC, data)
    assert s.extra["model"]["bgnbd"]["n_customers"] == 2357  # the fit uses every customer
    assert s.extra["model"]["bgnbd"]["a"] == pytest.approx(0.793, abs=0.0005)
    assert s.kpi("buyers").value == 500  # the KPIs describe members
    assert s.table("top_members").data["member"].str.starts_with("M").all()
    assert s.table("clv_by_group").data["members"].to_list() == [500]


def test_failures_give_notes_not_crashes(cdnow, monkeypatch):
    s = run_metric(SPEC, cdnow, {"population": "customers", "min_repeat_buyers": 5000})
    assert s.kpi("share_alive").value is not None  # BG/NBD still fitted
    assert s.kpi("avg_predicted_clv").value is None
    assert any("min_repeat_buyers" in f.text.en for f in s.findings)

    def broken(*args, **kwargs):
        return cm.Fit({"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}, -1.0, 2357, False, "boom")

    monkeypatch.setattr(cm, "fit_bgnbd", broken)
    s = run_metric(SPEC, cdnow, {"population": "customers"})
    assert s.kpi("share_alive").value is None and s.kpi("avg_predicted_clv").value is None
    assert s.kpi("avg_observed_clv").value is not None
    assert any("could not be fitted (boom)" in f.text.en for f in s.findings)
    assert s.extra["model"]["bgnbd"]["converged"] is False
    assert s.extra["model"]["bgnbd"]["r"] is None


def test_gamma_gamma_with_q_at_most_one_gives_no_spend(cdnow, monkeypatch):
    # A converged fit with q = 0.8 (p = 1, γ = 10): E[M | x = 0] = γ·p / (q − 1) = 10 / −0.2
    # = −50, a negative spend. Such a fit must give no predicted CLV, as its note says.
    def q_below_one(*args, **kwargs):
        return cm.Fit({"p": 1.0, "q": 0.8, "gamma": 10.0}, -1.0, 946, True, "ok")

    monkeypatch.setattr(cm, "fit_gamma_gamma", q_below_one)
    s = run_metric(SPEC, cdnow, {"population": "customers", "member_table": True})
    assert any("q ≤ 1" in f.text.en for f in s.findings)
    assert s.kpi("avg_predicted_clv").value is None
    assert s.kpi("predicted_clv_total").value is None
    assert s.kpi("expected_purchases").value is not None  # BG/NBD is still usable
    assert s.table("member_clv").data["predicted_clv"].null_count() == 2357


def test_no_repeat_purchases_gives_a_note():
    orders = [
        {"order_id": f"o{i}", "customer_id": f"c{i}", "at": f"2026-01-{1 + i % 28:02d}",
         "amount": 10}
        for i in range(80)
    ]  # fmt: skip
    s = run_metric(SPEC, make_data({"orders": orders}, start=date(2026, 1, 1),
                                   end=date(2026, 3, 31)), {"population": "customers"})  # fmt: skip
    assert s.kpi("repeat_purchase_rate").value == 0
    assert s.kpi("share_alive").value is None
    assert any("no customer has bought on a second day" in f.text.en for f in s.findings)


def test_member_table_is_off_by_default(cdnow):
    """report.json is a summary: per-member rows are the scorecard's (issue 17)."""
    s = run_metric(SPEC, cdnow, {"population": "customers"})
    assert s.table("top_members") is not None
    assert "member_clv" not in [t.key for t in s.tables]


def test_same_input_same_numbers(cdnow):
    one = run_metric(SPEC, cdnow, {"population": "customers", "member_table": True})
    two = run_metric(SPEC, cdnow, {"population": "customers", "member_table": True})
    assert [k.value for k in one.kpis] == [k.value for k in two.kpis]
    assert one.extra == two.extra
    assert one.table("member_clv").data.equals(two.table("member_clv").data)


def test_labels_tell_apart_what_other_sections_count_differently(tiny):
    # Same words, different numbers in one report would mislead: CLV's buyers are buyers
    # to date (ROI: attributed buyers in the period); CLV's repeat rate counts purchase
    # days (loyalty: orders); its per-member value divides by former members too.
    from plugins.metrics import loyalty, roi

    c = run_metric(SPEC, tiny)
    r = run_metric(roi.SPEC, tiny)
    lo = run_metric(loyalty.SPEC, tiny)
    for lang in ("en", "zh"):
        clv_b, roi_b = (getattr(s.kpi("buyers").label, lang) for s in (c, r))
        assert clv_b != roi_b
        clv_r, loy_r = (getattr(s.kpi("repeat_purchase_rate").label, lang) for s in (c, lo))
        assert clv_r != loy_r
    assert c.kpi("buyers").label.en == "Buyers to date"
    assert c.kpi("repeat_purchase_rate").label.en == "Repeat rate (bought on 2+ days)"
    assert "former" in c.kpi("observed_clv_per_member").label.en
    assert "former" in c.table("clv_by_group").columns["members"].label.en
    assert r.table("by_group").columns["members"].label.en == "Members at period end"


def test_parameter_meanings_have_a_label_in_both_languages(cdnow):
    table = run_metric(SPEC, cdnow, {"population": "customers"}).table("model_parameters")
    labels = table.columns["meaning"].values
    meanings = table.data["meaning"].to_list()
    assert len(meanings) == 11 and all(m in labels for m in meanings)
    zh = [labels[m].zh for m in meanings]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in z) for z in zh)
    params = table.data.filter(pl.col("parameter").is_in(["a", "b"]))["meaning"]
    assert labels[params[0]].zh != labels[params[1]].zh  # a and b are told apart


def test_top_members_ranked_with_ties_and_nulls():
    """The top rows are the first of the whole sort (value descending, nulls last, then
    key) — ties at the cut kept in key order, nulls only when too few values, by hand."""
    from plugins.metrics.clv_report import _ranked

    df = pl.DataFrame({"key": ["e", "d", "c", "b", "a", "f"], "v": [5.0, 3.0, 3.0, None, 3.0, 1.0]})
    assert _ranked(df, "v", 2)["key"].to_list() == ["e", "a"]  # 3.0 tie: a before c, d
    assert _ranked(df, "v", 4)["key"].to_list() == ["e", "a", "c", "d"]
    assert _ranked(df, "v", 6)["key"].to_list() == ["e", "a", "c", "d", "f", "b"]
    assert _ranked(df, "v", None)["key"].to_list() == ["e", "a", "c", "d", "f", "b"]
