"""Gamma-Gamma's fast likelihood (per distinct x) and its Newton fit, and the discounted
purchases per distinct (x, T) pair (issue 17).

Checked against the row-by-row likelihood :func:`clv_models.gg_loglik` (itself checked
against finite differences and Fader & Hardie 2013's CDNOW fit in test_clv_models), the
Hessian against finite differences of the gradient, and the fit against L-BFGS-B on the
row likelihood."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from test_clv_models import cdnow_rfm

from plugins.metrics import clv_fitting, clv_gamma_gamma
from plugins.metrics import clv_models as cm


@pytest.fixture(scope="module")
def repeat():
    rep = cdnow_rfm().filter(pl.col("x") > 0)
    x, m = rep["x"].to_numpy().astype(float), rep["m"].to_numpy().astype(float)
    return x, m, clv_gamma_gamma.GGData(x, m, np.ones_like(x))


@pytest.mark.parametrize("params", [(6.25, 3.74, 15.44), (1.5, 2.5, 40.0), (0.3, 9.0, 3.0)])
def test_the_grouped_likelihood_is_the_row_likelihood(repeat, params):
    x, m, d = repeat
    assert d.ux.size < x.size  # grouped: fewer distinct x than rows
    ll, grad = cm.gg_loglik(params, x, m)
    ll2, grad2 = clv_gamma_gamma.gg_ll(params, d)
    assert ll2 == pytest.approx(ll, rel=1e-12)
    np.testing.assert_allclose(grad2, grad, rtol=1e-9, atol=1e-9 * abs(ll))


@pytest.mark.parametrize("params", [(6.25, 3.74, 15.44), (1.5, 2.5, 40.0)])
def test_hessian_matches_finite_differences_of_the_gradient(repeat, params):
    d = repeat[2]
    _ll, _g, H = clv_gamma_gamma.gg_ll(params, d, hessian=True)
    p = np.asarray(params, dtype=float)
    fd = np.empty((3, 3))
    for j in range(3):
        h = 1e-6 * p[j]
        up, down = p.copy(), p.copy()
        up[j] += h
        down[j] -= h
        fd[:, j] = (clv_gamma_gamma.gg_ll(up, d)[1] - clv_gamma_gamma.gg_ll(down, d)[1]) / (2 * h)
    np.testing.assert_allclose(H, fd, rtol=1e-5)
    np.testing.assert_allclose(H, H.T)


def test_newton_lands_on_the_optimum_of_the_row_likelihood(repeat):
    x, m, _d = repeat
    fit = cm.fit_gamma_gamma(x, m)
    assert fit.converged and fit.message == "converged (Newton)"
    p = np.array([fit.params[k] for k in clv_gamma_gamma.NAMES])
    _ll, grad = cm.gg_loglik(p, x, m)
    assert np.max(np.abs(grad * p)) / x.size < 1e-10  # ∂ ln L / ∂ ln θ, per customer
    with clv_fitting.one_blas_thread():
        rows = clv_fitting.fit_lbfgs(lambda q: cm.gg_loglik(q, x, m), ("p", "q", "gamma"), x.size)
    for k in clv_gamma_gamma.NAMES:
        assert fit.params[k] == pytest.approx(rows.params[k], rel=1e-6)


def test_without_newton_the_fit_is_lbfgs_as_before(repeat, monkeypatch):
    x, m, _d = repeat
    newton = cm.fit_gamma_gamma(x, m)
    monkeypatch.setattr(clv_fitting, "fit_newton", lambda *a, **k: None)
    fallback = cm.fit_gamma_gamma(x, m)
    assert fallback.converged and "Newton" not in fallback.message
    for k in clv_gamma_gamma.NAMES:
        assert fallback.params[k] == pytest.approx(newton.params[k], rel=1e-5)


def test_discounted_purchases_per_distinct_pair_equal_the_row_by_row_sum():
    # repeated (x, T) pairs with different recencies: P(alive) differs within a pair
    x = np.array([0.0, 2.0, 2.0, 2.0, 5.0, 5.0, 1.0])
    t_x = np.array([0.0, 10.0, 30.0, 30.0, 40.0, 12.5, 3.0])
    T = np.array([38.9, 38.9, 38.9, 38.9, 52.0, 52.0, 7.0])
    params = (0.243, 4.414, 0.793, 2.426)
    disc, total = cm.discounted_purchases(
        params, x, t_x, T, horizon=52.0, steps=12, year=52.18, rate=0.1
    )
    ref_disc, prev = np.zeros_like(x), np.zeros_like(x)
    for k in range(1, 13):  # the definition, row by row
        t_k = 52.0 * k / 12
        cum = cm.bgnbd_expected(params, t_k, x, t_x, T)
        ref_disc += (cum - prev) / 1.1 ** (t_k / 52.18)
        prev = cum
    np.testing.assert_allclose(disc, ref_disc, rtol=1e-12)
    np.testing.assert_allclose(total, prev, rtol=1e-12)
    assert disc[1] < disc[2] == disc[3]  # same pair, later last purchase: more alive
