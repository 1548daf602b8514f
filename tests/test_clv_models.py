"""BG/NBD and Gamma-Gamma maths: published CDNOW answers, lifetimes' formulas, exact gradients.

Known answers: Fader, Hardie & Lee (2005) "Counting your customers the easy way" (BG/NBD on
CDNOW, weeks, calibration 1997-01-01 … 1997-09-30) and Fader & Hardie (2013) "The Gamma-Gamma
model of monetary value". lifetimes 0.11.3 is used as the peer implementation: those tests
need the ``peers`` extra (``pip install -e ".[peers]"``) and are skipped without it; the
published answers need no peer library. The CDNOW sample is read from
``shared/samples/cdnow/`` (never copied here); the tests on it skip when it is absent.
"""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import polars as pl
import pytest
from conftest import sample

from plugins.metrics import clv_fitting
from plugins.metrics import clv_models as cm

END = date(1997, 9, 30)
pytestmark = pytest.mark.filterwarnings("ignore:The 'mode.chained_assignment'")


def cdnow_rfm() -> pl.DataFrame:
    """The published calibration summary, built independently of the metric: weeks, T to
    1997-09-30 (date difference), same-day purchases merged, repeat purchases only."""
    cdnow = sample("cdnow/CDNOW_sample.txt")
    lines = pl.read_csv(cdnow, has_header=False, new_columns=["line"], separator="\t")
    parts = lines.select(pl.col("line").str.strip_chars().str.extract_all(r"\S+").alias("p"))
    tx = parts.select(
        pl.col("p").list.get(0).alias("cust"),
        pl.col("p").list.get(2).str.to_date("%Y%m%d").alias("day"),
        pl.col("p").list.get(4).cast(pl.Float64).alias("dollars"),
    )
    daily = tx.filter(pl.col("day") <= END).group_by("cust", "day").agg(pl.col("dollars").sum())
    return (
        daily.group_by("cust")
        .agg(
            first=pl.col("day").min(),
            last=pl.col("day").max(),
            n=pl.len(),
            total=pl.col("dollars").sum(),
            first_value=pl.col("dollars").sort_by("day").first(),
        )
        .select(
            "cust",
            x=(pl.col("n") - 1).cast(pl.Float64),
            t_x=(pl.col("last") - pl.col("first")).dt.total_days() / 7,
            T=(pl.lit(END) - pl.col("first")).dt.total_days() / 7,
            m=pl.when(pl.col("n") > 1).then(
                (pl.col("total") - pl.col("first_value")) / (pl.col("n") - 1)
            ),
        )
        .sort("cust")
    )


@pytest.fixture(scope="module")
def rfm() -> pl.DataFrame:
    return cdnow_rfm()


@pytest.fixture(scope="module")
def bg(rfm):
    return cm.fit_bgnbd(rfm["x"].to_numpy(), rfm["t_x"].to_numpy(), rfm["T"].to_numpy())


@pytest.fixture(scope="module")
def gg(rfm):
    return cm.fit_gamma_gamma(rfm["x"].to_numpy(), rfm["m"].fill_null(0).to_numpy())


def test_cdnow_summary_matches_the_published_calibration(rfm):
    assert rfm.height == 2357
    assert (rfm["x"] > 0).sum() == 946
    # sample id 1 (customer 00004): the first row of Fader-Hardie's summary table
    first = rfm.filter(pl.col("cust") == "00004").row(0, named=True)
    assert first["x"] == 2
    assert first["t_x"] == pytest.approx(30.43, abs=0.005)
    assert first["T"] == pytest.approx(38.86, abs=0.005)


def test_bgnbd_reproduces_fader_hardie_lee_2005(bg):
    p = bg.params
    assert bg.converged
    assert bg.n_customers == 2357
    for name, published in (("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)):
        assert p[name] == pytest.approx(published, abs=0.0005), name
    # the 4-decimal values quoted with the sample
    for name, value in (("r", 0.2426), ("alpha", 4.4136), ("a", 0.7930), ("b", 2.4259)):
        assert p[name] == pytest.approx(value, abs=1e-4), name
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_reproduces_fader_hardie_2013(gg):
    assert gg.converged
    assert gg.n_customers == 946
    assert gg.params["p"] == pytest.approx(6.25, abs=0.005)
    assert gg.params["q"] == pytest.approx(3.74, abs=0.005)
    assert gg.params["gamma"] == pytest.approx(15.44, abs=0.005)


def test_expected_purchases_published_example(bg):
    # FHL 2005: x = 2, t_x = 30.43, T = 38.86 → 1.226 purchases in the next 39 weeks
    assert float(cm.bgnbd_expected(bg.params, 39, 2, 30.43, 38.86)) == pytest.approx(
        1.226, abs=5e-4
    )


def _peer():
    """lifetimes and pandas, or skip: peers are compared only where installed."""
    return pytest.importorskip("pandas"), pytest.importorskip("lifetimes")


def _lifetimes_models(bg, gg):
    pd, lifetimes = _peer()
    BetaGeoFitter, GammaGammaFitter = lifetimes.BetaGeoFitter, lifetimes.GammaGammaFitter

    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bgf.params_ = pd.Series(bg.params)
    ggf.params_ = pd.Series({"p": gg.params["p"], "q": gg.params["q"], "v": gg.params["gamma"]})
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
    return bgf, ggf


def test_predictions_equal_lifetimes_formulas(rfm, bg, gg):
    pd, _ = _peer()
    bgf, ggf = _lifetimes_models(bg, gg)
    x, tx, T = (rfm[c].to_numpy() for c in ("x", "t_x", "T"))
    m = rfm["m"].fill_null(0).to_numpy()
    np.testing.assert_allclose(
        cm.bgnbd_p_alive(bg.params, x, tx, T),
        bgf.conditional_probability_alive(x, tx, T),
        rtol=1e-10,
    )
    for t in (1.0, 39.0, 52.0):
        np.testing.assert_allclose(
            cm.bgnbd_expected(bg.params, t, x, tx, T),
            bgf.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T),
            rtol=1e-9,
        )
    rep = x > 0
    gg_params = tuple(gg.params.values())
    np.testing.assert_allclose(
        cm.gg_expected_spend(gg_params, x[rep], m[rep]),
        ggf.conditional_expected_average_profit(pd.Series(x[rep]), pd.Series(m[rep])),
        rtol=1e-12,
    )
    # x = 0: the population mean p·γ/(q−1)
    p, q, g = gg_params
    assert float(cm.gg_expected_spend(gg_params, 0, np.nan)) == pytest.approx(p * g / (q - 1))


def test_discounting_equals_lifetimes_monthly_clv(rfm, bg, gg):
    """lifetimes (freq="W") steps 12 months of 4.345 weeks and discounts month k by
    (1+d_m)^k; the same cash flows come out of our formula with Y = 12 · 4.345 weeks and
    the equivalent annual rate (1+d_m)^12 − 1."""
    pd, _ = _peer()
    bgf, ggf = _lifetimes_models(bg, gg)
    sub = rfm.head(300)
    x, tx, T = (sub[c].to_numpy() for c in ("x", "t_x", "T"))
    m = sub["m"].fill_null(0).to_numpy()
    d_m = 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ggf.customer_lifetime_value(
            bgf, pd.Series(x), pd.Series(tx), pd.Series(T), pd.Series(m),
            time=12, discount_rate=d_m, freq="W",
        ).to_numpy()  # fmt: skip
    disc, _ = cm.discounted_purchases(
        bg.params, x, tx, T, horizon=12 * 4.345, steps=12, year=12 * 4.345,
        rate=(1 + d_m) ** 12 - 1,
    )  # fmt: skip
    ours = cm.gg_expected_spend(tuple(gg.params.values()), x, m) * disc
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_discounting_hand_cases(bg):
    x, tx, T = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 20.0])
    expected = cm.bgnbd_expected(bg.params, 52, x, tx, T)
    disc, total = cm.discounted_purchases(bg.params, x, tx, T, horizon=52, steps=12, year=52,
                                          rate=0.0)  # fmt: skip
    np.testing.assert_allclose(disc, expected, rtol=1e-12)  # no discounting: E[Y(H)]
    np.testing.assert_allclose(total, expected, rtol=1e-12)
    one, _ = cm.discounted_purchases(bg.params, x, tx, T, horizon=52, steps=1, year=52,
                                     rate=0.10)  # fmt: skip
    np.testing.assert_allclose(one, expected / 1.10, rtol=1e-12)  # one step: E[Y(H)]/(1+d)


def test_fit_agrees_with_lifetimes_fitter(rfm, bg):
    BetaGeoFitter = _peer()[1].BetaGeoFitter

    x, tx, T = (rfm[c].to_pandas() for c in ("x", "t_x", "T"))
    theirs = BetaGeoFitter().fit(x, tx, T, tol=1e-8).params_
    for k in ("r", "alpha", "a", "b"):
        assert bg.params[k] == pytest.approx(theirs[k], rel=1e-6), k


def _fd_grad(f, params, h=1e-6):
    params = np.asarray(params, dtype=float)
    out = []
    for i in range(params.size):
        step = np.zeros_like(params)
        step[i] = h * params[i]
        out.append((f(params + step) - f(params - step)) / (2 * step[i]))
    return np.array(out)


@pytest.mark.parametrize(
    "params", [(0.5, 3.0, 1.3, 2.1), (0.243, 4.41, 0.793, 2.43), (2, 9, 4, 0.7)]
)
def test_bgnbd_gradient_matches_finite_differences(rfm, params):
    x, tx, T = (rfm[c].to_numpy() for c in ("x", "t_x", "T"))
    (xu, txu, Tu), w = cm.compress(x, tx, T)
    ll, grad = cm.bgnbd_loglik(params, xu, txu, Tu, w)
    fd = _fd_grad(lambda p: cm.bgnbd_loglik(p, xu, txu, Tu, w)[0], params)
    # central differences of a sum of ~1e4 lose ~1e-16·|LL|/h in cancellation
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9 * abs(ll))


@pytest.mark.parametrize(
    "params", [(0.5, 3.0, 1.3, 2.1), (0.243, 4.41, 0.793, 2.43), (2, 9, 4, 0.7)]
)
def test_bgnbd_hessian_matches_finite_differences(rfm, params):
    x, tx, T = (rfm[c].to_numpy() for c in ("x", "t_x", "T"))
    (xu, txu, Tu), w = cm.compress(x, tx, T)
    ll, grad, H = cm.bgnbd_loglik(params, xu, txu, Tu, w, hessian=True)
    ll0, g0 = cm.bgnbd_loglik(params, xu, txu, Tu, w)
    assert ll == ll0 and np.array_equal(grad, g0)
    # column j: central differences of the exact gradient along parameter j
    fd = np.column_stack(
        [
            _fd_grad(lambda p, i=i: cm.bgnbd_loglik(p, xu, txu, Tu, w)[1][i], params)
            for i in range(4)
        ]
    )
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
    np.testing.assert_array_equal(H, H.T)


def test_sample_start_and_newton_steps_reach_the_lbfgs_optimum(rfm, monkeypatch):
    """fit_bgnbd starts from L-BFGS-B on a sample (the x = 0 rows and every k-th other row)
    and finishes with Newton steps on all rows. Forced onto CDNOW's 1,016 distinct rows with
    a ~100-row sample, it lands where L-BFGS-B alone lands on all rows with tight
    tolerances (the method before)."""
    x, tx, T = (rfm[c].to_numpy() for c in ("x", "t_x", "T"))
    (xu, txu, Tu), w = cm.compress(x, tx, T)
    data = cm._BGNBDData(xu, txu, Tu, w)
    with clv_fitting.one_blas_thread():
        ref = clv_fitting.fit_lbfgs(
            lambda p: cm.bgnbd_loglik(p, data, None, None), ("r", "alpha", "a", "b"), data.W
        )
    monkeypatch.setattr(cm, "_START_ROWS", 100)
    fit = cm.fit_bgnbd(x, tx, T)
    assert ref.converged and fit.converged and fit.message == "converged (Newton)"
    for k in ("r", "alpha", "a", "b"):
        assert fit.params[k] == pytest.approx(ref.params[k], rel=1e-7), k
    assert fit.log_likelihood >= ref.log_likelihood - 1e-9
    # and should Newton give up, the fit is that L-BFGS-B on all rows from 1, 1, 1, 1
    monkeypatch.setattr(clv_fitting, "fit_newton", lambda *args: None)
    assert cm.fit_bgnbd(x, tx, T) == ref


def test_rows_are_grouped_by_x_whatever_their_order():
    d = cm._BGNBDData([3.0, 0.0, 3.0, 1.0], [2.0, 0.0, 5.0, 1.0], [9.0, 8.0, 7.0, 6.0],
                      [1.0, 2.0, 3.0, 4.0])  # fmt: skip
    assert d.xs.tolist() == [0, 1, 3] and d.w_x.tolist() == [2, 4, 4]
    assert d.t_x.tolist() == [0, 1, 2, 5]  # stable: the two x = 3 rows keep their order
    odd = cm._BGNBDData([2.5, 1.0, 2.5], [1.0] * 3, [2.0] * 3, None)  # not whole numbers
    assert odd.xs.tolist() == [1.0, 2.5] and odd.w_x.tolist() == [1, 2]
    # the likelihood of rows together is the sum of the rows' own, whatever their order
    rows = [(0.0, 0.0, 9.0), (3.0, 2.0, 9.0), (1.0, 4.0, 7.0), (3.0, 5.0, 8.0)]
    params = (0.3, 4.0, 0.8, 2.4)
    one = sum(cm.bgnbd_loglik(params, [x], [tx], [T])[0] for x, tx, T in rows)
    together = cm.bgnbd_loglik(params, *(list(c) for c in zip(*rows, strict=True)))[0]
    assert together == pytest.approx(one, rel=1e-14)


def test_the_starting_sample_keeps_the_x0_rows_and_scales_the_others(monkeypatch):
    x = [2.0, 0.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 2.0, 2.0]  # 3 zeros, 9 others
    tx = [float(i) for i in range(12)]
    d = cm._BGNBDData(x, tx, [20.0] * 12, None)
    s = d.subsample(3)  # others sorted by x: rows 0, 3, 6 of them
    assert s.x.tolist() == [0, 0, 0, 1, 1, 2] and s.w.tolist() == [1, 1, 1, 3, 3, 3]
    assert s.W == d.W == 12
    monkeypatch.setattr(cm, "_START_ROWS", 2)  # more x = 0 rows than that: sampled too
    s = d.subsample(3)
    assert s.x.tolist() == [0, 1, 1, 2] and s.w.tolist() == [3, 3, 3, 3]


def test_gg_gradient_matches_finite_differences(rfm):
    rep = rfm.filter(pl.col("x") > 0)
    x, m = rep["x"].to_numpy(), rep["m"].to_numpy()
    for params in ((6.25, 3.74, 15.44), (1.5, 2.5, 40.0)):
        ll, grad = cm.gg_loglik(params, x, m)
        fd = _fd_grad(lambda p, x=x, m=m: cm.gg_loglik(p, x, m)[0], params)
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9 * abs(ll))


def test_compression_changes_nothing(rfm):
    x, tx, T = (rfm[c].to_numpy() for c in ("x", "t_x", "T"))
    (xu, txu, Tu), w = cm.compress(x, tx, T)
    assert xu.size < x.size and w.sum() == x.size
    params = (0.3, 4.0, 0.8, 2.4)
    ll_raw, g_raw = cm.bgnbd_loglik(params, x, tx, T)
    ll_c, g_c = cm.bgnbd_loglik(params, xu, txu, Tu, w)
    assert ll_c == pytest.approx(ll_raw, rel=1e-12)
    np.testing.assert_allclose(g_c, g_raw, rtol=1e-10)


def test_single_customer_likelihood_by_hand():
    # x = 0, T = 10, r = α = a = b = 1: L = α^r/(α+T)^r = 1/11
    ll, _ = cm.bgnbd_loglik((1.0, 1.0, 1.0, 1.0), [0.0], [0.0], [10.0])
    assert ll == pytest.approx(np.log(1 / 11))
    # x = 1, t_x = 4, T = 10, all parameters 1:
    # Γ(2)/Γ(1) · Γ(2)Γ(2)/(Γ(1)Γ(3)) · [11^-2 + 1/1 · 5^-2] = 1 · 1/2 · (1/121 + 1/25)
    ll, _ = cm.bgnbd_loglik((1.0, 1.0, 1.0, 1.0), [1.0], [4.0], [10.0])
    assert ll == pytest.approx(np.log(0.5 * (1 / 121 + 1 / 25)))
    assert float(cm.bgnbd_p_alive((1.0, 1.0, 1.0, 1.0), 0, 0, 10)) == 1.0
    # P(alive) for x = 1, t_x = 4, T = 10: 1/(1 + 1·(11/5)^2)
    assert float(cm.bgnbd_p_alive((1.0, 1.0, 1.0, 1.0), 1, 4, 10)) == pytest.approx(
        1 / (1 + (11 / 5) ** 2)
    )


def test_fit_without_customers_does_not_crash():
    fit = cm.fit_bgnbd([], [], [])
    assert not fit.converged and fit.n_customers == 0


def test_one_day_later_end_breaks_the_published_fit(rfm):
    """Why the calendar matters: measuring T to the end of 1997-09-30 (one day more) moves a
    and b in the second decimal, outside the published values."""
    x, tx, T = (rfm[c].to_numpy() for c in ("x", "t_x", "T"))
    off = cm.fit_bgnbd(x, tx, T + 1 / 7).params
    assert off["a"] == pytest.approx(0.814, abs=0.001) and off["b"] == pytest.approx(
        2.477, abs=0.001
    )
